//! `<think>` splitting: text pushed in any pieces splits as the whole text does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::chat::think::{ThinkSplitter, split_all};

fuzz_target!(|input: &[u8]| {
    let Some((&cut, rest)) = input.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let whole = split_all(text);
    let mut at = usize::from(cut) % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut splitter = ThinkSplitter::new();
    let (mut visible, mut reasoning) = (String::new(), String::new());
    for piece in [&text[..at], &text[at..]] {
        let split = splitter.push(piece);
        visible.push_str(&split.text);
        reasoning.push_str(&split.reasoning);
    }
    let last = splitter.finish();
    visible.push_str(&last.text);
    reasoning.push_str(&last.reasoning);
    assert_eq!(
        (visible, reasoning),
        (whole.text, whole.reasoning),
        "cut at {at}"
    );
});
