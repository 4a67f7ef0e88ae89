//! Model refs, as users and configurations write them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::{catalog::builtin::builtin_catalog, refs};

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    if let Ok(parsed) = refs::parse(text) {
        let _ = parsed.wire_id();
    }
    thread_local! {
        static KNOWN: Vec<openclaw_provider_abi::ModelInfo> = builtin_catalog();
    }
    KNOWN.with(|known| {
        if let Ok(resolved) = refs::resolve(text, known) {
            assert!(!resolved.wire_model_id.is_empty());
        }
    });
});
