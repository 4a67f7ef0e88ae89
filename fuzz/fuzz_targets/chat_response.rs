//! A one-shot chat response body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::chat::normalize::one_shot;

const SECRET: &str = "hf_FUZZsecretTOKENvalue000";

fuzz_target!(|body: &[u8]| {
    if let Err(error) = one_shot(body, "org/model", None, Some(SECRET)) {
        assert!(
            !error.message.contains(SECRET),
            "the token leaked: {}",
            error.message
        );
        assert!(
            !error.message.chars().any(char::is_control),
            "a raw control character in: {:?}",
            error.message
        );
    }
});
