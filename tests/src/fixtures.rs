//! Plugins built against other versions of the interface than the workspace's, each in a
//! workspace of its own under the target directory (the real workspace cannot hold two packages
//! named `openclaw-provider-abi`, and must never see a broken one): the echo provider against a
//! copy of today's interface with its major bumped to 2.0 (what a plugin for an incompatible
//! host looks like), and the legacy provider against interface 1.1 as it was released.

use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
};

use crate::{artifacts, cargo, library_file, stage_plugin, workspace_root};

/// Stages the legacy test provider (built against interface 1.1) into `dir`.
pub fn stage_legacy(dir: &Path) {
    stage_plugin(
        dir,
        &workspace_root().join("tests/providers/legacy/openclaw.plugin.json"),
        legacy_library(),
    );
}

/// The legacy provider's library: `tests/providers/legacy` built against the vendored interface
/// 1.1.0 beside it, laid out as in the repository.
pub fn legacy_library() -> &'static Path {
    static LIBRARY: OnceLock<PathBuf> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let providers = workspace_root().join("tests/providers");
        let fixture = fixture_dir("interface-1.1");
        copy_tree_if_changed(&providers.join("legacy"), &fixture.join("legacy"));
        copy_tree_if_changed(
            &providers.join("vendor/openclaw-provider-abi-1.1.0"),
            &fixture.join("vendor/openclaw-provider-abi-1.1.0"),
        );
        build(&fixture, &["legacy"], "openclaw-legacy-provider");
        fixture
            .join("target/debug")
            .join(library_file("openclaw_legacy_provider"))
    })
}

/// Builds (once per process) the echo provider against a copy of the interface crate whose
/// major version is bumped to 2.0.0. Returns the library.
pub fn echo_built_against_interface_v2() -> &'static Path {
    static LIBRARY: OnceLock<PathBuf> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let root = workspace_root();
        let fixture = fixture_dir("interface-v2");
        let abi_manifest = r#"[package]
name = "openclaw-provider-abi"
version = "2.0.0"
edition = "2024"

[dependencies]
abi_stable = { version = "0.11.3", default-features = false }
libloading = "0.9"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#;
        let echo_manifest = r#"[package]
name = "openclaw-echo-provider"
version = "0.3.0"
edition = "2024"

[lib]
name = "openclaw_echo_provider"
crate-type = ["cdylib"]

[dependencies]
openclaw-provider-abi = { path = "../abi" }
abi_stable = { version = "0.11.3", default-features = false }
serde_json = "1"
"#;
        write_if_changed(&fixture.join("abi/Cargo.toml"), abi_manifest);
        write_if_changed(&fixture.join("echo/Cargo.toml"), echo_manifest);
        copy_tree_if_changed(&root.join("plugin/abi/src"), &fixture.join("abi/src"));
        copy_tree_if_changed(
            &root.join("tests/providers/echo/src"),
            &fixture.join("echo/src"),
        );
        build(&fixture, &["abi", "echo"], "openclaw-echo-provider");
        fixture
            .join("target/debug")
            .join(library_file("openclaw_echo_provider"))
    })
}

/// `target/fixtures/<name>`.
fn fixture_dir(name: &str) -> PathBuf {
    artifacts()
        .profile_dir
        .parent()
        .expect("the profile directory is in the target directory")
        .join("fixtures")
        .join(name)
}

/// Builds `package` in the fixture workspace at `fixture` whose members are `members`, with the
/// real workspace's dependency versions (its lock file) and without a registry lookup.
fn build(fixture: &Path, members: &[&str], package: &str) {
    let members: Vec<String> = members.iter().map(|m| format!("{m:?}")).collect();
    write_if_changed(
        &fixture.join("Cargo.toml"),
        &format!(
            "[workspace]\nmembers = [{}]\nresolver = \"3\"\n",
            members.join(", ")
        ),
    );
    if !fixture.join("Cargo.lock").exists() {
        std::fs::copy(
            workspace_root().join("Cargo.lock"),
            fixture.join("Cargo.lock"),
        )
        .unwrap();
    }
    let status = cargo()
        .current_dir(fixture)
        .args(["build", "--quiet", "-p", package, "--target-dir"])
        .arg(fixture.join("target"))
        .status()
        .expect("running cargo build");
    assert!(
        status.success(),
        "building {package} in {} failed",
        fixture.display()
    );
}

fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

fn copy_tree_if_changed(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree_if_changed(&entry.path(), &target);
        } else {
            write_if_changed(&target, &std::fs::read_to_string(entry.path()).unwrap());
        }
    }
}
