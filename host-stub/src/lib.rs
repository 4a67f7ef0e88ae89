//! host-stub: a host for OpenClaw provider plugins.
//!
//! It discovers provider plugins on a search path ([`discovery`]), reads their manifests without
//! loading them ([`manifest`]), loads them through libloading with abi_stable's checks
//! ([`loader`]), and keeps the ones that pass in a [`registry`] keyed by provider id. The CLI
//! ([`cli`]) drives onboarding, catalog refreshes and chat through the plugins. The host knows
//! no provider: flags, environment variables, default models and config patches all come from
//! the plugins and their manifests. The [`bridge`] serves hosts that cannot load a native plugin
//! (real OpenClaw) through the same loader, over JSON on stdio.

pub mod bridge;
pub mod catalog;
pub mod chat;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod discovery;
pub mod environment;
pub mod files;
pub mod host;
pub mod install;
pub mod loader;
pub mod logging;
pub mod manifest;
pub mod model_refs;
pub mod onboarding;
pub mod paths;
pub mod plugin;
pub mod profiles;
pub mod provider_settings;
pub mod registry;
