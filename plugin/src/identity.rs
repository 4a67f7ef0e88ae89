//! Who this plugin is: its [`PluginInfo`] (with the routing policies and the settings schema in
//! its metadata) and its auth methods. These are the only copy of these facts: the manifest
//! (`openclaw.plugin.json`) that hosts read without loading the library is generated from them
//! (and from the built-in catalog) when the plugin folder is assembled.

use openclaw_provider_abi::{
    AuthKind, AuthMethod, Capabilities, INTERFACE_VERSION, PluginInfo,
    abi_stable::std_types::{RString, RVec},
    documents::{ModelDefaults, PluginMetadata, RoutingPolicy},
};

use crate::catalog::builtin::{DEFAULT_CONTEXT_WINDOW, DEFAULT_MAX_TOKENS};

/// The provider id: the first segment of model refs and the key of its configuration.
pub const PROVIDER_ID: &str = "huggingface";
/// Where the router lives unless the configuration says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://router.huggingface.co/v1";
/// The model onboarding makes the default.
pub const DEFAULT_MODEL_REF: &str = "huggingface/deepseek-ai/DeepSeek-R1";
/// The embedding model used when a request names none: small (0.6 B parameters, 1,024-long
/// vectors), multilingual, and the example the router's own feature-extraction docs give.
pub const DEFAULT_EMBEDDING_MODEL_REF: &str = "huggingface/Qwen/Qwen3-Embedding-0.6B";
/// The image generation model used when none is named.
pub const DEFAULT_IMAGE_MODEL_REF: &str = "huggingface/black-forest-labs/FLUX.1-dev";
/// The speech recognition model used when none is named.
pub const DEFAULT_TRANSCRIPTION_MODEL_REF: &str = "huggingface/openai/whisper-large-v3";
/// The speech synthesis model used when none is named.
pub const DEFAULT_SPEECH_MODEL_REF: &str = "huggingface/hexgrad/Kokoro-82M";
/// The permission a fine-grained token needs to call the router.
pub const REQUIRED_PERMISSION: &str = "inference.serverless.write";
/// How the token settings page labels that permission.
pub const REQUIRED_PERMISSION_LABEL: &str = "Make calls to Inference Providers";
/// Where a user creates a token with that permission.
pub const TOKEN_URL: &str = "https://huggingface.co/settings/tokens/new?ownUserPermissions=inference.serverless.write&tokenType=fineGrained";
/// Environment variables holding a token, highest precedence first. The first two are
/// OpenClaw's; the third is the legacy spelling the Python client still reads.
pub const TOKEN_ENV_VARS: [&str; 3] = [
    "HUGGINGFACE_HUB_TOKEN",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
];
/// The token file, as the Hugging Face clients locate it (see [`AuthMethod::credential_files`]).
pub const TOKEN_FILES: [&str; 4] = [
    "${HF_TOKEN_PATH}",
    "${HF_HOME}/token",
    "${XDG_CACHE_HOME}/huggingface/token",
    "~/.cache/huggingface/token",
];

