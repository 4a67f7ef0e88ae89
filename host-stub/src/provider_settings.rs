//! What the configuration says about one provider, in the host's generic terms: its
//! `models.providers.<id>` block (base URL, configured model entries, other options) and its
//! plugin entry `plugins.entries.<id>` (enabled, and `config`, where `baseUrl` (which wins over
//! the provider block's), `discovery.enabled`, `discovery.timeoutMs` and `discovery.maxBodyBytes`
//! are read). From these and a credential it
//! builds the per-call [`CallContext`].

use openclaw_provider_abi::{CallContext, Secret, Timeouts};
use serde_json::{Map, Value};

use crate::config::Config;

/// One provider's settings.
#[derive(Clone, Debug, Default)]
pub struct ProviderSettings {
    /// `plugins.entries.<id>.config.baseUrl`, else `models.providers.<id>.baseUrl`.
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
    /// The provider block (without `models` and `apiKey`) plus the plugin's config under
    /// `"plugin"`, as passed to the plugin.
    pub provider_config: Value,
}

impl ProviderSettings {
    /// Reads the settings of `provider` from the configuration.
    pub fn read(config: &Config, provider: &str) -> Self {
        let block = config
            .get(&format!("models.providers.{provider}"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let plugin_config = config
            .get(&format!("plugins.entries.{provider}.config"))
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let discovery = plugin_config.get("discovery");
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
                        "models.providers.{provider}.models[{index}] has no string \"id\"; ignored"
                    )),
                }
            }
        }
        let mut provider_config = block.clone();
        provider_config.shift_remove("models");
        // A key in the config is the user's business; it travels as the call's credential.
        provider_config.shift_remove("apiKey");
        provider_config.insert("plugin".into(), plugin_config.clone());
        Self {
            // The plugin entry's own `baseUrl` setting, else the provider block's: in OpenClaw
            // only the first keeps model discovery on, and onboarding writes the default router
            // into the second.
            base_url: [plugin_config.get("baseUrl"), block.get("baseUrl")]
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
            provider_config: Value::Object(provider_config),
        }
    }

    /// The context for one call.
    pub fn call_context(&self, secret: Option<&Secret>, timeouts: Timeouts) -> CallContext {
        provider_host::call::call_context(
            secret,
            self.base_url.as_deref(),
            &self.provider_config,
            timeouts,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_provider_block_and_the_plugin_entry() {
        let config = Config {
            root: serde_json::json!({
                "models": {"providers": {"huggingface": {
                    "baseUrl": " http://127.0.0.1:9/v1 ", "apiKey": "hf_never_forwarded",
                    "billTo": "my-org",
                    "models": [{"id": "a/b", "name": "Mine"}, {"name": "no id"}, 5]
                }}},
                "plugins": {"entries": {"huggingface": {"config": {"discovery": {"enabled": false, "timeoutMs": 2500}}}}}
            }),
            ..Config::default()
        };
        let settings = ProviderSettings::read(&config, "huggingface");
        assert_eq!(settings.base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
        assert!(!settings.discovery_enabled);
        assert_eq!(settings.discovery_timeout_ms, 2500);
        assert_eq!(settings.configured_models.len(), 1);
        assert_eq!(settings.ignored_entries.len(), 2);
        let context = settings.call_context(None, Timeouts::default());
        let json = context.provider_config_json.as_str();
        assert!(json.contains("my-org") && json.contains("\"plugin\""));
        assert!(!json.contains("hf_never_forwarded") && !json.contains("\"models\""));
        let defaults = ProviderSettings::read(&Config::default(), "huggingface");
        assert!(defaults.discovery_enabled && defaults.base_url.is_none());
        let from_plugin_entry = Config {
            root: serde_json::json!({
                "models": {"providers": {"huggingface": {"baseUrl": "https://router.huggingface.co/v1"}}},
                "plugins": {"entries": {"huggingface": {"config": {"baseUrl": "http://127.0.0.1:7/v1"}}}}
            }),
            ..Config::default()
        };
        assert_eq!(
            ProviderSettings::read(&from_plugin_entry, "huggingface")
                .base_url
                .as_deref(),
            Some("http://127.0.0.1:7/v1")
        );
    }
}
