//! The plugin's own settings, read per call from the provider configuration the host passes
//! (the ABI's `ProviderConfig`): `models.providers.huggingface.billTo`, the plugin entry's
//! `chat` block — retries, deadlines, capability routing — and, for one call, the upstreams of
//! the model the host resolved (`upstreams`, see [`HostUpstreams`]):
//!
//! ```json5
//! { billTo: "my-org",
//!   plugin: { chat: { maxRetries: 2, retryBaseMs: 500, retryMaxDelayMs: 30000,
//!                     connectTimeoutMs: 10000, firstByteTimeoutMs: 60000,
//!                     idleTimeoutMs: 60000, timeoutMs: 600000,
//!                     capabilityRouting: true, capabilityRoutingPolicy: "fastest" } },
//!   upstreams: { model: "Qwen/Qwen3-8B",
//!                providers: [ { name: "together", status: "live", supportsTools: true,
//!                               supportsStructuredOutput: true, throughput: 80,
//!                               pricing: { input: 0.2, output: 0.6 } } ] } }
//! ```
//!
//! Values of the wrong type are ignored (defaults apply); deadlines the host sets for one call
//! win over configured ones.

use std::time::Duration;

use openclaw_provider_abi::{
    CallContext, ErrorCode, ModelProvider, ProviderError, Timeouts,
    documents::{ModelUpstreams, ProviderConfig},
};
use serde_json::Value;

use crate::{
    http::{Deadlines, MAX_DEADLINE},
    retry::RetryPolicy,
    runtime::DEFAULT_CONNECT_TIMEOUT,
};

/// Chat deadlines unless configured: a reasoning model may think for a while before its first
/// token, and long answers take minutes.
pub const CHAT_DEADLINES: Deadlines = Deadlines {
    connect: DEFAULT_CONNECT_TIMEOUT,
    first_byte: Duration::from_secs(60),
    idle: Duration::from_secs(60),
    overall: Duration::from_secs(600),
};

/// How a chat call behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatSettings {
    /// When and how often a failed attempt goes again.
    pub retry: RetryPolicy,
    pub deadlines: Deadlines,
    /// `X-HF-Bill-To`: the organisation billed.
    pub bill_to: Option<String>,
    /// Send requests with `tools` or `response_format` to an upstream that supports them when
    /// not every upstream does (`chat.capabilityRouting`, default on).
    pub capability_routing: bool,
    /// Which capable upstream (`chat.capabilityRoutingPolicy`: `fastest`, the default, or
    /// `cheapest`).
    pub routing_policy: RoutingPolicy,
    /// Ask again for the upstream that served a conversation before, when the host names it
    /// (`chat.stickyUpstream`, default on).
    pub sticky_upstream: bool,
    /// The model's upstreams as the host knows them, for this call.
    pub host_upstreams: Option<HostUpstreams>,
}

/// How capability routing picks among capable upstreams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RoutingPolicy {
    /// The highest throughput (the router's own default policy).
    #[default]
    Fastest,
    /// The lowest price per output token.
    Cheapest,
}

impl RoutingPolicy {
    pub fn name(self) -> &'static str {
        match self {
            Self::Fastest => "fastest",
            Self::Cheapest => "cheapest",
        }
    }
}

/// The upstreams of the model a host resolved, from the provider config's `upstreams` (see
/// the ABI's `ProviderConfig`): as its catalog lists them, so the plugin need not fetch the
/// catalog itself; an empty list says the host knows none (and the plugin then fetches nothing
/// either). `model` is the model id without a policy.
#[derive(Clone, Debug, PartialEq)]
pub struct HostUpstreams {
    pub model: String,
    pub providers: Vec<ModelProvider>,
}

/// The most upstreams read from the `upstreams` key (a model has a handful).
const MAX_HOST_UPSTREAMS: usize = 256;

impl HostUpstreams {
    /// The host's facts; `None` without a model id. Entries without a usable name are left
    /// out; a missing status counts as live (the host listed the upstream).
    fn read(upstreams: &ModelUpstreams) -> Option<Self> {
        let model = upstreams.model.trim();
        let providers = upstreams
            .providers
            .iter()
            .take(MAX_HOST_UPSTREAMS)
            .filter(|facts| {
                let name = facts.name.trim();
                !name.is_empty() && name.len() <= 128
            })
            .map(|facts| facts.to_model_provider("live"))
            .collect();
        (!model.is_empty()).then(|| Self {
            model: model.to_owned(),
            providers,
        })
    }
}

