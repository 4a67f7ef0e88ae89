//! What the end-to-end tests share, declared once: sandboxes with the plugin installed and pointed
//! at a mock router, the provider settings tests change, request and answer shapes, and the
//! checks every area makes (no token in any output or file, waiting with a deadline). Driving the
//! provider bridge is in [`bridge`], the plugin loaded in this process in [`in_process`], real
//! OpenClaw in [`openclaw`].

pub mod bridge;
pub mod in_process;
pub mod openclaw;

use std::{
    os::unix::fs::PermissionsExt,
    path::Path,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use openclaw_e2e::{
    MockRouter, Reply, Run, SENTINEL_TOKEN, Sandbox, StreamEnd, files_under, mock_router::Recorded,
    stage_hf,
};
use serde_json::{Value, json};

pub use openclaw_e2e::paths::{CHAT, MODELS, OAUTH_TOKEN, WHOAMI};

/// A model all of whose upstreams take tools.
pub const GLM: &str = "zai-org/GLM-4.7";

/// The default model onboarding sets.
pub const R1: &str = "huggingface/deepseek-ai/DeepSeek-R1";

/// A mock router answering every chat request with `reply`.
pub fn chat_router(reply: Reply) -> MockRouter {
    let router = MockRouter::start();
    router.on("POST", CHAT, reply);
    router
}

/// A mock router serving a generated list of `count` models.
pub fn models_router(count: usize) -> MockRouter {
    listing_router(openclaw_e2e::models_body(count))
}

/// A mock router whose model list is `body`.
pub fn listing_router(body: impl Into<Vec<u8>>) -> MockRouter {
    let router = MockRouter::start();
    router.on("GET", MODELS, Reply::json(200, body));
    router
}

/// Serves a model list of `count` generated models at `GET /v1/models`.
pub fn serve_models(router: &MockRouter, count: usize) {
    router.on(
        "GET",
        MODELS,
        Reply::json(200, openclaw_e2e::models_body(count)),
    );
}

/// An answer streamed as the router streams one, word by word, from upstream `provider`.
pub fn stream_of(text: &str, provider: &str) -> Reply {
    Reply::words(provider, text, Duration::ZERO, StreamEnd::Close)
}

/// A streamed answer from upstream together that calls OpenClaw's tool `name` with `arguments`
/// (a JSON text, sent in two pieces as upstreams send it). The call's id is alphanumeric: OpenClaw
/// strips other characters from tool-call ids.
pub fn tool_call(name: &str, arguments: &str) -> Reply {
    let chunk = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
               "model": "mock-org/Mock-Model",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        .to_string()
    };
    let chunks = [
        chunk(json!({"role": "assistant", "content": null}), Value::Null),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "callmock1", "type": "function",
                                   "function": {"name": name, "arguments": ""}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]}),
            Value::Null,
        ),
        chunk(json!({}), "tool_calls".into()),
        "[DONE]".to_owned(),
    ];
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    Reply::sse("together", &refs, Duration::ZERO, StreamEnd::Close)
}

/// `word` streamed `times` times, `gap_ms` apart, from upstream `provider`, ending as `end` says:
/// a stream that takes its time (or never ends), for interruption and deadline tests.
pub fn drip(provider: &str, word: &str, times: usize, gap_ms: u64, end: StreamEnd) -> Reply {
    Reply::words(
        provider,
        &word.repeat(times),
        Duration::from_millis(gap_ms),
        end,
    )
}

/// The captured start of DeepSeek R1's streamed answer (all reasoning), replayed in
/// `piece`-byte pieces.
pub fn r1_excerpt(piece: usize) -> Reply {
    Reply::sse_bytes(
        "together",
        &openclaw_e2e::fixture("chat.stream.together.deepseek-r1.excerpt.sse"),
        piece,
    )
}

/// A chat request document for `model` with one user message.
pub fn chat_request(model: &str, prompt: &str) -> String {
    json!({"model": model, "messages": [{"role": "user", "content": prompt}]}).to_string()
}

/// A sandbox with the Hugging Face plugin installed in its state directory, and no token anywhere.
pub fn installed_hf() -> Sandbox {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    sandbox
}

/// A sandbox with the plugin installed, its configuration pointing the provider at `router`
/// ([`router_config`] with `extra`), and the sentinel token in `HF_TOKEN`.
pub fn pointed_at(router: &MockRouter, extra: Value) -> Sandbox {
    let mut sandbox = installed_hf();
    sandbox.write_config(&router_config(router, extra));
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    sandbox
}

