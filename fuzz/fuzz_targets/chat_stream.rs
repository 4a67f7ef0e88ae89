//! A streamed chat response: the framer and the normaliser over any bytes. Errors are typed and
//! never carry the token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::chat::{normalize::StreamState, sse::Framer};

const SECRET: &str = "hf_FUZZsecretTOKENvalue000";

fuzz_target!(|input: &[u8]| {
    let mut framer = Framer::new();
    let mut state = StreamState::new();
    let mut out = Vec::new();
    let mut failed = None;
    let mut on_event = |event: openclaw_huggingface::chat::sse::Event<'_>| {
        if failed.is_none()
            && let Err(error) = state.on_data(event.data, Some(SECRET), &mut out)
        {
            failed = Some(error);
        }
    };
    framer.feed(input, &mut on_event);
    framer.finish(&mut on_event);
    if let Some(error) = failed {
        assert!(
            !error.message.contains(SECRET),
            "the token leaked: {}",
            error.message
        );
    } else {
        let _ = state.finish("org/model", Some("fuzz"), &mut out);
    }
});
