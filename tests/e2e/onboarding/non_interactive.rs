//! `onboard --non-interactive`: the profile stored and the provider configured without a
//! request, where the key comes from, a reference instead of the key, reruns, an existing
//! configuration kept, keys and configurations refused, a state directory it cannot write.

use std::{
    os::unix::{fs::PermissionsExt, process::CommandExt},
    process::Stdio,
};

use openclaw_e2e::{MockRouter, SENTINEL_TOKEN, artifacts, spawn};
use serde_json::json;

use super::{assert_token_only_in_store, keyless};
use crate::support::{
    R1, assert_no_secret_in_files, config_file, installed_hf, mode, read_config, read_profiles,
    seed, with,
};

#[test]
fn the_seed_command_stores_the_profile_and_configures_the_provider_without_network() {
    let router = MockRouter::start();
    let mut sandbox = installed_hf();
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

    let config = read_config(&sandbox);
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
    let profile = &read_profiles(&sandbox)["profiles"]["huggingface:default"];
    assert_eq!(profile["key"], SENTINEL_TOKEN);
    assert_eq!(profile["provider"], "huggingface");
    assert_eq!(mode(&config_file(&sandbox)), 0o600);
    assert_eq!(mode(&sandbox.profile_store()), 0o600);
    assert_token_only_in_store(&sandbox, &[&run]);

    // The stored profile is what later commands use.
    let status = sandbox.run(["auth", "status", "--json"]);
    assert!(status.ok().contains("huggingface:default"), "{status}");
    assert_token_only_in_store(&sandbox, &[&status]);
}

#[test]
fn json_output_describes_what_was_done() {
    let sandbox = installed_hf();
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
    let sandbox = installed_hf();
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
    assert!(!sandbox.profile_store().exists());
}

#[test]
fn the_key_comes_from_the_flag_else_the_environment_else_the_stored_profile() {
    let mut sandbox = installed_hf();
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
        read_profiles(&sandbox)["profiles"]["huggingface:default"]["key"],
        "hf_fromHubToken0002"
    );

    let bare = installed_hf();
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
    let mut sandbox = installed_hf();
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    let run = sandbox.run(with(keyless(), &["--secret-input-mode", "ref"]));
    assert!(
        run.ok()
            .contains("stored a reference to $HF_TOKEN in profile huggingface:default"),
        "{run}"
    );
    let profile = &read_profiles(&sandbox)["profiles"]["huggingface:default"];
    assert_eq!(
        profile["keyRef"],
        json!({"source": "env", "provider": "default", "id": "HF_TOKEN"})
    );
    assert!(profile.get("key").is_none(), "{profile}");
    // Not even the credential store holds the key now.
    let extensions = sandbox.state_dir().join("extensions");
    assert_no_secret_in_files(sandbox.root(), &[SENTINEL_TOKEN], |path| {
        path.starts_with(&extensions)
    });

    // A key given only on the command line cannot be stored as a reference.
    let other = installed_hf();
    let refused = other.run(with(seed(SENTINEL_TOKEN), &["--secret-input-mode", "ref"]));
    refused.code(2);
    assert!(
        refused
            .stderr
            .contains("set HUGGINGFACE_HUB_TOKEN or HF_TOKEN"),
        "{refused}"
    );
    assert!(!other.profile_store().exists());
    assert_token_only_in_store(&other, &[&refused]);
}

#[test]
fn a_rerun_changes_nothing_and_another_key_replaces_the_stored_one() {
    let sandbox = installed_hf();
    sandbox.run(seed(SENTINEL_TOKEN)).ok();
    let config_before = std::fs::read(config_file(&sandbox)).unwrap();
    let profiles_before = std::fs::read(sandbox.profile_store()).unwrap();

    let again = sandbox.run(seed(SENTINEL_TOKEN));
    assert!(again.ok().contains("nothing changed"), "{again}");
    assert_eq!(std::fs::read(config_file(&sandbox)).unwrap(), config_before);
    assert_eq!(
        std::fs::read(sandbox.profile_store()).unwrap(),
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
        read_profiles(&sandbox)["profiles"]["huggingface:default"]["key"],
        "hf_anotherKeyFor5678"
    );
    assert_token_only_in_store(&sandbox, &[&again, &replaced]);
}

#[test]
fn the_existing_configuration_is_kept_and_a_chosen_model_respected() {
    let sandbox = installed_hf();
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
    let config = read_config(&sandbox);
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

#[test]
fn empty_blank_and_multi_line_keys_are_refused_with_exit_code_2() {
    let sandbox = installed_hf();
    for key in ["", "   ", "hf_abc\nhf_def", "hf_abc def"] {
        let run = sandbox.run(seed(key));
        run.code(2);
        assert!(run.stderr.contains("--huggingface-api-key"), "{run}");
    }
    assert!(!sandbox.profile_store().exists());
    assert!(!config_file(&sandbox).exists());
    // Pasted forms are cleaned.
    let pasted = sandbox.run(seed(&format!("  export HF_TOKEN=\"{SENTINEL_TOKEN}\"  ")));
    pasted.ok();
    assert_eq!(
        read_profiles(&sandbox)["profiles"]["huggingface:default"]["key"],
        SENTINEL_TOKEN
    );
}

#[test]
fn a_malformed_config_is_reported_with_its_position_and_left_alone() {
    let sandbox = installed_hf();
    let broken = "{\n  agents: {\n    defaults: ,\n  }\n}\n";
    sandbox.write_config_text(broken);
    let run = sandbox.run(seed(SENTINEL_TOKEN));
    run.code(1);
    assert!(run.stderr.contains("openclaw.json"), "{run}");
    assert!(run.stderr.contains("line 3 column"), "{run}");
    assert_eq!(
        std::fs::read_to_string(config_file(&sandbox)).unwrap(),
        broken
    );
    assert!(!sandbox.profile_store().exists());
    let set = sandbox.run(["config", "set", "gateway.port", "1"]);
    set.code(1);
    assert_eq!(
        std::fs::read_to_string(config_file(&sandbox)).unwrap(),
        broken
    );
}

#[test]
fn a_read_only_state_dir_is_a_clear_error() {
    let sandbox = installed_hf();
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
