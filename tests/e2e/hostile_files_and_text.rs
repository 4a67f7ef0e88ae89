//! Hostile input on the host's side, through the real `host-stub` binary: files that are not
//! files (a FIFO nobody writes, an endless device) where a token, a configuration or a manifest
//! should be; nesting deep enough to overflow a recursive parser; text from the router, the Hub
//! and the catalog carrying escape sequences, line breaks and other controls; a token that cannot
//! be one; a credential store left readable by others; a configuration that is a symbolic link.
//! Each test checks a clear message and exit code, that nothing hangs (deadlines), that memory
//! stays bounded where size is the point, that no raw control character reaches a person's
//! terminal, and that the token appears nowhere.

use std::{
    os::unix::fs::PermissionsExt,
    path::Path,
    time::{Duration, Instant},
};

use openclaw_e2e::{
    MockRouter, Reply, Run, SENTINEL_TOKEN, Sandbox, StreamEnd, chat_chunks, measure, stage_echo,
};
use serde_json::json;

use crate::support::{
    CHAT, WHOAMI, chat_router, chat_settings, installed_hf, keyless, listing_router, router_config,
    stream_of, with,
};

/// Long enough for any of these commands on a loaded machine; short enough that a hang fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// A sandbox with the plugin installed, pointed at `router` with no retries, and no token.
fn sandbox_for(router: &MockRouter) -> Sandbox {
    let sandbox = installed_hf();
    sandbox.write_config(&router_config(
        router,
        chat_settings(json!({"maxRetries": 0})),
    ));
    sandbox
}

/// No raw control character but line breaks (and tabs) in what a person sees, no token.
fn assert_clean(run: &Run) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let raw: Vec<char> = text
            .chars()
            .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
            .collect();
        assert!(
            raw.is_empty(),
            "raw control characters {raw:?} on {name}:\n{run}"
        );
    }
    assert!(
        !run.all_output().contains(SENTINEL_TOKEN),
        "the token leaked:\n{run}"
    );
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid, NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
}

#[test]
fn a_token_file_nobody_writes_is_never_waited_for() {
    let router = chat_router(stream_of("hello", "together"));
    let mut sandbox = sandbox_for(&router);
    let fifo = sandbox.root().join("token-fifo");
    mkfifo(&fifo);
    sandbox.set_env("HF_TOKEN_PATH", &fifo.display().to_string());
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    // The token comes from the environment: the file after it is not even opened.
    let chat = sandbox.run_within(["chat", "--model", "huggingface/a/b", "hi"], DEADLINE);
    assert_eq!(chat.code, Some(0), "{chat}");
    assert!(chat.stdout.contains("hello"), "{chat}");
    // `auth status` looks at every place, and says what this one is.
    let status = sandbox.run_within(["auth", "status"], DEADLINE);
    assert_eq!(status.code, Some(0), "{status}");
    assert!(
        status.stdout.contains("is a FIFO, not a regular file"),
        "{status}"
    );
    assert_clean(&status);
}

#[test]
fn an_endless_device_as_token_file_or_configuration_costs_no_memory() {
    let router = MockRouter::start();
    let mut sandbox = sandbox_for(&router);
    sandbox.set_env("HF_TOKEN_PATH", "/dev/zero");
    let launcher = Path::new(env!("CARGO_BIN_EXE_measure-child"));
    let mut status = sandbox.command();
    status.args(["auth", "status"]);
    let sample = measure::sample(launcher, &status);
    assert!(sample.success, "auth status failed");
    assert!(
        sample.peak_rss_kib < 64 * 1024,
        "auth status reached {} KiB reading /dev/zero",
        sample.peak_rss_kib
    );
    let shown = sandbox.run_within(["auth", "status"], DEADLINE);
    assert!(
        shown
            .stdout
            .contains("/dev/zero is a device, not a regular file"),
        "{shown}"
    );

    sandbox.set_env("OPENCLAW_CONFIG_PATH", "/dev/zero");
    let mut list = sandbox.command();
    list.args(["models", "list"]);
    let sample = measure::sample(launcher, &list);
    assert!(!sample.success, "a device is no configuration");
    assert!(
        sample.peak_rss_kib < 64 * 1024,
        "{} KiB",
        sample.peak_rss_kib
    );
    let refused = sandbox.run_within(["models", "list"], DEADLINE);
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(
        refused
            .stderr
            .contains("cannot read the configuration: /dev/zero is a device, not a regular file"),
        "{refused}"
    );
    assert_eq!(refused.stderr.lines().count(), 1, "one line: {refused}");
}

