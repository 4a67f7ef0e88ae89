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
//!
//! Before anything is sent, the credential is checked as a `hf auth login` token
//! ([`crate::oauth`]: refreshed when about to expire), and a request that needs tools or
//! structured output may be pinned to an upstream that has them ([`super::routing`]).

use openclaw_provider_abi::{
    CallContext, ErrorCode, ModelProvider, ProviderError, Secret,
    documents::{ChatDone, ChatRequest, Message, TurnCost, Usage},
};
use reqwest::Url;
use serde::Serialize;
use serde_json::{Map, Value};

use super::routing::{self, Needs, PinReason, Pinned};
use crate::{
    environment, errors, http, oauth, refs, retry::Notice, settings::ChatSettings, suggest,
};

/// Everything needed to send (and resend) one chat request. Its `Debug` leaves the token out.
pub struct Prepared {
    pub url: Url,
    /// The router's base URL (the key of what this process remembers about it).
    pub base_url: String,
    /// The serialised body after its leading `{"model":"…"` member, which [`Prepared::body`]
    /// puts in front: the model may change between attempts (see [`Prepared::unpin_after`]).
    body_tail: Vec<u8>,
    /// The model id sent on the wire.
    pub model: String,
    /// The model id without a policy.
    pub base_model: String,
    pub settings: ChatSettings,
    /// Adjustments made to the request, to tell the caller.
    pub notices: Vec<String>,
    pub streaming: bool,
    /// The model's upstreams, when catalog data tells (for advice in errors).
    pub upstreams: Vec<ModelProvider>,
    /// Set when capability routing pinned the request.
    pub pinned: Option<Pinned>,
    /// The token is a `hf auth login` token.
    pub login_token: bool,
    /// The `reasoning_effort` sent, while it is.
    pub effort: Option<String>,
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

    /// The body on the wire, `model` first.
    pub fn body(&self) -> Vec<u8> {
        let model = serde_json::to_string(&self.model).unwrap_or_else(|_| "\"\"".into());
        let mut body = Vec::with_capacity(10 + model.len() + self.body_tail.len());
        body.extend_from_slice(b"{\"model\":");
        body.extend_from_slice(model.as_bytes());
        body.extend_from_slice(&self.body_tail);
        body
    }

    /// After `error` (with no output yet), whether the request goes again at once, changed:
    /// without its pin ([`Prepared::unpin_after`]), else without a `reasoning_effort` the
    /// upstream refused (OpenClaw sends its thinking level as one on every turn; a model that
    /// does not take it still answers). The notice says what changed.
    pub fn adjust_after(&mut self, error: &ProviderError) -> Option<Notice> {
        if let Some(text) = self.unpin_after(error) {
            return Some(Notice {
                text,
                details: Value::Null,
            });
        }
        let effort = self.effort.clone()?;
        if !errors::refused_params_of(error)
            .iter()
            .any(|p| p == "reasoning_effort")
        {
            return None;
        }
        let mut body: Value = serde_json::from_slice(&self.body()).ok()?;
        body.as_object_mut()?.remove("reasoning_effort");
        self.body_tail = serde_json::to_vec(&body)
            .ok()?
            .strip_prefix(
                format!("{{\"model\":{}", serde_json::to_string(&self.model).ok()?).as_bytes(),
            )?
            .to_vec();
        self.effort = None;
        Some(Notice {
            text: format!(
                "the upstream does not take reasoning_effort \"{effort}\"; sent again without it"
            ),
            details: serde_json::json!({"dropped": "reasoning_effort", "value": effort}),
        })
    }

    /// After `error` (with no output yet), whether the request goes once more without its pin:
    /// a capability pin when the router refused the upstream as not available (remembered as
    /// such), a session pin after any failure another upstream might not have. Then the
    /// request is unpinned and the notice to show returned.
    pub fn unpin_after(&mut self, error: &ProviderError) -> Option<String> {
        let pinned = self.pinned.as_ref()?;
        let notice = match pinned.reason {
            PinReason::Capability => {
                errors::refused_upstream(error)?;
                routing::mark_unavailable(&self.base_url, &pinned.upstream);
                routing::unpinned_notice(&pinned.upstream, &pinned.unpinned)
            }
            PinReason::Session => {
                let everywhere = [
                    ErrorCode::UNAUTHORIZED,
                    ErrorCode::PAYMENT_REQUIRED,
                    ErrorCode::CANCELLED,
                    ErrorCode::OFFLINE,
                ];
                if everywhere.contains(&error.code) {
                    return None;
                }
                format!(
                    "{}, which served this conversation before, failed ({}); the router chose \
                     again for {}",
                    pinned.upstream, error.code, pinned.unpinned
                )
            }
        };
        let unavailable = pinned.upstream.clone();
        self.model = pinned.unpinned.clone();
        self.upstreams.retain(|p| p.name.as_str() != unavailable);
        self.pinned = None;
        Some(notice)
    }

