//! Implementing a provider without writing FFI: the [`Provider`] trait, ordinary Rust functions
//! with ordinary types, and the glue that turns an implementation into the exported
//! [`ProviderModule`] — every entry point wrapped once, here, so that a panic becomes an
//! `INTERNAL` error instead of crossing the boundary.
//!
//! ```ignore
//! struct Echo;
//!
//! impl openclaw_provider_abi::Provider for Echo {
//!     fn info() -> PluginInfo { … }
//!     fn auth_methods() -> Vec<AuthMethod> { … }
//!     // … the required functions; the capabilities it serves (embed, …) where it has them
//! }
//!
//! openclaw_provider_abi::export_provider!(Echo);
//! ```
//!
//! A streamed chat is an [`EventSource`]; [`stream_box`] wraps it into the boundary's
//! [`ChatStreamBox`] with the same panic guard.

use std::time::Duration;

use abi_stable::{
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{ROption, RResult, RSlice, RStr, RString, RVec},
};

use crate::{
    AccountInfo, AuthMethod, BlobRef, CallContext, Cancellation, Capabilities, Catalog,
    CatalogRequest, ChatStream, ChatStream_TO, ChatStreamBox, ErrorCode, HostContext, MediaAnswer,
    ModelInfo, OnboardingRequest, OnboardingResult, PluginInfo, ProviderError, ProviderModule,
    ProviderModuleRef, ResolvedModel, StreamEvent, catch_panics, media::NEVER_CANCELLED,
};

/// A provider plugin's behaviour, one function per entry point of [`ProviderModule`].
///
/// The functions take no `self`: a provider keeps whatever state it needs in its own modules
/// (a plugin lives as long as its process). The capability functions have defaults that refuse
/// with `UNSUPPORTED`; a provider overrides those it serves and says so in
/// [`PluginInfo::capabilities`], which is what hosts read before calling.
pub trait Provider: 'static {
    /// Who the plugin is. Cheap; called before `init`.
    fn info() -> PluginInfo;

    /// Called once before anything but `info`: the host's log sink and user-agent token.
    fn init(_host: &HostContext) -> Result<(), ProviderError> {
        Ok(())
    }

    /// The ways to authenticate, in the order a picker lists them.
    fn auth_methods() -> Vec<AuthMethod>;

    /// Whose the credential in `context` is and whether it may make the provider's calls.
    fn validate_credential(_context: &CallContext) -> Result<AccountInfo, ProviderError> {
        Err(unsupported("credential validation"))
    }

    /// What onboarding with a method changes.
    fn onboarding_result(request: &OnboardingRequest) -> Result<OnboardingResult, ProviderError>;

    /// The models serving `capability` (`CHAT`: the chat catalog), stopping early when
    /// `cancel` is set.
    fn list_models(
        request: &CatalogRequest,
        capability: Capabilities,
        cancel: &Cancellation,
    ) -> Result<Catalog, ProviderError>;

    /// What a model ref means, looked up in `known_models`.
    fn resolve_ref(
        reference: &str,
        known_models: &[ModelInfo],
    ) -> Result<ResolvedModel, ProviderError>;

    /// A one-shot chat: a `ChatRequest` document in, a `ChatResult` document out.
    fn chat(context: &CallContext, request_json: &str) -> Result<String, ProviderError>;

    /// A streamed chat: returns at once with the source the host pulls events from.
    fn chat_stream(
        context: &CallContext,
        request_json: &str,
    ) -> Result<Box<dyn EventSource>, ProviderError>;

    /// Opens what calls like `context`'s will need, in the background; returns at once.
    fn prepare(_context: &CallContext) -> Result<(), ProviderError> {
        Ok(())
    }

    /// Texts to vectors (`EMBEDDINGS`).
    fn embed(
        _context: &CallContext,
        _request_json: &str,
        _cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        Err(unsupported("embeddings"))
    }

    /// A prompt to images (`IMAGE_GENERATION`).
    fn generate_image(
        _context: &CallContext,
        _request_json: &str,
        _cancel: &Cancellation,
    ) -> Result<MediaAnswer, ProviderError> {
        Err(unsupported("image generation"))
    }

    /// Speech to text (`SPEECH_RECOGNITION`).
    fn transcribe_audio(
        _context: &CallContext,
        _request_json: &str,
        _audio: BlobRef<'_>,
        _cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        Err(unsupported("speech recognition"))
    }

    /// Text to speech (`SPEECH_SYNTHESIS`).
    fn synthesize_speech(
        _context: &CallContext,
        _request_json: &str,
        _cancel: &Cancellation,
    ) -> Result<MediaAnswer, ProviderError> {
        Err(unsupported("speech synthesis"))
    }

    /// The account's spend and credits (`ACCOUNT_USAGE`).
    fn account_usage(
        _context: &CallContext,
        _cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        Err(unsupported("account usage"))
    }
}

