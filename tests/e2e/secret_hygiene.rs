//! The sentinel token through every command at the most verbose log level: in no output and in
//! no file but the credential store, its masked form only where a person is shown which key is
//! in use; and no proxy ever sees it.

use openclaw_e2e::{
    MockRouter, Reply, Run, SENTINEL_TOKEN, fixture,
    mock_router::{TokenKind, whoami},
    models_body,
};
use serde_json::json;

use crate::support::{
    CHAT, MODELS, WHOAMI, assert_no_secret_in_files, installed_hf, models_router, no_leak,
    plugin_settings, pointed_at, stream_of,
};

#[test]
fn the_sentinel_token_is_only_in_the_profile_store() {
    let router = models_router(3);
    router.then(
        "GET",
        MODELS,
        Reply::json(
            401,
            format!(r#"{{"error":"token {SENTINEL_TOKEN} is invalid"}}"#),
        ),
    );
    let mut sandbox = pointed_at(&router, json!({}));
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
        no_leak(&run);
    }
    assert_no_secret_in_files(sandbox.root(), &[SENTINEL_TOKEN], |path| {
        path.ends_with("auth-profiles.json")
    });
}

/// Every command, at the most verbose log level, with the sentinel token in the environment and
/// the profile store: the token appears in no output and in no file but the profile store, and
/// its masked form only where a person is shown which key is in use.
#[test]
fn the_token_stays_in_the_profile_store_through_every_command() {
    let router = MockRouter::start();
    router
        .on("GET", MODELS, Reply::json(200, models_body(40)))
        .on(
            "GET",
            WHOAMI,
            whoami(&[(SENTINEL_TOKEN, "alice", TokenKind::Write)]),
        );
    router.on("POST", CHAT, stream_of("fine thanks", "together"));
    let mut sandbox = installed_hf();
    sandbox.write_config(&plugin_settings(json!({"baseUrl": router.base_url()})));
    sandbox
        .set_env("HF_ENDPOINT", &router.origin())
        .set_env("RUST_LOG", "trace");
    let masked = "hf_…s0Ty";
    let mut runs: Vec<(Vec<String>, Run)> = Vec::new();
    let mut run = |args: &[&str], env_token: bool| {
        let mut all = vec!["-vv"];
        all.extend_from_slice(args);
        let mut command = sandbox.command();
        if env_token {
            command.env("HF_TOKEN", SENTINEL_TOKEN);
        }
        let output = command.args(&all).output().unwrap();
        let result = Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        runs.push((args.iter().map(|a| a.to_string()).collect(), result));
    };
    run(
        &[
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "huggingface-api-key",
            "--huggingface-api-key",
            SENTINEL_TOKEN,
            "--validate",
        ],
        false,
    );
    run(
        &[
            "onboard",
            "--non-interactive",
            "--huggingface-api-key",
            SENTINEL_TOKEN,
            "--json",
        ],
        false,
    );
    run(&["plugins", "list"], true);
    run(&["plugins", "list", "--json"], true);
    run(&["plugins", "inspect", "huggingface", "--json"], true);
    run(&["auth", "status"], true);
    run(&["auth", "status", "--json"], true);
    run(&["models", "list"], true);
    run(&["models", "list", "--refresh", "--json"], true);
    run(&["models", "set", "huggingface/zai-org/GLM-4.7"], true);
    run(
        &["models", "fallbacks", "add", "huggingface/Qwen/Qwen3-8B"],
        true,
    );
    run(&["models", "fallbacks", "list", "--json"], true);
    run(
        &[
            "models",
            "aliases",
            "add",
            "glm",
            "huggingface/zai-org/GLM-4.7",
        ],
        true,
    );
    run(&["models", "aliases", "list", "--json"], true);
    run(&["config", "get", "plugins", "--json"], true);
    run(&["config", "set", "gateway.port", "18789"], true);
    run(&["gateway", "run", "--once", "--json"], true);
    run(&["chat", "--model", "huggingface/a/b", "hello"], true);
    router.on(
        "POST",
        CHAT,
        Reply::json(200, fixture("chat.nonstream.together.json")),
    );
    run(
        &[
            "chat",
            "--model",
            "huggingface/a/b",
            "--no-stream",
            "--json",
            "hello",
        ],
        true,
    );
    // An error body that echoes the token back.
    router.on(
        "POST",
        CHAT,
        Reply::json(401, format!(r#"{{"error":"Invalid credentials in Authorization header: Bearer {SENTINEL_TOKEN}"}}"#)),
    );
    run(&["chat", "--model", "huggingface/a/b", "hello"], true);
    run(
        &["chat", "--model", "huggingface/a/b", "--json", "hello"],
        true,
    );

    // Every command did its work (a command that failed at once would prove nothing), but the
    // last two chats, which meet the 401.
    for (index, (args, result)) in runs.iter().enumerate() {
        let expected = if index + 2 >= runs.len() { 1 } else { 0 };
        assert_eq!(result.code, Some(expected), "{args:?}:\n{result}");
    }
    for (args, result) in &runs {
        let output = result.all_output();
        assert!(
            !output.contains(SENTINEL_TOKEN),
            "{args:?} printed the token:\n{result}"
        );
        let shows_keys = matches!(args[0].as_str(), "auth" | "onboard");
        assert_eq!(
            output.contains(masked),
            shows_keys,
            "{args:?}: the masked key belongs in auth and onboarding output only:\n{result}"
        );
    }
    let listed = &runs
        .iter()
        .find(|(args, _)| args == &["plugins", "list"])
        .unwrap()
        .1;
    assert!(
        listed.stderr.contains("loaded plugin huggingface"),
        "not verbose:\n{listed}"
    );
    let (store, extensions) = (
        sandbox.profile_store(),
        sandbox.state_dir().join("extensions"),
    );
    assert_no_secret_in_files(sandbox.root(), &[SENTINEL_TOKEN], |path| {
        path == store || path.starts_with(&extensions)
    });
    use std::os::unix::fs::PermissionsExt;
    for secret_file in [store, sandbox.state_dir().join("openclaw.json")] {
        let mode = std::fs::metadata(&secret_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{}", secret_file.display());
    }
    // Only the configured router and hub were contacted, each with the token.
    let requests = router.requests();
    assert!(requests.len() >= 6, "{} requests", requests.len());
    for request in requests {
        assert!(
            request.path.starts_with("/v1/") || request.path == WHOAMI,
            "{}",
            request.path
        );
        assert!(request.carries_the_sentinel_token(), "{}", request.path);
    }
}

/// Plain-HTTP requests (loopback routers) never go through a configured proxy, which would see
/// the token in clear; HTTPS requests through a proxy keep it inside TLS.
#[test]
fn proxies_never_see_the_token() {
    let router = MockRouter::start();
    let proxy = MockRouter::start();
    router.on("POST", CHAT, stream_of("direct", "together"));
    let mut sandbox = installed_hf();
    sandbox.write_config(
        &json!({"models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}}),
    );
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
    ] {
        sandbox.set_env(name, &proxy.origin());
    }
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    let run = sandbox.run(["chat", "--model", "huggingface/a/b", "hi"]);
    assert_eq!(run.ok(), "direct\n");
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());

    // An https router behind the proxy: the proxy is asked to tunnel, and sees no token.
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {"baseUrl": "https://router.example.test/v1"}}}}));
    let tunnelled = sandbox.run(["chat", "--model", "huggingface/a/b", "hi"]);
    tunnelled.code(1);
    let asked = proxy.requests();
    assert!(!asked.is_empty(), "the proxy was not used for https");
    for request in asked {
        assert_eq!(request.method, "CONNECT");
        assert!(
            !format!(
                "{:?}{}",
                request.headers,
                String::from_utf8_lossy(&request.body)
            )
            .contains(SENTINEL_TOKEN),
            "the proxy saw the token"
        );
    }
}
