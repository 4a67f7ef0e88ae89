//! Turning what the router (or the Hub) answered into a [`ProviderError`] a person can act on.
//!
//! Error bodies come in several shapes: `{"error":"…"}` (Hub and auth layer),
//! `{"error":{"message","type","code","param"}}` (router validation, OpenAI-compatible
//! upstreams, `error_type` for the router's unsupported-parameter refusal), `{"error":["…"]}`,
//! `{"message":"…"}`, `{"detail":"…"}`, plain text, and the `X-Error-Message` header. This module
//! reads them; [`advice`] decides the code from the status and what the service said, and
//! writes the message that says what to do, as precisely as what the caller knows allows
//! ([`Known`]: the model's upstreams, close model ids, the billed organisation, whether the token
//! is a `hf auth login` one). Upstream text is quoted through [`crate::outside_text::quote`]: one
//! short line, escaped, scrubbed of anything like a token.

mod advice;

use openclaw_provider_abi::{ModelProvider, ProviderError};
use serde_json::Value;

use crate::outside_text::quote;

pub use self::advice::{Refusal, refused_params_of, refused_upstream};

/// Where token permissions are edited.
pub const TOKEN_SETTINGS_URL: &str = "https://huggingface.co/settings/tokens";
/// Where credits are managed.
pub const BILLING_URL: &str = "https://huggingface.co/settings/billing";
/// Where a user enables and orders inference providers.
pub const PROVIDER_SETTINGS_URL: &str = "https://huggingface.co/settings/inference-providers";

/// What was being done, so the message can say what failed and what to try.
#[derive(Clone, Copy, Debug)]
pub enum Operation<'a> {
    /// Listing models.
    Discovery,
    /// Checking a token.
    Validation,
    /// A chat request for this model id (as sent, policy suffix included).
    Chat { model: &'a str },
    /// A request beyond chat (embeddings, an image, speech) for this model id, to this
    /// upstream; `list_flag` is the `models list --task` value that lists the task's models.
    Task {
        model: &'a str,
        upstream: &'a str,
        list_flag: &'a str,
    },
    /// Asking the Hub which upstreams serve this model for a task (`list_flag` as above).
    ModelInfo { model: &'a str, list_flag: &'a str },
    /// Reading the account's spend from the Hub's billing endpoint.
    AccountUsage,
}

impl<'a> Operation<'a> {
    /// The model the operation is about, if it is about one.
    fn model(self) -> Option<&'a str> {
        match self {
            Self::Chat { model } | Self::Task { model, .. } | Self::ModelInfo { model, .. } => {
                Some(model)
            }
            Self::Discovery | Self::Validation | Self::AccountUsage => None,
        }
    }
}

/// What the caller knows beyond the answer itself, for advice that names names. All optional:
/// [`Known::default`] gives the generic advice.
#[derive(Clone, Copy, Debug, Default)]
pub struct Known<'a> {
    /// The model's upstreams, from catalog data, when there is some (upstreams this process
    /// found unavailable already left out).
    pub upstreams: &'a [ModelProvider],
    /// Model ids close to the one asked for (see [`crate::suggest`]).
    pub similar: &'a [String],
    /// The organisation the request bills (`billTo`).
    pub bill_to: Option<&'a str>,
    /// The token is a `hf auth login` token, kept fresh from the Hugging Face token file.
    pub login_token: bool,
}

/// What an error body said, in whatever shape it came.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpstreamError {
    pub message: Option<String>,
    pub kind: Option<String>,
    pub code: Option<String>,
    /// The parameter(s) refused (`error.param`), as the service wrote them.
    pub param: Option<String>,
    /// How long hf-inference expects a cold model to take to load, in seconds
    /// (`estimated_time` of its 503 answer).
    pub estimated_seconds: Option<f64>,
}

/// Reads an error body: JSON in any of the known shapes, else the text itself.
pub fn parse_error_body(body: &[u8]) -> UpstreamError {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body).trim().to_owned();
        return UpstreamError {
            message: (!text.is_empty()).then_some(text),
            ..UpstreamError::default()
        };
    };
    from_json(&json)
}