fn unsupported(what: &str) -> ProviderError {
    ProviderError::new(
        ErrorCode::UNSUPPORTED,
        format!("this provider plugin does not serve {what}"),
    )
}

/// A streamed chat in progress, as a provider implements it: the host pulls events, the source
/// produces them (usually from a task of its own) and stops when cancelled or dropped.
///
/// The stream ends with exactly one terminal outcome: an event of kind `DONE`, or an error.
/// The glue refuses further pulls after it.
pub trait EventSource: Send + 'static {
    /// Appends up to `max` (at least one) ready events to `out`, waiting at most `timeout` for
    /// the first; appending nothing means nothing came in time. When the stream fails after
    /// some events, those are appended and `Ok` returned; the error comes with the next call.
    fn next_events(
        &mut self,
        max: usize,
        timeout: Duration,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), ProviderError>;

    /// Stops the request now: buffered events are discarded.
    fn cancel(&mut self);
}

/// Wraps an [`EventSource`] into the handle that crosses the boundary.
pub fn stream_box(source: Box<dyn EventSource>) -> ChatStreamBox {
    ChatStream_TO::from_value(
        GuardedStream {
            source,
            state: StreamState::Open,
            ready: std::collections::VecDeque::new(),
            failure: None,
        },
        TD_Opaque,
    )
}

/// Where a guarded stream stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StreamState {
    Open,
    /// The terminal event or error was handed out (or the source panicked).
    Finished,
    Cancelled,
}

/// An [`EventSource`] behind the boundary's [`ChatStream`] methods: panics caught, the end of
/// the stream enforced, a failure handed out after the events that came before it.
struct GuardedStream {
    source: Box<dyn EventSource>,
    state: StreamState,
    /// Events pulled but not handed out yet (more than the host asked for).
    ready: std::collections::VecDeque<StreamEvent>,
    /// A failure that came with events; it ends the stream once they are out.
    failure: Option<ProviderError>,
}

impl GuardedStream {
    fn pull(&mut self, max: usize, timeout_ms: u64) -> Result<Vec<StreamEvent>, ProviderError> {
        match self.state {
            StreamState::Finished => {
                return Err(ProviderError::new(
                    ErrorCode::INVALID_REQUEST,
                    "the stream is over: it already delivered its last event",
                ));
            }
            StreamState::Cancelled => {
                return Err(ProviderError::new(
                    ErrorCode::CANCELLED,
                    "the stream was cancelled",
                ));
            }
            StreamState::Open => {}
        }
        let max = max.max(1);
        let mut events: Vec<StreamEvent> = Vec::new();
        if self.ready.is_empty() {
            if let Some(failure) = self.failure.take() {
                self.state = StreamState::Finished;
                return Err(failure);
            }
            let outcome = catch_panics("the chat stream", || {
                self.source
                    .next_events(max, Duration::from_millis(timeout_ms), &mut events)
            });
            if let RResult::RErr(error) = outcome {
                if events.is_empty() {
                    self.state = StreamState::Finished;
                    return Err(error);
                }
                self.failure = Some(error);
            }
            self.ready.extend(events.drain(..));
        }
        let take = max.min(self.ready.len());
        events.extend(self.ready.drain(..take));
        if let Some(done) = events
            .iter()
            .position(|event| event.kind == crate::EventKind::DONE)
        {
            // Nothing after the terminal event is handed out.
            events.truncate(done + 1);
            self.ready.clear();
            self.failure = None;
            self.state = StreamState::Finished;
        }
        Ok(events)
    }
}

