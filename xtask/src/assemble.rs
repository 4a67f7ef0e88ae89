//! Assembling the distributable plugin folder from built binaries: one folder that both hosts
//! load. host-stub reads `openclaw.plugin.json` and loads the library; real OpenClaw reads the
//! same manifest and `package.json`, imports `index.js`, which runs `openclaw-provider-bridge`
//! for the work.
//!
//! The manifest is not a source file: it is generated from the built library's own account of
//! itself (`provider_host::describe`), so the plugin's facts have one home, its code. That means
//! loading the library, so a folder always holds the build machine's own binaries, and the
//! manifest comes from them; binaries for other targets are added beside them.
//!
//! OpenClaw copies an installed plugin's folder — every file but those under `node_modules/` —
//! into a temporary directory and hashes it each time it loads the plugin (two or three times a
//! command). So the folder holds only what runs and the licences, and the binaries (the
//! stripped library and bridge, megabytes) sit in [`BINARIES`]`/<os>-<arch>/`, inside a
//! `node_modules` directory that OpenClaw leaves where it is; the manifest's
//! `native.binaries` says where.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use crate::{BINARIES, BRIDGE, MANIFEST, library_file, manifest_text, targets::Target};

/// The licence files every folder and archive carries (the workspace is MIT OR Apache-2.0).
pub const LICENSES: [&str; 2] = ["LICENSE-APACHE", "LICENSE-MIT"];

/// One target's build: where cargo left its library and bridge, and what they are called.
#[derive(Clone, Debug)]
pub struct Build {
    /// The platform as Node names it: the binaries' directory in the folder.
    pub platform: String,
    /// `target/<profile>`, or `target/<triple>/<profile>` for a cross build.
    pub dir: PathBuf,
    /// The library's file name.
    pub library: String,
    /// Whether the binaries run on this machine (the manifest is generated from this library).
    pub native: bool,
    /// Whether they are Mach-O code, which macOS runs only when it is signed.
    pub apple: bool,
}

impl Build {
    /// The build machine's own build in `dir`.
    pub fn native(dir: &Path) -> Self {
        Self {
            platform: provider_host::manifest::platform(),
            dir: dir.to_path_buf(),
            library: library_file(),
            native: true,
            apple: cfg!(target_vendor = "apple"),
        }
    }

    /// A build for `target` in `dir`.
    pub fn for_target(target: &Target, dir: &Path, native: bool) -> Self {
        Self {
            platform: target.platform.clone(),
            dir: dir.to_path_buf(),
            library: target.library_file(crate::LIBRARY),
            native,
            apple: target.apple,
        }
    }
}

/// What went into a folder.
#[derive(Debug)]
pub struct Assembled {
    pub folder: PathBuf,
    /// Each file and its size in bytes.
    pub files: Vec<(String, u64)>,
}

impl Assembled {
    /// The folder's size in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|(_, size)| size).sum()
    }
}

/// Builds `folder` afresh from the build machine's binaries in `profile_dir`
/// (`target/<profile>`); see [`assemble_builds`].
pub fn assemble(profile_dir: &Path, folder: &Path, strip_debug: bool) -> Result<Assembled, String> {
    assemble_builds(folder, &[Build::native(profile_dir)], strip_debug)
}

