//! Project chores behind `cargo xtask`: the distributable plugin folder ([`assemble`]), its
//! release archives ([`archive`]), the targets they are built for ([`targets`]), what macOS
//! asks of the binaries ([`macos`]), the `dist` command that runs them in order ([`dist`]), and
//! the settings table the docs generate from the plugin's schema ([`settings_table`]).
//! The tests use the same functions, so what they install is what a release ships.

pub mod archive;
pub mod assemble;
pub mod dist;
pub mod macos;
pub mod settings_table;
pub mod targets;

use std::path::{Path, PathBuf};

pub use assemble::{Assembled, Build, assemble, assemble_builds};

/// The Hugging Face plugin's library name, without the platform's prefix and suffix.
pub const LIBRARY: &str = "openclaw_huggingface";

/// The library file of the Hugging Face plugin on this platform.
pub fn library_file() -> String {
    format!(
        "{}{LIBRARY}{}",
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
    let host = provider_host::host_identity::HostIdentity::new("xtask", env!("CARGO_PKG_VERSION"));
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
