//! The fault matrix ([docs/security.md](../../../docs/security.md#fault-matrix)): one test per
//! way the network or the service can fail, each driving the real plugin through the ABI
//! (host-stub's loader, in process; the panic row uses the echo test provider, which panics on
//! request) for both operations that talk to the router — a streamed chat and a catalog refresh
//! — and asserting the typed outcome, that what arrived before the fault is intact, and that the
//! token appears in no error.

use std::time::{Duration, Instant, SystemTime};

use openclaw_e2e::{MockRouter, Reply, SENTINEL_TOKEN, StreamEnd, chat_chunks, models_body};
use openclaw_provider_abi::{Catalog, ErrorCode, ProviderError};
use serde_json::{Value, json};

use crate::support::{
    CHAT, MODELS, chat_request, chat_router,
    in_process::{Outcome, catalog_request, context, list_models, plugin, stream_chat},
    serve_models,
};

const ANSWER: &str = "one two three four five six seven eight nine ten";

/// A streamed chat of "go" through the Hugging Face plugin against `base_url`, with `settings`.
fn chat(base_url: &str, settings: Value) -> Outcome {
    stream_chat(
        plugin("huggingface"),
        &context(base_url, settings),
        &chat_request("huggingface/a/b", "go"),
    )
}

/// A router whose chats and model list both answer `reply`.
fn both_answering(reply: Reply) -> MockRouter {
    let router = chat_router(reply.clone());
    router.on("GET", MODELS, reply);
    router
}

/// A catalog refresh against `base_url` with a body cap and an overall deadline (0: the
/// plugin's own).
fn catalog(base_url: &str, max_body_bytes: u64, overall_ms: u64) -> Result<Catalog, ProviderError> {
    let mut context = context(base_url, json!({}));
    context.timeouts.overall_ms = overall_ms;
    list_models(context, max_body_bytes)
}

fn answer_stream(gap: Duration, end: StreamEnd, upto: usize) -> Reply {
    let chunks = chat_chunks(ANSWER);
    let refs: Vec<&str> = chunks.iter().take(upto).map(String::as_str).collect();
    Reply::sse("together", &refs, gap, end)
}

/// The words a partial answer holds are the answer's first words, whole.
fn assert_prefix(text: &str) {
    assert!(
        ANSWER.starts_with(text.trim_end()),
        "{text:?} is not a prefix of the answer"
    );
}

#[test]
fn connection_refused() {
    let chat = chat("http://127.0.0.1:1/v1", json!({}));
    assert_eq!(chat.code(), ErrorCode::NETWORK, "{chat:?}");
    assert!(chat.error.unwrap().message.contains("127.0.0.1:1"));
    let catalog = catalog("http://127.0.0.1:1/v1", 0, 0).unwrap_err();
    assert_eq!(catalog.code, ErrorCode::NETWORK, "{catalog}");
}

#[test]
fn reset_before_headers() {
    let router = both_answering(Reply::Reset);
    assert_eq!(
        chat(&router.base_url(), json!({})).code(),
        ErrorCode::NETWORK
    );
    assert_eq!(
        catalog(&router.base_url(), 0, 0).unwrap_err().code,
        ErrorCode::NETWORK
    );
    // The router had the request when it reset the connection, so it may have run it (and
    // billed it): it is not sent again, even with retries allowed.
    let before = router.requests_to(CHAT).len();
    router.then("POST", CHAT, Reply::Reset);
    router.on(
        "POST",
        CHAT,
        answer_stream(Duration::ZERO, StreamEnd::Close, usize::MAX),
    );
    let once = chat(
        &router.base_url(),
        json!({"maxRetries": 1, "retryBaseMs": 10}),
    );
    assert_eq!(once.code(), ErrorCode::NETWORK, "{once:?}");
    assert_eq!(router.requests_to(CHAT).len(), before + 1, "sent once only");
}

