//! The resident bridge end to end: `openclaw-provider-bridge serve` in a plugin folder, loading
//! the real Hugging Face plugin, against the mock router — requests multiplexed over one process
//! (interleaved events routed by request id), cancellation of one request among several, the
//! credential per request, warm connections kept across calls (the mock tells connections apart
//! by the client's port), a connection the router closed, the protocol version, garbage on
//! stdin, and the bridge's end when its stdin closes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc::{Receiver, RecvTimeoutError, channel},
    time::{Duration, Instant},
};

use openclaw_e2e::{
    MockRouter, Reply, SENTINEL_TOKEN, Sandbox, StreamEnd, artifacts, library_file,
    mock_router::Connections, process::alive, spawn, stage_hf,
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

/// A running `serve`, its stdin, and its lines as they arrive.
struct Resident {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Value>,
    /// Lines read but not yet asked for, by request id.
    held: Vec<Value>,
    raw: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Resident {
    fn start(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Self {
        let mut command = Command::new(dir.join("openclaw-provider-bridge"));
        command
            .arg("serve")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = spawn(&mut command);
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let raw = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (sender, lines) = channel();
        {
            let raw = raw.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    raw.lock().unwrap().push_str(&format!("{line}\n"));
                    let value: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|_| panic!("not a JSON line: {line:?}"));
                    if sender.send(value).is_err() {
                        break;
                    }
                }
            });
        }
        {
            let raw = raw.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    raw.lock().unwrap().push_str(&format!("stderr: {line}\n"));
                }
            });
        }
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            held: Vec::new(),
            raw,
        }
    }

    fn send(&mut self, message: &Value) {
        self.send_raw(&format!("{message}\n"));
    }

    fn send_raw(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// The next line, whatever request it belongs to.
    fn next_line(&mut self, timeout: Duration) -> Value {
        if !self.held.is_empty() {
            return self.held.remove(0);
        }
        match self.lines.recv_timeout(timeout) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                panic!("no line within {timeout:?}:\n{}", self.output())
            }
            Err(RecvTimeoutError::Disconnected) => panic!("the bridge ended:\n{}", self.output()),
        }
    }

    /// The next line of request `rid` (lines of other requests are kept for later).
    fn next_for(&mut self, rid: u64) -> Value {
        if let Some(at) = self.held.iter().position(|line| line["rid"] == rid) {
            return self.held.remove(at);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => panic!("no line for request {rid}:\n{}", self.output()),
            };
            if line["rid"] == rid {
                return line;
            }
            self.held.push(line);
        }
    }

    /// Every line of request `rid` up to and including its last one (`done` or `error`).
    fn answer(&mut self, rid: u64) -> Vec<Value> {
        let mut lines = Vec::new();
        loop {
            let line = self.next_for(rid);
            let last = matches!(line["type"].as_str(), Some("done" | "error"));
            lines.push(line);
            if last {
                return lines;
            }
        }
    }

    fn output(&self) -> String {
        self.raw.lock().unwrap().clone()
    }

    /// Closes stdin and waits for the exit (at most `within`); returns the exit code.
    fn close(mut self, within: Duration) -> Option<i32> {
        drop(self.stdin.take());
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(
                    !self.output().contains(SENTINEL_TOKEN),
                    "the token leaked:\n{}",
                    self.output()
                );
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "the bridge outlived its stdin by {within:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Resident {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn settings(router: &MockRouter) -> Value {
    json!({"provider": {"baseUrl": router.base_url()}, "plugin": {"chat": {"maxRetries": 0}}})
}

fn chat(rid: u64, router: &MockRouter, prompt: &str) -> Value {
    json!({
        "rid": rid,
        "op": "chat",
        "credential": SENTINEL_TOKEN,
        "settings": settings(router),
        "request": {"model": "huggingface/a/b", "messages": [{"role": "user", "content": prompt}]},
    })
}

fn text_of(lines: &[Value]) -> String {
    lines
        .iter()
        .filter(|line| line["type"] == "text")
        .map(|line| line["delta"].as_str().unwrap())
        .collect()
}

