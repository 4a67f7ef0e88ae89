//! The one JSON-lines schema for chat events, shared by every front end that prints a chat as
//! JSON (`host-stub chat --json`, the provider bridge): one object per line, tagged by `type`.
//!
//! ```text
//! {"type":"attempt","number":1,"of":2,"model":"huggingface/org/model"}   a host's fallback chain
//! {"type":"notice","message":"…"}
//! {"type":"serving_provider","provider":"together"}
//! {"type":"text","delta":"…"}
//! {"type":"reasoning","delta":"…"}
//! {"type":"tool_call","index":0,"id":"call_1","name":"get_weather","arguments":"{\"ci"}
//! {"type":"failed","model":"…","code":"rate_limited","message":"…","next":"…"}
//! {"type":"done","model":"org/model","serving_provider":…,"finish_reason":…,"usage":…,
//!  "tool_calls":[…],"ref":"huggingface/org/model","attempts":[…]}
//! {"type":"error","code":"unauthorized","message":"…","http_status":401,"retry_after_ms":…}
//! ```
//!
//! A consumer skips types it does not know; fields that do not apply are left out. `ref` and
//! `attempts` come from a host that resolves refs and falls back (host-stub), not from a bridge.

use std::borrow::Cow;

use openclaw_provider_abi::{
    ProviderError,
    documents::{ChatDone, ToolCallDelta},
};
use serde::Serialize;

use crate::events::ChatEvent;

/// How one attempt of a fallback chain ended.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptRecord {
    pub model: String,
    /// `ok`, or the error code.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One line.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventLine<'a> {
    Attempt {
        number: usize,
        of: usize,
        model: &'a str,
    },
    Notice {
        message: &'a str,
    },
    ServingProvider {
        provider: &'a str,
    },
    Text {
        delta: &'a str,
    },
    Reasoning {
        delta: &'a str,
    },
    ToolCall(&'a ToolCallDelta),
    Failed {
        model: &'a str,
        code: String,
        message: &'a str,
        next: Option<&'a str>,
    },
    Done(DoneLine<'a>),
    Error(ErrorLine<'a>),
}

/// The last line of a successful chat.
#[derive(Debug, Serialize)]
pub struct DoneLine<'a> {
    #[serde(flatten)]
    pub done: Cow<'a, ChatDone>,
    /// The ref that answered, for a host that resolves refs.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub model_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<&'a [AttemptRecord]>,
}

/// The last line of a failed chat.
#[derive(Debug, Serialize)]
pub struct ErrorLine<'a> {
    pub code: Cow<'a, str>,
    pub message: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<&'a [AttemptRecord]>,
}

impl<'a> ErrorLine<'a> {
    /// The line for a provider's error.
    pub fn from_error(error: &'a ProviderError) -> Self {
        Self {
            code: Cow::Owned(error.code.to_string()),
            message: Cow::Borrowed(error.message.as_str()),
            http_status: (error.http_status != 0).then_some(error.http_status),
            retry_after_ms: error.retry_after_ms.into_option(),
            attempts: None,
        }
    }
}

impl<'a> EventLine<'a> {
    /// The line for a stream event; `None` for usage (the `done` line carries it).
    pub fn from_event(event: &'a ChatEvent) -> Option<Self> {
        Some(match event {
            ChatEvent::Text(text) => Self::Text { delta: text },
            ChatEvent::Reasoning(text) => Self::Reasoning { delta: text },
            ChatEvent::ToolCall(delta) => Self::ToolCall(delta),
            ChatEvent::ServingProvider(name) => Self::ServingProvider { provider: name },
            ChatEvent::Notice(text) => Self::Notice { message: text },
            ChatEvent::Usage(_) => return None,
            ChatEvent::Done(done) => Self::Done(DoneLine {
                done: Cow::Borrowed(done),
                model_ref: None,
                attempts: None,
            }),
        })
    }

    /// Appends the line and its newline to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        // Serialising these types into memory cannot fail: every map key is a string.
        if serde_json::to_writer(&mut *out, self).is_ok() {
            out.push(b'\n');
        }
    }
}