impl ChatSettings {
    /// The settings for one call.
    pub fn for_call(context: &CallContext) -> Result<Self, ProviderError> {
        let config = ProviderConfig::parse(context.provider_config_json.as_str());
        let chat = config.plugin.get("chat");
        let number = |key: &str| chat.and_then(|c| c.get(key)).and_then(Value::as_u64);
        let configured = Timeouts {
            connect_ms: number("connectTimeoutMs").unwrap_or(0),
            first_byte_ms: number("firstByteTimeoutMs").unwrap_or(0),
            idle_ms: number("idleTimeoutMs").unwrap_or(0),
            overall_ms: number("timeoutMs").unwrap_or(0),
        };
        let defaults = Deadlines::from_timeouts(&configured, CHAT_DEADLINES);
        let bill_to = bill_to(&config)?;
        let retry_defaults = RetryPolicy::default();
        let millis = |key: &str, default: Duration| {
            // Clamped like deadlines: a wait longer than any deadline is never waited anyway,
            // and bounded values keep the backoff arithmetic far from overflow.
            number(key)
                .map_or(default, Duration::from_millis)
                .min(MAX_DEADLINE)
        };
        Ok(Self {
            retry: RetryPolicy {
                max_retries: number("maxRetries")
                    .map_or(retry_defaults.max_retries, |n| n.min(10) as u32),
                base: millis("retryBaseMs", retry_defaults.base),
                max_delay: millis("retryMaxDelayMs", retry_defaults.max_delay),
            },
            deadlines: Deadlines::from_timeouts(&context.timeouts, defaults),
            bill_to,
            capability_routing: chat
                .and_then(|c| c.get("capabilityRouting"))
                .and_then(Value::as_bool)
                .unwrap_or(true),
            routing_policy: match chat
                .and_then(|c| c.get("capabilityRoutingPolicy"))
                .and_then(Value::as_str)
            {
                Some("cheapest") => RoutingPolicy::Cheapest,
                _ => RoutingPolicy::Fastest,
            },
            sticky_upstream: chat
                .and_then(|c| c.get("stickyUpstream"))
                .and_then(Value::as_bool)
                .unwrap_or(true),
            host_upstreams: config.upstreams.as_ref().and_then(HostUpstreams::read),
        })
    }
}

/// How an embedding call behaves: `plugins.entries.huggingface.config.embeddings`.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingSettings {
    /// Upstreams to prefer, in order, when a model ref pins none (`embeddings.upstreams`).
    pub preferred_upstreams: Vec<String>,
    /// The most texts in one request (`embeddings.maxBatchSize`, default 64); more are split.
    pub max_batch_texts: usize,
    /// The most bytes of text in one request (`embeddings.maxBatchBytes`, default 1 MiB).
    pub max_batch_bytes: usize,
    pub retry: RetryPolicy,
    pub deadlines: Deadlines,
    /// `X-HF-Bill-To`.
    pub bill_to: Option<String>,
}

/// The most texts one embedding request may carry, whatever is configured.
pub const MAX_EMBEDDING_BATCH: usize = crate::embeddings::vectors::MAX_TEXTS;

/// Embedding deadlines unless configured: an index sends many batches, each a few seconds.
const EMBEDDING_DEADLINES: Deadlines = Deadlines {
    connect: DEFAULT_CONNECT_TIMEOUT,
    first_byte: Duration::from_secs(120),
    idle: Duration::from_secs(120),
    overall: Duration::from_secs(120),
};

impl EmbeddingSettings {
    /// The settings for one call.
    pub fn for_call(context: &CallContext) -> Result<Self, ProviderError> {
        let config = ProviderConfig::parse(context.provider_config_json.as_str());
        let section = config.plugin.get("embeddings");
        let number = |key: &str| section.and_then(|c| c.get(key)).and_then(Value::as_u64);
        let defaults = RetryPolicy::default();
        let overall = number("timeoutMs").unwrap_or(0);
        let deadlines = Deadlines::from_timeouts(
            &context.timeouts,
            Deadlines::from_timeouts(
                &Timeouts {
                    first_byte_ms: overall,
                    idle_ms: overall,
                    overall_ms: overall,
                    ..Timeouts::default()
                },
                EMBEDDING_DEADLINES,
            ),
        );
        Ok(Self {
            preferred_upstreams: upstream_list(section),
            max_batch_texts: number("maxBatchSize")
                .map_or(64, |n| n.clamp(1, MAX_EMBEDDING_BATCH as u64) as usize),
            max_batch_bytes: number("maxBatchBytes")
                .map_or(1 << 20, |n| n.clamp(1024, 16 << 20) as usize),
            retry: RetryPolicy {
                max_retries: number("maxRetries")
                    .map_or(defaults.max_retries, |n| n.min(10) as u32),
                ..defaults
            },
            deadlines,
            bill_to: bill_to(&config)?,
        })
    }
}

/// How a media call (image generation, speech recognition, speech synthesis) behaves: the
/// plugin entry's `images`, `transcription` or `speech` block.
#[derive(Clone, Debug, PartialEq)]
pub struct MediaSettings {
    /// Upstreams to prefer, in order, when a model ref pins none (`<block>.upstreams`).
    pub preferred_upstreams: Vec<String>,
    pub retry: RetryPolicy,
    /// `overall` bounds the whole call, a queue's waiting included (`<block>.timeoutMs`).
    pub deadlines: Deadlines,
    /// `X-HF-Bill-To`.
    pub bill_to: Option<String>,
}

