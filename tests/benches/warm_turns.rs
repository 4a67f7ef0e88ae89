//! Chat turns on warm connections, where users feel them: over TLS (a throwaway CA) to the mock
//! router behind a relay that makes each round trip cost RTT, at RTT 0, 50 and 150 ms, the front
//! speaking HTTP/1.1 only and then offering HTTP/2 as the real router does.
//! tests/openclaw/turns_bench.mjs runs TURNS sequential streamed chats and then CONCURRENT at once
//! in one Node process, through our JS entry (resident bridge → Rust plugin, driven as OpenClaw
//! drives a turn) and through one warm client of the `openai` Node package OpenClaw ships, RUNS
//! processes of each, interleaved. Reported: time to first token of the first turn (median over
//! the processes) and of the later turns (median over all of them), the concurrent chats' median
//! first token and wall time, and the connections each process opened.
//!
//! `cargo bench -p openclaw-e2e-tests --bench warm_turns` (release build; installs Node and
//! OpenClaw into target/openclaw/ on first run). `RTTS=0,50` picks the round-trip times,
//! `ROUTERS=http1` or `http2` one router; `SHOW=1` prints what each process measured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::Path, process::Command, time::Duration};

use openclaw_e2e::{
    MockRouter, Reply, measure,
    mock_router::Connections,
    openclaw::{assemble_folder, installation},
    stream_body,
    tls_front::TlsFront,
    workspace_root,
};
use serde_json::Value;

const MODES: [(&str, &str); 2] = [
    ("ours", "our JS entry → resident bridge → Rust plugin"),
    ("sdk", "`openai` Node SDK, one warm client"),
];

fn main() {
    let runs = measure::setting("RUNS", 5);
    let turns = measure::setting("TURNS", 8).max(2);
    let concurrent = measure::setting("CONCURRENT", 16);
    let rtts: Vec<u64> = std::env::var("RTTS")
        .unwrap_or_else(|_| "0,50,150".into())
        .split(',')
        .map(|rtt| {
            rtt.trim()
                .parse()
                .expect("RTTS: milliseconds, comma-separated")
        })
        .collect();
    let routers: Vec<Router> = std::env::var("ROUTERS")
        .unwrap_or_else(|_| "http1,http2".into())
        .split(',')
        .map(|name| match name.trim() {
            "http1" => Router::Http1,
            "http2" => Router::Http2,
            other => panic!("ROUTERS: http1 or http2, not {other:?}"),
        })
        .collect();
    let node = &installation().node;
    let scratch = tempfile::tempdir().unwrap();
    let folder = assemble_folder(scratch.path());
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    router.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse_bytes("mock", &stream_body(16), 64 * 1024),
    );
    router.on("HEAD", "/v1/models", Reply::json(200, ""));

    println!(
        "\n## Time to first token, {turns} sequential turns then {concurrent} at once, one Node process ({runs} processes each)\n"
    );
    println!(
        "| router | RTT | client | first turn ms | later turns ms: median (fastest–slowest) | {concurrent} concurrent: first token ms (median) | {concurrent} concurrent: wall ms | connections opened |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (protocol, rtt) in routers
        .iter()
        .flat_map(|protocol| rtts.iter().map(move |rtt| (*protocol, *rtt)))
    {
        let delay = Duration::from_millis(rtt);
        let front = match protocol {
            Router::Http1 => TlsFront::start(router.addr(), delay),
            Router::Http2 => TlsFront::start_http2(router.addr(), delay),
        };
        let mut samples: Vec<Vec<Process>> = vec![Vec::new(); MODES.len()];
        for _ in 0..runs {
            for ((mode, _), samples) in MODES.iter().zip(&mut samples) {
                let before = front.connections();
                let mut process = run(node, &folder, &front, mode, turns, concurrent);
                process.connections = front.connections() - before;
                samples.push(process);
            }
        }
        for ((_, label), samples) in MODES.iter().zip(&samples) {
            let first = median(samples.iter().map(|p| p.turns[0]).collect());
            let mut later: Vec<f64> = samples.iter().flat_map(|p| p.turns[1..].to_vec()).collect();
            later.sort_by(f64::total_cmp);
            let (fastest, slowest) = (later[0], later[later.len() - 1]);
            let later = median(later);
            let together = median(samples.iter().flat_map(|p| p.concurrent.clone()).collect());
            let wall = median(samples.iter().map(|p| p.wall).collect());
            let connections = median(samples.iter().map(|p| p.connections as f64).collect());
            println!(
                "| {} | {rtt} ms | {label} | {first:.1} | {later:.1} ({fastest:.0}–{slowest:.0}) | {together:.1} | {wall:.1} | {connections} |",
                protocol.label()
            );
        }
    }
}

/// What the TLS front in front of the mock router speaks.
#[derive(Clone, Copy, Debug)]
enum Router {
    Http1,
    Http2,
}

impl Router {
    fn label(self) -> &'static str {
        match self {
            Router::Http1 => "HTTP/1.1 only",
            Router::Http2 => "HTTP/2 offered",
        }
    }
}

/// What one Node process measured.
#[derive(Clone, Debug, Default)]
struct Process {
    /// Time to first token of each sequential turn, in order.
    turns: Vec<f64>,
    /// Time to first token of each concurrent chat.
    concurrent: Vec<f64>,
    /// Wall time of the concurrent chats.
    wall: f64,
    connections: usize,
}

fn run(
    node: &Path,
    folder: &Path,
    front: &TlsFront,
    mode: &str,
    turns: usize,
    concurrent: usize,
) -> Process {
    let output = Command::new(node)
        .arg(workspace_root().join("tests/openclaw/turns_bench.mjs"))
        .env("OPENCLAW_PACKAGE", &installation().package)
        .env("PLUGIN_FOLDER", folder)
        .env("BASE_URL", front.base_url())
        .env("MODE", mode)
        .env("TURNS", turns.to_string())
        .env("CONCURRENT", concurrent.to_string())
        // Node reads its extra CA at start-up; the bridge (rustls) reads the usual variable.
        .env("NODE_EXTRA_CA_CERTS", front.ca_file())
        .env("SSL_CERT_FILE", front.ca_file())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "turns_bench.mjs {mode} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    if std::env::var_os("SHOW").is_some() {
        eprint!("{}", String::from_utf8_lossy(&output.stdout));
    }
    let mut process = Process::default();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(value) = serde_json::from_str::<Value>(line) else {
            continue; // the entry's own log lines
        };
        if let Some(first) = value["firstTokenMs"].as_f64() {
            process.turns.push(first);
        } else if let Some(firsts) = value["firstTokenMs"].as_array() {
            process.concurrent = firsts.iter().filter_map(Value::as_f64).collect();
            process.wall = value["wallMs"].as_f64().unwrap_or(f64::NAN);
        }
    }
    assert_eq!(process.turns.len(), turns, "{mode}: every turn reported");
    assert_eq!(process.concurrent.len(), concurrent, "{mode}: every chat");
    process
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
