//! The plugins loaded into this test process through host-stub's loader, and a streamed chat read
//! through the host's typed event iterator, as hosts consume it.

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use openclaw_e2e::{SENTINEL_TOKEN, Sandbox, call_context, stage_echo, stage_hf};
use openclaw_provider_abi::{
    CallContext, Catalog, CatalogRequest, DiscoveryMode, ErrorCode, ProviderError,
    documents::{ChatDone, ToolCallDelta},
};
use provider_host::{events::ChatEvent, plugin::LoadedPlugin, registry::LoadReport};
use serde_json::{Value, json};

/// A loaded plugin, `huggingface` or `echo`: both are loaded once per test process (libraries
/// are never unloaded).
pub fn plugin(id: &str) -> &'static LoadedPlugin {
    static REPORT: OnceLock<LoadReport> = OnceLock::new();
    REPORT
        .get_or_init(|| {
            let sandbox = Box::leak(Box::new(Sandbox::new()));
            stage_hf(&sandbox.plugins_dir().join("huggingface"));
            stage_echo(&sandbox.plugins_dir().join("echo"));
            sandbox.load_plugins()
        })
        .registry
        .get(id)
        .expect("plugin loaded")
}

/// A copy of the Hugging Face plugin loaded for one test alone — its own runtime and
/// connections, which no other test's calls disturb (for tests that time what it does). The
/// sandbox holds the copy.
pub fn hf_loaded_alone() -> (Sandbox, LoadReport) {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    let report = sandbox.load_plugins();
    (sandbox, report)
}

/// A call context for `base_url` with the sentinel token and `chat` settings (no retries unless
/// they say otherwise).
pub fn context(base_url: &str, chat: Value) -> CallContext {
    let mut settings = json!({"maxRetries": 0});
    if let (Some(settings), Some(chat)) = (settings.as_object_mut(), chat.as_object()) {
        settings.extend(chat.clone());
    }
    CallContext {
        provider_config_json: json!({"plugin": {"chat": settings}}).to_string().into(),
        ..call_context(base_url)
    }
}

/// Everything a streamed chat delivered before it ended.
#[derive(Debug, Default)]
pub struct Outcome {
    pub text: String,
    pub tool_deltas: Vec<ToolCallDelta>,
    pub done: Option<ChatDone>,
    pub error: Option<ProviderError>,
    pub took: Duration,
}

impl Outcome {
    /// The error it ended with.
    pub fn error(&self) -> &ProviderError {
        self.error
            .as_ref()
            .unwrap_or_else(|| panic!("expected an error, got {self:?}"))
    }

    /// The code of the error it ended with.
    pub fn code(&self) -> ErrorCode {
        self.error().code
    }
}

/// Streams a chat of `request` through `plugin` to its end, as a host reads it. The token may
/// appear in no error, and no notice may carry a raw control character.
pub fn stream_chat(plugin: &LoadedPlugin, context: &CallContext, request: &str) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome::default();
    match plugin.chat_events(context, request, None) {
        Err(error) => outcome.error = Some(error),
        Ok(events) => {
            for event in events {
                match event {
                    Ok(ChatEvent::Text(text)) => outcome.text.push_str(&text),
                    Ok(ChatEvent::ToolCall(delta)) => outcome.tool_deltas.push(delta),
                    Ok(ChatEvent::Notice { message, .. }) => assert!(
                        !message.chars().any(char::is_control),
                        "a raw control character in a notice: {message:?}"
                    ),
                    Ok(ChatEvent::Done(done)) => outcome.done = Some(done),
                    Ok(_) => {}
                    Err(error) => outcome.error = Some(error),
                }
            }
        }
    }
    outcome.took = started.elapsed();
    if let Some(error) = &outcome.error {
        assert_no_token(error);
    }
    outcome
}

/// A strict catalog request with `context`; `max_body_bytes` 0 is the plugin's own cap.
pub fn catalog_request(context: CallContext, max_body_bytes: u64) -> CatalogRequest {
    CatalogRequest {
        context,
        mode: DiscoveryMode::STRICT,
        max_body_bytes,
    }
}

/// A strict catalog refresh through the Hugging Face plugin; the token may appear in no error.
pub fn list_models(context: CallContext, max_body_bytes: u64) -> Result<Catalog, ProviderError> {
    let result = plugin("huggingface").list_models(&catalog_request(context, max_body_bytes));
    if let Err(error) = &result {
        assert_no_token(error);
    }
    result
}

fn assert_no_token(error: &ProviderError) {
    assert!(
        !error.message.contains(SENTINEL_TOKEN) && !error.details_json.contains(SENTINEL_TOKEN),
        "the token leaked into an error: {error}"
    );
}