impl MediaSettings {
    /// The settings of block `section` for one call, `overall` its deadline unless configured.
    pub fn for_call(
        context: &CallContext,
        section: &str,
        overall: Duration,
    ) -> Result<Self, ProviderError> {
        let config = ProviderConfig::parse(context.provider_config_json.as_str());
        let section = config.plugin.get(section);
        let number = |key: &str| section.and_then(|c| c.get(key)).and_then(Value::as_u64);
        let defaults = RetryPolicy::default();
        let configured = number("timeoutMs").unwrap_or(0);
        let deadlines = Deadlines::from_timeouts(
            &context.timeouts,
            Deadlines::from_timeouts(
                &Timeouts {
                    overall_ms: configured,
                    ..Timeouts::default()
                },
                Deadlines {
                    connect: DEFAULT_CONNECT_TIMEOUT,
                    first_byte: overall,
                    idle: Duration::from_secs(60).min(overall),
                    overall,
                },
            ),
        );
        Ok(Self {
            preferred_upstreams: upstream_list(section),
            retry: RetryPolicy {
                max_retries: number("maxRetries")
                    .map_or(defaults.max_retries, |n| n.min(10) as u32),
                ..defaults
            },
            // A queue's result can take as long as the whole call may.
            deadlines: Deadlines {
                first_byte: deadlines.first_byte.min(deadlines.overall),
                ..deadlines
            },
            bill_to: bill_to(&config)?,
        })
    }
}

/// A block's `upstreams`: names, trimmed, at most 32.
fn upstream_list(section: Option<&Value>) -> Vec<String> {
    section
        .and_then(|c| c.get("upstreams"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .take(32)
        .collect()
}

/// `billTo`, checked to be sendable as a header.
fn bill_to(config: &ProviderConfig) -> Result<Option<String>, ProviderError> {
    let bill_to = config
        .options
        .get("billTo")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|org| !org.is_empty())
        .map(str::to_owned);
    if let Some(org) = &bill_to
        && reqwest::header::HeaderValue::from_str(org).is_err()
    {
        return Err(ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!("billTo {org:?} cannot be sent as a header"),
        ));
    }
    Ok(bill_to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openclaw_provider_abi::Tristate;

    fn context(config: &str, timeouts: Timeouts) -> CallContext {
        CallContext {
            timeouts,
            provider_config_json: config.into(),
            ..CallContext::anonymous()
        }
    }

    #[test]
    fn defaults_config_and_call_deadlines_layer() {
        let defaults = ChatSettings::for_call(&context("", Timeouts::default())).unwrap();
        assert_eq!(defaults.retry.max_retries, 2);
        assert_eq!(defaults.deadlines.overall, Duration::from_secs(600));
        assert_eq!(defaults.bill_to, None);

        let config = r#"{"billTo":" acme ","plugin":{"chat":{"maxRetries":5,"idleTimeoutMs":1500,"timeoutMs":"x"}}}"#;
        let configured = ChatSettings::for_call(&context(
            config,
            Timeouts {
                overall_ms: 9000,
                ..Timeouts::default()
            },
        ))
        .unwrap();
        assert_eq!(configured.retry.max_retries, 5);
        assert_eq!(configured.deadlines.idle, Duration::from_millis(1500));
        assert_eq!(configured.deadlines.overall, Duration::from_millis(9000));
        assert_eq!(configured.bill_to.as_deref(), Some("acme"));

        let bad = ChatSettings::for_call(&context(r#"{"billTo":"a\nb"}"#, Timeouts::default()));
        assert_eq!(bad.unwrap_err().code, ErrorCode::INVALID_REQUEST);
    }

    #[test]
    fn capability_routing_and_host_upstreams_are_read() {
        let defaults = ChatSettings::for_call(&context("", Timeouts::default())).unwrap();
        assert!(defaults.capability_routing);
        assert_eq!(defaults.routing_policy, RoutingPolicy::Fastest);
        assert_eq!(defaults.host_upstreams, None);
        let config = r#"{"plugin":{"chat":{"capabilityRouting":false,"capabilityRoutingPolicy":"cheapest"}},
            "upstreams":{"model":"org/m","providers":[
                {"name":"together","status":"live","supportsTools":true,"throughput":80,"pricing":{"output":0.6}},
                {"name":""},{"status":"live"},
                {"name":"slow","supportsTools":false,"supportsStructuredOutput":"yes"}]}}"#;
        let settings = ChatSettings::for_call(&context(config, Timeouts::default())).unwrap();
        assert!(!settings.capability_routing);
        assert_eq!(settings.routing_policy, RoutingPolicy::Cheapest);
        let host = settings.host_upstreams.unwrap();
        assert_eq!(host.model, "org/m");
        assert_eq!(host.providers.len(), 2);
        assert_eq!(host.providers[0].supports_tools, Tristate::YES);
        assert_eq!(host.providers[0].throughput_tps.into_option(), Some(80.0));
        assert_eq!(host.providers[0].output_price.into_option(), Some(0.6));
        assert_eq!(host.providers[1].status.as_str(), "live");
        assert_eq!(host.providers[1].supports_tools, Tristate::NO);
        assert_eq!(
            host.providers[1].supports_structured_output,
            Tristate::UNKNOWN
        );
    }
}
