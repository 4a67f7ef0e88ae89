//! The media upstreams' answers: any body read as a transcript, a fal queue ticket or a replicate
//! prediction gives bounded text free of control characters (but line breaks), ordered timings,
//! and queue paths that cannot climb out of their place; sniffing any bytes never fails.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::media::{queue, sniff, transcription};

use openclaw_fuzz::assert_message_safe;

fuzz_target!(|body: &[u8]| {
    let _ = (sniff::image(body), sniff::audio(body));
    let Ok(document) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    if let Some(transcript) = transcription::read_transcript(&document) {
        assert!(!transcript.text.chars().any(|c| c.is_control() && c != '\n'));
        for segment in &transcript.segments {
            assert!(
                segment.start.is_finite() && segment.start <= segment.end,
                "{segment:?}"
            );
        }
    }
    match queue::fal_ticket(&document) {
        Ok(queue::Ticket::Fal { path }) => {
            assert!(
                path.split('/')
                    .all(|part| !part.is_empty() && part != "." && part != "..")
            );
            assert!(!path.contains(['%', '?', '#', '\\']), "{path}");
        }
        Ok(other) => panic!("{other:?}"),
        Err(error) => assert_message_safe(&error.message),
    }
    match queue::replicate_ticket(&document) {
        Ok(Some(queue::Ticket::Replicate { id })) => {
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "{id}"
            );
            assert!(id != "." && id != "..");
        }
        Ok(_) => {
            if let Err(error) = queue::replicate_outcome(&document) {
                assert_message_safe(&error.message);
            }
        }
        Err(error) => assert_message_safe(&error.message),
    }
});
