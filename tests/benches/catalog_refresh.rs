//! End-to-end catalog refresh: `host-stub models list --refresh --json` against the mock router
//! serving 130 and 5,000 realistic models — discovery, projection across the ABI, merge, the
//! atomic write of `models.json`, and the JSON printed — with `host-stub --version` as the
//! baseline in the same run, interleaved.
//!
//! `cargo bench -p openclaw-e2e-tests --bench catalog_refresh` (release build; `RUNS` sets the
//! number of measured runs, default 30).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use openclaw_e2e::{MockRouter, Reply, SENTINEL_TOKEN, Sandbox, measure, models_body, stage_hf};

fn main() {
    let runs = measure::setting("RUNS", 30);
    for count in [130usize, 5000] {
        let router = MockRouter::start();
        let body = models_body(count);
        let body_len = body.len();
        router.on("GET", "/v1/models", Reply::json(200, body));
        let mut sandbox = Sandbox::new();
        stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
        sandbox.write_config(&serde_json::json!({
            "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}}
        }));
        sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
        let rows = measure::compare(
            std::path::Path::new(env!("CARGO_BIN_EXE_measure-child")),
            &mut [
                ("host-stub --version", &mut || {
                    let mut c = sandbox.command();
                    c.arg("--version");
                    c
                }),
                ("host-stub models list --refresh --json", &mut || {
                    let mut c = sandbox.command();
                    c.args(["models", "list", "--refresh", "--json"]);
                    c
                }),
            ],
            3,
            runs,
        );
        measure::print_table(
            &format!(
                "Catalog refresh, {count} models ({:.1} MB body)",
                body_len as f64 / 1_000_000.0
            ),
            &rows,
        );
    }
}
