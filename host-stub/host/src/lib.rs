//! What any host of OpenClaw provider plugins needs, and nothing about a particular provider or
//! a particular host's state: where plugins are found ([`discovery`]), their manifests read
//! without loading anything ([`manifest`]) or generated from a library ([`describe`]),
//! libraries opened with every safety check ([`loader`], before the ABI crate's own),
//! the [`registry`] of plugins that passed, a safe handle over each ([`plugin`]) whose chat
//! streams are typed iterators ([`events`]) printed in one JSON-lines schema ([`event_lines`]),
//! media answers checked before use ([`media_answers`]),
//! what a configuration says about a provider and the per-call context made from it
//! ([`provider_settings`]), the one credential order ([`credentials`]), how a host introduces
//! itself to plugins ([`host_identity`]), OpenClaw's model-row shape ([`model_row`]), and reading
//! outside files and text safely ([`bounded`], [`nesting`], [`display`], [`home`]).
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
pub mod home;
pub mod host_identity;
pub mod loader;
pub mod manifest;
pub mod media_answers;
pub mod model_row;
pub mod nesting;
pub mod plugin;
pub mod provider_settings;
pub mod registry;
