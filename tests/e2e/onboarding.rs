//! Onboarding end to end: `host-stub onboard` non-interactive (the seed's command) and
//! interactive (in a pseudo-terminal), token validation against the mock Hub, the config and
//! credential stores under bad input, concurrency and a kill mid-write; and the model-choice
//! commands (`models set`, `models fallbacks …`, `models aliases …`, `config get|set`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::Path,
    process::Stdio,
    time::Duration,
};

use openclaw_e2e::{
    MockRouter, Reply, Run, SENTINEL_TOKEN, Sandbox, artifacts, mock_router::TokenKind,
    mock_router::whoami, models_body, spawn, stage_echo, stage_hf,
};
use serde_json::{Value, json};

const R1: &str = "huggingface/deepseek-ai/DeepSeek-R1";

/// A sandbox with the plugin installed and no token anywhere.
fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox
}

/// The seed's command, with `key` for the flag.
fn seed(key: &str) -> Vec<String> {
    [
        "onboard",
        "--non-interactive",
        "--mode",
        "local",
        "--auth-choice",
        "huggingface-api-key",
        "--huggingface-api-key",
        key,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The seed's onboarding without the key flag: the key comes from elsewhere, or is missing.
fn keyless() -> Vec<String> {
    [
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "huggingface-api-key",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn with(mut args: Vec<String>, more: &[&str]) -> Vec<String> {
    args.extend(more.iter().map(|arg| arg.to_string()));
    args
}

fn config_file(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.state_dir().join("openclaw.json")
}

fn config(sandbox: &Sandbox) -> Value {
    serde_json::from_slice(&std::fs::read(config_file(sandbox)).unwrap()).unwrap()
}

fn profiles_file(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.profile_store()
}

fn profiles(sandbox: &Sandbox) -> Value {
    serde_json::from_slice(&std::fs::read(profiles_file(sandbox)).unwrap()).unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The token appears in no output and in no file but the credential store.
fn assert_token_only_in_store(sandbox: &Sandbox, runs: &[&Run]) {
    for run in runs {
        assert!(
            !run.all_output().contains(SENTINEL_TOKEN),
            "the token leaked into output:\n{run}"
        );
    }
    for (path, bytes) in sandbox.all_files() {
        if path == profiles_file(sandbox)
            || path.starts_with(sandbox.state_dir().join("extensions"))
        {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(SENTINEL_TOKEN),
            "the token leaked into {}",
            path.display()
        );
    }
}

#[test]
fn the_seed_command_stores_the_profile_and_configures_the_provider_without_network() {
    let router = MockRouter::start();
    let mut sandbox = sandbox();
    // Any request would reach the mock (and be recorded); none may be made.
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    let run = sandbox.run(seed(SENTINEL_TOKEN));
    let text = run.ok();
    assert!(
        text.contains("huggingface: stored hf_…s0Ty in profile huggingface:default"),
        "{run}"
    );
    assert!(text.contains(&format!("default model: {R1}")), "{run}");
    assert!(router.requests().is_empty(), "{:?}", router.requests());

    let config = config(&sandbox);
    assert_eq!(config["agents"]["defaults"]["model"]["primary"], R1);
    assert_eq!(
        config["agents"]["defaults"]["models"][R1]["alias"],
        "Hugging Face"
    );
    assert_eq!(config["plugins"]["entries"]["huggingface"]["enabled"], true);
    assert_eq!(
        config["models"]["providers"]["huggingface"],
        json!({"api": "openai-completions", "baseUrl": "https://router.huggingface.co/v1"})
    );
    assert_eq!(
        config["auth"]["profiles"]["huggingface:default"],
        json!({"provider": "huggingface", "mode": "api_key"})
    );
    let profile = &profiles(&sandbox)["profiles"]["huggingface:default"];
    assert_eq!(profile["key"], SENTINEL_TOKEN);
    assert_eq!(profile["provider"], "huggingface");
    assert_eq!(mode(&config_file(&sandbox)), 0o600);
    assert_eq!(mode(&profiles_file(&sandbox)), 0o600);
    assert_token_only_in_store(&sandbox, &[&run]);

    // The stored profile is what later commands use.
    let status = sandbox.run(["auth", "status", "--json"]);
    assert!(status.ok().contains("huggingface:default"), "{status}");
    assert_token_only_in_store(&sandbox, &[&status]);
}

#[test]
fn json_output_describes_what_was_done() {
    let sandbox = sandbox();
    let run = sandbox.run(with(seed(SENTINEL_TOKEN), &["--json"]));
    let report = run.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["provider"], "huggingface");
    assert_eq!(report["profile"], "huggingface:default");
    assert_eq!(
        report["keySource"],
        json!({"kind": "flag", "flag": "--huggingface-api-key"})
    );
    assert_eq!(report["key"], "hf_…s0Ty");
    assert_eq!(report["profileChanged"], true);
    assert_eq!(report["configChanged"], true);
    assert_eq!(report["defaultModel"], R1);
    assert_token_only_in_store(&sandbox, &[&run]);
}

#[test]
fn without_a_key_exit_code_2_names_every_way_to_give_one_and_nothing_is_written() {
    let sandbox = sandbox();
    let run = sandbox.run(keyless());
    run.code(2);
    for way in [
        "--huggingface-api-key",
        "HUGGINGFACE_HUB_TOKEN",
        "HF_TOKEN",
        "profile",
    ] {
        assert!(run.stderr.contains(way), "{way} not named:\n{run}");
    }
    assert!(!config_file(&sandbox).exists());
    assert!(!profiles_file(&sandbox).exists());
}

#[test]
fn the_key_comes_from_the_flag_else_the_environment_else_the_stored_profile() {
    let mut sandbox = sandbox();
    sandbox
        .set_env("HF_TOKEN", "hf_fromHfToken0001")
        .set_env("HUGGINGFACE_HUB_TOKEN", "hf_fromHubToken0002");
    let from_flag = sandbox.run(with(seed(SENTINEL_TOKEN), &["--json"])).json();
    assert_eq!(from_flag["keySource"]["kind"], "flag");

    let from_env = sandbox.run(with(keyless(), &["--json"])).json();
    // OpenClaw's order: HUGGINGFACE_HUB_TOKEN before HF_TOKEN.
    assert_eq!(
        from_env["keySource"],
        json!({"kind": "env", "variable": "HUGGINGFACE_HUB_TOKEN"})
    );
    assert_eq!(from_env["replacedKey"], "hf_…s0Ty");
    assert_eq!(
        profiles(&sandbox)["profiles"]["huggingface:default"]["key"],
        "hf_fromHubToken0002"
    );

    let bare = Sandbox::new();
    stage_hf(&bare.state_dir().join("extensions/huggingface"));
    bare.run(seed(SENTINEL_TOKEN)).ok();
    let from_profile = bare.run(with(keyless(), &["--json"])).json();
    assert_eq!(
        from_profile["keySource"],
        json!({"kind": "profile", "profile": "huggingface:default"})
    );
    assert_eq!(from_profile["profileChanged"], false);
    // The auth choice is also inferred from the key flag alone.
    let inferred = bare.run([
        "onboard",
        "--non-interactive",
        "--huggingface-api-key",
        SENTINEL_TOKEN,
        "--json",
    ]);
    assert_eq!(inferred.json()["provider"], "huggingface");
}

#[test]
fn ref_mode_stores_the_variable_name_not_the_key() {
    let mut sandbox = sandbox();
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    let run = sandbox.run(with(keyless(), &["--secret-input-mode", "ref"]));
    assert!(
        run.ok()
            .contains("stored a reference to $HF_TOKEN in profile huggingface:default"),
        "{run}"
    );
    let profile = &profiles(&sandbox)["profiles"]["huggingface:default"];
    assert_eq!(
        profile["keyRef"],
        json!({"source": "env", "provider": "default", "id": "HF_TOKEN"})
    );
    assert!(profile.get("key").is_none(), "{profile}");
    // Not even the credential store holds the key now.
    for (path, bytes) in sandbox.all_files() {
        if !path.starts_with(sandbox.state_dir().join("extensions")) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(SENTINEL_TOKEN),
                "{}",
                path.display()
            );
        }
    }

    // A key given only on the command line cannot be stored as a reference.
    let other = self::sandbox();
    let refused = other.run(with(seed(SENTINEL_TOKEN), &["--secret-input-mode", "ref"]));
    refused.code(2);
    assert!(
        refused
            .stderr
            .contains("set HUGGINGFACE_HUB_TOKEN or HF_TOKEN"),
        "{refused}"
    );
    assert!(!profiles_file(&other).exists());
    assert_token_only_in_store(&other, &[&refused]);
}

#[test]
fn a_rerun_changes_nothing_and_another_key_replaces_the_stored_one() {
    let sandbox = sandbox();
    sandbox.run(seed(SENTINEL_TOKEN)).ok();
    let config_before = std::fs::read(config_file(&sandbox)).unwrap();
    let profiles_before = std::fs::read(profiles_file(&sandbox)).unwrap();

    let again = sandbox.run(seed(SENTINEL_TOKEN));
    assert!(again.ok().contains("nothing changed"), "{again}");
    assert_eq!(std::fs::read(config_file(&sandbox)).unwrap(), config_before);
    assert_eq!(
        std::fs::read(profiles_file(&sandbox)).unwrap(),
        profiles_before
    );
    assert!(
        !sandbox.state_dir().join("openclaw.json.bak").exists(),
        "an unchanged config needs no backup"
    );

    let replaced = sandbox.run(seed("hf_anotherKeyFor5678"));
    let text = replaced.ok();
    assert!(
        text.contains("replaced the previously stored key (hf_…s0Ty)"),
        "{replaced}"
    );
    assert_eq!(
        profiles(&sandbox)["profiles"]["huggingface:default"]["key"],
        "hf_anotherKeyFor5678"
    );
    assert_token_only_in_store(&sandbox, &[&again, &replaced]);
}

#[test]
fn the_existing_configuration_is_kept_and_a_chosen_model_respected() {
    let sandbox = sandbox();
    std::fs::write(
        config_file(&sandbox),
        "// mine\n{\n  gateway: {port: 18789},\n  models: {providers: {huggingface: {baseUrl: 'http://127.0.0.1:9/v1', models: [{id: 'a/b'}]}}},\n  agents: {defaults: {models: {'huggingface/deepseek-ai/DeepSeek-R1': {alias: 'r1'}}}},\n}\n",
    )
    .unwrap();
    let run = sandbox.run(with(
        seed(SENTINEL_TOKEN),
        &["--model", "huggingface/zai-org/GLM-4.7:cheapest"],
    ));
    run.ok();
    let config = config(&sandbox);
    assert_eq!(config["gateway"]["port"], 18789);
    let provider = &config["models"]["providers"]["huggingface"];
    assert_eq!(provider["baseUrl"], "http://127.0.0.1:9/v1", "{config}");
    assert_eq!(provider["models"], json!([{"id": "a/b"}]));
    assert_eq!(
        config["agents"]["defaults"]["model"]["primary"],
        "huggingface/zai-org/GLM-4.7:cheapest"
    );
    // The user's alias for R1 is theirs.
    assert_eq!(config["agents"]["defaults"]["models"][R1]["alias"], "r1");
    // The previous file is the backup.
    let backup = std::fs::read_to_string(sandbox.state_dir().join("openclaw.json.bak")).unwrap();
    assert!(backup.starts_with("// mine"));
}

fn validating_sandbox(router: &MockRouter) -> Sandbox {
    let mut sandbox = sandbox();
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    router.on(
        "GET",
        "/api/whoami-v2",
        whoami(&[
            (SENTINEL_TOKEN, "alice", TokenKind::Write),
            ("hf_readTokenForBob0001", "bob", TokenKind::Read),
            (
                "hf_fineWithInference02",
                "carol",
                TokenKind::FineGrainedWithInference,
            ),
            (
                "hf_fineWithoutInference3",
                "dave",
                TokenKind::FineGrainedWithoutInference,
            ),
        ]),
    );
    sandbox
}

#[test]
fn validate_accepts_working_tokens_and_names_the_account() {
    let router = MockRouter::start();
    let sandbox = validating_sandbox(&router);
    let run = sandbox.run(with(seed(SENTINEL_TOKEN), &["--validate", "--json"]));
    let report = run.json();
    assert_eq!(report["account"]["account"], "alice");
    assert_eq!(report["account"]["canCallProvider"], true);
    let requests = router.requests_to("/api/whoami-v2");
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].carries_the_sentinel_token(),
        "{:?}",
        requests[0].headers
    );
    assert!(
        requests[0].sent_by_our_plugin(),
        "{:?}",
        requests[0].headers
    );

    for (token, account) in [
        ("hf_readTokenForBob0001", "bob"),
        ("hf_fineWithInference02", "carol"),
    ] {
        let run = sandbox.run(with(seed(token), &["--validate"]));
        assert!(run.ok().contains(account), "{run}");
    }
    assert_token_only_in_store(&sandbox, &[&run]);
}

