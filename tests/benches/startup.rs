//! Plugin discovery + load + init: `host-stub plugins list` against `host-stub --version` (the
//! same binary doing nothing) in the same run, interleaved. The difference is what finding,
//! checking, loading and initialising the Hugging Face plugin costs.
//!
//! `cargo bench -p openclaw-e2e-tests --bench startup` (release build; set `RUNS` to change the
//! number of measured runs, default 60).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use openclaw_e2e::{Sandbox, measure, stage_hf};

fn main() {
    let runs = measure::setting("RUNS", 60);
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.state_dir().join("extensions/huggingface"));
    // Only the installed copy: no development fallback in play (it would be shadowed anyway).
    let rows = measure::compare(
        std::path::Path::new(env!("CARGO_BIN_EXE_measure-child")),
        &mut [
            ("host-stub --version", &mut || {
                let mut c = sandbox.command();
                c.arg("--version");
                c
            }),
            ("host-stub plugins list", &mut || {
                let mut c = sandbox.command();
                c.args(["plugins", "list"]);
                c
            }),
        ],
        5,
        runs,
    );
    measure::print_table(
        "Plugin discovery + load + init (host-stub plugins list vs --version)",
        &rows,
    );
}
