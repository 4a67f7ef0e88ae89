//! A hostile service: answers built to break the plugin — absurd numbers, a line that never
//! ends, a page where a stream should be, an encoding nobody asked for, error envelopes inside
//! error events, escape sequences in upstream text, a token that cannot be sent. Each test
//! drives the real plugin through the ABI (host-stub's loader, in process) against the mock
//! router's [`hostile`] shapes and checks the typed error and its message, that it came in time,
//! that what arrived before it is intact, that no message carries a raw control character, and
//! that the token appears nowhere. Where memory is the point, `host-stub chat` runs as a child
//! and its peak RSS is measured.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use openclaw_e2e::{MockRouter, Reply, SENTINEL_TOKEN, StreamEnd, measure, mock_router::hostile};
use openclaw_provider_abi::{CallContext, ErrorCode, ProviderError, Secret};
use serde_json::json;

use crate::support::{
    CHAT, MODELS, chat_router, chat_settings,
    in_process::{Outcome, catalog_request, context, plugin, stream_chat},
    pointed_at, stream_of,
};

const REQUEST: &str = r#"{"model":"huggingface/a/b","messages":[{"role":"user","content":"go"}]}"#;

/// A call context with two retries allowed (so a test can see an answer is not retried) and
/// short deadlines (so nothing can hang a test).
fn hostile_context(base_url: &str) -> CallContext {
    context(
        base_url,
        json!({"maxRetries": 2, "retryBaseMs": 10, "idleTimeoutMs": 5000, "timeoutMs": 20000}),
    )
}

/// Asserts what every error must be: free of the token and of raw control characters.
fn assert_clean(error: &ProviderError) {
    for text in [error.message.as_str(), error.details_json.as_str()] {
        assert!(!text.contains(SENTINEL_TOKEN), "the token leaked: {error}");
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "a raw control character in: {text:?}"
        );
    }
}

/// A streamed chat through the Hugging Face plugin; its error, if any, must be clean.
fn chat_stream(context: &CallContext) -> Outcome {
    let outcome = stream_chat(plugin("huggingface"), context, REQUEST);
    if let Some(error) = &outcome.error {
        assert_clean(error);
    }
    outcome
}

/// Runs one streamed chat against `reply` and returns it with the number of requests sent.
fn against(reply: Reply) -> (Outcome, usize) {
    let router = chat_router(reply);
    let outcome = chat_stream(&hostile_context(&router.base_url()));
    (outcome, router.requests_to(CHAT).len())
}

#[test]
fn a_huge_tool_call_index_is_refused_naming_the_limit() {
    for index in [256, 10_000_000, u64::from(u32::MAX), u64::MAX] {
        let (outcome, requests) = against(hostile::tool_call_index(index));
        let error = outcome.error();
        assert_eq!(error.code, ErrorCode::INVALID_RESPONSE, "{index}: {error}");
        assert!(
            error.message.contains("256") && error.message.contains(&index.to_string()),
            "{error}"
        );
        assert_eq!(outcome.text, hostile::LEAD, "what came before is intact");
        assert_eq!(requests, 1, "not retried");
        assert!(outcome.took < Duration::from_secs(10), "{:?}", outcome.took);
    }
    // The last slot is an ordinary tool call.
    let (outcome, _) = against(hostile::tool_call_index(255));
    let done = outcome.done.expect("the answer completes");
    assert_eq!(done.tool_calls.len(), 1);
    assert_eq!(outcome.tool_deltas[0].index, 255);
}

#[test]
fn absurd_usage_numbers_keep_the_final_event() {
    let (outcome, _) = against(hostile::absurd_usage());
    assert!(outcome.error.is_none(), "{outcome:?}");
    let done = outcome.done.expect("the final event arrives");
    let usage = done.usage.expect("usage");
    assert_eq!(usage.prompt_tokens, u64::MAX);
    assert_eq!(usage.completion_tokens, u64::MAX);
    // A negative total is no total: the sum, saturated.
    assert_eq!(usage.total_tokens, u64::MAX);
    assert_eq!(usage.reasoning_tokens, None);
    assert_eq!(outcome.text, hostile::LEAD);
}

