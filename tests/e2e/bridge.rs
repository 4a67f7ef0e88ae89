//! The provider bridge end to end: `openclaw-provider-bridge` in a plugin folder, loading the
//! real Hugging Face plugin, against the mock router — each operation, and each way it can go
//! wrong (a typed error line and a non-zero exit, never a hang or a half-written line).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{Read, Write},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Child, ChildStdout, Command, Stdio},
    time::{Duration, Instant},
};

use openclaw_e2e::{
    MockRouter, Reply, SENTINEL_TOKEN, Sandbox, StreamEnd, artifacts, fixture, library_file,
    models_body, spawn, stage_echo, stage_hf, stream_body, tls_front::TlsFront,
};
use serde_json::{Value, json};

const CHAT: &str = "/v1/chat/completions";

/// A plugin folder as shipped: manifest, library and the bridge beside them.
fn folder(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.root().join("huggingface");
    stage_hf(&dir);
    std::fs::copy(&artifacts().bridge, dir.join("openclaw-provider-bridge")).unwrap();
    dir
}

struct Answer {
    code: Option<i32>,
    lines: Vec<Value>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Answer {
    fn last(&self) -> &Value {
        self.lines
            .last()
            .unwrap_or_else(|| panic!("no output:\n{self}"))
    }
}

fn bridge(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(dir.join("openclaw-provider-bridge"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Starts the bridge in `dir` with `args`, writes `stdin` to it and closes it.
fn start(dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Child {
    let mut command = bridge(dir, env);
    command.args(args);
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = spawn(&mut command);
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child
}

/// Runs the bridge in `dir` with `args`, feeding it `stdin`.
fn call(dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Answer {
    let output = start(dir, env, args, stdin).wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stdout.contains(SENTINEL_TOKEN) && !stderr.contains(SENTINEL_TOKEN),
        "the token leaked:\n{stdout}\n{stderr}"
    );
    let lines = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line:?}"))
        })
        .collect();
    Answer {
        code: output.status.code(),
        lines,
        stdout,
        stderr,
    }
}

fn with_key() -> Vec<(&'static str, &'static str)> {
    vec![("OPENCLAW_PROVIDER_API_KEY", SENTINEL_TOKEN)]
}

fn chat_request(model: &str, prompt: &str) -> String {
    json!({"model": model, "messages": [{"role": "user", "content": prompt}]}).to_string()
}

#[test]
fn info_describes_the_plugin_in_its_folder() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let answer = call(&dir, &[], &["info"], None);
    assert_eq!(answer.code, Some(0), "{answer}");
    assert_eq!(answer.last()["type"], "done");
    let info = &answer.last()["result"];
    assert_eq!(info["id"], "huggingface");
    assert_eq!(info["defaultModel"], "huggingface/deepseek-ai/DeepSeek-R1");
    // The JS entry registers the default the generated manifest carries: the library's.
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("openclaw.plugin.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["native"]["defaultModel"], info["defaultModel"]);
    assert_eq!(info["authMethods"][0]["cliFlag"], "--huggingface-api-key");
    assert_eq!(
        info["library"],
        dir.join(library_file("openclaw_huggingface"))
            .display()
            .to_string()
    );
}

#[test]
fn catalog_fetches_the_live_list_in_openclaws_shape() {
    let router = MockRouter::start();
    router.on("GET", "/v1/models", Reply::json(200, models_body(130)));
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let answer = call(
        &dir,
        &with_key(),
        &["catalog", "--base-url", &router.base_url()],
        None,
    );
    assert_eq!(answer.code, Some(0), "{answer}");
    let catalog = &answer.last()["result"];
    assert_eq!(catalog["source"], "live");
    let provider = &catalog["provider"];
    assert_eq!(provider["baseUrl"], router.base_url());
    assert_eq!(provider["api"], "openai-completions");
    let models = provider["models"].as_array().unwrap();
    assert!(models.len() > 100, "{}", models.len());
    let first = models[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "contextWindow",
            "cost",
            "id",
            "input",
            "maxTokens",
            "name",
            "reasoning"
        ]
    );
    let requests = router.requests_to("/v1/models");
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

    // Static: the built-in list, no credential, no request.
    let built_in = call(&dir, &[], &["catalog", "--mode", "static"], None);
    assert_eq!(built_in.code, Some(0), "{built_in}");
    assert_eq!(built_in.last()["result"]["source"], "built-in");
    assert_eq!(
        built_in.last()["result"]["provider"]["models"]
            .as_array()
            .unwrap()
            .len(),
        11
    );
    assert_eq!(router.requests_to("/v1/models").len(), 1);
}

#[test]
fn catalog_failures_are_typed() {
    let router = MockRouter::start();
    router.on(
        "GET",
        "/v1/models",
        Reply::json(
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
        ),
    );
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let rejected = call(
        &dir,
        &with_key(),
        &["catalog", "--base-url", &router.base_url()],
        None,
    );
    assert_eq!(rejected.code, Some(1), "{rejected}");
    assert_eq!(rejected.last()["code"], "unauthorized");
    assert_eq!(rejected.last()["httpStatus"], 401);

    // Advisory: the built-in list with the reason.
    let advisory = call(
        &dir,
        &with_key(),
        &[
            "catalog",
            "--mode",
            "advisory",
            "--base-url",
            &router.base_url(),
        ],
        None,
    );
    assert_eq!(advisory.code, Some(0), "{advisory}");
    assert_eq!(advisory.last()["result"]["source"], "built-in");
    assert!(
        advisory.last()["result"]["fallbackReason"]
            .as_str()
            .unwrap()
            .contains("401"),
        "{advisory}"
    );

    let missing = call(&dir, &[], &["catalog"], None);
    assert_eq!(missing.code, Some(4), "{missing}");
    assert_eq!(missing.last()["code"], "no_credential");
    assert!(
        missing.last()["message"]
            .as_str()
            .unwrap()
            .contains("OPENCLAW_PROVIDER_API_KEY")
    );

    // The plugin's own variables are accepted too.
    router.on("GET", "/v1/models", Reply::json(200, models_body(3)));
    let own = call(
        &dir,
        &[("HF_TOKEN", SENTINEL_TOKEN)],
        &["catalog", "--base-url", &router.base_url()],
        None,
    );
    assert_eq!(own.code, Some(0), "{own}");
}

#[test]
fn resolve_answers_for_any_router_id() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let known = call(
        &dir,
        &[],
        &["resolve", "huggingface/zai-org/GLM-4.7:cheapest"],
        None,
    );
    assert_eq!(known.code, Some(0), "{known}");
    let model = &known.last()["result"];
    assert_eq!(model["wireModelId"], "zai-org/GLM-4.7:cheapest");
    assert_eq!(model["policy"], "cheapest");
    assert_eq!(model["known"], true);
    assert_eq!(model["model"]["contextWindow"], 202752);

