//! The end-to-end harness: builds the real libraries and binaries once per test process, stages
//! plugin folders in temporary directories, and runs `host-stub` in a sandboxed home.
//!
//! `cargo test` never builds a `cdylib` that nothing links, and a build script cannot run cargo
//! while cargo holds the build lock, so [`artifacts`] runs `$CARGO build` itself the first time a
//! test asks (the outer cargo has released the lock by then). Everything runs against the same
//! target directory, so a warm build costs a fraction of a second.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test harness: a failure here is a test failure

pub mod fixtures;
pub mod loopback;
pub mod measure;
pub mod mock_router;
pub mod openclaw;
pub mod process;
pub mod sandbox;
pub mod tls_front;
pub mod tls_proxy;

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

pub use mock_router::{
    MockRouter, Reply, StreamEnd, chat_chunks, fixture, models_body, paths, stream_body,
};
pub use sandbox::{Run, SENTINEL_TOKEN, Sandbox, files_under};

/// Starts `command`, retrying while its program is "text file busy". A test that copies an
/// executable and runs it can race another test thread's fork: the forked child holds the copy's
/// still-open file descriptor until it execs, and Linux refuses to run a file open for writing.
pub fn spawn(command: &mut std::process::Command) -> std::process::Child {
    let mut attempts = 0;
    loop {
        match command.spawn() {
            Err(err) if err.raw_os_error() == Some(libc::ETXTBSY) && attempts < 50 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            result => {
                return result
                    .unwrap_or_else(|err| panic!("starting {:?}: {err}", command.get_program()));
            }
        }
    }
}

/// A temporary directory named `<prefix>…` holding the (empty) directories `subdirs`.
pub(crate) fn temp_dir(prefix: &str, subdirs: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("a temporary directory");
    for sub in subdirs {
        std::fs::create_dir_all(dir.path().join(sub)).expect("a temporary directory's contents");
    }
    dir
}

/// A call context for the router at `base_url`, carrying the sentinel token.
pub fn call_context(base_url: &str) -> openclaw_provider_abi::CallContext {
    openclaw_provider_abi::CallContext {
        credential: openclaw_provider_abi::Secret::new(SENTINEL_TOKEN).into(),
        base_url: Some(base_url.into()).into(),
        ..openclaw_provider_abi::CallContext::anonymous()
    }
}

/// Paths of everything the tests run.
#[derive(Debug)]
pub struct Artifacts {
    /// `target/<profile>`.
    pub profile_dir: PathBuf,
    /// The `host-stub` binary.
    pub host_stub: PathBuf,
    /// The `openclaw-provider-bridge` binary.
    pub bridge: PathBuf,
    /// The Hugging Face plugin library.
    pub hf_library: PathBuf,
    /// The Hugging Face plugin's manifest, generated from its library as packaging does.
    pub hf_manifest: PathBuf,
    /// The echo test provider library.
    pub echo_library: PathBuf,
    /// A shared library without a root module.
    pub not_a_plugin_library: PathBuf,
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits in the workspace")
        .to_path_buf()
}

/// The platform's file name for a library base name.
pub fn library_file(base: &str) -> String {
    format!(
        "{}{base}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Builds (once per process) the host, the Hugging Face plugin and the test providers.
pub fn artifacts() -> &'static Artifacts {
    static ARTIFACTS: OnceLock<Artifacts> = OnceLock::new();
    ARTIFACTS.get_or_init(|| {
        // current_exe is target/<profile>/deps/<test binary>.
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
        let mut command = cargo();
        command.current_dir(workspace_root()).args([
            "build",
            "--quiet",
            "-p",
            "openclaw-huggingface",
            "-p",
            "host-stub",
            "-p",
            "openclaw-provider-bridge",
            "-p",
            "openclaw-echo-provider",
            "-p",
            "openclaw-not-a-plugin",
            "--target-dir",
        ]);
        command.arg(&target_dir);
        if profile_dir.ends_with("release") {
            command.arg("--release");
        }
        let status = command.status().expect("running cargo build");
        assert!(
            status.success(),
            "building the plugins and host-stub failed"
        );
        let hf_library = profile_dir.join(library_file("openclaw_huggingface"));
        let hf_manifest = profile_dir.join(xtask::MANIFEST);
        xtask::write_manifest(&hf_library, &hf_manifest)
            .unwrap_or_else(|err| panic!("generating the plugin manifest: {err}"));
        Artifacts {
            host_stub: profile_dir.join("host-stub"),
            bridge: profile_dir.join("openclaw-provider-bridge"),
            hf_library,
            hf_manifest,
            echo_library: profile_dir.join(library_file("openclaw_echo_provider")),
            not_a_plugin_library: profile_dir.join(library_file("openclaw_not_a_plugin")),
            profile_dir,
        }
    })
}

/// Copies a plugin (manifest + library) into `dir`, creating it.
pub fn stage_plugin(dir: &Path, manifest: &Path, library: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(manifest, dir.join("openclaw.plugin.json")).unwrap();
    std::fs::copy(library, dir.join(library.file_name().unwrap())).unwrap();
}

/// Stages the Hugging Face plugin into `dir`.
pub fn stage_hf(dir: &Path) {
    stage_plugin(dir, &artifacts().hf_manifest, &artifacts().hf_library);
}

/// Stages the echo test provider into `dir`.
pub fn stage_echo(dir: &Path) {
    stage_plugin(
        dir,
        &workspace_root().join("tests/providers/echo/openclaw.plugin.json"),
        &artifacts().echo_library,
    );
}
