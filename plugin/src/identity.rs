//! Who this plugin is: its [`PluginInfo`] and its auth methods. The manifest
//! (`openclaw.plugin.json`) repeats these facts for hosts that read it without loading the
//! library; a test keeps the two in sync.

use openclaw_provider_abi::{
    AuthKind, AuthMethod, Capabilities, INTERFACE_VERSION, PluginInfo,
    abi_stable::std_types::{RString, RVec},
};

/// The provider id: the first segment of model refs and the key of its configuration.
pub const PROVIDER_ID: &str = "huggingface";
/// Where the router lives unless the configuration says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://router.huggingface.co/v1";
/// The model onboarding makes the default.
pub const DEFAULT_MODEL_REF: &str = "huggingface/deepseek-ai/DeepSeek-R1";
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
        capabilities: Capabilities::STREAMING
            .with(Capabilities::TOOLS)
            .with(Capabilities::REASONING)
            .with(Capabilities::DISCOVERY)
            .with(Capabilities::CREDENTIAL_VALIDATION)
            .with(Capabilities::VISION),
        api: "openai-completions".into(),
        default_base_url: DEFAULT_BASE_URL.into(),
        default_model: DEFAULT_MODEL_REF.into(),
        docs_url: "https://huggingface.co/docs/inference-providers".into(),
        metadata_json: RString::new(),
    }
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