#[test]
fn validate_refuses_a_token_lacking_the_permission_a_bad_token_and_an_unreachable_hub() {
    let router = MockRouter::start();
    let sandbox = validating_sandbox(&router);

    let lacking = sandbox.run(with(seed("hf_fineWithoutInference3"), &["--validate"]));
    lacking.code(1);
    assert!(
        lacking.stderr.contains("inference.serverless.write")
            || lacking.stderr.contains("Make calls to Inference Providers"),
        "{lacking}"
    );
    assert!(lacking.stderr.contains("nothing was stored"), "{lacking}");
    assert!(!profiles_file(&sandbox).exists());
    assert!(!config_file(&sandbox).exists());

    let rejected = sandbox.run(with(seed("hf_notAKnownToken9999"), &["--validate"]));
    rejected.code(1);
    assert!(rejected.stderr.contains("401"), "{rejected}");
    assert!(!profiles_file(&sandbox).exists());

    let mut offline = self::sandbox();
    offline.set_env("HF_ENDPOINT", "http://127.0.0.1:1");
    let unreachable = offline.run(with(seed(SENTINEL_TOKEN), &["--validate"]));
    unreachable.code(1);
    assert!(
        unreachable.stderr.contains("could not be validated")
            && unreachable.stderr.contains("without --validate"),
        "{unreachable}"
    );
    assert!(!profiles_file(&offline).exists());
    assert_token_only_in_store(&offline, &[&unreachable]);
}

