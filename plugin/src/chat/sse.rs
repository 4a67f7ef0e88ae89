//! Server-sent events, framed incrementally: bytes go in as they arrive, in pieces of any size,
//! and whole events come out.
//!
//! Follows the WHATWG event-stream rules where they matter to chat streams: lines end with CRLF,
//! LF or CR (a CR at the end of one piece and an LF at the start of the next are one line end);
//! a blank line dispatches the event; `:` starts a comment; `data:` lines accumulate, joined by
//! newlines, with one optional space after the colon removed; `event:` names the event; other
//! fields are ignored. Unlike a browser, [`Framer::finish`] dispatches an event the stream ended
//! in the middle of (some providers close without the final blank line or `[DONE]`), and one
//! event — a line, or the joined `data:` lines — is bounded ([`MAX_EVENT_BYTES`]): past it the
//! framer refuses the stream instead of holding a line that never ends.

/// The largest event the framer holds, in bytes: one line, or the joined `data:` lines of one
/// event. A chat chunk is a few hundred bytes; a large tool call or a whole answer sent as one
/// event is still far below this. A quarter of [`super::MAX_ANSWER_BYTES`], so a stream's framing
/// never holds more than a one-shot answer may.
pub const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// The stream held an event larger than the framer's limit; the framer takes nothing more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventTooLarge {
    /// The limit that was passed, in bytes.
    pub limit: usize,
}

