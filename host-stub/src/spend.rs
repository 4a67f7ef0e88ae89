//! The account's spend through a plugin that reports it (capability `ACCOUNT_USAGE`): which
//! plugin (the one named, else the first loaded that reports spend), its credential and
//! settings, and the call. The answer is the plugin's `UsageReport`.

use openclaw_provider_abi::{
    Cancellation, Capabilities, ErrorCode, ProviderError, documents::UsageReport,
};

use crate::host::Host;

/// The spend `provider` (else the first plugin that reports spend) reports; setting `cancel`
/// stops the call. Answers the plugin's id with its report.
pub fn account_usage(
    host: &Host,
    provider: Option<&str>,
    cancel: &Cancellation,
) -> Result<(String, UsageReport), ProviderError> {
    let registry = host.registry();
    let plugin = match provider {
        Some(id) => registry.get(id).ok_or_else(|| {
            ProviderError::new(
                ErrorCode::INVALID_REQUEST,
                format!(
                    "no provider plugin '{id}' is loaded; `host-stub plugins list` shows what is"
                ),
            )
        })?,
        None => registry
            .plugins()
            .iter()
            .find(|plugin| plugin.serves(Capabilities::ACCOUNT_USAGE))
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorCode::UNSUPPORTED,
                    "no loaded plugin reports account spend",
                )
            })?,
    };
    let context = host.call_context(plugin)?;
    let answer = plugin.account_usage(&context, cancel)?;
    let report = serde_json::from_str(&answer).map_err(|err| {
        ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "the {} plugin's usage report is not one: {err}",
                plugin.id()
            ),
        )
    })?;
    Ok((plugin.id().to_owned(), report))
}
