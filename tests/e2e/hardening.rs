//! Hardening: concurrency through one loaded plugin, concurrent writers of the configuration,
//! kills in the middle of file writes, and the secret-hygiene sweep — every CLI command at the
//! most verbose log level with a sentinel token, proxies and redirects included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use openclaw_e2e::{
    MockRouter, Reply, Run, SENTINEL_TOKEN, Sandbox, StreamEnd, call_context, fixture, measure,
    mock_router::{TokenKind, whoami},
    models_body, stage_hf,
};
use openclaw_provider_abi::{
    CatalogRequest, DiscoveryMode, EventKind, abi_stable::std_types::RResult,
};
use serde_json::{Value, json};

const CHAT: &str = "/v1/chat/completions";

/// 256 chats streaming at once through one plugin instance, each answering its own prompt, and
/// 16 catalog refreshes of 5,000 models at once: everything completes, nothing crosses over,
/// memory stays bounded.
#[test]
fn concurrent_streams_and_refreshes_through_one_plugin() {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    let report = sandbox.load_plugins();
    let plugin = Arc::new(report.registry.get("huggingface").unwrap().clone());
    let router = MockRouter::start();
    router
        .on(
            "POST",
            CHAT,
            Reply::EchoStream {
                gap: Duration::from_millis(2),
            },
        )
        .on("GET", "/v1/models", Reply::json(200, models_body(5_000)));
    let base = router.base_url();
    let before = measure::reset_own_peak_rss_kib();
    let started = Instant::now();

    let streams: Vec<_> = (0..256)
        .map(|n| {
            let plugin = plugin.clone();
            let base = base.clone();
            std::thread::spawn(move || {
                let prompt = format!("stream {n} says {} words back", n * 7919 % 1000);
                let request = json!({"model": "huggingface/a/b", "messages": [{"role": "user", "content": prompt}]})
                    .to_string();
                let mut stream = plugin.chat_stream(&call_context(&base), &request).unwrap();
                let (mut text, mut events) = (String::new(), 0usize);
                loop {
                    match stream.next_events(64, 30_000) {
                        RResult::ROk(batch) => {
                            events += batch.len();
                            text.extend(
                                batch
                                    .iter()
                                    .filter(|e| e.kind == EventKind::TEXT_DELTA)
                                    .map(|e| e.text.to_string()),
                            );
                            if batch.iter().any(|e| e.kind == EventKind::DONE) {
                                break;
                            }
                        }
                        RResult::RErr(err) => panic!("stream {n}: {err}"),
                    }
                }
                assert_eq!(text, prompt, "stream {n} got another stream's words");
                events
            })
        })
        .collect();
    let refreshes: Vec<_> = (0..16)
        .map(|_| {
            let plugin = plugin.clone();
            let base = base.clone();
            std::thread::spawn(move || {
                plugin
                    .list_models(&CatalogRequest {
                        context: call_context(&base),
                        mode: DiscoveryMode::STRICT,
                        max_body_bytes: 0,
                    })
                    .unwrap()
                    .models
                    .len()
            })
        })
        .collect();
    let events: usize = streams.into_iter().map(|t| t.join().unwrap()).sum();
    for refresh in refreshes {
        assert_eq!(refresh.join().unwrap(), 5_000);
    }
    let took = started.elapsed();
    let grew_mib = measure::own_peak_rss_kib().saturating_sub(before) / 1024;
    eprintln!(
        "256 streams ({events} events) and 16 refreshes of 5,000 models in {took:?}; peak RSS grew {grew_mib} MiB"
    );
    assert!(grew_mib < 512, "peak RSS grew by {grew_mib} MiB");
    assert_eq!(router.requests_to(CHAT).len(), 256);
}

