//! Streaming throughput and per-event overhead. A loopback server sends a stream of small chat
//! chunks (100,000 by default, ~150 bytes each) as fast as the socket takes them; every client
//! below reads the same stream in the same run:
//!
//! * raw socket: reading the whole response and nothing else (the floor);
//! * in-process: the plugin's code linked into this benchmark, called as plain Rust;
//! * through the ABI: the plugin library loaded by host-stub's loader, pulled through the
//!   `ChatStream` handle (`next_events`), as host-stub does;
//! * the host-stub CLI: `host-stub chat` with its output to /dev/null (wall time, peak RSS);
//! * peers (with `PEERS=1`, installed by `tests/peers/setup.sh`): the official `openai` Node
//!   package (the transport OpenClaw uses) and the official `openai` Python SDK.
//!
//! Then 256 concurrent streams through one plugin instance, each checked against its own
//! prompt, alone and beside 16 concurrent 5,000-model catalog refreshes: wall time, events/s and
//! the growth of peak RSS. `cargo bench -p openclaw-e2e-tests --bench stream_throughput`
//! (`EVENTS`, `RUNS`, `STREAMS`, `WORDS` and `PEERS=1` adjust it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{Read, Write},
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use openclaw_e2e::{
    MockRouter, Reply, SENTINEL_TOKEN, Sandbox, call_context, measure, models_body, stage_hf,
    stream_body, workspace_root,
};
use openclaw_provider_abi::{
    CatalogRequest, DiscoveryMode, EventKind, EventSource, abi_stable::std_types::RResult,
};

const CHAT: &str = "/v1/chat/completions";

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

const REQUEST: &str =
    r#"{"model":"huggingface/bench/model","messages":[{"role":"user","content":"go"}]}"#;

