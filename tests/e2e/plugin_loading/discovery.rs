//! Which plugins `host-stub` finds and where: a plugins directory, the state directory, paths in
//! the configuration, the executable's directory as a development fallback; what `plugins
//! list` and `plugins inspect` say of them.

use openclaw_e2e::{Sandbox, artifacts, stage_echo, stage_hf};

use super::manifest_json;
use crate::support::{list_json, loaded_ids, plugins_dir_arg, str_of};

#[test]
fn lists_and_inspects_the_hugging_face_plugin() {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));

    let listing = list_json(&sandbox);
    assert_eq!(loaded_ids(&listing), ["huggingface"]);
    let plugin = &listing["plugins"][0];
    assert_eq!(plugin["name"], "Hugging Face");
    assert_eq!(
        plugin["interface"],
        openclaw_provider_abi::INTERFACE_VERSION
    );
    assert_eq!(plugin["origin"], "flag");
    assert_eq!(
        plugin["default_model"],
        "huggingface/deepseek-ai/DeepSeek-R1"
    );
    assert!(listing["refused"].as_array().unwrap().is_empty());

    let mut args = plugins_dir_arg(&sandbox).to_vec();
    args.extend(["plugins", "inspect", "huggingface", "--json"].map(String::from));
    let inspected = sandbox.run(&args).json();
    let method = &inspected["auth_methods"][0];
    assert_eq!(method["choice_id"], "huggingface-api-key");
    assert_eq!(method["label"], "Hugging Face API key");
    assert_eq!(method["hint"], "Inference API (HF token)");
    assert_eq!(method["cli_flag"], "--huggingface-api-key");
    assert_eq!(method["option_key"], "huggingfaceApiKey");
    assert_eq!(
        method["env_vars"],
        serde_json::json!([
            "HUGGINGFACE_HUB_TOKEN",
            "HF_TOKEN",
            "HUGGING_FACE_HUB_TOKEN"
        ])
    );
    assert_eq!(method["required_permission"], "inference.serverless.write");
    assert!(str_of(&method["token_url"]).starts_with("https://huggingface.co/settings/tokens"));

    // The human form says the same things.
    args.pop();
    let text = sandbox.run(&args).ok().to_owned();
    for needle in [
        "Hugging Face API key",
        "--huggingface-api-key",
        "HUGGINGFACE_HUB_TOKEN > HF_TOKEN",
        "Make calls to Inference Providers",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn the_manifest_agrees_with_the_library() {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    let mut args = plugins_dir_arg(&sandbox).to_vec();
    args.extend(["plugins", "inspect", "huggingface", "--json"].map(String::from));
    let inspected = sandbox.run(&args).json();
    let manifest = manifest_json(&artifacts().hf_manifest);

    assert_eq!(manifest["id"], inspected["plugin"]["id"]);
    assert_eq!(manifest["version"], inspected["plugin"]["version"]);
    assert_eq!(
        manifest["native"]["interface"],
        inspected["plugin"]["interface"]
    );
    let choices = manifest["providerAuthChoices"].as_array().unwrap();
    let methods = inspected["auth_methods"].as_array().unwrap();
    assert_eq!(choices.len(), methods.len());
    for (choice, method) in choices.iter().zip(methods) {
        assert_eq!(choice["choiceId"], method["choice_id"]);
        assert_eq!(choice["choiceLabel"], method["label"]);
        assert_eq!(choice["choiceHint"], method["hint"]);
        assert_eq!(choice["cliFlag"], method["cli_flag"]);
        assert_eq!(choice["optionKey"], method["option_key"]);
        assert_eq!(choice["method"], method["method"]);
    }
    assert_eq!(
        manifest["setup"]["providers"][0]["envVars"],
        methods[0]["env_vars"]
    );
    assert_eq!(
        manifest["modelCatalog"]["providers"]["huggingface"]["baseUrl"],
        inspected["plugin"]["default_base_url"]
    );
}

#[test]
fn two_providers_load_into_one_host_and_swap_without_rebuilding_it() {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    stage_echo(&sandbox.plugins_dir().join("echo"));
    let listing = list_json(&sandbox);
    assert_eq!(loaded_ids(&listing), ["echo", "huggingface"]);

    // One plugin folder, two different plugins dropped into it in turn, one host binary.
    let slot = Sandbox::new();
    let folder = slot.plugins_dir().join("provider");
    stage_echo(&folder);
    assert_eq!(loaded_ids(&list_json(&slot)), ["echo"]);
    std::fs::remove_dir_all(&folder).unwrap();
    stage_hf(&folder);
    assert_eq!(loaded_ids(&list_json(&slot)), ["huggingface"]);
}

#[test]
fn skips_another_hosts_plugin_quietly() {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    let js_only = sandbox.plugins_dir().join("js-only");
    std::fs::create_dir_all(&js_only).unwrap();
    std::fs::write(
        js_only.join("openclaw.plugin.json"),
        r#"{"id": "js-only", "configSchema": {}}"#,
    )
    .unwrap();

    let mut args = plugins_dir_arg(&sandbox).to_vec();
    args.extend(["plugins", "list"].map(String::from));
    let run = sandbox.run(&args);
    assert!(run.ok().contains("huggingface"));
    assert!(run.stderr.is_empty(), "nothing to say about it:\n{run}");

    args.insert(0, "-v".into());
    let verbose = sandbox.run(&args);
    assert!(
        verbose.stderr.contains("no native block"),
        "named with -v:\n{verbose}"
    );
}

#[test]
fn the_executable_directory_is_a_development_fallback() {
    // `cargo build` leaves the plugin and its manifest next to host-stub.
    let sandbox = Sandbox::new();
    let listing = sandbox.run(["plugins", "list", "--json"]).json();
    let plugin = &listing["plugins"][0];
    assert_eq!(plugin["id"], "huggingface");
    assert_eq!(plugin["origin"], "executable-dir");
    assert_eq!(plugin["dir"], artifacts().profile_dir.display().to_string());

    // An installed copy takes precedence; the development copy is shadowed without complaint.
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    let run = sandbox.run(["plugins", "list", "--json"]);
    assert_eq!(run.json()["plugins"][0]["origin"], "state-dir");
    assert!(run.stderr.is_empty(), "{run}");
}

#[test]
fn config_load_paths_are_searched() {
    let sandbox = Sandbox::new();
    let elsewhere = sandbox.root().join("elsewhere/echo");
    stage_echo(&elsewhere);
    sandbox.write_config_text(&format!(
        "{{ // JSON5, as OpenClaw writes it\n plugins: {{ load: {{ paths: [{:?}] }} }},\n}}",
        elsewhere.display().to_string()
    ));
    let listing = sandbox.run(["plugins", "list", "--json"]).json();
    let echo = listing["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "echo")
        .expect("echo found through plugins.load.paths");
    assert_eq!(echo["origin"], "config");
}

#[test]
fn a_broken_config_is_reported_with_its_position() {
    let sandbox = Sandbox::new();
    sandbox.write_config_text("{\n  plugins: ,\n}");
    let run = sandbox.run(["plugins", "list"]);
    run.code(1);
    assert!(run.stderr.contains("openclaw.json"), "{run}");
    assert!(run.stderr.contains("line 2"), "{run}");
}

#[test]
fn unknown_plugin_ids_are_named() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(["plugins", "inspect", "nope"]);
    run.code(1);
    assert!(run.stderr.contains("no plugin with id 'nope'"), "{run}");
}
