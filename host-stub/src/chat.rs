//! A chat through the plugins: which model (an explicit ref or alias, else the configured
//! primary), which fallbacks (`agents.defaults.model.fallbacks`), and the pull loop that hands
//! each event to a [`ChatSink`] as it arrives.
//!
//! Each call carries the resolved model's upstreams as the catalog (`models.json`) lists them,
//! in the provider config's `upstreams` (see the ABI's `ProviderConfig`; no providers when the
//! catalog knows none), so a plugin can choose among them without fetching its catalog — which
//! a process that ends with the chat would fetch in vain.
//!
//! Fallback rules: the next candidate is tried after a refused credential, a missing permission,
//! exhausted credits, a rate limit (after the plugin's own retries), an upstream failure, a
//! timeout, a network failure, or a model the service does not know or serve — never after a
//! cancellation, and never once any output has been shown. Every attempt is reported.

use openclaw_provider_abi::{
    Cancellation, ErrorCode, ProviderError, Timeouts,
    documents::{ChatDone, ChatRequest, ChatResult, Message, ModelUpstreams, ToolCallDelta},
};
use provider_host::{event_lines::AttemptRecord, events::ChatEvent};
use serde::Serialize;

use crate::{
    catalog,
    host::Host,
    model_refs::{self, aliases, expand_alias, provider_of},
};

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct ChatOptions {
    /// A model ref or alias; the configured primary when absent.
    pub model: Option<String>,
    pub system: Option<String>,
    pub prompt: String,
    /// Stream the answer (default) or fetch it in one piece.
    pub stream: bool,
    /// Tool definitions (OpenAI's shape), passed through.
    pub tools: Option<Vec<serde_json::Value>>,
    /// The response format (OpenAI's shape), passed through.
    pub response_format: Option<serde_json::Value>,
    /// The upstream that last served each model ref in this conversation (`--session`).
    pub session_upstreams: std::collections::BTreeMap<String, String>,
}

/// Where the events of a chat go as they arrive.
pub trait ChatSink {
    /// An attempt is starting (the first, or a fallback).
    fn attempt(&mut self, _attempt: &Attempt) {}
    /// Something the user should know: a warning about the ref, a retry, an adjusted request.
    fn notice(&mut self, _text: &str) {}
    fn serving_provider(&mut self, _name: &str) {}
    fn text(&mut self, text: &str);
    fn reasoning(&mut self, text: &str);
    fn tool_call(&mut self, _delta: &ToolCallDelta) {}
    /// An attempt failed; `next` is the fallback about to be tried, if any.
    fn failed(&mut self, _attempt: &Attempt, _error: &ProviderError, _next: Option<&str>) {}
}

/// One try of one model.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    /// 1-based.
    pub number: usize,
    /// The ref as resolved (`huggingface/org/model:policy`).
    pub model: String,
    /// How many candidates there are in all.
    pub of: usize,
}

/// A finished chat.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatOutcome {
    /// The ref that answered.
    pub model: String,
    pub done: ChatDone,
    /// Every attempt and how it ended (the last one succeeded).
    pub attempts: Vec<AttemptRecord>,
}

/// Why a chat failed.
#[derive(Debug)]
pub enum ChatFailure {
    /// Nothing to try (no model configured, an unknown provider …).
    Setup(String),
    /// Every candidate failed; the last error and all attempts.
    Failed {
        error: ProviderError,
        attempts: Vec<AttemptRecord>,
    },
    /// The user interrupted.
    Cancelled { attempts: Vec<AttemptRecord> },
}

/// Whether a failed attempt should move on to the next candidate.
pub fn advances_fallback(code: ErrorCode) -> bool {
    matches!(
        code.normalized(),
        ErrorCode::UNAUTHORIZED
            | ErrorCode::FORBIDDEN
            | ErrorCode::PAYMENT_REQUIRED
            | ErrorCode::RATE_LIMITED
            | ErrorCode::UPSTREAM
            | ErrorCode::TIMEOUT
            | ErrorCode::NETWORK
            | ErrorCode::MODEL_NOT_FOUND
            | ErrorCode::MODEL_NOT_SUPPORTED
    )
}

