//! `models list`: the built-in catalog until a refresh, the live one after it (persisted, shown
//! without a request), when no request is made, rows of the wrong shape, a broken `models.json`,
//! configured entries and aliases kept through every refresh.

use std::os::unix::fs::PermissionsExt;

use openclaw_e2e::{SENTINEL_TOKEN, Sandbox};
use serde_json::{Value, json};

use super::{ids, models_json};
use crate::support::{
    MODELS, assert_no_secret, installed_hf, listing_router, models_list, models_router, pointed_at,
    router_config, str_of,
};

#[test]
fn offline_without_a_token_shows_the_built_in_catalog_and_says_why() {
    let sandbox = installed_hf();
    let run = sandbox.run(["models", "list"]);
    let text = run.ok();
    assert!(
        text.contains("11 models (built-in catalog: not refreshed yet"),
        "{run}"
    );
    assert!(text.contains("huggingface/deepseek-ai/DeepSeek-R1"));
    assert!(text.contains("DeepSeek R1"));

    let refresh = sandbox.run(["models", "list", "--refresh"]);
    assert!(
        refresh
            .stderr
            .contains("huggingface: skipped: no credential"),
        "{refresh}"
    );
    assert!(refresh.ok().contains("huggingface/moonshotai/Kimi-K2.5"));
}

#[test]
fn refresh_fetches_the_live_catalog_with_bearer_auth_and_our_user_agent() {
    let router = models_router(130);
    let sandbox = pointed_at(&router, json!({}));

    let run = sandbox.run(["models", "list", "--provider", "huggingface", "--refresh"]);
    assert!(run.ok().contains("org-0/Model-0"), "{run}");
    assert!(
        run.stderr.contains("huggingface: ready, 130 models"),
        "{run}"
    );
    assert_no_secret(&run.all_output(), &[SENTINEL_TOKEN]);

    let requests = router.requests_to(MODELS);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert!(
        request.carries_the_sentinel_token(),
        "{:?}",
        request.headers
    );
    let user_agent = request.header("user-agent").unwrap();
    assert!(
        user_agent.starts_with("openclaw-huggingface/0.1.0") && user_agent.contains("host-stub/"),
        "{user_agent}"
    );

    // Persisted atomically with mode 0600, without the token; shown again without a refresh.
    let path = models_json(&sandbox);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_no_secret(&std::fs::read_to_string(&path).unwrap(), &[SENTINEL_TOKEN]);
    let persisted = models_list(&sandbox, false);
    assert_eq!(persisted["origin"]["kind"], "persisted");
    assert_eq!(persisted["origin"]["source"], "live");
    assert_eq!(ids(&persisted).len(), 130);
    let first = &persisted["models"][0];
    assert_eq!(
        first["ref"],
        format!("huggingface/{}", first["id"].as_str().unwrap())
    );
    assert!(!first["providers"].as_array().unwrap().is_empty());
    assert_eq!(
        router.requests_to(MODELS).len(),
        1,
        "no request without --refresh"
    );
}

#[test]
fn no_credential_means_no_request() {
    let router = models_router(3);
    let sandbox = installed_hf();
    sandbox.write_config(&router_config(&router, json!({})));
    let provider = models_list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "skipped");
    assert_eq!(provider["origin"]["kind"], "built-in");
    assert_eq!(ids(&provider).len(), 11);
    assert!(router.requests().is_empty());
}

#[test]
fn discovery_can_be_switched_off_without_disabling_the_provider() {
    let router = models_router(3);
    let sandbox = pointed_at(&router, json!({}));
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}},
        "plugins": {"entries": {"huggingface": {"config": {"discovery": {"enabled": false}}}}}
    }));
    let provider = models_list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "skipped");
    assert!(str_of(&provider["outcome"]["reason"]).contains("discovery is disabled"));
    assert_eq!(ids(&provider).len(), 11);
    assert!(router.requests().is_empty());
}

#[test]
fn offline_mode_sends_nothing() {
    let router = models_router(3);
    let mut sandbox = pointed_at(&router, json!({}));
    sandbox.set_env("HF_HUB_OFFLINE", "1");
    let provider = models_list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "unavailable");
    assert_eq!(provider["outcome"]["code"], "offline");
    assert!(router.requests().is_empty());
}

#[test]
fn an_empty_live_list_stays_empty() {
    let router = listing_router(r#"{"object":"list","data":[]}"#);
    let sandbox = pointed_at(&router, json!({}));
    let provider = models_list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "ready");
    assert_eq!(provider["outcome"]["models"], 0);
    assert!(ids(&provider).is_empty());
}

