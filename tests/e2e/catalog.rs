//! The model catalog end to end: `host-stub models list`, `gateway run` and `auth status`,
//! driving the real Hugging Face plugin against the loopback mock router.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{os::unix::fs::PermissionsExt, time::Duration};

use openclaw_e2e::{MockRouter, Reply, SENTINEL_TOKEN, Sandbox, models_body, stage_hf};
use serde_json::{Value, json};

/// A sandbox with the plugin installed, a config pointing the provider at `router`, and the
/// sentinel token in `HF_TOKEN`.
fn setup(router: &MockRouter) -> Sandbox {
    let mut sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}
    }));
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    sandbox
}

fn list(sandbox: &Sandbox, refresh: bool) -> Value {
    let mut args = vec!["models", "list", "--provider", "huggingface", "--json"];
    if refresh {
        args.push("--refresh");
    }
    let run = sandbox.run(&args);
    assert_no_leak(&run.all_output());
    run.json()["providers"][0].clone()
}

fn ids(provider: &Value) -> Vec<String> {
    provider["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

fn models_json(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.agent_dir().join("models.json")
}

fn assert_no_leak(text: &str) {
    assert!(
        !text.contains(SENTINEL_TOKEN),
        "the token leaked into output:\n{text}"
    );
}

fn serve_models(router: &MockRouter, count: usize) {
    router.on("GET", "/v1/models", Reply::json(200, models_body(count)));
}

#[test]
fn offline_without_a_token_shows_the_built_in_catalog_and_says_why() {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
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
    let router = MockRouter::start();
    serve_models(&router, 130);
    let sandbox = setup(&router);

    let run = sandbox.run(["models", "list", "--provider", "huggingface", "--refresh"]);
    assert!(run.ok().contains("org-0/Model-0"), "{run}");
    assert!(
        run.stderr.contains("huggingface: ready, 130 models"),
        "{run}"
    );
    assert_no_leak(&run.all_output());

    let requests = router.requests_to("/v1/models");
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
    assert_no_leak(&std::fs::read_to_string(&path).unwrap());
    let persisted = list(&sandbox, false);
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
        router.requests_to("/v1/models").len(),
        1,
        "no request without --refresh"
    );
}

#[test]
fn no_credential_means_no_request() {
    let router = MockRouter::start();
    serve_models(&router, 3);
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(
        &json!({"models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}}),
    );
    let provider = list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "skipped");
    assert_eq!(provider["origin"]["kind"], "built-in");
    assert_eq!(ids(&provider).len(), 11);
    assert!(router.requests().is_empty());
}

#[test]
fn discovery_can_be_switched_off_without_disabling_the_provider() {
    let router = MockRouter::start();
    serve_models(&router, 3);
    let sandbox = setup(&router);
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}},
        "plugins": {"entries": {"huggingface": {"config": {"discovery": {"enabled": false}}}}}
    }));
    let provider = list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "skipped");
    assert!(
        provider["outcome"]["reason"]
            .as_str()
            .unwrap()
            .contains("discovery is disabled")
    );
    assert_eq!(ids(&provider).len(), 11);
    assert!(router.requests().is_empty());
}

#[test]
fn offline_mode_sends_nothing() {
    let router = MockRouter::start();
    serve_models(&router, 3);
    let mut sandbox = setup(&router);
    sandbox.set_env("HF_HUB_OFFLINE", "1");
    let provider = list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "unavailable");
    assert_eq!(provider["outcome"]["code"], "offline");
    assert!(router.requests().is_empty());
}

#[test]
fn an_empty_live_list_stays_empty() {
    let router = MockRouter::start();
    router.on(
        "GET",
        "/v1/models",
        Reply::json(200, r#"{"object":"list","data":[]}"#),
    );
    let sandbox = setup(&router);
    let provider = list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "ready");
    assert_eq!(provider["outcome"]["models"], 0);
    assert!(ids(&provider).is_empty());
}

#[test]
fn rows_of_the_wrong_shape_are_skipped_and_the_rest_kept() {
    let router = MockRouter::start();
    router.on(
        "GET",
        "/v1/models",
        Reply::json(
            200,
            r#"{"data":[5, {"id": 7}, {"id": "  good/one  ", "providers": [{"provider":"p","status":"live","context_length":"x"}]},
                {"id": "good/one"}, {"id": "good/two", "architecture": {"input_modalities": ["image"]}}]}"#,
        ),
    );
    let sandbox = setup(&router);
    let provider = list(&sandbox, true);
    assert_eq!(ids(&provider), ["good/one", "good/two"]);
    assert_eq!(provider["models"][0]["contextWindow"], 131072);
    assert_eq!(provider["models"][1]["input"], json!(["text", "image"]));
}