#[test]
fn an_endless_line_is_refused_at_the_event_cap() {
    let started = Instant::now();
    let (outcome, requests) = against(hostile::endless_line(256 * 1024 * 1024));
    let error = outcome.error();
    assert_eq!(error.code, ErrorCode::INVALID_RESPONSE, "{error}");
    assert!(error.message.contains("8 MiB"), "{error}");
    assert_eq!(outcome.text, hostile::LEAD, "the event before it arrived");
    assert_eq!(requests, 1, "not retried");
    // Refused at the cap, long before the 256 MiB were sent.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// A `host-stub chat` child's peak RSS (KiB) against `reply`, and against an ordinary answer.
fn child_peak_rss(reply: Reply) -> (u64, u64) {
    let router = MockRouter::start();
    let sandbox = pointed_at(
        &router,
        chat_settings(json!({"maxRetries": 0, "idleTimeoutMs": 5000})),
    );
    let launcher = Path::new(env!("CARGO_BIN_EXE_measure-child"));
    let run = |router: &MockRouter, reply: Reply| {
        router.on("POST", CHAT, reply);
        let mut command = sandbox.command();
        command.args(["chat", "--model", "huggingface/a/b", "go"]);
        measure::sample(launcher, &command)
    };
    let baseline = run(&router, stream_of(hostile::LEAD, "together"));
    assert!(baseline.success, "the ordinary chat works");
    let hostile = run(&router, reply);
    assert!(!hostile.success, "the hostile answer is an error");
    (hostile.peak_rss_kib, baseline.peak_rss_kib)
}

/// Asserts that a `host-stub chat` child against `reply` peaks at most `extra_mib` MiB above one
/// against an ordinary answer.
fn assert_child_memory_within(what: &str, reply: Reply, extra_mib: u64) {
    let (peak, baseline) = child_peak_rss(reply);
    eprintln!("{what}: peak RSS {peak} KiB, ordinary chat {baseline} KiB");
    assert!(
        peak < baseline + extra_mib * 1024,
        "peak RSS {peak} KiB against {baseline} KiB for an ordinary chat"
    );
}

#[test]
fn an_endless_line_keeps_a_childs_memory_bounded() {
    // Before the cap, a 512 MiB line took about 1 GB; now reading stops at 8 MiB.
    assert_child_memory_within("endless line", hostile::endless_line(256 * 1024 * 1024), 24);
}

#[test]
fn a_huge_tool_call_index_keeps_a_childs_memory_bounded() {
    // Before the limit, index 10,000,000 allocated about 935 MB.
    assert_child_memory_within(
        "tool-call index 10,000,000",
        hostile::tool_call_index(10_000_000),
        8,
    );
}

#[test]
fn an_html_page_answering_a_stream_request_is_refused_by_content_type() {
    let (outcome, requests) = against(hostile::html_page());
    let error = outcome.error();
    assert_eq!(error.code, ErrorCode::INVALID_RESPONSE, "{error}");
    assert!(error.message.contains("text/html"), "{error}");
    assert!(error.message.contains("text/event-stream"), "{error}");
    assert!(!error.message.contains("ended before"), "{error}");
    assert_eq!(requests, 1, "not retried");
}

#[test]
fn a_json_completion_answering_a_stream_request_is_the_answer() {
    let (outcome, requests) = against(hostile::json_completion("a whole answer at once"));
    assert!(outcome.error.is_none(), "{outcome:?}");
    assert_eq!(outcome.text, "a whole answer at once");
    let done = outcome.done.expect("done");
    assert_eq!(done.finish_reason.as_deref(), Some("stop"));
    assert_eq!(done.serving_provider.as_deref(), Some("novita"));
    assert_eq!(done.usage.map(|u| u.total_tokens), Some(7));
    assert_eq!(requests, 1);
    // A captured one-shot answer with a tool call, too.
    let (outcome, _) = against(Reply::json(
        200,
        openclaw_e2e::fixture("chat.nonstream.together.tool-call.json"),
    ));
    let done = outcome.done.expect("done");
    assert_eq!(done.tool_calls.len(), outcome.tool_deltas.len());
    assert!(!done.tool_calls.is_empty());
    // JSON that is no chat completion is refused, naming what came.
    let (outcome, requests) = against(hostile::json_not_a_completion());
    let error = outcome.error();
    assert_eq!(error.code, ErrorCode::INVALID_RESPONSE, "{error}");
    assert!(error.message.contains("JSON document"), "{error}");
    assert_eq!(requests, 1, "not retried");
}

#[test]
fn an_unasked_content_encoding_is_refused_by_name() {
    for encoding in ["br", "gzip", "x-mystery"] {
        let (outcome, requests) = against(hostile::compressed(encoding));
        let error = outcome.error();
        assert_eq!(error.code, ErrorCode::INVALID_RESPONSE, "{error}");
        assert!(
            error
                .message
                .contains(&format!("Content-Encoding {encoding}")),
            "{error}"
        );
        assert_eq!(requests, 1, "not retried");
    }
    // The one-shot path refuses it the same way.
    let router =
        chat_router(hostile::json_completion("hi").with_header("content-encoding", "gzip"));
    let error = plugin("huggingface")
        .chat(&hostile_context(&router.base_url()), REQUEST)
        .unwrap_err();
    assert_clean(&error);
    assert!(error.message.contains("Content-Encoding gzip"), "{error}");
    assert_eq!(router.requests_to(CHAT).len(), 1);
}

#[test]
fn an_error_event_with_an_envelope_is_read_to_its_message() {
    let (outcome, _) = against(hostile::error_event_envelope("the upstream fell over"));
    let error = outcome.error();
    assert_eq!(error.code, ErrorCode::UPSTREAM, "{error}");
    assert!(
        error
            .message
            .ends_with("mid-stream: the upstream fell over"),
        "{error}"
    );
    assert!(!error.message.contains('{'), "raw JSON quoted: {error}");
    assert_eq!(outcome.text, hostile::LEAD);
    // Seven megabytes of junk beside the message: read bounded, the message still found.
    let junk = vec!["0"; 3_500_000].join(",");
    let (outcome, _) = against(Reply::sse(
        "together",
        &[&format!(
            r#"{{"error":{{"junk":[{junk}],"message":"big and broken"}}}}"#
        )],
        Duration::ZERO,
        StreamEnd::Close,
    ));
    assert!(
        outcome
            .error()
            .message
            .ends_with("mid-stream: big and broken"),
        "{}",
        outcome.error()
    );
}

#[test]
fn control_characters_from_upstream_never_reach_messages() {
    // In an error body, for every kind of status.
    for status in [400, 401, 402, 403, 404, 422, 429, 500, 503] {
        let (outcome, _) = against(hostile::control_characters_in_error(status));
        let error = outcome.error();
        assert!(error.message.contains("\\u{1b}[31mRED"), "{error}");
    }
    // In an error event mid-stream.
    let (outcome, _) = against(hostile::error_event_envelope(hostile::CONTROL_TEXT));
    assert!(outcome.error().message.contains("\\u{202e}gnp.exe"));
    // In a catalog refresh's error body.
    let router = MockRouter::start();
    router.on("GET", MODELS, hostile::control_characters_in_error(500));
    let error = plugin("huggingface")
        .list_models(&catalog_request(hostile_context(&router.base_url()), 0))
        .unwrap_err();
    assert_clean(&error);
    // A tool call's name, id and arguments are data: they arrive exactly as sent.
    let (outcome, _) = against(hostile::control_characters_in_tool_name());
    let done = outcome.done.expect("done");
    assert_eq!(done.tool_calls[0].function.name, hostile::CONTROL_TEXT);
    assert_eq!(done.tool_calls[0].id, "call_\u{1b}");
    assert_eq!(
        done.tool_calls[0].function.arguments,
        "{\"x\":\"\\u001b[2J\"}"
    );
    assert_eq!(
        outcome.tool_deltas[0].name.as_deref(),
        Some(hostile::CONTROL_TEXT)
    );
}

#[test]
fn a_token_that_cannot_be_sent_is_refused_up_front() {
    let router = chat_router(stream_of("unreachable", "together"));
    let (head, tail) = SENTINEL_TOKEN.split_at(12);
    for inside in ["\n", "\r\n", "\u{1b}", " ", "\t", "\u{0}"] {
        let token = format!("{head}{inside}{tail}");
        let context = CallContext {
            credential: Secret::new(&token).into(),
            ..hostile_context(&router.base_url())
        };
        let started = Instant::now();
        let errors = [
            chat_stream(&context).error.expect("refused"),
            plugin("huggingface").chat(&context, REQUEST).unwrap_err(),
            plugin("huggingface")
                .list_models(&catalog_request(context.clone(), 0))
                .unwrap_err(),
            plugin("huggingface")
                .validate_credential(&context)
                .unwrap_err(),
        ];
        for error in errors {
            assert_eq!(error.code, ErrorCode::UNAUTHORIZED, "{inside:?}: {error}");
            assert!(error.message.contains("character 13 of"), "{error}");
            assert!(
                !error.message.contains(head) && !error.message.contains(tail),
                "the token's value is named: {error}"
            );
            assert_clean(&error);
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "refused up front"
        );
    }
    assert!(
        router.requests().is_empty(),
        "nothing was sent: {:?}",
        router.requests()
    );
}

#[test]
fn hostile_answers_leave_the_plugin_working() {
    let router = MockRouter::start();
    for reply in [
        hostile::tool_call_index(u64::MAX),
        hostile::endless_line(16 * 1024 * 1024),
        hostile::html_page(),
        hostile::compressed("br"),
    ] {
        router.on("POST", CHAT, reply);
        assert!(
            chat_stream(&hostile_context(&router.base_url()))
                .error
                .is_some()
        );
    }
    router.on("POST", CHAT, stream_of("still fine", "together"));
    let outcome = chat_stream(&hostile_context(&router.base_url()));
    assert_eq!(outcome.text, "still fine");
    assert!(outcome.done.is_some());
}
