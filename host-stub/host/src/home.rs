//! The user's home directory and `~/` expansion, as every host resolves them for paths that
//! plugins and configurations name (token files, plugin load paths).

use std::path::PathBuf;

/// The user's home directory (`$HOME`, else the password database, else `/`).
pub fn home_dir() -> PathBuf {
    std::env::home_dir().unwrap_or_else(|| PathBuf::from("/"))
}

/// Expands a leading `~/` to the home directory.
pub fn expand_tilde(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home_dir().join(rest),
        None if path == "~" => home_dir(),
        None => PathBuf::from(path),
    }
}
