//! host-stub: a command-line host for OpenClaw provider plugins.
//!
//! It keeps what a host of its own owns — the state directory shared with OpenClaw
//! (`paths`), the configuration ([`config`]), the credential stores (`credential_stores`), the
//! persisted model catalogs ([`catalog`]), onboarding, the chat driver with its fallbacks — and
//! leaves plugin discovery, loading and the safe plugin handle to `provider_host`. The command
//! line ([`cli`]) is the front end; `main.rs` only calls it. The host knows no provider: flags,
//! environment variables, default models, routing policies and config patches all come from the
//! plugins and their manifests.

mod catalog;
mod chat;
mod chat_sessions;
pub mod cli;
pub mod config;
mod credential_stores;
mod embeddings;
mod env_import;
mod files;
mod host;
mod install;
mod logging;
mod media;
mod model_refs;
mod onboarding;
mod paths;
mod settings_check;
mod spend;
