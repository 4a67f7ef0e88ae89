//! Fetching a result an upstream only names by URL (fal's and replicate's images, fal's audio).
//!
//! The URL is the upstream's, so it is treated as hostile: only `https://` (a plain `http://`
//! result would travel in clear and could be altered), no credentials in it, fetched from the
//! host it names without our token or `X-HF-Bill-To` (the token is for the router, never for a
//! CDN), redirects followed only within that origin (the client's policy), within a size cap
//! and the call's deadline. A `data:` URL (fal's `sync_mode`) is decoded in place, under the
//! same cap.

use base64::Engine;
use openclaw_provider_abi::{ErrorCode, ProviderError};
use reqwest::Url;

use super::Job;
use crate::{http, outside_text::quote, runtime};

/// The bytes a result URL names, at most `max_bytes` of them.
pub async fn fetch(job: &Job, text: &str, max_bytes: u64) -> Result<Vec<u8>, ProviderError> {
    let refused = |why: String| ProviderError::new(ErrorCode::INVALID_RESPONSE, why);
    if let Some(data) = text.strip_prefix("data:") {
        return decode_data_url(data, max_bytes).map_err(refused);
    }
    let url = Url::parse(text.trim()).map_err(|_| {
        refused(format!(
            "the upstream named its result at {}, which is not a URL",
            quote(text, Some(&job.token))
        ))
    })?;
    if url.scheme() != "https" {
        return Err(refused(format!(
            "the upstream named its result at a {} URL on {}; results are fetched over HTTPS only",
            url.scheme(),
            quote(url.host_str().unwrap_or("?"), Some(&job.token))
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused(
            "the upstream named its result at a URL carrying credentials; it was not fetched"
                .to_owned(),
        ));
    }
    let deadlines = job.settings.deadlines;
    let client = runtime::http_client(deadlines.connect, &url)?;
    let request = client
        .get(url.clone())
        .header(reqwest::header::USER_AGENT, crate::host_log::user_agent());
    let response = http::send(request, &deadlines, &url, "fetching the result").await?;
    let status = response.status();
    if !status.is_success() {
        let moved = status.is_redirection();
        return Err(ProviderError::new(
            ErrorCode::UPSTREAM,
            format!(
                "fetching the result from {} failed with HTTP {}{}",
                http::origin(&url),
                status.as_u16(),
                if moved {
                    " (a redirect to another host, which is not followed)"
                } else {
                    ""
                }
            ),
        )
        .with_status(status.as_u16()));
    }
    http::read_body_capped(response, max_bytes, None, &deadlines, job.until, &url).await
}

/// The bytes of a `data:<type>;base64,<data>` URL (after `data:`).
fn decode_data_url(data: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
    let (header, payload) = data
        .split_once(',')
        .ok_or("the upstream's data URL has no data")?;
    if !header.ends_with(";base64") {
        return Err("the upstream's data URL is not base64".into());
    }
    // Base64 is 4 characters per 3 bytes: refuse before decoding what cannot fit.
    if (payload.len() as u64) / 4 * 3 > max_bytes {
        return Err(format!(
            "the upstream's result is larger than the {max_bytes}-byte cap"
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|_| "the upstream's data URL is not valid base64".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_decode_within_the_cap() {
        assert_eq!(
            decode_data_url("image/png;base64,iVBORw==", 100).unwrap(),
            b"\x89PNG"
        );
        assert!(decode_data_url("image/png;base64,iVBORw==", 2).is_err());
        assert!(decode_data_url("image/png,raw", 100).is_err());
        assert!(decode_data_url("image/png;base64", 100).is_err());
        assert!(decode_data_url("image/png;base64,!!!", 100).is_err());
    }
}
