//! Where the host keeps its state: the state directory (`--state-dir`, else
//! `$OPENCLAW_STATE_DIR`, else `~/.openclaw`) and the files inside it, laid out as OpenClaw lays
//! them out so the two can share a home.

use std::path::{Path, PathBuf};

pub use provider_host::paths::{expand_tilde, home_dir};

/// The locations of everything the host reads and writes.
#[derive(Clone, Debug)]
pub struct StatePaths {
    /// The state directory itself.
    pub state_dir: PathBuf,
    /// The configuration file (`$OPENCLAW_CONFIG_PATH`, else `<state>/openclaw.json`).
    pub config_file: PathBuf,
}

impl StatePaths {
    /// Resolves the paths from an explicit state dir (a flag) or the environment.
    pub fn resolve(explicit_state_dir: Option<&Path>) -> Self {
        let state_dir = explicit_state_dir
            .map(Path::to_path_buf)
            .or_else(|| non_empty_env("OPENCLAW_STATE_DIR").map(PathBuf::from))
            .unwrap_or_else(|| home_dir().join(".openclaw"));
        let config_file = non_empty_env("OPENCLAW_CONFIG_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| state_dir.join("openclaw.json"));
        Self {
            state_dir,
            config_file,
        }
    }

    /// Plugins installed for this state dir (shared with real OpenClaw).
    pub fn extensions_dir(&self) -> PathBuf {
        self.state_dir.join("extensions")
    }

    /// The main agent's directory: credential profiles and the persisted model catalog.
    pub fn agent_dir(&self) -> PathBuf {
        self.state_dir.join("agents").join("main").join("agent")
    }

    /// The environment file completing the process environment.
    pub fn env_file(&self) -> PathBuf {
        self.state_dir.join(".env")
    }
}

/// The value of an environment variable, unless unset or blank.
pub fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