impl ChatStream for GuardedStream {
    fn next_event(&mut self, timeout_ms: u64) -> RResult<ROption<StreamEvent>, ProviderError> {
        self.pull(1, timeout_ms)
            .map(|events| events.into_iter().next().into())
            .into()
    }

    fn next_events(
        &mut self,
        max_events: u32,
        timeout_ms: u64,
    ) -> RResult<RVec<StreamEvent>, ProviderError> {
        self.pull(max_events as usize, timeout_ms)
            .map(RVec::from)
            .into()
    }

    fn cancel(&mut self) {
        let source = &mut self.source;
        // A panic while stopping leaves nothing to report: the stream is over either way.
        let _ = catch_panics("cancelling the chat stream", || {
            source.cancel();
            Ok(())
        });
        self.ready.clear();
        if self.state == StreamState::Open {
            self.state = StreamState::Cancelled;
        }
    }
}

/// The root module serving `P`: what [`export_provider!`] exports.
pub fn module<P: Provider>() -> ProviderModuleRef {
    ProviderModule {
        info: info::<P>,
        init: init::<P>,
        auth_methods: auth_methods::<P>,
        validate_credential: validate_credential::<P>,
        onboarding_result: onboarding_result::<P>,
        list_models: list_models::<P>,
        resolve_ref: resolve_ref::<P>,
        chat: chat::<P>,
        chat_stream: chat_stream::<P>,
        prepare: prepare::<P>,
        list_models_for: list_models_for::<P>,
        embed: embed::<P>,
        generate_image: generate_image::<P>,
        transcribe_audio: transcribe_audio::<P>,
        synthesize_speech: synthesize_speech::<P>,
        account_usage: account_usage::<P>,
    }
    .leak_into_prefix()
}

/// Exports the root module of a [`Provider`] from a `cdylib`. The crate must depend on
/// `abi_stable` itself (the export attribute names it), at the version this crate re-exports.
#[macro_export]
macro_rules! export_provider {
    ($provider:ty) => {
        /// The root module abi_stable's loader looks up. Building it is cheap: no threads, no
        /// I/O.
        #[::abi_stable::export_root_module]
        pub fn root_module() -> $crate::ProviderModuleRef {
            $crate::provider::module::<$provider>()
        }
    };
}

extern "C" fn info<P: Provider>() -> RResult<PluginInfo, ProviderError> {
    catch_panics("info", || Ok(P::info()))
}

extern "C" fn init<P: Provider>(host: &HostContext) -> RResult<(), ProviderError> {
    catch_panics("init", || P::init(host))
}

extern "C" fn auth_methods<P: Provider>() -> RResult<RVec<AuthMethod>, ProviderError> {
    catch_panics("auth_methods", || Ok(RVec::from(P::auth_methods())))
}

extern "C" fn validate_credential<P: Provider>(
    context: &CallContext,
) -> RResult<AccountInfo, ProviderError> {
    catch_panics("validate_credential", || P::validate_credential(context))
}

extern "C" fn onboarding_result<P: Provider>(
    request: &OnboardingRequest,
) -> RResult<OnboardingResult, ProviderError> {
    catch_panics("onboarding_result", || P::onboarding_result(request))
}

extern "C" fn list_models<P: Provider>(
    request: &CatalogRequest,
) -> RResult<Catalog, ProviderError> {
    catch_panics("list_models", || {
        P::list_models(request, Capabilities::CHAT, &NEVER_CANCELLED)
    })
}

extern "C" fn list_models_for<P: Provider>(
    request: &CatalogRequest,
    capability: Capabilities,
    cancel: &Cancellation,
) -> RResult<Catalog, ProviderError> {
    catch_panics("list_models", || {
        P::list_models(request, capability, cancel)
    })
}

extern "C" fn resolve_ref<P: Provider>(
    reference: RStr<'_>,
    known_models: RSlice<'_, ModelInfo>,
) -> RResult<ResolvedModel, ProviderError> {
    catch_panics("resolve_ref", || {
        P::resolve_ref(reference.as_str(), known_models.as_slice())
    })
}

