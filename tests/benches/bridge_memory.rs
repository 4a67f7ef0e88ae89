//! The resident bridge's memory under concurrency: how much a request in flight costs, how much
//! stays after the requests end, and the budget that refuses what is beyond it.
//!
//! One `openclaw-provider-bridge serve`, its plugin pointed at the loopback mock router, whose
//! chat route answers after a delay so requests pile up. The bridge's idle RSS is the baseline;
//! then `REQUESTS` (default 64) chats of `MIB` MiB each (default 3: a long conversation with
//! pasted documents) are written at once, the peak RSS (`VmHWM`) is read while all are in
//! flight, and the RSS once every answer is in and the bridge has been idle a second. Last, a
//! burst past the bridge's 256 MiB budget of request bytes in flight, counting the requests
//! refused with `busy`. Figures are the median of `RUNS` (default 3) fresh bridges.
//!
//! `cargo bench -p openclaw-e2e-tests --bench bridge_memory`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::Duration,
};

use openclaw_e2e::{MockRouter, Reply, StreamEnd, artifacts, measure, paths::CHAT, stage_hf};
use serde_json::{Value, json};

const KEY: &str = "hf_benchmarkKeyNotASecret0001";

fn main() {
    let requests = measure::setting("REQUESTS", 64);
    let mib = measure::setting("MIB", 3);
    let runs = measure::setting("RUNS", 3);
    let router = MockRouter::start();
    router.on(
        "POST",
        CHAT,
        Reply::Delay(
            Duration::from_millis(1500),
            Box::new(Reply::words(
                "together",
                "ok",
                Duration::ZERO,
                StreamEnd::Close,
            )),
        ),
    );
    let scratch = tempfile::tempdir().unwrap();
    let folder = scratch.path().join("huggingface");
    stage_hf(&folder);
    std::fs::copy(&artifacts().bridge, folder.join("openclaw-provider-bridge")).unwrap();

    let mut figures: Vec<[f64; 5]> = Vec::new();
    for _ in 0..runs {
        figures.push(one_run(&folder, &router, requests, mib));
    }
    let median = |index: usize| {
        let mut values: Vec<f64> = figures.iter().map(|f| f[index]).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let bytes_in_flight = (requests * mib) as f64;
    println!(
        "\n{requests} chats of {mib} MiB at once ({bytes_in_flight} MiB of requests), median of {runs}\n"
    );
    println!("| phase | RSS MiB |");
    println!("|---|---|");
    println!("| idle, after hello | {:.1} |", median(0));
    println!("| peak with all in flight | {:.1} |", median(1));
    println!("| settled, 1 s after the last answer | {:.1} |", median(2));
    println!(
        "\nper MiB of request in flight: {:.2} MiB; refused as busy in a burst of {} × 32 MiB: {:.0}",
        (median(1) - median(0)) / bytes_in_flight,
        BURST,
        median(3)
    );
    println!("peak during the burst: {:.1} MiB", median(4));
}

/// Requests in the burst past the budget, 32 MiB each (the largest message a host may send).
const BURST: usize = 12;

/// One fresh bridge: idle, peak and settled RSS in MiB, requests refused as busy in the burst,
/// and the peak during the burst.
fn one_run(folder: &std::path::Path, router: &MockRouter, requests: usize, mib: usize) -> [f64; 5] {
    let mut child = Command::new(folder.join("openclaw-provider-bridge"))
        .arg("serve")
        .env_clear()
        .env("HOME", folder)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let hello: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(hello["type"], "hello", "{hello}");
    let idle = status_kib(pid, "VmRSS");

    let request = |rid: usize, size: usize| {
        let filler = "x".repeat(size);
        let mut line = json!({
            "rid": rid, "op": "chat", "credential": KEY,
            "settings": {"provider": {"baseUrl": router.base_url()}, "plugin": {"chat": {"maxRetries": 0}}},
            "request": {"model": "huggingface/a/b", "messages": [{"role": "user", "content": filler}]},
        })
        .to_string();
        line.push('\n');
        line
    };
    for rid in 1..=requests {
        stdin
            .write_all(request(rid, mib * 1024 * 1024 - 512).as_bytes())
            .unwrap();
    }
    stdin.flush().unwrap();
    let ended = |lines: &mut std::io::Lines<BufReader<std::process::ChildStdout>>, count: usize| {
        let mut busy = 0;
        let mut done = 0;
        while done < count {
            let line: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
            match line["type"].as_str() {
                Some("done") => done += 1,
                Some("error") => {
                    done += 1;
                    if line["code"] == "busy" {
                        busy += 1;
                    }
                }
                _ => {}
            }
        }
        busy
    };
    ended(&mut lines, requests);
    let peak = status_kib(pid, "VmHWM");
    std::thread::sleep(Duration::from_secs(1));
    let settled = status_kib(pid, "VmRSS");

    let size = 32 * 1024 * 1024 - 1024;
    for rid in 0..BURST {
        stdin
            .write_all(request(10_000 + rid, size).as_bytes())
            .unwrap();
    }
    stdin.flush().unwrap();
    let busy = ended(&mut lines, BURST);
    let burst_peak = status_kib(pid, "VmHWM");
    drop(stdin);
    let _ = child.wait();
    let mib = |kib: u64| kib as f64 / 1024.0;
    [
        mib(idle),
        mib(peak),
        mib(settled),
        busy as f64,
        mib(burst_peak),
    ]
}

/// A figure of `/proc/<pid>/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
