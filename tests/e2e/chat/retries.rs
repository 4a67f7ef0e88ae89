//! Retries and fallbacks: transient failures retried with backoff and `Retry-After` (seconds or
//! a date), a storm of 429s bounded before the fallback model answers, an error before any
//! content retried — and nothing retried or fallen back from once output started.

use std::time::{Duration, Instant};

use openclaw_e2e::{MockRouter, Reply, StreamEnd};
use serde_json::json;

use super::chat;
use crate::support::{CHAT, chat_router, chat_settings, json_lines, pointed_at, stream_of};

#[test]
fn transient_failures_are_retried_with_backoff_and_retry_after() {
    let router = MockRouter::start();
    router
        .then("POST", CHAT, Reply::json(503, r#"{"error":"overloaded"}"#))
        .then(
            "POST",
            CHAT,
            Reply::json(429, r#"{"error":"slow down"}"#).with_header("retry-after", "1"),
        )
        .on("POST", CHAT, stream_of("third time lucky", "together"));
    let sandbox = pointed_at(&router, chat_settings(json!({"retryBaseMs": 50})));
    let started = Instant::now();
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    assert_eq!(run.ok(), "third time lucky\n");
    assert_eq!(router.requests_to(CHAT).len(), 3);
    assert!(run.stderr.contains("retrying in"), "{run}");
    assert!(run.stderr.contains("after rate_limited"), "{run}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was honoured"
    );

    // An HTTP date works too.
    let dated = MockRouter::start();
    let when = httpdate_in(Duration::from_secs(1));
    dated
        .then(
            "POST",
            CHAT,
            Reply::json(429, "{}").with_header("retry-after", &when),
        )
        .on("POST", CHAT, stream_of("ok", "together"));
    let sandbox = pointed_at(&dated, json!({}));
    chat(&sandbox, &["--model", "huggingface/a/b", "hi"]).ok();
    assert_eq!(dated.requests_to(CHAT).len(), 2);
}

fn httpdate_in(after: Duration) -> String {
    // Whole seconds round down on the way back; the extra second keeps the wait positive.
    httpdate::fmt_http_date(std::time::SystemTime::now() + after + Duration::from_secs(1))
}

#[test]
fn a_429_storm_is_bounded_then_falls_back() {
    let router = MockRouter::start();
    // The primary is rate-limited on every try; the fallback answers.
    router.on(
        "POST",
        CHAT,
        Reply::json(429, r#"{"error":"Rate limit reached"}"#),
    );
    let sandbox = pointed_at(
        &router,
        json!({
            "agents": {"defaults": {"model": {"primary": "huggingface/a/limited", "fallbacks": ["huggingface/b/spare"]}}},
            "plugins": {"entries": {"huggingface": {"config": {"chat": {"retryBaseMs": 10, "maxRetries": 2}}}}}
        }),
    );
    // Script: 3 refusals for the primary (1 try + 2 retries), then the fallback streams.
    let answer = stream_of("from the spare", "together");
    router
        .then("POST", CHAT, Reply::json(429, "{}"))
        .then("POST", CHAT, Reply::json(429, "{}"))
        .then("POST", CHAT, Reply::json(429, "{}"))
        .then("POST", CHAT, answer);
    let run = chat(&sandbox, &["hi"]);
    assert_eq!(run.ok(), "from the spare\n");
    let models: Vec<String> = router
        .requests_to(CHAT)
        .iter()
        .map(|r| r.json()["model"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(models, ["a/limited", "a/limited", "a/limited", "b/spare"]);
    assert!(
        run.stderr
            .contains("huggingface/a/limited failed: rate_limited"),
        "{run}"
    );
    assert!(
        run.stderr.contains("falling back to huggingface/b/spare"),
        "{run}"
    );

    let json = chat(&sandbox, &["--json", "hi"]);
    let done = json_lines(&json).into_iter().last().unwrap();
    assert_eq!(
        done["type"], "error",
        "the fallback is also rate-limited now: {json}"
    );
    assert_eq!(done["attempts"].as_array().unwrap().len(), 2);
}

#[test]
fn nothing_is_retried_or_fallen_back_from_once_output_started() {
    let router = chat_router(Reply::sse(
        "together",
        &[
            r#"{"choices":[{"index":0,"delta":{"content":"partial "}}]}"#,
            r#"{"error":{"message":"upstream overloaded","type":"server_error"}}"#,
        ],
        Duration::ZERO,
        StreamEnd::Close,
    ));
    let sandbox = pointed_at(
        &router,
        json!({"agents": {"defaults": {"model": {"primary": "huggingface/a/b", "fallbacks": ["huggingface/c/d"]}}}}),
    );
    let run = chat(&sandbox, &["hi"]);
    run.code(1);
    assert!(run.stdout.starts_with("partial "), "{run}");
    assert!(run.stderr.contains("upstream overloaded"), "{run}");
    assert_eq!(router.requests_to(CHAT).len(), 1);
}

#[test]
fn a_mid_stream_error_before_any_content_is_retried() {
    let router = MockRouter::start();
    router
        .then(
            "POST",
            CHAT,
            Reply::sse(
                "together",
                &[r#"{"error":"Model overloaded","error_type":"overloaded"}"#],
                Duration::ZERO,
                StreamEnd::Close,
            ),
        )
        .on("POST", CHAT, stream_of("recovered", "together"));
    let sandbox = pointed_at(&router, chat_settings(json!({"retryBaseMs": 10})));
    assert_eq!(
        chat(&sandbox, &["--model", "huggingface/a/b", "hi"]).ok(),
        "recovered\n"
    );
    assert_eq!(router.requests_to(CHAT).len(), 2);
}
