//! Plugin discovery, loading and refusal, end to end: the real `host-stub` binary and the real
//! plugin libraries, staged in temporary plugin directories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{os::unix::fs::PermissionsExt, path::Path};

use openclaw_e2e::{
    Sandbox, artifacts,
    fixtures::{echo_built_against_interface_v2, stage_legacy},
    library_file, stage_echo, stage_hf,
};
use openclaw_provider_abi::{
    CallContext, Cancellation, ErrorCode, EventKind,
    abi_stable::std_types::{ROption, RResult},
};

fn plugins_dir_arg(sandbox: &Sandbox) -> [String; 2] {
    [
        "--plugins-dir".into(),
        sandbox.plugins_dir().display().to_string(),
    ]
}

fn list_json(sandbox: &Sandbox) -> serde_json::Value {
    let mut args = plugins_dir_arg(sandbox).to_vec();
    args.extend(["plugins".into(), "list".into(), "--json".into()]);
    sandbox.run(args).json()
}

/// Ids of the loaded plugins, leaving out the development copy next to the host binary (which
/// `cargo build` always leaves there).
fn loaded_ids(listing: &serde_json::Value) -> Vec<String> {
    listing["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["origin"] != "executable-dir")
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

fn manifest_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("openclaw.plugin.json");
    let mut manifest = manifest_json(&path);
    edit(&mut manifest);
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
}

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
    assert!(
        method["token_url"]
            .as_str()
            .unwrap()
            .starts_with("https://huggingface.co/settings/tokens")
    );

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

/// One broken plugin folder next to a good one: the good one loads, the broken one is refused
/// with a single line naming the file and the reason.
fn assert_refused(name: &str, build: impl FnOnce(&Path), expected_file: &str, reason: &str) {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    let broken = sandbox.plugins_dir().join(name);
    build(&broken);

    let mut args = plugins_dir_arg(&sandbox).to_vec();
    args.extend(["plugins", "list"].map(String::from));
    let run = sandbox.run(&args);
    assert!(
        run.ok().contains("huggingface"),
        "{name}: the good plugin must still load:\n{run}"
    );
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.contains("plugin refused"))
        .collect();
    assert_eq!(lines.len(), 1, "{name}: one refusal line expected:\n{run}");
    let line = lines[0];
    assert!(
        line.contains(&broken.join(expected_file).display().to_string()),
        "{name}: the line must name {expected_file}: {line}"
    );
    assert!(
        line.contains(reason),
        "{name}: expected {reason:?} in: {line}"
    );
    // The JSON form carries the same refusal.
    let listing = list_json(&sandbox);
    assert_eq!(loaded_ids(&listing), ["huggingface"]);
    assert_eq!(listing["refused"].as_array().unwrap().len(), 1, "{name}");
}

fn echo_library_name() -> String {
    library_file("openclaw_echo_provider")
}

#[test]
fn refuses_a_plugin_whose_library_is_missing() {
    assert_refused(
        "missing",
        |dir| {
            stage_echo(dir);
            std::fs::remove_file(dir.join(echo_library_name())).unwrap();
        },
        &echo_library_name(),
        "missing",
    );
}

#[test]
fn refuses_a_file_that_is_not_a_shared_library() {
    assert_refused(
        "garbage",
        |dir| {
            stage_echo(dir);
            std::fs::write(dir.join(echo_library_name()), b"\x7fELF? no, just bytes").unwrap();
        },
        &echo_library_name(),
        "not a shared library",
    );
}

/// Where the last loadable segment of a 64-bit little-endian ELF image ends in the file (what
/// follows, debug information and section headers, is never mapped).
fn loaded_end(image: &[u8]) -> usize {
    let number = |at: usize, width: usize| {
        let mut bytes = [0u8; 8];
        bytes[..width].copy_from_slice(&image[at..at + width]);
        u64::from_le_bytes(bytes) as usize
    };
    let (table, entry_size, entries) = (number(0x20, 8), number(0x36, 2), number(0x38, 2));
    (0..entries)
        .map(|index| table + index * entry_size)
        .filter(|&header| number(header, 4) == 1) // PT_LOAD
        .map(|header| number(header + 8, 8) + number(header + 32, 8)) // p_offset + p_filesz
        .max()
        .expect("a loadable segment")
}