    let unknown = call(
        &dir,
        &[],
        &["resolve", "huggingface/acme/new-model-9b"],
        None,
    );
    assert_eq!(unknown.code, Some(0), "{unknown}");
    let unknown = &unknown.last()["result"];
    assert_eq!(unknown["known"], false);
    assert_eq!(unknown["model"]["id"], "acme/new-model-9b");
    assert!(!unknown["warnings"].as_array().unwrap().is_empty());

    let bad = call(&dir, &[], &["resolve", "huggingface/"], None);
    assert_eq!(bad.code, Some(1), "{bad}");
    assert_eq!(bad.last()["code"], "invalid_request");
}

#[test]
fn chat_streams_json_lines_as_events_arrive() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::sse_bytes(
            "together",
            &fixture("chat.stream.together.deepseek-r1.excerpt.sse"),
            97,
        ),
    );
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let answer = call(
        &dir,
        &with_key(),
        &["chat", "--base-url", &router.base_url()],
        Some(&chat_request("huggingface/deepseek-ai/DeepSeek-R1", "hi")),
    );
    assert_eq!(answer.code, Some(0), "{answer}");
    let kinds: Vec<&str> = answer
        .lines
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    // The excerpt is all thinking: it comes as reasoning, then done.
    assert_eq!(kinds[0], "servingProvider");
    assert!(
        kinds[1..kinds.len() - 1].iter().all(|k| *k == "reasoning"),
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"done"));
    assert_eq!(answer.last()["result"]["model"], "deepseek-ai/DeepSeek-R1");

    // A whole answer: text deltas that add up to the captured text, then usage.
    let body = fixture("chat.stream.together.sse");
    router.on("POST", CHAT, Reply::sse_bytes("together", &body, 61));
    let answer = call(
        &dir,
        &with_key(),
        &["chat", "--base-url", &router.base_url()],
        Some(&chat_request(
            "huggingface/meta-llama/Llama-3.3-70B-Instruct",
            "hi",
        )),
    );
    assert_eq!(answer.code, Some(0), "{answer}");
    let text: String = answer
        .lines
        .iter()
        .filter(|l| l["type"] == "text")
        .map(|l| l["delta"].as_str().unwrap())
        .collect();
    let captured: String = String::from_utf8_lossy(&body)
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .filter_map(|chunk| {
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(!text.is_empty());
    assert_eq!(text, captured);
    let done = answer.last();
    assert_eq!(done["type"], "done");
    assert!(
        done["result"]["usage"]["completionTokens"]
            .as_u64()
            .is_some(),
        "{done}"
    );
    let request = &router.requests_to(CHAT)[0];
    assert_eq!(request.json()["model"], "deepseek-ai/DeepSeek-R1");
    assert!(request.sent_by_our_plugin(), "{:?}", request.headers);
}

#[test]
fn chat_tool_calls_and_provider_errors() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::sse(
            "together",
            &[
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
            ],
            Duration::ZERO,
            StreamEnd::Close,
        ),
    );
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let tools = json!({
        "model": "huggingface/Qwen/Qwen3-32B",
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    });
    let answer = call(
        &dir,
        &with_key(),
        &["chat", "--base-url", &router.base_url()],
        Some(&tools.to_string()),
    );
    assert_eq!(answer.code, Some(0), "{answer}");
    let calls: Vec<&Value> = answer
        .lines
        .iter()
        .filter(|l| l["type"] == "toolCall")
        .collect();
    assert_eq!(calls[0]["name"], "get_weather");
    assert_eq!(calls[0]["id"], "call_1");
    let done = answer.last();
    assert_eq!(done["result"]["finishReason"], "tool_calls");
    assert_eq!(
        done["result"]["toolCalls"][0]["arguments"],
        r#"{"city":"Paris"}"#
    );

    router.on(
        "POST",
        CHAT,
        Reply::json(
            402,
            r#"{"error":"You have exceeded your monthly included credits for Inference Providers."}"#,
        ),
    );
    let broke = call(
        &dir,
        &with_key(),
        &["chat", "--base-url", &router.base_url()],
        Some(&chat_request("huggingface/Qwen/Qwen3-32B", "hi")),
    );
    assert_eq!(broke.code, Some(1), "{broke}");
    let error = broke.last();
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "payment_required");
    assert_eq!(error["httpStatus"], 402);
    assert!(
        error["message"].as_str().unwrap().contains("credits"),
        "{error}"
    );
}

