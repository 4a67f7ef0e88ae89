//! The Hub's `whoami-v2` answer, read while validating a token during onboarding: any body
//! becomes account facts or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::onboarding::account_from_body;

fuzz_target!(|body: &[u8]| {
    if let Ok(account) = account_from_body(body) {
        // The summary always names what was decided about the token.
        assert!(!account.message.is_empty());
    }
});
