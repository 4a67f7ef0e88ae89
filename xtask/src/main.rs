//! `cargo xtask dist [--out DIR] [--archive] [--target TRIPLE]...`: builds the release plugin
//! and bridge and assembles the distributable folder (default `target/dist/huggingface`); with
//! `--archive`, also one `openclaw-huggingface-<version>-<os>-<arch>.tgz` per target and
//! `SHA256SUMS` beside it. See `xtask::dist`.
//!
//! `xtask manifest DIR`: writes `DIR/openclaw.plugin.json` for the plugin library built in `DIR`
//! (the cargo runner does this after each build, so `cargo run` finds the fresh plugin).
//!
//! `xtask settings`: rewrites the settings table of `docs/openclaw.md` from the plugin's
//! settings schema (see `xtask::settings_table`).

use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("dist") => {}
        Some("settings") => {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
            return finish(xtask::settings_table::write(&root));
        }
        Some("manifest") => {
            let Some(dir) = args.next().map(PathBuf::from) else {
                return usage();
            };
            let library = dir.join(xtask::library_file());
            return finish(xtask::write_manifest(&library, &dir.join(xtask::MANIFEST)));
        }
        _ => return usage(),
    }
    let mut options = xtask::dist::Options::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--archive" => options.archive = true,
            "--out" | "--target" => {
                let Some(value) = args.next() else {
                    return usage();
                };
                if arg == "--out" {
                    options.folder = Some(PathBuf::from(value));
                } else {
                    options.targets.push(value);
                }
            }
            _ => return usage(),
        }
    }
    finish(xtask::dist::run(&options).map(|report| {
        let assembled = &report.assembled;
        for (name, size) in &assembled.files {
            eprintln!("  {name:<76} {:>8.1} KiB", *size as f64 / 1024.0);
        }
        eprintln!(
            "  {:<76} {:>8.1} MiB",
            "total",
            assembled.total_bytes() as f64 / (1024.0 * 1024.0)
        );
        println!("{}", assembled.folder.display());
        if let Some(packed) = &report.packed {
            for archive in packed.archives.iter().chain([&packed.checksums]) {
                println!("{}", archive.display());
            }
        }
    }))
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask dist [--out DIR] [--archive] [--target TRIPLE]... | cargo xtask manifest DIR | cargo xtask settings"
    );
    ExitCode::from(2)
}