#[test]
fn embed_answers_one_vector_per_text_from_a_plugin_that_serves_embeddings() {
    let sandbox = Sandbox::new();
    let echo = sandbox.root().join("echo");
    stage_echo(&echo);
    std::fs::copy(&artifacts().bridge, echo.join("openclaw-provider-bridge")).unwrap();
    let request = json!({"model": "echo/echo-1", "input": ["aei 12", "xyz!"]}).to_string();
    let answer = call(&echo, &with_key(), &["embed"], Some(&request));
    assert_eq!(answer.code, Some(0), "{answer}");
    let result = &answer.last()["result"];
    assert_eq!(result["dimensions"], 4);
    assert_eq!(result["servingProvider"], "echo");
    assert_eq!(
        result["vectors"],
        json!([[3.0, 0.0, 2.0, 1.0], [0.0, 3.0, 0.0, 1.0]])
    );
    // No texts: the plan, which model and upstream would serve them.
    let plan = call(
        &echo,
        &with_key(),
        &["embed"],
        Some(r#"{"model":"echo/echo-1","input":[]}"#),
    );
    assert_eq!(plan.code, Some(0), "{plan}");
    assert_eq!(plan.last()["result"]["vectors"], json!([]));
    assert_eq!(plan.last()["result"]["servingProvider"], "echo");
    let nameless = call(
        &echo,
        &with_key(),
        &["embed"],
        Some(r#"{"model":" ","input":["x"]}"#),
    );
    assert_eq!(nameless.code, Some(2), "{nameless}");
    assert_eq!(nameless.last()["code"], "invalid_request");
}

#[test]
fn the_ca_node_extra_ca_certs_names_is_trusted_too() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::sse_bytes("mock", &stream_body(4), 64 * 1024),
    );
    // A router whose certificate only a throwaway CA vouches for, as behind an intercepting proxy.
    let front = TlsFront::start(router.addr(), Duration::ZERO);
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let request = chat_request("huggingface/deepseek-ai/DeepSeek-R1", "hi");
    let args = ["chat", "--base-url", &front.base_url()];
    let chat = |extra: &[(&str, &str)]| {
        let mut env = with_key();
        env.extend_from_slice(extra);
        call(&dir, &env, &args, Some(&request))
    };

    let untrusted = chat(&[]);
    assert_eq!(untrusted.code, Some(1), "{untrusted}");
    assert!(
        untrusted.last()["message"]
            .as_str()
            .unwrap()
            .contains("certificate"),
        "{untrusted}"
    );

    let ca = front.ca_file().to_str().unwrap();
    let trusted = chat(&[("NODE_EXTRA_CA_CERTS", ca)]);
    assert_eq!(trusted.code, Some(0), "{trusted}");
    assert_eq!(trusted.last()["type"], "done", "{trusted}");

    // A bundle that is not one, a directory, a missing file: logged, and the system's store
    // alone decides (here: no trust), never a hang or a client that cannot be built.
    let junk = sandbox.root().join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = sandbox.root().join("missing.pem");
    for bundle in [junk.as_path(), sandbox.root(), missing.as_path()] {
        let answer = chat(&[("NODE_EXTRA_CA_CERTS", bundle.to_str().unwrap())]);
        assert_eq!(answer.code, Some(1), "{answer}");
        let message = answer.last()["message"].as_str().unwrap();
        assert!(message.contains("certificate"), "{answer}");
        assert!(!message.contains("cannot build"), "{answer}");
        assert!(answer.stderr.contains("NODE_EXTRA_CA_CERTS"), "{answer}");
    }
    assert_eq!(
        router.requests().len(),
        1,
        "only the trusted chat got through"
    );
}

