//! Where the host keeps its state, found as OpenClaw finds it so the two share a home: the
//! state directory is `--state-dir`, else `$OPENCLAW_STATE_DIR`, else `<home>/.openclaw` (or a
//! legacy `<home>/.clawdbot` when only that exists), where the home is `$OPENCLAW_HOME`, else
//! the user's; the configuration is `$OPENCLAW_CONFIG_PATH`, else `<state dir>/openclaw.json`.
//! A leading `~` in those variables means that home (in `OPENCLAW_HOME` itself, the user's).

use std::path::{Path, PathBuf};

pub use provider_host::home::{expand_tilde, home_dir};

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
        let home = openclaw_home();
        let in_home = |value: String| expand_home(&value, &home);
        let state_dir = explicit_state_dir
            .map(Path::to_path_buf)
            .or_else(|| non_empty_env("OPENCLAW_STATE_DIR").map(in_home))
            .unwrap_or_else(|| {
                let current = home.join(".openclaw");
                let legacy = home.join(".clawdbot");
                if !current.exists() && legacy.is_dir() {
                    legacy
                } else {
                    current
                }
            });
        let config_file = non_empty_env("OPENCLAW_CONFIG_PATH")
            .map(in_home)
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

    /// host-stub's own files (its credential store): `<state>/host-stub/`.
    pub fn host_stub_dir(&self) -> PathBuf {
        self.state_dir.join("host-stub")
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

/// OpenClaw's home: `$OPENCLAW_HOME` (a leading `~` in it is the user's home), else the user's.
pub fn openclaw_home() -> PathBuf {
    match non_empty_env("OPENCLAW_HOME") {
        Some(home) => expand_tilde(home.trim()),
        None => home_dir(),
    }
}

/// A leading `~` of `value` expanded against `home`.
fn expand_home(value: &str, home: &Path) -> PathBuf {
    let value = value.trim();
    match value.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None if value == "~" => home.to_path_buf(),
        None => PathBuf::from(value),
    }
}