#[test]
fn one_process_answers_concurrent_requests_each_under_its_id() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::EchoStream {
            gap: Duration::from_millis(2),
        },
    );
    router.on(
        "GET",
        "/v1/models",
        Reply::json(200, openclaw_e2e::models_body(5)),
    );
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    let hello = bridge.next_line(Duration::from_secs(10));
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["protocol"], 2);
    assert_eq!(hello["provider"], "huggingface");
    assert_eq!(hello["serves"], json!(["chat", "embeddings"]));
    assert!(hello["pid"].as_u64().is_some());

    let prompts: Vec<String> = (0..8)
        .map(|n| format!("stream {n} says {} and more words", n * 7919))
        .collect();
    for (n, prompt) in prompts.iter().enumerate() {
        bridge.send(&chat(n as u64 + 1, &router, prompt));
    }
    bridge.send(&json!({"rid": 100, "op": "catalog", "credential": SENTINEL_TOKEN, "settings": settings(&router)}));
    bridge
        .send(&json!({"rid": 101, "op": "resolve", "ref": "huggingface/zai-org/GLM-4.7:cheapest"}));
    bridge.send(&json!({"rid": 102, "op": "info"}));
    bridge.send(&json!({"rid": 103, "op": "onboarding", "config": {}}));
    for (n, prompt) in prompts.iter().enumerate() {
        let lines = bridge.answer(n as u64 + 1);
        assert_eq!(lines.last().unwrap()["type"], "done", "{lines:?}");
        assert_eq!(
            &text_of(&lines),
            prompt,
            "request {} got another's words",
            n + 1
        );
    }
    let catalog = bridge.answer(100);
    assert_eq!(catalog[0]["type"], "done");
    assert_eq!(
        catalog[0]["result"]["provider"]["models"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let model = bridge.answer(101);
    assert_eq!(model[0]["type"], "done");
    assert_eq!(
        model[0]["result"]["wireModelId"],
        "zai-org/GLM-4.7:cheapest"
    );
    assert_eq!(bridge.answer(102)[0]["result"]["id"], "huggingface");
    let onboarding = bridge.answer(103);
    assert!(
        onboarding[0]["result"]["configPatch"].is_object(),
        "{onboarding:?}"
    );
    for request in router.requests() {
        if request.method == "POST" || request.path == "/v1/models" && request.method == "GET" {
            assert!(request.carries_the_sentinel_token(), "{request:?}");
        }
    }
    assert_eq!(bridge.close(Duration::from_secs(2)), Some(0));
}

#[test]
fn a_cancel_stops_that_request_only() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::words(
            "together",
            &"word ".repeat(400),
            Duration::from_millis(20),
            StreamEnd::Close,
        ),
    );
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    bridge.send(&chat(1, &router, "first"));
    bridge.send(&chat(2, &router, "second"));
    // Both under way.
    assert_eq!(bridge.next_for(1)["type"], "servingProvider");
    assert_eq!(bridge.next_for(2)["type"], "servingProvider");
    let cancelled_at = Instant::now();
    bridge.send(&json!({"rid": 1, "op": "cancel"}));
    let first = bridge.answer(1);
    let last = first.last().unwrap();
    assert_eq!(last["type"], "error", "{first:?}");
    assert_eq!(last["code"], "cancelled");
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(2),
        "the cancel took {:?}",
        cancelled_at.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while router.disconnects().is_empty() {
        assert!(Instant::now() < deadline, "the router never saw the cancel");
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = bridge.answer(2);
    assert_eq!(
        second.last().unwrap()["type"],
        "done",
        "the other chat was hurt"
    );
    assert_eq!(text_of(&second), "word ".repeat(400));
    // A cancel for a request that is not in flight is ignored.
    bridge.send(&json!({"rid": 77, "op": "cancel"}));
    bridge.send(&json!({"rid": 3, "op": "info"}));
    assert_eq!(bridge.answer(3)[0]["result"]["id"], "huggingface");
}

