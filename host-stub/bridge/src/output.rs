//! Where answer lines go: whole JSON lines collected in a buffer — each tagged with its request
//! id (`rid`) in resident mode — and written to stdout in one piece while stdout's lock is held, so the
//! lines of concurrent requests never interleave and a reader never sees half a line.

use std::io::Write;

use serde::Serialize;

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

    /// Adds one line. Our lines are JSON objects; with an id, `{"rid":N,` leads the object.
    pub fn push(&mut self, line: &impl Serialize) {
        let Some(id) = self.id else {
            if serde_json::to_writer(&mut self.buffer, line).is_ok() {
                self.buffer.push(b'\n');
            }
            return;
        };
        self.scratch.clear();
        if serde_json::to_writer(&mut self.scratch, line).is_err() {
            return;
        }
        match self.scratch.strip_prefix(b"{") {
            Some(rest) => {
                let _ = write!(self.buffer, "{{\"rid\":{id}");
                if rest != b"}" {
                    self.buffer.push(b',');
                }
                self.buffer.extend_from_slice(rest);
            }
            // Not an object: nothing of ours, but keep the id with it.
            None => {
                let _ = write!(self.buffer, "{{\"rid\":{id},\"value\":");
                self.buffer.extend_from_slice(&self.scratch);
                self.buffer.push(b'}');
            }
        }
        self.buffer.push(b'\n');
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
        lines.push(&json!({"type": "text", "delta": "a"}));
        lines.push(&json!({}));
        let text = String::from_utf8(lines.buffer.clone()).unwrap();
        assert_eq!(
            text,
            "{\"rid\":7,\"type\":\"text\",\"delta\":\"a\"}\n{\"rid\":7}\n"
        );
        let mut plain = Lines::new(None);
        plain.push(&json!({"type": "done"}));
        assert_eq!(plain.buffer, b"{\"type\":\"done\"}\n");
    }
}
