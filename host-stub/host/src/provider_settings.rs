//! What a host's configuration says about one provider, and the per-call context made from it:
//! the one place any host — host-stub, the bridge (for OpenClaw) — shapes the provider-config
//! contract ([`ProviderConfig`]) and the base URL a plugin's calls go to.
//!
//! The input is the configuration as OpenClaw keeps it: the provider's block
//! (`models.providers.<id>`: base URL, configured model entries, options such as `billTo`) and
//! the plugin entry's settings (`plugins.entries.<id>.config`, where `baseUrl` — which wins over
//! the provider block's — and `discovery.{enabled,timeoutMs,maxBodyBytes}` are read here).

use openclaw_provider_abi::{
    CallContext, Secret, Timeouts,
    abi_stable::std_types::{ROption, RString},
    documents::{ModelUpstreams, ProviderConfig},
};
use serde_json::{Map, Value};

/// One provider's settings.
#[derive(Clone, Debug, Default)]
pub struct ProviderSettings {
    /// `plugins.entries.<id>.config.baseUrl`, else `models.providers.<id>.baseUrl`; `None`: the
    /// plugin's default.
    pub base_url: Option<String>,
    /// `plugins.entries.<id>.config.discovery.enabled` (default true).
    pub discovery_enabled: bool,
    /// `plugins.entries.<id>.config.discovery.timeoutMs` (0: the plugin's default).
    pub discovery_timeout_ms: u64,
    /// `plugins.entries.<id>.config.discovery.maxBodyBytes` (0: the plugin's default).
    pub max_body_bytes: u64,
    /// `models.providers.<id>.models[]` entries that have a string `id`.
    pub configured_models: Vec<Map<String, Value>>,
    /// Entries of `models.providers.<id>.models[]` that were ignored, and why.
    pub ignored_entries: Vec<String>,
    /// What the plugin receives as its provider configuration.
    pub provider_config: ProviderConfig,
}

impl ProviderSettings {
    /// The settings of provider `id` from its block and its plugin's settings, either of which
    /// may be missing (or, when not an object, counts as missing).
    pub fn from_blocks(id: &str, provider_block: Option<&Value>, plugin: Option<&Value>) -> Self {
        let empty = Map::new();
        let block = provider_block.and_then(Value::as_object).unwrap_or(&empty);
        let plugin = plugin.filter(|value| value.is_object());
        let discovery = plugin.and_then(|p| p.get("discovery"));
        let number = |key: &str| {
            discovery
                .and_then(|d| d.get(key))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let mut configured_models = Vec::new();
        let mut ignored_entries = Vec::new();
        if let Some(entries) = block.get("models").and_then(Value::as_array) {
            for (index, entry) in entries.iter().enumerate() {
                match entry.as_object() {
                    Some(object)
                        if object
                            .get("id")
                            .and_then(Value::as_str)
                            .is_some_and(|id| !id.trim().is_empty()) =>
                    {
                        configured_models.push(object.clone());
                    }
                    _ => ignored_entries.push(format!(
                        "models.providers.{id}.models[{index}] has no string \"id\"; ignored"
                    )),
                }
            }
        }
        Self {
            // The plugin entry's own `baseUrl` setting, else the provider block's: in OpenClaw
            // only the first keeps model discovery on, and onboarding writes the default router
            // into the second.
            base_url: [plugin.and_then(|p| p.get("baseUrl")), block.get("baseUrl")]
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::trim)
                .find(|url| !url.is_empty())
                .map(str::to_owned),
            discovery_enabled: discovery
                .and_then(|d| d.get("enabled"))
                .and_then(Value::as_bool)
                .unwrap_or(true),
            discovery_timeout_ms: number("timeoutMs"),
            max_body_bytes: number("maxBodyBytes"),
            configured_models,
            ignored_entries,
            provider_config: ProviderConfig::from_blocks(block, plugin.unwrap_or(&Value::Null)),
        }
    }

    /// The same settings for a call about one model, whose upstreams the host's catalog lists.
    pub fn with_upstreams(mut self, upstreams: ModelUpstreams) -> Self {
        self.provider_config.upstreams = Some(upstreams);
        self
    }

    /// The context for one call.
    pub fn call_context(&self, credential: Option<&Secret>, timeouts: Timeouts) -> CallContext {
        CallContext {
            credential: credential.cloned().into(),
            base_url: match &self.base_url {
                Some(url) => ROption::RSome(url.as_str().into()),
                None => ROption::RNone,
            },
            timeouts,
            provider_config_json: RString::from(self.provider_config.to_json()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_provider_block_and_the_plugin_entry() {
        let block = json!({
            "baseUrl": " http://127.0.0.1:9/v1 ", "apiKey": "hf_never_forwarded",
            "billTo": "my-org",
            "models": [{"id": "a/b", "name": "Mine"}, {"name": "no id"}, 5]
        });
        let plugin = json!({"discovery": {"enabled": false, "timeoutMs": 2500}});
        let settings = ProviderSettings::from_blocks("huggingface", Some(&block), Some(&plugin));
        assert_eq!(settings.base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
        assert!(!settings.discovery_enabled);
        assert_eq!(settings.discovery_timeout_ms, 2500);
        assert_eq!(settings.configured_models.len(), 1);
        assert_eq!(settings.ignored_entries.len(), 2);
        let context = settings.call_context(None, Timeouts::default());
        let json = context.provider_config_json.as_str();
        assert!(json.contains("my-org") && json.contains("\"plugin\""));
        assert!(!json.contains("hf_never_forwarded") && !json.contains("\"models\""));
        let defaults = ProviderSettings::from_blocks("huggingface", None, None);
        assert!(defaults.discovery_enabled && defaults.base_url.is_none());
        let from_plugin_entry = ProviderSettings::from_blocks(
            "huggingface",
            Some(&json!({"baseUrl": "https://router.huggingface.co/v1"})),
            Some(&json!({"baseUrl": "http://127.0.0.1:7/v1"})),
        );
        assert_eq!(
            from_plugin_entry.base_url.as_deref(),
            Some("http://127.0.0.1:7/v1")
        );
        let not_objects = ProviderSettings::from_blocks("x", Some(&json!(5)), Some(&json!("y")));
        assert!(not_objects.provider_config.plugin.is_empty());
    }
}