/// Splits a byte stream into events.
#[derive(Debug)]
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
    /// The largest line or event held, in bytes.
    max_event_bytes: usize,
    /// An event passed the limit: every later piece is refused.
    failed: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Self::with_max_event_bytes(MAX_EVENT_BYTES)
    }
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

    /// A framer that holds events of at most `limit` bytes.
    pub fn with_max_event_bytes(limit: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            data: String::new(),
            has_data: false,
            event: String::new(),
            max_event_bytes: limit,
            failed: false,
        }
    }

    /// Feeds a piece of the stream; `on_event` receives every event it completes. Events
    /// before an oversized one are handed out; from the oversized one on, nothing is.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), EventTooLarge> {
        if self.failed {
            return Err(self.too_large());
        }
        let fed = self.feed_unchecked(bytes, on_event);
        if fed.is_err() {
            // Nothing of the refused event is kept: memory stays bounded whatever follows.
            self.failed = true;
            self.line = Vec::new();
            self.data = String::new();
            self.has_data = false;
        }
        fed
    }

    fn too_large(&self) -> EventTooLarge {
        EventTooLarge {
            limit: self.max_event_bytes,
        }
    }

    fn feed_unchecked(
        &mut self,
        mut bytes: &[u8],
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), EventTooLarge> {
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
                // The same bound as the line path below: the line, `data:` included.
                if consumed - 2 > self.max_event_bytes {
                    return Err(self.too_large());
                }
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
                self.take_line(line, on_event)?;
            } else {
                self.hold(line)?;
                let whole = std::mem::take(&mut self.line);
                self.take_line(&whole, on_event)?;
                self.line = whole;
                self.line.clear();
            }
        }
        self.hold(bytes)
    }

    /// Adds to the unfinished line, within the limit.
    fn hold(&mut self, bytes: &[u8]) -> Result<(), EventTooLarge> {
        if self.line.len().saturating_add(bytes.len()) > self.max_event_bytes {
            return Err(self.too_large());
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// Ends the stream: dispatches what an unterminated last line or event holds (nothing after
    /// an oversized event).
    pub fn finish(&mut self, on_event: &mut dyn FnMut(Event<'_>)) -> Result<(), EventTooLarge> {
        if self.failed {
            return Err(self.too_large());
        }
        if !self.line.is_empty() {
            let whole = std::mem::take(&mut self.line);
            if let Err(error) = self.take_line(&whole, on_event) {
                self.failed = true;
                return Err(error);
            }
        }
        self.dispatch(on_event);
        Ok(())
    }

    fn take_line(
        &mut self,
        line: &[u8],
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), EventTooLarge> {
        if line.len() > self.max_event_bytes {
            return Err(self.too_large());
        }
        if line.is_empty() {
            self.dispatch(on_event);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(()); // a comment
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
                let joined = self
                    .data
                    .len()
                    .saturating_add(usize::from(self.has_data))
                    .saturating_add(value.len());
                if joined > self.max_event_bytes {
                    return Err(self.too_large());
                }
                if self.has_data {
                    self.data.push('\n');
                }
                push_text(&mut self.data, value);
                self.has_data = true;
                // Invalid UTF-8 grows as it is replaced (one byte becomes three).
                if self.data.len() > self.max_event_bytes {
                    return Err(self.too_large());
                }
            }
            b"event" => {
                self.event.clear();
                push_text(&mut self.event, value);
            }
            _ => {} // id, retry, and unknown fields do not matter here
        }
        Ok(())
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
    use crate::captures::fixture;
    use proptest::prelude::*;

    fn frame_pieces(pieces: &[&[u8]]) -> Vec<(String, String)> {
        let mut framer = Framer::new();
        let mut events = Vec::new();
        let mut collect =
            |event: Event<'_>| events.push((event.name.to_owned(), event.data.to_owned()));
        for piece in pieces {
            framer.feed(piece, &mut collect).unwrap();
        }
        framer.finish(&mut collect).unwrap();
        events
    }

    fn frame(bytes: &[u8]) -> Vec<(String, String)> {
        frame_pieces(&[bytes])
    }

    /// Every captured stream, the one cut short included.
    fn captures() -> Vec<&'static str> {
        let mut all = crate::captures::COMPLETE_STREAMS.to_vec();
        all.push("chat.stream.together.deepseek-r1.excerpt.sse");
        all
    }

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
        for name in captures() {
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

    #[test]
    fn a_line_without_end_is_refused_at_the_limit_and_memory_stays_bounded() {
        let mut framer = Framer::with_max_event_bytes(1024);
        let mut events = Vec::new();
        let mut keep = |event: Event<'_>| events.push(event.data.to_owned());
        framer.feed(b"data: before\n\ndata: ", &mut keep).unwrap();
        let piece = [b'x'; 100];
        let mut refused = None;
        for round in 0..100 {
            if let Err(error) = framer.feed(&piece, &mut keep) {
                refused = Some((round, error));
                break;
            }
        }
        let (round, error) = refused.expect("the endless line was refused");
        assert_eq!(error, EventTooLarge { limit: 1024 });
        assert!(round <= 10, "refused only after {round} pieces");
        assert!(framer.line.capacity() <= 2048 && framer.data.capacity() <= 2048);
        // Refused for good, and the event before it was delivered.
        assert!(framer.feed(b"\n\ndata: after\n\n", &mut keep).is_err());
        assert!(framer.finish(&mut keep).is_err());
        assert_eq!(events, ["before"]);
        // Many data lines joined past the limit are refused the same way.
        let mut framer = Framer::with_max_event_bytes(64);
        let joined = b"data: 0123456789\n".repeat(8);
        assert!(framer.feed(&joined, &mut |_| {}).is_err());
        // An event at the limit passes, whole or in pieces, fast path or not.
        let exact = format!("data: {}\n\n", "y".repeat(58));
        for bytes in [exact.clone(), exact.replace('\n', "\r\n")] {
            let mut framer = Framer::with_max_event_bytes(64);
            let mut count = 0;
            framer.feed(bytes.as_bytes(), &mut |_| count += 1).unwrap();
            assert_eq!(count, 1);
        }
    }

    proptest! {
        #[test]
        fn any_split_into_many_pieces_gives_the_same_events(
            capture in 0..captures().len(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
        ) {
            let bytes = fixture(captures()[capture]);
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

        #[test]
        fn the_limit_holds_the_same_at_every_split(
            bytes in proptest::collection::vec(
                prop::sample::select(b"data: x\r\n:\xff".to_vec()), 0..200),
            limit in 1usize..24,
            cut in any::<prop::sample::Index>(),
        ) {
            let run = |pieces: &[&[u8]]| {
                let mut framer = Framer::with_max_event_bytes(limit);
                let mut events = Vec::new();
                let mut keep = |event: Event<'_>| {
                    assert!(event.data.len() <= limit);
                    events.push(event.data.to_owned());
                };
                let mut outcome = Ok(());
                for piece in pieces {
                    outcome = outcome.and_then(|()| framer.feed(piece, &mut keep));
                }
                let outcome = outcome.and_then(|()| framer.finish(&mut keep));
                (events, outcome)
            };
            let at = cut.index(bytes.len() + 1);
            let whole = run(&[&bytes]);
            prop_assert_eq!(run(&[&bytes[..at], &bytes[at..]]), whole.clone());
            let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
            prop_assert_eq!(run(&bytewise), whole);
        }
    }
}