#[test]
fn refuses_corrupt_libraries_without_crashing() {
    // Each refused on its own line, before `dlopen` sees it: a truncated library would be mapped
    // and kill the host on the first call into its missing part.
    type Corrupt = fn(&[u8]) -> Vec<u8>;
    let corruptions: [(&str, Corrupt, &str); 4] = [
        (
            "truncated",
            |bytes| bytes[..bytes.len() / 2].to_vec(),
            "not a shared library",
        ),
        (
            // Without section headers the ELF parser has nothing past the program headers to
            // trip on; the segment check is what notices the missing half.
            "truncated-without-section-headers",
            |bytes| {
                let mut bytes = bytes[..loaded_end(bytes) / 2].to_vec();
                bytes[0x28..0x30].fill(0); // e_shoff
                bytes[0x3C..0x40].fill(0); // e_shnum, e_shstrndx
                bytes
            },
            "truncated: a segment ends at byte",
        ),
        ("empty", |_| Vec::new(), "not a shared library"),
        (
            "bad-header",
            |bytes| {
                let mut bytes = bytes.to_vec();
                bytes[16..64].fill(0xA5);
                bytes
            },
            "not a shared library",
        ),
    ];
    for (name, corrupt, reason) in corruptions {
        assert_refused(
            name,
            |dir| {
                stage_echo(dir);
                let library = dir.join(echo_library_name());
                let bytes = std::fs::read(&library).unwrap();
                std::fs::write(&library, corrupt(&bytes)).unwrap();
            },
            &echo_library_name(),
            reason,
        );
    }
}

#[test]
fn refuses_a_library_without_the_root_module() {
    assert_refused(
        "no-root",
        |dir| {
            stage_echo(dir);
            std::fs::copy(
                &artifacts().not_a_plugin_library,
                dir.join(echo_library_name()),
            )
            .unwrap();
        },
        &echo_library_name(),
        "exports no abi_stable root module",
    );
}

#[test]
fn refuses_a_manifest_declaring_an_incompatible_interface() {
    assert_refused(
        "declares-v2",
        |dir| {
            stage_echo(dir);
            edit_manifest(dir, |m| m["native"]["interface"] = "2.0.0".into());
        },
        "openclaw.plugin.json",
        "built against provider interface 2.0.0",
    );
}

#[test]
fn refuses_a_library_built_against_an_incompatible_interface() {
    // The manifest claims 1.0.0; the library inside was built against 2.0.0. abi_stable's
    // version check at load catches what the manifest hides.
    let v2_library = echo_built_against_interface_v2();
    assert_refused(
        "built-v2",
        |dir| {
            stage_echo(dir);
            std::fs::copy(v2_library, dir.join(echo_library_name())).unwrap();
        },
        &echo_library_name(),
        "built against provider interface 2.0.0",
    );
}

#[test]
fn refuses_a_manifest_that_disagrees_with_its_library() {
    assert_refused(
        "mismatch",
        |dir| {
            stage_echo(dir);
            edit_manifest(dir, |m| m["version"] = "9.9.9".into());
        },
        &echo_library_name(),
        "manifest/library mismatch: the manifest says version \"9.9.9\"",
    );
    assert_refused(
        "wrong-id",
        |dir| {
            stage_echo(dir);
            edit_manifest(dir, |m| m["id"] = "notecho".into());
        },
        &echo_library_name(),
        "manifest/library mismatch: the manifest says id \"notecho\"",
    );
}

#[test]
fn refuses_a_duplicate_provider_id() {
    assert_refused(
        "zz-second-huggingface",
        stage_hf,
        "openclaw.plugin.json",
        "duplicate provider id 'huggingface'",
    );
}

