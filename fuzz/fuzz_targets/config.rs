//! The configuration file (JSON5) and config paths.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let _ = host_stub::config::parse(text, std::path::Path::new("openclaw.json"));
    if let Ok(keys) = host_stub::config::split_path(text) {
        assert!(!keys.is_empty());
    }
});
