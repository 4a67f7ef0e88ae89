//! The real OpenClaw CLI for tests and benchmarks: installed once into `target/openclaw/` by
//! `tests/openclaw/setup.sh` (Node 24 and `openclaw@2026.9.6` from the npm registry), and run
//! in an isolated home — its own `HOME`, state dir, config and temp dir, offline, no update
//! checks — so nothing of the machine's leaks in and nothing of the test's leaks out.

use std::{
    ffi::OsStr,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
    time::Duration,
};

use tempfile::TempDir;

use crate::{Run, artifacts, workspace_root};

/// Where Node and the OpenClaw CLI are installed.
#[derive(Debug)]
pub struct Installation {
    pub node: PathBuf,
    /// `…/node_modules/openclaw`.
    pub package: PathBuf,
}

/// Installs Node and OpenClaw (once per machine; later calls only check).
pub fn installation() -> &'static Installation {
    static INSTALLATION: OnceLock<Installation> = OnceLock::new();
    INSTALLATION.get_or_init(|| {
        let script = workspace_root().join("tests/openclaw/setup.sh");
        let output = Command::new("sh")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .expect("running tests/openclaw/setup.sh");
        assert!(
            output.status.success(),
            "installing Node and OpenClaw failed (tests/openclaw/setup.sh needs npm and the npm registry)"
        );
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        Installation {
            node: dir.join("node/bin/node"),
            package: dir.join("cli/node_modules/openclaw"),
        }
    })
}

/// Assembles the distributable plugin folder from this build into `dir` (debug info
/// stripped: OpenClaw copies the folder on every load).
pub fn assemble_folder(dir: &Path) -> PathBuf {
    let folder = dir.join("huggingface");
    xtask::assemble(&artifacts().profile_dir, &folder, true)
        .unwrap_or_else(|err| panic!("assembling the plugin folder: {err}"));
    folder
}

/// Assembles the folder from this build into `dir` and packs its release archive and
/// `SHA256SUMS` into `dir/dist`, as `cargo xtask dist --archive` does; `mtime` stands for
/// `SOURCE_DATE_EPOCH`.
pub fn pack_archive(dir: &Path, mtime: u64) -> xtask::archive::Packed {
    let folder = assemble_folder(dir);
    let packed = xtask::archive::pack(&folder, &dir.join("dist"), mtime)
        .unwrap_or_else(|err| panic!("packing the release archive: {err}"));
    assert_eq!(
        packed.archives.len(),
        1,
        "one platform built, one archive: {packed:?}"
    );
    packed
}

/// The provider bridge of this platform in an assembled (or installed) plugin folder.
pub fn bridge_in(folder: &Path) -> PathBuf {
    folder
        .join(xtask::BINARIES)
        .join(provider_host::manifest::platform())
        .join(xtask::BRIDGE)
}

/// Puts a wrapper in place of the folder's bridge that appends its pid to `log` (one line per
/// bridge process started) and then becomes the real bridge (same pid).
pub fn log_bridge_starts(folder: &Path, log: &Path) {
    let bridge = bridge_in(folder);
    let real = bridge.with_file_name(format!("{}.real", xtask::BRIDGE));
    std::fs::rename(&bridge, &real).expect("moving the bridge aside");
    std::fs::write(
        &bridge,
        format!(
            "#!/bin/sh\necho $$ >> '{}'\nexec \"$(dirname \"$0\")/{}.real\" \"$@\"\n",
            log.display(),
            xtask::BRIDGE
        ),
    )
    .expect("writing the bridge wrapper");
    std::fs::set_permissions(&bridge, std::fs::Permissions::from_mode(0o755))
        .expect("making the wrapper executable");
}

/// The pids `log_bridge_starts` recorded, in order.
pub fn bridge_starts(log: &Path) -> Vec<i32> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect()
}

/// An isolated OpenClaw home.
pub struct Home {
    dir: TempDir,
    env: Vec<(String, String)>,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: crate::temp_dir("openclaw-home-", &[".openclaw", "tmp"]),
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.path().join(".openclaw")
    }

    /// Adds an environment variable for every later command.
    pub fn set_env(&mut self, name: &str, value: &str) -> &mut Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `openclaw args…` in this home.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let installation = installation();
        let home = self.path();
        let node_dir = installation.node.parent().expect("node's bin dir");
        let mut command = Command::new(&installation.node);
        command
            .arg(installation.package.join("openclaw.mjs"))
            .args(args)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", node_dir.display()))
            .env("HOME", home)
            .env("OPENCLAW_HOME", home)
            .env("OPENCLAW_STATE_DIR", self.state_dir())
            .env(
                "OPENCLAW_CONFIG_PATH",
                self.state_dir().join("openclaw.json"),
            )
            .env("TMPDIR", home.join("tmp"))
            .env("OPENCLAW_NO_AUTO_UPDATE", "1")
            .env("OPENCLAW_OFFLINE", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Starts `openclaw args…` in the background, its output going to `log`.
    pub fn spawn<I, S>(&self, args: I, log: &Path) -> std::process::Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let file = std::fs::File::create(log).expect("creating the log file");
        let err = file.try_clone().expect("cloning the log file");
        self.command(args)
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("starting openclaw")
    }

    /// Runs `openclaw args…` to the end (at most three minutes) and collects its output.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting openclaw");
        crate::process::finish_within(child, Duration::from_secs(180), "openclaw")
    }
}
