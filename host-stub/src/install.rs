//! `plugins install`: checks a built plugin by loading it, then copies its folder into the state
//! directory's `extensions/<id>/`, atomically (staged next to the target, then renamed).
//!
//! Only the files that make up a plugin are copied — the manifest, the library and the provider
//! bridge beside it (for a folder shipped for several platforms, its whole binaries directory),
//! the OpenClaw entry (`package.json` and the modules it lists) and the licence texts when
//! present — so installing from a build directory does not drag the build along, and what is
//! installed is a complete folder that real OpenClaw can run too.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use provider_host::{
    discovery::{Origin, SearchRoot},
    host_identity::HostIdentity,
    manifest::{MANIFEST_FILE, read_manifest},
    registry::Registry,
};

/// What an installation did.
#[derive(Debug, serde::Serialize)]
pub struct Installed {
    pub id: String,
    pub version: String,
    pub path: PathBuf,
    /// Whether an earlier installation was replaced.
    pub replaced: bool,
}

/// Installs the plugin at `source` (its directory or its manifest) into `extensions_dir`.
pub fn install_plugin(
    source: &Path,
    extensions_dir: &Path,
    force: bool,
    host: &HostIdentity,
) -> anyhow::Result<Installed> {
    let source_dir = if source.is_file() {
        source.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        source.to_path_buf()
    };
    let manifest = read_manifest(&source_dir)
        .map_err(|err| anyhow::anyhow!("{}: {err}", source_dir.join(MANIFEST_FILE).display()))?;
    let Some(native) = manifest.native.clone() else {
        bail!(
            "{}: not a native provider plugin (its manifest has no \"native\" block)",
            manifest.path.display()
        );
    };

    // Load it exactly as the host would, so a plugin that would be refused is never installed.
    let report = Registry::load(
        &[SearchRoot {
            path: source_dir.clone(),
            origin: Origin::Flag,
            explicit: true,
        }],
        host,
    );
    if let Some(refusal) = report.refusals.first() {
        bail!("{refusal}");
    }
    let plugin = report
        .registry
        .get(&manifest.id)
        .with_context(|| format!("{}: the plugin did not load", source_dir.display()))?;

    let target = extensions_dir.join(&manifest.id);
    let replaced = target.exists();
    if replaced && !force {
        bail!(
            "{} is already installed at {}; pass --force to replace it",
            manifest.id,
            target.display()
        );
    }
    let mut files = vec![PathBuf::from(MANIFEST_FILE)];
    match &native.binaries {
        Some(binaries) => files.extend(files_under(&source_dir, Path::new(binaries))?),
        None => {
            files.push(native.library_file_name().into());
            if source_dir.join(BRIDGE).is_file() {
                files.push(BRIDGE.into());
            }
        }
    }
    files.extend(openclaw_entry_files(&source_dir)?);
    files.extend(licence_files(&source_dir)?);

    std::fs::create_dir_all(extensions_dir)
        .with_context(|| format!("cannot create {}", extensions_dir.display()))?;
    let pid = std::process::id();
    let staging = extensions_dir.join(format!(".{}.installing-{pid}", manifest.id));
    let result = stage(&source_dir, &files, &staging).and_then(|()| swap_in(&staging, &target));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result?;
    Ok(Installed {
        id: manifest.id.clone(),
        version: plugin.info.plugin_version.to_string(),
        path: target,
        replaced,
    })
}

/// The provider bridge's file name (the executable real OpenClaw's entry runs).
const BRIDGE: &str = "openclaw-provider-bridge";

/// The regular files under `relative` in `dir`, as paths relative to `dir` (symbolic links and
/// other special files are not part of a plugin and are left out).
fn files_under(dir: &Path, relative: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir.join(relative))
        .with_context(|| format!("cannot read {}", dir.join(relative).display()))?;
    for entry in entries {
        let entry = entry?;
        let path = relative.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            found.extend(files_under(dir, &path)?);
        } else if kind.is_file() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// A `package.json` is a page of JSON; more is not one.
const MAX_PACKAGE_BYTES: u64 = 1024 * 1024;

/// The licence texts at the folder's top level (`LICENSE`, `LICENSE-MIT`, `COPYING`, …): they
/// travel with the code they licence.
fn licence_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    top_level_files(dir, |name| {
        ["LICENSE", "LICENCE", "COPYING", "NOTICE"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
    })
}

/// The regular files at the top of `dir` whose names `wanted` picks, sorted.
fn top_level_files(dir: &Path, wanted: impl Fn(&str) -> bool) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_str().is_some_and(&wanted) && entry.file_type()?.is_file() {
            found.push(PathBuf::from(name));
        }
    }
    found.sort();
    Ok(found)
}

/// `package.json`, the entry modules it lists under `openclaw.extensions` and the modules beside
/// them (every `.js` and `.mjs` at the top of the folder: the entry imports its own modules), if
/// the folder has an OpenClaw half.
fn openclaw_entry_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let package = dir.join("package.json");
    if !package.is_file() {
        return Ok(Vec::new());
    }
    let text = provider_host::bounded::read_text(&package, MAX_PACKAGE_BYTES)?;
    let document: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", package.display()))?;
    let mut files = vec![PathBuf::from("package.json")];
    let entries = document
        .pointer("/openclaw/extensions")
        .and_then(|value| value.as_array())
        .into_iter()
        .flatten()
        .filter_map(|value| value.as_str());
    for entry in entries {
        let relative = Path::new(entry.trim_start_matches("./"));
        if relative.is_absolute()
            || relative
                .components()
                .any(|part| matches!(part, std::path::Component::ParentDir))
        {
            bail!(
                "{}: extension entry {entry:?} leaves the plugin folder",
                package.display()
            );
        }
        files.push(relative.to_path_buf());
    }
    let modules = top_level_files(dir, |name| name.ends_with(".js") || name.ends_with(".mjs"))?;
    for module in modules {
        if !files.contains(&module) {
            files.push(module);
        }
    }
    Ok(files)
}

fn stage(source_dir: &Path, files: &[PathBuf], staging: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;

    if staging.exists() {
        std::fs::remove_dir_all(staging)?;
    }
    std::fs::create_dir_all(staging)?;
    std::fs::set_permissions(staging, std::fs::Permissions::from_mode(0o755))?;
    for relative in files {
        let from = source_dir.join(relative);
        let to = staging.join(relative);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&from, &to).with_context(|| format!("cannot copy {}", from.display()))?;
        // Never install a file others could rewrite.
        let mode = std::fs::metadata(&to)?.permissions().mode() & 0o755;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode))?;
        std::fs::File::open(&to)?.sync_all()?;
    }
    Ok(())
}

fn swap_in(staging: &Path, target: &Path) -> anyhow::Result<()> {
    if target.exists() {
        let old = target.with_extension(format!("replaced-{}", std::process::id()));
        std::fs::rename(target, &old)
            .with_context(|| format!("cannot move aside {}", target.display()))?;
        if let Err(err) = std::fs::rename(staging, target) {
            // Put the previous installation back: a failed replace must not lose it.
            let _ = std::fs::rename(&old, target);
            return Err(err)
                .with_context(|| format!("cannot move the new plugin into {}", target.display()));
        }
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove the old plugin at {}", old.display()))?;
    } else {
        std::fs::rename(staging, target)
            .with_context(|| format!("cannot move the new plugin into {}", target.display()))?;
    }
    Ok(())
}
