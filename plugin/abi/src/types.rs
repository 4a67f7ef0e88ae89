//! The typed values passed to and returned from [`crate::ProviderModule`]'s functions.
//!
//! Every struct here is frozen for the life of a major version: fields are never added, removed
//! or reordered. Strings use abi_stable's `RString`; "absent" is an empty string or `RNone`, as
//! each field says.

use abi_stable::{
    StableAbi,
    std_types::{ROption, RStr, RString, RVec},
};

use crate::{
    AuthKind, Capabilities, CatalogSource, DiscoveryMode, LogLevel, Modalities, Secret,
    SecretInputMode, Tristate,
};

/// Who a plugin is. Returned by [`crate::ProviderModule::info`]; the host cross-checks it against
/// the plugin's manifest before registering the plugin.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct PluginInfo {
    /// The provider id, used in model refs (`<id>/<model>`) and config keys (`huggingface`).
    pub id: RString,
    /// A name for people ("Hugging Face").
    pub display_name: RString,
    /// One sentence on what the provider offers.
    pub description: RString,
    /// The plugin's own version (its package version).
    pub plugin_version: RString,
    /// The [`crate::INTERFACE_VERSION`] the plugin was built against.
    pub interface_version: RString,
    /// What the plugin serves (chat, embeddings, … — the serving bits, 1.2) and how it chats.
    pub capabilities: Capabilities,
    /// The wire API the provider speaks, in OpenClaw's vocabulary (`openai-completions`).
    pub api: RString,
    /// The base URL used when the configuration sets none.
    pub default_base_url: RString,
    /// The model ref onboarding makes the default (`huggingface/deepseek-ai/DeepSeek-R1`).
    pub default_model: RString,
    /// Where a person reads more.
    pub docs_url: RString,
    /// Optional extra metadata as a JSON object ([`crate::documents::PluginMetadata`]); empty
    /// when there is none.
    pub metadata_json: RString,
}

/// The function a plugin calls to log through the host. Wrapped in a struct because abi_stable
/// cannot place a bare function pointer inside `ROption`.
#[repr(C)]
#[derive(StableAbi, Copy, Clone, Debug)]
pub struct LogSink {
    /// `(level, target, message)`. `target` names the plugin module that logged. Must be callable
    /// from any thread. Messages never contain credentials.
    pub emit: extern "C" fn(LogLevel, RStr<'_>, RStr<'_>),
}

/// What the host tells a plugin once, in [`crate::ProviderModule::init`].
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct HostContext {
    /// The host's name (`host-stub`, `openclaw`).
    pub host_name: RString,
    /// The host's version.
    pub host_version: RString,
    /// A product token the plugin appends to its own `User-Agent` (`host-stub/0.1.0`); empty for
    /// none.
    pub user_agent: RString,
    /// Where log records go; `RNone` drops them.
    pub log: ROption<LogSink>,
    /// The most verbose level the host keeps: the plugin does not even format records above it.
    pub max_log_level: LogLevel,
}

/// One way to authenticate with the provider, with everything a host needs to offer it during
/// onboarding and to find an existing credential — without knowing the provider.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct AuthMethod {
    /// The provider this method authenticates (`huggingface`).
    pub provider_id: RString,
    /// The method's id within the provider (`api-key`).
    pub method_id: RString,
    /// What kind of credential it yields.
    pub kind: AuthKind,
    /// The id users pass as `--auth-choice` (`huggingface-api-key`).
    pub choice_id: RString,
    /// The label in the auth-choice picker ("Hugging Face API key").
    pub label: RString,
    /// The hint next to it ("Inference API (HF token)").
    pub hint: RString,
    /// The picker group this choice belongs to (`huggingface`).
    pub group_id: RString,
    /// The group's label ("Hugging Face").
    pub group_label: RString,
    /// The group's hint.
    pub group_hint: RString,
    /// The command-line flag carrying the key (`--huggingface-api-key`).
    pub cli_flag: RString,
    /// The flag's usage form (`--huggingface-api-key <key>`).
    pub cli_option: RString,
    /// The flag's help text.
    pub cli_description: RString,
    /// The option key in option bags and JSON (`huggingfaceApiKey`).
    pub option_key: RString,
    /// Environment variables that may hold the credential, highest precedence first.
    pub env_vars: RVec<RString>,
    /// Files that may hold the credential, as templates: `${VAR}` is replaced by an environment
    /// variable and a leading `~/` by the home directory. The first template whose variables are
    /// all set names the file (later templates are defaults for earlier ones, as in
    /// `${HF_TOKEN_PATH}`, `${HF_HOME}/token`, `~/.cache/huggingface/token`).
    pub credential_files: RVec<RString>,
    /// The prompt shown when asking for the key ("Enter Hugging Face API key").
    pub prompt_message: RString,
    /// Where the user creates a credential.
    pub token_url: RString,
    /// The permission the credential needs, as the service names it (`inference.serverless.write`).
    pub required_permission: RString,
    /// The same permission as the service's settings page labels it ("Make calls to Inference
    /// Providers").
    pub required_permission_label: RString,
    /// The usual prefix of a valid credential (`hf_`), for gentle warnings only; empty for none.
    pub secret_prefix: RString,
}

