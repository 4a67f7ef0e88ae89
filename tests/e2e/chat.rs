//! Chat end to end: `host-stub chat` driving the real Hugging Face plugin against the mock
//! router — streaming, one-shot, reasoning, tool calls, every error shape, retries, timeouts,
//! fallbacks, redirects, cancellation — and the ABI's pull handle used directly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use openclaw_e2e::{
    MockRouter, Reply, Run, SENTINEL_TOKEN, Sandbox, StreamEnd, call_context, fixture, stage_echo,
    stage_hf,
};
use openclaw_provider_abi::{
    ErrorCode, EventKind,
    abi_stable::std_types::{ROption, RResult},
};
use serde_json::{Value, json};

const CHAT: &str = "/v1/chat/completions";

fn config(router: &MockRouter, extra: Value) -> Value {
    let mut config =
        json!({"models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}});
    merge(&mut config, extra);
    config
}

fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (key, value) in extra {
                merge(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (slot, value) => *slot = value,
    }
}

fn setup(router: &MockRouter, extra: Value) -> Sandbox {
    let mut sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(&config(router, extra));
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    sandbox
}

fn chat(sandbox: &Sandbox, args: &[&str]) -> Run {
    let mut all = vec!["chat"];
    all.extend_from_slice(args);
    let run = sandbox.run(&all);
    assert!(
        !run.all_output().contains(SENTINEL_TOKEN),
        "the token leaked:\n{run}"
    );
    run
}

fn stream_of(text: &str, provider: &str) -> Reply {
    Reply::words(provider, text, Duration::ZERO, StreamEnd::Close)
}

fn json_lines(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}\n{run}"))
        })
        .collect()
}

/// The text a captured stream carries, extracted independently of the plugin.
fn captured_text(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .filter(|data| *data != "[DONE]")
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .filter_map(|chunk| {
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn streams_the_answer_and_sends_what_the_router_expects() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        stream_of("Hello from the mock router.", "together"),
    );
    let sandbox = setup(
        &router,
        json!({"models": {"providers": {"huggingface": {"billTo": "acme-org"}}}}),
    );
    let run = chat(
        &sandbox,
        &[
            "--model",
            "huggingface/huggingface/deepseek-ai/DeepSeek-R1:fastest",
            "Say",
            "hello",
        ],
    );
    assert_eq!(run.ok(), "Hello from the mock router.\n");
    assert!(
        run.stderr
            .contains("model huggingface/deepseek-ai/DeepSeek-R1:fastest via together"),
        "{run}"
    );
    assert!(
        run.stderr.contains("5 prompt + 5 completion = 10 tokens"),
        "{run}"
    );
    assert!(run.stderr.contains("finish: stop"), "{run}");

    let requests = router.requests_to(CHAT);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let text = String::from_utf8(request.body.clone()).unwrap();
    assert!(
        text.starts_with(r#"{"model":"deepseek-ai/DeepSeek-R1:fastest","#),
        "{text}"
    );
    let body = request.json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "Say hello"}])
    );
    assert!(
        request.carries_the_sentinel_token(),
        "{:?}",
        request.headers
    );
    assert!(
        request
            .header("user-agent")
            .unwrap()
            .starts_with("openclaw-huggingface/0.1.0 host-stub/")
    );
    assert_eq!(request.header("x-hf-bill-to"), Some("acme-org"));
    assert_eq!(request.header("content-type"), Some("application/json"));
}