/// The plugin's identity as the ABI reports it.
pub fn plugin_info() -> PluginInfo {
    PluginInfo {
        id: PROVIDER_ID.into(),
        display_name: "Hugging Face".into(),
        description: "Hugging Face Inference Providers: many open models behind one \
                      OpenAI-compatible router and one token"
            .into(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        interface_version: INTERFACE_VERSION.into(),
        capabilities: Capabilities::CHAT
            .with(Capabilities::EMBEDDINGS)
            .with(Capabilities::IMAGE_GENERATION)
            .with(Capabilities::SPEECH_RECOGNITION)
            .with(Capabilities::SPEECH_SYNTHESIS)
            .with(Capabilities::ACCOUNT_USAGE)
            .with(Capabilities::STREAMING)
            .with(Capabilities::TOOLS)
            .with(Capabilities::REASONING)
            .with(Capabilities::DISCOVERY)
            .with(Capabilities::CREDENTIAL_VALIDATION)
            .with(Capabilities::VISION),
        api: "openai-completions".into(),
        default_base_url: DEFAULT_BASE_URL.into(),
        default_model: DEFAULT_MODEL_REF.into(),
        docs_url: "https://huggingface.co/docs/inference-providers".into(),
        metadata_json: metadata().into(),
    }
}

/// The JSON Schema of `plugins.entries.huggingface.config` (see [`crate::settings`]).
const CONFIG_SCHEMA: &str = include_str!("config_schema.json");

/// The router's routing policies a picker offers beside each model (`preferred` follows the
/// user's own provider order on the Hub, which a picker cannot show, so it is not offered), and
/// the settings schema.
fn metadata() -> String {
    let policy = |suffix: &str, label: &str| RoutingPolicy {
        suffix: suffix.into(),
        label: label.into(),
    };
    let metadata = PluginMetadata {
        routing_policies: vec![
            policy(
                "cheapest",
                "the upstream with the lowest price per output token",
            ),
            policy("fastest", "the upstream with the highest throughput"),
        ],
        // The schema is a file of this crate, checked by a unit test.
        config_schema: serde_json::from_str(CONFIG_SCHEMA).ok(),
        model_defaults: Some(ModelDefaults {
            context_window: DEFAULT_CONTEXT_WINDOW,
            max_tokens: DEFAULT_MAX_TOKENS,
        }),
        default_models: [
            (Capabilities::EMBEDDINGS, DEFAULT_EMBEDDING_MODEL_REF),
            (Capabilities::IMAGE_GENERATION, DEFAULT_IMAGE_MODEL_REF),
            (
                Capabilities::SPEECH_RECOGNITION,
                DEFAULT_TRANSCRIPTION_MODEL_REF,
            ),
            (Capabilities::SPEECH_SYNTHESIS, DEFAULT_SPEECH_MODEL_REF),
        ]
        .into_iter()
        .map(|(capability, reference)| (capability.to_string(), reference.to_owned()))
        .collect(),
    };
    serde_json::to_string(&metadata).unwrap_or_default()
}

/// The one way to authenticate: a Hugging Face access token.
pub fn auth_methods() -> Vec<AuthMethod> {
    let strings = |items: &[&str]| items.iter().map(|s| RString::from(*s)).collect::<RVec<_>>();
    vec![AuthMethod {
        provider_id: PROVIDER_ID.into(),
        method_id: "api-key".into(),
        kind: AuthKind::API_KEY,
        choice_id: "huggingface-api-key".into(),
        label: "Hugging Face API key".into(),
        hint: "Inference API (HF token)".into(),
        group_id: PROVIDER_ID.into(),
        group_label: "Hugging Face".into(),
        group_hint: "Inference API (HF token)".into(),
        cli_flag: "--huggingface-api-key".into(),
        cli_option: "--huggingface-api-key <key>".into(),
        cli_description: "Hugging Face API key (HF token)".into(),
        option_key: "huggingfaceApiKey".into(),
        env_vars: strings(&TOKEN_ENV_VARS),
        credential_files: strings(&TOKEN_FILES),
        prompt_message: "Enter Hugging Face API key".into(),
        token_url: TOKEN_URL.into(),
        required_permission: REQUIRED_PERMISSION.into(),
        required_permission_label: REQUIRED_PERMISSION_LABEL.into(),
        secret_prefix: "hf_".into(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_carries_the_policies_and_a_schema_object() {
        let info = plugin_info();
        let metadata: PluginMetadata = serde_json::from_str(&info.metadata_json).unwrap();
        let suffixes: Vec<&str> = metadata
            .routing_policies
            .iter()
            .map(|p| p.suffix.as_str())
            .collect();
        assert_eq!(suffixes, ["cheapest", "fastest"]);
        let schema = metadata.config_schema.expect("the settings schema parses");
        assert_eq!(schema["type"], "object");
        assert!(schema["properties"]["chat"]["properties"]["maxRetries"].is_object());
    }
}
