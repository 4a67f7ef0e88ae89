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
//! info, auth methods, models, errors, stream events — are typed `#[repr(C)]` structs. Chat
//! requests and results cross as JSON text (see [`documents`]) because OpenAI-compatible documents
//! grow too often for a fixed layout. Every call is blocking from the host's point of view; a
//! streaming chat returns a pull handle ([`ChatStream`]).
//!
//! # Evolution rules
//!
//! abi_stable accepts a plugin built against a *newer or equal* minor version of this crate and
//! rejects an older one, and rejects any other major version. Therefore:
//!
//! 1. Adding a function to [`ProviderModule`] or a method to [`ChatStream`]: append it after the
//!    last field, bump the **minor** version. Old hosts keep working with new plugins; a host built
//!    with the new minor refuses plugins built before it.
//! 2. Anything else — a field added to, removed from or reordered in a plain struct, a changed
//!    type or signature — bumps the **major** version. Hosts refuse plugins of another major.
//! 3. New values of the integer newtypes ([`ErrorCode`], [`EventKind`], [`Capabilities`] …) may be
//!    added in a minor release: receivers must treat unknown codes as [`ErrorCode::INTERNAL`],
//!    skip unknown event kinds and ignore unknown capability bits.
//! 4. New optional data may ride in the `*_json` fields that several structs carry, without an
//!    ABI change; receivers ignore keys they do not know.
//!
//! # Obligations of a plugin
//!
//! * No panic may cross the boundary: every entry point and every [`ChatStream`] method catches
//!   unwinding and returns an [`ErrorCode::INTERNAL`] error instead (an escaped panic would end the
//!   host process).
//! * No credential in any message, log line or `Debug` output. Credentials arrive per call as a
//!   [`Secret`] inside a [`CallContext`]; a plugin never persists or caches them.
//! * The root-module constructor stays cheap (no threads, no network): it runs inside `dlopen`.
//!
//! # Obligations of a host
//!
//! * Load through abi_stable's checks (header, version strings, layout), never unload a library.
//! * Call [`ProviderModule::init`] once before anything else.
//! * Treat unknown error codes as internal and skip unknown stream event kinds.
#![allow(non_local_definitions)] // emitted by abi_stable's derive macros on current rustc

mod codes;
pub mod documents;
mod error;
mod module;
mod secret;
mod stream;
mod types;

pub use codes::{
    AuthKind, Capabilities, CatalogSource, DiscoveryMode, EventKind, LogLevel, Modalities,
    SecretInputMode, Tristate,
};
pub use error::{ErrorCode, ProviderError, catch_panics};
pub use module::{ProviderModule, ProviderModuleRef};
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

/// Whether a plugin built against interface `plugin_version` can be loaded by a host built against
/// `host_version`: same major, and the plugin's minor at least the host's (see the evolution
/// rules above).
pub fn interface_compatible(host_version: &str, plugin_version: &str) -> bool {
    match (
        parse_major_minor(host_version),
        parse_major_minor(plugin_version),
    ) {
        (Some((hm, hn)), Some((pm, pn))) => hm == pm && pn >= hn,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_follows_the_evolution_rules() {
        assert!(interface_compatible("1.0.0", "1.0.0"));
        assert!(interface_compatible("1.0.0", "1.3.2"));
        assert!(!interface_compatible("1.2.0", "1.1.9"));
        assert!(!interface_compatible("1.0.0", "2.0.0"));
        assert!(!interface_compatible("2.0.0", "1.9.0"));
        assert!(!interface_compatible("1.0.0", "garbage"));
        assert_eq!(parse_major_minor(" 3.4.5 "), Some((3, 4)));
        assert_eq!(parse_major_minor("7"), Some((7, 0)));
    }
}
