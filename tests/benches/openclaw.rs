//! Our folder inside real OpenClaw against OpenClaw's own Hugging Face support, in one run
//! against the loopback mock router:
//!
//! 1. `openclaw models list --provider huggingface --refresh --json` with our folder installed
//!    vs with the bundled plugin, at 130 and 5,000 models (the bundled plugin's fixed
//!    `https://router.huggingface.co` is reached through an impersonating HTTPS proxy);
//! 2. the stream function OpenClaw's `infer`/chat runs: our JS entry → bridge → Rust plugin vs
//!    OpenClaw's own OpenAI-compatible transport, first-token latency and text events/s
//!    (tests/openclaw/stream_bench.mjs);
//! 3. `openclaw infer model run` end to end, ours vs the bundled plugin with OpenClaw's transport.
//!
//! `cargo bench -p openclaw-e2e-tests --bench openclaw` (release build; installs Node and
//! OpenClaw into target/openclaw/ on first run; `RUNS` sets the measured runs, default 5).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::Path, process::Command};

use openclaw_e2e::{
    MockRouter, Reply, measure, models_body,
    openclaw::{Home, assemble_folder, bridge_in, installation},
    stream_body,
    tls_proxy::TlsProxy,
    workspace_root,
};
use serde_json::Value;

const KEY: &str = "hf_benchmarkKeyNotASecret0001";
const CHAT: &str = "/v1/chat/completions";

fn main() {
    let runs = measure::setting("RUNS", 5);
    let launcher = Path::new(env!("CARGO_BIN_EXE_measure-child"));
    let installation = installation();
    let scratch = tempfile::tempdir().unwrap();
    let folder = assemble_folder(scratch.path());
    let router = MockRouter::start();
    let proxy = TlsProxy::start("router.huggingface.co", router.addr());

    // Ours: installed, key in the environment, router moved by the plugin's own setting.
    let mut ours = Home::new();
    ours.set_env("HF_TOKEN", KEY);
    install(&ours, &folder);
    set(
        &ours,
        "plugins.entries.huggingface.config.baseUrl",
        &router.base_url(),
    );

    // Ours again, with the bridge replaced by a script printing its answer: what remains is
    // OpenClaw's cost of running an installed plugin, which the bundled one does not pay.
    let canned_folder = scratch.path().join("canned/huggingface");
    copy_folder(&folder, &canned_folder);
    // It speaks the resident protocol: a hello, then the recorded catalog answer (or a bare
    // acknowledgement for the other operations) under each request's id.
    std::fs::write(
        bridge_in(&canned_folder),
        r#"#!/bin/sh
answer="$(dirname "$0")/catalog.json"
echo '{"type":"hello","protocol":1}'
while IFS= read -r line; do
  rid=$(printf '%s' "$line" | sed -n 's/.*"rid":\([0-9]*\).*/\1/p')
  case $line in
    *'"op":"catalog"'*) sed "s/^{/{\"rid\":$rid,/" "$answer" ;;
    *) echo "{\"rid\":$rid,\"type\":\"prepared\"}" ;;
  esac
