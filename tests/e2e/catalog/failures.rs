//! A refresh that fails — malformed or oversized bodies, rejected tokens, rate limits, server
//! errors, timeouts, an unreachable router, a redirect elsewhere, plain HTTP off loopback — says
//! what failed and keeps the last good catalog, `models.json` untouched.

use std::time::Duration;

use openclaw_e2e::{MockRouter, Reply, SENTINEL_TOKEN, models_body};
use serde_json::{Value, json};

use super::{ids, models_json};
use crate::support::{
    MODELS, assert_no_secret, closed_port, models_list, models_router, plugin_settings, pointed_at,
    router_config, serve_models, str_of,
};

/// A failing refresh after a good one: the outcome says what failed, models.json is untouched,
/// and the last good catalog is what is shown.
fn assert_failure_keeps_the_last_good_catalog(
    reply: Reply,
    config_extra: Value,
    status: &str,
    code: &str,
    message_part: &str,
) {
    let router = models_router(5);
    let sandbox = pointed_at(&router, json!({}));
    sandbox.write_config(&router_config(&router, config_extra));
    assert_eq!(models_list(&sandbox, true)["outcome"]["status"], "ready");
    let before = std::fs::read(models_json(&sandbox)).unwrap();

    router.on("GET", MODELS, reply);
    let run = sandbox.run(["models", "list", "--provider", "huggingface", "--refresh"]);
    let line = run
        .stderr
        .lines()
        .find(|line| line.starts_with("huggingface:"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        line.contains(&format!("huggingface: {status}")),
        "{status}: {run}"
    );
    assert!(
        line.contains("keeping the last good catalog (5 models)"),
        "{run}"
    );
    assert!(
        line.contains(message_part),
        "{message_part:?} not in: {line}"
    );
    assert_no_secret(&run.all_output(), &[SENTINEL_TOKEN]);
    assert_eq!(
        std::fs::read(models_json(&sandbox)).unwrap(),
        before,
        "models.json untouched"
    );

    let provider = models_list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], status);
    if !code.is_empty() {
        assert_eq!(provider["outcome"]["code"], code);
    }
    assert_eq!(ids(&provider).len(), 5);
    assert_eq!(provider["origin"]["kind"], "persisted");
}

#[test]
fn malformed_json_keeps_the_last_good_catalog() {
    assert_failure_keeps_the_last_good_catalog(
        Reply::json(200, "{\"data\": [ this is not json"),
        json!({}),
        "unavailable",
        "invalid_response",
        "not valid JSON",
    );
}

#[test]
fn a_missing_data_array_keeps_the_last_good_catalog() {
    assert_failure_keeps_the_last_good_catalog(
        Reply::json(200, r#"{"object":"list"}"#),
        json!({}),
        "unavailable",
        "invalid_response",
        "no \"data\" array",
    );
    assert_failure_keeps_the_last_good_catalog(
        Reply::json(200, r#"{"data":{"id":"x"}}"#),
        json!({}),
        "unavailable",
        "invalid_response",
        "not an array",
    );
}

#[test]
fn rejected_tokens_are_auth_rejected() {
    assert_failure_keeps_the_last_good_catalog(
        Reply::invalid_credentials(),
        json!({}),
        "auth-rejected",
        "unauthorized",
        "Hugging Face rejected the token",
    );
    assert_failure_keeps_the_last_good_catalog(
        Reply::no_inference_permission("user x"),
        json!({}),
        "auth-rejected",
        "forbidden",
        "Make calls to Inference Providers",
    );
}

#[test]
fn rate_limits_and_server_errors_are_unavailable() {
    assert_failure_keeps_the_last_good_catalog(
        Reply::json(429, r#"{"error":"Rate limit reached"}"#).with_header("retry-after", "3"),
        json!({}),
        "unavailable",
        "rate_limited",
        "rate-limiting",
    );
    for status in [500, 502, 503] {
        assert_failure_keeps_the_last_good_catalog(
            Reply::json(
                status,
                r#"{"error":{"message":"Internal server error","type":"server_error"}}"#,
            ),
            json!({}),
            "unavailable",
            "upstream",
            &format!("HTTP {status}"),
        );
    }
}

#[test]
fn a_body_over_the_cap_is_refused() {
    assert_failure_keeps_the_last_good_catalog(
        Reply::json(200, models_body(50)),
        plugin_settings(json!({"discovery": {"maxBodyBytes": 10000}})),
        "unavailable",
        "invalid_response",
        "larger than the 10000-byte cap",
    );
    // The same cap, without Content-Length up front: the streamed read stops at the cap.
    assert_failure_keeps_the_last_good_catalog(
        Reply::Stream {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            pieces: models_body(50)
                .chunks(4096)
                .map(|c| (Duration::ZERO, c.to_vec()))
                .collect(),
            end: openclaw_e2e::StreamEnd::Close,
        },
        plugin_settings(json!({"discovery": {"maxBodyBytes": 10000}})),
        "unavailable",
        "invalid_response",
        "larger than the 10000-byte cap",
    );
}

#[test]
fn a_truncated_body_is_refused() {
    assert_failure_keeps_the_last_good_catalog(
        Reply::Truncated {
            status: 200,
            declared: 100_000,
            body: br#"{"object":"list","data":[{"id":"a"}"#.to_vec(),
        },
        json!({}),
        "unavailable",
        "network",
        "failed while reading the response",
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    assert_failure_keeps_the_last_good_catalog(
        Reply::Stall,
        plugin_settings(json!({"discovery": {"timeoutMs": 400}})),
        "unavailable",
        "timeout",
        "took longer than 400 ms",
    );
}

#[test]
fn an_unreachable_router_is_unavailable() {
    let port = closed_port();
    let router = models_router(5);
    let sandbox = pointed_at(&router, json!({}));
    assert_eq!(models_list(&sandbox, true)["outcome"]["status"], "ready");
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {"baseUrl": format!("http://127.0.0.1:{port}/v1")}}}}));
    let provider = models_list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "unavailable");
    assert_eq!(provider["outcome"]["code"], "network");
    assert!(str_of(&provider["outcome"]["message"]).contains(&format!("127.0.0.1:{port}")));
    assert_eq!(ids(&provider).len(), 5);
}

#[test]
fn a_redirect_to_another_host_is_not_followed_with_the_token() {
    let elsewhere = MockRouter::start();
    serve_models(&elsewhere, 2);
    let router = MockRouter::start();
    router.on(
        "GET",
        MODELS,
        Reply::redirect(
            302,
            &format!(
                "{}{MODELS}",
                elsewhere.origin().replace("127.0.0.1", "localhost")
            ),
        ),
    );
    let sandbox = pointed_at(&router, json!({}));
    let provider = models_list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "unavailable");
    assert!(
        elsewhere.requests().is_empty(),
        "the token must not follow a redirect to another host"
    );
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused() {
    let router = MockRouter::start();
    let sandbox = pointed_at(&router, json!({}));
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {"baseUrl": "http://router.example.com/v1"}}}}));
    let provider = models_list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "unavailable");
    assert_eq!(provider["outcome"]["code"], "invalid_request");
    assert!(str_of(&provider["outcome"]["message"]).contains("refusing plain http://"));
}
