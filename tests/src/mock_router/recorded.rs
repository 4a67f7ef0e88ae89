//! Requests and client disconnects as the server saw them.

use std::time::Instant;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
    /// The client's port: requests with the same port came over the same connection.
    pub client_port: u16,
}

impl Recorded {
    /// A header's value (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// Whether the request carried the sentinel token as its bearer credential.
    pub fn carries_the_sentinel_token(&self) -> bool {
        self.header("authorization") == Some(format!("Bearer {}", crate::SENTINEL_TOKEN).as_str())
    }

    /// Whether our plugin sent it: its User-Agent starts with `openclaw-huggingface/`.
    pub fn sent_by_our_plugin(&self) -> bool {
        self.header("user-agent")
            .is_some_and(|agent| agent.starts_with("openclaw-huggingface/"))
    }
}

/// When a client went away in the middle of a streamed reply, or from a stalled one.
#[derive(Clone, Debug)]
pub struct Disconnect {
    pub path: String,
    pub at: Instant,
    /// Stream pieces written before the disconnect was noticed.
    pub pieces_sent: usize,
}
