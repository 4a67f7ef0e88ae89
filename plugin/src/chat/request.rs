//! The request sent to `POST {baseUrl}/chat/completions`, built from the host's
//! [`ChatRequest`]: the model id without the provider prefix, first in the body (the router picks
//! an upstream from the start of the body, as Hugging Face's own clients arrange); the
//! OpenAI-compatible fields; `stream` with `stream_options.include_usage` when streaming; and the
//! headers — bearer token, User-Agent, optional `X-HF-Bill-To`.
//!
//! A few fixes keep upstreams from refusing what the host sent: a `developer` message becomes
//! `system` (the router's upstreams do not take the role), `reasoning_effort: "minimal"` becomes
//! `"low"` (the router rejects it), and an assistant tool call without arguments gets `"{}"`
//! (one upstream answers 500 otherwise). Each fix is reported as a notice.

use openclaw_provider_abi::{
    CallContext, ErrorCode, ProviderError,
    documents::{ChatRequest, Message},
};
use reqwest::Url;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{environment, http, refs, settings::ChatSettings};

/// Everything needed to send (and resend) one chat request. Its `Debug` leaves the token out.
pub struct Prepared {
    pub url: Url,
    /// The serialised body.
    pub body: Vec<u8>,
    /// The model id sent on the wire.
    pub model: String,
    pub settings: ChatSettings,
    /// Adjustments made to the request, to tell the caller.
    pub notices: Vec<String>,
    pub streaming: bool,
    secret: String,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("url", &self.url.as_str())
            .field("model", &self.model)
            .field("streaming", &self.streaming)
            .finish_non_exhaustive()
    }
}

impl Prepared {
    /// The token, for building headers and scrubbing messages.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// A request builder with the body and every header set.
    pub fn request(&self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        let mut request = client
            .post(self.url.clone())
            .bearer_auth(&self.secret)
            .header(reqwest::header::USER_AGENT, crate::host_log::user_agent())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                reqwest::header::ACCEPT,
                if self.streaming {
                    "text/event-stream"
                } else {
                    "application/json"
                },
            )
            .body(self.body.clone());
        if let Some(org) = &self.settings.bill_to {
            request = request.header("X-HF-Bill-To", org);
        }
        request
    }
}

/// The body on the wire; field order is the serialisation order (`model` first).
#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    messages: &'a [Message],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a [Value]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'a str>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

const ROLES: [&str; 4] = ["system", "user", "assistant", "tool"];