#[test]
fn refuses_a_world_writable_library() {
    assert_refused(
        "writable",
        |dir| {
            stage_echo(dir);
            let library = dir.join(echo_library_name());
            std::fs::set_permissions(&library, std::fs::Permissions::from_mode(0o666)).unwrap();
        },
        &echo_library_name(),
        "world-writable",
    );
}

#[test]
fn refuses_a_library_owned_by_someone_else() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: only root can give a file to another user");
        return;
    }
    assert_refused(
        "foreign",
        |dir| {
            stage_echo(dir);
            std::os::unix::fs::chown(dir.join(echo_library_name()), Some(4242), Some(4242))
                .unwrap();
        },
        &echo_library_name(),
        "owned by uid 4242",
    );
}

#[test]
fn refuses_a_malformed_manifest() {
    assert_refused(
        "malformed",
        |dir| {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("openclaw.plugin.json"), "{ id: \"x\", native: ").unwrap();
        },
        "openclaw.plugin.json",
        "not valid JSON5",
    );
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
fn a_panic_inside_a_plugin_becomes_an_internal_error_and_the_host_survives() {
    let sandbox = Sandbox::new();
    stage_echo(&sandbox.plugins_dir().join("echo"));
    let report = sandbox.load_plugins();
    let echo = report.registry.get("echo").expect("echo loads");
    let request = |text: &str| {
        serde_json::json!({"model": "echo/echo-1", "messages": [{"role": "user", "content": text}]})
            .to_string()
    };
    let context = CallContext::anonymous();

    let err = echo
        .chat(&context, &request("please panic now"))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::INTERNAL);
    assert!(err.message.contains("panicked in chat"), "{err}");

    // The host (this process) is alive and the plugin still answers.
    let answer = echo.chat(&context, &request("hello")).unwrap();
    assert!(answer.contains("echo: hello"), "{answer}");

    // A panic inside a stream method is caught the same way.
    let mut stream = echo
        .chat_stream(&context, &request("stream-panic"))
        .unwrap();
    let RResult::RErr(err) = stream.next_event(10) else {
        panic!("expected an error")
    };
    assert_eq!(err.code, ErrorCode::INTERNAL);
    let mut stream = echo.chat_stream(&context, &request("two words")).unwrap();
    let mut text = String::new();
    loop {
        match stream.next_event(10) {
            RResult::ROk(ROption::RSome(event)) if event.kind == EventKind::TEXT_DELTA => {
                text.push_str(&event.text)
            }
            RResult::ROk(ROption::RSome(event)) if event.kind == EventKind::DONE => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(text, "echo: two words");
}

#[test]
fn a_plugin_built_against_interface_1_1_loads_chats_and_serves_nothing_newer() {
    let sandbox = Sandbox::new();
    stage_legacy(&sandbox.plugins_dir().join("legacy"));
    stage_echo(&sandbox.plugins_dir().join("echo"));
    let listing = list_json(&sandbox);
    let mut ids = loaded_ids(&listing);
    ids.sort();
    assert_eq!(ids, ["echo", "legacy"], "{listing}");
    let view = |id: &str| {
        listing["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(view("legacy")["interface"], "1.1.0");
    assert_eq!(view("legacy")["serves"], serde_json::json!(["chat"]));
    assert_eq!(
        view("echo")["serves"],
        serde_json::json!(["chat", "embeddings"])
    );

    // It chats through today's host binary.
    let mut args = plugins_dir_arg(&sandbox).to_vec();
    args.extend(["chat", "--model", "legacy/old-1", "hello there"].map(String::from));
    let chat = sandbox.run(args);
    assert!(chat.ok().contains("legacy: hello there"), "{chat}");

    // A capability it predates is refused by the host without a call into the library.
    let report = sandbox.load_plugins();
    let legacy = report.registry.get("legacy").unwrap();
    let embedding = r#"{"model":"legacy/old-1","input":["x"]}"#;
    let refused = legacy
        .embed(&CallContext::anonymous(), embedding, &Cancellation::new())
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::UNSUPPORTED);
    assert!(
        refused.message.contains("does not serve embeddings"),
        "{refused}"
    );
}

#[test]
fn a_capability_entry_point_answers_through_the_glue_and_its_panics_are_caught() {
    let sandbox = Sandbox::new();
    stage_echo(&sandbox.plugins_dir().join("echo"));
    let report = sandbox.load_plugins();
    let echo = report.registry.get("echo").unwrap();
    let context = CallContext::anonymous();
    let answer = echo
        .embed(
            &context,
            r#"{"model":"echo/echo-1","input":["aei 12","xyz!"]}"#,
            &Cancellation::new(),
        )
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        answer["vectors"],
        serde_json::json!([[3.0, 0.0, 2.0, 1.0], [0.0, 3.0, 0.0, 1.0]])
    );
    assert_eq!(answer["dimensions"], 4);
    let panicked = echo
        .embed(
            &context,
            r#"{"model":"echo/echo-1","input":["panic"]}"#,
            &Cancellation::new(),
        )
        .unwrap_err();
    assert_eq!(panicked.code, ErrorCode::INTERNAL);
    assert!(panicked.message.contains("panicked in embed"), "{panicked}");
    // Capabilities it does not declare are refused by the host.
    let image = echo
        .generate_image(
            &context,
            r#"{"model":"echo/x","prompt":"p"}"#,
            &Cancellation::new(),
        )
        .unwrap_err();
    assert_eq!(image.code, ErrorCode::UNSUPPORTED);
}

#[test]
fn install_copies_the_plugin_into_extensions() {
    let sandbox = Sandbox::new();
    let source = sandbox.root().join("build/huggingface");
    stage_hf(&source);
    std::fs::write(
        source.join("unrelated-build-output.o"),
        b"not part of the plugin",
    )
    .unwrap();

    let installed = sandbox
        .run(["plugins", "install", source.to_str().unwrap(), "--json"])
        .json();
    let target = sandbox.state_dir().join("extensions/huggingface");
    assert_eq!(installed["path"], target.display().to_string());
    assert_eq!(installed["replaced"], false);
    assert!(target.join("openclaw.plugin.json").is_file());
    assert!(
        !target.join("unrelated-build-output.o").exists(),
        "only plugin files are copied"
    );

    // Found through the state dir, without any flag.
    let listing = sandbox.run(["plugins", "list", "--json"]).json();
    let plugin = &listing["plugins"][0];
    assert_eq!(plugin["id"], "huggingface");
    assert_eq!(plugin["origin"], "state-dir");

    let again = sandbox.run(["plugins", "install", source.to_str().unwrap()]);
    again.code(1);
    assert!(again.stderr.contains("--force"), "{again}");
    let forced = sandbox.run(["plugins", "install", source.to_str().unwrap(), "--force"]);
    assert!(forced.ok().contains("replaced huggingface"), "{forced}");
}

#[test]
fn install_refuses_what_the_host_would_refuse() {
    let sandbox = Sandbox::new();
    let source = sandbox.root().join("build/echo");
    stage_echo(&source);
    edit_manifest(&source, |m| m["version"] = "0.0.1".into());
    let run = sandbox.run(["plugins", "install", source.to_str().unwrap()]);
    run.code(1);
    assert!(run.stderr.contains("manifest/library mismatch"), "{run}");
    assert!(!sandbox.state_dir().join("extensions/echo").exists());
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
    std::fs::write(
        sandbox.state_dir().join("openclaw.json"),
        format!(
            "{{ // JSON5, as OpenClaw writes it\n plugins: {{ load: {{ paths: [{:?}] }} }},\n}}",
            elsewhere.display().to_string()
        ),
    )
    .unwrap();
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
    std::fs::write(
        sandbox.state_dir().join("openclaw.json"),
        "{\n  plugins: ,\n}",
    )
    .unwrap();
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
