//! Streaming chat: the event envelope and the pull handle.

use abi_stable::{
    StableAbi, sabi_trait,
    std_types::{RBox, ROption, RResult, RString, RVec},
};

use crate::{EventKind, ProviderError};

/// One event of a streamed chat. An envelope rather than an enum, so that kinds can be added
/// without an ABI change; hosts skip kinds they do not know. What `text` and `json` hold depends
/// on `kind` (see [`EventKind`]); a field a kind does not use is empty.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct StreamEvent {
    pub kind: EventKind,
    pub text: RString,
    pub json: RString,
}

impl StreamEvent {
    /// An event carrying text only.
    pub fn text(kind: EventKind, text: impl Into<RString>) -> Self {
        Self {
            kind,
            text: text.into(),
            json: RString::new(),
        }
    }

    /// An event carrying a JSON document only.
    pub fn json(kind: EventKind, json: impl Into<RString>) -> Self {
        Self {
            kind,
            text: RString::new(),
            json: json.into(),
        }
    }
}

/// A chat in progress, pulled by the host.
///
/// The plugin runs the request on its own threads and buffers events (boundedly, so a slow host
/// slows the stream down rather than growing memory). Dropping the handle cancels the request and
/// closes its connection.
///
/// The stream ends with exactly one terminal outcome: an event of kind [`EventKind::DONE`], or an
/// error. After that every call returns an `INVALID_REQUEST` error saying the stream is over.
#[sabi_trait]
pub trait ChatStream: Send {
    /// The next event. Waits at most `timeout_ms` milliseconds and returns `ROk(RNone)` if nothing
    /// arrived in time (the stream is still live); `0` only takes what is already buffered.
    fn next_event(&mut self, timeout_ms: u64) -> RResult<ROption<StreamEvent>, ProviderError>;

    /// Up to `max_events` events that are ready, waiting at most `timeout_ms` for the first one.
    /// An empty vector means nothing arrived in time. Amortises the call overhead when events
    /// come fast; the events and the end of the stream are the same as through
    /// [`ChatStream::next_event`]. If the stream fails after some events of the batch, the batch
    /// is returned and the error comes with the next call.
    fn next_events(
        &mut self,
        max_events: u32,
        timeout_ms: u64,
    ) -> RResult<RVec<StreamEvent>, ProviderError>;

    /// Stops the request now. Events already buffered are discarded; the next call reports a
    /// `CANCELLED` error.
    #[sabi(last_prefix_field)]
    fn cancel(&mut self);
}

/// The owned, boxed form in which a stream crosses the boundary.
pub type ChatStreamBox = ChatStream_TO<'static, RBox<()>>;