#[test]
fn a_configuration_fifo_is_refused_at_once() {
    let router = MockRouter::start();
    let mut sandbox = sandbox_for(&router);
    let fifo = sandbox.root().join("config-fifo");
    mkfifo(&fifo);
    sandbox.set_env("OPENCLAW_CONFIG_PATH", &fifo.display().to_string());
    let started = Instant::now();
    let refused = sandbox.run_within(["config", "get", "models"], DEADLINE);
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(
        refused.stderr.contains("is a FIFO, not a regular file"),
        "{refused}"
    );
    assert!(started.elapsed() < DEADLINE);
}

#[test]
fn nesting_too_deep_is_a_syntax_error_not_a_crash() {
    let router = MockRouter::start();
    let sandbox = sandbox_for(&router);
    // JSON5 (unquoted key, trailing comma) goes to the recursive parser: it must never see this.
    let deep = format!("{{ a: {}1{}, }}", "[".repeat(200_000), "]".repeat(200_000));
    sandbox.write_config_text(&deep);
    let run = sandbox.run_within(["models", "list"], DEADLINE);
    assert_eq!(run.code, Some(1), "a crash is not an answer:\n{run}");
    assert!(
        run.stderr
            .contains("nested deeper than 128 levels at line 1 column 133"),
        "{run}"
    );

    // A manifest as deep, among good plugins: refused in one line, the others load.
    let sandbox = sandbox_for(&router);
    let bad = sandbox.state_dir().join("extensions/deep");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("openclaw.plugin.json"), &deep).unwrap();
    stage_echo(&sandbox.state_dir().join("extensions/echo"));
    let listed = sandbox.run_within(["plugins", "list", "--json"], DEADLINE);
    assert_eq!(listed.code, Some(0), "{listed}");
    let report = listed.json();
    let loaded: Vec<&str> = report["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(report["refused"].as_array().unwrap().len(), 1, "{listed}");
    assert!(
        loaded.contains(&"huggingface") && loaded.contains(&"echo"),
        "{listed}"
    );
    let refusals = listed.stderr.lines().filter(|l| l.contains("deep")).count();
    assert_eq!(refusals, 1, "{listed}");
    assert!(
        listed.stderr.contains("nested deeper than 128 levels"),
        "{listed}"
    );
}

/// A model list whose ids and names carry a line break, an escape sequence, an OSC title, a
/// BEL, a NUL and a bidirectional override.
fn poisoned_models() -> Vec<u8> {
    serde_json::to_vec(&json!({"object": "list", "data": [
        {"id": "evil/Forged\nhuggingface/fake/Row  Fake  1  0/0", "object": "model", "providers": []},
        {"id": "evil/Colour\u{1b}[31mRed\u{1b}[0m", "name": "Title\u{1b}]0;pwned\u{7}", "object": "model", "providers": []},
        {"id": "evil/Nul\u{0}Bidi\u{202e}gnp.exe", "object": "model", "providers": []},
    ]}))
    .unwrap()
}

#[test]
fn upstream_text_never_drives_the_terminal() {
    let router = listing_router(poisoned_models());
    let mut sandbox = sandbox_for(&router);
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);

    // The catalog table: one row per model, no forged row, no raw controls.
    let table = sandbox.run_within(["models", "list", "--refresh"], DEADLINE);
    assert_eq!(table.code, Some(0), "{table}");
    assert_clean(&table);
    assert!(
        !table
            .stdout
            .lines()
            .any(|line| line.starts_with("huggingface/fake/Row")),
        "a line break in an id forged a row:\n{table}"
    );
    assert!(table.stdout.contains("\\u{1b}[31m"), "{table}");
    // JSON stays exact: the same ids, escaped by JSON itself.
    let json = sandbox.run_within(["models", "list", "--json"], DEADLINE);
    assert!(json.stdout.contains(r"\u001b[31m"), "{json}");

    // A streamed answer with escape sequences, a tool call with a poisoned name, and an error
    // quoting controls.
    let mut chunks =
        chat_chunks("Hi \u{1b}]8;;http://evil\u{7}link\u{1b}]8;;\u{7} \u{1b}[2Jclear\r\nnext");
    chunks.insert(
        chunks.len() - 3,
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c\u{1b}1",
            "type": "function", "function": {"name": "rm\u{1b}[8m", "arguments": "{\"x\":\"\u{7}\"}"}}]}}]})
        .to_string(),
    );
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    router.on(
        "POST",
        CHAT,
        Reply::sse("together", &refs, Duration::ZERO, StreamEnd::Close),
    );
    let chat = sandbox.run_within(["chat", "--model", "huggingface/a/b", "hi"], DEADLINE);
    assert_eq!(chat.code, Some(0), "{chat}");
    assert_clean(&chat);
    assert!(chat.stdout.contains("link"), "{chat}");
    assert!(chat.stderr.contains("tool call"), "{chat}");

    router.on(
        "POST",
        CHAT,
        Reply::json(
            400,
            r#"{"error":{"message":"bad \u001b]0;owned\u0007 request\nsecond line","type":"invalid_request_error"}}"#,
        ),
    );
    let failed = sandbox.run_within(["chat", "--model", "huggingface/a/b", "hi"], DEADLINE);
    assert_eq!(failed.code, Some(1), "{failed}");
    assert_clean(&failed);
    assert!(failed.stderr.contains("request"), "{failed}");
}

