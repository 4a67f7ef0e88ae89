//! Assembling the distributable plugin folder: one folder that both hosts load. host-stub reads
//! `openclaw.plugin.json` and loads the library; real OpenClaw reads the same manifest and
//! `package.json`, imports `index.js`, which spawns `openclaw-provider-bridge` for the work.
//!
//! OpenClaw copies the whole folder on every load, so it holds only what runs: the stripped
//! library, the stripped bridge, the manifest and the two JS files.

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
/// sources. With `strip_debug`, debug info is stripped from the copies (`strip` from binutils;
/// release builds are stripped by their profile already).
pub fn assemble(profile_dir: &Path, folder: &Path, strip_debug: bool) -> Result<Assembled, String> {
    let root = workspace_root();
    let library = library_file();
    let sources = [
        (
            root.join("plugin/openclaw.plugin.json"),
            "openclaw.plugin.json",
            0o644,
        ),
        (
            root.join("plugin/openclaw/package.json"),
            "package.json",
            0o644,
        ),
        (root.join("plugin/openclaw/index.js"), "index.js", 0o644),
        (profile_dir.join(&library), library.as_str(), 0o755),
        (profile_dir.join(BRIDGE), BRIDGE, 0o755),
    ];
    if folder.exists() {
        std::fs::remove_dir_all(folder)
            .map_err(|err| format!("cannot clear {}: {err}", folder.display()))?;
    }
    std::fs::create_dir_all(folder)
        .map_err(|err| format!("cannot create {}: {err}", folder.display()))?;
    let mut files = Vec::new();
    for (source, name, mode) in sources {
        let target = folder.join(name);
        std::fs::copy(&source, &target).map_err(|err| {
            format!(
                "cannot copy {} (build it first: cargo build -p openclaw-huggingface -p host-stub): {err}",
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
        files.push((name.to_owned(), size));
    }
    Ok(Assembled {
        folder: folder.to_path_buf(),
        files,
    })
}