/// The models to try, in order, with a note when the choice was implicit.
pub fn candidates(
    host: &Host,
    requested: Option<&str>,
) -> Result<(Vec<String>, Option<String>), ChatFailure> {
    let aliases = aliases(&host.config);
    let primary = model_refs::primary(&host.config).map(|primary| expand_alias(&aliases, &primary));
    let fallbacks: Vec<String> = model_refs::fallbacks(&host.config)
        .iter()
        .map(|fallback| expand_alias(&aliases, fallback))
        .collect();
    let mut note = None;
    let first = match requested {
        Some(model) => expand_alias(&aliases, model),
        None => match &primary {
            Some(primary) => primary.clone(),
            None => {
                let plugins = host.registry().plugins();
                let [only] = plugins else {
                    return Err(ChatFailure::Setup(
                        "no model chosen: pass --model <provider>/<model>, or set \
                         agents.defaults.model.primary (onboarding sets it)"
                            .into(),
                    ));
                };
                note = Some(format!(
                    "no default model is configured; using {}'s default, {}",
                    only.id(),
                    only.info.default_model
                ));
                only.info.default_model.to_string()
            }
        },
    };
    // Fallbacks back the configured primary; an explicit other model is tried alone.
    let mut chain = vec![first.clone()];
    if requested.is_none() || primary.as_deref() == Some(first.as_str()) {
        for fallback in fallbacks {
            if !chain.contains(&fallback) {
                chain.push(fallback);
            }
        }
    }
    Ok((chain, note))
}

/// Runs a chat: each candidate in turn until one answers.
pub fn run(
    host: &Host,
    options: &ChatOptions,
    sink: &mut dyn ChatSink,
    cancel: &Cancellation,
) -> Result<ChatOutcome, ChatFailure> {
    let (chain, note) = candidates(host, options.model.as_deref())?;
    if let Some(note) = note {
        sink.notice(&note);
    }
    let mut attempts: Vec<AttemptRecord> = Vec::new();
    for (index, reference) in chain.iter().enumerate() {
        let attempt = Attempt {
            number: index + 1,
            model: reference.clone(),
            of: chain.len(),
        };
        sink.attempt(&attempt);
        let outcome = try_model(host, reference, options, sink, cancel);
        let (error, output_started) = match outcome {
            Ok((model, done)) => {
                attempts.push(AttemptRecord {
                    model: model.clone(),
                    outcome: "ok".into(),
                    message: None,
                });
                return Ok(ChatOutcome {
                    model,
                    done,
                    attempts,
                });
            }
            Err(Tried::Cancelled) => {
                attempts.push(AttemptRecord {
                    model: reference.clone(),
                    outcome: ErrorCode::CANCELLED.to_string(),
                    message: None,
                });
                return Err(ChatFailure::Cancelled { attempts });
            }
            Err(Tried::Failed {
                error,
                output_started,
            }) => (error, output_started),
        };
        attempts.push(AttemptRecord {
            model: reference.clone(),
            outcome: error.code.to_string(),
            message: Some(error.message.to_string()),
        });
        let next = chain
            .get(index + 1)
            .filter(|_| !output_started && advances_fallback(error.code) && !cancel.is_cancelled());
        sink.failed(&attempt, &error, next.map(String::as_str));
        if next.is_none() {
            return Err(ChatFailure::Failed { error, attempts });
        }
    }
    Err(ChatFailure::Setup("no model to try".into()))
}

enum Tried {
    Failed {
        error: ProviderError,
        output_started: bool,
    },
    Cancelled,
}

impl From<ProviderError> for Tried {
    fn from(error: ProviderError) -> Self {
        Self::Failed {
            error,
            output_started: false,
        }
    }
}

