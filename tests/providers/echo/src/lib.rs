//! The echo provider: a second, tiny provider plugin that exists only for the tests.
//!
//! It implements the whole contract without any network, as any provider would — a [`Provider`]
//! of plain functions, exported by the ABI crate's glue: its one-shot chat answers
//! `echo: <last user message>`, its stream sends the same answer word by word, its embeddings
//! are a few counts of each text's letters, and it panics on purpose when asked to (`panic` in a
//! prompt or a base URL), so the tests can prove that a panic inside a plugin becomes an
//! `internal` error while the host keeps running. Loading it next to the Hugging Face plugin,
//! into the same host binary, proves that providers swap without recompiling the host.

use std::{collections::VecDeque, time::Duration};

use openclaw_provider_abi::{
    AccountInfo, AuthKind, AuthMethod, CallContext, Cancellation, Capabilities, Catalog,
    CatalogRequest, CatalogSource, CredentialProfile, ErrorCode, EventKind, EventSource,
    INTERFACE_VERSION, Modalities, ModelCost, ModelInfo, Note, OnboardingRequest, OnboardingResult,
    PluginInfo, Provider, ProviderError, ResolvedModel, StreamEvent, Tristate,
    abi_stable::std_types::{ROption, RString, RVec},
    documents::{ChatDone, ChatRequest, ChatResult, Content, EmbeddingRequest, EmbeddingResult},
    export_provider,
};

/// The echo provider.
pub struct Echo;

export_provider!(Echo);

const MODELS: [&str; 2] = ["echo-1", "echo-2"];

/// The length of the echo provider's vectors.
const DIMENSIONS: usize = 4;

impl Provider for Echo {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "echo".into(),
            display_name: "Echo (test provider)".into(),
            description: "Answers with what it was told".into(),
            plugin_version: env!("CARGO_PKG_VERSION").into(),
            interface_version: INTERFACE_VERSION.into(),
            capabilities: Capabilities::CHAT
                .with(Capabilities::STREAMING)
                .with(Capabilities::EMBEDDINGS),
            api: "echo".into(),
            default_base_url: "echo://local".into(),
            default_model: "echo/echo-1".into(),
            docs_url: RString::new(),
            metadata_json: RString::new(),
        }
    }

    fn auth_methods() -> Vec<AuthMethod> {
        vec![AuthMethod {
            provider_id: "echo".into(),
            method_id: "api-key".into(),
            kind: AuthKind::API_KEY,
            choice_id: "echo-api-key".into(),
            label: "Echo key".into(),
            hint: RString::new(),
            group_id: "echo".into(),
            group_label: "Echo".into(),
            group_hint: RString::new(),
            cli_flag: "--echo-api-key".into(),
            cli_option: "--echo-api-key <key>".into(),
            cli_description: "Echo test key".into(),
            option_key: "echoApiKey".into(),
            env_vars: RVec::from(vec![RString::from("ECHO_API_KEY")]),
            credential_files: RVec::new(),
            prompt_message: "Enter echo key".into(),
            token_url: RString::new(),
            required_permission: RString::new(),
            required_permission_label: RString::new(),
            secret_prefix: RString::new(),
        }]
    }

    fn validate_credential(context: &CallContext) -> Result<AccountInfo, ProviderError> {
        match context.credential.as_ref().map(|secret| secret.expose()) {
            ROption::RSome("echo-ok") => Ok(AccountInfo {
                account_name: "echo-user".into(),
                credential_name: RString::new(),
                credential_role: "full".into(),
                can_call_provider: Tristate::YES,
                settings_url: RString::new(),
                message: "the echo key works".into(),
            }),
            _ => {
                Err(ProviderError::new(ErrorCode::UNAUTHORIZED, "not an echo key").with_status(401))
            }
        }
    }

    fn onboarding_result(request: &OnboardingRequest) -> Result<OnboardingResult, ProviderError> {
        let model = if request.chosen_model.is_empty() {
            "echo/echo-1".to_owned()
        } else {
            request.chosen_model.to_string()
        };
        Ok(OnboardingResult {
            profile: CredentialProfile {
                profile_id: "echo:default".into(),
                provider_id: "echo".into(),
                kind: AuthKind::API_KEY,
                key_env_var: request.key_env_var.clone(),
            },
            config_patch_json:
                serde_json::json!({"plugins": {"entries": {"echo": {"enabled": true}}}})
                    .to_string()
                    .into(),
            default_model: model.into(),
            notes: RVec::from(vec![Note {
                title: "Echo".into(),
                message: "nothing to configure".into(),
            }]),
        })
    }

    /// The built-in list; panics when the base URL asks for it (the host's panic-guard test).
    fn list_models(
        request: &CatalogRequest,
        capability: Capabilities,
        _cancel: &Cancellation,
    ) -> Result<Catalog, ProviderError> {
        if capability == Capabilities::EMBEDDINGS {
            return Ok(Catalog {
                source: CatalogSource::BUILT_IN,
                models: vec![model("echo-embed")].into(),
                fallback_reason: "the echo provider has no live catalog".into(),
            });
        }
        if request
            .context
            .base_url
            .as_ref()
            .into_option()
            .is_some_and(|url| url.as_str().contains("panic"))
        {
            panic!("asked to panic by the base URL");
        }
        Ok(Catalog {
            source: CatalogSource::BUILT_IN,
            models: MODELS.iter().map(|id| model(id)).collect(),
            fallback_reason: "the echo provider has no live catalog".into(),
        })
    }

    fn resolve_ref(reference: &str, _known: &[ModelInfo]) -> Result<ResolvedModel, ProviderError> {
        let id = reference.trim();
        let id = id.strip_prefix("echo/").unwrap_or(id).to_owned();
        Ok(ResolvedModel {
            provider_id: "echo".into(),
            model_ref: format!("echo/{id}").into(),
            wire_model_id: id.as_str().into(),
            base_model_id: id.as_str().into(),
            policy: RString::new(),
            policy_provider: RString::new(),
            known: MODELS.contains(&id.as_str()),
            model: model(&id),
            warnings: RVec::new(),
        })
    }

    fn chat(_context: &CallContext, request_json: &str) -> Result<String, ProviderError> {
        let (model, text) = answer(request_json)?;
        let result = ChatResult {
            model,
            text,
            finish_reason: Some("stop".into()),
            ..ChatResult::default()
        };
        serde_json::to_string(&result)
            .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
    }

    /// The answer word by word; a prompt containing `stream-panic` makes the stream panic.
    fn chat_stream(
        _context: &CallContext,
        request_json: &str,
    ) -> Result<Box<dyn EventSource>, ProviderError> {
        if request_json.contains("stream-panic") {
            return Ok(Box::new(EchoStream::Panicking));
        }
        let (model, text) = answer(request_json)?;
        let mut events: VecDeque<StreamEvent> = text
            .split_inclusive(' ')
            .map(|word| StreamEvent::text(EventKind::TEXT_DELTA, word))
            .collect();
        let done = ChatDone {
            model,
            finish_reason: Some("stop".into()),
            ..ChatDone::default()
        };
        events.push_back(StreamEvent::json(
            EventKind::DONE,
            serde_json::to_string(&done).unwrap_or_default(),
        ));
        Ok(Box::new(EchoStream::Replaying(events)))
    }

    /// Each text's counts of vowels, consonants, digits and other characters; `panic` in a text
    /// makes it panic.
    fn embed(
        _context: &CallContext,
        request_json: &str,
        _cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        let request: EmbeddingRequest = serde_json::from_str(request_json)
            .map_err(|err| ProviderError::new(ErrorCode::INVALID_REQUEST, err.to_string()))?;
        if request.input.iter().any(|text| text.contains("panic")) {
            panic!("asked to panic by a text to embed");
        }
        let vectors = request
            .input
            .iter()
            .map(|text| letter_counts(text))
            .collect();
        let result = EmbeddingResult {
            model: request
                .model
                .strip_prefix("echo/")
                .unwrap_or(&request.model)
                .to_owned(),
            serving_provider: Some("echo".into()),
            vectors,
            dimensions: DIMENSIONS as u32,
            ..EmbeddingResult::default()
        };
        serde_json::to_string(&result)
            .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
    }
}

