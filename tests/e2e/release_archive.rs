//! The release archive of this build, end to end (debug binaries, stripped as the folder
//! test strips them; no release build): two packs of one commit are byte-identical, the
//! checksum file verifies, and a host-stub installed on its own — as `cargo install --path
//! host-stub` leaves it, with no plugin beside it — installs the plugin from the archive
//! unpacked with `tar`, as the README says. Real OpenClaw installing the archive itself is in
//! `openclaw_install`.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use openclaw_e2e::{Run, Sandbox, artifacts, openclaw::pack_archive, spawn};
use sha2::Digest;
use xtask::archive::{CHECKSUMS, NPM_EPOCH, epoch_from};

#[test]
fn two_packs_of_one_commit_are_byte_identical() {
    // Each run assembles its own folder from the build — copies stripped afresh, new file
    // times — with SOURCE_DATE_EPOCH fixed.
    let mtime = epoch_from(Some("1700000000")).unwrap();
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = pack_archive(first.path(), mtime);
    let b = pack_archive(second.path(), mtime);
    let name = |path: &Path| path.file_name().unwrap().to_owned();
    assert_eq!(name(&a.archives[0]), name(&b.archives[0]));
    assert!(
        std::fs::read(&a.archives[0]).unwrap() == std::fs::read(&b.archives[0]).unwrap(),
        "{} and {} differ",
        a.archives[0].display(),
        b.archives[0].display()
    );
    assert_eq!(
        std::fs::read_to_string(&a.checksums).unwrap(),
        std::fs::read_to_string(&b.checksums).unwrap()
    );
}

/// Checks every line of a `SHA256SUMS` file against the file it names, hashing it here.
fn verify_checksums(checksums: &Path) -> Vec<PathBuf> {
    let dir = checksums.parent().unwrap();
    let text = std::fs::read_to_string(checksums).unwrap();
    let mut verified = Vec::new();
    for line in text.lines() {
        let (expected, name) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("not sha256sum's format: {line:?}"));
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let actual: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(actual, expected, "{name}");
        verified.push(dir.join(name));
    }
    verified
}

/// Runs `program args…` in the sandbox's environment.
fn run(sandbox: &Sandbox, program: &Path, args: &[&str]) -> Run {
    let mut command = sandbox.command_for(program);
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Run::from_output(&spawn(&mut command).wait_with_output().unwrap())
}

#[test]
fn an_installed_host_stub_installs_the_plugin_from_the_unpacked_archive() {
    let sandbox = Sandbox::new();
    let packed = pack_archive(&sandbox.root().join("build"), NPM_EPOCH);
    assert_eq!(packed.checksums.file_name().unwrap(), CHECKSUMS);
    assert_eq!(verify_checksums(&packed.checksums), packed.archives);
    let archive = &packed.archives[0];
    let platform = provider_host::manifest::platform();
    assert!(
        archive
            .to_string_lossy()
            .ends_with(&format!("-{platform}.tgz")),
        "{}",
        archive.display()
    );

    // host-stub alone in a directory of its own, as `cargo install` puts it.
    let bin = sandbox.root().join("cargo-home/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let host_stub = bin.join("host-stub");
    std::fs::copy(&artifacts().host_stub, &host_stub).unwrap();
    let listing = run(&sandbox, &host_stub, &["plugins", "list", "--json"]).json();
    assert_eq!(listing["plugins"], serde_json::json!([]), "{listing}");

    // The README's steps: unpack, install the package folder.
    let unpacked = sandbox.root().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let tar = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(tar.success());
    let package = unpacked.join("package");
    for file in [
        "openclaw.plugin.json",
        "package.json",
        "index.js",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        assert!(
            package.join(file).is_file(),
            "{file} missing from the archive"
        );
    }
    let installed = run(
        &sandbox,
        &host_stub,
        &["plugins", "install", package.to_str().unwrap()],
    );
    assert!(
        installed.ok().contains("installed huggingface"),
        "{installed}"
    );

    let listing = run(&sandbox, &host_stub, &["plugins", "list", "--json"]).json();
    let plugin = &listing["plugins"][0];
    assert_eq!(plugin["id"], "huggingface", "{listing}");
    assert_eq!(plugin["origin"], "state-dir");
    // The licences travel with the code they licence.
    let installed_dir = std::path::PathBuf::from(plugin["dir"].as_str().unwrap());
    for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(
            installed_dir.join(licence).is_file(),
            "{licence} not installed"
        );
    }
    let models = run(&sandbox, &host_stub, &["models", "list", "--json"]);
    assert!(
        models.ok().contains("huggingface/deepseek-ai/DeepSeek-R1"),
        "{models}"
    );
}
