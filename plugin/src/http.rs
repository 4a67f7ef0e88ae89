//! HTTP plumbing shared by discovery, validation and chat: which base URL to use and whether it
//! is safe to send a token to, deadlines, reading a body incrementally under a size cap, and
//! turning transport failures into [`ProviderError`]s that name no URL path and no credential.

use std::time::{Duration, Instant};

use openclaw_provider_abi::{CallContext, ErrorCode, ProviderError, Timeouts};
use reqwest::Url;

use crate::identity::DEFAULT_BASE_URL;

/// Deadlines of one operation, with defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    pub connect: Duration,
    pub first_byte: Duration,
    pub idle: Duration,
    pub overall: Duration,
}

/// The longest deadline honoured (about 24.8 days, the largest timer JavaScript hosts accept):
/// larger values are clamped rather than overflowing a clock.
pub const MAX_DEADLINE: Duration = Duration::from_millis(2_147_483_647);

impl Deadlines {
    /// The caller's timeouts, where set, else `defaults`; each clamped to [`MAX_DEADLINE`].
    pub fn from_timeouts(timeouts: &Timeouts, defaults: Deadlines) -> Self {
        let pick = |ms: u64, default: Duration| {
            if ms == 0 {
                default
            } else {
                Duration::from_millis(ms).min(MAX_DEADLINE)
            }
        };
        Self {
            connect: pick(timeouts.connect_ms, defaults.connect),
            first_byte: pick(timeouts.first_byte_ms, defaults.first_byte),
            idle: pick(timeouts.idle_ms, defaults.idle),
            overall: pick(timeouts.overall_ms, defaults.overall),
        }
    }
}

/// The router base URL for a call: the context's override, else the default. Plain `http://` is
/// refused unless the host is a loopback address, so a token never crosses a network in clear.
pub fn base_url(context: &CallContext) -> Result<Url, ProviderError> {
    let configured = context
        .base_url
        .as_ref()
        .map(|url| url.as_str().trim())
        .filter(|url| !url.is_empty())
        .unwrap_or(DEFAULT_BASE_URL);
    checked_url(configured)
}

/// Parses a service URL and applies the transport rule of [`base_url`].
pub fn checked_url(text: &str) -> Result<Url, ProviderError> {
    let url = Url::parse(text).map_err(|err| {
        ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!("the base URL {text:?} is not a valid URL ({err})"),
        )
    })?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!(
                "refusing plain http:// to {}: the token would travel unencrypted. Use https:// \
                 (plain http is only allowed for loopback addresses).",
                url.host_str().unwrap_or("?")
            ),
        )),
        other => Err(ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!("the base URL must be https:// (got {other}://)"),
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The call's context (its login token refreshed when about to expire) and its token, for an
/// operation described by `doing` (\"reading the account's usage\"): refused when offline is
/// switched on, when there is no token, or when the token cannot travel in a header.
pub fn call_token(
    context: &CallContext,
    doing: &str,
) -> Result<(CallContext, String), ProviderError> {
    if let Some(switch) = crate::environment::offline_switch() {
        return Err(ProviderError::new(
            ErrorCode::OFFLINE,
            format!("{switch} is set, so nothing was sent"),
        ));
    }
    let context = crate::oauth::fresh_context(context);
    let token = context
        .credential
        .as_ref()
        .map(|secret| secret.expose().to_owned())
        .into_option()
        .ok_or_else(|| {
            ProviderError::new(
                ErrorCode::UNAUTHORIZED,
                format!("{doing} needs a Hugging Face token; none was given"),
            )
        })?;
    check_token(&token)?;
    Ok((context, token))
}

/// Refuses a token that cannot be a Hugging Face token and cannot travel in a header as it is:
/// one with white space, a control character or a character outside printable ASCII inside it
/// (a pasted line break, a tab, a typographic quote). Checked before any request, so the failure
/// is named — instead of surfacing as a transport "builder error" that is retried — and the
/// message names the problem and where it is, never the value.
pub fn check_token(token: &str) -> Result<(), ProviderError> {
    let Some((position, bad)) = token
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_graphic())
    else {
        return Ok(());
    };
    let what = if bad.is_control() {
        "a control character (a line break or a tab, say)"
    } else if bad.is_whitespace() {
        "white space"
    } else {
        "a character outside printable ASCII"
    };
    Err(ProviderError::new(
        ErrorCode::UNAUTHORIZED,
        format!(
            "the Hugging Face token contains {what} (character {} of {}), so it cannot be \
             sent; a token is letters, digits and `_` only. Copy it again from {} and onboard \
             again, or fix the variable or file it comes from.",
            position + 1,
            token.chars().count(),
            crate::errors::TOKEN_SETTINGS_URL
        ),
    ))
}

