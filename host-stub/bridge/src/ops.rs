//! The operations the bridge runs for a host, whether resident or one per run: `info`,
//! `catalog`, `resolve`, `onboarding`, `prepare` and `chat`. Each answers with JSON lines and
//! fails with a [`Stop`]: the `error` line it prints and, for a one-shot run, its exit code.

use std::sync::atomic::AtomicBool;

use openclaw_provider_abi::{
    CallContext, CatalogRequest, CatalogSource, DiscoveryMode, ErrorCode, OnboardingRequest,
    ProviderError, Secret, SecretInputMode, Timeouts, abi_stable::std_types::RString,
    documents::ChatRequest,
};
use provider_host::{
    credentials::{self, Lookup},
    event_lines::{ErrorLine, EventLine},
    events::ChatEvent,
    plugin::LoadedPlugin,
    rows::ModelRow,
};
use serde_json::{Value, json};

use crate::output::Lines;

/// Why an operation stopped: the error line it prints and its exit code in a one-shot run
/// (1 the provider's error, 2 a bad invocation or request, 3 the plugin missing or refused,
/// 4 no credential, 130 interrupted).
#[derive(Debug)]
pub struct Stop {
    pub exit: u8,
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
    pub retry_after_ms: Option<u64>,
}

impl Stop {
    pub fn new(exit: u8, code: &str, message: impl Into<String>) -> Self {
        Self {
            exit,
            code: code.to_owned(),
            message: message.into(),
            http_status: None,
            retry_after_ms: None,
        }
    }

    /// The `error` line.
    pub fn line(&self) -> EventLine<'_> {
        EventLine::Error(ErrorLine {
            code: self.code.as_str().into(),
            message: self.message.as_str().into(),
            http_status: self.http_status,
            retry_after_ms: self.retry_after_ms,
            attempts: None,
        })
    }
}

impl From<ProviderError> for Stop {
    fn from(error: ProviderError) -> Self {
        let code = error.code.normalized();
        Self {
            exit: if code == ErrorCode::CANCELLED { 130 } else { 1 },
            code: code.to_string(),
            message: error.message.to_string(),
            http_status: (error.http_status != 0).then_some(error.http_status),
            retry_after_ms: error.retry_after_ms.into_option(),
        }
    }
}

/// A provider's non-secret settings for one call.
#[derive(Debug, Default)]
pub struct Settings {
    /// The base URL override (default: the plugin's).
    pub base_url: Option<String>,
    /// The `models.providers.<id>` block without `apiKey` and `models`, with the plugin's own
    /// configuration under `plugin`.
    pub provider_config: Value,
}

impl Settings {
    /// Settings from their wire form; the provider config must be a JSON object.
    pub fn new(base_url: Option<String>, provider_config: Option<Value>) -> Result<Self, Stop> {
        let provider_config = provider_config.unwrap_or_else(|| json!({}));
        if !provider_config.is_object() {
            return Err(Stop::new(
                2,
                "usage",
                "the provider config must be a JSON object",
            ));
        }
        Ok(Self {
            base_url,
            provider_config,
        })
    }

    fn context(&self, credential: Option<&Secret>, timeouts: Timeouts) -> CallContext {
        provider_host::call::call_context(
            credential,
            self.base_url.as_deref(),
            &self.provider_config,
            timeouts,
        )
    }
}

/// The credential for a call, in the one order every host uses: the explicit value (`source`
/// names where it comes from, `value` is what came, if anything), then the plugin's environment
/// variables, then its token file.
pub fn credential(
    plugin: &LoadedPlugin,
    source: &str,
    value: Option<&str>,
) -> Result<Secret, Stop> {
    let lookup = Lookup {
        explicit: value.map(|value| (source, value)),
        ..Lookup::default()
    };
    let found = match plugin.auth_method(None) {
        Some(method) => credentials::resolve(method, &lookup)
            .map_err(|err| Stop::new(2, "invalid_request", err.to_string()))?,
        None => None,
    };
    if let Some(credential) = found {
        return Ok(credential.secret);
    }
    let mut ways = vec![source.to_owned()];
    for method in &plugin.auth_methods {
        for variable in method.env_vars.iter() {
            if !ways.iter().any(|way| way == variable.as_str()) {
                ways.push(variable.to_string());
            }
        }
    }
    Err(Stop::new(
        4,
        "no_credential",
        format!(
            "no credential for {}: set {}, or log in with the provider's own tool so its token \
             file exists",
            plugin.id(),
            ways.join(" or ")
        ),
    ))
}