/// A failing refresh after a good one: the outcome says what failed, models.json is untouched,
/// and the last good catalog is what is shown.
fn assert_failure_keeps_the_last_good_catalog(
    reply: Reply,
    config_extra: Value,
    status: &str,
    code: &str,
    message_part: &str,
) {
    let router = MockRouter::start();
    serve_models(&router, 5);
    let sandbox = setup(&router);
    let mut config =
        json!({"models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}});
    if let (Some(base), Some(extra)) = (config.as_object_mut(), config_extra.as_object()) {
        for (key, value) in extra {
            base.insert(key.clone(), value.clone());
        }
    }
    sandbox.write_config(&config);
    assert_eq!(list(&sandbox, true)["outcome"]["status"], "ready");
    let before = std::fs::read(models_json(&sandbox)).unwrap();

    router.on("GET", "/v1/models", reply);
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
    assert_no_leak(&run.all_output());
    assert_eq!(
        std::fs::read(models_json(&sandbox)).unwrap(),
        before,
        "models.json untouched"
    );

    let provider = list(&sandbox, true);
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
        Reply::json(
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
        ),
        json!({}),
        "auth-rejected",
        "unauthorized",
        "Hugging Face rejected the token",
    );
    assert_failure_keeps_the_last_good_catalog(
        Reply::json(
            403,
            r#"{"error":"This authentication method does not have sufficient permissions to call Inference Providers on behalf of user x"}"#,
        ),
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
        json!({"plugins": {"entries": {"huggingface": {"config": {"discovery": {"maxBodyBytes": 10000}}}}}}),
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
        json!({"plugins": {"entries": {"huggingface": {"config": {"discovery": {"maxBodyBytes": 10000}}}}}}),
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
        json!({"plugins": {"entries": {"huggingface": {"config": {"discovery": {"timeoutMs": 400}}}}}}),
        "unavailable",
        "timeout",
        "took longer than 400 ms",
    );
}

#[test]
fn an_unreachable_router_is_unavailable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let router = MockRouter::start();
    serve_models(&router, 5);
    let sandbox = setup(&router);
    assert_eq!(list(&sandbox, true)["outcome"]["status"], "ready");
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {"baseUrl": format!("http://127.0.0.1:{port}/v1")}}}}));
    let provider = list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "unavailable");
    assert_eq!(provider["outcome"]["code"], "network");
    assert!(
        provider["outcome"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{port}"))
    );
    assert_eq!(ids(&provider).len(), 5);
}

#[test]
fn a_redirect_to_another_host_is_not_followed_with_the_token() {
    let elsewhere = MockRouter::start();
    serve_models(&elsewhere, 2);
    let router = MockRouter::start();
    router.on(
        "GET",
        "/v1/models",
        Reply::Respond {
            status: 302,
            headers: vec![(
                "location".into(),
                format!(
                    "{}/v1/models",
                    elsewhere.origin().replace("127.0.0.1", "localhost")
                ),
            )],
            body: Vec::new(),
        },
    );
    let sandbox = setup(&router);
    let provider = list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "unavailable");
    assert!(
        elsewhere.requests().is_empty(),
        "the token must not follow a redirect to another host"
    );
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused() {
    let router = MockRouter::start();
    let sandbox = setup(&router);
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {"baseUrl": "http://router.example.com/v1"}}}}));
    let provider = list(&sandbox, true);
    assert_eq!(provider["outcome"]["status"], "unavailable");
    assert_eq!(provider["outcome"]["code"], "invalid_request");
    assert!(
        provider["outcome"]["message"]
            .as_str()
            .unwrap()
            .contains("refusing plain http://")
    );
}