/// `base` + `/path`, whatever trailing slash `base` has.
pub fn endpoint(base: &Url, path: &str) -> Result<Url, ProviderError> {
    let joined = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    Url::parse(&joined).map_err(|err| {
        ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!("bad endpoint URL: {err}"),
        )
    })
}

/// `host[:port]` of a URL, for messages (never the path or query).
pub fn origin(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => "?".to_owned(),
    }
}

/// The text of a reqwest error and its causes, without the URL.
pub fn error_text(err: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A transport failure (no HTTP status) as an error naming the origin only.
pub fn transport_error(err: reqwest::Error, url: &Url, doing: &str) -> ProviderError {
    let err = err.without_url();
    let detail = error_text(&err);
    let origin = origin(url);
    if err.is_timeout() {
        ProviderError::new(
            ErrorCode::TIMEOUT,
            format!("timed out while {doing} at {origin}: {detail}"),
        )
    } else if err.is_connect() {
        ProviderError::new(
            ErrorCode::NETWORK,
            format!("cannot connect to {origin} while {doing}: {detail}"),
        )
    } else {
        ProviderError::new(
            ErrorCode::NETWORK,
            format!("the connection to {origin} failed while {doing}: {detail}"),
        )
    }
}

/// The error for a deadline that passed.
pub fn deadline_error(what: &str, after: Duration, url: &Url) -> ProviderError {
    ProviderError::new(
        ErrorCode::TIMEOUT,
        format!(
            "{what} from {} took longer than {} ms",
            origin(url),
            after.as_millis()
        ),
    )
}

/// Sends a request and waits for the response headers, within the first-byte deadline.
///
/// A request is never sent twice from here. The HTTP client already sends again, on a new
/// connection, a request that provably never left (a pooled connection found closed before the
/// request was written); any other transport failure comes back marked as sent
/// ([`crate::retry::sent`]) unless the connection was never made, so no retry runs a request the
/// upstream may have received.
pub async fn send(
    request: reqwest::RequestBuilder,
    deadlines: &Deadlines,
    url: &Url,
    doing: &str,
) -> Result<reqwest::Response, ProviderError> {
    let until = Instant::now() + deadlines.first_byte;
    match tokio::time::timeout_at(until.into(), request.send()).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(err)) if err.is_connect() => Err(transport_error(err, url, doing)),
        Ok(Err(err)) => Err(crate::retry::sent(transport_error(err, url, doing))),
        Err(_) => Err(deadline_error("the response", deadlines.first_byte, url)),
    }
}

/// The most bytes allocated up front for a body whose length is declared.
const MAX_PREALLOCATION: u64 = 8 * 1024 * 1024;

/// Reads a whole body, chunk by chunk, refusing more than `cap` bytes, a silence longer than the
/// idle deadline, and anything past `until`. `cap_setting` names the setting that raises the
/// cap, when one does, for the message.
pub async fn read_body_capped(
    mut response: reqwest::Response,
    cap: u64,
    cap_setting: Option<&str>,
    deadlines: &Deadlines,
    until: Instant,
    url: &Url,
) -> Result<Vec<u8>, ProviderError> {
    if let Some(length) = response.content_length()
        && length > cap
    {
        return Err(too_large(cap, length, cap_setting));
    }
    // The declared length is the service's claim: it sizes the first allocation only up to a
    // bound (a realistic model list fits), and the body grows as bytes really arrive.
    let expected = response
        .content_length()
        .unwrap_or(64 * 1024)
        .min(cap)
        .min(MAX_PREALLOCATION);
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    loop {
        let remaining = until.saturating_duration_since(Instant::now());
        let wait = deadlines.idle.min(remaining);
        match tokio::time::timeout(wait, response.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                let seen = (body.len() as u64).saturating_add(chunk.len() as u64);
                if seen > cap {
                    return Err(too_large(cap, seen, cap_setting));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Ok(None)) => return Ok(body),
            Ok(Err(err)) => {
                return Err(crate::retry::sent(transport_error(
                    err,
                    url,
                    "reading the response",
                )));
            }
            Err(_) if remaining <= deadlines.idle => {
                return Err(deadline_error("the response", deadlines.overall, url));
            }
            Err(_) => {
                return Err(ProviderError::new(
                    ErrorCode::TIMEOUT,
                    format!(
                        "{} went silent for more than {} ms in the middle of the response",
                        origin(url),
                        deadlines.idle.as_millis()
                    ),
                ));
            }
        }
    }
}

