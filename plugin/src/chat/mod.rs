//! Chat over the router: `chat` (one piece) and `chat_stream` (a pull handle).
//!
//! Both prepare the request ([`request`], pinned to a capable upstream by [`routing`] when a
//! request needs tools or structured output that not every upstream has), send it through the
//! plugin's one retry driver ([`crate::retry`]) — once more unpinned when a pinned upstream is
//! refused — check
//! what the answer says it is ([`content`]) and normalise what comes back ([`normalize`],
//! with errors read bounded by [`error_value`]);
//! streams are framed by [`sse`] and split of inline reasoning by [`think`]. The stream runs as a
//! task on the plugin's runtime and hands batches of events to the [`stream::HfStream`] handle
//! the host pulls from.

pub mod chunk;
pub mod content;
pub mod cost;
pub mod error_value;
pub mod normalize;
pub mod request;
pub mod routing;
pub mod sse;
pub mod stream;
pub mod think;

use std::time::Instant;

use openclaw_provider_abi::{CallContext, ErrorCode, ProviderError};

use crate::{http, retry, runtime};

use self::request::{Prepared, prepare};

/// The most bytes of a whole answer read at once: a one-shot answer, or a JSON answer to a
/// stream request. Generous for any chat completion (a long answer is tens of kilobytes).
pub const MAX_ANSWER_BYTES: u64 = 32 * 1024 * 1024;

/// Error bodies are read this far: the message needs only their start.
const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;

/// Answers `chat`: one request, the whole answer, as a `ChatResult` document.
pub fn chat(context: &CallContext, request_json: &str) -> Result<String, ProviderError> {
    let mut prepared = prepare(context, request_json, false)?;
    for notice in &prepared.notices {
        log::info!("{notice}");
    }
    let mut result = runtime::block_on(one_shot(&mut prepared))??;
    result.cost = prepared.cost_of(result.serving_provider.as_deref(), result.usage.as_ref());
    serde_json::to_string(&result)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
}

/// Answers `chat_stream`: starts the request in the background and returns the handle at once.
pub fn chat_stream(
    context: &CallContext,
    request_json: &str,
) -> Result<stream::HfStream, ProviderError> {
    stream::start(prepare(context, request_json, true)?)
}

/// The one-shot request with retries, within the overall deadline.
async fn one_shot(
    prepared: &mut Prepared,
) -> Result<openclaw_provider_abi::documents::ChatResult, ProviderError> {
    let policy = prepared.settings.retry;
    // Without streaming, headers come only once the whole answer is written.
    let mut deadlines = prepared.settings.deadlines;
    deadlines.first_byte = deadlines.overall;
    let until = Instant::now() + deadlines.overall;
    let mut operation = OneShot {
        prepared,
        deadlines,
        until,
    };
    retry::run(&policy, until, &mut operation).await
}

/// A one-shot chat, as the retry driver runs it. Its retries are logged: the answer reaches
/// the caller only whole, so no output ever started before one.
struct OneShot<'p> {
    prepared: &'p mut Prepared,
    deadlines: http::Deadlines,
    until: Instant,
}

impl OneShot<'_> {
    async fn answer(&self) -> Result<openclaw_provider_abi::documents::ChatResult, ProviderError> {
        let prepared = &*self.prepared;
        let response = open(prepared, &self.deadlines).await?;
        let serving = serving_provider(&response);
        let kind = content::kind(response.headers());
        let body = http::read_body_capped(
            response,
            MAX_ANSWER_BYTES,
            None,
            &self.deadlines,
            self.until,
            &prepared.url,
        )
        .await?;
        normalize::one_shot(
            &body,
            &prepared.model,
            serving.as_deref(),
            Some(prepared.secret()),
        )
        .map_err(|error| match kind {
            // An unreadable answer that did not even claim to be JSON: say what it was.
            content::Kind::Other(named) if error.code == ErrorCode::INVALID_RESPONSE => {
                ProviderError::new(
                    ErrorCode::INVALID_RESPONSE,
                    format!(
                        "{} answered with {} instead of a JSON chat completion ({})",
                        http::origin(&prepared.url),
                        named.map_or_else(
                            || "no Content-Type".to_owned(),
                            |t| format!("Content-Type {t}")
                        ),
                        error.message
                    ),
                )
            }
            _ => error,
        })
    }
}

impl retry::Attempts for OneShot<'_> {
    type Output = openclaw_provider_abi::documents::ChatResult;

    async fn attempt(&mut self) -> retry::Outcome<Self::Output> {
        match self.answer().await {
            Ok(result) => retry::Outcome::Done(result),
            Err(error) => retry::Outcome::Failed(error),
        }
    }

    fn adjust(&mut self, error: &ProviderError) -> Option<retry::Notice> {
        self.prepared.adjust_after(error)
    }

    async fn announce(&mut self, notice: retry::Notice) -> bool {
        log::info!("{}", notice.text);
        true
    }

    fn deadline_passed(&self) -> ProviderError {
        http::deadline_error("the answer", self.deadlines.overall, &self.prepared.url)
    }
}

/// Sends the request; a non-success status becomes the error it means.
async fn open(
    prepared: &Prepared,
    deadlines: &http::Deadlines,
) -> Result<reqwest::Response, ProviderError> {
    let client = runtime::http_client(deadlines.connect, &prepared.url)?;
    let response = http::send(
        prepared.request(&client),
        deadlines,
        &prepared.url,
        "sending the chat request",
    )
    .await?;
    let status = response.status();
    if status.is_success() {
        content::check_encoding(response.headers())?;
        return Ok(response);
    }
    let headers = response.headers().clone();
    if status.is_redirection() {
        let target = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|location| prepared.url.join(location).ok())
            .map(|url| http::origin(&url))
            .unwrap_or_else(|| "another address".into());
        return Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "the service redirected the request to {target} (HTTP {}); it is not followed, \
                 so the token stays with {}. Check models.providers.huggingface.baseUrl.",
                status.as_u16(),
                http::origin(&prepared.url)
            ),
        )
        .with_status(status.as_u16()));
    }
    let until = Instant::now() + deadlines.idle;
    // A compressed error body would be quoted as noise: only its status and headers count then.
    let body = if content::encoding(&headers).is_some() {
        Vec::new()
    } else {
        http::read_body_capped(
            response,
            MAX_ERROR_BODY_BYTES,
            None,
            deadlines,
            until,
            &prepared.url,
        )
        .await
        .unwrap_or_default()
    };
    Err(prepared.error_for(status.as_u16(), &headers, &body))
}

/// The upstream that served the response, from `x-inference-provider`.
fn serving_provider(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("x-inference-provider")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}