#[test]
fn empty_blank_and_multi_line_keys_are_refused_with_exit_code_2() {
    let sandbox = sandbox();
    for key in ["", "   ", "hf_abc\nhf_def", "hf_abc def"] {
        let run = sandbox.run(seed(key));
        run.code(2);
        assert!(run.stderr.contains("--huggingface-api-key"), "{run}");
    }
    assert!(!profiles_file(&sandbox).exists());
    assert!(!config_file(&sandbox).exists());
    // Pasted forms are cleaned.
    let pasted = sandbox.run(seed(&format!("  export HF_TOKEN=\"{SENTINEL_TOKEN}\"  ")));
    pasted.ok();
    assert_eq!(
        profiles(&sandbox)["profiles"]["huggingface:default"]["key"],
        SENTINEL_TOKEN
    );
}

#[test]
fn a_malformed_config_is_reported_with_its_position_and_left_alone() {
    let sandbox = sandbox();
    let broken = "{\n  agents: {\n    defaults: ,\n  }\n}\n";
    std::fs::write(config_file(&sandbox), broken).unwrap();
    let run = sandbox.run(seed(SENTINEL_TOKEN));
    run.code(1);
    assert!(run.stderr.contains("openclaw.json"), "{run}");
    assert!(run.stderr.contains("line 3 column"), "{run}");
    assert_eq!(
        std::fs::read_to_string(config_file(&sandbox)).unwrap(),
        broken
    );
    assert!(!profiles_file(&sandbox).exists());
    let set = sandbox.run(["config", "set", "gateway.port", "1"]);
    set.code(1);
    assert_eq!(
        std::fs::read_to_string(config_file(&sandbox)).unwrap(),
        broken
    );
}

