//! What Hugging Face users actually hit, and the exact advice each gets, through `host-stub` and
//! the provider bridge against the mock router: 403s told apart, 402 in today's billing words,
//! "did you mean" for unknown model ids ([`errors`]); capability routing of `tools` and
//! `response_format`, the one unpinned resend when the pinned upstream is refused, unsupported
//! parameters ([`capability_routing`]). No token appears in any output.

mod capability_routing;
mod errors;

use openclaw_e2e::{MockRouter, Reply, Run, SENTINEL_TOKEN, Sandbox};
use serde_json::{Value, json};

use crate::support::GLM;
use crate::support::{
    MODELS, assert_no_secret, chat_settings, json_lines, merge, notices_in, pointed_at,
};

const QWEN: &str = "Qwen/Qwen2.5-72B-Instruct";

const TOOLS: &str =
    r#"[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]"#;

/// A sandbox pointed at `router` with the token in the environment and no retries, plus `extra`.
fn host_pointed_at(router: &MockRouter, extra: Value) -> Sandbox {
    let mut config = chat_settings(json!({"maxRetries": 0}));
    merge(&mut config, extra);
    pointed_at(router, config)
}

/// `host-stub chat --json args…`; the token may appear in none of its output.
fn chat(sandbox: &Sandbox, args: &[&str]) -> Run {
    let mut all = vec!["chat", "--json"];
    all.extend_from_slice(args);
    let run = sandbox.run(&all);
    assert_no_secret(&run.all_output(), &[SENTINEL_TOKEN]);
    run
}

/// The notices of a `chat --json`.
fn notices_of(run: &Run) -> Vec<String> {
    notices_in(&json_lines(run))
}

/// The router's model list: Qwen's default (fastest) upstream takes neither tools nor
/// structured output; novita takes tools only, together both; one upstream fails its checks.
/// GLM's upstreams all take tools.
fn catalog_body() -> Vec<u8> {
    let upstream = |name: &str, tps: f64, tools: bool, structured: bool, status: &str| {
        json!({"provider": name, "status": status, "context_length": 131072,
               "pricing": {"input": 0.5, "output": tps / 100.0},
               "supports_tools": tools, "supports_structured_output": structured,
               "throughput": tps, "first_token_latency_ms": 300, "is_model_author": false})
    };
    json!({"object": "list", "data": [
        {"id": QWEN, "object": "model", "architecture": {"input_modalities": ["text"]},
         "providers": [
            upstream("deepinfra", 120.0, false, false, "live"),
            upstream("together", 80.0, true, true, "live"),
            upstream("novita", 95.0, true, false, "live"),
            upstream("broken", 500.0, true, true, "error"),
         ]},
        {"id": GLM, "object": "model", "architecture": {"input_modalities": ["text"]},
         "providers": [upstream("novita", 60.0, true, true, "live"), upstream("zai-org", 40.0, true, true, "live")]},
    ]})
    .to_string()
    .into_bytes()
}

fn unavailable(provider: &str) -> Reply {
    let sentence = format!("The requested provider '{provider}' is not available.");
    Reply::json(403, json!({ "error": sentence }).to_string())
        .with_header("x-error-message", &sentence)
}

/// `models list --refresh`, so `models.json` knows every upstream.
fn refresh(sandbox: &Sandbox, router: &MockRouter) {
    router.then("GET", MODELS, Reply::json(200, catalog_body()));
    sandbox.run(["models", "list", "--refresh", "--json"]).ok();
}

fn routed_notice(upstream: &str, capability: &str, field: &str) -> String {
    format!(
        "{field}: not every upstream of {QWEN} supports {capability}, so the request goes to \
         {upstream} ({QWEN}:{upstream}, the fastest that does); set \
         plugins.entries.huggingface.config.chat.capabilityRouting to false to let the router \
         choose"
    )
}
