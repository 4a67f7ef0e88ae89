//! A plugin's chat stream as a safe Rust iterator of typed events.
//!
//! [`EventStream`] pulls the ABI's envelopes in batches (one call per burst of events, not one
//! per event), turns each into a [`ChatEvent`], skips kinds this host does not know (the ABI's
//! rule for newer plugins) and normalises error codes. It stops at the terminal event: a
//! [`ChatEvent::Done`] or an error. A cancel flag, checked between pulls, stops the request
//! within one poll interval; dropping the iterator cancels too (the ABI handle does).

use std::collections::VecDeque;

use openclaw_provider_abi::{
    Cancellation, ChatStreamBox, ErrorCode, EventKind, ProviderError, StreamEvent,
    abi_stable::std_types::{RResult, RString},
    documents::{ChatDone, ToolCallDelta, Usage},
};

/// The most events taken from the plugin in one call.
const BATCH: u32 = 256;
/// How long one pull waits for the first event before the cancel flag is looked at again.
const POLL_MS: u64 = 100;

/// One event of a streamed chat. Text stays in the plugin's string (no copy per event).
#[derive(Clone, Debug, PartialEq)]
pub enum ChatEvent {
    /// A piece of the answer.
    Text(RString),
    /// A piece of the model's reasoning, kept apart from the answer.
    Reasoning(RString),
    /// A piece of a tool call.
    ToolCall(ToolCallDelta),
    /// The upstream that serves the request.
    ServingProvider(RString),
    /// Something the user should know (a retry, an adjusted request), and, as JSON text (empty
    /// when none), machine-readable detail.
    Notice { message: RString, details: RString },
    /// Token usage as reported so far (`Done` carries the final figures).
    Usage(Usage),
    /// The end of a successful stream.
    Done(ChatDone),
}

impl ChatEvent {
    /// Whether the event is part of the answer (text, reasoning or a tool call): once one was
    /// delivered, a failure may no longer be retried or fall back elsewhere.
    pub fn is_output(&self) -> bool {
        matches!(self, Self::Text(_) | Self::Reasoning(_) | Self::ToolCall(_))
    }

    /// The typed event for an envelope; `None` for kinds this host does not know and for
    /// payloads that do not parse (a tool-call piece is then skipped; a `Done` without a
    /// readable payload still ends the stream).
    fn from_envelope(event: StreamEvent) -> Option<Self> {
        Some(match event.kind {
            EventKind::TEXT_DELTA => Self::Text(event.text),
            EventKind::REASONING_DELTA => Self::Reasoning(event.text),
            EventKind::TOOL_CALL_DELTA => Self::ToolCall(serde_json::from_str(&event.json).ok()?),
            EventKind::SERVING_PROVIDER => Self::ServingProvider(event.text),
            EventKind::NOTICE => Self::Notice {
                message: event.text,
                details: event.json,
            },
            EventKind::USAGE => Self::Usage(serde_json::from_str(&event.json).ok()?),
            EventKind::DONE => Self::Done(serde_json::from_str(&event.json).unwrap_or_default()),
            _ => return None,
        })
    }
}

/// The events of one chat stream, in order, ending with `Done` or one error.
pub struct EventStream<'c> {
    stream: ChatStreamBox,
    buffered: VecDeque<StreamEvent>,
    cancel: Option<&'c Cancellation>,
    ended: bool,
}

impl<'c> EventStream<'c> {
    /// Wraps a stream; when `cancel` becomes true the request is cancelled and the iterator
    /// ends with a `cancelled` error.
    pub fn new(stream: ChatStreamBox, cancel: Option<&'c Cancellation>) -> Self {
        Self {
            stream,
            buffered: VecDeque::new(),
            cancel,
            ended: false,
        }
    }

    /// Whether events are waiting that the next call returns without asking the plugin: a
    /// consumer batching its output flushes when this is false.
    pub fn has_buffered(&self) -> bool {
        !self.buffered.is_empty()
    }

    /// Stops the request now; the iterator ends.
    pub fn cancel(&mut self) {
        self.stream.cancel();
        self.buffered.clear();
        self.ended = true;
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(Cancellation::is_cancelled)
    }
}

impl Iterator for EventStream<'_> {
    type Item = Result<ChatEvent, ProviderError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.ended {
                return None;
            }
            while let Some(envelope) = self.buffered.pop_front() {
                if let Some(event) = ChatEvent::from_envelope(envelope) {
                    if matches!(event, ChatEvent::Done(_)) {
                        self.ended = true;
                        self.buffered.clear();
                    }
                    return Some(Ok(event));
                }
            }
            if self.cancelled() {
                self.cancel();
                return Some(Err(ProviderError::new(
                    ErrorCode::CANCELLED,
                    "the request was cancelled",
                )));
            }
            match self.stream.next_events(BATCH, POLL_MS) {
                RResult::ROk(events) => self.buffered.extend(events),
                RResult::RErr(mut error) => {
                    self.ended = true;
                    error.code = error.code.normalized();
                    return Some(Err(error));
                }
            }
        }
    }
}
