//! Real OpenClaw using what the plugin serves beyond a single chat, against the mock router and
//! Hub: memory search on our embedding provider (`memory index`, `memory search`, `infer
//! embedding create`), the account's spend in `status --usage`, a conversation whose second turn
//! asks for the upstream that served the first, with the chosen thinking level and the turn
//! priced, and every setting the plugin's schema documents accepted by `openclaw config set` —
//! and each bound refused one past it.

use openclaw_e2e::{
    MockRouter, Reply, StreamEnd,
    mock_router::{billing_usage, inference_mapping, paths},
    openclaw::Home,
    workspace_root,
};
use serde_json::{Value, json};

use crate::support::openclaw::{first_json, home_for, json_of, ok};

const QWEN: &str = "Qwen/Qwen3-Embedding-0.6B";

fn set(home: &Home, key: &str, value: &str) {
    ok(home.run(["config", "set", key, value]));
}

#[test]
fn memory_search_runs_on_our_embedding_provider() {
    let router = MockRouter::start();
    router.on(
        "GET",
        &paths::hub_model(QWEN),
        inference_mapping(QWEN, &[("together", QWEN, "live", "feature-extraction")]),
    );
    router.on(
        "POST",
        paths::TOGETHER_EMBEDDINGS,
        Reply::echo_embeddings(64),
    );
    let scratch = tempfile::tempdir().unwrap();
    let home = home_for(&router, scratch.path());
    set(&home, "memory.search.provider", "huggingface");
    set(&home, "memory.search.model", &format!("huggingface/{QWEN}"));
    let notes = home.state_dir().join("workspace/memory");
    std::fs::create_dir_all(&notes).unwrap();
    for (name, text) in [
        (
            "cats.md",
            "# Cats\n\nMy cat Miso sleeps on the blue sofa every afternoon.\n",
        ),
        (
            "bridge.md",
            "# Bridge\n\nThe bridge is written in Rust and speaks JSON lines.\n",
        ),
        (
            "garden.md",
            "# Garden\n\nTomatoes and basil grow by the south wall in summer.\n",
        ),
    ] {
        std::fs::write(notes.join(name), text).unwrap();
    }
    let index = ok(home.run(["memory", "index", "--force", "--verbose"]));
    assert!(index.stdout.contains("Provider: huggingface"), "{index}");
    let search = ok(home.run(["memory", "search", "where does my cat sleep", "--json"]));
    let results = json_of(&search)["results"].clone();
    assert_eq!(results[0]["path"], "memory/cats.md", "{search}");
    let create = ok(home.run([
        "infer",
        "embedding",
        "create",
        "--provider",
        "huggingface",
        "--model",
        &format!("huggingface/{QWEN}"),
        "--text",
        "hello",
        "--json",
    ]));
    let created = first_json(&create);
    assert_eq!(created["provider"], "huggingface", "{create}");
    assert_eq!(
        created["outputs"][0]["embedding"].as_array().unwrap().len(),
        64
    );
    // Every vector came through our plugin, with the user's token.
    let sent = router.requests_to(paths::TOGETHER_EMBEDDINGS);
    assert!(sent.len() >= 3, "{}", sent.len());
    assert!(
        sent.iter()
            .all(|r| r.sent_by_our_plugin() && r.carries_the_sentinel_token())
    );
}

