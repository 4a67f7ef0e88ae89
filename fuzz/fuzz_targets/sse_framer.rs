//! The SSE framer: any bytes, fed whole or cut anywhere, frame into the same events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::chat::sse::Framer;

fn frame(pieces: &[&[u8]]) -> Vec<(String, String)> {
    let mut framer = Framer::new();
    let mut events = Vec::new();
    let mut keep = |event: openclaw_huggingface::chat::sse::Event<'_>| {
        events.push((event.name.to_owned(), event.data.to_owned()))
    };
    for piece in pieces {
        framer.feed(piece, &mut keep);
    }
    framer.finish(&mut keep);
    events
}

fuzz_target!(|input: &[u8]| {
    let Some((&cut, body)) = input.split_first() else {
        return;
    };
    let at = usize::from(cut) % (body.len() + 1);
    let whole = frame(&[body]);
    let split = frame(&[&body[..at], &body[at..]]);
    let bytewise: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(whole, split, "cut at {at}");
    assert_eq!(whole, frame(&bytewise), "fed byte by byte");
});