/// Deadlines for one call, in milliseconds; `0` means the plugin's default.
#[repr(C)]
#[derive(StableAbi, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the connection.
    pub connect_ms: u64,
    /// From sending the request to the response headers.
    pub first_byte_ms: u64,
    /// The longest silence between two pieces of a streamed body.
    pub idle_ms: u64,
    /// The whole operation, retries included.
    pub overall_ms: u64,
}

/// Per-call context: the credential and the configuration that apply to this call only. Plugins
/// keep no credential between calls.
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct CallContext {
    /// The credential the host resolved, if any.
    pub credential: ROption<Secret>,
    /// Overrides the provider's default base URL.
    pub base_url: ROption<RString>,
    /// Deadlines for this call.
    pub timeouts: Timeouts,
    /// The provider's configuration as a JSON object, exactly as
    /// [`crate::documents::ProviderConfig`] documents it: the host's `models.providers.<id>`
    /// block (without `models` and `apiKey`), the plugin's own settings under `"plugin"`, and
    /// for one call the catalog's facts about its model under `"upstreams"`. Empty means `{}`.
    /// Plugins ignore keys they do not know.
    pub provider_config_json: RString,
}

impl CallContext {
    /// A context with no credential, default deadlines and no configuration.
    pub fn anonymous() -> Self {
        Self {
            credential: ROption::RNone,
            base_url: ROption::RNone,
            timeouts: Timeouts::default(),
            provider_config_json: RString::new(),
        }
    }
}

/// Arguments of [`crate::ProviderModule::list_models`].
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct CatalogRequest {
    /// Credential, base URL, deadlines and configuration.
    pub context: CallContext,
    /// Whether and how to go to the network.
    pub mode: DiscoveryMode,
    /// The most bytes of response body to read; `0` means the plugin's default.
    pub max_body_bytes: u64,
}

/// A model catalog as the plugin returns it. Merging it with the user's configured entries is the
/// host's job.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Catalog {
    /// Whether these models were discovered live or are the built-in list.
    pub source: CatalogSource,
    /// The models, in the order the service listed them.
    pub models: RVec<ModelInfo>,
    /// Why the built-in list was returned instead of a live one; empty for live catalogs.
    pub fallback_reason: RString,
}

/// Price in US dollars per million tokens.
#[repr(C)]
#[derive(StableAbi, Copy, Clone, Debug, Default, PartialEq)]
pub struct ModelCost {
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
    pub cache_write: f64,
}

/// One upstream provider serving a model, as live discovery reported it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct ModelProvider {
    /// The upstream's name (`together`), usable as a `:<provider>` policy.
    pub name: RString,
    /// Its health as reported (`live`, `error`, or a newer word).
    pub status: RString,
    /// Its context window in tokens; `0` when not reported.
    pub context_length: u64,
    /// Input price, USD per million tokens.
    pub input_price: ROption<f64>,
    /// Output price, USD per million tokens.
    pub output_price: ROption<f64>,
    /// Whether it accepts tools.
    pub supports_tools: Tristate,
    /// Whether it accepts `response_format` JSON schemas.
    pub supports_structured_output: Tristate,
    /// Measured output tokens per second.
    pub throughput_tps: ROption<f64>,
    /// Measured time to first token, in milliseconds.
    pub first_token_latency_ms: ROption<f64>,
    /// Whether the upstream published the model itself.
    pub is_model_author: bool,
    /// Whether calls are currently free.
    pub is_free: bool,
}

