//! Each operation of a one-shot run: `info`, `catalog` (live and static), `resolve`, `chat`
//! (streamed as JSON lines, tool calls, provider errors) and `embed`.

use std::time::Duration;

use openclaw_e2e::{MockRouter, Reply, Sandbox, StreamEnd, fixture, library_file, stage_echo};
use serde_json::{Value, json};

use crate::support::{
    CHAT, MODELS, assert_ours_with_the_token,
    bridge::{KEY, call, folder, folder_of},
    captured_text, chat_request, chat_router, r1_excerpt, serve_models, text_of,
};

#[test]
fn info_describes_the_plugin_in_its_folder() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let answer = call(&dir, &[], &["info"], None);
    assert_eq!(answer.code, Some(0), "{answer}");
    assert_eq!(answer.last()["type"], "done");
    let info = &answer.last()["result"];
    assert_eq!(info["id"], "huggingface");
    assert_eq!(info["defaultModel"], "huggingface/deepseek-ai/DeepSeek-R1");
    // The JS entry registers the default the generated manifest carries: the library's.
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("openclaw.plugin.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["native"]["defaultModel"], info["defaultModel"]);
    assert_eq!(info["authMethods"][0]["cliFlag"], "--huggingface-api-key");
    assert_eq!(
        info["library"],
        dir.join(library_file("openclaw_huggingface"))
            .display()
            .to_string()
    );
}

#[test]
fn catalog_fetches_the_live_list_in_openclaws_shape() {
    let router = MockRouter::start();
    serve_models(&router, 130);
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let answer = call(
        &dir,
        &KEY,
        &["catalog", "--base-url", &router.base_url()],
        None,
    );
    assert_eq!(answer.code, Some(0), "{answer}");
    let catalog = &answer.last()["result"];
    assert_eq!(catalog["source"], "live");
    let provider = &catalog["provider"];
    assert_eq!(provider["baseUrl"], router.base_url());
    assert_eq!(provider["api"], "openai-completions");
    let models = provider["models"].as_array().unwrap();
    assert!(models.len() > 100, "{}", models.len());
    let first = models[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "contextWindow",
            "cost",
            "id",
            "input",
            "maxTokens",
            "name",
            "reasoning"
        ]
    );
    let requests = router.requests_to(MODELS);
    assert_eq!(requests.len(), 1);
    assert_ours_with_the_token(&requests[0]);

    // Static: the built-in list, no credential, no request.
    let built_in = call(&dir, &[], &["catalog", "--mode", "static"], None);
    assert_eq!(built_in.code, Some(0), "{built_in}");
    assert_eq!(built_in.last()["result"]["source"], "built-in");
    assert_eq!(
        built_in.last()["result"]["provider"]["models"]
            .as_array()
            .unwrap()
            .len(),
        11
    );
    assert_eq!(router.requests_to(MODELS).len(), 1);
}

#[test]
fn resolve_answers_for_any_router_id() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let known = call(
        &dir,
        &[],
        &["resolve", "huggingface/zai-org/GLM-4.7:cheapest"],
        None,
    );
    assert_eq!(known.code, Some(0), "{known}");
    let model = &known.last()["result"];
    assert_eq!(model["wireModelId"], "zai-org/GLM-4.7:cheapest");
    assert_eq!(model["policy"], "cheapest");
    assert_eq!(model["known"], true);
    assert_eq!(model["model"]["contextWindow"], 202752);

    let unknown = call(
        &dir,
        &[],
        &["resolve", "huggingface/acme/new-model-9b"],
        None,
    );
    assert_eq!(unknown.code, Some(0), "{unknown}");
    let unknown = &unknown.last()["result"];
    assert_eq!(unknown["known"], false);
    assert_eq!(unknown["model"]["id"], "acme/new-model-9b");
    assert!(!unknown["warnings"].as_array().unwrap().is_empty());

    let bad = call(&dir, &[], &["resolve", "huggingface/"], None);
    assert_eq!(bad.code, Some(1), "{bad}");
    assert_eq!(bad.last()["code"], "invalid_request");
}