done
"#,
    )
    .unwrap();
    let mut canned = Home::new();
    canned.set_env("HF_TOKEN", KEY);
    install(&canned, &canned_folder);
    set(
        &canned,
        "plugins.entries.huggingface.config.baseUrl",
        &router.base_url(),
    );
    let canned_answer = bridge_in(&canned.state_dir().join("extensions/huggingface"))
        .with_file_name("catalog.json");

    // Bundled, discovery: its fixed router URL, through the impersonating proxy. Its home holds
    // what an install leaves behind (a configuration and a state database with a plugin index:
    // ours installed, then removed), so both sides pay OpenClaw's configuration and plugin-index
    // checks; a bare home skips them and would flatter the bundled plugin.
    let mut bundled = Home::new();
    bundled
        .set_env("HF_TOKEN", KEY)
        .set_env("HTTPS_PROXY", &proxy.url())
        .set_env(
            "NODE_EXTRA_CA_CERTS",
            &proxy.ca_file().display().to_string(),
        );
    install(&bundled, &folder);
    let uninstall = bundled.run(["plugins", "uninstall", "--force", "huggingface"]);
    assert_eq!(uninstall.code, Some(0), "{uninstall}");
    set(&bundled, "plugins.entries.huggingface.enabled", "true");

    println!("\n## `openclaw models list --provider huggingface --refresh --json`\n");
    println!("| models | plugin | models listed | median ms | p90 ms | peak RSS MiB |");
    println!("|---|---|---|---|---|---|");
    for count in [130, 5_000] {
        router.on("GET", "/v1/models", Reply::json(200, models_body(count)));
        let refresh = [
            "models",
            "list",
            "--provider",
            "huggingface",
            "--refresh",
            "--json",
        ];
        let listed = |home: &Home| {
            let run = home.run(refresh);
            let start = run.stdout.find('{').unwrap_or(0);
            serde_json::from_str::<Value>(&run.stdout[start..])
                .ok()
                .and_then(|v| v["count"].as_u64())
                .unwrap_or(0)
        };
        let answer = Command::new(bridge_in(&folder))
            .args(["catalog", "--base-url", &router.base_url()])
            .env("OPENCLAW_PROVIDER_API_KEY", KEY)
            .output()
            .unwrap();
        assert!(answer.status.success());
        std::fs::write(&canned_answer, &answer.stdout).unwrap();
        let counts = [listed(&ours), listed(&canned), listed(&bundled)];
        let rows = measure::compare(
            launcher,
            &mut [
                ("ours", &mut || ours.command(refresh)),
                ("ours, bridge replaced by `cat` of its answer", &mut || {
                    canned.command(refresh)
                }),
                ("bundled", &mut || bundled.command(refresh)),
            ],
            1,
            runs,
        );
        for ((name, summary), listed) in rows.iter().zip(counts) {
            println!(
                "| {count} | {name} | {listed} | {:.0} | {:.0} | {:.1} |",
                summary.median_ms,
                summary.p90_ms,
                summary.median_rss_kib as f64 / 1024.0
            );
        }
    }

    println!("\n## The chat stream function: first-token latency and text events/s\n");
    println!(
        "| stream | transport | runs | first token median ms | total median ms | text events/s |"
    );
    println!("|---|---|---|---|---|---|");
    for chunks in [16, 100_000] {
        router.on(
            "POST",
            CHAT,
            Reply::sse_bytes("mock", &stream_body(chunks), 64 * 1024),
        );
        let mut results: Vec<(&str, Vec<Value>)> = vec![("bridge", vec![]), ("openclaw", vec![])];
        for _ in 0..runs {
            for (mode, samples) in results.iter_mut() {
                samples.extend(stream_runs(
                    installation.node.as_path(),
                    &folder,
                    &router,
                    mode,
                ));
            }
        }
        for (mode, samples) in &results {
            let median = |key: &str| {
                let mut values: Vec<f64> = samples.iter().filter_map(|s| s[key].as_f64()).collect();
                values.sort_by(f64::total_cmp);
                values[values.len() / 2]
            };
            let (first, total) = (median("firstTokenMs"), median("totalMs"));
            let events = samples[0]["events"].as_f64().unwrap_or(0.0);
            let label = if *mode == "bridge" {
                "our JS entry → bridge → Rust plugin"
            } else {
                "OpenClaw's own transport (`streamSimple`)"
            };
            println!(
                "| {chunks} chunks | {label} | {} | {first:.1} | {total:.1} | {:.0} |",
                samples.len(),
                events / ((total - first).max(0.001) / 1000.0)
            );
        }
    }

    // Bundled, chat: OpenClaw's transport posts to the configured base URL (plain HTTP here).
    let mut transport = Home::new();
    transport.set_env("HF_TOKEN", KEY);
    set(
        &transport,
        "models.providers.huggingface.baseUrl",
        &router.base_url(),
    );
    router.on(
        "POST",
        CHAT,
        Reply::sse_bytes("mock", &stream_body(16), 64 * 1024),
    );
    let infer = [
        "infer",
        "model",
        "run",
        "--local",
        "--model",
        "huggingface/deepseek-ai/DeepSeek-R1",
        "--prompt",
        "Say hello",
        "--json",
    ];
    for home in [&ours, &transport] {
        let run = home.run(infer);
        assert!(run.stdout.contains("\"ok\": true"), "{run}");
    }
    let rows = measure::compare(
        launcher,
        &mut [
            ("bundled (OpenClaw's transport)", &mut || {
                transport.command(infer)
            }),
            ("ours (bridge)", &mut || ours.command(infer)),
        ],
        1,
        runs,
    );
    measure::print_table(
        "## `openclaw infer model run --local` end to end (16-chunk answer)",
        &rows,
    );
    drop(proxy);
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// `openclaw plugins install` of `folder` into `home`.
fn install(home: &Home, folder: &Path) {
    let run = home.run([
        "plugins".as_ref(),
        "install".as_ref(),
        "--force".as_ref(),
        "--accept-capabilities".as_ref(),
        folder.as_os_str(),
    ]);
    assert_eq!(run.code, Some(0), "{run}");
}

fn set(home: &Home, path: &str, value: &str) {
    let run = home.run(["config", "set", path, value]);
    assert_eq!(run.code, Some(0), "{run}");
}

/// One process of tests/openclaw/stream_bench.mjs: a warm-up run, then three measured ones.
fn stream_runs(node: &Path, folder: &Path, router: &MockRouter, mode: &str) -> Vec<Value> {
    let output = Command::new(node)
        .arg(workspace_root().join("tests/openclaw/stream_bench.mjs"))
        .env("OPENCLAW_PACKAGE", &installation().package)
        .env("PLUGIN_FOLDER", folder)
        .env("BASE_URL", router.base_url())
        .env("MODE", mode)
        .env("RUNS", "4")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stream_bench.mjs {mode} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
