//! A streamed chat response: the framer and the normaliser over any bytes. Errors are typed and
//! never carry the token, and whatever the numbers in the input (tool-call indexes, usage
//! counts), nothing is allocated in proportion to them: run.sh's `-malloc_limit_mb` makes an
//! oversized allocation a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::chat::{normalize::StreamState, sse::Framer};

use openclaw_fuzz::{SECRET, assert_message_safe};

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
    let framed = framer
        .feed(input, &mut on_event)
        .and_then(|()| framer.finish(&mut on_event));
    if framed.is_err() {
        return; // an oversized event: refused, nothing more to check
    }
    if let Some(error) = failed {
        assert_message_safe(&error.message);
    } else {
        let _ = state.finish("org/model", Some("fuzz"), &mut out);
    }
});
