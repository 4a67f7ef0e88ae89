//! The per-call context a host hands a plugin: the credential, the base URL override, the
//! deadlines and the provider's non-secret settings as one JSON object (the
//! `models.providers.<id>` block without `models` and `apiKey`, with the plugin's own
//! configuration under `"plugin"`). Every host builds it here, so every plugin sees the same
//! shape whichever host calls it.

use openclaw_provider_abi::{
    CallContext, Secret, Timeouts,
    abi_stable::std_types::{ROption, RString},
};
use serde_json::Value;

/// The context for one call. A blank base URL counts as none.
pub fn call_context(
    credential: Option<&Secret>,
    base_url: Option<&str>,
    provider_config: &Value,
    timeouts: Timeouts,
) -> CallContext {
    CallContext {
        credential: credential.cloned().into(),
        base_url: match base_url.map(str::trim).filter(|url| !url.is_empty()) {
            Some(url) => ROption::RSome(url.into()),
            None => ROption::RNone,
        },
        timeouts,
        provider_config_json: RString::from(provider_config.to_string()),
    }
}
