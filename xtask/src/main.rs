//! `cargo xtask dist [--out DIR]`: builds the release plugin and bridge and assembles the
//! distributable folder (default `target/dist/huggingface`). See `xtask::assemble`.
//!
//! `xtask manifest DIR`: writes `DIR/openclaw.plugin.json` for the plugin library built in `DIR`
//! (the cargo runner does this after each build, so `cargo run` finds the fresh plugin).

use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut out = None;
    match args.next().as_deref() {
        Some("dist") => {}
        Some("manifest") => {
            let Some(dir) = args.next().map(PathBuf::from) else {
                return usage();
            };
            let library = dir.join(xtask::library_file());
            return match xtask::write_manifest(&library, &dir.join(xtask::MANIFEST)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("error: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => return usage(),
    }
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--out", Some(dir)) => out = Some(PathBuf::from(dir)),
            _ => return usage(),
        }
    }
    let root = xtask::workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    eprintln!("building the release plugin and bridge…");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = std::process::Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "-p",
            "openclaw-huggingface",
            "-p",
            "openclaw-provider-bridge",
        ])
        .status();
    if !matches!(built, Ok(status) if status.success()) {
        eprintln!("error: the release build failed");
        return ExitCode::FAILURE;
    }
    let folder = out.unwrap_or_else(|| target.join("dist/huggingface"));
    match xtask::assemble(&target.join("release"), &folder, false) {
        Ok(assembled) => {
            for (name, size) in &assembled.files {
                eprintln!("  {name:<40} {:>8.1} KiB", *size as f64 / 1024.0);
            }
            eprintln!(
                "  {:<40} {:>8.1} MiB",
                "total",
                assembled.total_bytes() as f64 / (1024.0 * 1024.0)
            );
            println!("{}", assembled.folder.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: cargo xtask dist [--out DIR] | cargo xtask manifest DIR");
    ExitCode::from(2)
}