#[test]
fn bad_invocations_are_refused_with_exit_code_2() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let unknown = call(&dir, &[], &["summon"], None);
    assert_eq!(unknown.code, Some(2), "{unknown}");
    assert_eq!(unknown.last()["code"], "usage");

    for body in [
        "{not json",
        "[]",
        r#"{"model":"huggingface/a/b","messages":[]}"#,
        "",
    ] {
        let malformed = call(&dir, &with_key(), &["chat"], Some(body));
        assert_eq!(malformed.code, Some(2), "{body:?}: {malformed}");
        assert_eq!(malformed.last()["code"], "invalid_request");
    }
    let no_key = call(
        &dir,
        &[],
        &["chat"],
        Some(&chat_request("huggingface/a/b", "hi")),
    );
    assert_eq!(no_key.code, Some(4), "{no_key}");

    let bad_config = call(
        &dir,
        &[],
        &["catalog", "--mode", "static", "--provider-config", "[1"],
        None,
    );
    assert_eq!(bad_config.code, Some(2), "{bad_config}");
}

#[test]
fn a_missing_or_refused_plugin_is_exit_code_3() {
    let sandbox = Sandbox::new();
    // The bridge alone.
    let alone = sandbox.root().join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    std::fs::copy(&artifacts().bridge, alone.join("openclaw-provider-bridge")).unwrap();
    let missing = call(&alone, &[], &["info"], None);
    assert_eq!(missing.code, Some(3), "{missing}");
    assert_eq!(missing.last()["code"], "plugin_unavailable");

    // The library gone from beside its manifest.
    let dir = folder(&sandbox);
    let library = dir.join(library_file("openclaw_huggingface"));
    let moved = sandbox.root().join("moved-library");
    std::fs::rename(&library, &moved).unwrap();
    let gone = call(&dir, &[], &["info"], None);
    assert_eq!(gone.code, Some(3), "{gone}");
    assert!(
        gone.last()["message"]
            .as_str()
            .unwrap()
            .contains(&library_file("openclaw_huggingface"))
    );

    // A world-writable library is refused as host-stub refuses it.
    std::fs::rename(&moved, &library).unwrap();
    std::fs::set_permissions(&library, std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = call(&dir, &[], &["info"], None);
    assert_eq!(refused.code, Some(3), "{refused}");
    assert!(
        refused.last()["message"]
            .as_str()
            .unwrap()
            .contains("writable"),
        "{refused}"
    );
}

/// A stream that drips forever, for interruption tests.
fn dripping(router: &MockRouter) {
    router.on(
        "POST",
        CHAT,
        Reply::words(
            "together",
            &"word ".repeat(400),
            Duration::from_millis(20),
            StreamEnd::Stall,
        ),
    );
}

fn wait_for_disconnect(router: &MockRouter) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while router.disconnects().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the server never saw the disconnect"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Starts a chat through the bridge in `dir` against `router` and waits for its first byte of
/// output, so the stream is under way; returns the child, its output and that byte.
fn chat_under_way(router: &MockRouter, dir: &Path) -> (Child, ChildStdout, u8) {
    let base_url = router.base_url();
    let mut child = start(
        dir,
        &with_key(),
        &["chat", "--base-url", &base_url],
        Some(&chat_request("huggingface/a/b", "hi")),
    );
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    (child, stdout, first[0])
}

#[test]
fn a_bridge_terminated_mid_stream_ends_with_a_typed_line_and_closes_the_connection() {
    let router = MockRouter::start();
    dripping(&router);
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let (mut child, mut stdout, first) = chat_under_way(&router, &dir);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let text = format!("{}{}", first as char, String::from_utf8_lossy(&rest));
    assert!(text.ends_with('\n'), "a line was cut: {text:?}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.last().unwrap()["code"], "cancelled");
    assert!(lines.iter().any(|l| l["type"] == "text"));
    wait_for_disconnect(&router);
}

#[test]
fn a_reader_that_goes_away_cancels_the_request() {
    let router = MockRouter::start();
    dripping(&router);
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let (mut child, stdout, _) = chat_under_way(&router, &dir);
    drop(stdout);
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(started.elapsed() < Duration::from_secs(5));
    wait_for_disconnect(&router);
}