#[test]
fn a_broken_models_json_is_reported_then_moved_aside_not_lost() {
    let router = MockRouter::start();
    serve_models(&router, 4);
    let sandbox = setup(&router);
    std::fs::create_dir_all(sandbox.agent_dir()).unwrap();
    std::fs::write(models_json(&sandbox), "{ \"providers\": ").unwrap();

    let shown = list(&sandbox, false);
    assert_eq!(shown["origin"]["kind"], "built-in");
    assert!(
        shown["warnings"][0]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    assert_eq!(
        std::fs::read_to_string(models_json(&sandbox)).unwrap(),
        "{ \"providers\": "
    );

    let refreshed = list(&sandbox, true);
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
    let router = MockRouter::start();
    router.on(
        "GET",
        "/v1/models",
        Reply::json(
            200,
            r#"{"data":[{"id":"deepseek-ai/DeepSeek-R1","providers":[{"provider":"together","status":"live","context_length":64000,"throughput":50,"pricing":{"input":3,"output":7}},{"provider":"cheapco","status":"live","context_length":32000,"throughput":10,"pricing":{"input":0.5,"output":1}}]},
                        {"id":"Qwen/Qwen3-8B"}]}"#,
        ),
    );
    let sandbox = setup(&router);
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
        let provider = list(&sandbox, true);
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
    let provider = list(&sandbox, true);
    assert_eq!(provider["models"][0]["name"], "Edited by hand");
    let text = sandbox.run(["models", "list"]).ok().to_owned();
    assert!(
        text.contains("DeepSeek R1 (fast)"),
        "the config alias wins for display:\n{text}"
    );
}

#[test]
fn credentials_follow_one_precedence_order() {
    let router = MockRouter::start();
    serve_models(&router, 1);
    let mut sandbox = setup(&router);
    let bearer = |router: &MockRouter| {
        router
            .requests_to("/v1/models")
            .last()
            .and_then(|r| r.header("authorization").map(str::to_owned))
            .unwrap()
    };

    // Token file only ($HF_HOME/token).
    let hf_home = sandbox.root().join("hf-home");
    std::fs::create_dir_all(&hf_home).unwrap();
    std::fs::write(hf_home.join("token"), "hf_fromTheTokenFile000000\n").unwrap();
    let mut only_file = Sandbox::new();
    stage_hf(&only_file.state_dir().join("extensions/huggingface"));
    only_file.write_config(
        &json!({"models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}}),
    );
    only_file.set_env("HF_HOME", hf_home.to_str().unwrap());
    list(&only_file, true);
    assert_eq!(bearer(&router), "Bearer hf_fromTheTokenFile000000");

    // The environment beats the file; HUGGINGFACE_HUB_TOKEN beats HF_TOKEN.
    sandbox.set_env("HF_HOME", hf_home.to_str().unwrap());
    list(&sandbox, true);
    assert_eq!(bearer(&router), format!("Bearer {SENTINEL_TOKEN}"));
    sandbox.set_env("HUGGINGFACE_HUB_TOKEN", "hf_hubTokenWins00000000");
    list(&sandbox, true);
    assert_eq!(bearer(&router), "Bearer hf_hubTokenWins00000000");

    // A stored profile beats the environment, and auth status says they differ.
    std::fs::create_dir_all(sandbox.profile_store().parent().unwrap()).unwrap();
    std::fs::write(
        sandbox.profile_store(),
        r#"{"version":1,"profiles":{"huggingface:default":{"type":"api_key","provider":"huggingface","key":"hf_storedProfileKey0000"}}}"#,
    )
    .unwrap();
    list(&sandbox, true);
    assert_eq!(bearer(&router), "Bearer hf_storedProfileKey0000");
    let status = sandbox.run(["auth", "status"]);
    let text = status.ok();
    assert!(
        text.contains("using hf_…0000 from profile huggingface:default"),
        "{status}"
    );
    assert!(text.contains("holds a different token"), "{status}");
    assert_no_leak(&status.all_output());
    assert!(!status.all_output().contains("hf_storedProfileKey0000"));

    // In ref mode the profile names the variable to read.
    std::fs::write(
        sandbox.profile_store(),
        r#"{"version":1,"profiles":{"huggingface:default":{"type":"api_key","provider":"huggingface","keyRef":{"source":"env","id":"MY_HF_VAR"}}}}"#,
    )
    .unwrap();
    sandbox.set_env("MY_HF_VAR", "hf_viaTheReferencedVar00");
    list(&sandbox, true);
    assert_eq!(bearer(&router), "Bearer hf_viaTheReferencedVar00");
}

#[test]
fn the_state_dir_env_file_completes_the_environment() {
    let router = MockRouter::start();
    serve_models(&router, 1);
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(
        &json!({"models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}}),
    );
    std::fs::write(
        sandbox.state_dir().join(".env"),
        format!("# daemon keys\nHF_TOKEN={SENTINEL_TOKEN}\n"),
    )
    .unwrap();
    assert_eq!(list(&sandbox, true)["outcome"]["status"], "ready");
    let refresh = &router.requests_to("/v1/models")[0];
    assert!(
        refresh.carries_the_sentinel_token(),
        "{:?}",
        refresh.headers
    );
    let status = sandbox.run(["auth", "status", "--json"]).json();
    assert_eq!(
        status["providers"][0]["active"]["source"]["variable"],
        "HF_TOKEN"
    );
}

#[test]
fn the_login_shell_supplies_only_expected_names() {
    let router = MockRouter::start();
    serve_models(&router, 1);
    let mut sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}},
        "env": {"shellEnv": {"enabled": true, "timeoutMs": 5000}}
    }));
    // A stand-in login shell: prints noise, then runs the command it is given with extra vars.
    let shell = sandbox.root().join("fake-shell");
    std::fs::write(
        &shell,
        "#!/bin/sh\necho 'welcome banner'\nexport HUGGINGFACE_HUB_TOKEN=hf_fromTheLoginShell0000 UNRELATED_SECRET=nope\nshift\nexec /bin/sh -c \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&shell, std::fs::Permissions::from_mode(0o755)).unwrap();
    sandbox.set_env("SHELL", shell.to_str().unwrap());
    assert_eq!(list(&sandbox, true)["outcome"]["status"], "ready");
    assert_eq!(
        router.requests_to("/v1/models")[0].header("authorization"),
        Some("Bearer hf_fromTheLoginShell0000")
    );
}