/// Checks and prepares a request; nothing is sent.
pub fn prepare(
    context: &CallContext,
    request_json: &str,
    streaming: bool,
) -> Result<Prepared, ProviderError> {
    let invalid = |why: String| ProviderError::new(ErrorCode::INVALID_REQUEST, why);
    let mut request: ChatRequest = serde_json::from_str(request_json)
        .map_err(|err| invalid(format!("the chat request is not valid JSON: {err}")))?;
    let model = refs::parse(&request.model)?.wire_id();
    let settings = ChatSettings::for_call(context)?;
    let mut notices = Vec::new();
    if request.messages.is_empty() {
        return Err(invalid("the chat request has no messages".into()));
    }
    for (index, message) in request.messages.iter_mut().enumerate() {
        if message.role == "developer" {
            message.role = "system".into();
            notices.push(format!(
                "message {index}: the developer role was sent as system"
            ));
        }
        if !ROLES.contains(&message.role.as_str()) {
            return Err(invalid(format!(
                "message {index} has the role {:?}; use system, user, assistant or tool",
                message.role
            )));
        }
        if message.role == "tool" && message.tool_call_id.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(format!(
                "message {index} is a tool result without tool_call_id"
            )));
        }
        for call in message.tool_calls.iter_mut().flatten() {
            if call.function.arguments.trim().is_empty() {
                call.function.arguments = "{}".into();
            }
        }
    }
    let mut effort = request.reasoning_effort.clone();
    if effort.as_deref() == Some("minimal") {
        effort = Some("low".into());
        notices.push(
            "reasoning_effort \"minimal\" was sent as \"low\" (the router rejects minimal)".into(),
        );
    }
    // The host may not steer what this module owns.
    for owned in ["model", "messages", "stream", "stream_options"] {
        request.extra.remove(owned);
    }
    let wire = WireRequest {
        model: &model,
        messages: &request.messages,
        stream: streaming,
        stream_options: streaming.then(|| serde_json::json!({"include_usage": true})),
        temperature: request.temperature,
        top_p: request.top_p,
        max_tokens: request.max_tokens,
        stop: request.stop.as_deref(),
        seed: request.seed,
        tools: request.tools.as_deref(),
        tool_choice: request.tool_choice.as_ref(),
        response_format: request.response_format.as_ref(),
        reasoning_effort: effort.as_deref(),
        extra: &request.extra,
    };
    let body = serde_json::to_vec(&wire)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))?;

    if let Some(switch) = environment::offline_switch() {
        return Err(ProviderError::new(
            ErrorCode::OFFLINE,
            format!("{switch} is set: no network, so no chat"),
        ));
    }
    let secret = context
        .credential
        .as_ref()
        .map(|s| s.expose().to_owned())
        .into_option()
        .ok_or_else(|| {
            ProviderError::new(
                ErrorCode::UNAUTHORIZED,
                "no Hugging Face token: onboard, or set HF_TOKEN (a fine-grained token with \
                 \"Make calls to Inference Providers\")",
            )
        })?;
    http::check_token(&secret)?;
    let url = http::endpoint(&http::base_url(context)?, "chat/completions")?;
    Ok(Prepared {
        url,
        body,
        model,
        settings,
        notices,
        streaming,
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openclaw_provider_abi::Secret;

    fn context() -> CallContext {
        CallContext {
            credential: Secret::new("hf_testtesttesttest").into(),
            base_url: Some("http://127.0.0.1:1/v1".into()).into(),
            provider_config_json: r#"{"billTo":"acme"}"#.into(),
            ..CallContext::anonymous()
        }
    }

    #[test]
    fn the_body_starts_with_the_wire_model_and_carries_every_field() {
        let request = r#"{"model":"huggingface/deepseek-ai/DeepSeek-R1:fastest",
            "messages":[{"role":"developer","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}}]},
                        {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":""}}]},
                        {"role":"tool","tool_call_id":"c","content":"42"}],
            "temperature":0.2,"top_p":0.9,"max_tokens":64,"stop":["END"],"seed":7,
            "tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"tool_choice":"auto",
            "response_format":{"type":"json_object"},"reasoning_effort":"minimal","logprobs":true,"stream":false}"#;
        let prepared = prepare(&context(), request, true).unwrap();
        let text = String::from_utf8(prepared.body.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"model":"deepseek-ai/DeepSeek-R1:fastest","#),
            "{text}"
        );
        let body: Value = serde_json::from_slice(&prepared.body).unwrap();
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(
            body["messages"][1]["content"][1]["image_url"]["url"],
            "data:image/png;base64,AA"
        );
        assert_eq!(
            body["messages"][2]["tool_calls"][0]["function"]["arguments"],
            "{}"
        );
        assert_eq!(body["reasoning_effort"], "low");
        assert_eq!(body["logprobs"], true);
        for field in [
            "temperature",
            "top_p",
            "max_tokens",
            "stop",
            "seed",
            "tools",
            "tool_choice",
            "response_format",
        ] {
            assert!(body.get(field).is_some(), "{field}");
        }
        assert_eq!(prepared.notices.len(), 2);
        assert_eq!(
            prepared.url.as_str(),
            "http://127.0.0.1:1/v1/chat/completions"
        );
        assert_eq!(prepared.settings.bill_to.as_deref(), Some("acme"));
        let one_shot = prepare(&context(), request, false).unwrap();
        let body: Value = serde_json::from_slice(&one_shot.body).unwrap();
        assert!(body.get("stream").is_none() && body.get("stream_options").is_none());
    }

    #[test]
    fn bad_requests_are_refused_before_sending() {
        let cases = [
            ("not json", "not valid JSON"),
            (
                r#"{"model":"huggingface/a/b","messages":[]}"#,
                "no messages",
            ),
            (
                r#"{"model":"huggingface/a/b","messages":[{"role":"robot","content":"x"}]}"#,
                "role",
            ),
            (
                r#"{"model":"huggingface/a/b","messages":[{"role":"tool","content":"x"}]}"#,
                "tool_call_id",
            ),
            (
                r#"{"model":"huggingface/a/b:bad policy","messages":[{"role":"user","content":"x"}]}"#,
                "routing policy",
            ),
        ];
        for (request, expected) in cases {
            let err = prepare(&context(), request, true).unwrap_err();
            assert_eq!(err.code, ErrorCode::INVALID_REQUEST, "{request}");
            assert!(err.message.contains(expected), "{request}: {}", err.message);
        }
        let no_token = CallContext {
            credential: None.into(),
            ..context()
        };
        let err = prepare(
            &no_token,
            r#"{"model":"huggingface/a/b","messages":[{"role":"user","content":"x"}]}"#,
            true,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::UNAUTHORIZED);
    }
}