#[test]
fn each_request_brings_its_own_credential() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::ByToken {
            replies: vec![(
                "hf_second_profile_token_0000".into(),
                Reply::words("b", "for the second", Duration::ZERO, StreamEnd::Close),
            )],
            otherwise: Box::new(Reply::words(
                "a",
                "for the first",
                Duration::ZERO,
                StreamEnd::Close,
            )),
        },
    );
    let sandbox = Sandbox::new();
    // The environment holds a key too: a request's own credential wins over it.
    let mut bridge = Resident::start(
        &folder(&sandbox),
        &[("HF_TOKEN", "hf_environment_token_00000")],
        &[],
    );
    bridge.next_line(Duration::from_secs(10));
    let mut second = chat(2, &router, "hi");
    second["credential"] = "hf_second_profile_token_0000".into();
    bridge.send(&chat(1, &router, "hi"));
    bridge.send(&second);
    assert_eq!(text_of(&bridge.answer(1)), "for the first");
    assert_eq!(text_of(&bridge.answer(2)), "for the second");
    let tokens: Vec<String> = router
        .requests_to(CHAT)
        .iter()
        .map(|r| r.header("authorization").unwrap().to_owned())
        .collect();
    assert!(tokens.contains(&format!("Bearer {SENTINEL_TOKEN}")));
    assert!(tokens.contains(&"Bearer hf_second_profile_token_0000".to_owned()));
    // Without one, the plugin's own variables count, as everywhere.
    let mut bare = chat(3, &router, "hi");
    bare.as_object_mut().unwrap().remove("credential");
    bridge.send(&bare);
    assert_eq!(bridge.answer(3).last().unwrap()["type"], "done");
    assert_eq!(
        router
            .requests_to(CHAT)
            .last()
            .unwrap()
            .header("authorization"),
        Some("Bearer hf_environment_token_00000")
    );
}

#[test]
fn without_any_credential_the_request_fails_and_the_bridge_goes_on() {
    let router = MockRouter::start();
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    let mut bare = chat(1, &router, "hi");
    bare.as_object_mut().unwrap().remove("credential");
    bridge.send(&bare);
    let failed = bridge.answer(1);
    assert_eq!(failed[0]["code"], "no_credential", "{failed:?}");
    assert!(failed[0]["message"].as_str().unwrap().contains("HF_TOKEN"));
    assert!(router.requests().is_empty());
    bridge.send(&json!({"rid": 2, "op": "info"}));
    assert_eq!(bridge.answer(2)[0]["result"]["id"], "huggingface");
}

