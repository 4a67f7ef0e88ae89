//! The router responses captured from the real service (`tests/fixtures/hf-router`, their
//! origins in its `SOURCES.md`), for the unit tests of every module that reads such answers.

/// A captured response, by file name.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/hf-router")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The captured chat streams that run to their end, one per upstream.
pub const COMPLETE_STREAMS: [&str; 8] = [
    "chat.stream.together.sse",
    "chat.stream.fireworks-ai.sse",
    "chat.stream.cerebras.sse",
    "chat.stream.hf-inference.sse",
    "chat.stream.novita.sse",
    "chat.stream.nebius.sse",
    "chat.stream.hyperbolic.sse",
    "chat.stream.sambanova.sse",
];
