//! The echo provider: a second, tiny provider plugin that exists only for the tests.
//!
//! It implements the whole contract without any network: its one-shot chat answers
//! `echo: <last user message>`, its stream sends the same answer word by word, and it panics
//! on purpose when a message asks it to (`panic`), so the tests can prove that a panic inside a
//! plugin becomes an `internal` error while the host keeps running. Loading it next to the
//! Hugging Face plugin, into the same host binary, proves that providers swap without
//! recompiling the host.

use std::collections::VecDeque;

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{ROption, RResult, RSlice, RStr, RString, RVec},
};
use openclaw_provider_abi::{
    AccountInfo, AuthKind, AuthMethod, CallContext, Capabilities, Catalog, CatalogRequest,
    CatalogSource, ChatStream, ChatStream_TO, ChatStreamBox, CredentialProfile, ErrorCode,
    EventKind, HostContext, INTERFACE_VERSION, Modalities, ModelCost, ModelInfo, Note,
    OnboardingRequest, OnboardingResult, PluginInfo, ProviderError, ProviderModule,
    ProviderModuleRef, ResolvedModel, StreamEvent, Tristate, catch_panics,
    documents::{ChatDone, ChatRequest, ChatResult, Content},
};

#[export_root_module]
pub fn root_module() -> ProviderModuleRef {
    ProviderModule {
        info,
        init,
        auth_methods,
        validate_credential,
        onboarding_result,
        list_models,
        resolve_ref,
        chat,
        chat_stream,
        prepare,
    }
    .leak_into_prefix()
}

const MODELS: [&str; 2] = ["echo-1", "echo-2"];

extern "C" fn info() -> RResult<PluginInfo, ProviderError> {
    catch_panics("info", || {
        Ok(PluginInfo {
            id: "echo".into(),
            display_name: "Echo (test provider)".into(),
            description: "Answers with what it was told".into(),
            plugin_version: env!("CARGO_PKG_VERSION").into(),
            interface_version: INTERFACE_VERSION.into(),
            capabilities: Capabilities::STREAMING,
            api: "echo".into(),
            default_base_url: "echo://local".into(),
            default_model: "echo/echo-1".into(),
            docs_url: RString::new(),
            metadata_json: RString::new(),
        })
    })
}

extern "C" fn init(_context: &HostContext) -> RResult<(), ProviderError> {
    catch_panics("init", || Ok(()))
}

extern "C" fn auth_methods() -> RResult<RVec<AuthMethod>, ProviderError> {
    catch_panics("auth_methods", || {
        Ok(RVec::from(vec![AuthMethod {
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
        }]))
    })
}

extern "C" fn validate_credential(context: &CallContext) -> RResult<AccountInfo, ProviderError> {
    catch_panics("validate_credential", || {
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
    })
}

extern "C" fn onboarding_result(
    request: &OnboardingRequest,
) -> RResult<OnboardingResult, ProviderError> {
    catch_panics("onboarding_result", || {
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
    })
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

/// The built-in list; panics when the base URL asks for it (the host's panic-guard test).
extern "C" fn list_models(request: &CatalogRequest) -> RResult<Catalog, ProviderError> {
    catch_panics("list_models", || {
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
    })
}

extern "C" fn resolve_ref(
    reference: RStr<'_>,
    _known: RSlice<'_, ModelInfo>,
) -> RResult<ResolvedModel, ProviderError> {
    catch_panics("resolve_ref", || {
        let id = reference.as_str().trim();
        let id = id.strip_prefix("echo/").unwrap_or(id).to_owned();
        let known = MODELS.contains(&id.as_str());
        Ok(ResolvedModel {
            provider_id: "echo".into(),
            model_ref: format!("echo/{id}").into(),
            wire_model_id: id.as_str().into(),
            base_model_id: id.as_str().into(),
            policy: RString::new(),
            policy_provider: RString::new(),
            known,
            model: model(&id),
            warnings: RVec::new(),
        })
    })
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

extern "C" fn chat(_context: &CallContext, request: RStr<'_>) -> RResult<RString, ProviderError> {
    catch_panics("chat", || {
        let (model, text) = answer(request.as_str())?;
        let result = ChatResult {
            model,
            text,
            finish_reason: Some("stop".into()),
            ..ChatResult::default()
        };
        serde_json::to_string(&result)
            .map(RString::from)
            .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
    })
}

/// Replays a prepared answer; a prompt containing `stream-panic` makes `next_event` panic.
struct EchoStream {
    events: VecDeque<StreamEvent>,
    panic_on_next: bool,
    finished: bool,
}

impl ChatStream for EchoStream {
    fn next_event(&mut self, _timeout_ms: u64) -> RResult<ROption<StreamEvent>, ProviderError> {
        catch_panics("next_event", || {
            if self.panic_on_next {
                panic!("asked to panic mid-stream");
            }
            if self.finished {
                return Err(ProviderError::new(
                    ErrorCode::INVALID_REQUEST,
                    "the stream is over",
                ));
            }
            let event = self.events.pop_front();
            if event.as_ref().is_none_or(|e| e.kind == EventKind::DONE) {
                self.finished = true;
            }
            Ok(event.into())
        })
    }

    fn next_events(
        &mut self,
        max_events: u32,
        timeout_ms: u64,
    ) -> RResult<RVec<StreamEvent>, ProviderError> {
        let mut batch = RVec::new();
        while batch.len() < max_events as usize && !self.finished {
            match self.next_event(timeout_ms).into_result() {
                Ok(ROption::RSome(event)) => batch.push(event),
                Ok(ROption::RNone) => break,
                Err(err) if batch.is_empty() => return RResult::RErr(err),
                Err(_) => break,
            }
        }
        RResult::ROk(batch)
    }

    fn cancel(&mut self) {
        self.events.clear();
        self.finished = true;
    }
}

extern "C" fn chat_stream(
    _context: &CallContext,
    request: RStr<'_>,
) -> RResult<ChatStreamBox, ProviderError> {
    catch_panics("chat_stream", || {
        let panic_on_next = request.as_str().contains("stream-panic");
        let (model, text) = if panic_on_next {
            (String::new(), String::new())
        } else {
            answer(request.as_str())?
        };
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
        let stream = EchoStream {
            events,
            panic_on_next,
            finished: false,
        };
        Ok(ChatStream_TO::from_value(stream, TD_Opaque))
    })
}

/// Nothing to prepare: the echo provider has no connections.
extern "C" fn prepare(_context: &CallContext) -> RResult<(), ProviderError> {
    catch_panics("prepare", || Ok(()))
}