#[test]
fn a_read_only_state_dir_is_a_clear_error() {
    let sandbox = sandbox();
    // Root ignores permissions: run the host as an unprivileged user then.
    let as_root = unsafe { libc::geteuid() } == 0;
    let mut path = sandbox.state_dir();
    while path.pop() && path.starts_with(std::env::temp_dir()) && path != std::env::temp_dir() {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for entry in ["extensions", "extensions/huggingface"] {
        std::fs::set_permissions(
            sandbox.state_dir().join(entry),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    std::fs::set_permissions(sandbox.state_dir(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut command = if as_root {
        // The unprivileged user may not reach the build's target directory (a checkout under a
        // private directory); it runs a copy inside the sandbox, whose parents it can traverse.
        let program = sandbox.home().join("host-stub");
        std::fs::copy(&artifacts().host_stub, &program).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut command = sandbox.command_for(&program);
        command.uid(65534).gid(65534);
        command
    } else {
        sandbox.command()
    };
    command
        .args(seed(SENTINEL_TOKEN))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = spawn(&mut command).wait_with_output().unwrap();
    std::fs::set_permissions(sandbox.state_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert!(
        stderr.contains(&sandbox.state_dir().display().to_string()),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains(SENTINEL_TOKEN));
    assert!(!config_file(&sandbox).exists());
}

#[test]
fn two_onboardings_at_once_both_land() {
    for _ in 0..6 {
        let mut sandbox = sandbox();
        stage_echo(&sandbox.state_dir().join("extensions/echo"));
        sandbox.set_env("ECHO_API_KEY", "echo-ok");
        let mut hf = sandbox.command();
        hf.args(seed(SENTINEL_TOKEN))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut echo = sandbox.command();
        echo.args([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "echo-api-key",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        let (hf, echo) = (hf.spawn().unwrap(), echo.spawn().unwrap());
        let (hf, echo) = (
            hf.wait_with_output().unwrap(),
            echo.wait_with_output().unwrap(),
        );
        assert!(
            hf.status.success(),
            "{}",
            String::from_utf8_lossy(&hf.stderr)
        );
        assert!(
            echo.status.success(),
            "{}",
            String::from_utf8_lossy(&echo.stderr)
        );
        let stored = profiles(&sandbox);
        assert_eq!(
            stored["profiles"]["huggingface:default"]["key"],
            SENTINEL_TOKEN
        );
        assert_eq!(stored["profiles"]["echo:default"]["key"], "echo-ok");
        let config = config(&sandbox);
        assert_eq!(config["plugins"]["entries"]["huggingface"]["enabled"], true);
        assert_eq!(config["plugins"]["entries"]["echo"]["enabled"], true);
        assert_eq!(config["agents"]["defaults"]["model"]["primary"], R1);
    }
}

#[test]
fn a_kill_during_a_config_write_leaves_the_old_or_the_new_config() {
    let sandbox = sandbox();
    // A large config makes the write long enough to be interrupted.
    let filler: Vec<String> = (0..150_000)
        .map(|i| format!("entry-{i:08}-{}", "x".repeat(40)))
        .collect();
    let mut base = json!({"notes": filler});
    base["agents"] = json!({"defaults": {"model": {"primary": "huggingface/m/start"}}});
    sandbox.write_config(&base);
    let size = std::fs::metadata(config_file(&sandbox)).unwrap().len();
    assert!(size > 8_000_000, "{size}");

    let onboard = |model: &str| {
        let mut command = sandbox.command();
        command
            .args(with(seed(SENTINEL_TOKEN), &["--model", model]))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    // An uninterrupted run times the kills: from 40% to 160% of it, so they land while the
    // configuration is written, whatever the machine's speed.
    let started = std::time::Instant::now();
    assert!(onboard("huggingface/m/start").status().unwrap().success());
    let took = started.elapsed();

    let mut previous = "huggingface/m/start".to_owned();
    let (mut interrupted, mut changed) = (0, 0);
    let rounds = 16u32;
    for round in 0..rounds {
        let model = format!("huggingface/m/round-{round}");
        let mut child = onboard(&model).spawn().unwrap();
        std::thread::sleep(took.mul_f64(0.4 + 1.2 * f64::from(round) / f64::from(rounds - 1)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            interrupted += 1;
        }
        let config = config(&sandbox);
        let primary = config["agents"]["defaults"]["model"]["primary"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            primary == previous || primary == model,
            "round {round}: primary {primary}, expected {previous} or {model}"
        );
        assert_eq!(config["notes"].as_array().unwrap().len(), 150_000);
        changed += usize::from(primary != previous);
        previous = primary;
    }
    assert!(
        interrupted > 0 && changed > 0,
        "the kills must interrupt some runs and let others finish, or the test proves nothing"
    );
}

#[test]
fn models_set_fallbacks_and_aliases_edit_the_configuration() {
    let sandbox = sandbox();
    sandbox.run(seed(SENTINEL_TOKEN)).ok();

    let set = sandbox.run(["models", "set", "huggingface/zai-org/GLM-4.7:cheapest"]);
    assert!(
        set.ok().contains(&format!(
            "primary model: huggingface/zai-org/GLM-4.7:cheapest (was {R1})"
        )),
        "{set}"
    );
    sandbox.run(["models", "set", "foo"]).code(2);

    sandbox
        .run(["models", "fallbacks", "add", "huggingface/Qwen/Qwen3-8B"])
        .ok();
    let unknown = sandbox.run(["models", "fallbacks", "add", "huggingface/acme/unknown-7b"]);
    assert!(unknown.stderr.contains("not in the catalog"), "{unknown}");
    let again = sandbox.run(["models", "fallbacks", "add", "huggingface/Qwen/Qwen3-8B"]);
    assert!(again.ok().contains("already is a fallback"));
    let listed = sandbox
        .run(["models", "fallbacks", "list", "--json"])
        .json();
    assert_eq!(
        listed["fallbacks"],
        json!(["huggingface/Qwen/Qwen3-8B", "huggingface/acme/unknown-7b"])
    );

    sandbox
        .run([
            "models",
            "aliases",
            "add",
            "glm",
            "huggingface/Qwen/Qwen3-8B",
        ])
        .ok();
    // An alias moves when given to another model.
    let moved = sandbox.run([
        "models",
        "aliases",
        "add",
        "GLM",
        "huggingface/zai-org/GLM-4.7",
    ]);
    let text = moved.ok();
    assert!(
        text.contains("alias GLM → huggingface/zai-org/GLM-4.7"),
        "{moved}"
    );
    assert!(
        text.contains("it named huggingface/Qwen/Qwen3-8B before"),
        "{moved}"
    );
    let aliases = sandbox.run(["models", "aliases", "list", "--json"]).json();
    assert_eq!(aliases["aliases"]["GLM"], "huggingface/zai-org/GLM-4.7");
    assert_eq!(aliases["aliases"]["glm"], Value::Null);
    // Hugging Face, set by onboarding, is still R1's.
    assert_eq!(aliases["aliases"]["Hugging Face"], R1);

    // Aliases work wherever a ref is taken.
    sandbox
        .run(["models", "fallbacks", "remove", "huggingface/Qwen/Qwen3-8B"])
        .ok();
    sandbox.run(["models", "fallbacks", "add", "glm"]).ok();
    sandbox
        .run(["models", "fallbacks", "remove", "nope/none"])
        .code(1);
    sandbox
        .run(["models", "aliases", "remove", "nothing-here"])
        .code(1);
    sandbox
        .run(["models", "aliases", "add", "a/b", "huggingface/x/y"])
        .code(2);

    let config = config(&sandbox);
    assert_eq!(
        config["agents"]["defaults"]["model"],
        json!({
            "primary": "huggingface/zai-org/GLM-4.7:cheapest",
            "fallbacks": ["huggingface/acme/unknown-7b", "huggingface/zai-org/GLM-4.7"]
        })
    );
    assert_eq!(
        config["agents"]["defaults"]["models"]["huggingface/zai-org/GLM-4.7"]["alias"],
        "GLM"
    );
    assert_eq!(mode(&config_file(&sandbox)), 0o600);
}

#[test]
fn config_get_and_set_take_dotted_and_bracketed_paths() {
    let sandbox = sandbox();
    sandbox.run(["config", "set", "gateway.port", "18789"]).ok();
    sandbox
        .run([
            "config",
            "set",
            "agents.defaults.models[\"huggingface/zai-org/GLM-4.7\"].alias",
            "GLM",
        ])
        .ok();
    sandbox
        .run(["config", "set", "plugins.load.paths", "['~/plugins']"])
        .ok();
    let port = sandbox.run(["config", "get", "gateway.port"]);
    assert_eq!(port.ok().trim(), "18789");
    let alias = sandbox.run([
        "config",
        "get",
        "agents.defaults.models[\"huggingface/zai-org/GLM-4.7\"].alias",
    ]);
    assert_eq!(alias.ok().trim(), "GLM");
    let paths = sandbox.run(["config", "get", "plugins.load.paths"]).json();
    assert_eq!(paths, json!(["~/plugins"]));
    let unchanged = sandbox.run(["config", "set", "gateway.port", "18789"]);
    assert!(unchanged.ok().contains("already had that value"));
    sandbox.run(["config", "get", "no.such.key"]).code(1);
    // Refuses to replace a value that is not an object on the way.
    sandbox
        .run(["config", "set", "gateway.port.x", "1"])
        .code(1);
    assert_eq!(config(&sandbox)["gateway"]["port"], 18789);
}

/// Interactive onboarding in a pseudo-terminal: the auth picker, the environment token
/// offer, the masked key prompt, validation, and the model picker filled from the live
/// catalog with policy variants, filtered by typing.
#[test]
fn interactive_onboarding_in_a_terminal() {
    let router = MockRouter::start();
    let sandbox = validating_sandbox(&router);
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}
    }));
    let body = models_body(40);
    let listed: Value = serde_json::from_slice(&body).unwrap();
    let id = listed["data"][7]["id"].as_str().unwrap().to_owned();
    router.on("GET", "/v1/models", Reply::json(200, body));
    let mut term = Terminal::start(&sandbox, &["onboard"], &[("HF_TOKEN", SENTINEL_TOKEN)]);
    term.expect("How do you want to authenticate?");
    term.expect("Hugging Face › Hugging Face API key");
    term.answer(SELECT_END, "\r");
    // The token in the environment is offered, masked.
    term.expect("Use existing HF_TOKEN (hf_…s0Ty)?");
    term.answer(CONFIRM_END, "n\r");
    term.expect("Create a token at https://huggingface.co/settings/tokens");
    term.expect("Hugging Face API key:");
    // What is typed shows as asterisks only.
    term.answer("", "hf_fineWithInference02");
    term.expect("**********************");
    term.send("\r");
    term.expect("carol");
    // The model picker: the live catalog, each model with its policy variants, filtered by
    // typing.
    term.expect("Default Hugging Face model");
    term.expect("(cheapest)");
    term.answer(SELECT_END, &format!("{id}:cheapest"));
    term.expect("> ");
    term.expect(&format!("{id}:cheapest"));
    term.answer(SELECT_END, "\r");
    term.expect("configuration updated");
    let transcript = term.finish();
    assert!(
        !transcript.contains("hf_fineWithInference02"),
        "{transcript}"
    );
    assert!(!transcript.contains(SENTINEL_TOKEN), "{transcript}");

    let config = config(&sandbox);
    let primary = config["agents"]["defaults"]["model"]["primary"]
        .as_str()
        .unwrap();
    assert_eq!(primary, format!("huggingface/{id}:cheapest"));
    assert_eq!(
        profiles(&sandbox)["profiles"]["huggingface:default"]["key"],
        "hf_fineWithInference02"
    );
    assert_eq!(router.requests_to("/api/whoami-v2").len(), 1);
    assert_eq!(router.requests_to("/v1/models").len(), 1);
}

#[test]
fn interactive_onboarding_falls_back_to_the_built_in_catalog_and_says_why() {
    let router = MockRouter::start();
    let sandbox = validating_sandbox(&router);
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}
    }));
    router.on("GET", "/v1/models", Reply::json(503, r#"{"error":"busy"}"#));
    let mut term = Terminal::start(
        &sandbox,
        &["onboard", "--auth-choice", "huggingface-api-key"],
        &[("HF_TOKEN", SENTINEL_TOKEN)],
    );
    term.expect("Use existing HF_TOKEN");
    term.answer(CONFIRM_END, "\r");
    term.expect("alice");
    term.expect("Showing the built-in model list");
    term.expect("503");
    // The current default (R1) is pre-selected.
    term.expect("Default Hugging Face model");
    term.expect("> DeepSeek R1");
    term.answer(SELECT_END, "\r");
    term.expect("in profile huggingface:default");
    let transcript = term.finish();
    assert!(!transcript.contains(SENTINEL_TOKEN), "{transcript}");
    assert_eq!(
        config(&sandbox)["agents"]["defaults"]["model"]["primary"],
        R1
    );
}

#[test]
fn interactive_onboarding_offers_the_token_file_after_the_environment() {
    let router = MockRouter::start();
    let sandbox = validating_sandbox(&router);
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}
    }));
    router.on("GET", "/v1/models", Reply::json(503, r#"{"error":"busy"}"#));
    // What `hf auth login` leaves: the token file under $HF_HOME.
    let hf_home = sandbox.root().join("hf-home");
    std::fs::create_dir_all(&hf_home).unwrap();
    std::fs::write(hf_home.join("token"), SENTINEL_TOKEN).unwrap();
    let token_file = hf_home.join("token").display().to_string();
    let mut term = Terminal::start(
        &sandbox,
        &["onboard", "--auth-choice", "huggingface-api-key"],
        &[("HF_HOME", hf_home.to_str().unwrap())],
    );
    term.expect(&format!("Use the token in {token_file} (hf_…s0Ty)?"));
    term.answer(CONFIRM_END, "\r");
    term.expect("alice");
    term.expect("Default Hugging Face model");
    term.answer(SELECT_END, "\r");
    term.expect("not copied into a profile");
    term.expect(&format!("(key from the token file {token_file})"));
    let transcript = term.finish();
    assert!(!transcript.contains(SENTINEL_TOKEN), "{transcript}");
    assert_eq!(
        config(&sandbox)["agents"]["defaults"]["model"]["primary"],
        R1
    );
    // Used from its file: no profile store holds it.
    assert!(!profiles_file(&sandbox).exists());
}

#[test]
fn interactive_onboarding_can_be_cancelled_without_changes() {
    let sandbox = sandbox();
    let mut term = Terminal::start(&sandbox, &["onboard"], &[]);
    term.expect("How do you want to authenticate?");
    term.answer(SELECT_END, "\x1b");
    term.expect("onboarding cancelled; nothing was changed");
    term.finish();
    assert!(!config_file(&sandbox).exists());
    assert!(!profiles_file(&sandbox).exists());
}

#[test]
fn interactive_mode_needs_a_terminal() {
    let sandbox = sandbox();
    let run = sandbox.run(["onboard"]);
    run.code(2);
    assert!(run.stderr.contains("--non-interactive"), "{run}");
}

/// How a select prompt's first drawing ends (its help line).
const SELECT_END: &str = "type to filter]";
/// How a yes/no prompt's drawing ends.
const CONFIRM_END: &str = "/n)";

/// `host-stub args…` in the sandbox on a 120×40 pseudo-terminal, read with ANSI sequences
/// stripped; everything read is kept as the transcript.
struct Terminal {
    session: rexpect::session::PtySession,
    transcript: String,
}

impl Terminal {
    fn start(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = sandbox.command_for("sh");
        command
            .arg("-c")
            .arg("stty rows 40 cols 120 && exec \"$0\" \"$@\"")
            .arg(&artifacts().host_stub)
            .args(args)
            .env("TERM", "xterm-256color")
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let session = rexpect::session::spawn_with_options(
            command,
            rexpect::reader::Options::new()
                .timeout_ms(Some(20_000))
                .strip_ansi_escape_codes(true),
        )
        .unwrap();
        Self {
            session,
            transcript: String::new(),
        }
    }

    /// Waits for `text`. (rexpect hands over bytes one per `char`; UTF-8 is matched and kept
    /// in that form, and decoded for the transcript.)
    fn expect(&mut self, text: &str) {
        let needle: String = text.bytes().map(char::from).collect();
        match self.session.exp_string(&needle) {
            Ok(before) => {
                self.keep(&before);
                self.keep(&needle);
            }
            Err(err) => panic!(
                "waiting for {text:?}: {err}\n--- so far:\n{}",
                self.transcript
            ),
        }
    }

    /// Waits for the end of a prompt's drawing, lets the prompt start reading, then types.
    fn answer(&mut self, drawn: &str, keys: &str) {
        if !drawn.is_empty() {
            self.expect(drawn);
        }
        std::thread::sleep(Duration::from_millis(150));
        self.send(keys);
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).unwrap();
        self.session.flush().unwrap();
    }

    /// Waits for the program to end; returns the whole transcript.
    fn finish(mut self) -> String {
        match self.session.exp_eof() {
            Ok(rest) => self.keep(&rest),
            Err(err) => panic!(
                "waiting for the end: {err}\n--- so far:\n{}",
                self.transcript
            ),
        }
        self.transcript
    }

    fn keep(&mut self, bytes_as_chars: &str) {
        let bytes: Vec<u8> = bytes_as_chars.chars().map(|c| c as u32 as u8).collect();
        self.transcript.push_str(&String::from_utf8_lossy(&bytes));
    }
}
