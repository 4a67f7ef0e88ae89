//! OpenClaw's memory index through our embedding provider against OpenClaw's own
//! `openai-compatible` adapter, in one run against the same loopback mock: the mock serves the
//! Hub's mapping for the model (together serves it) and together's OpenAI-shaped `/embeddings`
//! with vectors computed from each text, so both sides do the same work for the same answers.
//!
//! Each run is `openclaw memory index --force` over a workspace of notes (`CHUNKS`, default
//! 10,000 chunks of OpenClaw's default 400 tokens), through `measure-child`: wall time, the
//! peak RSS of the largest process (OpenClaw's Node, or our bridge if larger), and the embedding
//! requests the mock received. Runs alternate between the two (`RUNS`, default 3); OpenClaw's
//! embedding cache is off, so every run embeds every chunk.
//!
//! `cargo bench -p openclaw-e2e-tests --bench memory_index` (release build; installs Node and
//! OpenClaw into target/openclaw/ on first run).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use openclaw_e2e::{
    MockRouter, Reply, measure,
    mock_router::{inference_mapping, paths},
    openclaw::{Home, assemble_folder},
};

const KEY: &str = "hf_benchmarkKeyNotASecret0001";
const MODEL: &str = "BAAI/bge-small-en-v1.5";
const EMBEDDINGS: &str = paths::TOGETHER_EMBEDDINGS;
/// The vectors' length (bge-small's).
const DIMENSIONS: usize = 384;
/// About the chunks one note of three 250-word sections makes with OpenClaw's chunking.
const CHUNKS_PER_NOTE: usize = 5;

/// One index run: its figures, the embedding requests made and the texts they carried.
type Indexed = (measure::Sample, usize, usize);

fn main() {
    let chunks = measure::setting("CHUNKS", 10_000);
    let runs = measure::setting("RUNS", 3);
    let launcher = Path::new(env!("CARGO_BIN_EXE_measure-child"));
    let scratch = tempfile::tempdir().unwrap();
    let folder = assemble_folder(scratch.path());
    let router = MockRouter::start();
    router.on(
        "GET",
        &paths::hub_model(MODEL),
        inference_mapping(MODEL, &[("together", MODEL, "live", "feature-extraction")]),
    );
    router.on("POST", EMBEDDINGS, Reply::echo_embeddings(DIMENSIONS));

    let notes = chunks.div_ceil(CHUNKS_PER_NOTE);
    // Ours: the plugin installed, memory search on the `huggingface` embedding provider.
    let mut ours = Home::new();
    ours.set_env("HF_TOKEN", KEY)
        .set_env("HF_ENDPOINT", &router.origin());
    run_ok(
        &ours,
        &[
            "plugins",
            "install",
            "--force",
            "--accept-capabilities",
            folder.to_str().unwrap(),
        ],
    );
    for (key, value) in [
        (
            "plugins.entries.huggingface.config.baseUrl",
            router.base_url(),
        ),
        ("memory.search.provider", "huggingface".into()),
        ("memory.search.model", format!("huggingface/{MODEL}")),
        // Every run embeds every chunk: OpenClaw's embedding cache would answer a re-index.
        ("memory.search.cache.enabled", "false".into()),
    ] {
        run_ok(&ours, &["config", "set", key, &value]);
    }
    write_notes(&ours, notes);
    // Theirs: OpenClaw's own adapter, pointed at the same route with the same token.
    let theirs = Home::new();
    for (key, value) in [
        ("memory.search.provider", "openai-compatible".to_owned()),
        ("memory.search.model", MODEL.into()),
        (
            "memory.search.remote.baseUrl",
            format!("{}/together/v1", router.origin()),
        ),
        ("memory.search.remote.apiKey", KEY.into()),
        ("memory.search.cache.enabled", "false".into()),
    ] {
        run_ok(&theirs, &["config", "set", key, &value]);
    }
    write_notes(&theirs, notes);

    println!("{notes} notes; {runs} runs each, alternating");
    let mut rows: Vec<(&str, Vec<Indexed>)> = vec![
        ("ours (huggingface provider)", Vec::new()),
        ("OpenClaw's openai-compatible adapter", Vec::new()),
    ];
    for round in 0..runs {
        for (index, home) in [&ours, &theirs].into_iter().enumerate() {
            let before = router.requests_to(EMBEDDINGS);
            let sample = measure::sample(launcher, &home.command(["memory", "index", "--force"]));
            assert!(
                sample.success,
                "memory index failed (round {round}, {})",
                rows[index].0
            );
            let during: Vec<_> = router
                .requests_to(EMBEDDINGS)
                .into_iter()
                .skip(before.len())
                .collect();
            let embedded: usize = during
                .iter()
                .map(|request| request.json()["input"].as_array().map_or(1, Vec::len))
                .sum();
            rows[index].1.push((sample, during.len(), embedded));
        }
    }
    println!(
        "\n| adapter | chunks embedded | requests | wall (median) | vs ours | peak RSS (median) |"
    );
    println!("|---|---|---|---|---|---|");
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let ours_ms = median(rows[0].1.iter().map(|(s, _, _)| s.wall_ms).collect());
    for (name, samples) in &rows {
        let wall = median(samples.iter().map(|(s, _, _)| s.wall_ms).collect());
        let rss = median(
            samples
                .iter()
                .map(|(s, _, _)| s.peak_rss_kib as f64 / 1024.0)
                .collect(),
        );
        let (_, requests, embedded) = samples[samples.len() / 2];
        println!(
            "| {name} | {embedded} | {requests} | {:.1} s | {:.2}× | {rss:.0} MiB |",
            wall / 1000.0,
            wall / ours_ms
        );
    }
}

/// `notes` notes of three sections of 250 words each under the home's memory folder, the same
/// for both homes (a fixed seed).
fn write_notes(home: &Home, notes: usize) {
    const WORDS: [&str; 16] = [
        "alpha",
        "bridge",
        "cache",
        "delta",
        "embedding",
        "fox",
        "gateway",
        "harbour",
        "index",
        "jetty",
        "kernel",
        "lantern",
        "memory",
        "node",
        "orbit",
        "plugin",
    ];
    let dir = home.state_dir().join("workspace/memory");
    std::fs::create_dir_all(&dir).unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for note in 0..notes {
        let mut text = String::new();
        for section in 0..3 {
            text.push_str(&format!("## Section {section}\n\n"));
            for _ in 0..250 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(WORDS[(state % WORDS.len() as u64) as usize]);
                text.push(' ');
            }
            text.push_str("\n\n");
        }
        std::fs::write(dir.join(format!("note{note:05}.md")), text).unwrap();
    }
}

fn run_ok(home: &Home, args: &[&str]) {
    let run = home.run(args);
    assert_eq!(run.code, Some(0), "openclaw {args:?} failed:\n{run}");
}
