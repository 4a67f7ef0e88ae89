//! Plugin manifests (`openclaw.plugin.json`), read before any library is loaded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let _ = provider_host::manifest::parse_manifest(text, "openclaw.plugin.json".into());
});