#[test]
fn rows_of_the_wrong_shape_are_skipped_and_the_rest_kept() {
    let router = listing_router(
        r#"{"data":[5, {"id": 7}, {"id": "  good/one  ", "providers": [{"provider":"p","status":"live","context_length":"x"}]},
                {"id": "good/one"}, {"id": "good/two", "architecture": {"input_modalities": ["image"]}}]}"#,
    );
    let sandbox = pointed_at(&router, json!({}));
    let provider = models_list(&sandbox, true);
    assert_eq!(ids(&provider), ["good/one", "good/two"]);
    assert_eq!(provider["models"][0]["contextWindow"], 131072);
    assert_eq!(provider["models"][1]["input"], json!(["text", "image"]));
}

#[test]
fn a_broken_models_json_is_reported_then_moved_aside_not_lost() {
    let router = models_router(4);
    let sandbox = pointed_at(&router, json!({}));
    std::fs::create_dir_all(sandbox.agent_dir()).unwrap();
    std::fs::write(models_json(&sandbox), "{ \"providers\": ").unwrap();

    let shown = models_list(&sandbox, false);
    assert_eq!(shown["origin"]["kind"], "built-in");
    assert!(str_of(&shown["warnings"][0]).contains("not valid JSON"));
    assert_eq!(
        std::fs::read_to_string(models_json(&sandbox)).unwrap(),
        "{ \"providers\": "
    );

    let refreshed = models_list(&sandbox, true);
    assert_eq!(refreshed["outcome"]["status"], "ready");
    let aside: Vec<_> = std::fs::read_dir(sandbox.agent_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("broken"))
        .collect();
    assert_eq!(aside.len(), 1, "the broken file is kept aside");
    assert_eq!(
        std::fs::read_to_string(aside[0].path()).unwrap(),
        "{ \"providers\": "
    );
    let warnings = refreshed["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("moved to")),
        "{warnings:?}"
    );
}

#[test]
fn configured_entries_and_aliases_survive_every_refresh() {
    let router = listing_router(
        r#"{"data":[{"id":"deepseek-ai/DeepSeek-R1","providers":[{"provider":"together","status":"live","context_length":64000,"throughput":50,"pricing":{"input":3,"output":7}},{"provider":"cheapco","status":"live","context_length":32000,"throughput":10,"pricing":{"input":0.5,"output":1}}]},
                        {"id":"Qwen/Qwen3-8B"}]}"#,
    );
    let sandbox = pointed_at(&router, json!({}));
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {
            "baseUrl": router.base_url(),
            "models": [
                {"id": "Qwen/Qwen3-8B", "name": "My Qwen", "temperature": 0.3},
                {"id": "deepseek-ai/DeepSeek-R1:cheapest", "alias": "r1-cheap"},
                {"id": "someone/private-model", "maxTokens": 1234}
            ]
        }}},
        "agents": {"defaults": {"models": {"huggingface/deepseek-ai/DeepSeek-R1": {"alias": "DeepSeek R1 (fast)"}}}}
    }));
    for _ in 0..2 {
        let provider = models_list(&sandbox, true);
        assert_eq!(provider["outcome"]["status"], "ready");
        assert_eq!(
            ids(&provider),
            [
                "deepseek-ai/DeepSeek-R1",
                "Qwen/Qwen3-8B",
                "deepseek-ai/DeepSeek-R1:cheapest",
                "someone/private-model"
            ]
        );
        let models = provider["models"].as_array().unwrap();
        assert_eq!(models[0]["displayName"], "DeepSeek R1 (fast)");
        assert_eq!(
            models[0]["name"], "DeepSeek R1",
            "built-in name kept for a live row"
        );
        assert_eq!(models[0]["contextWindow"], 32000);
        assert_eq!(models[1]["name"], "My Qwen");
        assert_eq!(models[1]["temperature"], 0.3);
        // The policy variant carries the cheapest upstream's metadata.
        assert_eq!(models[2]["alias"], "r1-cheap");
        assert_eq!(models[2]["contextWindow"], 32000);
        assert_eq!(models[2]["cost"]["output"], 1.0);
        assert_eq!(models[2]["source"], "configured");
        assert_eq!(models[3]["maxTokens"], 1234);
    }
    // A hand edit to models.json survives the next refresh too.
    let path = models_json(&sandbox);
    let mut document: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    document["providers"]["huggingface"]["models"][0]["name"] = "Edited by hand".into();
    std::fs::write(&path, serde_json::to_string(&document).unwrap()).unwrap();
    let provider = models_list(&sandbox, true);
    assert_eq!(provider["models"][0]["name"], "Edited by hand");
    let text = sandbox.run(["models", "list"]).ok().to_owned();
    assert!(
        text.contains("DeepSeek R1 (fast)"),
        "the config alias wins for display:\n{text}"
    );
}

#[test]
fn a_broken_config_is_an_error_with_its_position() {
    let sandbox = Sandbox::new();
    sandbox.write_config_text("{\n models: {\n  providers: [,\n}");
    let run = sandbox.run(["models", "list"]);
    run.code(1);
    assert!(run.stderr.contains("line 3"), "{run}");
}
