//! Embedding answers: any body, read as OpenAI's shape or as hf-inference's nested arrays for a
//! batch of 1–8 texts, gives either exactly one finite vector per text, all of one length, or a
//! message free of the token and of raw control characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::embeddings::vectors::{self, Batch, Unusable};

use openclaw_fuzz::assert_message_safe;

fn check(answer: Result<Batch, Unusable>, texts: usize) {
    match answer {
        Ok(batch) => {
            assert_eq!(batch.vectors.len(), texts);
            let dimensions = batch.vectors[0].len();
            assert!((1..=vectors::MAX_DIMENSIONS).contains(&dimensions));
            for vector in &batch.vectors {
                assert_eq!(vector.len(), dimensions);
                assert!(vector.iter().all(|component| component.is_finite()));
            }
        }
        Err(Unusable::Malformed(message)) => assert_message_safe(&message),
        Err(Unusable::TokenLevel) => {}
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&count, body)) = input.split_first() else {
        return;
    };
    let texts = usize::from(count % 8) + 1;
    check(vectors::openai(body, texts), texts);
    check(vectors::nested(body, texts), texts);
});
