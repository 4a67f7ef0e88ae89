//! The provider-config contract: what a host may put in
//! [`crate::CallContext::provider_config_json`], and nothing else.
//!
//! A host builds this object in one place (its host library) from its own configuration — in
//! OpenClaw's terms the `models.providers.<id>` block and the plugin entry
//! `plugins.entries.<id>.config` — plus, for one call, facts its catalog holds about the model
//! the call is about. A plugin reads the keys it knows and ignores the rest; a host adds no key
//! that is not documented here.
//!
//! ```json5
//! { billTo: "my-org",                  // the provider block's own options, verbatim
//!   plugin: { chat: { maxRetries: 2 } }, // the plugin's settings, as its configSchema describes
//!   upstreams: { model: "Qwen/Qwen3-8B", // catalog facts for this call's model (optional)
//!                providers: [ { name: "together", status: "live", supportsTools: true,
//!                               throughput: 80, pricing: { input: 0.2, output: 0.6 } } ] } }
//! ```

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::ModelProvider;

/// The keys of [`ProviderConfig`] that are not the provider block's own options; a host never
/// copies an option of these names from its configuration.
pub const RESERVED_KEYS: [&str; 2] = ["plugin", "upstreams"];

/// A call's provider configuration.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ProviderConfig {
    /// The provider block's options (`billTo`, `headers`, `baseUrl`, … — whatever the user
    /// wrote there), without its model entries (`models`), its credential (`apiKey`, which
    /// travels as the call's credential) and the [`RESERVED_KEYS`].
    #[serde(flatten)]
    pub options: Map<String, Value>,
    /// The plugin's own settings (`plugins.entries.<id>.config`): the object its manifest's
    /// `configSchema` describes. Empty when the user set none.
    #[serde(default, deserialize_with = "object_or_empty")]
    pub plugin: Map<String, Value>,
    /// What the host's catalog knows of the model this call is about, so the plugin need not
    /// fetch a catalog of its own. Absent when the host keeps no catalog; a list of no
    /// providers says the host knows none.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub upstreams: Option<ModelUpstreams>,
}

/// The upstreams serving one model, as a host's catalog lists them.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ModelUpstreams {
    /// The model id, without a routing policy (`Qwen/Qwen3-8B`).
    pub model: String,
    /// Its upstreams, in the catalog's order (entries that are not of this shape are left out).
    #[serde(default, deserialize_with = "readable_entries")]
    pub providers: Vec<UpstreamFacts>,
}

/// One upstream of a model, in the catalog row's own words (host-stub's `models.json` writes
/// them so). Every field but the name is optional; a field of the wrong type reads as absent.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamFacts {
    pub name: String,
    /// `live`, `error`, or a newer word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_tools: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_structured_output: Option<bool>,
    /// Output tokens per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_token_latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<UpstreamPricing>,
    /// Whether the upstream published the model itself.
    #[serde(skip_serializing_if = "is_false")]
    pub is_model_author: bool,
    /// Whether calls are currently free.
    #[serde(skip_serializing_if = "is_false")]
    pub is_free: bool,
}

fn is_false(flag: &bool) -> bool {
    !flag
}

impl<'de> Deserialize<'de> for UpstreamFacts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        fn field<T: serde::de::DeserializeOwned>(map: &Map<String, Value>, key: &str) -> Option<T> {
            map.get(key).and_then(|value| T::deserialize(value).ok())
        }
        Ok(Self {
            name: field(&map, "name").ok_or_else(|| serde::de::Error::missing_field("name"))?,
            status: field(&map, "status"),
            context_length: field(&map, "contextLength"),
            supports_tools: field(&map, "supportsTools"),
            supports_structured_output: field(&map, "supportsStructuredOutput"),
            throughput: field(&map, "throughput"),
            first_token_latency_ms: field(&map, "firstTokenLatencyMs"),
            pricing: field(&map, "pricing"),
            is_model_author: field(&map, "isModelAuthor").unwrap_or(false),
            is_free: field(&map, "isFree").unwrap_or(false),
        })
    }
}

impl UpstreamFacts {
    /// The facts as the ABI's typed [`ModelProvider`]; `missing_status` stands in for a status
    /// the facts do not give.
    pub fn to_model_provider(&self, missing_status: &str) -> ModelProvider {
        let pricing = self.pricing.unwrap_or_default();
        let finite = |n: Option<f64>| n.filter(|n| n.is_finite()).into();
        ModelProvider {
            name: self.name.as_str().into(),
            status: self
                .status
                .as_deref()
                .filter(|status| !status.is_empty())
                .unwrap_or(missing_status)
                .into(),
            context_length: self.context_length.unwrap_or(0),
            input_price: finite(pricing.input),
            output_price: finite(pricing.output),
            supports_tools: self.supports_tools.into(),
            supports_structured_output: self.supports_structured_output.into(),
            throughput_tps: finite(self.throughput),
            first_token_latency_ms: finite(self.first_token_latency_ms),
            is_model_author: self.is_model_author,
            is_free: self.is_free,
        }
    }
}

