//! What a route answers ([`Reply`]) and how a streamed answer ends ([`StreamEnd`]), with the
//! builders tests use: JSON, text, a streamed answer word by word, server-sent events, a
//! captured stream replayed in pieces.

use std::time::Duration;

use super::chat_chunks;

/// What the server does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Waits, then replies.
    Delay(Duration, Box<Reply>),
    /// Sends headers declaring `declared` body bytes, sends `body` (fewer), then closes.
    Truncated {
        status: u16,
        declared: usize,
        body: Vec<u8>,
    },
    /// Reads the request and never answers (until the client goes away).
    Stall,
    /// Closes the connection without answering.
    Reset,
    /// Streams the request's last user message back, word by word, `gap` apart: each stream's
    /// answer identifies its request (for concurrency tests).
    EchoStream { gap: Duration },
    /// Embeds the request's texts: one vector of `dimensions` per text, computed from the
    /// text's words (texts sharing words point the same way, so a search finds the note that
    /// shares a query's words), in OpenAI's shape (`input` → `data[].embedding`), or
    /// hf-inference's (`inputs` → a bare array of vectors) when `hf_inference`.
    EchoEmbeddings {
        dimensions: usize,
        hf_inference: bool,
    },
    /// Chooses the reply by the request's bearer token; `otherwise` for any other token.
    ByToken {
        replies: Vec<(String, Reply)>,
        otherwise: Box<Reply>,
    },
    /// Sends headers and `prefix`, then `fill` bytes in `piece`-byte writes until `total` bytes
    /// are sent or the client goes away, then closes: a flood generated as it is sent (an
    /// endless line, say) without holding it in memory. Bounded by `total`, so it stops by
    /// itself.
    Flood {
        headers: Vec<(String, String)>,
        prefix: Vec<u8>,
        fill: u8,
        piece: usize,
        total: usize,
    },
    /// Sends headers, then each piece after its delay (a stream), then ends as `end` says.
    Stream {
        status: u16,
        headers: Vec<(String, String)>,
        pieces: Vec<(Duration, Vec<u8>)>,
        end: StreamEnd,
    },
}

/// How a [`Reply::Stream`] ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// Closes the connection normally (the body ends).
    Close,
    /// Keeps the connection open without sending more.
    Stall,
    /// Resets the connection (a mid-stream disconnect).
    Reset,
}

impl Reply {
    /// `status` with a JSON body.
    /// OpenAI-shaped embeddings of the request's texts (see [`Reply::EchoEmbeddings`]).
    pub fn echo_embeddings(dimensions: usize) -> Self {
        Self::EchoEmbeddings {
            dimensions,
            hf_inference: false,
        }
    }

    /// hf-inference-shaped embeddings of the request's texts (see [`Reply::EchoEmbeddings`]).
    pub fn echo_hf_inference_embeddings(dimensions: usize) -> Self {
        Self::EchoEmbeddings {
            dimensions,
            hf_inference: true,
        }
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// `status` with a body of `content_type` (an image, audio).
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// `status` with a plain-text body.
    pub fn text(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Respond {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.into(),
        }
    }

    /// `text` streamed as the router streams an answer: a role chunk, one chunk per word, a
    /// finish chunk and `[DONE]` (see [`chat_chunks`]), otherwise as [`Reply::sse`].
    pub fn words(provider: &str, text: &str, gap: Duration, end: StreamEnd) -> Self {
        let chunks = chat_chunks(text);
        let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
        Self::sse(provider, &refs, gap, end)
    }

    /// A server-sent-event stream of `events` (each a `data:` payload), sent `gap` apart, from
    /// upstream `provider` (the `x-inference-provider` header).
    pub fn sse(provider: &str, events: &[&str], gap: Duration, end: StreamEnd) -> Self {
        Self::Stream {
            status: 200,
            headers: event_stream_headers(provider),
            pieces: events
                .iter()
                .map(|data| (gap, format!("data: {data}\n\n").into_bytes()))
                .collect(),
            end,
        }
    }

    /// A captured SSE body replayed in `piece`-byte pieces, from upstream `provider`.
    pub fn sse_bytes(provider: &str, body: &[u8], piece: usize) -> Self {
        Self::Stream {
            status: 200,
            headers: event_stream_headers(provider),
            pieces: body
                .chunks(piece.max(1))
                .map(|chunk| (Duration::ZERO, chunk.to_vec()))
                .collect(),
            end: StreamEnd::Close,
        }
    }

    /// The 401 the router and the Hub answer a token they do not know with.
    pub fn invalid_credentials() -> Self {
        Self::json(
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
        )
    }

    /// The 403 the router answers a token without "Make calls to Inference Providers" for
    /// `on_behalf_of` (`user alice`, `org acme`).
    pub fn no_inference_permission(on_behalf_of: &str) -> Self {
        let message = format!(
            "This authentication method does not have sufficient permissions to call Inference \
             Providers on behalf of {on_behalf_of}"
        );
        Self::json(403, serde_json::json!({ "error": message }).to_string())
    }

    /// `reply` for requests bearing `token`, `otherwise` for any other.
    pub fn for_token(token: &str, reply: Reply, otherwise: Reply) -> Self {
        Self::ByToken {
            replies: vec![(token.to_owned(), reply)],
            otherwise: Box::new(otherwise),
        }
    }

    /// A redirect (`status` 301, 302, 307…) to `location`, with no body.
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::Respond {
            status,
            headers: vec![("location".into(), location.into())],
            body: Vec::new(),
        }
    }

    /// The same reply with an extra response header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        match &mut self {
            Self::Respond { headers, .. } | Self::Stream { headers, .. } => {
                headers.push((name.into(), value.into()))
            }
            Self::Delay(_, inner) => **inner = inner.as_ref().clone().with_header(name, value),
            _ => {}
        }
        self
    }
}

/// The headers of an event stream from upstream `provider` (the `x-inference-provider` header).
pub(crate) fn event_stream_headers(provider: &str) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "text/event-stream".into()),
        ("x-inference-provider".into(), provider.into()),
    ]
}
