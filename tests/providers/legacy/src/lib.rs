//! The legacy provider: a plugin written the way interface 1.1 asked for — its root module
//! filled in by hand with `extern "C"` functions, each catching its own panics — and built
//! against that interface exactly as it shipped. It answers one model, `legacy/old-1`, whose
//! chat replies `legacy: <last message>`. The tests load it into today's hosts to prove that a
//! plugin built before the capability entry points existed still loads, chats, and is simply
//! seen to serve nothing else.

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{ROption, RResult, RSlice, RStr, RString, RVec},
};
use openclaw_provider_abi::{
    AccountInfo, AuthMethod, CallContext, Capabilities, Catalog, CatalogRequest, CatalogSource,
    ChatStream, ChatStream_TO, ChatStreamBox, CredentialProfile, ErrorCode, EventKind,
    HostContext, INTERFACE_VERSION, Modalities, ModelCost, ModelInfo, OnboardingRequest,
    OnboardingResult, PluginInfo, ProviderError, ProviderModule, ProviderModuleRef,
    ResolvedModel, StreamEvent, Tristate, catch_panics,
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

const MODEL: &str = "old-1";

extern "C" fn info() -> RResult<PluginInfo, ProviderError> {
    catch_panics("info", || {
        Ok(PluginInfo {
            id: "legacy".into(),
            display_name: "Legacy (test provider built against interface 1.1)".into(),
            description: "Answers as plugins of interface 1.1 did".into(),
            plugin_version: env!("CARGO_PKG_VERSION").into(),
            interface_version: INTERFACE_VERSION.into(),
            capabilities: Capabilities::STREAMING,
            api: "legacy".into(),
            default_base_url: "legacy://local".into(),
            default_model: format!("legacy/{MODEL}").into(),
            docs_url: RString::new(),
            metadata_json: RString::new(),
        })
    })
}

extern "C" fn init(_context: &HostContext) -> RResult<(), ProviderError> {
    RResult::ROk(())
}

extern "C" fn auth_methods() -> RResult<RVec<AuthMethod>, ProviderError> {
    RResult::ROk(RVec::new())
}

extern "C" fn validate_credential(_context: &CallContext) -> RResult<AccountInfo, ProviderError> {
    RResult::RErr(ProviderError::new(ErrorCode::UNSUPPORTED, "no credentials here"))
}

extern "C" fn onboarding_result(
    request: &OnboardingRequest,
) -> RResult<OnboardingResult, ProviderError> {
    catch_panics("onboarding_result", || {
        Ok(OnboardingResult {
            profile: CredentialProfile {
                profile_id: "legacy:default".into(),
                provider_id: "legacy".into(),
                kind: Default::default(),
                key_env_var: request.key_env_var.clone(),
            },
            config_patch_json: "{}".into(),
            default_model: format!("legacy/{MODEL}").into(),
            notes: RVec::new(),
        })
    })
}

fn the_model() -> ModelInfo {
    ModelInfo {
        id: MODEL.into(),
        name: "Old One".into(),
        reasoning: false,
        input: Modalities::TEXT,
        context_window: 2048,
        max_tokens: 256,
        cost: ModelCost::default(),
        supports_tools: Tristate::UNKNOWN,
        supports_structured_output: Tristate::UNKNOWN,
        providers: RVec::new(),
        facts_note: RString::new(),
        extra_json: RString::new(),
    }
}

extern "C" fn list_models(_request: &CatalogRequest) -> RResult<Catalog, ProviderError> {
    catch_panics("list_models", || {
        Ok(Catalog {
            source: CatalogSource::BUILT_IN,
            models: RVec::from(vec![the_model()]),
            fallback_reason: "built in".into(),
        })
    })
}

extern "C" fn resolve_ref(
    reference: RStr<'_>,
    _known: RSlice<'_, ModelInfo>,
) -> RResult<ResolvedModel, ProviderError> {
    catch_panics("resolve_ref", || {
        let id = reference.as_str().trim_start_matches("legacy/");
        Ok(ResolvedModel {
            provider_id: "legacy".into(),
            model_ref: format!("legacy/{id}").into(),
            wire_model_id: id.into(),
            base_model_id: id.into(),
            policy: RString::new(),
            policy_provider: RString::new(),
            known: id == MODEL,
            model: the_model(),
            warnings: RVec::new(),
        })
    })
}

/// `legacy: <last message>`, and the model asked for.
fn reply(request_json: &str) -> Result<(String, String), ProviderError> {
    let request: ChatRequest = serde_json::from_str(request_json)
        .map_err(|err| ProviderError::new(ErrorCode::INVALID_REQUEST, err.to_string()))?;
    let last = request.messages.last().and_then(|m| match &m.content {
        Some(Content::Text(text)) => Some(text.clone()),
        _ => None,
    });
    Ok((request.model, format!("legacy: {}", last.unwrap_or_default())))
}

fn to_json(document: &impl serde::Serialize) -> Result<String, ProviderError> {
    serde_json::to_string(document)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
}

extern "C" fn chat(_context: &CallContext, request: RStr<'_>) -> RResult<RString, ProviderError> {
    catch_panics("chat", || {
        let (model, text) = reply(request.as_str())?;
        let result = ChatResult {
            model,
            text,
            finish_reason: Some("stop".into()),
            ..ChatResult::default()
        };
        to_json(&result).map(RString::from)
    })
}

/// The reply in one event, then `done`.
struct OneShotStream {
    events: Vec<StreamEvent>,
}

impl ChatStream for OneShotStream {
    fn next_event(&mut self, _timeout_ms: u64) -> RResult<ROption<StreamEvent>, ProviderError> {
        catch_panics("next_event", || {
            if self.events.is_empty() {
                return Err(ProviderError::new(ErrorCode::INVALID_REQUEST, "over"));
            }
            Ok(ROption::RSome(self.events.remove(0)))
        })
    }

    fn next_events(
        &mut self,
        _max_events: u32,
        timeout_ms: u64,
    ) -> RResult<RVec<StreamEvent>, ProviderError> {
        self.next_event(timeout_ms)
            .map(|event| event.into_option().into_iter().collect())
    }

    fn cancel(&mut self) {
        self.events.clear();
    }
}

extern "C" fn chat_stream(
    _context: &CallContext,
    request: RStr<'_>,
) -> RResult<ChatStreamBox, ProviderError> {
    catch_panics("chat_stream", || {
        let (model, text) = reply(request.as_str())?;
        let done = ChatDone {
            model,
            finish_reason: Some("stop".into()),
            ..ChatDone::default()
        };
        let events = vec![
            StreamEvent::text(EventKind::TEXT_DELTA, text),
            StreamEvent::json(EventKind::DONE, to_json(&done)?),
        ];
        Ok(ChatStream_TO::from_value(OneShotStream { events }, TD_Opaque))
    })
}

extern "C" fn prepare(_context: &CallContext) -> RResult<(), ProviderError> {
    RResult::ROk(())
}