#[test]
fn calls_share_one_warm_connection_and_prepare_opens_it_ahead() {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    router.on(
        "POST",
        CHAT,
        Reply::words("together", "warm words", Duration::ZERO, StreamEnd::Close),
    );
    router.on("HEAD", "/v1/models", Reply::json(200, ""));
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    bridge.send(&json!({"rid": 1, "op": "prepare", "settings": settings(&router)}));
    assert_eq!(
        bridge.answer(1)[0],
        json!({"rid": 1, "type": "done", "result": {}})
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while router.requests().is_empty() {
        assert!(Instant::now() < deadline, "prepare opened no connection");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The warm connection returns to the pool once the client has read the warm-up's answer. A
    // chat racing it opens a connection of its own, by design (waiting for the warm-up could be
    // slower than a new connection); this test is about the chats that come after it.
    std::thread::sleep(Duration::from_secs(1));
    for rid in 2..6 {
        bridge.send(&chat(rid, &router, "hi"));
        assert_eq!(bridge.answer(rid).last().unwrap()["type"], "done");
    }
    let requests = router.requests();
    let warm_up = &requests[0];
    assert_eq!(warm_up.method, "HEAD");
    assert!(
        warm_up.header("authorization").is_none(),
        "the warm-up carried the token"
    );
    let ports: Vec<u16> = requests.iter().map(|r| r.client_port).collect();
    assert_eq!(
        ports[1], ports[0],
        "the first chat did not find the warmed connection: {ports:?}"
    );
    // HTTP/1.1 pools hand a connection back a moment after its response ends; a chat sent in that
    // moment may open one more, which the next chats then share. Never one per chat.
    let mut distinct = ports.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(
        distinct.len() <= 2,
        "the calls did not reuse their connections: {ports:?}"
    );
}

#[test]
fn a_stream_whose_end_lags_its_done_keeps_its_connection() {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    // `[DONE]` first, the chunked body's end 150 ms later: the answer is complete at `[DONE]`,
    // but the connection goes back to the pool only once its body has ended.
    router.on(
        "POST",
        CHAT,
        Reply::Stream {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            pieces: vec![
                (Duration::ZERO, openclaw_e2e::stream_body(2)),
                (Duration::from_millis(150), Vec::new()),
            ],
            end: StreamEnd::Close,
        },
    );
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    bridge.send(&chat(1, &router, "hi"));
    assert_eq!(bridge.answer(1).last().unwrap()["type"], "done");
    std::thread::sleep(Duration::from_millis(600));
    bridge.send(&chat(2, &router, "hi"));
    assert_eq!(bridge.answer(2).last().unwrap()["type"], "done");
    let ports: Vec<u16> = router
        .requests_to(CHAT)
        .iter()
        .map(|r| r.client_port)
        .collect();
    assert_eq!(
        ports[0], ports[1],
        "the second chat needed a new connection: {ports:?}"
    );
}

#[test]
fn a_connection_the_router_closed_costs_no_error() {
    let router = MockRouter::start_with(Connections::KeepAlive {
        idle_close: Some(Duration::from_millis(150)),
    });
    router.on(
        "POST",
        CHAT,
        Reply::words("together", "still here", Duration::ZERO, StreamEnd::Close),
    );
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    bridge.send(&chat(1, &router, "hi"));
    assert_eq!(bridge.answer(1).last().unwrap()["type"], "done");
    // The router drops the idle connection; the next call must not notice.
    std::thread::sleep(Duration::from_millis(400));
    bridge.send(&chat(2, &router, "hi"));
    let second = bridge.answer(2);
    assert_eq!(second.last().unwrap()["type"], "done", "{second:?}");
    assert_eq!(text_of(&second), "still here");
}

#[test]
fn a_request_the_router_received_is_never_sent_twice() {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    router.on(
        "POST",
        CHAT,
        Reply::words("together", "still here", Duration::ZERO, StreamEnd::Close),
    );
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    bridge.send(&chat(1, &router, "hi"));
    assert_eq!(bridge.answer(1).last().unwrap()["type"], "done");
    // The pool takes the connection back a moment after its response ends; the next request
    // must find it there.
    std::thread::sleep(Duration::from_millis(300));
    // The router reads the next request on the kept connection, then drops the connection: it
    // may have run the request, so the request is not sent again — not on a new connection,
    // not as a retry (which the settings would allow).
    router.then("POST", CHAT, Reply::Reset);
    let mut retrying = chat(2, &router, "hi");
    retrying["settings"]["plugin"]["chat"] = json!({"maxRetries": 2, "retryBaseMs": 10});
    bridge.send(&retrying);
    let second = bridge.answer(2);
    let last = second.last().unwrap();
    assert_eq!(last["type"], "error", "{second:?}");
    assert_eq!(last["code"], "network", "{second:?}");
    let chats = router.requests_to(CHAT);
    assert_eq!(chats.len(), 2, "the received request was sent again");
    assert_eq!(chats[0].client_port, chats[1].client_port);
}

#[test]
fn a_connection_the_router_closed_while_idle_is_replaced_without_a_failure() {
    let router = MockRouter::start_with(Connections::KeepAlive {
        idle_close: Some(Duration::from_millis(100)),
    });
    router.on(
        "POST",
        CHAT,
        Reply::words("together", "still here", Duration::ZERO, StreamEnd::Close),
    );
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    bridge.send(&chat(1, &router, "hi"));
    assert_eq!(bridge.answer(1).last().unwrap()["type"], "done");
    // The router closes the idle connection before the next request: it never had that
    // request, which goes on a new connection — once, and successfully.
    std::thread::sleep(Duration::from_millis(400));
    bridge.send(&chat(2, &router, "hi"));
    let second = bridge.answer(2);
    assert_eq!(second.last().unwrap()["type"], "done", "{second:?}");
    let chats = router.requests_to(CHAT);
    assert_eq!(chats.len(), 2);
    assert_ne!(chats[0].client_port, chats[1].client_port);
}

#[test]
fn another_protocol_is_refused_at_hello() {
    let sandbox = Sandbox::new();
    let bridge = Resident::start(&folder(&sandbox), &[], &["--protocol", "1"]);
    let mut bridge = bridge;
    let hello = bridge.next_line(Duration::from_secs(10));
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["protocol"], 2);
    assert_eq!(hello["error"]["code"], "protocol_mismatch");
    assert!(
        hello["error"]["message"]
            .as_str()
            .unwrap()
            .contains("speaks protocol 2, the host asked for 1")
    );
    assert_eq!(bridge.close(Duration::from_secs(5)), Some(2));
}

#[test]
fn a_refused_plugin_is_said_at_hello() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    std::fs::remove_file(dir.join(library_file("openclaw_huggingface"))).unwrap();
    let mut bridge = Resident::start(&dir, &[], &[]);
    let hello = bridge.next_line(Duration::from_secs(10));
    assert_eq!(hello["error"]["code"], "plugin_unavailable", "{hello}");
    assert_eq!(bridge.close(Duration::from_secs(5)), Some(3));
}

