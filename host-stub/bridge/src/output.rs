//! Where answer lines go: whole JSON lines collected in a buffer — each tagged with its request
//! id (`rid`) in resident mode — and written to stdout in one piece while stdout's lock is held,
//! so the lines of concurrent requests never interleave and a reader never sees half a line. A
//! line is measured as written (escapes included) and refused over [`MAX_LINE_BYTES`], which
//! fails its own request only.

use std::io::Write;

use serde::Serialize;

use crate::protocol::{Exit, MAX_LINE_BYTES, Stop};

/// The lines of one request (or of a one-shot run), buffered until flushed.
pub struct Lines {
    id: Option<u64>,
    buffer: Vec<u8>,
    scratch: Vec<u8>,
}

impl Lines {
    /// Lines for request `id`; `None` for a one-shot run (no id on the lines).
    pub fn new(id: Option<u64>) -> Self {
        Self {
            id,
            buffer: Vec::with_capacity(16 * 1024),
            scratch: Vec::new(),
        }
    }

    /// Adds one line. Our lines are JSON objects; with an id, `{"rid":N,` leads the object. A
    /// line over [`MAX_LINE_BYTES`] is not added: the request it belongs to fails with
    /// `answer_too_large`.
    pub fn push(&mut self, line: &impl Serialize) -> Result<(), Stop> {
        self.scratch.clear();
        // Serialising our line types into memory cannot fail: every map key is a string.
        let _ = serde_json::to_writer(&mut self.scratch, line);
        let prefix = self.id.map_or(0, |id| 10 + id.to_string().len());
        if self.scratch.len() + prefix >= MAX_LINE_BYTES {
            return Err(Stop::new(
                Exit::Failed,
                "answer_too_large",
                format!(
                    "the answer is over {} MiB as a line (the most the bridge writes)",
                    MAX_LINE_BYTES >> 20
                ),
            ));
        }
        match (self.id, self.scratch.strip_prefix(b"{")) {
            (Some(id), Some(rest)) => {
                let _ = write!(self.buffer, "{{\"rid\":{id}");
                if rest != b"}" {
                    self.buffer.push(b',');
                }
                self.buffer.extend_from_slice(rest);
            }
            _ => self.buffer.extend_from_slice(&self.scratch),
        }
        self.buffer.push(b'\n');
        Ok(())
    }

    /// Writes what was pushed, in one piece, and flushes. An error means the reader is gone.
    pub fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let result = {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&self.buffer).and_then(|()| stdout.flush())
        };
        self.buffer.clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_lead_each_line() {
        let mut lines = Lines::new(Some(7));
        lines.push(&json!({"type": "text", "delta": "a"})).unwrap();
        lines.push(&json!({})).unwrap();
        let text = String::from_utf8(lines.buffer.clone()).unwrap();
        assert_eq!(
            text,
            "{\"rid\":7,\"type\":\"text\",\"delta\":\"a\"}\n{\"rid\":7}\n"
        );
        let mut plain = Lines::new(None);
        plain.push(&json!({"type": "done"})).unwrap();
        assert_eq!(plain.buffer, b"{\"type\":\"done\"}\n");
    }

    #[test]
    fn a_line_over_the_cap_is_refused_as_written_escapes_included() {
        let mut lines = Lines::new(Some(1));
        // Under the cap as text, over it once its control characters are escaped (6 bytes each).
        let text = "\u{1}".repeat(MAX_LINE_BYTES / 5);
        let refused = lines
            .push(&json!({"type": "text", "delta": text}))
            .unwrap_err();
        assert_eq!(refused.code, "answer_too_large");
        assert!(lines.buffer.is_empty());
    }
}
