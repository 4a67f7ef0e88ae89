//! What Hugging Face users actually hit, end to end through `host-stub` and the provider bridge
//! against the mock router and Hub: 403s told apart (an upstream not available, an
//! organisation the token may not bill, anything else in the service's words), 402 in today's
//! billing words, unsupported parameters, capability routing of `tools` and `response_format`
//! (and the one unpinned resend when the pinned upstream is refused), `hf auth login` tokens
//! refreshed and written back, onboarding from the token file and `--validate` with `billTo`,
//! and "did you mean" for unknown model ids. Each asserts the exact advice, and that no token
//! appears in any output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{BufRead, BufReader, Write},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc::{Receiver, channel},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use openclaw_e2e::{
    MockRouter, Reply, Run, SENTINEL_TOKEN, Sandbox, StreamEnd, artifacts,
    mock_router::{
        OrgMembership, TokenKind, oauth_token, oauth_token_refused, whoami_body_with_orgs,
    },
    spawn, stage_hf,
};
use serde_json::{Value, json};

const CHAT: &str = "/v1/chat/completions";
const MODELS: &str = "/v1/models";
const QWEN: &str = "Qwen/Qwen2.5-72B-Instruct";
const GLM: &str = "zai-org/GLM-4.7";

/// A `hf auth login` token about to be refreshed, the token the Hub grants instead, and the
/// refresh tokens: none may appear in any output.
const OLD_LOGIN: &str = "hf_oauth_OLDxSENTINELq7Zt3Lp9Vw2Rk5Nm8";
const NEW_LOGIN: &str = "hf_oauth_NEWxSENTINELb4Dj6Fh1Gs0Ty3Lp9";
const OLD_REFRESH: &str = "hf_oauth_rt_OLDxSENTINELz5Nm8Bc4Dj";
const NEW_REFRESH: &str = "hf_oauth_rt_NEWxSENTINELw2Rk5Nm8Bc";
const SECRETS: [&str; 5] = [
    SENTINEL_TOKEN,
    OLD_LOGIN,
    NEW_LOGIN,
    OLD_REFRESH,
    NEW_REFRESH,
];

const TOOLS: &str =
    r#"[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]"#;

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

fn stream_of(text: &str, provider: &str) -> Reply {
    Reply::words(provider, text, Duration::ZERO, StreamEnd::Close)
}

fn unavailable(provider: &str) -> Reply {
    let sentence = format!("The requested provider '{provider}' is not available.");
    Reply::json(403, json!({ "error": sentence }).to_string())
        .with_header("x-error-message", &sentence)
}

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "a token leaked:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// host-stub

fn host(router: &MockRouter, extra: Value) -> Sandbox {
    let mut sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    let mut config = json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}},
        "plugins": {"entries": {"huggingface": {"config": {"chat": {"maxRetries": 0}}}}}
    });
    merge(&mut config, extra);
    sandbox.write_config(&config);
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    sandbox
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

/// `models list --refresh`, so `models.json` knows every upstream.
fn refresh(sandbox: &Sandbox, router: &MockRouter) {
    router.then("GET", MODELS, Reply::json(200, catalog_body()));
    sandbox.run(["models", "list", "--refresh", "--json"]).ok();
}

fn chat(sandbox: &Sandbox, args: &[&str]) -> Run {
    let mut all = vec!["chat", "--json"];
    all.extend_from_slice(args);
    let run = sandbox.run(&all);
    assert_no_secret(&run.all_output());
    run
}

fn lines(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}\n{run}"))
        })
        .collect()
}

/// The `error` line of a failed chat.
fn error_of(run: &Run) -> Value {
    run.code(1);
    let last = lines(run).pop().unwrap();
    assert_eq!(last["type"], "error", "{run}");
    last
}

fn notices(run: &Run) -> Vec<String> {
    lines(run)
        .iter()
        .filter(|l| l["type"] == "notice")
        .map(|l| l["message"].as_str().unwrap().to_owned())
        .collect()
}