/// Reads the whole response with a plain socket: the floor for any client.
fn raw_socket(router: &MockRouter) -> (usize, Duration) {
    let started = Instant::now();
    let mut socket = std::net::TcpStream::connect(router.addr()).unwrap();
    let body = REQUEST.as_bytes();
    write!(
        socket,
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    socket.write_all(body).unwrap();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0;
    loop {
        match socket.read(&mut buffer).unwrap() {
            0 => break,
            read => total += read,
        }
    }
    (total, started.elapsed())
}

/// Pulls a stream through the ABI as host-stub does; returns (text events, elapsed).
fn through_abi(
    plugin: &provider_host::plugin::LoadedPlugin,
    router: &MockRouter,
) -> (usize, Duration) {
    let context = call_context(&router.base_url());
    let started = Instant::now();
    let mut stream = plugin.chat_stream(&context, REQUEST).unwrap();
    let mut text_events = 0;
    loop {
        match stream.next_events(4096, 5000) {
            RResult::ROk(events) => {
                let mut done = false;
                for event in events.iter() {
                    match event.kind {
                        EventKind::TEXT_DELTA => text_events += 1,
                        EventKind::DONE => done = true,
                        _ => {}
                    }
                }
                if done {
                    break;
                }
            }
            RResult::RErr(err) => panic!("{err}"),
        }
    }
    (text_events, started.elapsed())
}

/// The same plugin code, linked in and called as Rust.
fn in_process(router: &MockRouter) -> (usize, Duration) {
    let context = call_context(&router.base_url());
    let started = Instant::now();
    let mut stream = openclaw_huggingface::chat::chat_stream(&context, REQUEST).unwrap();
    let mut text_events = 0;
    let mut done = false;
    let mut batch = Vec::with_capacity(4096);
    while !done {
        stream
            .next_events(4096, Duration::from_secs(5), &mut batch)
            .unwrap();
        for event in batch.drain(..) {
            match event.kind {
                EventKind::TEXT_DELTA => text_events += 1,
                EventKind::DONE => done = true,
                _ => {}
            }
        }
    }
    (text_events, started.elapsed())
}

/// Framing and normalising the whole body in one thread, without I/O: the parsing cost alone.
fn parse_only(body: &[u8]) -> (usize, Duration) {
    use openclaw_huggingface::chat::{normalize::StreamState, sse::Framer};
    let started = Instant::now();
    let mut framer = Framer::new();
    let mut state = StreamState::new();
    let mut events = Vec::with_capacity(1024);
    let mut text_events = 0;
    for piece in body.chunks(64 * 1024) {
        framer
            .feed(piece, &mut |event| {
                state
                    .on_data(event.data, None, &mut events)
                    .expect("valid chunk");
            })
            .expect("events under the cap");
        text_events += events
            .iter()
            .filter(|e| e.kind == EventKind::TEXT_DELTA)
            .count();
        events.clear();
    }
    (text_events, started.elapsed())
}

/// A peer client script; returns (events, milliseconds) as it reports them.
fn peer(program: &Path, script: &Path, router: &MockRouter) -> Option<(usize, f64)> {
    let output = Command::new(program)
        .arg(script)
        .arg(router.base_url())
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    Some((report["events"].as_u64()? as usize, report["ms"].as_f64()?))
}

fn row(name: &str, events: usize, ms: f64, floor_ms: f64, reference: Option<f64>) {
    let rate = events as f64 / (ms / 1000.0);
    let versus = reference
        .map(|r| format!("{:.2}x", rate / r))
        .unwrap_or_else(|| "—".into());
    println!(
        "| {name} | {events} | {ms:.1} | {:.0} | {:.2} µs | {versus} |",
        rate,
        (ms - floor_ms).max(0.0) * 1000.0 / events as f64
    );
}

fn main() {
    let events = measure::setting("EVENTS", 100_000);
    let runs = measure::setting("RUNS", 7);
    let body = stream_body(events);
    if std::env::var("ONLY").is_ok_and(|v| v == "parse") {
        // For profiling the parser alone.
        let elapsed: Vec<f64> = (0..runs)
            .map(|_| parse_only(&body).1.as_secs_f64() * 1000.0)
            .collect();
        println!(
            "parsing only: median {:.1} ms for {events} events",
            median(elapsed)
        );
        return;
    }
    let router = MockRouter::start();
    router.on("POST", CHAT, Reply::sse_bytes("bench", &body, 64 * 1024));

    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    let report = sandbox.load_plugins();
    let plugin = report.registry.get("huggingface").expect("plugin loads");

    // Warm up every path once, then interleave the measured runs.
    let _ = raw_socket(&router);
    let _ = through_abi(plugin, &router);
    let _ = in_process(&router);
    let (mut raw, mut abi, mut local, mut parse) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (count, elapsed) = parse_only(&body);
        assert_eq!(count, events);
        parse.push(elapsed.as_secs_f64() * 1000.0);
        let (bytes, elapsed) = raw_socket(&router);
        assert!(bytes >= body.len());
        raw.push(elapsed.as_secs_f64() * 1000.0);
        let (count, elapsed) = through_abi(plugin, &router);
        assert_eq!(count, events);
        abi.push(elapsed.as_secs_f64() * 1000.0);
        let (count, elapsed) = in_process(&router);
        assert_eq!(count, events);
        local.push(elapsed.as_secs_f64() * 1000.0);
    }
    let (raw_ms, abi_ms, local_ms) = (median(raw), median(abi), median(local));
    let local_rate = events as f64 / (local_ms / 1000.0);

    println!(
        "\nStreaming {events} chat chunks ({:.1} MB) over loopback, median of {runs} runs\n",
        body.len() as f64 / 1e6
    );
    println!("| client | text events | ms | events/s | per event over raw read | vs in-process |");
    println!("|---|---|---|---|---|---|");
    println!("| raw socket read (floor) | — | {raw_ms:.1} | — | — | — |");
    row(
        "parsing only (framer + normaliser, one thread, no I/O)",
        events,
        median(parse),
        0.0,
        Some(local_rate),
    );
    row(
        "plugin in-process (no ABI)",
        events,
        local_ms,
        raw_ms,
        Some(local_rate),
    );
    row(
        "plugin through the ABI (host-stub loader)",
        events,
        abi_ms,
        raw_ms,
        Some(local_rate),
    );
    println!(
        "\nABI overhead versus in-process: {:+.1}%",
        (abi_ms / local_ms - 1.0) * 100.0
    );

    // The CLI end to end: its wall time and peak RSS, output to /dev/null.
    let mut cli_sandbox = Sandbox::new();
    stage_hf(&cli_sandbox.state_dir().join("extensions/huggingface"));
    cli_sandbox.write_config(&serde_json::json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}
    }));
    cli_sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    let launcher = Path::new(env!("CARGO_BIN_EXE_measure-child"));
    let cli = measure::compare(
        launcher,
        &mut [
            ("host-stub --version", &mut || {
                let mut c = cli_sandbox.command();
                c.arg("--version");
                c
            }),
            ("host-stub chat (stream to /dev/null)", &mut || {
                let mut c = cli_sandbox.command();
                c.args(["chat", "--model", "huggingface/bench/model", "go"]);
                c
            }),
        ],
        1,
        runs,
    );
    measure::print_table("The host-stub CLI on the same stream", &cli);
    let cli_ms = cli[1].1.median_ms;
    println!(
        "\nhost-stub chat: {:.0} events/s including process start, plugin load and printing",
        events as f64 / (cli_ms / 1000.0)
    );

    if std::env::var("PEERS").is_ok_and(|v| v == "1") {
        let setup = workspace_root().join("tests/peers/setup.sh");
        let installed = Command::new(&setup)
            .output()
            .expect("running tests/peers/setup.sh");
        assert!(
            installed.status.success(),
            "{}",
            String::from_utf8_lossy(&installed.stderr)
        );
        let peers = std::path::PathBuf::from(String::from_utf8_lossy(&installed.stdout).trim());
        let scripts = workspace_root().join("tests/peers");
        let node_script = peers.join("node/openai_node.mjs");
        std::fs::copy(scripts.join("openai_node.mjs"), &node_script).unwrap();
        let python = peers.join("venv/bin/python");
        println!("\nPeers on the same stream, median of {runs} runs\n");
        println!(
            "| client | text events | ms | events/s | per event over raw read | vs in-process |"
        );
        println!("|---|---|---|---|---|---|");
        for (name, program, script) in [
            (
                "openai (Node SDK)",
                Path::new("node").to_path_buf(),
                node_script,
            ),
            (
                "openai (Python SDK)",
                python,
                scripts.join("openai_python.py"),
            ),
        ] {
            let mut times = Vec::new();
            let mut counted = 0;
            for _ in 0..runs {
                if let Some((count, ms)) = peer(&program, &script, &router) {
                    counted = count;
                    times.push(ms);
                }
            }
            if times.is_empty() {
                println!("| {name} | failed | | | | |");
                continue;
            }
            row(name, counted, median(times), raw_ms, Some(local_rate));
        }
    }

    // Concurrency: many streams at once through the one plugin instance, alone and together
    // with catalog refreshes, each answer checked against its own prompt.
    let streams = measure::setting("STREAMS", 256);
    let words = measure::setting("WORDS", 200);
    let echo = MockRouter::start();
    echo.on(
        "POST",
        CHAT,
        Reply::EchoStream {
            gap: Duration::ZERO,
        },
    )
    .on("GET", "/v1/models", Reply::json(200, models_body(5_000)));
    println!(
        "\n{streams} concurrent streams of {words} words each through one plugin instance \
         (the mock router runs in this process; peak RSS is this process's growth during the phase)\n"
    );
    println!("| phase | failed | ms | text events | events/s | peak RSS growth |");
    println!("|---|---|---|---|---|---|");
    for refreshes in [0, 16] {
        let phase = concurrent(plugin, &echo, streams, words, refreshes);
        println!(
            "| {streams} streams{} | {} | {:.0} | {} | {:.0} | {:.1} MiB |",
            if refreshes > 0 {
                format!(" + {refreshes} refreshes of 5,000 models")
            } else {
                String::new()
            },
            phase.failures.len(),
            phase.elapsed.as_secs_f64() * 1000.0,
            phase.text_events,
            phase.text_events as f64 / phase.elapsed.as_secs_f64(),
            phase.peak_growth_kib as f64 / 1024.0,
        );
        assert!(phase.failures.is_empty(), "{:?}", phase.failures);
    }
}

