//! Onboarding end to end: `host-stub onboard` non-interactive — the seed's command
//! ([`non_interactive`]) — and in a pseudo-terminal ([`interactive`]), tokens validated against
//! the mock Hub ([`validation`]), and the commands that choose models and edit the configuration
//! afterwards ([`config_commands`]).

mod config_commands;
mod interactive;
mod non_interactive;
mod validation;

use openclaw_e2e::{
    MockRouter, Run, SENTINEL_TOKEN, Sandbox, mock_router::TokenKind, mock_router::whoami,
};

use crate::support::{WHOAMI, assert_no_secret_in_files, installed_hf, keyless, no_leak};

/// The token appears in no output and in no file but the credential store.
fn assert_token_only_in_store(sandbox: &Sandbox, runs: &[&Run]) {
    for run in runs {
        no_leak(run);
    }
    let extensions = sandbox.state_dir().join("extensions");
    assert_no_secret_in_files(sandbox.root(), &[SENTINEL_TOKEN], |path| {
        path == sandbox.profile_store() || path.starts_with(&extensions)
    });
}

fn validating_sandbox(router: &MockRouter) -> Sandbox {
    let mut sandbox = installed_hf();
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    router.on(
        "GET",
        WHOAMI,
        whoami(&[
            (SENTINEL_TOKEN, "alice", TokenKind::Write),
            ("hf_readTokenForBob0001", "bob", TokenKind::Read),
            (
                "hf_fineWithInference02",
                "carol",
                TokenKind::FineGrainedWithInference,
            ),
            (
                "hf_fineWithoutInference3",
                "dave",
                TokenKind::FineGrainedWithoutInference,
            ),
        ]),
    );
    sandbox
}