#[test]
fn garbage_on_stdin_is_answered_and_survived() {
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    bridge.send_raw("{not json\n");
    let bad = bridge.next_line(Duration::from_secs(5));
    assert_eq!(bad["type"], "rejected");
    assert_eq!(bad["code"], "invalid_message");
    assert!(bad.get("rid").is_none());
    bridge.send(&json!({"rid": 4, "op": "summon"}));
    let unknown = bridge.answer(4);
    assert_eq!(unknown[0]["code"], "invalid_request");
    assert!(
        unknown[0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown variant `summon`"),
        "{unknown:?}"
    );
    bridge.send(&json!({"rid": 5, "op": "chat", "request": []}));
    assert_eq!(bridge.answer(5)[0]["code"], "invalid_request");
    bridge.send(&json!({"rid": 6, "op": "catalog", "mode": "static", "settings": 5}));
    assert_eq!(bridge.answer(6)[0]["code"], "invalid_request");
    // A message over the cap is skipped without holding it in memory.
    let huge = format!(
        "{{\"rid\":7,\"op\":\"info\",\"pad\":\"{}\"}}\n",
        "x".repeat(33 << 20)
    );
    bridge.send_raw(&huge);
    let skipped = bridge.next_line(Duration::from_secs(20));
    assert!(
        skipped["message"].as_str().unwrap().contains("was skipped"),
        "{skipped}"
    );
    bridge.send(&json!({"rid": 8, "op": "info"}));
    assert_eq!(bridge.answer(8)[0]["type"], "done");
    // A request id in use twice at once is rejected on a line that ends no request: the live
    // request goes on, and ends as its own.
    let router = MockRouter::start();
    router.on("POST", CHAT, Reply::Stall);
    bridge.send(&chat(9, &router, "hang"));
    bridge.send(&json!({"rid": 9, "op": "info"}));
    let twice = bridge.next_for(9);
    assert_eq!(twice["type"], "rejected", "{twice}");
    assert_eq!(twice["code"], "duplicate_rid");
    bridge.send(&json!({"rid": 9, "op": "cancel"}));
    let ended = bridge.answer(9);
    assert_eq!(ended.last().unwrap()["code"], "cancelled", "{ended:?}");
}

#[test]
fn closing_stdin_ends_the_bridge_and_its_requests() {
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::words(
            "together",
            &"drip ".repeat(500),
            Duration::from_millis(20),
            StreamEnd::Stall,
        ),
    );
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    bridge.send(&chat(1, &router, "hi"));
    assert_eq!(bridge.next_for(1)["type"], "servingProvider");
    assert_eq!(bridge.close(Duration::from_secs(1)), Some(0));
    let deadline = Instant::now() + Duration::from_secs(5);
    while router.disconnects().is_empty() {
        assert!(Instant::now() < deadline, "the request outlived the bridge");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_parent_killed_leaves_no_bridge_behind() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    // A parent that holds the bridge's stdin and is killed outright, as OpenClaw may be.
    // The shell itself waits (on a read of its own stdin), so when it dies nothing else holds
    // the write end of the bridge's stdin.
    let mut parent = Command::new("sh")
        .arg("-c")
        .arg(r#"mkfifo "$1/in"; "$1/openclaw-provider-bridge" serve < "$1/in" > /dev/null 2>&1 & echo $! > "$1/pid"; exec 3> "$1/in"; read -r _"#)
        .arg("sh")
        .arg(&dir)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = dir.join("pid");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&pid_file).map_or(true, |t| t.trim().is_empty()) {
        assert!(Instant::now() < deadline, "the bridge did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    parent.kill().unwrap();
    parent.wait().unwrap();
    let killed = Instant::now();
    while alive(pid) {
        assert!(
            killed.elapsed() < Duration::from_secs(1),
            "the bridge outlived its parent"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_cancel_reaches_a_catalog_download() {
    let router = MockRouter::start();
    router.on("GET", "/v1/models", Reply::Stall);
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    bridge.send(
        &json!({"rid": 1, "op": "catalog", "credential": SENTINEL_TOKEN,
        "settings": settings(&router)}),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while router.requests_to("/v1/models").is_empty() {
        assert!(Instant::now() < deadline, "the catalog request never left");
        std::thread::sleep(Duration::from_millis(5));
    }
    let cancelled_at = Instant::now();
    bridge.send(&json!({"rid": 1, "op": "cancel"}));
    let answer = bridge.answer(1);
    assert_eq!(answer.last().unwrap()["code"], "cancelled", "{answer:?}");
    // Well before the 30 s the download would otherwise be given.
    assert!(cancelled_at.elapsed() < Duration::from_secs(5));
    let deadline = Instant::now() + Duration::from_secs(5);
    while router.disconnects().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the download's connection stayed open"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_answer_too_large_for_a_line_fails_only_its_own_request() {
    // Twelve tool-call pieces of a mebibyte of control characters each: every progress line
    // fits, but the final line, which carries the assembled call escaped six times over, would
    // be over the 64 MiB a line may take.
    let piece = "\\u0001".repeat(1 << 20);
    let events: Vec<String> = (0..12)
        .map(|n| {
            let head = if n == 0 {
                r#""id":"call_1","type":"function","function":{"name":"f","#
            } else {
                r#""function":{"#
            };
            format!(
                r#"{{"choices":[{{"index":0,"delta":{{"tool_calls":[{{"index":0,{head}"arguments":"{piece}"}}}}]}}}}]}}"#
            )
        })
        .chain([r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#.into()])
        .collect();
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::ByToken {
            replies: vec![(
                "hf_small_answer_token_000000".into(),
                Reply::words(
                    "b",
                    "small and fine",
                    Duration::from_millis(20),
                    StreamEnd::Close,
                ),
            )],
            otherwise: Box::new(Reply::sse("a", &events, Duration::ZERO, StreamEnd::Close)),
        },
    );
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    let mut small = chat(2, &router, "hi");
    small["credential"] = "hf_small_answer_token_000000".into();
    bridge.send(&chat(1, &router, "hi"));
    bridge.send(&small);
    let big = bridge.answer(1);
    let last = big.last().unwrap();
    assert_eq!(last["type"], "error");
    assert_eq!(last["code"], "answer_too_large", "{}", last["message"]);
    assert_eq!(text_of(&bridge.answer(2)), "small and fine");
    bridge.send(&json!({"rid": 3, "op": "info"}));
    assert_eq!(bridge.answer(3)[0]["type"], "done");
}

#[test]
fn requests_beyond_the_bytes_in_flight_are_busy_and_the_others_go_on() {
    let router = MockRouter::start();
    router.on("GET", "/v1/models", Reply::Stall);
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    bridge.next_line(Duration::from_secs(10));
    // Eight requests of 30 MiB each are 240 MiB in flight; a ninth is over the 256 MiB budget.
    let pad = "x".repeat(30 << 20);
    for rid in 1..=9 {
        bridge.send(
            &json!({"rid": rid, "op": "catalog", "credential": SENTINEL_TOKEN,
            "settings": settings(&router), "pad": pad}),
        );
    }
    let ninth = bridge.answer(9);
    assert_eq!(ninth[0]["code"], "busy", "{ninth:?}");
    // A small request still fits, and the big ones end when cancelled.
    bridge.send(&json!({"rid": 10, "op": "info"}));
    assert_eq!(bridge.answer(10)[0]["type"], "done");
    for rid in 1..=8 {
        bridge.send(&json!({"rid": rid, "op": "cancel"}));
        assert_eq!(bridge.answer(rid).last().unwrap()["code"], "cancelled");
    }
}