#[test]
fn status_usage_shows_the_months_spend_and_a_missing_permission_as_one_line() {
    let router = MockRouter::start();
    router.then(
        "GET",
        paths::BILLING_USAGE,
        billing_usage(2_345_000_000, 2_000_000_000, 10_000_000_000, 1234),
    );
    router.on(
        "GET",
        paths::BILLING_USAGE,
        Reply::json(403, r#"{"error":"Forbidden"}"#),
    );
    let scratch = tempfile::tempdir().unwrap();
    let home = home_for(&router, scratch.path());
    // No gateway to probe: the probe would spend the status's whole time budget.
    set(&home, "gateway.mode", "remote");
    let status = ok(home.run(["status", "--usage", "--json", "--timeout", "60000"]));
    let ours = json_of(&status)["usage"]["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "huggingface")
        .cloned()
        .unwrap_or_else(|| panic!("no huggingface usage:\n{status}"));
    assert_eq!(ours["displayName"], "Hugging Face");
    let billing = ours["billing"].as_array().unwrap();
    assert_eq!(billing[0]["type"], "spend");
    assert_eq!(billing[0]["amount"], 0.345);
    assert_eq!(billing[1]["type"], "budget");
    assert_eq!(billing[1]["limit"], 10.0);
    assert_eq!(ours["summary"], "$2.35 used, $2.00 included, 1234 requests");
    let refused = ok(home.run(["status", "--usage", "--timeout", "60000"]));
    assert!(
        refused
            .stdout
            .contains("Hugging Face: token lacks billing read permission"),
        "{refused}"
    );
    assert!(
        router
            .requests_to(paths::BILLING_USAGE)
            .iter()
            .all(|r| r.sent_by_our_plugin())
    );
}

#[test]
fn a_conversation_keeps_its_upstream_its_thinking_level_and_a_priced_turn() {
    let router = MockRouter::start();
    router.on(
        "POST",
        paths::CHAT,
        Reply::words(
            "together",
            "Hello there",
            std::time::Duration::ZERO,
            StreamEnd::Close,
        ),
    );
    let scratch = tempfile::tempdir().unwrap();
    let home = home_for(&router, scratch.path());
    let turn = |message: &str| {
        ok(home.run([
            "agent",
            "--local",
            "--session-id",
            "conversation-1",
            "--message",
            message,
            "--model",
            "huggingface/zai-org/GLM-4.7",
            "--thinking",
            "high",
            "--json",
        ]))
    };
    let first = turn("hi");
    turn("and again");
    let sent: Vec<Value> = router
        .requests_to(paths::CHAT)
        .iter()
        .map(|r| r.json())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0]["model"], "zai-org/GLM-4.7");
    assert_eq!(
        sent[1]["model"], "zai-org/GLM-4.7:together",
        "{:?}",
        sent[1]
    );
    assert!(sent.iter().all(|body| body["reasoning_effort"] == "high"));
    // The turn's cost is recorded (the model row's price: no catalog in this process).
    let cost = first_json(&first)["meta"]["agentMeta"]["costUsd"].clone();
    assert!(cost.as_f64().is_some_and(|c| c > 0.0), "{first}");
}

#[test]
fn every_documented_setting_is_accepted_by_openclaw_and_each_bound_holds() {
    let router = MockRouter::start();
    let scratch = tempfile::tempdir().unwrap();
    let home = home_for(&router, scratch.path());
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("plugin/src/config_schema.json")).unwrap(),
    )
    .unwrap();
    let mut leaves = Vec::new();
    collect_leaves(&schema, "", &mut leaves);
    assert!(leaves.len() >= 15, "{leaves:?}");
    // Every setting at its largest (or a valid) value, in one batch that must validate.
    let operations: Vec<Value> = leaves
        .iter()
        .map(|(path, node)| {
            json!({"path": format!("plugins.entries.huggingface.config.{path}"), "value": valid_value(node)})
        })
        .collect();
    let batch = serde_json::to_string(&operations).unwrap();
    ok(home.run(["config", "set", "--batch-json", &batch, "--dry-run"]));
    // Each bound refused one past it, every setting named in the refusal: a few to a batch
    // (OpenClaw lists only the first several problems of one).
    let past: Vec<(String, u64)> = leaves
        .iter()
        .filter_map(|(path, node)| Some((path.clone(), node["maximum"].as_u64()? + 1)))
        .collect();
    assert!(past.len() >= 10, "{past:?}");
    for group in past.chunks(5) {
        let operations: Vec<Value> = group
            .iter()
            .map(|(path, value)| {
                json!({"path": format!("plugins.entries.huggingface.config.{path}"), "value": value})
            })
            .collect();
        let batch = serde_json::to_string(&operations).unwrap();
        let refused = home.run(["config", "set", "--batch-json", &batch, "--dry-run"]);
        assert_eq!(refused.code, Some(1), "{refused}");
        let said = refused.all_output();
        for (path, value) in group {
            let line = format!(
                "plugins.entries.huggingface.config.{path}: invalid config: must be <= {}",
                value - 1
            );
            assert!(said.contains(&line), "{line}\n{refused}");
        }
    }
    // And a key the schema does not have.
    let unknown = home.run([
        "config",
        "set",
        "--batch-json",
        r#"[{"path":"plugins.entries.huggingface.config.bridge.nope","value":1}]"#,
        "--dry-run",
    ]);
    assert_eq!(unknown.code, Some(1), "{unknown}");
}

/// The schema's settings: each leaf's dotted path and schema node.
fn collect_leaves(node: &Value, prefix: &str, leaves: &mut Vec<(String, Value)>) {
    match node["properties"].as_object() {
        Some(properties) if node["type"] == "object" => {
            for (name, child) in properties {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                collect_leaves(child, &path, leaves);
            }
        }
        _ => leaves.push((prefix.to_owned(), node.clone())),
    }
}

/// A value the node accepts: its largest for a bounded number, else one of its kind.
fn valid_value(node: &Value) -> Value {
    if let Some(first) = node["enum"].as_array().and_then(|values| values.last()) {
        return first.clone();
    }
    match node["type"].as_str() {
        Some("integer") | Some("number") => node["maximum"].clone(),
        Some("boolean") => json!(false),
        Some("array") => json!(["together"]),
        _ => json!("http://127.0.0.1:9/v1"),
    }
}
