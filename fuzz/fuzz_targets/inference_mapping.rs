//! The Hub's inference-provider mapping: any body gives bounded, non-empty entries or a message
//! free of the token and of raw control characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::mapping;

use openclaw_fuzz::assert_message_safe;

fuzz_target!(|body: &[u8]| {
    match mapping::parse(body) {
        Ok(entries) => {
            for entry in entries {
                for text in [&entry.provider, &entry.provider_id, &entry.status] {
                    assert!(!text.is_empty() && text.len() <= 256, "{text:?}");
                }
            }
        }
        Err(message) => assert_message_safe(&message),
    }
});
