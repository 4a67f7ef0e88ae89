//! `cargo xtask dist` refuses targets it cannot build before building anything, saying how to
//! get them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn dist(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("dist")
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn rustc(args: &[&str]) -> String {
    let output = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_target_that_is_not_installed_is_named_with_the_way_to_add_it() {
    let sysroot = rustc(&["--print", "sysroot"]);
    let installed = |triple: &str| {
        std::path::Path::new(sysroot.trim())
            .join("lib/rustlib")
            .join(triple)
            .join("lib")
            .is_dir()
    };
    let Some(missing) = [
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
        "aarch64-unknown-linux-gnu",
        "x86_64-unknown-linux-gnu",
    ]
    .into_iter()
    .find(|triple| !installed(triple)) else {
        eprintln!("every candidate target is installed here; nothing to refuse");
        return;
    };
    let (code, stderr) = dist(&["--archive", "--target", missing]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("the Rust target {missing} is not installed"))
            && stderr.contains(&format!("rustup target add {missing}")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("building"),
        "built before refusing: {stderr}"
    );
}

#[test]
fn triples_it_cannot_package_for_are_refused_with_the_reason() {
    let (code, stderr) = dist(&["--target", "x86_64-unknown-linux-gnux"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("not a target this rustc knows"), "{stderr}");

    let (code, stderr) = dist(&["--target", "x86_64-pc-windows-msvc"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("Unix only"), "{stderr}");

    let (code, stderr) = dist(&["--target"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("usage"), "{stderr}");
}
