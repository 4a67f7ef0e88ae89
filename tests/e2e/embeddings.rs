//! `host-stub embed` through the Hugging Face plugin against the mock router and Hub: the Hub's
//! inference-provider mapping chooses the upstream (pinned, preferred, else the Hub's order),
//! together's OpenAI-shaped route and hf-inference's nested arrays of each depth, batches split
//! by count and again on a "too large" answer, a model whose vectors change length, the
//! service's refusals and a loading model, and hostile answers.

use openclaw_e2e::{
    MockRouter, Reply, SENTINEL_TOKEN, Sandbox,
    mock_router::{embeddings_of, inference_mapping, paths},
};
use serde_json::{Value, json};

use crate::support::{
    assert_ours_with_the_token, json_failure, merge, no_leak, plugin_settings, pointed_at, str_of,
};

const QWEN: &str = "Qwen/Qwen3-Embedding-0.6B";
const BGE: &str = "BAAI/bge-m3";

/// A router whose Hub maps `model` to the given upstreams (all for feature-extraction).
fn mapped(model: &str, upstreams: &[(&str, &str)]) -> MockRouter {
    let router = MockRouter::start();
    let entries: Vec<(&str, &str, &str, &str)> = upstreams
        .iter()
        .map(|(upstream, status)| (*upstream, model, *status, "feature-extraction"))
        .collect();
    router.on(
        "GET",
        &paths::hub_model(model),
        inference_mapping(model, &entries),
    );
    router
}

/// A sandbox pointed at `router` for chat and the Hub, with `settings` as the plugin's.
fn sandbox(router: &MockRouter, settings: Value) -> Sandbox {
    let mut config = plugin_settings(settings);
    merge(
        &mut config,
        json!({"models": {"providers": {"huggingface": {"billTo": "acme"}}}}),
    );
    let mut sandbox = pointed_at(router, config);
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    sandbox
}

fn embed(sandbox: &Sandbox, model: &str, texts: &[&str]) -> openclaw_e2e::Run {
    let reference = format!("huggingface/{model}");
    let mut args = vec!["--json", "embed", "--model", reference.as_str()];
    args.extend_from_slice(texts);
    let run = sandbox.run(args);
    no_leak(&run);
    run
}

/// The message of a failed `--json` run.
fn failed(run: &openclaw_e2e::Run) -> String {
    str_of(&json_failure(run)["message"]).to_owned()
}

