//! The plugin folder and its release archive inside real OpenClaw (`openclaw@2026.9.6`, installed
//! from the npm registry on first run): installed with OpenClaw's own command — the archive
//! unpacked by OpenClaw itself — it replaces the bundled `huggingface` plugin, and OpenClaw's own
//! commands — plugins, onboarding, model discovery, inference — are served by our Rust plugin
//! through the bridge, against the loopback mock router; an installation without this
//! platform's binaries names the platform and the archive to get. Also runs the JS entry's own
//! tests (tests/openclaw/entry.test.mjs) with OpenClaw's Node.

use std::{os::unix::fs::PermissionsExt, path::Path, process::Command};

use openclaw_e2e::{
    MockRouter, Reply, Run, SENTINEL_TOKEN, models_body,
    openclaw::{Home, assemble_folder, bridge_in, installation, pack_archive},
    workspace_root,
};
use serde_json::Value;

use crate::support::{
    CHAT, MODELS, R1, assert_no_secret_in_files, assert_ours_with_the_token,
    openclaw::{assert_no_leak, install, json_of, ok},
    openclaw_onboarding, serve_models, stream_of, with,
};

const ANSWER: &str = "Hello from the mock router, through the bridge";

fn serve_answer(router: &MockRouter) {
    router.on("POST", CHAT, stream_of(ANSWER, "together"));
}

/// A router listing 130 models and answering chats with [`ANSWER`].
fn serving_router() -> MockRouter {
    let router = MockRouter::start();
    serve_models(&router, 130);
    serve_answer(&router);
    router
}