fn models_sent(router: &MockRouter) -> Vec<String> {
    router
        .requests_to(CHAT)
        .iter()
        .map(|r| r.json()["model"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_403_for_an_upstream_not_available_names_it_and_the_upstreams_that_serve_the_model() {
    let router = MockRouter::start();
    let sandbox = host(&router, json!({}));
    refresh(&sandbox, &router);
    router.on("POST", CHAT, unavailable("deepinfra"));
    let run = chat(
        &sandbox,
        &["--model", &format!("huggingface/{QWEN}:deepinfra"), "hi"],
    );
    let error = error_of(&run);
    assert_eq!(error["code"], "forbidden");
    assert_eq!(error["httpStatus"], 403);
    assert_eq!(
        error["message"],
        format!(
            "the inference provider deepinfra is not available to this account for \
             {QWEN}:deepinfra (the service said: The requested provider 'deepinfra' is not \
             available.). Let the router choose with {QWEN}:fastest, or pin another upstream \
             that serves it: {QWEN}:together, {QWEN}:novita; or enable deepinfra at \
             https://huggingface.co/settings/inference-providers."
        )
    );
    // A pin the user chose is theirs: not sent again.
    assert_eq!(models_sent(&router), [format!("{QWEN}:deepinfra")]);

    // Without catalog data (an unknown model), the advice still names the upstream.
    let unknown = chat(
        &sandbox,
        &["--model", "huggingface/someone/new-model", "hi"],
    );
    let message = error_of(&unknown)["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("the inference provider deepinfra is not available to this account"),
        "{message}"
    );
    assert!(message.contains("Let the router choose with someone/new-model:fastest, or pin another upstream that serves it (someone/new-model:<provider>; `models list --json` lists them)"), "{message}");
}

#[test]
fn a_403_billing_an_organisation_names_it_and_bill_to() {
    let router = MockRouter::start();
    let sandbox = host(
        &router,
        json!({"models": {"providers": {"huggingface": {"billTo": "acme"}}}}),
    );
    router.on(
        "POST",
        CHAT,
        Reply::json(
            403,
            r#"{"error":"This authentication method does not have sufficient permissions to call Inference Providers on behalf of org acme"}"#,
        ),
    );
    let error = error_of(&chat(
        &sandbox,
        &["--model", &format!("huggingface/{GLM}"), "hi"],
    ));
    assert_eq!(error["code"], "forbidden");
    assert_eq!(
        error["message"],
        "the token may not bill organisation acme (the service said: This authentication method \
         does not have sufficient permissions to call Inference Providers on behalf of org acme). \
         billTo (models.providers.huggingface.billTo) sends X-HF-Bill-To: acme; give the token \
         \"Make calls to Inference Providers\" (inference.serverless.write) for that \
         organisation at https://huggingface.co/settings/tokens, or remove billTo to bill your \
         own account."
    );
    assert_eq!(
        router.requests_to(CHAT)[0].header("x-hf-bill-to"),
        Some("acme")
    );
}

#[test]
fn other_403s_keep_their_advice_or_the_services_words() {
    let router = MockRouter::start();
    let sandbox = host(&router, json!({}));
    router.then(
        "POST",
        CHAT,
        Reply::json(
            403,
            r#"{"error":"This authentication method does not have sufficient permissions to call Inference Providers on behalf of user alice"}"#,
        ),
    );
    let error = error_of(&chat(
        &sandbox,
        &["--model", &format!("huggingface/{GLM}"), "hi"],
    ));
    assert_eq!(
        error["message"],
        "the token lacks the \"Make calls to Inference Providers\" permission \
         (inference.serverless.write) (the service said: This authentication method does not \
         have sufficient permissions to call Inference Providers on behalf of user alice). Add \
         it to the token at https://huggingface.co/settings/tokens, or create a fine-grained \
         token with it: https://huggingface.co/settings/tokens/new?ownUserPermissions=inference.serverless.write&tokenType=fineGrained"
    );
    router.then(
        "POST",
        CHAT,
        Reply::json(
            403,
            r#"{"error":"Your token has been revoked by the organization administrator, you can no longer access organization resources."}"#,
        ),
    );
    let error = error_of(&chat(
        &sandbox,
        &["--model", &format!("huggingface/{GLM}"), "hi"],
    ));
    assert_eq!(error["code"], "forbidden");
    assert_eq!(
        error["message"],
        "Hugging Face refused the request (HTTP 403) (the service said: Your token has been \
         revoked by the organization administrator, you can no longer access organization \
         resources.)."
    );
}

#[test]
fn a_402_speaks_of_compute_credits_and_links_the_billing_page() {
    let router = MockRouter::start();
    let sandbox = host(&router, json!({}));
    router.on(
        "POST",
        CHAT,
        Reply::json(
            402,
            r#"{"error":"You have no remaining credits. Purchase pre-paid credits to continue using Inference Providers."}"#,
        ),
    );
    let error = error_of(&chat(
        &sandbox,
        &["--model", &format!("huggingface/{GLM}"), "hi"],
    ));
    assert_eq!(error["code"], "payment_required");
    assert_eq!(
        error["message"],
        "the compute credits of your Hugging Face account are used up (the service said: You \
         have no remaining credits. Purchase pre-paid credits to continue using Inference \
         Providers.). Add pre-paid credits (or turn on automatic recharge) at \
         https://huggingface.co/settings/billing; PRO, Team and Enterprise plans include monthly \
         compute credits."
    );
}

fn routed_notice(upstream: &str, capability: &str, field: &str) -> String {
    format!(
        "{field}: not every upstream of {QWEN} supports {capability}, so the request goes to \
         {upstream} ({QWEN}:{upstream}, the fastest that does); set \
         plugins.entries.huggingface.config.chat.capabilityRouting to false to let the router \
         choose"
    )
}

#[test]
fn tools_and_structured_output_go_to_the_fastest_upstream_that_takes_them() {
    let router = MockRouter::start();
    let sandbox = host(&router, json!({}));
    refresh(&sandbox, &router);
    router.on("POST", CHAT, stream_of("sunny", "novita"));
    let model = format!("huggingface/{QWEN}");
    let run = chat(&sandbox, &["--model", &model, "--tools", TOOLS, "weather?"]);
    run.ok();
    assert_eq!(notices(&run), [routed_notice("novita", "tools", "tools")]);
    let structured = chat(
        &sandbox,
        &[
            "--model",
            &model,
            "--response-format",
            r#"{"type":"json_schema","json_schema":{"name":"w","schema":{}}}"#,
            "weather?",
        ],
    );
    structured.ok();
    assert_eq!(
        notices(&structured),
        [routed_notice(
            "together",
            "structured output",
            "response_format"
        )]
    );
    assert_eq!(
        models_sent(&router),
        [format!("{QWEN}:novita"), format!("{QWEN}:together")]
    );
    // The tools themselves go as they were given.
    assert_eq!(
        router.requests_to(CHAT)[0].json()["tools"],
        serde_json::from_str::<Value>(TOOLS).unwrap()
    );
}

#[test]
fn pinned_refs_capable_upstreams_missing_data_and_the_switch_change_nothing() {
    let router = MockRouter::start();
    let sandbox = host(&router, json!({}));
    refresh(&sandbox, &router);
    router.on("POST", CHAT, stream_of("ok", "together"));
    for model in [
        format!("{QWEN}:deepinfra"),
        format!("{QWEN}:cheapest"),
        GLM.to_owned(),                 // every upstream takes tools
        "someone/new-model".to_owned(), // no data
    ] {
        let run = chat(
            &sandbox,
            &[
                "--model",
                &format!("huggingface/{model}"),
                "--tools",
                TOOLS,
                "hi",
            ],
        );
        run.ok();
        assert!(
            notices(&run)
                .iter()
                .all(|n| !n.contains("not every upstream")),
            "{run}"
        );
        assert_eq!(models_sent(&router).last().unwrap(), &model);
    }
    let off = host(
        &router,
        json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"capabilityRouting": false}}}}}}),
    );
    refresh(&off, &router);
    chat(
        &off,
        &[
            "--model",
            &format!("huggingface/{QWEN}"),
            "--tools",
            TOOLS,
            "hi",
        ],
    )
    .ok();
    assert_eq!(models_sent(&router).last().unwrap(), QWEN);
    // host-stub passes the model's upstreams itself: the plugin fetches no catalog of its own.
    assert_eq!(
        router.requests_to(MODELS).len(),
        2,
        "the two refreshes only"
    );
}

