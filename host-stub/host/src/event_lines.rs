//! The one JSON-lines schema for a chat's events, shared by every front end that prints a chat
//! as JSON (`host-stub chat --json`, the provider bridge, whose protocol — described in
//! `docs/bridge-protocol.md` — adds a `rid` to each line): one object per line, tagged by
//! `type`, keys in `camelCase`.
//!
//! ```text
//! {"type":"attempt","number":1,"of":2,"model":"huggingface/org/model"}   a host's fallback chain
//! {"type":"notice","message":"…","details":{…}}
//! {"type":"servingProvider","provider":"together"}
//! {"type":"text","delta":"…"}
//! {"type":"reasoning","delta":"…"}
//! {"type":"toolCall","index":0,"id":"call_1","name":"get_weather","arguments":"{\"ci"}
//! {"type":"failed","model":"…","code":"rate_limited","message":"…","next":"…"}
//! {"type":"done","result":{"model":…,"servingProvider":…,"finishReason":…,"usage":{…},
//!  "toolCalls":[…]},"ref":"huggingface/org/model","attempts":[…]}
//! {"type":"error","code":"unauthorized","message":"…","httpStatus":401,"retryAfterMs":…}
//! ```
//!
//! A consumer skips types it does not know; fields that do not apply are left out. `ref` and
//! `attempts` come from a host that resolves refs and falls back (host-stub), not from a bridge.
//! The answers of the capabilities beyond chat ([`EmbeddingAnswer`], [`UsageAnswer`]) are in the
//! same words.

use std::borrow::Cow;

use openclaw_provider_abi::{
    ProviderError,
    documents::{ChatDone, EmbeddingResult, ToolCallDelta, Usage, UsageReport},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::events::ChatEvent;

/// How one attempt of a fallback chain ended.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptRecord {
    pub model: String,
    /// `ok`, or the error code.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One line.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EventLine<'a> {
    Attempt {
        number: usize,
        of: usize,
        model: &'a str,
    },
    Notice {
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        details: Option<Value>,
    },
    ServingProvider {
        provider: &'a str,
    },
    Text {
        delta: &'a str,
    },
    Reasoning {
        delta: &'a str,
    },
    ToolCall(&'a ToolCallDelta),
    Failed {
        model: &'a str,
        code: String,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        next: Option<&'a str>,
    },
    Done(DoneLine<'a>),
    Error(ErrorLine<'a>),
}

/// The last line of a successful chat.
#[derive(Debug, Serialize)]
pub struct DoneLine<'a> {
    pub result: ChatSummary,
    /// The ref that answered, for a host that resolves refs.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub model_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<&'a [AttemptRecord]>,
}

/// What a finished chat came to: the plugin's `ChatDone` in this schema's words.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatSummary {
    /// The model id sent on the wire.
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    /// `stop`, `length`, `tool_calls`, `content_filter`, or what the service said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageSummary>,
    /// The tool calls assembled from the stream, in index order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallSummary>,
    /// What the turn cost at the serving upstream's prices, when the plugin knows them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostSummary>,
}

/// A turn's cost: `{upstream, currency, input, output, total}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    pub upstream: String,
    pub currency: String,
    pub input: f64,
    pub output: f64,
    pub total: f64,
}

/// Token usage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageSummary {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
}

/// A complete tool call: the function's name and its arguments as JSON text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallSummary {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

impl From<&Usage> for UsageSummary {
    fn from(usage: &Usage) -> Self {
        Self {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            total_tokens: usage.total_tokens,
            reasoning_tokens: usage.reasoning_tokens,
            cached_tokens: usage.cached_tokens,
        }
    }
}

impl From<&ChatDone> for ChatSummary {
    fn from(done: &ChatDone) -> Self {
        Self {
            model: done.model.clone(),
            serving_provider: done.serving_provider.clone(),
            finish_reason: done.finish_reason.clone(),
            usage: done.usage.as_ref().map(UsageSummary::from),
            tool_calls: done
                .tool_calls
                .iter()
                .map(|call| ToolCallSummary {
                    id: call.id.clone(),
                    name: call.function.name.clone(),
                    arguments: call.function.arguments.clone(),
                })
                .collect(),
            cost: done.cost.as_ref().map(|cost| CostSummary {
                upstream: cost.upstream.clone(),
                currency: cost.currency.clone(),
                input: cost.input,
                output: cost.output,
                total: cost.total,
            }),
        }
    }
}

/// An embedding call's answer (`host-stub embed --json`, the bridge's `embed`): the plugin's
/// `EmbeddingResult` in this schema's words.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddingAnswer {
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    pub vectors: Vec<Vec<f32>>,
    pub dimensions: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<EmbeddingUsageAnswer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// Where the request went (the router, or the proxy configured in its place), for a host
    /// that names its index after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// Tokens an embedding request counted.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddingUsageAnswer {
    pub prompt_tokens: u64,
    pub total_tokens: u64,
}