#[test]
fn every_captured_provider_stream_replays_in_any_piece_size() {
    for (name, provider) in [
        ("chat.stream.together.sse", "together"),
        ("chat.stream.fireworks-ai.sse", "fireworks-ai"),
        ("chat.stream.cerebras.sse", "cerebras"),
        ("chat.stream.hf-inference.sse", "hf-inference"),
        ("chat.stream.novita.sse", "novita"),
        ("chat.stream.nebius.sse", "nebius"),
        ("chat.stream.hyperbolic.sse", "hyperbolic"),
        ("chat.stream.sambanova.sse", "sambanova"),
    ] {
        let body = fixture(name);
        let expected = captured_text(&body);
        for piece in [1, 7, 4096] {
            let router = MockRouter::start();
            router.on("POST", CHAT, Reply::sse_bytes(provider, &body, piece));
            let sandbox = setup(&router, json!({}));
            let run = chat(
                &sandbox,
                &[
                    "--model",
                    "huggingface/meta-llama/Llama-3.1-8B-Instruct",
                    "hi",
                ],
            );
            assert_eq!(
                run.ok().trim_end_matches('\n'),
                expected,
                "{name} in {piece}-byte pieces"
            );
            assert!(
                run.stderr.contains(&format!("via {provider}")),
                "{name}: {run}"
            );
        }
    }
}

#[test]
fn inline_reasoning_goes_to_stderr_and_stays_out_of_the_answer() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::sse_bytes(
            "together",
            &fixture("chat.stream.together.deepseek-r1.excerpt.sse"),
            3,
        ),
    );
    let sandbox = setup(&router, json!({}));
    let run = chat(
        &sandbox,
        &["--model", "huggingface/deepseek-ai/DeepSeek-R1", "why?"],
    );
    let answer = run.ok();
    assert!(
        !answer.contains("<think>") && !answer.contains("</think>"),
        "{run}"
    );
    let json = chat(
        &sandbox,
        &[
            "--json",
            "--model",
            "huggingface/deepseek-ai/DeepSeek-R1",
            "why?",
        ],
    );
    let lines = json_lines(&json);
    assert!(lines.iter().any(|l| l["type"] == "reasoning"), "{json}");
    assert!(
        lines
            .iter()
            .all(|l| !l["delta"].as_str().unwrap_or("").contains("<think>"))
    );
}

#[test]
fn reasoning_fields_and_tool_calls_come_through_as_json_lines() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::sse(
            "nebius",
            &[
                r#"{"choices":[{"index":0,"delta":{"reasoning_content":"Thinking about weather. "}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
                "[DONE]",
            ],
            Duration::ZERO,
            StreamEnd::Close,
        ),
    );
    let sandbox = setup(&router, json!({}));
    let run = chat(
        &sandbox,
        &[
            "--json",
            "--model",
            "huggingface/Qwen/Qwen3-32B",
            "weather?",
        ],
    );
    let lines = json_lines(&run);
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "attempt",
            "servingProvider",
            "reasoning",
            "toolCall",
            "toolCall",
            "done"
        ],
        "{run}"
    );
    let done = lines.last().unwrap();
    let result = &done["result"];
    assert_eq!(result["finishReason"], "tool_calls");
    assert_eq!(result["toolCalls"][0]["name"], "get_weather");
    assert_eq!(result["toolCalls"][0]["arguments"], r#"{"city":"Paris"}"#);
    assert_eq!(result["usage"]["totalTokens"], 12);
    assert_eq!(done["attempts"][0]["outcome"], "ok");
}

#[test]
fn one_shot_chat_normalises_the_whole_answer() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::json(
            200,
            fixture("chat.nonstream.together.deepseek-r1.think-in-content.json"),
        )
        .with_header("x-inference-provider", "together"),
    );
    let sandbox = setup(&router, json!({}));
    let run = chat(
        &sandbox,
        &[
            "--no-stream",
            "--json",
            "--model",
            "huggingface/deepseek-ai/DeepSeek-R1",
            "hi",
        ],
    );
    let lines = json_lines(&run);
    let text: String = lines
        .iter()
        .filter(|l| l["type"] == "text")
        .map(|l| l["delta"].as_str().unwrap())
        .collect();
    assert!(!text.is_empty() && !text.contains("<think>"), "{run}");
    assert!(lines.iter().any(|l| l["type"] == "reasoning"));
    assert_eq!(
        lines.last().unwrap()["result"]["servingProvider"],
        "together"
    );
    let body = router.requests_to(CHAT)[0].json();
    assert!(body.get("stream").is_none(), "{body}");
}