/// A configuration pointing the provider at `router`, with `extra` merged in.
pub fn router_config(router: &MockRouter, extra: Value) -> Value {
    let mut config =
        json!({"models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}});
    merge(&mut config, extra);
    config
}

/// Merges `extra` into `base`, object by object; anything else in `extra` replaces what was there.
pub fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (key, value) in extra {
                merge(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (slot, value) => *slot = value,
    }
}

/// The configuration fragment holding the plugin's own settings (`plugins.entries.huggingface
/// .config`).
pub fn plugin_settings(settings: Value) -> Value {
    json!({"plugins": {"entries": {"huggingface": {"config": settings}}}})
}

/// The configuration fragment holding the plugin's chat settings.
pub fn chat_settings(chat: Value) -> Value {
    plugin_settings(json!({ "chat": chat }))
}

/// The configuration file (`<state dir>/openclaw.json`).
pub fn config_file(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.state_dir().join("openclaw.json")
}

/// The configuration as written.
pub fn read_config(sandbox: &Sandbox) -> Value {
    serde_json::from_slice(&std::fs::read(config_file(sandbox)).unwrap()).unwrap()
}

/// host-stub's credential store as written.
pub fn read_profiles(sandbox: &Sandbox) -> Value {
    serde_json::from_slice(&std::fs::read(sandbox.profile_store()).unwrap()).unwrap()
}

/// The seed's onboarding command, with `key` for the flag.
pub fn seed(key: &str) -> Vec<String> {
    onboarding_with(&[], key)
}

/// OpenClaw's own non-interactive onboarding command line with `key`, which host-stub accepts
/// too.
pub fn openclaw_onboarding(key: &str) -> Vec<String> {
    onboarding_with(&["--accept-risk", "--skip-health"], key)
}

/// `onboard --non-interactive`, then `flags`, then the seed's mode, auth choice and `key`.
fn onboarding_with(flags: &[&str], key: &str) -> Vec<String> {
    let mut args = vec!["onboard", "--non-interactive"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--mode", "local"]);
    args.extend_from_slice(&["--auth-choice", "huggingface-api-key"]);
    args.extend_from_slice(&["--huggingface-api-key", key]);
    args.into_iter().map(str::to_owned).collect()
}

/// The seed's onboarding without the mode or the key flag: the key comes from elsewhere, or is
/// missing.
pub fn keyless() -> Vec<String> {
    [
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "huggingface-api-key",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `args` and then `more`.
pub fn with(mut args: Vec<String>, more: &[&str]) -> Vec<String> {
    args.extend(more.iter().map(|arg| arg.to_string()));
    args
}

/// `--plugins-dir <the sandbox's plugins directory>`.
pub fn plugins_dir_arg(sandbox: &Sandbox) -> [String; 2] {
    [
        "--plugins-dir".into(),
        sandbox.plugins_dir().display().to_string(),
    ]
}

/// `plugins list --json` over the sandbox's plugins directory.
pub fn list_json(sandbox: &Sandbox) -> serde_json::Value {
    let mut args = plugins_dir_arg(sandbox).to_vec();
    args.extend(["plugins".into(), "list".into(), "--json".into()]);
    sandbox.run(args).json()
}

/// Ids of the loaded plugins, leaving out the development copy next to the host binary (which
/// `cargo build` always leaves there).
pub fn loaded_ids(listing: &serde_json::Value) -> Vec<String> {
    listing["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["origin"] != "executable-dir")
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `models list --provider huggingface --json` (with `--refresh` when asked), no token in its
/// output: the provider's entry.
pub fn models_list(sandbox: &Sandbox, refresh: bool) -> Value {
    let mut args = vec!["models", "list", "--provider", "huggingface", "--json"];
    if refresh {
        args.push("--refresh");
    }
    let run = sandbox.run(&args);
    assert_no_secret(&run.all_output(), &[SENTINEL_TOKEN]);
    run.json()["providers"][0].clone()
}

/// stdout as JSON lines.
pub fn json_lines(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}\n{run}"))
        })
        .collect()
}

/// The `error` object of a failed `--json` command: it exited with 1 and printed
/// `{"ok":false,"error":{"code","message"}}`.
pub fn json_failure(run: &Run) -> Value {
    run.code(1);
    let outcome: Value = serde_json::from_str(run.stdout.trim()).unwrap_or_default();
    assert_eq!(outcome["ok"], false, "{run}");
    outcome["error"].clone()
}

/// The `error` line of a failed `chat --json`, which must have exited with 1.
pub fn error_of(run: &Run) -> Value {
    run.code(1);
    let last = json_lines(run).pop().unwrap();
    assert_eq!(last["type"], "error", "{run}");
    last
}

/// The text of the answer's `text` lines (JSON lines of `chat --json` or the bridge).
pub fn text_of(lines: &[Value]) -> String {
    lines
        .iter()
        .filter(|line| line["type"] == "text")
        .map(|line| str_of(&line["delta"]))
        .collect()
}

/// The messages of the `notice` lines.
pub fn notices_in(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|line| line["type"] == "notice")
        .map(|line| str_of(&line["message"]).to_owned())
        .collect()
}

/// A JSON value that must be a string.
pub fn str_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// The text a captured stream carries, extracted independently of the plugin.
pub fn captured_text(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .filter(|data| *data != "[DONE]")
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .filter_map(|chunk| {
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

/// The model of every chat request so far, in order.
pub fn models_sent(router: &MockRouter) -> Vec<String> {
    router
        .requests_to(CHAT)
        .iter()
        .map(|r| r.json()["model"].as_str().unwrap().to_owned())
        .collect()
}

/// The bearer credential of the last request to `path`.
pub fn last_bearer(router: &MockRouter, path: &str) -> Option<String> {
    router
        .requests_to(path)
        .last()
        .and_then(|r| r.header("authorization").map(str::to_owned))
}

/// Asserts that none of `secrets` is in `text`.
pub fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "a token leaked:\n{text}");
    }
}

/// Asserts that the sentinel token is in no output of `run`; returns `run`.
pub fn no_leak(run: &Run) -> &Run {
    assert!(
        !run.all_output().contains(SENTINEL_TOKEN),
        "the token leaked:\n{run}"
    );
    run
}

/// Asserts that none of `secrets` is in any file under `dir` but those `allowed` says.
pub fn assert_no_secret_in_files(dir: &Path, secrets: &[&str], allowed: impl Fn(&Path) -> bool) {
    for (path, bytes) in files_under(dir) {
        if !allowed(&path) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                secrets.iter().all(|secret| !text.contains(secret)),
                "a token leaked into {}",
                path.display()
            );
        }
    }
}

/// Asserts that `request` was sent by our plugin with the sentinel token.
pub fn assert_ours_with_the_token(request: &Recorded) {
    assert!(
        request.carries_the_sentinel_token(),
        "{:?}",
        request.headers
    );
    assert!(request.sent_by_our_plugin(), "{:?}", request.headers);
}

/// A file's permission bits.
pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Waits until `done` says so, failing the test with `what` if that takes longer than `within`.
pub fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what} (not within {within:?})");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits (five seconds at most) for the router to see a client go away.
pub fn wait_for_disconnect(router: &MockRouter) {
    wait_for(
        "the server to see the disconnect",
        Duration::from_secs(5),
        || !router.disconnects().is_empty(),
    );
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    closed.local_addr().unwrap().port()
}

/// Held by a test that measures this process's own peak memory, and by the tests that allocate
/// tens of megabytes in this process: all areas share one test process, and the measurement must
/// not count another test's buffers.
pub fn own_memory_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A PNG's bytes: its signature, then bytes no other image shares.
pub fn png(tag: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0..600u32).map(|i| (i as u8).wrapping_mul(31).wrapping_add(tag)));
    bytes
}

/// A WAV recording's bytes: its header, then bytes no other recording shares.
pub fn wav(tag: u8) -> Vec<u8> {
    let mut bytes = b"RIFF\x24\x08\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0".to_vec();
    bytes.extend((0..2048u32).map(|i| (i as u8).wrapping_mul(7).wrapping_add(tag)));
    bytes
}

/// An MP3's bytes (an ID3 tag, then frames).
pub fn mp3(tag: u8) -> Vec<u8> {
    let mut bytes = b"ID3\x04\0\0\0\0\0\x0a".to_vec();
    bytes.extend((0..1024u32).map(|i| (i as u8).wrapping_mul(13).wrapping_add(tag)));
    bytes
}