/// A model and what is known about it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct ModelInfo {
    /// The model id the provider knows it by, without the provider prefix
    /// (`deepseek-ai/DeepSeek-R1`, or `deepseek-ai/DeepSeek-R1:cheapest` for a policy variant).
    pub id: RString,
    /// A name for people.
    pub name: RString,
    /// Whether the model reasons before answering.
    pub reasoning: bool,
    /// What it accepts as input.
    pub input: Modalities,
    /// Context window in tokens.
    pub context_window: u64,
    /// Most output tokens per request.
    pub max_tokens: u64,
    /// Price.
    pub cost: ModelCost,
    /// Whether tools can be used with it.
    pub supports_tools: Tristate,
    /// Whether structured output can be used with it.
    pub supports_structured_output: Tristate,
    /// The upstream providers serving it (empty when unknown, e.g. for built-in rows).
    pub providers: RVec<ModelProvider>,
    /// Which of the figures above are not published facts (estimates, defaults); empty when all
    /// are facts.
    pub facts_note: RString,
    /// Optional extra metadata as a JSON object ([`crate::documents::PluginMetadata`]); empty
    /// when there is none.
    pub extra_json: RString,
}

/// The result of [`crate::ProviderModule::resolve_ref`]: what a model ref means and what will be
/// sent.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct ResolvedModel {
    /// The provider id the ref names.
    pub provider_id: RString,
    /// The canonical ref (`huggingface/deepseek-ai/DeepSeek-R1:cheapest`).
    pub model_ref: RString,
    /// The model id sent on the wire (`deepseek-ai/DeepSeek-R1:cheapest`).
    pub wire_model_id: RString,
    /// The model id without any policy (`deepseek-ai/DeepSeek-R1`).
    pub base_model_id: RString,
    /// The routing policy (`fastest`, `cheapest`, `preferred`, a provider name), empty for none.
    pub policy: RString,
    /// The upstream the policy is expected to pick, when the catalog tells; empty otherwise.
    pub policy_provider: RString,
    /// Whether the model is in the known catalog; unknown ids resolve with default metadata.
    pub known: bool,
    /// The metadata that applies to this ref.
    pub model: ModelInfo,
    /// Things the user should know (unknown model, unknown provider in the policy …).
    pub warnings: RVec<RString>,
}

/// What [`crate::ProviderModule::validate_credential`] learned about a credential.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct AccountInfo {
    /// The account the credential belongs to.
    pub account_name: RString,
    /// The credential's own name, if it has one.
    pub credential_name: RString,
    /// The credential's role or scope as the service names it (`read`, `write`, `fineGrained`).
    pub credential_role: RString,
    /// Whether the credential may make the calls this provider needs.
    pub can_call_provider: Tristate,
    /// Where the user changes the credential's permissions.
    pub settings_url: RString,
    /// A sentence for the user: confirmation, or what is missing and how to fix it.
    pub message: RString,
}

/// Arguments of [`crate::ProviderModule::onboarding_result`].
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct OnboardingRequest {
    /// The [`AuthMethod::method_id`] the user chose.
    pub method_id: RString,
    /// Whether the host will store the key or a reference to an environment variable.
    pub secret_mode: SecretInputMode,
    /// In `REF` mode, the environment variable holding the key; empty otherwise.
    pub key_env_var: RString,
    /// The model ref the user picked as default; empty for the plugin's default.
    pub chosen_model: RString,
    /// The host's current configuration as JSON, so the patch can respect existing choices
    /// (an existing alias, fallbacks).
    pub current_config_json: RString,
}

/// A note onboarding shows the user.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Note {
    pub title: RString,
    pub message: RString,
}

/// The credential profile onboarding asks the host to store. The key itself never passes through
/// the plugin here: the host stores the key it collected, or the reference below.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct CredentialProfile {
    /// The profile id (`huggingface:default`).
    pub profile_id: RString,
    /// The provider it authenticates.
    pub provider_id: RString,
    /// The credential kind.
    pub kind: AuthKind,
    /// In `REF` mode, the environment variable the profile points at; empty in plaintext mode.
    pub key_env_var: RString,
}

/// What onboarding with this plugin changes, for the host to apply.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct OnboardingResult {
    /// The profile to store.
    pub profile: CredentialProfile,
    /// A JSON merge patch (RFC 7396) for the host's configuration.
    pub config_patch_json: RString,
    /// The model ref to make the default.
    pub default_model: RString,
    /// Notes to show.
    pub notes: RVec<Note>,
}
