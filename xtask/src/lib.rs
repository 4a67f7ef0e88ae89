//! Assembling the distributable plugin folder: one folder that both hosts load. host-stub reads
//! `openclaw.plugin.json` and loads the library; real OpenClaw reads the same manifest and
//! `package.json`, imports `index.js`, which runs `openclaw-provider-bridge` for the work.
//!
//! The manifest is not a source file: it is generated from the built library's own account of
//! itself (`provider_host::describe`), so the plugin's facts have one home, its code.
//!
//! OpenClaw copies an installed plugin's folder — every file but those under `node_modules/` —
//! into a temporary directory and hashes it each time it loads the plugin (two or three times a
//! command). So the folder holds only what runs, and the binaries (the stripped library and
//! bridge, megabytes) sit in [`BINARIES`]`/<os>-<arch>/`, inside a `node_modules` directory
//! that OpenClaw leaves where it is; the manifest's `native.binaries` says where.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

/// The library file of the Hugging Face plugin on this platform.
pub fn library_file() -> String {
    format!(
        "{}openclaw_huggingface{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// The bridge executable's name.
pub const BRIDGE: &str = "openclaw-provider-bridge";

/// The manifest's file name.
pub const MANIFEST: &str = "openclaw.plugin.json";

/// Where a distributed folder keeps its binaries, one directory per platform.
pub const BINARIES: &str = "node_modules/openclaw-native/bin";

/// The manifest the library at `library` implies (binaries under `binaries`, or beside it), as
/// pretty JSON with a final newline.
pub fn manifest_text(library: &Path, binaries: Option<&str>) -> Result<String, String> {
    let host = provider_host::identity::HostIdentity::new("xtask", env!("CARGO_PKG_VERSION"));
    let manifest = provider_host::describe::describe_library(library, &host, binaries)?;
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|err| err.to_string())?;
    text.push('\n');
    Ok(text)
}

/// Writes the manifest the library at `library` implies, for a folder with the library beside
/// it, to `out`, unless it already says that.
pub fn write_manifest(library: &Path, out: &Path) -> Result<(), String> {
    let text = manifest_text(library, None)?;
    if std::fs::read_to_string(out).is_ok_and(|current| current == text) {
        return Ok(());
    }
    std::fs::write(out, text).map_err(|err| format!("cannot write {}: {err}", out.display()))
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
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

/// Builds `folder` afresh from the binaries in `profile_dir` (`target/<profile>`) and the
/// sources: the manifest, `package.json` and `index.js` at the top, the library and the bridge
/// under [`BINARIES`]`/<this platform>/`. With `strip_debug`, debug info is stripped from the
/// binaries (`strip` from binutils; release builds are stripped by their profile already).
pub fn assemble(profile_dir: &Path, folder: &Path, strip_debug: bool) -> Result<Assembled, String> {
    let root = workspace_root();
    let library = library_file();
    let platform_dir = format!("{BINARIES}/{}", provider_host::manifest::platform());
    let sources = [
        (
            root.join("plugin/openclaw/package.json"),
            "package.json".to_owned(),
            0o644,
        ),
        (
            root.join("plugin/openclaw/index.js"),
            "index.js".to_owned(),
            0o644,
        ),
        (
            profile_dir.join(&library),
            format!("{platform_dir}/{library}"),
            0o755,
        ),
        (
            profile_dir.join(BRIDGE),
            format!("{platform_dir}/{BRIDGE}"),
            0o755,
        ),
    ];
    if folder.exists() {
        std::fs::remove_dir_all(folder)
            .map_err(|err| format!("cannot clear {}: {err}", folder.display()))?;
    }
    std::fs::create_dir_all(folder.join(&platform_dir))
        .map_err(|err| format!("cannot create {}: {err}", folder.display()))?;
    let manifest = manifest_text(&profile_dir.join(&library), Some(BINARIES))
        .map_err(|err| format!("{err} (build it first: cargo build -p openclaw-huggingface)"))?;
    let manifest_path = folder.join(MANIFEST);
    std::fs::write(&manifest_path, &manifest)
        .map_err(|err| format!("cannot write {}: {err}", manifest_path.display()))?;
    let mut files = vec![(MANIFEST.to_owned(), manifest.len() as u64)];
    for (source, name, mode) in sources {
        let target = folder.join(&name);
        std::fs::copy(&source, &target).map_err(|err| {
            format!(
                "cannot copy {} (build it first: cargo build -p openclaw-huggingface -p openclaw-provider-bridge): {err}",
                source.display()
            )
        })?;
        if strip_debug && mode == 0o755 {
            let status = Command::new("strip")
                .arg("--strip-debug")
                .arg(&target)
                .status();
            if !matches!(status, Ok(s) if s.success()) {
                eprintln!(
                    "note: could not strip {}; it is copied as built",
                    target.display()
                );
            }
        }
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))
            .map_err(|err| format!("cannot set the mode of {}: {err}", target.display()))?;
        let size = std::fs::metadata(&target)
            .map_err(|err| format!("{}: {err}", target.display()))?
            .len();
        files.push((name, size));
    }
    Ok(Assembled {
        folder: folder.to_path_buf(),
        files,
    })
}
