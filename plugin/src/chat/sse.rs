//! Server-sent events, framed incrementally: bytes go in as they arrive, in pieces of any size,
//! and whole events come out.
//!
//! Follows the WHATWG event-stream rules where they matter to chat streams: lines end with CRLF,
//! LF or CR (a CR at the end of one piece and an LF at the start of the next are one line end);
//! a blank line dispatches the event; `:` starts a comment; `data:` lines accumulate, joined by
//! newlines, with one optional space after the colon removed; `event:` names the event; other
//! fields are ignored. Unlike a browser, [`Framer::finish`] dispatches an event the stream ended
//! in the middle of (some providers close without the final blank line or `[DONE]`).

/// Splits a byte stream into events.
#[derive(Debug, Default)]
pub struct Framer {
    /// The unfinished line carried over from the previous piece.
    line: Vec<u8>,
    /// The previous piece ended with CR: an LF at the start of this one belongs to it.
    after_cr: bool,
    /// `data` of the event being built.
    data: String,
    /// Whether a `data:` field was seen for the event being built.
    has_data: bool,
    /// `event` of the event being built.
    event: String,
}

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    /// The `event:` field, empty for the default `message`.
    pub name: &'a str,
    /// The joined `data:` lines.
    pub data: &'a str,
}

impl Framer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a piece of the stream; `on_event` receives every event it completes.
    pub fn feed(&mut self, mut bytes: &[u8], on_event: &mut dyn FnMut(Event<'_>)) {
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        loop {
            // The common shape — nothing pending, `data: <payload>` then a blank line, LF
            // endings — is handed out as a slice of the input, without copying.
            if self.line.is_empty()
                && !self.has_data
                && self.event.is_empty()
                && let Some((data, consumed)) = simple_event(bytes)
            {
                on_event(Event { name: "", data });
                bytes = &bytes[consumed..];
                continue;
            }
            let Some(end) = memchr::memchr2(b'\n', b'\r', bytes) else {
                break;
            };
            let (line, rest) = bytes.split_at(end);
            let was_cr = rest[0] == b'\r';
            bytes = &rest[1..];
            if was_cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            if self.line.is_empty() {
                self.take_line(line, on_event);
            } else {
                self.line.extend_from_slice(line);
                let whole = std::mem::take(&mut self.line);
                self.take_line(&whole, on_event);
                self.line = whole;
                self.line.clear();
            }
        }
        self.line.extend_from_slice(bytes);
    }

    /// Ends the stream: dispatches what an unterminated last line or event holds.
    pub fn finish(&mut self, on_event: &mut dyn FnMut(Event<'_>)) {
        if !self.line.is_empty() {
            let whole = std::mem::take(&mut self.line);
            self.take_line(&whole, on_event);
        }
        self.dispatch(on_event);
    }

    fn take_line(&mut self, line: &[u8], on_event: &mut dyn FnMut(Event<'_>)) {
        if line.is_empty() {
            self.dispatch(on_event);
            return;
        }
        if line[0] == b':' {
            return; // a comment
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                push_text(&mut self.data, value);
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                push_text(&mut self.event, value);
            }
            _ => {} // id, retry, and unknown fields do not matter here
        }
    }

    fn dispatch(&mut self, on_event: &mut dyn FnMut(Event<'_>)) {
        if self.has_data {
            on_event(Event {
                name: &self.event,
                data: &self.data,
            });
        }
        self.data.clear();
        self.event.clear();
        self.has_data = false;
    }
}

/// Appends bytes as text (invalid UTF-8 becomes U+FFFD), validating with the fast path.
fn push_text(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// `data:[ ]<payload>\n\n` at the start of `bytes`, with a payload that is valid UTF-8 and
/// holds no CR: the payload and how many bytes the event took.
fn simple_event(bytes: &[u8]) -> Option<(&str, usize)> {
    let after = bytes.strip_prefix(b"data:")?;
    let start = 5 + usize::from(after.first() == Some(&b' '));
    let line_end = start + memchr::memchr(b'\n', &bytes[start..])?;
    if bytes.get(line_end + 1) != Some(&b'\n') {
        return None;
    }
    let payload = &bytes[start..line_end];
    if memchr::memchr(b'\r', payload).is_some() {
        return None;
    }
    let text = std::str::from_utf8(payload).ok()?;
    Some((text, line_end + 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame_pieces(pieces: &[&[u8]]) -> Vec<(String, String)> {
        let mut framer = Framer::new();
        let mut events = Vec::new();
        let mut collect =
            |event: Event<'_>| events.push((event.name.to_owned(), event.data.to_owned()));
        for piece in pieces {
            framer.feed(piece, &mut collect);
        }
        framer.finish(&mut collect);
        events
    }

    fn frame(bytes: &[u8]) -> Vec<(String, String)> {
        frame_pieces(&[bytes])
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/hf-router")
                .join(name),
        )
        .unwrap()
    }

    const CAPTURES: [&str; 9] = [
        "chat.stream.together.sse",
        "chat.stream.fireworks-ai.sse",
        "chat.stream.cerebras.sse",
        "chat.stream.hf-inference.sse",
        "chat.stream.novita.sse",
        "chat.stream.nebius.sse",
        "chat.stream.hyperbolic.sse",
        "chat.stream.sambanova.sse",
        "chat.stream.together.deepseek-r1.excerpt.sse",
    ];

    #[test]
    fn reads_every_field_form() {
        let events = frame(
            b": comment\n\ndata: one\n\ndata:two\r\n\r\nevent: error\ndata: {\"x\":1}\n\n\
              data: multi\ndata:  line\n\nid: 7\nretry: 10\n\ndata\n\nignored: field\ndata: last",
        );
        let expected: Vec<(String, String)> = [
            ("", "one"),
            ("", "two"),
            ("error", "{\"x\":1}"),
            ("", "multi\n line"),
            ("", ""),
            ("", "last"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        assert_eq!(events, expected);
    }

    #[test]
    fn line_endings_of_every_kind_mix() {
        assert_eq!(frame(b"data: a\r\rdata: b\n\ndata: c\r\n\r\n").len(), 3);
        // A CR ending one piece and an LF starting the next are one line end, not two.
        let split = frame_pieces(&[b"data: a\r", b"\ndata: b\r\n\r\n"]);
        assert_eq!(split, vec![(String::new(), "a\nb".to_owned())]);
    }

    #[test]
    fn every_capture_frames_the_same_at_every_split() {
        for name in CAPTURES {
            let bytes = fixture(name);
            let whole = frame(&bytes);
            assert!(!whole.is_empty(), "{name}");
            for cut in 0..=bytes.len() {
                assert_eq!(
                    frame_pieces(&[&bytes[..cut], &bytes[cut..]]),
                    whole,
                    "{name} at {cut}"
                );
            }
            let crlf: Vec<u8> = String::from_utf8_lossy(&bytes)
                .replace('\n', "\r\n")
                .into_bytes();
            assert_eq!(frame(&crlf), whole, "{name} with CRLF");
        }
    }

    #[test]
    fn a_stream_without_done_or_final_blank_line_still_yields_its_last_event() {
        let events = frame(b"data: {\"a\":1}\n\ndata: {\"b\":2}");
        assert_eq!(events.len(), 2);
        assert!(
            frame(&fixture("chat.stream.cerebras.sse"))
                .iter()
                .all(|(_, data)| data != "[DONE]")
        );
    }

    proptest! {
        #[test]
        fn any_split_into_many_pieces_gives_the_same_events(
            capture in 0..CAPTURES.len(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
        ) {
            let bytes = fixture(CAPTURES[capture]);
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut pieces: Vec<&[u8]> = Vec::new();
            let mut start = 0;
            for point in points {
                pieces.push(&bytes[start..point]);
                start = point;
            }
            pieces.push(&bytes[start..]);
            prop_assert_eq!(frame_pieces(&pieces), frame(&bytes));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = frame(&bytes);
        }
    }
}