/// Builds `folder` afresh: the manifest (from the native build's library), `package.json`,
/// the entry's `.js` modules and the licences at the top, each build's library and bridge under
/// [`BINARIES`]`/<its platform>/`. With `strip_debug`, debug info is stripped from the native
/// binaries (`strip` from binutils; release builds are stripped by their profile already).
pub fn assemble_builds(
    folder: &Path,
    builds: &[Build],
    strip_debug: bool,
) -> Result<Assembled, String> {
    let root = crate::workspace_root();
    let native = builds
        .iter()
        .find(|build| build.native)
        .ok_or("no build for this machine: the manifest is generated from its library")?;
    if folder.exists() {
        std::fs::remove_dir_all(folder)
            .map_err(|err| format!("cannot clear {}: {err}", folder.display()))?;
    }
    create_dir(folder)?;
    let manifest = manifest_text(&native.dir.join(&native.library), Some(BINARIES))
        .map_err(|err| format!("{err} (build it first: cargo build -p openclaw-huggingface)"))?;
    check_package_version(&root.join("plugin/openclaw/package.json"), &manifest)?;
    let manifest_path = folder.join(MANIFEST);
    std::fs::write(&manifest_path, &manifest)
        .map_err(|err| format!("cannot write {}: {err}", manifest_path.display()))?;
    let mut files = vec![(MANIFEST.to_owned(), manifest.len() as u64)];
    let mut sources = vec![(
        root.join("plugin/openclaw/package.json"),
        "package.json".to_owned(),
    )];
    sources.extend(entry_modules(&root.join("plugin/openclaw"))?);
    sources.extend(LICENSES.map(|name| (root.join(name), name.to_owned())));
    for (source, name) in sources {
        let size = copy(&source, &folder.join(&name), 0o644)?;
        files.push((name, size));
    }
    for build in builds {
        let platform_dir = format!("{BINARIES}/{}", build.platform);
        create_dir(&folder.join(&platform_dir))?;
        for binary in [build.library.as_str(), BRIDGE] {
            let name = format!("{platform_dir}/{binary}");
            let target = folder.join(&name);
            copy(&build.dir.join(binary), &target, 0o755).map_err(|err| {
                format!(
                    "{err} (build it first: cargo build -p openclaw-huggingface -p openclaw-provider-bridge)"
                )
            })?;
            if strip_debug && build.native {
                strip(&target);
            }
            if build.apple {
                crate::macos::check_signature(&target)?;
            }
            let size = std::fs::metadata(&target)
                .map_err(|err| format!("{}: {err}", target.display()))?
                .len();
            files.push((name, size));
        }
    }
    Ok(Assembled {
        folder: folder.to_path_buf(),
        files,
    })
}

/// `package.json` names the version OpenClaw records for an installation; it must be the
/// library's.
fn check_package_version(package: &Path, manifest: &str) -> Result<(), String> {
    let version_of = |text: &str, what: &Path| -> Result<String, String> {
        let document: serde_json::Value = serde_json::from_str(text)
            .map_err(|err| format!("{} is not JSON: {err}", what.display()))?;
        document["version"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{} names no version", what.display()))
    };
    let text = std::fs::read_to_string(package)
        .map_err(|err| format!("cannot read {}: {err}", package.display()))?;
    let package_version = version_of(&text, package)?;
    let plugin_version = version_of(manifest, Path::new(MANIFEST))?;
    if package_version != plugin_version {
        return Err(format!(
            "{} says version {package_version}, but the plugin is {plugin_version}; make them agree",
            package.display()
        ));
    }
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))
}

/// The OpenClaw entry's modules, every `.js` file in `dir` (`index.js` imports the others),
/// sorted by name.
fn entry_modules(dir: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let unreadable = |err: std::io::Error| format!("cannot read {}: {err}", dir.display());
    let mut modules = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".js") && entry.path().is_file() {
            modules.push((entry.path(), name));
        }
    }
    modules.sort();
    Ok(modules)
}

/// Copies `source` to `target` with `mode`; returns its size.
fn copy(source: &Path, target: &Path, mode: u32) -> Result<u64, String> {
    let size = std::fs::copy(source, target)
        .map_err(|err| format!("cannot copy {}: {err}", source.display()))?;
    std::fs::set_permissions(target, std::fs::Permissions::from_mode(mode))
        .map_err(|err| format!("cannot set the mode of {}: {err}", target.display()))?;
    Ok(size)
}

/// Strips debug info with the build machine's `strip`; a file that cannot be stripped is
/// copied as built (larger, not wrong). On macOS, Apple's `strip -S` keeps the signature valid
/// for a linker-signed file; [`crate::macos::check_signature`] checks it afterwards anyway.
fn strip(target: &Path) {
    let flag = if cfg!(target_vendor = "apple") {
        "-S"
    } else {
        "--strip-debug"
    };
    let status = Command::new("strip").arg(flag).arg(target).status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!(
            "note: could not strip {}; it is copied as built",
            target.display()
        );
    }
}
