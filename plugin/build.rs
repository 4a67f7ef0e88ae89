//! Development convenience: copies the plugin manifest next to the built library
//! (`target/<profile>/openclaw.plugin.json`), so `cargo run -p host-stub` finds the freshly built
//! plugin through its executable-directory fallback. Packaging never relies on this.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=openclaw.plugin.json");
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        return;
    };
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    let Some(profile_dir) = Path::new(&out_dir).ancestors().nth(3).map(PathBuf::from) else {
        return;
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("openclaw.plugin.json");
    if let Err(err) = std::fs::copy(&source, profile_dir.join("openclaw.plugin.json")) {
        println!("cargo::warning=could not stage the plugin manifest: {err}");
    }
}
