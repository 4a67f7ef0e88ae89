//! The stable ABI between an OpenClaw-style host and a model-provider plugin.
//!
//! This crate is the whole contract. It knows no provider: a Hugging Face plugin, a test plugin
//! and any future provider implement the same [`ProviderModule`], and a host depends on this crate
//! alone. Both sides are Rust, compiled separately; `abi_stable` checks at load time that the
//! layouts of every type reachable from the root module agree.
//!
//! # Shape
//!
//! A plugin is a `cdylib` exporting one root module, a prefix-type struct of `extern "C"`
//! functions ([`ProviderModule`], reached through [`ProviderModuleRef`]). Control values — plugin
//! info, auth methods, models, errors, stream events — are typed `#[repr(C)]` structs. Requests
//! and answers whose wire shapes move fast (chat, embeddings, images, speech) cross as JSON text
//! ([`documents`]); binary payloads cross as bytes with a media type ([`Blob`], [`BlobRef`]),
//! never as base64. Every call is blocking from the host's point of view; a streamed chat
//! returns a pull handle ([`ChatStream`]), and the long operations take a [`Cancellation`] the
//! host sets from another thread.
//!
//! A plugin declares what it serves — chat, embeddings, image generation, speech recognition,
//! speech synthesis, account usage — in its info's [`Capabilities`] (and the manifest generated
//! from it), and hosts call only what is declared.
//!
//! # Writing a plugin
//!
//! Implement [`Provider`] with ordinary functions and export it with [`export_provider!`]; the
//! glue in [`provider`] builds the root module and catches every panic at the boundary. A host
//! opens libraries with [`loader::open`].
//!
//! # Evolution rules
//!
//! abi_stable accepts a plugin whose root module has as many or more functions than the host
//! expects, and rejects other major versions. Therefore:
//!
//! 1. Adding a function to [`ProviderModule`] or a method to [`ChatStream`]: append it after the
//!    last field (with `#[sabi(missing_field(option))]` on a module function), bump the
//!    **minor** version. Old hosts keep working with new plugins. A new host keeps loading
//!    plugins of older minors it names in [`loader`] (today 1.1 and later), which simply lack the
//!    newer functions; older ones are refused.
//! 2. Anything else — a field added to, removed from or reordered in a plain struct, a changed
//!    type or signature — bumps the **major** version. Hosts refuse plugins of another major.
//! 3. New values of the integer newtypes ([`ErrorCode`], [`EventKind`], [`Capabilities`] …) may be
//!    added in a minor release: receivers must treat unknown codes as [`ErrorCode::INTERNAL`],
//!    skip unknown event kinds and ignore unknown capability bits.
//! 4. New optional data may ride in the `*_json` fields that several structs carry, and in the
//!    JSON documents, without an ABI change; receivers ignore keys they do not know.
//!
//! # Obligations of a plugin
//!
//! * No panic may cross the boundary: every entry point and every [`ChatStream`] method catches
//!   unwinding and returns an [`ErrorCode::INTERNAL`] error instead (an escaped panic would end the
//!   host process). The [`provider`] glue does this for a [`Provider`].
//! * No credential in any message, log line or `Debug` output. Credentials arrive per call as a
//!   [`Secret`] inside a [`CallContext`]; a plugin never persists or caches them.
//! * The root-module constructor stays cheap (no threads, no network): it runs inside `dlopen`.
//! * A blob it returns is at most [`MAX_BLOB_BYTES`].
//!
//! # Obligations of a host
//!
//! * Load through [`loader::open`] (abi_stable's header, version and layout checks), never
//!   unload a library.
//! * Call [`ProviderModule::init`] once before anything else.
//! * Treat unknown error codes as internal and skip unknown stream event kinds.
//! * Pass in [`CallContext::provider_config_json`] only what [`documents::ProviderConfig`]
//!   documents.
#![allow(non_local_definitions)] // emitted by abi_stable's derive macros on current rustc

mod codes;
pub mod documents;
mod error;
pub mod loader;
mod media;
mod module;
pub mod provider;
mod secret;
mod stream;
mod types;

pub use codes::{
    AuthKind, Capabilities, CatalogSource, DiscoveryMode, EventKind, LogLevel, Modalities,
    SecretInputMode, Tristate,
};
pub use error::{ErrorCode, ProviderError, catch_panics};
pub use media::{
    Blob, BlobRef, Cancellation, MAX_BLOB_BYTES, MediaAnswer, NEVER_CANCELLED, file_extension,
};
pub use module::{ProviderModule, ProviderModuleRef};
pub use provider::{EventSource, Provider};
pub use secret::Secret;
pub use stream::{ChatStream, ChatStream_TO, ChatStreamBox, StreamEvent};
pub use types::{
    AccountInfo, AuthMethod, CallContext, Catalog, CatalogRequest, CredentialProfile, HostContext,
    LogSink, ModelCost, ModelInfo, ModelProvider, Note, OnboardingRequest, OnboardingResult,
    PluginInfo, ResolvedModel, Timeouts,
};

/// Re-exported so plugins and hosts use the very abi_stable this contract was built with.
pub use abi_stable;

/// The version of this interface crate, compiled into both sides. A plugin reports the value it
/// was built with in [`PluginInfo::interface_version`]; hosts compare it with their own.
pub const INTERFACE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `(major, minor)` of a `major.minor.patch` version string, for compatibility checks done before
/// a library is loaded (for example against a manifest).
pub fn parse_major_minor(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().unwrap_or("0").parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_major_and_minor() {
        assert_eq!(parse_major_minor(" 3.4.5 "), Some((3, 4)));
        assert_eq!(parse_major_minor("7"), Some((7, 0)));
        assert_eq!(parse_major_minor("garbage"), None);
    }
}