fn too_large(cap: u64, seen: u64, cap_setting: Option<&str>) -> ProviderError {
    let hint = cap_setting
        .map(|setting| format!("; raise {setting} in the plugin configuration if this is expected"))
        .unwrap_or_default();
    ProviderError::new(
        ErrorCode::INVALID_RESPONSE,
        format!("the response is larger than the {cap}-byte cap (at least {seen} bytes){hint}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://router.huggingface.co/v1",
            "http://127.0.0.1:8080/v1",
            "http://[::1]:9/v1",
            "http://localhost:1/v1",
        ] {
            assert!(checked_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://router.huggingface.co/v1",
            "http://10.0.0.1/v1",
            "ftp://x/v1",
            "not a url",
        ] {
            let err = checked_url(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::INVALID_REQUEST, "{bad}");
        }
    }

    #[test]
    fn tokens_that_cannot_be_sent_are_named_not_quoted() {
        assert!(check_token("hf_abcdefghijklmnopqrstuvwxyz012345").is_ok());
        for (token, what) in [
            ("hf_abc\ndefghijklmnop", "a control character"),
            ("hf_abc\u{1b}[2Jdefgh", "a control character"),
            ("hf_abc defghijklmnop", "white space"),
            ("hf_abc\tdefghijklmnop", "a control character"),
            ("hf_abc\u{a0}defghijklmnop", "white space"),
            ("hf_abc\u{7f}defghijk", "a control character"),
            ("hf_abc\u{201c}defghijk", "outside printable ASCII"),
        ] {
            let error = check_token(token).unwrap_err();
            assert_eq!(error.code, ErrorCode::UNAUTHORIZED, "{token:?}");
            assert!(error.message.contains(what), "{}", error.message);
            assert!(
                error.message.contains("character 7 of"),
                "{}",
                error.message
            );
            assert!(!error.message.contains("hf_abc"), "{}", error.message);
        }
    }

    #[test]
    fn endpoints_join_whatever_the_slashes() {
        let base = Url::parse("http://127.0.0.1:1/v1/").unwrap();
        assert_eq!(
            endpoint(&base, "/models").unwrap().as_str(),
            "http://127.0.0.1:1/v1/models"
        );
        let base = Url::parse("http://127.0.0.1:1/v1").unwrap();
        assert_eq!(
            endpoint(&base, "models").unwrap().as_str(),
            "http://127.0.0.1:1/v1/models"
        );
        assert_eq!(origin(&base), "127.0.0.1:1");
    }

    #[test]
    fn deadlines_fill_defaults() {
        let defaults = Deadlines {
            connect: Duration::from_secs(1),
            first_byte: Duration::from_secs(2),
            idle: Duration::from_secs(3),
            overall: Duration::from_secs(4),
        };
        let d = Deadlines::from_timeouts(
            &Timeouts {
                overall_ms: 10,
                ..Timeouts::default()
            },
            defaults,
        );
        assert_eq!(d.overall, Duration::from_millis(10));
        assert_eq!(d.connect, Duration::from_secs(1));
        let huge = Deadlines::from_timeouts(
            &Timeouts {
                overall_ms: u64::MAX,
                idle_ms: u64::MAX,
                ..Timeouts::default()
            },
            defaults,
        );
        assert_eq!(huge.overall, MAX_DEADLINE);
        let _ = std::time::Instant::now() + huge.overall; // no overflow
    }
}