#[test]
fn chat_streams_json_lines_as_events_arrive() {
    let router = chat_router(r1_excerpt(97));
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let answer = call(
        &dir,
        &KEY,
        &["chat", "--base-url", &router.base_url()],
        Some(&chat_request("huggingface/deepseek-ai/DeepSeek-R1", "hi")),
    );
    assert_eq!(answer.code, Some(0), "{answer}");
    let kinds: Vec<&str> = answer
        .lines
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    // The excerpt is all thinking: it comes as reasoning, then done.
    assert_eq!(kinds[0], "servingProvider");
    assert!(
        kinds[1..kinds.len() - 1].iter().all(|k| *k == "reasoning"),
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"done"));
    assert_eq!(answer.last()["result"]["model"], "deepseek-ai/DeepSeek-R1");

    // A whole answer: text deltas that add up to the captured text, then usage.
    let body = fixture("chat.stream.together.sse");
    router.on("POST", CHAT, Reply::sse_bytes("together", &body, 61));
    let answer = call(
        &dir,
        &KEY,
        &["chat", "--base-url", &router.base_url()],
        Some(&chat_request(
            "huggingface/meta-llama/Llama-3.3-70B-Instruct",
            "hi",
        )),
    );
    assert_eq!(answer.code, Some(0), "{answer}");
    let text = text_of(&answer.lines);
    let captured = captured_text(&body);
    assert!(!text.is_empty());
    assert_eq!(text, captured);
    let done = answer.last();
    assert_eq!(done["type"], "done");
    assert!(
        done["result"]["usage"]["completionTokens"]
            .as_u64()
            .is_some(),
        "{done}"
    );
    let request = &router.requests_to(CHAT)[0];
    assert_eq!(request.json()["model"], "deepseek-ai/DeepSeek-R1");
    assert!(request.sent_by_our_plugin(), "{:?}", request.headers);
}

#[test]
fn chat_tool_calls_and_provider_errors() {
    let router = chat_router(Reply::sse(
        "together",
        &[
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
        ],
        Duration::ZERO,
        StreamEnd::Close,
    ));
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let tools = json!({
        "model": "huggingface/Qwen/Qwen3-32B",
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    });
    let answer = call(
        &dir,
        &KEY,
        &["chat", "--base-url", &router.base_url()],
        Some(&tools.to_string()),
    );
    assert_eq!(answer.code, Some(0), "{answer}");
    let calls: Vec<&Value> = answer
        .lines
        .iter()
        .filter(|l| l["type"] == "toolCall")
        .collect();
    assert_eq!(calls[0]["name"], "get_weather");
    assert_eq!(calls[0]["id"], "call_1");
    let done = answer.last();
    assert_eq!(done["result"]["finishReason"], "tool_calls");
    assert_eq!(
        done["result"]["toolCalls"][0]["arguments"],
        r#"{"city":"Paris"}"#
    );

    router.on(
        "POST",
        CHAT,
        Reply::json(
            402,
            r#"{"error":"You have exceeded your monthly included credits for Inference Providers."}"#,
        ),
    );
    let broke = call(
        &dir,
        &KEY,
        &["chat", "--base-url", &router.base_url()],
        Some(&chat_request("huggingface/Qwen/Qwen3-32B", "hi")),
    );
    assert_eq!(broke.code, Some(1), "{broke}");
    let error = broke.last();
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "payment_required");
    assert_eq!(error["httpStatus"], 402);
    assert!(
        error["message"].as_str().unwrap().contains("credits"),
        "{error}"
    );
}

#[test]
fn embed_answers_one_vector_per_text_from_a_plugin_that_serves_embeddings() {
    let sandbox = Sandbox::new();
    let echo = folder_of(&sandbox.root().join("echo"), stage_echo);
    let request = json!({"model": "echo/echo-1", "input": ["aei 12", "xyz!"]}).to_string();
    let answer = call(&echo, &KEY, &["embed"], Some(&request));
    assert_eq!(answer.code, Some(0), "{answer}");
    let result = &answer.last()["result"];
    assert_eq!(result["dimensions"], 4);
    assert_eq!(result["servingProvider"], "echo");
    assert_eq!(
        result["vectors"],
        json!([[3.0, 0.0, 2.0, 1.0], [0.0, 3.0, 0.0, 1.0]])
    );
    // No texts: the plan, which model and upstream would serve them.
    let plan = call(
        &echo,
        &KEY,
        &["embed"],
        Some(r#"{"model":"echo/echo-1","input":[]}"#),
    );
    assert_eq!(plan.code, Some(0), "{plan}");
    assert_eq!(plan.last()["result"]["vectors"], json!([]));
    assert_eq!(plan.last()["result"]["servingProvider"], "echo");
    let nameless = call(
        &echo,
        &KEY,
        &["embed"],
        Some(r#"{"model":" ","input":["x"]}"#),
    );
    assert_eq!(nameless.code, Some(2), "{nameless}");
    assert_eq!(nameless.last()["code"], "invalid_request");
}