#[test]
fn the_hub_account_name_is_shown_not_obeyed() {
    let router = MockRouter::start();
    router.on(
        "GET",
        WHOAMI,
        Reply::json(
            200,
            serde_json::to_vec(
                &json!({"type": "user", "name": "mallory\u{1b}[2J\u{1b}]0;x\u{7}",
                "auth": {"type": "access_token", "accessToken": {"role": "write"}}}),
            )
            .unwrap(),
        ),
    );
    let mut sandbox = sandbox_for(&router);
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    let onboard = sandbox.run_within(
        with(
            keyless(),
            &["--huggingface-api-key", SENTINEL_TOKEN, "--validate"],
        ),
        DEADLINE,
    );
    assert_eq!(onboard.code, Some(0), "{onboard}");
    assert_clean(&onboard);
    assert!(onboard.stdout.contains("mallory"), "{onboard}");
}

#[test]
fn a_token_that_cannot_be_one_is_refused_naming_its_source() {
    let router = MockRouter::start();
    let mut sandbox = sandbox_for(&router);
    sandbox.set_env("HF_TOKEN", "hf_abc\u{7}def");
    let chat = sandbox.run_within(["chat", "--model", "huggingface/a/b", "hi"], DEADLINE);
    assert_eq!(chat.code, Some(1), "{chat}");
    assert!(
        chat.stderr
            .contains("the credential from env: HF_TOKEN has spaces, line breaks or other characters a token cannot have"),
        "{chat}"
    );
    assert!(!chat.stderr.contains("abc"), "the value was shown:\n{chat}");
    assert_clean(&chat);
    assert!(router.requests().is_empty(), "a request went out");
    let status = sandbox.run_within(["auth", "status"], DEADLINE);
    assert!(
        status
            .stdout
            .contains("holds characters a token cannot have"),
        "{status}"
    );
    assert_clean(&status);
}

#[test]
fn a_credential_store_open_to_others_is_made_private_again() {
    let router = MockRouter::start();
    let sandbox = sandbox_for(&router);
    let onboard = sandbox.run_within(
        with(keyless(), &["--huggingface-api-key", SENTINEL_TOKEN]),
        DEADLINE,
    );
    assert_eq!(onboard.code, Some(0), "{onboard}");
    let store = sandbox.profile_store();
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();
    let status = sandbox.run_within(["auth", "status"], DEADLINE);
    assert_eq!(status.code, Some(0), "{status}");
    assert!(
        status
            .stderr
            .contains("holds a credential but was open to others (mode 644); restored to 600"),
        "{status}"
    );
    let mode = std::fs::metadata(&store).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_clean(&status);
}

#[test]
fn a_configuration_behind_a_symbolic_link_stays_a_link() {
    let router = MockRouter::start();
    let sandbox = sandbox_for(&router);
    let config = sandbox.state_dir().join("openclaw.json");
    let real = sandbox.root().join("dotfiles/openclaw.json");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::rename(&config, &real).unwrap();
    std::os::unix::fs::symlink(&real, &config).unwrap();
    let set = sandbox.run_within(
        [
            "config",
            "set",
            "agents.defaults.model.primary",
            "huggingface/a/b",
        ],
        DEADLINE,
    );
    assert_eq!(set.code, Some(0), "{set}");
    assert!(
        std::fs::symlink_metadata(&config)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(
        written["agents"]["defaults"]["model"]["primary"],
        "huggingface/a/b"
    );
    assert!(
        real.with_file_name("openclaw.json.bak").exists(),
        "the backup sits beside the target"
    );
}