/// What one concurrency phase did.
struct Phase {
    failures: Vec<String>,
    text_events: usize,
    elapsed: Duration,
    peak_growth_kib: u64,
}

/// Runs `streams` chats at once (each echoing a prompt of `words` words no other stream has)
/// and `refreshes` strict catalog refreshes beside them, all through `plugin`.
fn concurrent(
    plugin: &provider_host::plugin::LoadedPlugin,
    router: &MockRouter,
    streams: usize,
    words: usize,
    refreshes: usize,
) -> Phase {
    let baseline = measure::reset_own_peak_rss_kib();
    let started = Instant::now();
    let (failures, text_events) = std::thread::scope(|scope| {
        let chats: Vec<_> = (0..streams)
            .map(|index| {
                scope.spawn(move || -> Result<usize, String> {
                    let prompt: String =
                        (0..words).map(|word| format!("s{index}w{word} ")).collect();
                    let request = serde_json::json!({
                        "model": "huggingface/bench/model",
                        "messages": [{"role": "user", "content": prompt}]
                    })
                    .to_string();
                    let mut stream = plugin
                        .chat_stream(&call_context(&router.base_url()), &request)
                        .map_err(|e| e.to_string())?;
                    let (mut text, mut events) = (String::new(), 0);
                    loop {
                        let batch = match stream.next_events(256, 30_000) {
                            RResult::ROk(batch) => batch,
                            RResult::RErr(err) => return Err(err.to_string()),
                        };
                        for event in batch.iter() {
                            if event.kind == EventKind::TEXT_DELTA {
                                text.push_str(&event.text);
                                events += 1;
                            }
                        }
                        if batch.iter().any(|event| event.kind == EventKind::DONE) {
                            break;
                        }
                    }
                    if text == prompt {
                        Ok(events)
                    } else {
                        Err(format!("stream {index} got another answer"))
                    }
                })
            })
            .collect();
        let catalogs: Vec<_> = (0..refreshes)
            .map(|_| {
                scope.spawn(move || -> Result<usize, String> {
                    plugin
                        .list_models(&CatalogRequest {
                            context: call_context(&router.base_url()),
                            mode: DiscoveryMode::STRICT,
                            max_body_bytes: 0,
                        })
                        .map(|catalog| catalog.models.len())
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        let mut failures = Vec::new();
        let mut text_events = 0;
        for chat in chats {
            match chat.join().expect("stream thread") {
                Ok(events) => text_events += events,
                Err(err) => failures.push(err),
            }
        }
        for catalog in catalogs {
            match catalog.join().expect("refresh thread") {
                Ok(5_000) => {}
                Ok(other) => failures.push(format!("a refresh listed {other} models")),
                Err(err) => failures.push(err),
            }
        }
        (failures, text_events)
    });
    Phase {
        failures,
        text_events,
        elapsed: started.elapsed(),
        peak_growth_kib: measure::own_peak_rss_kib().saturating_sub(baseline),
    }
}