/// The plugin's info and auth methods.
pub fn info(plugin: &LoadedPlugin) -> Value {
    let info = &plugin.info;
    let methods: Vec<Value> = plugin
        .auth_methods
        .iter()
        .map(|m| {
            json!({
                "providerId": m.provider_id.as_str(),
                "methodId": m.method_id.as_str(),
                "choiceId": m.choice_id.as_str(),
                "label": m.label.as_str(),
                "hint": m.hint.as_str(),
                "cliFlag": m.cli_flag.as_str(),
                "optionKey": m.option_key.as_str(),
                "envVars": m.env_vars.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
                "promptMessage": m.prompt_message.as_str(),
                "tokenUrl": m.token_url.as_str(),
                "requiredPermission": m.required_permission.as_str(),
            })
        })
        .collect();
    json!({
        "type": "info",
        "id": info.id.as_str(),
        "name": info.display_name.as_str(),
        "version": info.plugin_version.as_str(),
        "interface": info.interface_version.as_str(),
        "api": info.api.as_str(),
        "baseUrl": info.default_base_url.as_str(),
        "defaultModel": info.default_model.as_str(),
        "library": plugin.library.display().to_string(),
        "authMethods": methods,
    })
}

/// How much of the catalog to fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The live list or an error.
    Strict,
    /// The live list, else the built-in one with the reason.
    Advisory,
    /// The built-in list, no network.
    Static,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "strict" => Some(Self::Strict),
            "advisory" => Some(Self::Advisory),
            "static" => Some(Self::Static),
            _ => None,
        }
    }
}

/// The model catalog, in OpenClaw's `models.providers.<id>` shape.
pub fn catalog(
    plugin: &LoadedPlugin,
    settings: &Settings,
    credential: Option<&Secret>,
    mode: Mode,
    timeout_ms: u64,
    max_body_bytes: u64,
) -> Result<Value, Stop> {
    let mode = match mode {
        Mode::Static => DiscoveryMode::STATIC,
        Mode::Advisory => DiscoveryMode::ADVISORY,
        Mode::Strict => DiscoveryMode::STRICT,
    };
    let credential = credential.filter(|_| mode != DiscoveryMode::STATIC);
    let context = settings.context(
        credential,
        Timeouts {
            overall_ms: timeout_ms,
            ..Timeouts::default()
        },
    );
    let catalog = plugin.list_models(&CatalogRequest {
        context,
        mode,
        max_body_bytes,
    })?;
    let base_url = settings
        .base_url
        .clone()
        .unwrap_or_else(|| plugin.info.default_base_url.to_string());
    let models: Vec<ModelRow<'_>> = catalog.models.iter().map(ModelRow::from).collect();
    Ok(json!({
        "type": "catalog",
        "source": if catalog.source == CatalogSource::LIVE { "live" } else { "built-in" },
        "fallbackReason": catalog.fallback_reason.as_str(),
        "provider": {
            "baseUrl": base_url,
            "api": plugin.info.api.as_str(),
            "models": models,
        },
    }))
}

/// One model ref: the id sent on the wire, its metadata, warnings. The built-in catalog gives
/// known models their facts; no network.
pub fn resolve(plugin: &LoadedPlugin, reference: &str) -> Result<Value, Stop> {
    let known = plugin.static_catalog()?;
    let resolved = plugin.resolve_ref(reference, &known)?;
    Ok(json!({
        "type": "model",
        "ref": resolved.model_ref.as_str(),
        "provider": resolved.provider_id.as_str(),
        "wireModelId": resolved.wire_model_id.as_str(),
        "baseModelId": resolved.base_model_id.as_str(),
        "policy": resolved.policy.as_str(),
        "policyProvider": resolved.policy_provider.as_str(),
        "known": resolved.known,
        "model": ModelRow::from(&resolved.model),
        "warnings": resolved.warnings.iter().map(|w| w.as_str()).collect::<Vec<_>>(),
    }))
}

