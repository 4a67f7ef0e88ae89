//! Error responses: any status and body become a typed error that never carries the token or a
//! raw control character.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::errors::{Operation, from_response, parse_error_body, parse_retry_after};

use openclaw_fuzz::{SECRET, assert_message_safe};

fuzz_target!(|input: &[u8]| {
    let Some((status, body)) = input.split_first_chunk::<2>() else {
        return;
    };
    let status = 400 + u16::from_be_bytes(*status) % 200;
    let _ = parse_error_body(body);
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = parse_retry_after(text, std::time::SystemTime::now());
        if let Ok(value) = reqwest::header::HeaderValue::from_str(text) {
            headers.insert("retry-after", value.clone());
            headers.insert("x-error-message", value);
        }
    }
    for operation in [
        Operation::Discovery,
        Operation::Validation,
        Operation::Chat { model: "org/m" },
    ] {
        let error = from_response(status, &headers, body, operation, Some(SECRET));
        assert_message_safe(&error.message);
    }
});
