//! Non-interactive onboarding on a fresh state directory — the seed's command: find, load and
//! initialise the plugin, ask it for the onboarding result, store the profile and write the
//! configuration — against `host-stub --version` (the same binary doing nothing) in the same
//! run, interleaved.
//!
//! `cargo bench -p openclaw-e2e-tests --bench onboarding` (release build; set `RUNS` to change
//! the number of measured runs, default 60).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;

use openclaw_e2e::{SENTINEL_TOKEN, Sandbox, measure, stage_hf};

fn main() {
    let runs = measure::setting("RUNS", 60);
    let sandbox = Sandbox::new();
    let plugins = sandbox.plugins_dir();
    stage_hf(&plugins.join("huggingface"));
    let fresh = Cell::new(0u32);
    let rows = measure::compare(
        std::path::Path::new(env!("CARGO_BIN_EXE_measure-child")),
        &mut [
            ("host-stub --version", &mut || {
                let mut c = sandbox.command();
                c.arg("--version");
                c
            }),
            (
                "host-stub onboard --non-interactive … (fresh state dir)",
                &mut || {
                    fresh.set(fresh.get() + 1);
                    let state = sandbox.root().join(format!("state-{}", fresh.get()));
                    std::fs::create_dir_all(&state).unwrap();
                    let mut c = sandbox.command();
                    c.env("OPENCLAW_STATE_DIR", &state).args([
                        "--plugins-dir".as_ref(),
                        plugins.as_os_str(),
                        "onboard".as_ref(),
                        "--non-interactive".as_ref(),
                        "--mode".as_ref(),
                        "local".as_ref(),
                        "--auth-choice".as_ref(),
                        "huggingface-api-key".as_ref(),
                        "--huggingface-api-key".as_ref(),
                        SENTINEL_TOKEN.as_ref(),
                    ]);
                    c
                },
            ),
        ],
        5,
        runs,
    );
    measure::print_table(
        "Non-interactive onboarding on a fresh state dir vs --version",
        &rows,
    );
}
