//! A one-shot chat response body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::chat::normalize::one_shot;

use openclaw_fuzz::{SECRET, assert_message_safe};

fuzz_target!(|body: &[u8]| {
    if let Err(error) = one_shot(body, "org/model", None, Some(SECRET)) {
        assert_message_safe(&error.message);
    }
});
