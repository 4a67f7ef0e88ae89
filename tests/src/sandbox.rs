//! A sandboxed home for one test: a temporary `$HOME` and state directory, and `host-stub`
//! runs with a cleared environment so nothing of the machine's (tokens, config) leaks in.

use std::{
    ffi::OsStr,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use provider_host::{
    discovery::{Origin, SearchRoot},
    host_identity::HostIdentity,
    registry::{LoadReport, Registry},
};
use tempfile::TempDir;

use crate::artifacts;

/// A fake Hugging Face token planted by tests that must prove a credential never leaks.
pub const SENTINEL_TOKEN: &str = "hf_SENTINELxq7Zt3Lp9Vw2Rk5Nm8Bc4Dj6Fh1Gs0Ty";

/// Every readable file under `dir`, recursively, with its contents (for leak scans).
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// A temporary home with a state directory and a plugins directory.
pub struct Sandbox {
    dir: TempDir,
    env: Vec<(String, String)>,
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// What a finished child printed, as collected by `Command::output`.
    pub fn from_output(output: &std::process::Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "command failed:\n{self}");
        &self.stdout
    }

    /// Asserts the exit code.
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self}");
        self
    }

    /// Parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok())
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}):\n{self}"))
    }

    /// stdout and stderr together.
    pub fn all_output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: crate::temp_dir("openclaw-e2e-", &["home", "home/.openclaw", "plugins"]),
            env: Vec::new(),
        }
    }

    /// The sandbox root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `$HOME`.
    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    /// `$OPENCLAW_STATE_DIR`.
    pub fn state_dir(&self) -> PathBuf {
        self.home().join(".openclaw")
    }

    /// A plugins directory for `--plugins-dir`.
    pub fn plugins_dir(&self) -> PathBuf {
        self.root().join("plugins")
    }

    /// Writes the configuration file (`<state dir>/openclaw.json`).
    pub fn write_config(&self, config: &serde_json::Value) {
        self.write_config_text(&serde_json::to_string_pretty(config).unwrap());
    }

    /// Writes `text` as the configuration file, whatever it holds (JSON5, or something broken).
    pub fn write_config_text(&self, text: &str) {
        std::fs::write(self.state_dir().join("openclaw.json"), text).unwrap();
    }

    /// The agent directory (credential profiles, `models.json`).
    pub fn agent_dir(&self) -> PathBuf {
        self.state_dir().join("agents/main/agent")
    }

    /// host-stub's credential store (`<state dir>/host-stub/auth-profiles.json`).
    pub fn profile_store(&self) -> PathBuf {
        self.state_dir().join("host-stub/auth-profiles.json")
    }

    /// Every file under the sandbox with its contents, for leak scans.
    pub fn all_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        files_under(self.root())
    }

    /// Adds an environment variable for every later command.
    pub fn set_env(&mut self, name: &str, value: &str) -> &mut Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Loads every plugin in [`Self::plugins_dir`] into this process with host-stub's loader,
    /// as `host-stub --plugins-dir` does.
    pub fn load_plugins(&self) -> LoadReport {
        Registry::load(
            &[SearchRoot {
                path: self.plugins_dir(),
                origin: Origin::Flag,
                explicit: true,
            }],
            &HostIdentity::new("host-stub", env!("CARGO_PKG_VERSION")),
        )
    }

    /// A `host-stub` command in this sandbox with a clean environment.
    pub fn command(&self) -> Command {
        self.command_for(&artifacts().host_stub)
    }

    /// `program` with this sandbox's clean environment (for wrappers around `host-stub`).
    pub fn command_for(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("OPENCLAW_STATE_DIR", self.state_dir())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        // No `current_dir`: with one, std falls back from posix_spawn to fork, and a forked
        // child's peak RSS starts at the parent's — which would spoil the benchmarks.
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Starts `host-stub` with `args` in the background, its stdout and stderr piped.
    pub fn start<I, S>(&self, args: I) -> std::process::Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        crate::spawn(
            self.command()
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )
    }

    /// Runs `host-stub` with `args` and collects its output, failing the test if it has not
    /// finished within `deadline` (it is killed then: a hang is the finding).
    pub fn run_within<I, S>(&self, args: I, deadline: std::time::Duration) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        crate::process::finish_within(self.start(args), deadline, "host-stub")
    }

    /// Runs `host-stub` with `args` and collects its output.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run::from_output(
            &self
                .command()
                .args(args)
                .output()
                .expect("running host-stub"),
        )
    }
}