/// One candidate: resolve, authenticate, send, and pull the answer into the sink.
fn try_model(
    host: &Host,
    reference: &str,
    options: &ChatOptions,
    sink: &mut dyn ChatSink,
    cancel: &Cancellation,
) -> Result<(String, ChatDone), Tried> {
    let provider = provider_of(reference).ok_or_else(|| {
        ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!("{reference:?} is not a model ref: refs look like <provider>/<model>, e.g. huggingface/deepseek-ai/DeepSeek-R1"),
        )
    })?;
    let plugin = host.registry().get(&provider).ok_or_else(|| {
        ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!("no provider plugin '{provider}' is loaded (for {reference}); `host-stub plugins list` shows what is"),
        )
    })?;
    let current = catalog::current(host, plugin);
    let known = catalog::known_models(&current.models);
    let resolved = plugin.resolve_ref(reference, &known)?;
    for warning in resolved.warnings.iter() {
        sink.notice(warning);
    }
    let model_ref = resolved.model_ref.to_string();
    let credential = host
        .credential(plugin, None)
        .map_err(|err| ProviderError::new(ErrorCode::INVALID_REQUEST, err.to_string()))?;
    let base_model = resolved.base_model_id.as_str();
    let providers = current
        .models
        .iter()
        .find(|row| row.id == base_model)
        .map(|row| row.providers.as_slice())
        .unwrap_or_default();
    // The catalog row's upstream entries, in the contract's words (the row writes them so).
    let upstreams: ModelUpstreams = serde_json::from_value(serde_json::json!({
        "model": base_model,
        "providers": providers,
    }))
    .unwrap_or_default();
    let settings = host
        .config
        .provider_settings(plugin.id())
        .with_upstreams(upstreams);
    let context =
        settings.call_context(credential.as_ref().map(|c| &c.secret), Timeouts::default());
    let mut messages = Vec::new();
    if let Some(system) = &options.system {
        messages.push(Message::text("system", system.clone()));
    }
    messages.push(Message::text("user", options.prompt.clone()));
    let request = ChatRequest {
        model: model_ref.clone(),
        messages,
        tools: options.tools.clone(),
        response_format: options.response_format.clone(),
        session_upstream: options.session_upstreams.get(&model_ref).cloned(),
        ..ChatRequest::default()
    };
    let request_json = serde_json::to_string(&request)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))?;

    if !options.stream {
        let json = plugin.chat(&context, &request_json)?;
        let result: ChatResult = serde_json::from_str(&json).map_err(|err| {
            ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!("the plugin's result is not a chat result: {err}"),
            )
        })?;
        if let Some(serving) = &result.serving_provider {
            sink.serving_provider(serving);
        }
        if !result.reasoning.is_empty() {
            sink.reasoning(&result.reasoning);
        }
        sink.text(&result.text);
        return Ok((model_ref, result.into_done()));
    }

    let mut output_started = false;
    for event in plugin.chat_events(&context, &request_json, Some(cancel))? {
        let event = match event {
            Ok(event) => event,
            Err(_) if cancel.is_cancelled() => return Err(Tried::Cancelled),
            Err(error) => {
                return Err(Tried::Failed {
                    error,
                    output_started,
                });
            }
        };
        output_started |= event.is_output();
        match event {
            ChatEvent::Text(text) => sink.text(&text),
            ChatEvent::Reasoning(text) => sink.reasoning(&text),
            ChatEvent::ToolCall(delta) => sink.tool_call(&delta),
            ChatEvent::ServingProvider(name) => sink.serving_provider(&name),
            ChatEvent::Notice { message, .. } => sink.notice(&message),
            ChatEvent::Usage(_) => {} // the done event carries the final figures
            ChatEvent::Done(done) => return Ok((model_ref, done)),
        }
    }
    // The iterator ends only after `Done` or an error, both handled above.
    Err(Tried::Failed {
        error: ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            "the stream ended without an answer",
        ),
        output_started,
    })
}
