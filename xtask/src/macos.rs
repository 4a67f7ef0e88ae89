//! What macOS asks of the binaries: on Apple silicon every executable and library must carry a
//! valid code signature — an ad-hoc one (`codesign -s -`) is enough — or the kernel refuses it
//! ("Killed: 9", "code signature invalid"). Apple's linker signs ad hoc by default, but a strip
//! by a tool other than Apple's own breaks that signature. So every Apple binary that goes into
//! a folder is verified, and signed afresh ad hoc when the signature does not hold.
//!
//! `codesign` exists only on macOS; a folder assembled elsewhere with Apple binaries in it
//! (a cross build) gets a note instead, and the check is up to a Mac.

use std::{path::Path, process::Command};

/// Makes sure `file` carries a valid signature (at least ad hoc), when this machine can tell.
pub fn check_signature(file: &Path) -> Result<(), String> {
    if !cfg!(target_os = "macos") {
        eprintln!(
            "note: {} is macOS code; its signature can only be checked on a Mac: codesign --verify --strict {0}",
            file.display()
        );
        return Ok(());
    }
    if codesign(&["--verify", "--strict"], file)? {
        return Ok(());
    }
    eprintln!(
        "note: {} has no valid signature (stripped by another tool?); signing it ad hoc",
        file.display()
    );
    if codesign(&["--force", "--sign", "-"], file)? && codesign(&["--verify", "--strict"], file)? {
        return Ok(());
    }
    Err(format!(
        "{} cannot be signed: macOS would refuse to load it (codesign --force --sign - {0})",
        file.display()
    ))
}

/// Runs `codesign args… file`; whether it succeeded.
fn codesign(args: &[&str], file: &Path) -> Result<bool, String> {
    let status = Command::new("codesign")
        .args(args)
        .arg(file)
        .status()
        .map_err(|err| format!("cannot run codesign: {err}"))?;
    Ok(status.success())
}