    /// What a turn served by `serving` with `usage` cost at that upstream's prices, when this
    /// request knows them.
    pub fn cost_of(&self, serving: Option<&str>, usage: Option<&Usage>) -> Option<TurnCost> {
        super::cost::turn_cost(&self.upstreams, serving, usage)
    }

    /// `done` with what the turn cost ([`Prepared::cost_of`]).
    pub fn priced(&self, mut done: ChatDone) -> ChatDone {
        done.cost = self.cost_of(done.serving_provider.as_deref(), done.usage.as_ref());
        done
    }

    /// What this request knows for advice in an error with this status.
    pub fn error_for(
        &self,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> ProviderError {
        // Close ids only where an error may name the model as unknown.
        let similar = if matches!(status, 400 | 404) {
            suggest::similar(
                &self.base_model,
                suggest::catalog_ids(&self.base_url)
                    .iter()
                    .map(String::as_str),
            )
        } else {
            Vec::new()
        };
        errors::from_response_with(
            status,
            headers,
            body,
            errors::Operation::Chat { model: &self.model },
            &errors::Known {
                upstreams: &self.upstreams,
                similar: &similar,
                bill_to: self.settings.bill_to.as_deref(),
                login_token: self.login_token,
            },
            Some(self.secret()),
        )
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
            .body(self.body());
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
    let parsed = refs::parse(&request.model)?;
    let mut model = parsed.wire_id();
    let settings = ChatSettings::for_call(context)?;
    let needs = Needs::of(&request);
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
    // Serialised with an empty model: everything after it is the tail `Prepared::body` joins.
    let wire = WireRequest {
        model: "",
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
    let body_tail = body
        .strip_prefix(br#"{"model":"""#.as_slice())
        .map(<[u8]>::to_vec)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorCode::INTERNAL,
                "the body does not start with the model",
            )
        })?;

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
    let checked = oauth::check(&secret);
    let secret = checked.token;
    let base = http::base_url(context)?;
    let url = http::endpoint(&base, "chat/completions")?;
    let base_url = base.as_str().to_owned();
    let routing = settings.capability_routing && parsed.policy.is_none() && needs.any();
    // A background refresh of the catalog only for requests that routing would use it for,
    // and with the (possibly refreshed) credential of this call.
    let refresh_with = routing.then(|| CallContext {
        credential: Secret::new(&secret).into(),
        ..context.clone()
    });
    let upstreams = routing::upstreams(&settings, &base_url, &parsed.base, refresh_with.as_ref());
    let mut pinned = None;
    if routing && let Some(upstream) = routing::choose(&upstreams, needs, settings.routing_policy) {
        notices.push(routing::pinned_notice(
            &parsed.base,
            needs,
            &upstream.name,
            settings.routing_policy,
        ));
        pinned = Some(Pinned {
            upstream: upstream.name.to_string(),
            unpinned: model.clone(),
            reason: PinReason::Capability,
        });
        model = format!("{}:{}", parsed.base, upstream.name);
    }
    // The upstream that served the conversation before, asked for again (its prompt cache),
    // unless the ref routes on its own or capability routing pinned the request already.
    if pinned.is_none()
        && settings.sticky_upstream
        && parsed.policy.is_none()
        && let Some(upstream) = request
            .session_upstream
            .as_deref()
            .filter(|name| is_upstream_name(name))
    {
        log::debug!(
            "asking {upstream} again for {}: it served this conversation",
            parsed.base
        );
        pinned = Some(Pinned {
            upstream: upstream.to_owned(),
            unpinned: model.clone(),
            reason: PinReason::Session,
        });
        model = format!("{}:{upstream}", parsed.base);
    }
    Ok(Prepared {
        url,
        base_url,
        body_tail,
        model,
        base_model: parsed.base,
        settings,
        notices,
        streaming,
        upstreams,
        pinned,
        login_token: checked.login,
        effort,
        secret,
    })
}

/// An upstream's name as the router spells them (`together`, `fireworks-ai`, `hf-inference`).
fn is_upstream_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
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
        let text = String::from_utf8(prepared.body()).unwrap();
        assert!(
            text.starts_with(r#"{"model":"deepseek-ai/DeepSeek-R1:fastest","#),
            "{text}"
        );
        let body: Value = serde_json::from_slice(&prepared.body()).unwrap();
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
        let body: Value = serde_json::from_slice(&one_shot.body()).unwrap();
        assert!(body.get("stream").is_none() && body.get("stream_options").is_none());
    }

