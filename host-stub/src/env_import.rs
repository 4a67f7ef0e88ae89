//! Completing the process environment — never overriding it — from the state directory's `.env`
//! (where keys belong when the gateway runs as a daemon) and, when `env.shellEnv.enabled` is
//! true (or `OPENCLAW_LOAD_SHELL_ENV=1`), from the user's login shell, importing only the
//! variable names plugins declare, within a timeout.
//!
//! Runs once per process, before the plugins start any thread: changing the environment of a
//! multi-threaded process is not safe.

use std::{
    collections::BTreeSet,
    io::Read,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::config::Config;

/// Where an imported variable came from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub name: String,
    pub source: &'static str,
}

/// Fills unset variables from `env_file`, then from the login shell when the configuration
/// asks. Returns the names imported (never values) and warnings.
pub fn complete(
    env_file: &Path,
    config: &Config,
    expected_names: &BTreeSet<String>,
) -> (Vec<Imported>, Vec<String>) {
    let mut imported = Vec::new();
    let mut warnings = Vec::new();
    match read_env_file(env_file) {
        Ok(pairs) => {
            for (name, value) in pairs {
                if set_if_missing(&name, &value) {
                    imported.push(Imported {
                        name,
                        source: ".env",
                    });
                }
            }
        }
        Err(Some(err)) => warnings.push(err),
        Err(None) => {}
    }
    if shell_env_enabled(config) {
        let timeout = config
            .get("env.shellEnv.timeoutMs")
            .and_then(Value::as_u64)
            .or_else(|| {
                std::env::var("OPENCLAW_SHELL_ENV_TIMEOUT_MS")
                    .ok()
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(15_000);
        let missing: Vec<&String> = expected_names
            .iter()
            .filter(|name| std::env::var_os(name).is_none())
            .collect();
        if !missing.is_empty() {
            match login_shell_env(Duration::from_millis(timeout)) {
                Ok(pairs) => {
                    for (name, value) in pairs {
                        if missing.contains(&&name) && set_if_missing(&name, &value) {
                            imported.push(Imported {
                                name,
                                source: "shell env",
                            });
                        }
                    }
                }
                Err(err) => warnings.push(format!("env.shellEnv: {err}")),
            }
        }
    }
    (imported, warnings)
}

fn shell_env_enabled(config: &Config) -> bool {
    config
        .get("env.shellEnv.enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || std::env::var("OPENCLAW_LOAD_SHELL_ENV").is_ok_and(|v| v.trim() == "1")
}

fn set_if_missing(name: &str, value: &str) -> bool {
    if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
        return false;
    }
    if std::env::var_os(name).is_some() {
        return false;
    }
    // SAFETY: called while the process is still single-threaded (before any plugin starts its
    // runtime), so no other thread reads the environment concurrently.
    unsafe { std::env::set_var(name, value) };
    true
}

/// The pairs in a `.env` file; `Err(None)` when there is no file.
/// The largest `.env` read (a handful of variables).
const MAX_ENV_FILE_BYTES: u64 = 1024 * 1024;

fn read_env_file(path: &Path) -> Result<Vec<(String, String)>, Option<String>> {
    let bytes = match provider_host::bounded::read(path, MAX_ENV_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(err) if err.is_missing() => return Err(None),
        Err(err) => return Err(Some(err.to_string())),
    };
    let iter = dotenvy::from_read_iter(std::io::Cursor::new(bytes));
    let mut pairs = Vec::new();
    for item in iter {
        match item {
            Ok(pair) => pairs.push(pair),
            Err(err) => {
                return Err(Some(format!(
                    "{}: not a valid .env file: {err}",
                    path.display()
                )));
            }
        }
    }
    Ok(pairs)
}

const MARKER: &str = "__OPENCLAW_SHELL_ENV__";

/// Runs the login shell once and reads its environment, within `timeout`.
fn login_shell_env(timeout: Duration) -> Result<Vec<(String, String)>, String> {
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "/bin/sh".into());
    let script = format!("printf '{MARKER}\\0'; env -0");
    let interactive_bash = Path::new(&shell)
        .file_name()
        .is_some_and(|name| name == "bash");
    let mut command = Command::new(&shell);
    command
        .arg(if interactive_bash { "-lic" } else { "-lc" })
        .arg(&script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command
        .spawn()
        .map_err(|err| format!("cannot start {shell}: {err}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout from the shell")?;
    let reader = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = stdout.read_to_end(&mut buffer);
        buffer
    });
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{shell} did not finish within {} ms",
                    timeout.as_millis()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => return Err(format!("waiting for {shell}: {err}")),
        }
    }
    let output = reader
        .join()
        .map_err(|_| "reading the shell's output failed")?;
    let text = String::from_utf8_lossy(&output);
    let after_marker = text
        .split_once(&format!("{MARKER}\0"))
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{shell} printed no environment"))?;
    Ok(after_marker
        .split('\0')
        .filter_map(|entry| entry.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}
