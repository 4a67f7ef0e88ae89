//! `GET /v1/models` bodies: parsed and projected, whatever they hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::catalog::{projection, wire};

fuzz_target!(|body: &[u8]| {
    if let Ok(rows) = wire::parse_model_list(body) {
        for model in projection::project(&rows) {
            assert!(!model.id.is_empty());
        }
    }
});