    #[test]
    fn the_upstream_that_served_the_conversation_is_asked_again_unless_the_ref_routes() {
        let ask = |model: &str, upstream: &str, config: &str| {
            let request = format!(
                r#"{{"model":"{model}","messages":[{{"role":"user","content":"hi"}}],"session_upstream":"{upstream}"}}"#
            );
            let context = CallContext {
                provider_config_json: config.into(),
                ..context()
            };
            prepare(&context, &request, true).unwrap()
        };
        let sticky = ask("huggingface/zai-org/GLM-4.7", "together", "{}");
        assert_eq!(sticky.model, "zai-org/GLM-4.7:together");
        let body: Value = serde_json::from_slice(&sticky.body()).unwrap();
        assert_eq!(body["model"], "zai-org/GLM-4.7:together");
        assert!(body.get("session_upstream").is_none(), "{body}");
        // A policy or an upstream in the ref is the user's choice, kept.
        assert_eq!(
            ask("zai-org/GLM-4.7:cheapest", "together", "{}").model,
            "zai-org/GLM-4.7:cheapest"
        );
        assert_eq!(
            ask("zai-org/GLM-4.7:novita", "together", "{}").model,
            "zai-org/GLM-4.7:novita"
        );
        // Off by setting; a name that is no upstream's is ignored.
        let off = r#"{"plugin":{"chat":{"stickyUpstream":false}}}"#;
        assert_eq!(
            ask("zai-org/GLM-4.7", "together", off).model,
            "zai-org/GLM-4.7"
        );
        assert_eq!(
            ask("zai-org/GLM-4.7", "to gether", "{}").model,
            "zai-org/GLM-4.7"
        );
    }

    #[test]
    fn a_session_pin_falls_back_to_the_refs_routing_after_a_failure_another_upstream_may_not_have()
    {
        let request = r#"{"model":"zai-org/GLM-4.7","messages":[{"role":"user","content":"hi"}],"session_upstream":"together"}"#;
        let mut prepared = prepare(&context(), request, true).unwrap();
        let refused = ProviderError::new(ErrorCode::UNAUTHORIZED, "no");
        assert_eq!(prepared.unpin_after(&refused), None);
        assert_eq!(prepared.model, "zai-org/GLM-4.7:together");
        let failed = ProviderError::new(ErrorCode::UPSTREAM, "503");
        let notice = prepared.unpin_after(&failed).expect("unpinned");
        assert!(
            notice.contains("together, which served this conversation before"),
            "{notice}"
        );
        assert_eq!(prepared.model, "zai-org/GLM-4.7");
        // Once only.
        assert_eq!(prepared.unpin_after(&failed), None);
    }

    /// The router's refusal of a parameter an upstream does not take.
    fn unsupported(param: &str) -> ProviderError {
        let body = format!(
            r#"{{"error":{{"message":"The following parameters are not supported: {param}","type":"UNSUPPORTED_OPENAI_PARAMS"}}}}"#
        );
        errors::from_response(
            400,
            &reqwest::header::HeaderMap::new(),
            body.as_bytes(),
            errors::Operation::Chat {
                model: "zai-org/GLM-4.7",
            },
            None,
        )
    }

    #[test]
    fn a_refused_reasoning_effort_is_dropped_and_the_request_goes_again_once() {
        let request = r#"{"model":"zai-org/GLM-4.7","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high","temperature":0.5}"#;
        let mut prepared = prepare(&context(), request, true).unwrap();
        let refusal = unsupported("reasoning_effort");
        let notice = prepared.adjust_after(&refusal).expect("adjusted");
        assert_eq!(notice.details["dropped"], "reasoning_effort");
        assert_eq!(notice.details["value"], "high");
        let body: Value = serde_json::from_slice(&prepared.body()).unwrap();
        assert!(body.get("reasoning_effort").is_none(), "{body}");
        assert_eq!(body["temperature"], 0.5);
        assert!(
            String::from_utf8(prepared.body())
                .unwrap()
                .starts_with(r#"{"model":"zai-org/GLM-4.7","#)
        );
        // Nothing left to drop: the next refusal fails the request.
        assert!(prepared.adjust_after(&refusal).is_none());
        // Another refusal is not this one.
        let mut other = prepare(&context(), request, true).unwrap();
        let tools = unsupported("tools");
        assert!(other.adjust_after(&tools).is_none());
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