/// What onboarding changes for the host's configuration `config` (JSON text; blank: empty).
pub fn onboarding(
    plugin: &LoadedPlugin,
    config: &str,
    method: Option<&str>,
    model: Option<&str>,
) -> Result<Value, Stop> {
    let config = if config.trim().is_empty() {
        "{}".to_owned()
    } else {
        let value: Value = serde_json::from_str(config).map_err(|err| {
            Stop::new(
                2,
                "invalid_request",
                format!("the configuration is not JSON: {err}"),
            )
        })?;
        value.to_string()
    };
    let method = plugin.auth_method(method).ok_or_else(|| {
        let offered: Vec<&str> = plugin
            .auth_methods
            .iter()
            .map(|m| m.method_id.as_str())
            .collect();
        Stop::new(
            2,
            "usage",
            format!(
                "no such auth method; {} offers {}",
                plugin.id(),
                offered.join(", ")
            ),
        )
    })?;
    let result = plugin.onboarding_result(&OnboardingRequest {
        method_id: method.method_id.clone(),
        secret_mode: SecretInputMode::PLAINTEXT,
        key_env_var: RString::new(),
        chosen_model: model.unwrap_or_default().into(),
        current_config_json: config.into(),
    })?;
    let patch: Value = serde_json::from_str(&result.config_patch_json).map_err(|err| {
        Stop::new(
            1,
            "invalid_response",
            format!("the plugin's config patch is not JSON: {err}"),
        )
    })?;
    Ok(json!({
        "type": "onboarding",
        "profileId": result.profile.profile_id.as_str(),
        "providerId": result.profile.provider_id.as_str(),
        "configPatch": patch,
        "defaultModel": result.default_model.as_str(),
        "notes": result
            .notes
            .iter()
            .map(|n| json!({"title": n.title.as_str(), "message": n.message.as_str()}))
            .collect::<Vec<_>>(),
    }))
}

/// Warms what calls with these settings need (a connection); answers at once.
pub fn prepare(plugin: &LoadedPlugin, settings: &Settings) -> Result<Value, Stop> {
    plugin.prepare(&settings.context(None, Timeouts::default()))?;
    Ok(json!({"type": "prepared"}))
}

/// A streamed chat: `body` is the chat request (JSON), checked before the credential is looked
/// for (see [`credential`]: `source` and `value`); every event becomes a line as it arrives (a
/// burst of events is written at once), ending with `done`. Setting `cancel` stops the request.
pub fn chat(
    plugin: &LoadedPlugin,
    settings: &Settings,
    (source, value): (&str, Option<&str>),
    body: &str,
    cancel: &AtomicBool,
    lines: &mut Lines,
) -> Result<(), Stop> {
    let request: ChatRequest = serde_json::from_str(body).map_err(|err| {
        Stop::new(
            2,
            "invalid_request",
            format!("the request is not a chat request: {err}"),
        )
    })?;
    if request.model.trim().is_empty() || request.messages.is_empty() {
        return Err(Stop::new(
            2,
            "invalid_request",
            "the request needs a model and at least one message",
        ));
    }
    let credential = credential(plugin, source, value)?;
    let context = settings.context(Some(&credential), Timeouts::default());
    let mut events = plugin.chat_events(&context, body, Some(cancel))?;
    while let Some(event) = events.next() {
        let event = event?;
        if let Some(line) = EventLine::from_event(&event) {
            lines.push(&line);
        }
        let done = matches!(event, ChatEvent::Done(_));
        if (done || !events.has_buffered())
            && let Err(err) = lines.flush()
        {
            // The reader went away: nobody wants the rest.
            events.cancel();
            return Err(Stop::new(
                1,
                "output",
                format!("cannot write the answer: {err}"),
            ));
        }
        if done {
            return Ok(());
        }
    }
    Err(Stop::new(
        1,
        "invalid_response",
        "the stream ended without an answer",
    ))
}
