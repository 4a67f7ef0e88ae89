//! Plugin discovery, loading and refusal, end to end: the real `host-stub` binary and the real
//! plugin libraries, staged in temporary plugin directories — what is found and listed
//! ([`discovery`]), what is refused and why ([`refusals`]), and `plugins install` ([`install`]).

mod discovery;
mod install;
mod refusals;

use std::path::Path;

fn manifest_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("openclaw.plugin.json");
    let mut manifest = manifest_json(&path);
    edit(&mut manifest);
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
}