#[test]
fn a_refused_pinned_upstream_is_sent_once_more_without_the_pin() {
    let router = MockRouter::start();
    let sandbox = host(&router, json!({}));
    refresh(&sandbox, &router);
    router.then("POST", CHAT, unavailable("novita")).on(
        "POST",
        CHAT,
        stream_of("sunny", "deepinfra"),
    );
    let run = chat(
        &sandbox,
        &[
            "--model",
            &format!("huggingface/{QWEN}"),
            "--tools",
            TOOLS,
            "weather?",
        ],
    );
    run.ok();
    assert_eq!(
        models_sent(&router),
        [format!("{QWEN}:novita"), QWEN.to_owned()]
    );
    assert_eq!(
        notices(&run),
        [
            routed_notice("novita", "tools", "tools"),
            format!(
                "novita is not available to this account; the request was sent again as {QWEN}, \
                 for the router to choose, and novita is skipped for the rest of this session"
            )
        ]
    );
    let text: String = lines(&run)
        .iter()
        .filter(|l| l["type"] == "text")
        .map(|l| l["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, "sunny");
}

#[test]
fn unsupported_parameters_name_the_parameter_and_the_upstreams_that_take_it() {
    let router = MockRouter::start();
    let sandbox = host(
        &router,
        json!({"plugins": {"entries": {"huggingface": {"config": {"chat": {"capabilityRouting": false}}}}}}),
    );
    refresh(&sandbox, &router);
    router.on(
        "POST",
        CHAT,
        Reply::json(
            400,
            r#"{"error":{"code":"422","error_type":"UNSUPPORTED_OPENAI_PARAMS","message":"The following parameters are not supported for this model: tools, tool_choice","param":"tools, tool_choice"}}"#,
        )
        .with_header("x-inference-provider", "deepinfra"),
    );
    let error = error_of(&chat(
        &sandbox,
        &[
            "--model",
            &format!("huggingface/{QWEN}"),
            "--tools",
            TOOLS,
            "hi",
        ],
    ));
    assert_eq!(error["code"], "invalid_request");
    assert_eq!(
        error["message"],
        format!(
            "the upstream that served the request (deepinfra) does not support tools, tool_choice \
             for {QWEN} (the service said: The following parameters are not supported for this \
             model: tools, tool_choice). Upstreams of {QWEN} that support tools: together, \
             novita; pin one ({QWEN}:together)."
        )
    );
}

#[test]
fn unknown_model_ids_get_close_ids_in_the_warning_and_the_error() {
    let router = MockRouter::start();
    let sandbox = host(&router, json!({}));
    router
        .then("POST", CHAT, Reply::json(404, r#"{"error":"Model not found"}"#))
        .then(
            "POST",
            CHAT,
            Reply::json(
                400,
                r#"{"error":{"message":"The requested model 'deepseek-ai/DeepSeek-V3' is not supported by any provider you have enabled.","type":"invalid_request_error","param":"model","code":"model_not_supported"}}"#,
            ),
        );
    // The built-in catalog: no refresh has happened.
    let typo = chat(
        &sandbox,
        &["--model", "huggingface/deepseek-ai/DeepSeek-R2", "hi"],
    );
    assert_eq!(
        notices(&typo),
        [
            "deepseek-ai/DeepSeek-R2 is not in the catalog (did you mean deepseek-ai/DeepSeek-R1, \
          deepseek-ai/DeepSeek-V3.2 or deepseek-ai/DeepSeek-V3.1?); sending it anyway with \
          default metadata"
        ]
    );
    let error = error_of(&typo);
    assert_eq!(error["code"], "model_not_found");
    assert_eq!(
        error["message"],
        "model deepseek-ai/DeepSeek-R2 was not found (the service said: Model not found). Did \
         you mean deepseek-ai/DeepSeek-R1, deepseek-ai/DeepSeek-V3.2 or \
         deepseek-ai/DeepSeek-V3.1? `models list --refresh` shows the models the router serves."
    );
    let retired = chat(
        &sandbox,
        &["--model", "huggingface/deepseek-ai/DeepSeek-V3", "hi"],
    );
    let error = error_of(&retired);
    assert_eq!(error["code"], "model_not_supported");
    assert!(
        error["message"].as_str().unwrap().contains(
            "Did you mean deepseek-ai/DeepSeek-V3.1, deepseek-ai/DeepSeek-V3.2 or \
             deepseek-ai/DeepSeek-R1?"
        ),
        "{retired}"
    );
}

// ---------------------------------------------------------------------------------------------
// hf auth login

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An `HF_HOME` as `hf auth login` leaves it: the token file and `stored_tokens` with the
/// login's refresh token, expiring at `expires_at`.
fn logged_in(root: &Path, expires_at: u64) -> PathBuf {
    let hf_home = root.join("hf-home");
    std::fs::create_dir_all(&hf_home).unwrap();
    std::fs::write(hf_home.join("token"), OLD_LOGIN).unwrap();
    std::fs::write(
        hf_home.join("stored_tokens"),
        format!(
            "[my-classic]\nhf_token = hf_classicTokenForScripts01\n\n[oauth-alice]\nhf_token = \
             {OLD_LOGIN}\nrefresh_token = {OLD_REFRESH}\nexpires_at = {expires_at}\n\n"
        ),
    )
    .unwrap();
    hf_home
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The files after a refresh: the new token in both, 0600, the lock gone.
fn assert_written_back(hf_home: &Path, started: u64) {
    assert_eq!(
        std::fs::read_to_string(hf_home.join("token")).unwrap(),
        NEW_LOGIN
    );
    let stored = std::fs::read_to_string(hf_home.join("stored_tokens")).unwrap();
    let expires_at: u64 = stored
        .lines()
        .find_map(|l| l.strip_prefix("expires_at = "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires_at >= started + 2_592_000 && expires_at <= now() + 2_592_000);
    assert_eq!(
        stored,
        format!(
            "[my-classic]\nhf_token = hf_classicTokenForScripts01\n\n[oauth-alice]\nhf_token = \
             {NEW_LOGIN}\nrefresh_token = {NEW_REFRESH}\nexpires_at = {expires_at}\n\n"
        )
    );
    assert_eq!(mode(&hf_home.join("token")), 0o600);
    assert_eq!(mode(&hf_home.join("stored_tokens")), 0o600);
    assert!(!hf_home.join("stored_tokens.lock").exists());
}

fn login_sandbox(router: &MockRouter, expires_at: u64) -> (Sandbox, PathBuf) {
    let mut sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}
    }));
    let hf_home = logged_in(sandbox.root(), expires_at);
    sandbox
        .set_env("HF_HOME", hf_home.to_str().unwrap())
        .set_env("HF_ENDPOINT", &router.origin());
    (sandbox, hf_home)
}

#[test]
fn an_expired_login_token_is_refreshed_once_written_back_and_used() {
    let router = MockRouter::start();
    router
        .on(
            "POST",
            "/oauth/token",
            oauth_token(NEW_LOGIN, Some(NEW_REFRESH), 2_592_000),
        )
        .on("POST", CHAT, stream_of("fresh", "together"));
    let started = now();
    let (sandbox, hf_home) = login_sandbox(&router, started - 10);
    let run = chat(&sandbox, &["--model", &format!("huggingface/{GLM}"), "hi"]);
    run.ok();
    let again = chat(&sandbox, &["--model", &format!("huggingface/{GLM}"), "hi"]);
    again.ok();

    let refreshes = router.requests_to("/oauth/token");
    assert_eq!(refreshes.len(), 1, "refreshed once");
    let form = String::from_utf8(refreshes[0].body.clone()).unwrap();
    assert_eq!(
        form,
        format!(
            "grant_type=refresh_token&refresh_token={OLD_REFRESH}&client_id=26be6b09-91c5-47da-9861-d2d2bb7a7e36"
        )
    );
    assert_eq!(
        refreshes[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert!(refreshes[0].header("authorization").is_none());
    for request in router.requests_to(CHAT) {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {NEW_LOGIN}").as_str())
        );
    }
    assert_written_back(&hf_home, started);
    // Only the login's own files hold a token.
    for (path, bytes) in sandbox.all_files() {
        if path.starts_with(&hf_home) {
            continue;
        }
        assert_no_secret(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn a_login_that_cannot_be_refreshed_says_to_run_hf_auth_login() {
    let router = MockRouter::start();
    router.on("POST", "/oauth/token", oauth_token_refused()).on(
        "POST",
        CHAT,
        Reply::json(
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
        ),
    );
    let (sandbox, hf_home) = login_sandbox(&router, now() - 10);
    let before = std::fs::read(hf_home.join("stored_tokens")).unwrap();
    let error = error_of(&chat(
        &sandbox,
        &["--model", &format!("huggingface/{GLM}"), "hi"],
    ));
    assert_eq!(error["code"], "unauthorized");
    assert_eq!(
        error["message"],
        "Hugging Face rejected the token of your `hf auth login` session (the service said: \
         Invalid credentials in Authorization header), and it could not be refreshed. Run `hf \
         auth login` to log in again."
    );
    assert_eq!(
        std::fs::read(hf_home.join("stored_tokens")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read_to_string(hf_home.join("token")).unwrap(),
        OLD_LOGIN
    );
}

// ---------------------------------------------------------------------------------------------
// onboarding

fn onboard(sandbox: &Sandbox, extra: &[&str]) -> Run {
    let mut args = vec![
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "huggingface-api-key",
        "--json",
    ];
    args.extend_from_slice(extra);
    let run = sandbox.run(&args);
    assert_no_secret(&run.all_output());
    run
}

#[test]
fn onboarding_takes_the_token_file_after_the_flag_and_the_environment() {
    let router = MockRouter::start();
    let (mut sandbox, hf_home) = login_sandbox(&router, now() + 10 * 86_400);
    let report = onboard(&sandbox, &[]).json();
    let token_file = hf_home.join("token").display().to_string();
    assert_eq!(
        report["keySource"],
        json!({"kind": "file", "path": token_file})
    );
    assert_eq!(report["key"], "hf_…5Nm8");
    assert_eq!(report["profileChanged"], false);
    assert_eq!(report["configChanged"], true);
    // Used from its file: no profile holds it.
    let profiles = sandbox.profile_store();
    assert!(
        !profiles.exists()
            || !std::fs::read_to_string(&profiles)
                .unwrap()
                .contains(OLD_LOGIN)
    );
    let text = sandbox.run([
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "huggingface-api-key",
    ]);
    assert!(
        text.ok().contains(&format!(
            "huggingface: uses hf_…5Nm8 from its file, not copied into a profile (logging in \
             again with the provider's own tool keeps it current) (key from the token file \
             {token_file})"
        )),
        "{text}"
    );
    assert!(text.stdout.contains("nothing changed"), "{text}");

    // The environment and the flag come first.
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    assert_eq!(
        onboard(&sandbox, &[]).json()["keySource"],
        json!({"kind": "env", "variable": "HF_TOKEN"})
    );
    let flag = onboard(&sandbox, &["--huggingface-api-key", "hf_fromTheFlag000001"]).json();
    assert_eq!(flag["keySource"]["kind"], "flag");
}

#[test]
fn validating_with_bill_to_checks_the_token_may_bill_the_organisation() {
    let router = MockRouter::start();
    let member = |token_may_bill| OrgMembership {
        token_may_bill,
        ..OrgMembership::new("acme", "write")
    };
    router.on(
        "GET",
        "/api/whoami-v2",
        Reply::ByToken {
            replies: vec![
                (
                    "hf_fineGrainedForAcme01".into(),
                    Reply::json(
                        200,
                        whoami_body_with_orgs(
                            "alice",
                            TokenKind::FineGrainedWithInference,
                            &[member(true)],
                        ),
                    ),
                ),
                (
                    "hf_fineGrainedUserOnly1".into(),
                    Reply::json(
                        200,
                        whoami_body_with_orgs(
                            "alice",
                            TokenKind::FineGrainedWithInference,
                            &[member(false)],
                        ),
                    ),
                ),
                (
                    "hf_writeNotAMember0001".into(),
                    Reply::json(200, whoami_body_with_orgs("bob", TokenKind::Write, &[])),
                ),
            ],
            otherwise: Box::new(Reply::json(401, r#"{"error":"Invalid credentials"}"#)),
        },
    );
    let mut sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {"billTo": "acme"}}}}));
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    let validate = |key: &str| {
        let run = sandbox.run([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "huggingface-api-key",
            "--huggingface-api-key",
            key,
            "--validate",
        ]);
        assert!(!run.all_output().contains(key), "{run}");
        run
    };
    let ok = validate("hf_fineGrainedForAcme01");
    assert!(
        ok.ok().contains(
            "checked: token \"alice-token\" of alice may make calls to Inference Providers billed \
             to organisation acme (billTo)"
        ),
        "{ok}"
    );
    let user_only = validate("hf_fineGrainedUserOnly1");
    user_only.code(1);
    assert!(
        user_only.stderr.contains(
            "the token may not bill organisation acme (billTo): the fine-grained token lacks \
             \"Make calls to Inference Providers\" (inference.serverless.write) for acme; add it \
             under the token's organisation permissions at https://huggingface.co/settings/tokens; \
             calls would be refused with HTTP 403. Fix it, or remove \
             models.providers.huggingface.billTo to bill alice instead (nothing was stored)"
        ),
        "{user_only}"
    );
    let outsider = validate("hf_writeNotAMember0001");
    outsider.code(1);
    assert!(
        outsider.stderr.contains(
            "the token may not bill organisation acme (billTo): bob is not a member of it"
        ),
        "{outsider}"
    );
    let profiles = std::fs::read_to_string(sandbox.profile_store()).unwrap();
    assert!(profiles.contains("hf_fineGrainedForAcme01"));
    assert!(
        !profiles.contains("hf_fineGrainedUserOnly1")
            && !profiles.contains("hf_writeNotAMember0001")
    );
}

// ---------------------------------------------------------------------------------------------
// The provider bridge

/// A plugin folder as shipped: manifest, library and the bridge beside them.
fn folder(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.root().join("huggingface");
    stage_hf(&dir);
    std::fs::copy(&artifacts().bridge, dir.join("openclaw-provider-bridge")).unwrap();
    dir
}

fn bridge_command(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(dir.join("openclaw-provider-bridge"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// A one-shot `chat`: its JSON lines.
fn bridge_chat(dir: &Path, env: &[(&str, &str)], settings: &[&str], request: &Value) -> Vec<Value> {
    let mut command = bridge_command(dir, env);
    command.arg("chat").args(settings).stdin(Stdio::piped());
    let mut child = spawn(&mut command);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_no_secret(&format!("{stdout}{stderr}"));
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `openclaw-provider-bridge serve`, with its lines as they come.
struct Resident {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Value>,
    held: Vec<Value>,
}

impl Resident {
    fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
        let mut command = bridge_command(dir, env);
        command.arg("serve").stdin(Stdio::piped());
        let mut child = spawn(&mut command);
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                assert_no_secret(&line);
                if sender.send(serde_json::from_str(&line).unwrap()).is_err() {
                    break;
                }
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                assert_no_secret(&line);
            }
        });
        let mut resident = Self {
            stdin: child.stdin.take(),
            child,
            lines,
            held: Vec::new(),
        };
        assert_eq!(resident.next_line()["type"], "hello");
        resident
    }

    fn next_line(&mut self) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("a line from the bridge")
    }

    fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{message}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Every line of request `rid`, up to its last.
    fn answer(&mut self, rid: u64) -> Vec<Value> {
        let mut answer = Vec::new();
        loop {
            let line = match self.held.iter().position(|l| l["rid"] == rid) {
                Some(at) => self.held.remove(at),
                None => {
                    let line = self.next_line();
                    if line["rid"] != rid {
                        self.held.push(line);
                        continue;
                    }
                    line
                }
            };
            let last = !matches!(
                line["type"].as_str(),
                Some("text" | "reasoning" | "toolCall" | "servingProvider" | "notice")
            );
            answer.push(line);
            if last {
                return answer;
            }
        }
    }
}

impl Drop for Resident {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn settings(router: &MockRouter) -> Value {
    json!({"provider": {"baseUrl": router.base_url()}, "plugin": {"chat": {"maxRetries": 0}}})
}

fn tools_request(rid: u64, router: &MockRouter, model: &str) -> Value {
    json!({"rid": rid, "op": "chat", "credential": SENTINEL_TOKEN, "settings": settings(router),
           "request": {"model": model, "messages": [{"role": "user", "content": "weather?"}],
                       "tools": serde_json::from_str::<Value>(TOOLS).unwrap()}})
}

fn notices_in(answer: &[Value]) -> Vec<&str> {
    answer
        .iter()
        .filter(|l| l["type"] == "notice")
        .map(|l| l["message"].as_str().unwrap())
        .collect()
}

#[test]
fn the_resident_bridge_routes_by_its_catalog_and_remembers_a_refused_upstream() {
    let router = MockRouter::start();
    router.on("GET", MODELS, Reply::json(200, catalog_body()));
    router.then("POST", CHAT, unavailable("novita")).on(
        "POST",
        CHAT,
        stream_of("sunny", "together"),
    );
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let mut bridge = Resident::start(&dir, &[]);
    bridge.send(
        json!({"rid": 1, "op": "catalog", "credential": SENTINEL_TOKEN,
                       "settings": settings(&router), "mode": "strict"}),
    );
    assert_eq!(bridge.answer(1).last().unwrap()["type"], "done");

    bridge.send(tools_request(2, &router, &format!("huggingface/{QWEN}")));
    let first = bridge.answer(2);
    assert_eq!(first.last().unwrap()["type"], "done", "{first:?}");
    assert_eq!(
        notices_in(&first),
        [
            routed_notice("novita", "tools", "tools").as_str(),
            &format!(
                "novita is not available to this account; the request was sent again as {QWEN}, \
                 for the router to choose, and novita is skipped for the rest of this session"
            )
        ]
    );
    // The next request skips the refused upstream: the next fastest that takes tools.
    bridge.send(tools_request(3, &router, &format!("huggingface/{QWEN}")));
    let second = bridge.answer(3);
    assert_eq!(
        notices_in(&second),
        [routed_notice("together", "tools", "tools").as_str()]
    );
    assert_eq!(
        models_sent(&router),
        [
            format!("{QWEN}:novita"),
            QWEN.to_owned(),
            format!("{QWEN}:together")
        ]
    );
    assert_eq!(
        router.requests_to(MODELS).len(),
        1,
        "no fetch beside the catalog's"
    );
}

#[test]
fn the_resident_bridge_fetches_its_catalog_in_the_background_without_delaying_the_call() {
    let router = MockRouter::start();
    // The catalog takes a while to come; the call does not wait for it.
    router.on(
        "GET",
        MODELS,
        Reply::Delay(
            Duration::from_millis(300),
            Box::new(Reply::json(200, catalog_body())),
        ),
    );
    router.on("POST", CHAT, stream_of("ok", "together"));
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let mut bridge = Resident::start(&dir, &[]);
    let started = Instant::now();
    bridge.send(tools_request(1, &router, &format!("huggingface/{QWEN}")));
    let first = bridge.answer(1);
    let done_at = Instant::now();
    assert_eq!(first.last().unwrap()["type"], "done");
    assert!(notices_in(&first).is_empty(), "no data yet: {first:?}");
    let fetch = loop {
        let fetch = router.requests_to(MODELS);
        if !fetch.is_empty() || started.elapsed() > Duration::from_secs(10) {
            break fetch;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(fetch.len(), 1, "the background fetch");
    assert!(
        fetch[0].carries_the_sentinel_token(),
        "with the call's credential"
    );
    assert!(
        done_at < fetch[0].at + Duration::from_millis(300),
        "the call did not wait for the catalog"
    );
    // Once the catalog is in, later calls use it.
    while Instant::now() < started + Duration::from_secs(10) {
        bridge.send(tools_request(2, &router, &format!("huggingface/{QWEN}")));
        let answer = bridge.answer(2);
        if !notices_in(&answer).is_empty() {
            assert_eq!(
                notices_in(&answer),
                [routed_notice("novita", "tools", "tools").as_str()]
            );
            assert_eq!(
                models_sent(&router).last().unwrap(),
                &format!("{QWEN}:novita")
            );
            assert_eq!(router.requests_to(MODELS).len(), 1, "fetched once");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the background catalog never arrived");
}

#[test]
fn the_bridge_gives_the_same_advice() {
    let router = MockRouter::start();
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let base = router.base_url();
    let request =
        |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
    let key = [("OPENCLAW_PROVIDER_API_KEY", SENTINEL_TOKEN)];
    let error = |lines: Vec<Value>| {
        let last = lines.last().unwrap().clone();
        assert_eq!(last["type"], "error", "{lines:?}");
        last
    };

    router.then("POST", CHAT, unavailable("deepinfra"));
    let forbidden = error(bridge_chat(
        &dir,
        &key,
        &["--base-url", &base],
        &request(&format!("huggingface/{QWEN}:deepinfra")),
    ));
    assert_eq!(forbidden["code"], "forbidden");
    assert!(forbidden["message"].as_str().unwrap().starts_with(&format!(
        "the inference provider deepinfra is not available to this account for {QWEN}:deepinfra"
    )));

    router.then(
        "POST",
        CHAT,
        Reply::json(403, r#"{"error":"This authentication method does not have sufficient permissions to call Inference Providers on behalf of org acme"}"#),
    );
    let billing = error(bridge_chat(
        &dir,
        &key,
        &[
            "--base-url",
            &base,
            "--settings",
            r#"{"provider":{"billTo":"acme"}}"#,
        ],
        &request(&format!("huggingface/{GLM}")),
    ));
    assert!(
        billing["message"]
            .as_str()
            .unwrap()
            .starts_with("the token may not bill organisation acme")
    );

    router.then(
        "POST",
        CHAT,
        Reply::json(
            402,
            r#"{"error":"You have depleted your monthly included credits."}"#,
        ),
    );
    let payment = error(bridge_chat(
        &dir,
        &key,
        &["--base-url", &base],
        &request(&format!("huggingface/{GLM}")),
    ));
    assert_eq!(payment["code"], "payment_required");
    assert!(
        payment["message"]
            .as_str()
            .unwrap()
            .starts_with("the compute credits of your Hugging Face account are used up")
    );
    assert!(
        payment["message"]
            .as_str()
            .unwrap()
            .contains("https://huggingface.co/settings/billing")
    );

    router.then(
        "POST",
        CHAT,
        Reply::json(404, r#"{"error":"Model not found"}"#),
    );
    let typo = error(bridge_chat(
        &dir,
        &key,
        &["--base-url", &base],
        &request("huggingface/deepseek-ai/DeepSeek-R2"),
    ));
    assert!(
        typo["message"]
            .as_str()
            .unwrap()
            .contains("Did you mean deepseek-ai/DeepSeek-R1"),
        "{typo}"
    );
}

#[test]
fn the_bridge_refreshes_an_expired_login_from_the_token_file() {
    let router = MockRouter::start();
    router
        .on(
            "POST",
            "/oauth/token",
            oauth_token(NEW_LOGIN, Some(NEW_REFRESH), 2_592_000),
        )
        .on("POST", CHAT, stream_of("fresh", "together"));
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let started = now();
    let hf_home = logged_in(sandbox.root(), started + 3600); // under a day left
    let env = [
        ("HF_HOME", hf_home.to_str().unwrap()),
        ("HF_ENDPOINT", &router.origin()),
    ];
    let lines = bridge_chat(
        &dir,
        &env,
        &["--base-url", &router.base_url()],
        &json!({"model": format!("huggingface/{GLM}"), "messages": [{"role": "user", "content": "hi"}]}),
    );
    assert_eq!(lines.last().unwrap()["type"], "done", "{lines:?}");
    assert_eq!(router.requests_to("/oauth/token").len(), 1);
    assert_eq!(
        router.requests_to(CHAT)[0].header("authorization"),
        Some(format!("Bearer {NEW_LOGIN}").as_str())
    );
    assert_written_back(&hf_home, started);
}
