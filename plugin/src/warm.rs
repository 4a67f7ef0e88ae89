//! Warm connections: `prepare` opens a connection to the router ahead of the first chat, on the
//! very client (and so the very connection pool) chat calls use, so a chat that follows finds
//! the TCP and TLS handshakes already done. It sends a `HEAD` of the model list without the
//! credential — any answer will do, the point is the connection it leaves in the pool.

use openclaw_provider_abi::{CallContext, ProviderError};

use crate::{http, runtime, settings::ChatSettings};

/// Starts warming a connection for calls like `context`'s and returns at once.
pub fn prepare(context: &CallContext) -> Result<(), ProviderError> {
    let settings = ChatSettings::for_call(context)?;
    let url = http::endpoint(&http::base_url(context)?, "models")?;
    let client = runtime::http_client(settings.deadlines.connect, &url)?;
    let deadline = settings.deadlines.connect + settings.deadlines.first_byte;
    runtime::runtime()?.spawn(async move {
        let origin = http::origin(&url);
        let answer = client
            .head(url)
            .header(reqwest::header::USER_AGENT, crate::host_log::user_agent())
            .timeout(deadline)
            .send()
            .await;
        match answer {
            Ok(response) => log::debug!("warmed a connection to {origin} ({})", response.status()),
            Err(err) => log::debug!(
                "could not warm a connection to {origin}: {}",
                http::error_text(&err)
            ),
        }
    });
    Ok(())
}