impl From<&ModelProvider> for UpstreamFacts {
    fn from(provider: &ModelProvider) -> Self {
        let (input, output) = (
            provider.input_price.into_option(),
            provider.output_price.into_option(),
        );
        Self {
            name: provider.name.to_string(),
            status: Some(provider.status.to_string()),
            context_length: (provider.context_length > 0).then_some(provider.context_length),
            supports_tools: provider.supports_tools.known(),
            supports_structured_output: provider.supports_structured_output.known(),
            throughput: provider.throughput_tps.into_option(),
            first_token_latency_ms: provider.first_token_latency_ms.into_option(),
            pricing: (input.is_some() || output.is_some())
                .then_some(UpstreamPricing { input, output }),
            is_model_author: provider.is_model_author,
            is_free: provider.is_free,
        }
    }
}

/// An upstream's price, USD per million tokens.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct UpstreamPricing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<f64>,
}

/// A value of the wrong type counts as absent: a plugin reads what it can of a configuration a
/// person wrote, and defaults the rest.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(serde_json::from_value(Value::deserialize(deserializer)?).ok())
}

fn object_or_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Map<String, Value>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Object(map) => map,
        _ => Map::new(),
    })
}

fn readable_entries<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<UpstreamFacts>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(entries) => entries
            .into_iter()
            .filter_map(|entry| serde_json::from_value(entry).ok())
            .collect(),
        _ => Vec::new(),
    })
}

impl ProviderConfig {
    /// The configuration from a host's two blocks: the provider block (its `models`, `apiKey`
    /// and reserved keys are left out) and the plugin's settings (anything but an object counts
    /// as none).
    pub fn from_blocks(provider_block: &Map<String, Value>, plugin_settings: &Value) -> Self {
        let options = provider_block
            .iter()
            .filter(|(key, _)| {
                !matches!(key.as_str(), "models" | "apiKey")
                    && !RESERVED_KEYS.contains(&key.as_str())
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Self {
            options,
            plugin: plugin_settings.as_object().cloned().unwrap_or_default(),
            upstreams: None,
        }
    }

    /// The configuration as a plugin receives it: `{}` for an empty string, and, for text that
    /// is not a configuration object, the defaults (a plugin never fails a call over it).
    pub fn parse(json: &str) -> Self {
        if json.trim().is_empty() {
            return Self::default();
        }
        serde_json::from_str(json).unwrap_or_default()
    }

    /// The object as JSON text, for [`crate::CallContext::provider_config_json`].
    pub fn to_json(&self) -> String {
        // A map of JSON values always serialises.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blocks_become_the_contract_and_secrets_stay_out() {
        let block = json!({"baseUrl": "http://x/v1", "apiKey": "hf_secret", "billTo": "acme",
            "models": [{"id": "a/b"}], "plugin": "not the plugin's", "upstreams": 5});
        let config = ProviderConfig::from_blocks(
            block.as_object().unwrap(),
            &json!({"chat": {"maxRetries": 1}}),
        );
        let text = config.to_json();
        assert!(
            !text.contains("hf_secret") && !text.contains("a/b"),
            "{text}"
        );
        let back = ProviderConfig::parse(&text);
        assert_eq!(back.options.get("billTo"), Some(&json!("acme")));
        assert_eq!(back.plugin["chat"]["maxRetries"], 1);
        assert_eq!(back.upstreams, None);
        assert_eq!(ProviderConfig::parse(""), ProviderConfig::default());
        assert_eq!(ProviderConfig::parse("[1,2]"), ProviderConfig::default());
    }

    #[test]
    fn upstream_facts_read_the_catalog_row_words() {
        let config = ProviderConfig::parse(
            r#"{"billTo":"acme","plugin":7,"upstreams":{"model":"org/m","providers":[
            {"name":"together","status":"live","supportsTools":true,"throughput":80,
             "pricing":{"output":0.6},"unknown":1},
            {"status":"live"},
            {"name":"slow","supportsTools":false,"supportsStructuredOutput":"yes"}]}}"#,
        );
        // Wrong types cost only themselves.
        assert_eq!(config.options.get("billTo"), Some(&json!("acme")));
        assert!(config.plugin.is_empty());
        let upstreams = config.upstreams.unwrap();
        assert_eq!(upstreams.model, "org/m");
        assert_eq!(upstreams.providers.len(), 2);
        let first = &upstreams.providers[0];
        assert_eq!(first.supports_tools, Some(true));
        assert_eq!(first.pricing.unwrap().output, Some(0.6));
        assert_eq!(upstreams.providers[1].supports_tools, Some(false));
        assert_eq!(upstreams.providers[1].supports_structured_output, None);
    }
}