#[test]
fn the_prompt_can_come_from_stdin_and_a_system_message_goes_first() {
    let router = MockRouter::start();
    router.on("POST", CHAT, stream_of("ok", "groq"));
    let sandbox = setup(&router, json!({}));
    let mut child = sandbox
        .command()
        .args([
            "chat",
            "--system",
            "Be terse.",
            "--model",
            "huggingface/openai/gpt-oss-120b",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from stdin\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let body = router.requests_to(CHAT)[0].json();
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "Be terse."})
    );
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "from stdin\n"})
    );

    let empty = chat(
        &sandbox,
        &["--model", "huggingface/openai/gpt-oss-120b", "   "],
    );
    empty.code(2);
}

#[test]
fn the_configured_primary_and_aliases_choose_the_model() {
    let router = MockRouter::start();
    router.on("POST", CHAT, stream_of("primary answer", "together"));
    let sandbox = setup(
        &router,
        json!({"agents": {"defaults": {
            "model": {"primary": "fast-qwen"},
            "models": {"huggingface/Qwen/Qwen3-8B:fastest": {"alias": "Fast-Qwen"}}
        }}}),
    );
    chat(&sandbox, &["hello"]).ok();
    assert_eq!(
        router.requests_to(CHAT)[0].json()["model"],
        "Qwen/Qwen3-8B:fastest"
    );
    chat(&sandbox, &["--model", "FAST-QWEN", "hello"]).ok();
    assert_eq!(
        router.requests_to(CHAT)[1].json()["model"],
        "Qwen/Qwen3-8B:fastest"
    );
}

#[test]
fn unknown_models_are_sent_with_a_warning() {
    let router = MockRouter::start();
    router.on("POST", CHAT, stream_of("fine", "novita"));
    let sandbox = setup(&router, json!({}));
    let run = chat(
        &sandbox,
        &["--model", "huggingface/someone/new-model", "hi"],
    );
    run.ok();
    assert!(
        run.stderr
            .contains("note: someone/new-model is not in the catalog"),
        "{run}"
    );
    assert_eq!(
        router.requests_to(CHAT)[0].json()["model"],
        "someone/new-model"
    );
}

/// Each error shape maps to its code and an actionable message, exit code 1, one request.
#[test]
fn every_error_status_and_envelope_is_explained() {
    let cases: Vec<(Reply, &str, &str)> = vec![
        (
            Reply::json(
                401,
                r#"{"error":"Invalid credentials in Authorization header"}"#,
            ),
            "unauthorized",
            "rejected the token",
        ),
        (
            Reply::json(
                403,
                r#"{"error":"This authentication method does not have sufficient permissions to call Inference Providers on behalf of user x"}"#,
            ),
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
        let router = MockRouter::start();
        router.on("POST", CHAT, reply);
        let sandbox = setup(
            &router,
            json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"maxRetries": 0}}}}}}),
        );
        let run = chat(&sandbox, &["--model", "huggingface/x/y", "hi"]);
        run.code(1);
        assert!(
            run.stderr.contains(&format!("error: {code}")),
            "{code}: {run}"
        );
        assert!(run.stderr.contains(message), "{code}: {run}");
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
    let sandbox = setup(
        &router,
        json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"retryBaseMs": 50}}}}}}),
    );
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
    let sandbox = setup(&dated, json!({}));
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
    let sandbox = setup(
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
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::sse(
            "together",
            &[
                r#"{"choices":[{"index":0,"delta":{"content":"partial "}}]}"#,
                r#"{"error":{"message":"upstream overloaded","type":"server_error"}}"#,
            ],
            Duration::ZERO,
            StreamEnd::Close,
        ),
    );
    let sandbox = setup(
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
    let sandbox = setup(
        &router,
        json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"retryBaseMs": 10}}}}}}),
    );
    assert_eq!(
        chat(&sandbox, &["--model", "huggingface/a/b", "hi"]).ok(),
        "recovered\n"
    );
    assert_eq!(router.requests_to(CHAT).len(), 2);
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
        let router = MockRouter::start();
        router.on("POST", CHAT, reply);
        let sandbox = setup(
            &router,
            json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"maxRetries": 0}}}}}}),
        );
        let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
        run.code(1);
        assert!(
            run.stderr.contains(&format!("error: {code}")),
            "{code}: {run}"
        );
        assert!(run.stderr.contains(message), "{message}: {run}");
    }
}