impl From<EmbeddingResult> for EmbeddingAnswer {
    fn from(result: EmbeddingResult) -> Self {
        Self {
            model: result.model,
            serving_provider: result.serving_provider,
            vectors: result.vectors,
            dimensions: result.dimensions,
            usage: result.usage.map(|usage| EmbeddingUsageAnswer {
                prompt_tokens: usage.prompt_tokens,
                total_tokens: usage.total_tokens,
            }),
            notices: result.notices,
            base_url: None,
        }
    }
}

/// An account's spend (`host-stub usage --json`, the bridge's `usage`): the plugin's
/// `UsageReport` in this schema's words, with what the period costs beyond its credits.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageAnswer {
    pub provider: String,
    /// Unix seconds.
    pub period_start: i64,
    pub period_end: i64,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included: Option<f64>,
    /// What the period costs beyond its included credits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billable: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl UsageAnswer {
    pub fn new(provider: &str, report: UsageReport) -> Self {
        Self {
            provider: provider.to_owned(),
            period_start: report.period_start,
            period_end: report.period_end,
            billable: report.billable(),
            currency: report.currency,
            used: report.used,
            included: report.included,
            limit: report.limit,
            requests: report.requests,
            notes: report.notes,
        }
    }
}

/// The last line of a failed request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorLine<'a> {
    pub code: Cow<'a, str>,
    pub message: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// Machine-readable facts the plugin gave (`requestSent`, an upstream's error code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<&'a [AttemptRecord]>,
}

impl<'a> ErrorLine<'a> {
    /// The line for a provider's error.
    pub fn from_error(error: &'a ProviderError) -> Self {
        Self {
            code: Cow::Owned(error.code.to_string()),
            message: Cow::Borrowed(error.message.as_str()),
            http_status: (error.http_status != 0).then_some(error.http_status),
            retry_after_ms: error.retry_after_ms.into_option(),
            details: json_object(&error.details_json),
            attempts: None,
        }
    }
}

/// A plugin's JSON detail text as a value; `None` when empty or not an object.
fn json_object(text: &str) -> Option<Value> {
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_object)
}

impl<'a> EventLine<'a> {
    /// The line for a stream event; `None` for usage (the `done` line carries it).
    pub fn from_event(event: &'a ChatEvent) -> Option<Self> {
        Some(match event {
            ChatEvent::Text(text) => Self::Text { delta: text },
            ChatEvent::Reasoning(text) => Self::Reasoning { delta: text },
            ChatEvent::ToolCall(delta) => Self::ToolCall(delta),
            ChatEvent::ServingProvider(name) => Self::ServingProvider { provider: name },
            ChatEvent::Notice { message, details } => Self::Notice {
                message,
                details: json_object(details),
            },
            ChatEvent::Usage(_) => return None,
            ChatEvent::Done(done) => Self::Done(DoneLine {
                result: ChatSummary::from(done),
                model_ref: None,
                attempts: None,
            }),
        })
    }

    /// Appends the line and its newline to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        // Serialising these types into memory cannot fail: every map key is a string.
        if serde_json::to_writer(&mut *out, self).is_ok() {
            out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openclaw_provider_abi::documents::{FunctionCall, ToolCall};

    #[test]
    fn lines_are_camel_case_and_the_summary_flattens_tool_calls() {
        let done = ChatDone {
            model: "org/m".into(),
            serving_provider: Some("together".into()),
            finish_reason: Some("tool_calls".into()),
            usage: Some(Usage {
                prompt_tokens: 3,
                completion_tokens: 4,
                total_tokens: 7,
                reasoning_tokens: None,
                cached_tokens: Some(1),
            }),
            tool_calls: vec![ToolCall {
                id: "c1".into(),
                kind: "function".into(),
                function: FunctionCall {
                    name: "f".into(),
                    arguments: "{}".into(),
                },
            }],
            cost: Some(openclaw_provider_abi::documents::TurnCost {
                upstream: "together".into(),
                currency: "USD".into(),
                input: 0.5,
                output: 0.25,
                total: 0.75,
            }),
        };
        let event = ChatEvent::Done(done);
        let mut out = Vec::new();
        EventLine::from_event(&event).unwrap().write_to(&mut out);
        let line: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["type"], "done");
        assert_eq!(line["result"]["servingProvider"], "together");
        assert_eq!(line["result"]["usage"]["cachedTokens"], 1);
        assert_eq!(line["result"]["toolCalls"][0]["name"], "f");
        assert_eq!(line["result"]["cost"]["total"], 0.75);
        assert_eq!(line["result"]["cost"]["upstream"], "together");
        let error = ProviderError::new(openclaw_provider_abi::ErrorCode::RATE_LIMITED, "slow")
            .with_status(429)
            .with_retry_after_ms(5)
            .with_details(&serde_json::json!({"requestSent": true}));
        let mut out = Vec::new();
        EventLine::Error(ErrorLine::from_error(&error)).write_to(&mut out);
        let line: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["httpStatus"], 429);
        assert_eq!(line["retryAfterMs"], 5);
        assert_eq!(line["details"]["requestSent"], true);
    }
}
