//! The SSE framer: any bytes, fed whole or cut anywhere, frame into the same events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::chat::sse::Framer;

/// The events framed, and whether the stream was refused as too large, under `limit`.
fn frame(pieces: &[&[u8]], limit: usize) -> (Vec<(String, String)>, bool) {
    let mut framer = Framer::with_max_event_bytes(limit);
    let mut events = Vec::new();
    let mut keep = |event: openclaw_huggingface::chat::sse::Event<'_>| {
        assert!(
            event.data.len() <= limit,
            "an event over the limit came out"
        );
        events.push((event.name.to_owned(), event.data.to_owned()))
    };
    let mut refused = false;
    for piece in pieces {
        refused |= framer.feed(piece, &mut keep).is_err();
    }
    refused |= framer.finish(&mut keep).is_err();
    (events, refused)
}

fuzz_target!(|input: &[u8]| {
    let Some((&cut, body)) = input.split_first() else {
        return;
    };
    let at = usize::from(cut) % (body.len() + 1);
    // A small limit part of the time, so the refusal path is explored as much as framing.
    let limit = if cut & 1 == 0 {
        openclaw_huggingface::chat::sse::MAX_EVENT_BYTES
    } else {
        usize::from(cut >> 1) + 1
    };
    let whole = frame(&[body], limit);
    let split = frame(&[&body[..at], &body[at..]], limit);
    let bytewise: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(whole, split, "cut at {at}");
    assert_eq!(whole, frame(&bytewise, limit), "fed byte by byte");
});