#[test]
fn a_stall_past_the_idle_timeout_fails_and_a_slow_drip_under_it_succeeds() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::sse(
            "x",
            &[r#"{"choices":[{"index":0,"delta":{"content":"started"}}]}"#],
            Duration::ZERO,
            StreamEnd::Stall,
        ),
    );
    let sandbox = setup(
        &router,
        json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"idleTimeoutMs": 400}}}}}}),
    );
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: timeout"), "{run}");
    assert!(
        run.stderr.contains("went silent for more than 400 ms"),
        "{run}"
    );

    router.on(
        "POST",
        CHAT,
        Reply::words(
            "x",
            "one two three four five",
            Duration::from_millis(150),
            StreamEnd::Close,
        ),
    );
    let sandbox = setup(
        &router,
        json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"idleTimeoutMs": 600}}}}}}),
    );
    assert_eq!(
        chat(&sandbox, &["--model", "huggingface/a/b", "hi"]).ok(),
        "one two three four five\n"
    );
}

#[test]
fn a_server_that_never_answers_hits_the_first_byte_deadline() {
    let router = MockRouter::start();
    router.on("POST", CHAT, Reply::Stall);
    let sandbox = setup(
        &router,
        json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"firstByteTimeoutMs": 300, "maxRetries": 0}}}}}}),
    );
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: timeout"), "{run}");
}

#[test]
fn a_redirect_to_another_host_does_not_carry_the_token() {
    let elsewhere = MockRouter::start();
    elsewhere.on("POST", CHAT, stream_of("stolen", "evil"));
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::Respond {
            status: 307,
            headers: vec![(
                "location".into(),
                format!(
                    "{}/v1/chat/completions",
                    elsewhere.origin().replace("127.0.0.1", "localhost")
                ),
            )],
            body: Vec::new(),
        },
    );
    let sandbox = setup(&router, json!({}));
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
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let router = MockRouter::start();
    let sandbox = setup(
        &router,
        json!({"models": {"providers": {"huggingface": {"baseUrl": format!("http://127.0.0.1:{port}/v1")}}},
                                       "plugins": {"entries": {"huggingface": {"config": {"chat": {"maxRetries": 1, "retryBaseMs": 10}}}}}}),
    );
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: network"), "{run}");
    assert!(run.stderr.contains(&format!("127.0.0.1:{port}")), "{run}");

    let mut offline = setup(&router, json!({}));
    offline.set_env("HF_HUB_OFFLINE", "1");
    let run = chat(&offline, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: offline"), "{run}");
    assert!(router.requests().is_empty());
}

#[test]
fn without_a_token_the_error_says_how_to_get_one() {
    let router = MockRouter::start();
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(&config(&router, json!({})));
    let run = sandbox.run(["chat", "--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: unauthorized"), "{run}");
    assert!(run.stderr.contains("HF_TOKEN"), "{run}");
    assert!(router.requests().is_empty());
}

#[test]
fn ctrl_c_cancels_the_request_and_the_server_sees_the_disconnect() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::words(
            "x",
            &"word ".repeat(400),
            Duration::from_millis(20),
            StreamEnd::Close,
        ),
    );
    let sandbox = setup(&router, json!({}));
    let mut child = sandbox
        .command()
        .args(["chat", "--model", "huggingface/a/b", "hi"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 5];
    use std::io::Read;
    stdout.read_exact(&mut first).unwrap();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let interrupted = Instant::now();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let deadline = Instant::now() + Duration::from_secs(5);
    while router.disconnects().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the server never saw the disconnect"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let seen = router.disconnects()[0].at;
    assert!(seen.duration_since(interrupted) < Duration::from_millis(500));
}