fn model(id: &str) -> ModelInfo {
    ModelInfo {
        id: id.into(),
        name: format!("Echo {id}").into(),
        reasoning: false,
        input: Modalities::TEXT,
        context_window: 4096,
        max_tokens: 1024,
        cost: ModelCost::default(),
        supports_tools: Tristate::NO,
        supports_structured_output: Tristate::NO,
        providers: RVec::new(),
        facts_note: RString::new(),
        extra_json: RString::new(),
    }
}

/// The answer to a request: `echo: <last user text>`; panics when the text asks for it.
fn answer(request_json: &str) -> Result<(String, String), ProviderError> {
    let request: ChatRequest = serde_json::from_str(request_json)
        .map_err(|err| ProviderError::new(ErrorCode::INVALID_REQUEST, err.to_string()))?;
    let text = request
        .messages
        .iter()
        .rev()
        .find(|message| message.role == "user")
        .and_then(|message| match &message.content {
            Some(Content::Text(text)) => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default();
    if text.contains("panic") {
        panic!("asked to panic by the prompt");
    }
    Ok((request.model, format!("echo: {text}")))
}

fn letter_counts(text: &str) -> Vec<f32> {
    let mut counts = [0f32; DIMENSIONS];
    for c in text.chars() {
        let slot = match c.to_ascii_lowercase() {
            'a' | 'e' | 'i' | 'o' | 'u' => 0,
            c if c.is_ascii_alphabetic() => 1,
            c if c.is_ascii_digit() => 2,
            _ => 3,
        };
        counts[slot] += 1.0;
    }
    counts.to_vec()
}

/// A streamed echo.
enum EchoStream {
    /// Hands out a prepared answer.
    Replaying(VecDeque<StreamEvent>),
    /// Panics when pulled.
    Panicking,
}

impl EventSource for EchoStream {
    fn next_events(
        &mut self,
        max: usize,
        _timeout: Duration,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), ProviderError> {
        match self {
            Self::Replaying(events) => {
                let take = max.min(events.len());
                out.extend(events.drain(..take));
                Ok(())
            }
            Self::Panicking => panic!("asked to panic mid-stream"),
        }
    }

    fn cancel(&mut self) {
        if let Self::Replaying(events) = self {
            events.clear();
        }
    }
}
