//! The end-to-end tests: one test binary, one module per area (CONTRIBUTING.md lists them), and
//! what they share in [`support`]. Filter on a module path to run one area:
//! `cargo test -p openclaw-e2e-tests --test e2e -- chat::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod account_usage;
mod advice;
mod bridge_one_shot;
mod bridge_resident;
mod catalog;
mod chat;
mod cli_conventions;
mod crash_safety;
mod credentials;
mod embeddings;
mod hf_login;
mod hostile_files_and_text;
mod images;
mod onboarding;
mod openclaw_capabilities;
mod openclaw_install;
mod openclaw_media;
mod openclaw_resident;
mod openclaw_shared_home;
mod plugin_abi;
mod plugin_loading;
mod release_archive;
mod router_faults;
mod secret_hygiene;
mod speech;
