//! `stored_tokens`, the INI file `hf auth login` leaves beside the token file: any text reads as
//! sections without a panic, and what is written back reads as the same sections.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_huggingface::oauth::files::{parse_ini, render_ini};

fuzz_target!(|text: &str| {
    let sections = parse_ini(text);
    let written = render_ini(&sections);
    let mut sorted = sections;
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let again = parse_ini(&written);
    // Section names and keys that could not survive a round trip in any INI reader (a `]`, a
    // delimiter or a line break inside) are not what huggingface_hub writes; the rest must.
    let plain = sorted.iter().all(|s| {
        !s.name.contains([']', '\n', '\r'])
            && s.entries.iter().all(|(k, v)| {
                !k.is_empty()
                    && !k.contains(['=', ':', '\n', '\r', '[', '#', ';'])
                    && !v.contains('\r')
                    && v.trim() == v
            })
    });
    if plain {
        assert_eq!(again, sorted, "{written:?}");
    }
});