#[test]
fn concurrent_config_writers_lose_nothing() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&json!({"kept": {"by": "everyone"}}));
    let children: Vec<_> = (0..24)
        .map(|n| {
            sandbox
                .command()
                .args(["config", "set", &format!("writers.w{n}"), &n.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.state_dir().join("openclaw.json")).unwrap(),
    )
    .unwrap();
    for n in 0..24 {
        assert_eq!(config["writers"][format!("w{n}")], n, "w{n} lost: {config}");
    }
    assert_eq!(config["kept"]["by"], "everyone");
}

/// Kills `host-stub` at varying moments while it writes `models.json` (about 8 MB for 5,000
/// models) and the configuration (about 4 MB): each file is always the old or the new valid
/// version. The kills are spread from 40% to 160% of how long an uninterrupted run takes here,
/// so they land in the late phase where the files are written, whatever the machine's speed.
#[test]
fn kills_during_writes_leave_old_or_new_files() {
    let router = MockRouter::start();
    let mut sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}},
        "filler": (0..60_000).map(|i| format!("entry-{i:06}-{}", "y".repeat(40))).collect::<Vec<_>>()
    }));
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    let models_json = sandbox.agent_dir().join("models.json");
    let count_in = |path: &std::path::Path| -> Option<usize> {
        let text = std::fs::read_to_string(path).ok()?;
        let document: Value = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{} is torn: {err}", path.display()));
        Some(
            document["providers"]["huggingface"]["models"]
                .as_array()?
                .len(),
        )
    };
    let round_in = |sandbox: &Sandbox| -> Option<u64> {
        let text = std::fs::read_to_string(sandbox.state_dir().join("openclaw.json")).unwrap();
        let config: Value = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("the configuration is torn: {err}"));
        assert_eq!(config["filler"].as_array().unwrap().len(), 60_000);
        config["round"].as_u64()
    };
    let refresh = |sandbox: &Sandbox| {
        let mut command = sandbox.command();
        command
            .args(["models", "list", "--refresh", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    let set_round = |sandbox: &Sandbox, round: u64| {
        let mut command = sandbox.command();
        command
            .args(["config", "set", "round", &round.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    // One uninterrupted run of each: how long they take here, and the files they leave.
    router.on("GET", "/v1/models", Reply::json(200, models_body(3_000)));
    let started = Instant::now();
    assert!(refresh(&sandbox).status().unwrap().success());
    let refresh_time = started.elapsed();
    let started = Instant::now();
    assert!(set_round(&sandbox, 1_000).status().unwrap().success());
    let set_time = started.elapsed();
    let (mut models, mut round_written) = (count_in(&models_json), round_in(&sandbox));
    assert_eq!((models, round_written), (Some(3_000), Some(1_000)));

    let (mut interrupted, mut models_changed, mut config_changed) = (0, 0, 0);
    let rounds = 14u32;
    for round in 0..rounds {
        let at =
            |took: Duration| took.mul_f64(0.4 + 1.2 * f64::from(round) / f64::from(rounds - 1));
        let count = if round % 2 == 0 { 5_000 } else { 4_000 };
        router.on("GET", "/v1/models", Reply::json(200, models_body(count)));
        let mut child = refresh(&sandbox).spawn().unwrap();
        std::thread::sleep(at(refresh_time));
        let _ = child.kill();
        if !child.wait().unwrap().success() {
            interrupted += 1;
        }
        let now = count_in(&models_json);
        assert!(
            now == models || now == Some(count),
            "round {round}: {now:?} models, expected {models:?} or {count}"
        );
        models_changed += usize::from(now != models);
        models = now;

        let mut child = set_round(&sandbox, u64::from(round)).spawn().unwrap();
        std::thread::sleep(at(set_time));
        let _ = child.kill();
        if !child.wait().unwrap().success() {
            interrupted += 1;
        }
        let now = round_in(&sandbox);
        assert!(
            now == round_written || now == Some(u64::from(round)),
            "round {round}: the configuration says {now:?}, expected {round_written:?} or {round}"
        );
        config_changed += usize::from(now != round_written);
        round_written = now;
    }
    eprintln!(
        "{interrupted} runs killed; models.json replaced {models_changed} times, the configuration {config_changed} times"
    );
    assert!(
        interrupted > 0 && models_changed + config_changed > 0,
        "the kills must interrupt some runs and let others finish, or the test proves nothing"
    );
    // The next writer of each file removes what killed writers left.
    let temporaries = || -> Vec<_> {
        sandbox
            .all_files()
            .into_iter()
            .map(|(path, _)| path)
            .filter(|path| path.to_string_lossy().ends_with(".tmp"))
            .collect()
    };
    eprintln!("temporary files left by the kills: {}", temporaries().len());
    assert!(refresh(&sandbox).status().unwrap().success());
    assert!(set_round(&sandbox, 2_000).status().unwrap().success());
    assert_eq!(temporaries(), Vec::<std::path::PathBuf>::new());
}

/// Plain-HTTP requests (loopback routers) never go through a configured proxy, which would see
/// the token in clear; HTTPS requests through a proxy keep it inside TLS.
#[test]
fn proxies_never_see_the_token() {
    let router = MockRouter::start();
    let proxy = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::words("together", "direct", Duration::ZERO, StreamEnd::Close),
    );
    let mut sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
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

/// Every command, at the most verbose log level, with the sentinel token in the environment and
/// the profile store: the token appears in no output and in no file but the profile store, and
/// its masked form only where a person is shown which key is in use.
#[test]
fn the_token_stays_in_the_profile_store_through_every_command() {
    let router = MockRouter::start();
    router
        .on("GET", "/v1/models", Reply::json(200, models_body(40)))
        .on(
            "GET",
            "/api/whoami-v2",
            whoami(&[(SENTINEL_TOKEN, "alice", TokenKind::Write)]),
        );
    router.on(
        "POST",
        CHAT,
        Reply::words("together", "fine thanks", Duration::ZERO, StreamEnd::Close),
    );
    let mut sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox.write_config(&json!({"plugins": {"entries": {"huggingface": {"config": {"baseUrl": router.base_url()}}}}}));
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
    let store = sandbox.profile_store();
    for (path, bytes) in sandbox.all_files() {
        if path == store || path.starts_with(sandbox.state_dir().join("extensions")) {
            continue;
        }
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SENTINEL_TOKEN),
            "the token leaked into {}",
            path.display()
        );
    }
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
            request.path.starts_with("/v1/") || request.path == "/api/whoami-v2",
            "{}",
            request.path
        );
        assert!(request.carries_the_sentinel_token(), "{}", request.path);
    }
}