/// Reads an error from a JSON value (a body, or an `error` event inside a stream).
pub fn from_json(json: &Value) -> UpstreamError {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let scalar = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut found = UpstreamError::default();
    match json.get("error") {
        Some(Value::String(message)) => found.message = Some(message.clone()),
        Some(Value::Object(object)) => {
            found.message = ["message", "detail"]
                .iter()
                .find_map(|key| object.get(*key).and_then(text));
            found.kind = ["type", "error_type"]
                .iter()
                .find_map(|key| object.get(*key).and_then(text));
            found.code = object.get("code").and_then(scalar);
            found.param = object.get("param").and_then(text);
        }
        Some(Value::Array(items)) => {
            let joined: Vec<String> = items.iter().filter_map(text).collect();
            found.message = (!joined.is_empty()).then(|| joined.join("; "));
        }
        _ => {}
    }
    if found.message.is_none() {
        found.message = ["message", "detail", "error_description"]
            .iter()
            .find_map(|key| json.get(*key).and_then(text));
    }
    if found.kind.is_none() {
        found.kind = json.get("error_type").and_then(text);
    }
    if found.param.is_none() {
        found.param = json.get("param").and_then(text);
    }
    if found.message.is_none() && !json.is_null() {
        found.message = Some(json.to_string());
    }
    found.estimated_seconds = json
        .get("estimated_time")
        .and_then(Value::as_f64)
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0);
    found
}

/// Parses `Retry-After`: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        // `as` saturates: "1e30" seconds becomes the longest wait there is, and the retry
        // policy caps every wait anyway.
        return (seconds.is_finite() && seconds >= 0.0).then_some((seconds * 1000.0) as u64);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(now)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0),
    )
}

/// Where and how a body failed to parse as JSON — never what it held: the parser's own messages
/// quote the offending text, which is whatever the service sent (a token echoed back, say).
pub fn json_failure(err: &serde_json::Error) -> String {
    let what = match err.classify() {
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Eof => "JSON that ends too soon",
        serde_json::error::Category::Data => "JSON of an unexpected shape",
        serde_json::error::Category::Io => "unreadable input",
    };
    format!("{what} at line {} column {}", err.line(), err.column())
}

/// The error for a non-success HTTP response, with generic advice.
pub fn from_response(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    operation: Operation<'_>,
    secret: Option<&str>,
) -> ProviderError {
    from_response_with(status, headers, body, operation, &Known::default(), secret)
}

