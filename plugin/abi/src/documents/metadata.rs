//! What [`crate::PluginInfo::metadata_json`] carries: facts about a provider beyond its typed info.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What [`crate::PluginInfo::metadata_json`] holds: facts about the provider a host shows or
/// writes without knowing the provider. Every field is optional; hosts ignore keys they do not
/// know.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PluginMetadata {
    /// Routing policies a model ref may carry as a `:<suffix>` (`:fastest`, `:cheapest`), in the
    /// order a model picker offers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routing_policies: Vec<RoutingPolicy>,
    /// The JSON Schema of the plugin's own settings (`plugins.entries.<id>.config`), as its
    /// manifest's `configSchema` carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_schema: Option<Value>,
    /// What the plugin assumes of a model it knows nothing about, so a host that must describe
    /// such a model before asking the plugin (OpenClaw's synchronous model hook) says the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_defaults: Option<ModelDefaults>,
    /// The model ref each capability beyond chat uses when a request names none, by capability
    /// name (`{"embeddings": "huggingface/Qwen/Qwen3-Embedding-0.6B"}`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub default_models: std::collections::BTreeMap<String, String>,
}

/// The figures of an unknown model.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ModelDefaults {
    /// Context window in tokens.
    pub context_window: u64,
    /// Most output tokens per request.
    pub max_tokens: u64,
}

/// A routing policy a provider understands as a model-ref suffix.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct RoutingPolicy {
    /// The suffix without its colon (`cheapest`).
    pub suffix: String,
    /// What the policy picks, for people ("the cheapest upstream").
    pub label: String,
}
