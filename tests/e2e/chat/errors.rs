//! Every way a chat fails, explained: each error status and envelope mapped to its code and an
//! actionable message, broken streams, a redirect to another host (which gets no token), an
//! unreachable router, offline mode, no token at all.

use std::time::Duration;

use openclaw_e2e::{MockRouter, Reply, Run, Sandbox, StreamEnd, fixture};
use serde_json::json;

use super::chat;
use crate::support::{
    CHAT, chat_router, chat_settings, closed_port, installed_hf, json_lines, pointed_at,
    router_config, stream_of,
};

/// A chat with `model` against a router answering `reply`, without retries: it fails with
/// `error: <code>` and `message` on stderr. Returns the router, the sandbox and the run.
fn failed_chat(reply: Reply, model: &str, code: &str, message: &str) -> (MockRouter, Sandbox, Run) {
    let router = chat_router(reply);
    let sandbox = pointed_at(&router, chat_settings(json!({"maxRetries": 0})));
    let run = chat(&sandbox, &["--model", model, "hi"]);
    run.code(1);
    assert!(
        run.stderr.contains(&format!("error: {code}")),
        "{code}: {run}"
    );
    assert!(run.stderr.contains(message), "{code}, {message}: {run}");
    (router, sandbox, run)
}

/// Each error shape maps to its code and an actionable message, exit code 1, one request.
#[test]
fn every_error_status_and_envelope_is_explained() {
    let cases: Vec<(Reply, &str, &str)> = vec![
        (
            Reply::invalid_credentials(),
            "unauthorized",
            "rejected the token",
        ),
        (
            Reply::no_inference_permission("user x"),
            "forbidden",
            "Make calls to Inference Providers",
        ),
        (
            Reply::text(
                402,
                "You have exceeded your monthly included credits for Inference Providers.",
            ),
            "payment_required",
            "credits",
        ),
        (
            Reply::json(
                400,
                r#"{"error":{"message":"The requested model 'x/y' is not supported by any provider you have enabled.","type":"invalid_request_error","param":"model","code":"model_not_supported"}}"#,
            ),
            "model_not_supported",
            "models list --refresh",
        ),
        (
            Reply::json(404, r#"{"error":"Model not found"}"#),
            "model_not_found",
            "models list",
        ),
        (
            Reply::json(
                422,
                r#"{"error":"Input validation error: `inputs` must have less than 4096 tokens","error_type":"validation"}"#,
            ),
            "invalid_request",
            "Input validation error",
        ),
        (
            Reply::text(
                422,
                "Failed to deserialize the JSON body into the target type",
            ),
            "invalid_request",
            "Failed to deserialize",
        ),
        (
            Reply::Respond {
                status: 400,
                headers: vec![("x-error-message".into(), "header says no".into())],
                body: Vec::new(),
            },
            "invalid_request",
            "header says no",
        ),
        (
            Reply::json(
                500,
                fixture("error.500.router-together.upstream-server-error.json"),
            ),
            "upstream",
            "HTTP 500",
        ),
    ];
    for (reply, code, message) in cases {
        let (_router, sandbox, run) = failed_chat(reply, "huggingface/x/y", code, message);
        assert_eq!(
            run.stderr
                .lines()
                .filter(|l| l.starts_with("error:"))
                .count(),
            1,
            "{run}"
        );
        let json = chat(&sandbox, &["--json", "--model", "huggingface/x/y", "hi"]);
        assert_eq!(json_lines(&json).last().unwrap()["code"], code);
    }
}

#[test]
fn broken_streams_fail_with_a_clear_error() {
    let cases: Vec<(Reply, &str, &str)> = vec![
        (
            Reply::sse(
                "x",
                &[r#"{"choices":[{"index":0,"delta":{"content":"half an"}}]}"#],
                Duration::ZERO,
                StreamEnd::Close,
            ),
            "network",
            "ended before the answer was complete",
        ),
        (
            Reply::sse(
                "x",
                &[r#"{"choices":[{"index":0,"delta":{"content":"and then"}}]}"#],
                Duration::ZERO,
                StreamEnd::Reset,
            ),
            "network",
            "",
        ),
        (
            Reply::sse("x", &["this is not json"], Duration::ZERO, StreamEnd::Close),
            "invalid_response",
            "a stream event is not the chunk it should be",
        ),
        (
            Reply::Stream {
                status: 200,
                headers: vec![("content-type".into(), "text/event-stream".into())],
                pieces: vec![(
                    Duration::ZERO,
                    b"\x00\x01garbage\xff\xfe\n\nretry: x\n\n".to_vec(),
                )],
                end: StreamEnd::Close,
            },
            "network",
            "ended before",
        ),
    ];
    for (reply, code, message) in cases {
        failed_chat(reply, "huggingface/a/b", code, message);
    }
}

#[test]
fn a_redirect_to_another_host_does_not_carry_the_token() {
    let elsewhere = MockRouter::start();
    elsewhere.on("POST", CHAT, stream_of("stolen", "evil"));
    let router = chat_router(Reply::redirect(
        307,
        &format!(
            "{}{CHAT}",
            elsewhere.origin().replace("127.0.0.1", "localhost")
        ),
    ));
    let sandbox = pointed_at(&router, json!({}));
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(
        run.stderr.contains("redirected the request to localhost"),
        "{run}"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "nothing reached the other host"
    );
}

#[test]
fn an_unreachable_router_and_offline_mode_fail_without_hanging() {
    let port = closed_port();
    let router = MockRouter::start();
    let sandbox = pointed_at(
        &router,
        json!({"models": {"providers": {"huggingface": {"baseUrl": format!("http://127.0.0.1:{port}/v1")}}},
                                       "plugins": {"entries": {"huggingface": {"config": {"chat": {"maxRetries": 1, "retryBaseMs": 10}}}}}}),
    );
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: network"), "{run}");
    assert!(run.stderr.contains(&format!("127.0.0.1:{port}")), "{run}");

    let mut offline = pointed_at(&router, json!({}));
    offline.set_env("HF_HUB_OFFLINE", "1");
    let run = chat(&offline, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: offline"), "{run}");
    assert!(router.requests().is_empty());
}

#[test]
fn without_a_token_the_error_says_how_to_get_one() {
    let router = MockRouter::start();
    let sandbox = installed_hf();
    sandbox.write_config(&router_config(&router, json!({})));
    let run = sandbox.run(["chat", "--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: unauthorized"), "{run}");
    assert!(run.stderr.contains("HF_TOKEN"), "{run}");
    assert!(router.requests().is_empty());
}