#[test]
fn reset_mid_body() {
    let router = chat_router(answer_stream(Duration::ZERO, StreamEnd::Reset, 5));
    let chat = chat(&router.base_url(), json!({}));
    assert!(chat.done.is_none());
    assert_prefix(&chat.text);
    assert!(!chat.text.is_empty(), "the words before the reset arrive");
    assert_eq!(chat.code(), ErrorCode::NETWORK, "{chat:?}");
    let body = models_body(130);
    router.on(
        "GET",
        MODELS,
        Reply::Truncated {
            status: 200,
            declared: body.len(),
            body: body[..body.len() / 2].to_vec(),
        },
    );
    let error = catalog(&router.base_url(), 0, 0).unwrap_err();
    assert!(
        matches!(error.code, ErrorCode::NETWORK | ErrorCode::INVALID_RESPONSE),
        "{error}"
    );
}

#[test]
fn stall_before_headers() {
    let router = both_answering(Reply::Stall);
    let chat = chat(&router.base_url(), json!({"firstByteTimeoutMs": 300}));
    assert_eq!(chat.code(), ErrorCode::TIMEOUT, "{chat:?}");
    assert!(chat.took < Duration::from_secs(10), "{:?}", chat.took);
    let started = Instant::now();
    assert_eq!(
        catalog(&router.base_url(), 0, 300).unwrap_err().code,
        ErrorCode::TIMEOUT
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn stall_mid_stream() {
    let router = chat_router(answer_stream(Duration::ZERO, StreamEnd::Stall, 4));
    let chat = chat(&router.base_url(), json!({"idleTimeoutMs": 300}));
    assert_eq!(chat.code(), ErrorCode::TIMEOUT, "{chat:?}");
    assert_prefix(&chat.text);
    // Four chunks sent: the role, then three words — all delivered before the silence.
    assert_eq!(chat.text, "one two three ", "{chat:?}");
    assert!(chat.took < Duration::from_secs(10));
}

#[test]
fn slow_drip_under_the_idle_timeout_succeeds() {
    let router = chat_router(answer_stream(
        Duration::from_millis(120),
        StreamEnd::Close,
        usize::MAX,
    ));
    let chat = chat(&router.base_url(), json!({"idleTimeoutMs": 600}));
    assert!(chat.done.is_some() && chat.error.is_none(), "{chat:?}");
    assert_eq!(chat.text, ANSWER);
    assert!(
        chat.took > Duration::from_millis(600),
        "it did drip: {:?}",
        chat.took
    );
}

#[test]
fn oversized_body() {
    let router = MockRouter::start();
    serve_models(&router, 130);
    let error = catalog(&router.base_url(), 4096, 0).unwrap_err();
    assert_eq!(error.code, ErrorCode::INVALID_RESPONSE, "{error}");
    assert!(
        error.message.contains("4096") || error.message.contains("4 KiB"),
        "{error}"
    );
    // The same list under a cap it fits in.
    assert_eq!(catalog(&router.base_url(), 0, 0).unwrap().models.len(), 130);
    // An error body far over its own cap still yields the typed error of its status.
    router.on("POST", CHAT, Reply::json(503, vec![b'x'; 4 * 1024 * 1024]));
    assert_eq!(
        chat(&router.base_url(), json!({})).code(),
        ErrorCode::UPSTREAM
    );
}

#[test]
fn invalid_utf8() {
    // In a stream, bytes that are not UTF-8 decode to U+FFFD, as the SSE standard says, and
    // the rest of the answer is unaffected.
    let router = MockRouter::start();
    let mut stream =
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok \"}}]}\n\n".to_vec();
    stream.extend_from_slice(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xff\xfe \"}}]}\n\n",
    );
    stream.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"end\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    router.on("POST", CHAT, Reply::sse_bytes("together", &stream, 7));
    let chat = chat(&router.base_url(), json!({}));
    assert!(chat.done.is_some(), "{chat:?}");
    assert_eq!(chat.text, "ok \u{FFFD}\u{FFFD} end");
    // A model list that is not UTF-8 is not JSON: refused, nothing half-read is kept.
    router.on(
        "GET",
        MODELS,
        Reply::json(
            200,
            b"{\"object\":\"list\",\"data\":[{\"id\":\"a/\xff\"}]}".to_vec(),
        ),
    );
    assert_eq!(
        catalog(&router.base_url(), 0, 0).unwrap_err().code,
        ErrorCode::INVALID_RESPONSE
    );
    // A one-shot answer that is not UTF-8 is refused.
    router.on(
        "POST",
        CHAT,
        Reply::json(
            200,
            b"{\"choices\":[{\"message\":{\"content\":\"\xff\"}}]}".to_vec(),
        ),
    );
    let request = chat_request("huggingface/a/b", "go");
    let error = plugin("huggingface")
        .chat(&context(&router.base_url(), json!({})), &request)
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::INVALID_RESPONSE, "{error}");
}

#[test]
fn every_http_error_status() {
    let router = MockRouter::start();
    let expected = [
        (400, ErrorCode::INVALID_REQUEST, ErrorCode::INVALID_REQUEST),
        (401, ErrorCode::UNAUTHORIZED, ErrorCode::UNAUTHORIZED),
        (
            402,
            ErrorCode::PAYMENT_REQUIRED,
            ErrorCode::PAYMENT_REQUIRED,
        ),
        (403, ErrorCode::FORBIDDEN, ErrorCode::FORBIDDEN),
        (404, ErrorCode::MODEL_NOT_FOUND, ErrorCode::INVALID_RESPONSE),
        (405, ErrorCode::INVALID_REQUEST, ErrorCode::INVALID_REQUEST),
        (408, ErrorCode::INVALID_REQUEST, ErrorCode::INVALID_REQUEST),
        (413, ErrorCode::INVALID_REQUEST, ErrorCode::INVALID_REQUEST),
        (422, ErrorCode::INVALID_REQUEST, ErrorCode::INVALID_REQUEST),
        (429, ErrorCode::RATE_LIMITED, ErrorCode::RATE_LIMITED),
        (500, ErrorCode::UPSTREAM, ErrorCode::UPSTREAM),
        (502, ErrorCode::UPSTREAM, ErrorCode::UPSTREAM),
        (503, ErrorCode::UPSTREAM, ErrorCode::UPSTREAM),
        (504, ErrorCode::UPSTREAM, ErrorCode::UPSTREAM),
    ];
    for (status, for_chat, for_catalog) in expected {
        let body =
            format!(r#"{{"error":"status {status} from the mock, token {SENTINEL_TOKEN}"}}"#);
        router
            .on("POST", CHAT, Reply::json(status, body.clone()))
            .on("GET", MODELS, Reply::json(status, body));
        let chat = chat(&router.base_url(), json!({}));
        let error = chat.error.as_ref().unwrap();
        assert_eq!((status, error.code), (status, for_chat), "{error}");
        assert_eq!(error.http_status, status);
        let error = catalog(&router.base_url(), 0, 0).unwrap_err();
        assert_eq!((status, error.code), (status, for_catalog), "{error}");
    }
}

#[test]
fn rate_limited_with_retry_after_in_seconds_and_as_a_date() {
    let router =
        chat_router(Reply::json(429, r#"{"error":"slow down"}"#).with_header("retry-after", "7"));
    let error = chat(&router.base_url(), json!({})).error.unwrap();
    assert_eq!(error.code, ErrorCode::RATE_LIMITED);
    assert_eq!(error.retry_after_ms.into_option(), Some(7000));
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
    router.on(
        "POST",
        CHAT,
        Reply::json(429, r#"{"error":"slow down"}"#).with_header("retry-after", &date),
    );
    let error = chat(&router.base_url(), json!({})).error.unwrap();
    let wait = error.retry_after_ms.into_option().unwrap();
    assert!((27_000..=31_000).contains(&wait), "{wait}");
    // A refresh is not retried (the caller keeps its last good catalog) but carries the wait.
    router.on(
        "GET",
        MODELS,
        Reply::json(429, r#"{"error":"slow down"}"#).with_header("retry-after", "7"),
    );
    let error = catalog(&router.base_url(), 0, 0).unwrap_err();
    assert_eq!(error.code, ErrorCode::RATE_LIMITED);
    assert_eq!(error.retry_after_ms.into_option(), Some(7000));
    assert_eq!(router.requests_to(MODELS).len(), 1);
    // With retries allowed, a short Retry-After is honoured and the second attempt answers.
    router.then(
        "POST",
        CHAT,
        Reply::json(429, r#"{"error":"slow down"}"#).with_header("retry-after", "1"),
    );
    router.on(
        "POST",
        CHAT,
        answer_stream(Duration::ZERO, StreamEnd::Close, usize::MAX),
    );
    let retried = chat(&router.base_url(), json!({"maxRetries": 1}));
    assert!(retried.done.is_some(), "{retried:?}");
    assert!(
        retried.took >= Duration::from_millis(950),
        "{:?}",
        retried.took
    );
}

#[test]
fn redirect_to_another_host() {
    let router = MockRouter::start();
    let elsewhere = MockRouter::start();
    elsewhere
        .on(
            "POST",
            CHAT,
            answer_stream(Duration::ZERO, StreamEnd::Close, usize::MAX),
        )
        .on("GET", MODELS, Reply::json(200, models_body(3)));
    let target = format!("{}{CHAT}", elsewhere.origin());
    router
        .on(
            "POST",
            CHAT,
            Reply::json(307, "{}").with_header("location", &target),
        )
        .on(
            "GET",
            MODELS,
            Reply::json(302, "{}")
                .with_header("location", &format!("{}{MODELS}", elsewhere.origin())),
        );
    let chat = chat(&router.base_url(), json!({}));
    assert!(chat.error.is_some(), "{chat:?}");
    assert!(catalog(&router.base_url(), 0, 0).is_err());
    assert!(
        elsewhere.requests().is_empty(),
        "the other host was contacted"
    );
}

#[test]
fn plain_http_where_https_is_expected() {
    // Not loopback: refused before any connection.
    for base in ["http://router.example.invalid/v1", "http://10.1.2.3/v1"] {
        let chat = chat(base, json!({}));
        assert_eq!(chat.code(), ErrorCode::INVALID_REQUEST, "{base}: {chat:?}");
        assert!(chat.took < Duration::from_secs(2));
        assert_eq!(
            catalog(base, 0, 0).unwrap_err().code,
            ErrorCode::INVALID_REQUEST
        );
    }
    // Explicit loopback: allowed (every other test here relies on it).
    let router = chat_router(answer_stream(Duration::ZERO, StreamEnd::Close, usize::MAX));
    assert!(chat(&router.base_url(), json!({})).done.is_some());
}

#[test]
fn a_plugin_panic() {
    // The echo test provider panics when the prompt asks it to: while starting the chat, or
    // inside the stream's next_event.
    let echo = plugin("echo");
    let echo_chat = |prompt: &str| {
        stream_chat(
            echo,
            &context("http://127.0.0.1:1/v1", json!({})),
            &chat_request("echo/echo-1", prompt),
        )
    };
    let at_start = echo_chat("please panic");
    assert_eq!(at_start.code(), ErrorCode::INTERNAL, "{at_start:?}");
    let mid_stream = echo_chat("stream-panic");
    assert_eq!(mid_stream.code(), ErrorCode::INTERNAL, "{mid_stream:?}");
    // The host and the plugin carry on.
    let again = echo_chat("hello");
    assert!(again.done.is_some(), "{again:?}");
    assert_eq!(again.text, "echo: hello");
    // A panic during a catalog refresh (the echo provider's is triggered by its base URL).
    let request = |base_url: &str| catalog_request(context(base_url, json!({})), 0);
    let error = echo
        .list_models(&request("http://127.0.0.1:1/panic"))
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::INTERNAL, "{error}");
    assert!(
        echo.list_models(&request("http://127.0.0.1:1/v1"))
            .is_ok_and(|catalog| !catalog.models.is_empty())
    );
}
