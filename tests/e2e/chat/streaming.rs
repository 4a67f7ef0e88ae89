//! What a chat sends and shows: the request the router expects, every captured provider stream
//! replayed in any piece size, reasoning kept out of the answer, tool calls as JSON lines, a
//! one-shot answer normalised, the prompt from stdin, the model chosen by the configured primary
//! or an alias, an unknown model sent with a warning.

use std::time::Duration;

use openclaw_e2e::{Reply, StreamEnd, fixture};
use serde_json::json;

use super::chat;
use crate::support::{
    CHAT, captured_text, chat_router, json_lines, pointed_at, r1_excerpt, stream_of,
};

#[test]
fn streams_the_answer_and_sends_what_the_router_expects() {
    let router = chat_router(stream_of("Hello from the mock router.", "together"));
    let sandbox = pointed_at(
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
            let router = chat_router(Reply::sse_bytes(provider, &body, piece));
            let sandbox = pointed_at(&router, json!({}));
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
    let router = chat_router(r1_excerpt(3));
    let sandbox = pointed_at(&router, json!({}));
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
    let router = chat_router(Reply::sse(
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
    ));
    let sandbox = pointed_at(&router, json!({}));
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
    let router = chat_router(
        Reply::json(
            200,
            fixture("chat.nonstream.together.deepseek-r1.think-in-content.json"),
        )
        .with_header("x-inference-provider", "together"),
    );
    let sandbox = pointed_at(&router, json!({}));
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
    let router = chat_router(stream_of("ok", "groq"));
    let sandbox = pointed_at(&router, json!({}));
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
    let router = chat_router(stream_of("primary answer", "together"));
    let sandbox = pointed_at(
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
    let router = chat_router(stream_of("fine", "novita"));
    let sandbox = pointed_at(&router, json!({}));
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
