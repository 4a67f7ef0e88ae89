//! The resident bridge inside real OpenClaw 2026.9.6 (installed into `target/openclaw/` on first
//! run): an agent turn whose model first asks for a tool and then answers — two model calls in
//! one OpenClaw process — served by one bridge process over one connection; OpenClaw killed
//! outright leaves no bridge behind; and, through `openclaw gateway`, user turns share the
//! bridge and its connection, a bridge killed mid-stream is a typed error, and the next turn
//! gets a new bridge.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use openclaw_e2e::{
    MockRouter, Reply, SENTINEL_TOKEN, StreamEnd,
    mock_router::Connections,
    openclaw::{Home, assemble_folder, bridge_starts, log_bridge_starts},
    process::{alive, parent_of},
};

use crate::support::{
    CHAT, MODELS, drip,
    openclaw::{install, json_of, ok},
    stream_of, tool_call, wait_for, wait_for_disconnect,
};

const MODEL: &str = "huggingface/mock-org/Mock-Model";
const ANSWER: &str = "The tool ran and this is the final answer";

/// A streamed answer that calls OpenClaw's harmless `ls` tool.
fn list_files() -> Reply {
    tool_call("ls", r#"{"path":"."}"#)
}

fn answer() -> Reply {
    stream_of(ANSWER, "together")
}

/// A stream that drips and never ends.
fn dripping() -> Reply {
    drip("together", "drip ", 2000, 50, StreamEnd::Stall)
}

/// A home with our folder installed (its bridge logging each start to `starts`), pointed at
/// `router`, with the sentinel token in OpenClaw's environment.
fn home_with_our_plugin(router: &MockRouter, scratch: &Path, starts: &Path) -> Home {
    let folder = assemble_folder(scratch);
    log_bridge_starts(&folder, starts);
    let mut home = Home::new();
    home.set_env("HF_TOKEN", SENTINEL_TOKEN);
    install(&home, &folder);
    for (key, value) in [
        (
            "plugins.entries.huggingface.config.baseUrl",
            router.base_url(),
        ),
        (
            "logging.file",
            home.path().join("openclaw.log").display().to_string(),
        ),
    ] {
        ok(home.run(["config", "set", key, &value]));
    }
    home
}

#[test]
fn an_agent_turn_with_a_tool_call_uses_one_bridge_and_one_connection() {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    router.then("POST", CHAT, list_files());
    router.on("POST", CHAT, answer());
    router.on("HEAD", MODELS, Reply::json(200, ""));
    let scratch = tempfile::tempdir().unwrap();
    let starts = scratch.path().join("bridge-starts");
    let home = home_with_our_plugin(&router, scratch.path(), &starts);

    let turn = ok(home.run([
        "agent",
        "--local",
        "--session-id",
        "t1",
        "--model",
        MODEL,
        "--message",
        "List the files in your workspace.",
        "--json",
    ]));
    let result = json_of(&turn);
    assert!(
        result["payloads"][0]["text"]
            .as_str()
            .is_some_and(|text| text.contains(ANSWER)),
        "{turn}"
    );
    let tools = &result["meta"]["agentMeta"]["terminalReceipt"]["successfulToolNames"];
    assert!(
        tools
            .as_array()
            .is_some_and(|names| names.iter().any(|n| n == "ls")),
        "{turn}"
    );

    let chats = router.requests_to(CHAT);
    assert_eq!(chats.len(), 2, "two model calls: {chats:?}");
    for chat in &chats {
        assert!(chat.sent_by_our_plugin(), "{:?}", chat.headers);
        assert!(chat.carries_the_sentinel_token(), "{:?}", chat.headers);
    }
    let second = chats[1].json();
    assert!(
        second["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["role"] == "tool"),
        "the second call carries the tool's result: {second}"
    );
    assert_eq!(
        chats[0].client_port, chats[1].client_port,
        "the two model calls used two connections"
    );
    assert_eq!(
        bridge_starts(&starts).len(),
        1,
        "one OpenClaw process started more than one bridge"
    );
}

#[test]
fn openclaw_killed_outright_leaves_no_bridge_behind() {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    router.on("POST", CHAT, dripping());
    let scratch = tempfile::tempdir().unwrap();
    let starts = scratch.path().join("bridge-starts");
    let home = home_with_our_plugin(&router, scratch.path(), &starts);
    let mut openclaw = home.spawn(
        [
            "infer", "model", "run", "--local", "--model", MODEL, "--prompt", "Say hi",
        ],
        &scratch.path().join("infer.log"),
    );
    wait_for(
        "the chat to reach the router",
        Duration::from_secs(120),
        || !router.requests_to(CHAT).is_empty(),
    );
    let bridge = *bridge_starts(&starts).last().expect("a bridge started");
    assert!(alive(bridge));
    // OpenClaw's launcher respawns itself: the process running the plugin, the bridge's parent,
    // is the one to kill (SIGKILL: none of its handlers run).
    let host = parent_of(bridge).expect("the bridge's parent");
    // SAFETY: signalling the OpenClaw process this test started.
    unsafe { libc::kill(host, libc::SIGKILL) };
    let killed = Instant::now();
    wait_for("the bridge to exit", Duration::from_secs(1), || {
        !alive(bridge)
    });
    eprintln!("the bridge exited {:?} after OpenClaw", killed.elapsed());
    wait_for_disconnect(&router);
    let _ = openclaw.kill();
    let _ = openclaw.wait();
}

#[test]
fn gateway_turns_share_the_bridge_and_survive_its_death() {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    for _ in 0..2 {
        router.then("POST", CHAT, list_files());
        router.then("POST", CHAT, answer());
    }
    router.on("POST", CHAT, answer());
    router.on("HEAD", MODELS, Reply::json(200, ""));
    let scratch = tempfile::tempdir().unwrap();
    let starts = scratch.path().join("bridge-starts");
    let mut home = home_with_our_plugin(&router, scratch.path(), &starts);
    ok(home.run(["config", "set", "gateway.mode", "local"]));
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port().to_string()
    };
    home.set_env("OPENCLAW_GATEWAY_TOKEN", "tok_mock_0123456789abcdef");
    home.set_env("OPENCLAW_GATEWAY_PORT", &port);
    let gateway_log = scratch.path().join("gateway.log");
    let mut gateway = home.spawn(
        [
            "gateway", "run", "--port", &port, "--bind", "loopback", "--auth", "token",
        ],
        &gateway_log,
    );
    let stop = scopeguard(&mut gateway);
    wait_for("the gateway to listen", Duration::from_secs(150), || {
        std::fs::read_to_string(&gateway_log).is_ok_and(|log| log.contains("http server listening"))
    });
    let turn = |message: &str| {
        home.run([
            "agent",
            "--session-id",
            "gw1",
            "--model",
            MODEL,
            "--message",
            message,
            "--json",
        ])
    };

    // Two user turns, four model calls, one bridge, one connection.
    for n in 1..=2 {
        let run = ok(turn(&format!("Turn {n}: list the files.")));
        assert!(run.stdout.contains(ANSWER), "{run}");
    }
    let chats = router.requests_to(CHAT);
    assert_eq!(chats.len(), 4, "{chats:?}");
    assert!(chats.iter().all(|c| c.sent_by_our_plugin()));
    assert!(
        chats.iter().all(|c| c.client_port == chats[0].client_port),
        "the gateway's model calls used several connections: {:?}",
        chats.iter().map(|c| c.client_port).collect::<Vec<_>>()
    );
    // The gateway refreshes model catalogs in a worker thread, which starts a bridge of its own
    // for that (gone once idle); every model call went to the one bridge of the gateway.
    let started = bridge_starts(&starts);

    // The bridge dies mid-stream: a typed error, named; the next turn starts a new bridge.
    router.then("POST", CHAT, dripping());
    let dying = std::thread::scope(|scope| {
        let running = scope.spawn(|| turn("Turn 3: say something long."));
        wait_for("the dripping call", Duration::from_secs(120), || {
            router.requests_to(CHAT).len() == 5
        });
        std::thread::sleep(Duration::from_millis(200));
        for &bridge in started.iter().filter(|&&pid| alive(pid)) {
            // SAFETY: signalling a bridge this test's OpenClaw started.
            unsafe { libc::kill(bridge, libc::SIGKILL) };
        }
        running.join().unwrap()
    });
    let said = format!(
        "{}{}",
        dying.all_output(),
        std::fs::read_to_string(&gateway_log).unwrap_or_default()
    );
    assert!(
        said.contains("provider bridge (openclaw-provider-bridge, pid")
            && said.contains("was killed by SIGKILL while answering"),
        "the bridge's death was not reported as such:\n{dying}"
    );
    let after = ok(turn("Turn 4: list the files."));
    assert!(after.stdout.contains(ANSWER), "{after}");
    let restarted = bridge_starts(&starts);
    assert!(restarted.len() > started.len(), "{restarted:?}");
    assert!(started.iter().all(|&pid| !alive(pid)));
    drop(stop);
}

/// Stops the gateway (SIGTERM, then SIGKILL) when the test ends, whatever happens.
fn scopeguard(child: &mut std::process::Child) -> impl Drop + '_ {
    struct Stop<'a>(&'a mut std::process::Child);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    Stop(child)
}
