//! What any host of OpenClaw provider plugins needs, and nothing about a particular provider or
//! a particular host's state: where plugins are found ([`discovery`]), their manifests read
//! without loading anything ([`manifest`]) or generated from a library ([`describe`]),
//! libraries opened with every safety and ABI check (the private `loader`), the [`registry`] of
//! plugins that passed, a safe handle over each ([`plugin`]) whose chat streams are typed
//! iterators ([`events`])
//! printed in one JSON-lines schema ([`event_lines`]), the per-call context ([`call`]), the one
//! credential order ([`credentials`]), and OpenClaw's model-row shape ([`rows`]).
//!
//! host-stub (the command-line host) and the provider bridge (which serves real OpenClaw) are
//! both built on this crate.

pub mod bounded;
pub mod credentials;
pub mod describe;
pub mod discovery;
pub mod display;
pub mod event_lines;
pub mod events;
pub mod identity;
mod loader;
pub mod manifest;
pub mod nesting;
pub mod paths;
pub mod plugin;
pub mod registry;
pub mod rows;
pub mod settings;
