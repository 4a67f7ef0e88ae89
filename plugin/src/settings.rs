//! The plugin's own settings, read per call from the provider configuration the host passes
//! ([`CallContext::provider_config_json`]): `models.providers.huggingface.billTo`, and the
//! plugin entry's `chat` block — retries and deadlines:
//!
//! ```json5
//! { billTo: "my-org",
//!   plugin: { chat: { maxRetries: 2, retryBaseMs: 500, retryMaxDelayMs: 30000,
//!                     connectTimeoutMs: 10000, firstByteTimeoutMs: 60000,
//!                     idleTimeoutMs: 60000, timeoutMs: 600000 } } }
//! ```
//!
//! Values of the wrong type are ignored (defaults apply); deadlines the host sets for one call
//! win over configured ones.

use std::time::Duration;

use openclaw_provider_abi::{CallContext, ErrorCode, ProviderError, Timeouts};
use serde_json::Value;

use crate::{
    http::{Deadlines, MAX_DEADLINE},
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
    /// Retries after the first attempt (429, 500, 502, 503, 504, connection failures).
    pub max_retries: u32,
    /// The first backoff delay; each retry doubles it (with jitter).
    pub retry_base: Duration,
    /// The longest wait before a retry, `Retry-After` included.
    pub retry_max_delay: Duration,
    pub deadlines: Deadlines,
    /// `X-HF-Bill-To`: the organisation billed.
    pub bill_to: Option<String>,
}

impl ChatSettings {
    /// The settings for one call.
    pub fn for_call(context: &CallContext) -> Result<Self, ProviderError> {
        let config: Value =
            serde_json::from_str(context.provider_config_json.as_str()).unwrap_or(Value::Null);
        let chat = config.pointer("/plugin/chat");
        let number = |key: &str| chat.and_then(|c| c.get(key)).and_then(Value::as_u64);
        let configured = Timeouts {
            connect_ms: number("connectTimeoutMs").unwrap_or(0),
            first_byte_ms: number("firstByteTimeoutMs").unwrap_or(0),
            idle_ms: number("idleTimeoutMs").unwrap_or(0),
            overall_ms: number("timeoutMs").unwrap_or(0),
        };
        let defaults = Deadlines::from_timeouts(&configured, CHAT_DEADLINES);
        let bill_to = config
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
        Ok(Self {
            max_retries: number("maxRetries").map(|n| n.min(10) as u32).unwrap_or(2),
            // Clamped like deadlines: a wait longer than any deadline is never waited anyway, and
            // bounded values keep the backoff arithmetic far from overflow.
            retry_base: Duration::from_millis(number("retryBaseMs").unwrap_or(500))
                .min(MAX_DEADLINE),
            retry_max_delay: Duration::from_millis(number("retryMaxDelayMs").unwrap_or(30_000))
                .min(MAX_DEADLINE),
            deadlines: Deadlines::from_timeouts(&context.timeouts, defaults),
            bill_to,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(defaults.max_retries, 2);
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
        assert_eq!(configured.max_retries, 5);
        assert_eq!(configured.deadlines.idle, Duration::from_millis(1500));
        assert_eq!(configured.deadlines.overall, Duration::from_millis(9000));
        assert_eq!(configured.bill_to.as_deref(), Some("acme"));

        let bad = ChatSettings::for_call(&context(r#"{"billTo":"a\nb"}"#, Timeouts::default()));
        assert_eq!(bad.unwrap_err().code, ErrorCode::INVALID_REQUEST);
    }
}