/// Through the ABI directly: cancel() and drop close the connection within 100 ms.
#[test]
fn cancel_and_drop_close_the_connection_promptly() {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    let report = sandbox.load_plugins();
    let plugin = report.registry.get("huggingface").unwrap();
    for use_cancel in [true, false] {
        let router = MockRouter::start();
        router.on(
            "POST",
            CHAT,
            Reply::words(
                "x",
                &"tick ".repeat(2000),
                Duration::from_millis(10),
                StreamEnd::Close,
            ),
        );
        let context = call_context(&router.base_url());
        let request =
            json!({"model": "huggingface/a/b", "messages": [{"role": "user", "content": "go"}]})
                .to_string();
        let mut stream = plugin.chat_stream(&context, &request).unwrap();
        let mut seen = 0;
        while seen < 3 {
            if let RResult::ROk(ROption::RSome(event)) = stream.next_event(1000)
                && event.kind == EventKind::TEXT_DELTA
            {
                seen += 1;
            }
        }
        let stopped = Instant::now();
        if use_cancel {
            stream.cancel();
            match stream.next_event(10) {
                RResult::RErr(err) => assert_eq!(err.code, ErrorCode::CANCELLED),
                other => panic!("after cancel: {other:?}"),
            }
        }
        drop(stream);
        let deadline = Instant::now() + Duration::from_secs(2);
        while router.disconnects().is_empty() {
            assert!(Instant::now() < deadline, "no disconnect seen");
            std::thread::sleep(Duration::from_millis(2));
        }
        let after = router.disconnects()[0].at.duration_since(stopped);
        assert!(
            after < Duration::from_millis(100),
            "disconnect seen after {after:?}"
        );
    }
}

#[test]
fn the_pull_handle_reports_the_end_of_the_stream_once() {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    let report = sandbox.load_plugins();
    let plugin = report.registry.get("huggingface").unwrap();
    let router = MockRouter::start();
    router.on("POST", CHAT, stream_of("a b c", "together"));
    let context = call_context(&router.base_url());
    let request =
        json!({"model": "huggingface/a/b", "messages": [{"role": "user", "content": "go"}]})
            .to_string();
    let mut stream = plugin.chat_stream(&context, &request).unwrap();
    let mut kinds = Vec::new();
    loop {
        match stream.next_events(2, 2000) {
            RResult::ROk(events) => {
                let done = events.iter().any(|e| e.kind == EventKind::DONE);
                kinds.extend(events.iter().map(|e| e.kind));
                if done {
                    break;
                }
            }
            RResult::RErr(err) => panic!("{err}"),
        }
    }
    assert_eq!(kinds.first(), Some(&EventKind::SERVING_PROVIDER));
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventKind::TEXT_DELTA)
            .count(),
        3
    );
    assert_eq!(kinds.last(), Some(&EventKind::DONE));
    match stream.next_event(0) {
        RResult::RErr(err) => assert_eq!(err.code, ErrorCode::INVALID_REQUEST),
        other => panic!("after the end: {other:?}"),
    }
}

#[test]
fn a_panicking_provider_fails_the_chat_and_the_host_reports_it() {
    let sandbox = Sandbox::new();
    stage_echo(&sandbox.state_dir().join("extensions/echo"));
    let run = sandbox.run(["chat", "--model", "echo/echo-1", "please panic"]);
    run.code(1);
    assert!(run.stderr.contains("error: internal"), "{run}");
    assert!(run.stderr.contains("panicked in chat_stream"), "{run}");
    let ok = sandbox.run(["chat", "--model", "echo/echo-1", "hello there"]);
    assert_eq!(ok.ok(), "echo: hello there\n");
}

#[test]
fn the_overall_deadline_ends_a_stream_that_drips_forever() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::words(
            "x",
            &"drip ".repeat(1000),
            Duration::from_millis(50),
            StreamEnd::Close,
        ),
    );
    let sandbox = setup(
        &router,
        json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"idleTimeoutMs": 2000, "timeoutMs": 700}}}}}}),
    );
    let started = Instant::now();
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(
        run.stdout.starts_with("drip "),
        "output until the deadline: {run}"
    );
    assert!(run.stderr.contains("error: timeout"), "{run}");
    assert!(started.elapsed() < Duration::from_secs(20));
}