#[test]
fn gateway_once_refreshes_writes_and_reports_each_provider() {
    let router = MockRouter::start();
    serve_models(&router, 12);
    let sandbox = setup(&router);
    openclaw_e2e::stage_echo(&sandbox.state_dir().join("extensions/echo"));
    let run = sandbox.run(["gateway", "run", "--once"]);
    let text = run.ok();
    assert!(text.contains("huggingface: ready, 12 models"), "{run}");
    assert!(text.contains("echo: skipped"), "{run}");
    assert_no_leak(&run.all_output());
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(models_json(&sandbox)).unwrap()).unwrap();
    assert_eq!(
        document["providers"]["huggingface"]["models"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
    assert_eq!(
        document["providers"]["huggingface"]["api"],
        "openai-completions"
    );
}

#[test]
fn gateway_refreshes_periodically_and_stops_cleanly_on_sigterm() {
    let router = MockRouter::start();
    serve_models(&router, 2);
    let sandbox = setup(&router);
    let child = sandbox
        .command()
        .args(["gateway", "run", "--interval", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while router.requests_to("/v1/models").len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no second refresh");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("stopped"), "{stdout}");
    assert!(
        stdout.matches("huggingface: ready").count() >= 2,
        "{stdout}"
    );
}

#[test]
fn a_broken_config_is_an_error_with_its_position() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.state_dir().join("openclaw.json"),
        "{\n models: {\n  providers: [,\n}",
    )
    .unwrap();
    let run = sandbox.run(["models", "list"]);
    run.code(1);
    assert!(run.stderr.contains("line 3"), "{run}");
}

#[test]
fn the_sentinel_token_is_only_in_the_profile_store() {
    let router = MockRouter::start();
    serve_models(&router, 3);
    router.then(
        "GET",
        "/v1/models",
        Reply::json(
            401,
            format!(r#"{{"error":"token {SENTINEL_TOKEN} is invalid"}}"#),
        ),
    );
    let mut sandbox = setup(&router);
    sandbox.set_env("RUST_LOG", "trace");
    for args in [
        vec!["-vv", "models", "list", "--refresh"],
        vec!["-vv", "models", "list", "--refresh", "--json"],
        vec!["-vv", "gateway", "run", "--once"],
        vec!["-vv", "auth", "status"],
        vec!["-vv", "auth", "status", "--json"],
        vec!["-vv", "plugins", "list"],
    ] {
        let run = sandbox.run(&args);
        assert_no_leak(&run.all_output());
    }
    for (path, bytes) in sandbox.all_files() {
        if path.ends_with("auth-profiles.json") {
            continue;
        }
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SENTINEL_TOKEN),
            "token leaked into {}",
            path.display()
        );
    }
}