/// The seed's onboarding, served by our auth method and our plugin's config patch; then the
/// router moved to the mock through the plugin's own setting (OpenClaw turns discovery off for
/// a provider whose models.providers base URL is set).
fn onboard(home: &Home, router: &MockRouter) {
    let onboard = ok(home.run(with(openclaw_onboarding(SENTINEL_TOKEN), &["--json"])));
    assert_eq!(json_of(&onboard)["ok"], true, "{onboard}");
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(home.state_dir().join("openclaw.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["agents"]["defaults"]["model"]["primary"], R1);
    assert_eq!(
        config["agents"]["defaults"]["models"][R1]["alias"],
        "Hugging Face"
    );
    assert_eq!(
        config["models"]["providers"]["huggingface"]["api"],
        "openai-completions"
    );
    ok(home.run([
        "config",
        "set",
        "plugins.entries.huggingface.config.baseUrl",
        &router.base_url(),
    ]));
}

/// Discovery: our plugin's request, the mock's 130 models. Returns the first one's ref.
fn discover(home: &Home, router: &MockRouter) -> String {
    let models = ok(home.run([
        "models",
        "list",
        "--provider",
        "huggingface",
        "--refresh",
        "--json",
    ]));
    let listing = json_of(&models);
    let keys: Vec<&str> = listing["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["key"].as_str())
        .collect();
    let body: Value = serde_json::from_slice(&models_body(130)).unwrap();
    let first = format!("huggingface/{}", body["data"][0]["id"].as_str().unwrap());
    assert!(keys.len() >= 130, "{} models:\n{models}", keys.len());
    assert!(keys.contains(&first.as_str()), "{first} missing:\n{models}");
    // The model list is fetched with GET; a HEAD is the bridge warming a connection, without
    // the token.
    let (discovery, warm_ups): (Vec<_>, Vec<_>) = router
        .requests_to(MODELS)
        .into_iter()
        .partition(|request| request.method == "GET");
    assert!(!discovery.is_empty());
    assert!(
        warm_ups
            .iter()
            .all(|r| r.method == "HEAD" && r.header("authorization").is_none()),
        "{warm_ups:?}"
    );
    assert_ours_with_the_token(&discovery[0]);
    first
}

/// OpenClaw's infer: "Say hello" to `model`.
fn infer_hello(home: &Home, model: &str) -> Run {
    home.run([
        "infer",
        "model",
        "run",
        "--local",
        "--model",
        model,
        "--prompt",
        "Say hello",
        "--json",
    ])
}

/// Inference: OpenClaw's infer, answered through the bridge by our plugin (the router's only
/// chat request so far).
fn assert_answered(home: &Home, router: &MockRouter, model: &str) {
    let infer = ok(infer_hello(home, model));
    let answer = json_of(&infer);
    assert_eq!(answer["ok"], true, "{infer}");
    assert_eq!(
        answer["outputs"][0]["text"].as_str().map(str::trim),
        Some(ANSWER),
        "{infer}"
    );
    let chats = router.requests_to(CHAT);
    assert_eq!(chats.len(), 1, "{chats:?}");
    assert!(
        chats[0].sent_by_our_plugin(),
        "not our transport: {:?}",
        chats[0].headers
    );
    assert_eq!(
        format!("huggingface/{}", chats[0].json()["model"].as_str().unwrap()),
        model
    );
}

#[test]
fn our_folder_serves_the_huggingface_provider_in_real_openclaw() {
    let router = serving_router();
    let scratch = tempfile::tempdir().unwrap();
    let folder = assemble_folder(scratch.path());
    let home = Home::new();

    // Installed with the documented command, ours replaces the bundled plugin, without warnings.
    let install = install(&home, &folder);

    let listed = ok(home.run(["plugins", "list", "--json"]));
    let plugins = json_of(&listed);
    let plugins = plugins
        .get("plugins")
        .unwrap_or(&plugins)
        .as_array()
        .unwrap()
        .clone();
    let huggingface: Vec<&Value> = plugins
        .iter()
        .filter(|p| p["id"] == "huggingface")
        .collect();
    assert_eq!(huggingface.len(), 1, "{listed}");
    let plugin = huggingface[0];
    assert_eq!(plugin["status"], "loaded", "{plugin}");
    assert_eq!(plugin["enabled"], true);
    assert_eq!(
        plugin["origin"], "global",
        "the bundled plugin won: {plugin}"
    );
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(&openclaw_e2e::artifacts().hf_manifest).unwrap(),
    )
    .unwrap();
    assert_eq!(plugin["version"], manifest["version"]);
    assert_eq!(
        Path::new(plugin["rootDir"].as_str().unwrap()),
        home.state_dir().join("extensions/huggingface")
    );
    for line in listed.stderr.lines().chain(install.stderr.lines()) {
        let lower = line.to_lowercase();
        assert!(
            !(lower.contains("huggingface")
                && (lower.contains("warn")
                    || lower.contains("invalid")
                    || lower.contains("duplicate"))),
            "a warning about our plugin: {line}"
        );
    }
    let inspect = ok(home.run(["plugins", "inspect", "huggingface"]));
    for expected in [
        "Status: enabled",
        "Origin: global",
        "text-inference: huggingface",
    ] {
        assert!(inspect.stdout.contains(expected), "{expected}:\n{inspect}");
    }

    onboard(&home, &router);
    let model = discover(&home, &router);
    assert_answered(&home, &router, &model);

    // A 402 reaches OpenClaw's output with our actionable message.
    router.on(
        "POST",
        CHAT,
        Reply::json(402, r#"{"error":"You have exceeded your monthly included credits for Inference Providers."}"#),
    );
    let broke = infer_hello(&home, &model);
    assert_no_leak(&broke);
    let text = broke.all_output();
    assert!(
        text.contains("the compute credits of your Hugging Face account are used up")
            && text.contains("huggingface.co/settings/billing"),
        "{broke}"
    );

    // A bridge that cannot run is named as the cause, and OpenClaw carries on.
    let bridge = bridge_in(&home.state_dir().join("extensions/huggingface"));
    std::fs::set_permissions(&bridge, std::fs::Permissions::from_mode(0o644)).unwrap();
    serve_answer(&router);
    let blocked = infer_hello(&home, &model);
    assert!(
        blocked
            .all_output()
            .contains("provider bridge is not executable"),
        "{blocked}"
    );
    ok(home.run(["plugins", "list", "--json"]));

    // The token is in OpenClaw's credential store and nowhere else.
    assert_no_secret_in_files(home.path(), &[SENTINEL_TOKEN], |path| {
        // OpenClaw's profile store.
        path.file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("openclaw.sqlite"))
    });
}

#[test]
fn real_openclaw_installs_the_release_archive_and_serves_from_it() {
    let router = serving_router();
    let scratch = tempfile::tempdir().unwrap();
    let packed = pack_archive(scratch.path(), xtask::archive::NPM_EPOCH);
    let archive = &packed.archives[0];
    let home = Home::new();

    // OpenClaw unpacks the archive itself, from its package/ root.
    install(&home, archive);
    let inspect = ok(home.run(["plugins", "inspect", "huggingface"]));
    for expected in [
        "Status: enabled",
        "Origin: global",
        "text-inference: huggingface",
        "Source: archive",
    ] {
        assert!(inspect.stdout.contains(expected), "{expected}:\n{inspect}");
    }
    let installed = home.state_dir().join("extensions/huggingface");
    for file in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(installed.join(file).is_file(), "{file} not installed");
    }
    let platform = provider_host::manifest::platform();
    let binaries = installed.join(xtask::BINARIES);
    let bridge = bridge_in(&installed);
    assert!(
        std::fs::metadata(&bridge).unwrap().permissions().mode() & 0o100 != 0,
        "the bridge lost its exec bit"
    );

    onboard(&home, &router);
    let model = discover(&home, &router);
    assert_answered(&home, &router, &model);

    // The archive of another platform: the entry names this one and the archive to get.
    let other = if platform == "darwin-arm64" {
        "linux-x64"
    } else {
        "darwin-arm64"
    };
    std::fs::rename(binaries.join(&platform), binaries.join(other)).unwrap();
    let wrong = infer_hello(&home, &model);
    assert_no_leak(&wrong);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(installed.join(xtask::MANIFEST)).unwrap())
            .unwrap();
    let expected = format!(
        "no binaries for {platform} (it has: {other}); install the archive built for it: {}",
        xtask::archive::archive_name(manifest["version"].as_str().unwrap(), &platform)
    );
    assert!(
        wrong.all_output().contains(&expected),
        "{expected}:\n{wrong}"
    );
    assert_eq!(router.requests_to(CHAT).len(), 1, "no second chat request");
}

#[test]
fn the_js_entry_handles_every_bridge_failure() {
    let installation = installation();
    let output = Command::new(&installation.node)
        .arg("--test")
        .arg(workspace_root().join("tests/openclaw/entry.test.mjs"))
        .env("OPENCLAW_PACKAGE", &installation.package)
        .env("OPENCLAW_MANIFEST", &openclaw_e2e::artifacts().hf_manifest)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the JS entry's tests failed:\n{text}"
    );
    assert!(text.contains("fail 0"), "{text}");
}