extern "C" fn chat<P: Provider>(
    context: &CallContext,
    request_json: RStr<'_>,
) -> RResult<RString, ProviderError> {
    catch_panics("chat", || {
        P::chat(context, request_json.as_str()).map(RString::from)
    })
}

extern "C" fn chat_stream<P: Provider>(
    context: &CallContext,
    request_json: RStr<'_>,
) -> RResult<ChatStreamBox, ProviderError> {
    catch_panics("chat_stream", || {
        P::chat_stream(context, request_json.as_str()).map(stream_box)
    })
}

extern "C" fn prepare<P: Provider>(context: &CallContext) -> RResult<(), ProviderError> {
    catch_panics("prepare", || P::prepare(context))
}

extern "C" fn embed<P: Provider>(
    context: &CallContext,
    request_json: RStr<'_>,
    cancel: &Cancellation,
) -> RResult<RString, ProviderError> {
    catch_panics("embed", || {
        P::embed(context, request_json.as_str(), cancel).map(RString::from)
    })
}

extern "C" fn generate_image<P: Provider>(
    context: &CallContext,
    request_json: RStr<'_>,
    cancel: &Cancellation,
) -> RResult<MediaAnswer, ProviderError> {
    catch_panics("generate_image", || {
        P::generate_image(context, request_json.as_str(), cancel)
    })
}

extern "C" fn transcribe_audio<P: Provider>(
    context: &CallContext,
    request_json: RStr<'_>,
    audio: BlobRef<'_>,
    cancel: &Cancellation,
) -> RResult<RString, ProviderError> {
    catch_panics("transcribe_audio", || {
        P::transcribe_audio(context, request_json.as_str(), audio, cancel).map(RString::from)
    })
}

extern "C" fn synthesize_speech<P: Provider>(
    context: &CallContext,
    request_json: RStr<'_>,
    cancel: &Cancellation,
) -> RResult<MediaAnswer, ProviderError> {
    catch_panics("synthesize_speech", || {
        P::synthesize_speech(context, request_json.as_str(), cancel)
    })
}

extern "C" fn account_usage<P: Provider>(
    context: &CallContext,
    cancel: &Cancellation,
) -> RResult<RString, ProviderError> {
    catch_panics("account_usage", || {
        P::account_usage(context, cancel).map(RString::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventKind;

    /// Hands out `events`, then panics.
    struct Scripted {
        events: Vec<StreamEvent>,
    }

    impl EventSource for Scripted {
        fn next_events(
            &mut self,
            _max: usize,
            _timeout: Duration,
            out: &mut Vec<StreamEvent>,
        ) -> Result<(), ProviderError> {
            if self.events.is_empty() {
                panic!("out of events");
            }
            out.append(&mut self.events);
            Ok(())
        }

        fn cancel(&mut self) {
            panic!("cancel panics too");
        }
    }

    fn text(t: &str) -> StreamEvent {
        StreamEvent::text(EventKind::TEXT_DELTA, t)
    }

    #[test]
    fn the_guard_hands_out_what_was_asked_and_stops_at_done() {
        let mut stream = stream_box(Box::new(Scripted {
            events: vec![
                text("a"),
                text("b"),
                StreamEvent::json(EventKind::DONE, "{}"),
                text("after the end"),
            ],
        }));
        let first = stream.next_event(0).unwrap().unwrap();
        assert_eq!(first.text.as_str(), "a");
        let rest = stream.next_events(10, 0).unwrap();
        assert_eq!(rest.len(), 2);
        assert_eq!(rest[1].kind, EventKind::DONE);
        let over = stream.next_events(10, 0).unwrap_err();
        assert_eq!(over.code, ErrorCode::INVALID_REQUEST);
    }

    #[test]
    fn a_panicking_source_becomes_an_internal_error_that_ends_the_stream() {
        let mut stream = stream_box(Box::new(Scripted { events: Vec::new() }));
        let error = stream.next_events(4, 0).unwrap_err();
        assert_eq!(error.code, ErrorCode::INTERNAL);
        assert!(error.message.contains("out of events"), "{}", error.message);
        assert_eq!(
            stream.next_event(0).unwrap_err().code,
            ErrorCode::INVALID_REQUEST
        );
        // cancel's own panic is swallowed; the host carries on.
        stream.cancel();
    }
}