/// The error for a non-success HTTP response, with advice as precise as `known` allows.
pub fn from_response_with(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    operation: Operation<'_>,
    known: &Known<'_>,
    secret: Option<&str>,
) -> ProviderError {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let mut upstream = parse_error_body(body);
    if let Some(message) = header("x-error-message") {
        upstream.message = Some(message.to_owned());
    }
    if upstream.code.is_none() {
        upstream.code = header("x-error-code").map(str::to_owned);
    }
    // A cold model's estimated loading time is the wait hf-inference asks for.
    let retry_after = header("retry-after")
        .and_then(|value| parse_retry_after(value, std::time::SystemTime::now()))
        .or_else(|| {
            upstream
                .estimated_seconds
                .filter(|_| status == 503)
                .map(|seconds| (seconds * 1000.0) as u64)
        });
    let serving = header("x-inference-provider");
    let (error, refusal) = advice::classify(status, &upstream, operation, known, serving, secret);
    let mut error = error.with_status(status);
    if matches!(status, 429 | 500..=599)
        && let Some(millis) = retry_after
    {
        error = error.with_retry_after_ms(millis);
    }
    let mut details = serde_json::Map::new();
    for (key, value) in [
        ("upstream_code", upstream.code.as_deref()),
        ("upstream_type", upstream.kind.as_deref()),
        ("request_id", header("x-request-id")),
        ("serving_provider", serving),
        ("param", upstream.param.as_deref()),
    ] {
        if let Some(value) = value {
            details.insert(key.into(), Value::String(quote(value, secret)));
        }
    }
    if let Some(refusal) = refusal {
        refusal.describe(&mut details, secret);
    }
    if !details.is_empty() {
        error = error.with_details(&Value::Object(details));
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::captures::fixture;
    use openclaw_provider_abi::ErrorCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn parses_every_envelope() {
        let cases: [(&[u8], Option<&str>, Option<&str>); 7] = [
            (br#"{"error":"Invalid username or password."}"#, Some("Invalid username or password."), None),
            (
                br#"{"error":{"message":"m","type":"invalid_request_error","param":"model","code":"model_not_supported"}}"#,
                Some("m"),
                Some("model_not_supported"),
            ),
            (br#"{"error":["a","b"]}"#, Some("a; b"), None),
            (br#"{"message":"plain message"}"#, Some("plain message"), None),
            (br#"{"detail":"fastapi says no"}"#, Some("fastapi says no"), None),
            (b"Failed to deserialize the JSON body", Some("Failed to deserialize the JSON body"), None),
            (br#"{"error":{"message":"x","code":429}}"#, Some("x"), Some("429")),
        ];
        for (body, message, code) in cases {
            let parsed = parse_error_body(body);
            assert_eq!(
                parsed.message.as_deref(),
                message,
                "{}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(parsed.code.as_deref(), code);
        }
    }

    #[test]
    fn captured_error_bodies_parse() {
        for (file, expected) in [
            (
                "error.401.router-hf-inference.json",
                "Invalid username or password.",
            ),
            (
                "error.500.router-together.upstream-server-error.json",
                "Internal server error",
            ),
            (
                "error.422.inference-proxy-tgi.text-plain.txt",
                "Failed to deserialize",
            ),
            (
                "error.422.api-inference-tgi.validation.json",
                "Input validation error",
            ),
            (
                "error.429.api-inference-legacy.rate-limit.json",
                "Rate limit reached",
            ),
            (
                "error.503.router-hf-inference.model-loading.json",
                "currently loading",
            ),
        ] {
            let parsed = parse_error_body(&fixture(file));
            assert!(
                parsed.message.as_deref().unwrap_or("").contains(expected),
                "{file}: {parsed:?}"
            );
        }
    }

    #[test]
    fn statuses_map_to_codes_with_actionable_messages() {
        let empty = HeaderMap::new();
        let chat = Operation::Chat { model: "org/m" };
        let code = |status, body: &[u8], op| from_response(status, &empty, body, op, None);
        assert_eq!(code(401, b"{}", chat).code, ErrorCode::UNAUTHORIZED);
        let forbidden = code(
            403,
            br#"{"error":"This authentication method does not have sufficient permissions to call Inference Providers on behalf of user x"}"#,
            chat,
        );
        assert_eq!(forbidden.code, ErrorCode::FORBIDDEN);
        assert!(
            forbidden
                .message
                .contains("Make calls to Inference Providers")
        );
        assert!(forbidden.message.contains("inference.serverless.write"));
        assert!(forbidden.message.contains("settings/tokens"));
        let payment = code(
            402,
            b"You have exceeded your monthly included credits",
            chat,
        );
        assert_eq!(payment.code, ErrorCode::PAYMENT_REQUIRED);
        assert!(payment.message.contains("credits"));
        let unsupported = code(
            400,
            br#"{"error":{"message":"The requested model 'org/m' is not supported by any provider you have enabled.","type":"invalid_request_error","param":"model","code":"model_not_supported"}}"#,
            chat,
        );
        assert_eq!(unsupported.code, ErrorCode::MODEL_NOT_SUPPORTED);
        assert!(
            unsupported.message.contains("org/m") && unsupported.message.contains("models list")
        );
        assert_eq!(code(404, b"", chat).code, ErrorCode::MODEL_NOT_FOUND);
        assert_eq!(
            code(404, b"", Operation::Discovery).code,
            ErrorCode::INVALID_RESPONSE
        );
        assert_eq!(code(422, b"bad", chat).code, ErrorCode::INVALID_REQUEST);
        assert_eq!(code(400, b"bad", chat).code, ErrorCode::INVALID_REQUEST);
        assert_eq!(code(429, b"", chat).code, ErrorCode::RATE_LIMITED);
        for status in [500, 502, 503, 504] {
            assert_eq!(code(status, b"", chat).code, ErrorCode::UPSTREAM);
        }
        assert_eq!(code(302, b"", chat).code, ErrorCode::INVALID_RESPONSE);
        for err in [payment, unsupported, forbidden] {
            assert!(err.http_status > 0);
            assert!(!err.message.contains('\n'));
        }
    }

    #[test]
    fn headers_add_message_retry_hint_and_details() {
        let mut headers = HeaderMap::new();
        headers.insert("x-error-message", HeaderValue::from_static("from header"));
        headers.insert("retry-after", HeaderValue::from_static("2"));
        headers.insert("x-request-id", HeaderValue::from_static("Root=1-abc"));
        let err = from_response(
            429,
            &headers,
            br#"{"error":"body"}"#,
            Operation::Discovery,
            None,
        );
        assert!(err.message.contains("from header"));
        assert_eq!(err.retry_after_ms.into_option(), Some(2000));
        assert!(err.details_json.contains("Root=1-abc"));
        // Retry-After on a success-like status is ignored.
        let err = from_response(400, &headers, b"", Operation::Discovery, None);
        assert_eq!(err.retry_after_ms.into_option(), None);
    }

    #[test]
    fn retry_after_takes_seconds_or_dates() {
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(3000));
        assert_eq!(parse_retry_after("0.5", now), Some(500));
        let later = httpdate::fmt_http_date(now + std::time::Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(7000));
        let earlier = httpdate::fmt_http_date(now - std::time::Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(0));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        // Absurd values saturate instead of overflowing; the retry policy caps the wait.
        assert_eq!(parse_retry_after("1e30", now), Some(u64::MAX));
        assert_eq!(
            parse_retry_after("99999999999999999999999999", now),
            Some(u64::MAX)
        );
        assert_eq!(parse_retry_after("NaN", now), None);
        assert_eq!(parse_retry_after("inf", now), None);
        let far = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799),
        );
        assert!(parse_retry_after(&far, now).is_some());
    }
}