#[test]
fn the_hubs_mapping_chooses_together_and_the_answer_names_it() {
    let router = mapped(QWEN, &[("hf-inference", "error"), ("together", "live")]);
    router.on(
        "POST",
        paths::TOGETHER_EMBEDDINGS,
        Reply::echo_embeddings(64),
    );
    let sandbox = sandbox(&router, json!({}));
    let run = embed(
        &sandbox,
        QWEN,
        &["the bridge is written in Rust", "cats sleep"],
    );
    let answer = run.json();
    assert_eq!(answer["servingProvider"], "together", "{run}");
    assert_eq!(answer["dimensions"], 64);
    let vectors = answer["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 2);
    assert!(vectors.iter().all(|v| v.as_array().unwrap().len() == 64));
    let [hub] = router
        .requests_to(&paths::hub_model(QWEN))
        .try_into()
        .unwrap();
    assert!(
        hub.path.contains("inferenceProviderMapping"),
        "{}",
        hub.path
    );
    assert!(hub.carries_the_sentinel_token());
    let [sent] = router
        .requests_to(paths::TOGETHER_EMBEDDINGS)
        .try_into()
        .unwrap();
    assert_ours_with_the_token(&sent);
    assert_eq!(sent.header("x-hf-bill-to"), Some("acme"));
    assert_eq!(sent.json()["model"], QWEN);
    assert_eq!(
        sent.json()["input"],
        json!(["the bridge is written in Rust", "cats sleep"])
    );
}

#[test]
fn a_pin_or_a_preference_chooses_among_the_live_upstreams() {
    let router = mapped(BGE, &[("together", "live"), ("hf-inference", "live")]);
    let hf = paths::hf_inference_embeddings(BGE);
    router.on("POST", &hf, Reply::echo_hf_inference_embeddings(8));
    router.on(
        "POST",
        paths::TOGETHER_EMBEDDINGS,
        Reply::echo_embeddings(8),
    );
    // Pinned in the ref.
    let pinned = sandbox(&router, json!({}));
    let answer = embed(&pinned, &format!("{BGE}:hf-inference"), &["one"]).json();
    assert_eq!(answer["servingProvider"], "hf-inference");
    // Preferred in the settings.
    let preferring = sandbox(
        &router,
        json!({"embeddings": {"upstreams": ["hf-inference"]}}),
    );
    let answer = embed(&preferring, BGE, &["two"]).json();
    assert_eq!(answer["servingProvider"], "hf-inference");
    // Neither: the Hub's order.
    let plain = sandbox(&router, json!({}));
    let answer = embed(&plain, BGE, &["three"]).json();
    assert_eq!(answer["servingProvider"], "together");
    assert_eq!(router.requests_to(&hf).len(), 2);
    assert_eq!(router.requests_to(paths::TOGETHER_EMBEDDINGS).len(), 1);
}

#[test]
fn hf_inference_answers_of_depth_one_and_two_are_vectors_and_depth_three_is_refused() {
    let router = mapped(BGE, &[("hf-inference", "live")]);
    let hf = paths::hf_inference_embeddings(BGE);
    let sandbox = sandbox(&router, json!({}));
    // One text may come back as one flat vector.
    router.then("POST", &hf, Reply::json(200, "[0.5,0.25,0.125]"));
    let answer = embed(&sandbox, BGE, &["one"]).json();
    assert_eq!(answer["vectors"], json!([[0.5, 0.25, 0.125]]));
    router.then("POST", &hf, Reply::json(200, "[[0.5,0.25],[0.75,1.0]]"));
    let answer = embed(&sandbox, BGE, &["one", "two"]).json();
    assert_eq!(answer["dimensions"], 2);
    // A vector per token: not a sentence-embedding model, said so, never averaged.
    router.then(
        "POST",
        &hf,
        Reply::json(200, "[[[0.1,0.2],[0.3,0.4]],[[0.5,0.6],[0.7,0.8]]]"),
    );
    let run = embed(&sandbox, BGE, &["one", "two"]);
    assert!(
        failed(&run).contains("not a sentence-embedding model"),
        "{run}"
    );
}

#[test]
fn batches_are_split_by_count_and_again_when_the_upstream_says_too_large() {
    let router = mapped(QWEN, &[("together", "live")]);
    router.then(
        "POST",
        paths::TOGETHER_EMBEDDINGS,
        Reply::json(
            413,
            r#"{"error":{"message":"batch size is too large","type":"invalid_request_error"}}"#,
        ),
    );
    router.on(
        "POST",
        paths::TOGETHER_EMBEDDINGS,
        Reply::echo_embeddings(16),
    );
    let sandbox = sandbox(&router, json!({"embeddings": {"maxBatchSize": 2}}));
    let texts = ["a one", "b two", "c three", "d four", "e five"];
    let answer = embed(&sandbox, QWEN, &texts).json();
    let vectors = answer["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 5);
    // In order: each vector is the one the mock computes for its text.
    for (text, vector) in texts.iter().zip(vectors) {
        let expected: Value =
            serde_json::from_str(&embeddings_of(&[(*text).to_owned()], 16, true)).unwrap();
        assert_eq!(vector, &expected[0], "{text}");
    }
    let sizes: Vec<usize> = router
        .requests_to(paths::TOGETHER_EMBEDDINGS)
        .iter()
        .map(|request| request.json()["input"].as_array().unwrap().len())
        .collect();
    // 2 refused as too large, sent as 1 + 1, then 2, then 1.
    assert_eq!(sizes, [2, 1, 1, 2, 1], "{sizes:?}");
}

#[test]
fn vectors_that_change_length_within_a_run_are_an_error_not_data() {
    let router = mapped(QWEN, &[("together", "live")]);
    let two = |dimensions| {
        Reply::json(
            200,
            embeddings_of(&["x".to_owned(), "y".to_owned()], dimensions, false),
        )
    };
    router.then("POST", paths::TOGETHER_EMBEDDINGS, two(8));
    router.then("POST", paths::TOGETHER_EMBEDDINGS, two(4));
    let sandbox = sandbox(&router, json!({"embeddings": {"maxBatchSize": 2}}));
    let run = embed(&sandbox, QWEN, &["a", "b", "c", "d"]);
    let message = failed(&run);
    assert!(message.contains('8') && message.contains('4'), "{run}");
}

#[test]
fn refusals_are_typed_and_a_loading_model_is_waited_for() {
    let cases = [
        (
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
            "unauthorized",
        ),
        (
            402,
            r#"{"error":"You have exceeded your monthly included credits"}"#,
            "payment_required",
        ),
        (
            403,
            r#"{"error":"This authentication method does not have sufficient permissions"}"#,
            "forbidden",
        ),
        (404, r#"{"error":"Model not found"}"#, "model_not_found"),
    ];
    for (status, body, code) in cases {
        let router = mapped(QWEN, &[("together", "live")]);
        router.on(
            "POST",
            paths::TOGETHER_EMBEDDINGS,
            Reply::json(status, body),
        );
        let run = embed(&sandbox(&router, json!({})), QWEN, &["x"]);
        assert_eq!(json_failure(&run)["code"], code, "{status}: {run}");
        assert_eq!(
            router.requests_to(paths::TOGETHER_EMBEDDINGS).len(),
            1,
            "{status}: not retried"
        );
    }
    // 503 with an estimated loading time, then 429 with Retry-After: both waited out.
    let router = mapped(BGE, &[("hf-inference", "live")]);
    let hf = paths::hf_inference_embeddings(BGE);
    router.then(
        "POST",
        &hf,
        Reply::json(
            503,
            r#"{"error":"Model BAAI/bge-m3 is currently loading","estimated_time":0.2}"#,
        ),
    );
    router.then(
        "POST",
        &hf,
        Reply::json(429, r#"{"error":"rate limited"}"#).with_header("retry-after", "0"),
    );
    router.on("POST", &hf, Reply::echo_hf_inference_embeddings(4));
    let answer = embed(&sandbox(&router, json!({})), BGE, &["x"]).json();
    assert_eq!(answer["dimensions"], 4);
    assert_eq!(router.requests_to(&hf).len(), 3);
}

#[test]
fn hostile_answers_fail_cleanly() {
    let bodies: Vec<(&str, Reply)> = vec![
        (
            "not numbers",
            Reply::json(200, r#"{"data":[{"index":0,"embedding":["a","b"]}]}"#),
        ),
        (
            "NaN as text",
            Reply::json(200, r#"{"data":[{"index":0,"embedding":[0.1,"NaN"]}]}"#),
        ),
        (
            "out of range",
            Reply::json(200, r#"{"data":[{"index":0,"embedding":[1e400]}]}"#),
        ),
        (
            "empty vector",
            Reply::json(200, r#"{"data":[{"index":0,"embedding":[]}]}"#),
        ),
        ("too few", Reply::json(200, r#"{"data":[]}"#)),
        (
            "deep",
            Reply::json(
                200,
                format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            ),
        ),
        (
            "endless",
            Reply::Flood {
                headers: vec![("content-type".into(), "application/json".into())],
                prefix: br#"{"data":[{"index":0,"embedding":[1"#.to_vec(),
                fill: b'1',
                piece: 64 * 1024,
                total: 65 * 1024 * 1024,
            },
        ),
        ("a page", Reply::text(200, "<html>sign in</html>")),
    ];
    for (what, reply) in bodies {
        let router = mapped(QWEN, &[("together", "live")]);
        router.on("POST", paths::TOGETHER_EMBEDDINGS, reply);
        let run = embed(&sandbox(&router, json!({})), QWEN, &["x"]);
        assert!(!failed(&run).is_empty(), "{what}: {run}");
        assert!(!run.all_output().contains(SENTINEL_TOKEN));
    }
}

#[test]
fn models_list_task_embedding_lists_models_with_their_upstreams() {
    let router = MockRouter::start();
    let search = json!([
        {"id": QWEN, "inferenceProviderMapping": [
            {"provider": "together", "providerId": QWEN, "status": "live", "task": "feature-extraction"},
            {"provider": "hf-inference", "providerId": QWEN, "status": "error", "task": "feature-extraction"}]},
        {"id": BGE, "inferenceProviderMapping": [
            {"provider": "hf-inference", "providerId": BGE, "status": "live", "task": "feature-extraction"}]},
        {"id": "org/chat-only", "inferenceProviderMapping": [
            {"provider": "together", "providerId": "org/chat-only", "status": "live", "task": "conversational"}]}
    ]);
    router.on("GET", "/api/models", Reply::json(200, search.to_string()));
    let sandbox = sandbox(&router, json!({}));
    let listing = sandbox.run(["--json", "models", "list", "--task", "embedding"]);
    no_leak(&listing);
    let text = listing.ok().to_owned();
    assert!(text.contains(QWEN) && text.contains(BGE), "{listing}");
    assert!(!text.contains("org/chat-only"), "{listing}");
    let [search] = router.requests_to("/api/models").try_into().unwrap();
    assert!(
        search.path.contains("pipeline_tag=feature-extraction"),
        "{}",
        search.path
    );
    assert!(
        search.path.contains("inference_provider=all"),
        "{}",
        search.path
    );
}
