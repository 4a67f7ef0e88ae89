//! Hugging Face Inference Providers as an OpenClaw provider plugin.
//!
//! The crate builds a `cdylib` that exports the root module of `openclaw-provider-abi`
//! ([`provider`]: the plugin's `Provider`, which the ABI's glue exports). Everything behind it is
//! ordinary Rust with ordinary unit tests:
//! who the provider is ([`identity`]), logging through the host ([`host_log`]), the model
//! catalog ([`catalog`]), model refs ([`refs`]), chat ([`chat`]), embeddings ([`embeddings`], with
//! the Hub's upstream mapping in [`mapping`]), images and speech ([`media`]) and the onboarding hooks
//! ([`onboarding`]), warm connections ahead of chat ([`warm`]), the account's spend
//! ([`account`], read from the Hub through [`hub`]), over the plugin's own
//! runtime, settings, retry driver and HTTP plumbing ([`runtime`], [`settings`], [`retry`],
//! [`http`], [`errors`],
//! [`outside_text`], [`environment`]), `hf auth login` tokens kept fresh ([`oauth`]) and
//! "did you mean" for unknown model ids ([`suggest`]). The same code is also an `rlib`, so
//! benchmarks and fuzz targets can call it in-process, without the ABI.

pub mod account;
#[cfg(test)]
mod captures;
pub mod catalog;
pub mod chat;
pub mod embeddings;
pub mod environment;
pub mod errors;
pub mod host_log;
pub mod http;
pub mod hub;
pub mod identity;
pub mod mapping;
pub mod media;
pub mod oauth;
pub mod onboarding;
pub mod outside_text;
pub mod provider;
pub mod refs;
pub mod retry;
pub mod runtime;
pub mod settings;
pub mod suggest;
pub mod warm;
