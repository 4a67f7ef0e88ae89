//! Waiting for a job an upstream queued instead of answering: fal's queue and replicate's
//! predictions, both polled through the router with the call's token.
//!
//! The HF clients poll fal every 500 ms with no deadline and no failure branch. Here the wait
//! backs off (500 ms growing to 5 s), ends at the call's deadline, and every state the queue
//! may report is handled: done, still waiting, failed or cancelled upstream (with what it
//! said), a request id the queue no longer knows, and any other state, which is a failure
//! rather than a wait forever. A job the caller abandons — cancelled, or out of time — is
//! cancelled upstream too ([`Pending`], [`cancel`]), so it stops running and billing.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use openclaw_provider_abi::{ErrorCode, ProviderError};
use reqwest::{Method, Url};
use serde_json::Value;

use super::{Job, text_field};
use crate::outside_text::quote;

/// A queued job: where to ask about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ticket {
    /// fal: the request's path under the queue (`fal-ai/flux/dev/requests/<id>`).
    Fal { path: String },
    /// replicate: the prediction's id.
    Replicate { id: String },
}

/// The job a call is waiting for, if any: what to cancel when the call is abandoned.
pub type Pending = Arc<Mutex<Option<Ticket>>>;

/// The most bytes of a status answer read.
const MAX_STATUS_BYTES: u64 = 256 * 1024;
/// The first wait between polls, and the longest.
const FIRST_WAIT: Duration = Duration::from_millis(500);
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// The ticket of fal's answer to a queued submission (`{request_id, status, response_url}`).
pub fn fal_ticket(submitted: &Value) -> Result<Ticket, ProviderError> {
    let response_url = submitted
        .get("response_url")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("fal-ai", "its queue ticket names no response_url"))?;
    let url = Url::parse(response_url)
        .map_err(|_| malformed("fal-ai", "its queue ticket's response_url is not a URL"))?;
    let segments: Vec<&str> = url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    let safe = segments.len() >= 3
        && segments.len() <= 12
        && segments.contains(&"requests")
        && segments.iter().all(|segment| safe_segment(segment));
    if !safe {
        return Err(malformed(
            "fal-ai",
            "its queue ticket's response_url is not a queue request path",
        ));
    }
    Ok(Ticket::Fal {
        path: segments.join("/"),
    })
}

/// Whether `segment` may go into a router path as it is.
fn safe_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= 128
        && segment != "."
        && segment != ".."
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Polls fal's queue until the job is done, then answers its result document.
pub async fn fal(
    job: &Job,
    model: &str,
    ticket: &Ticket,
    notices: &mut Vec<String>,
) -> Result<Value, ProviderError> {
    let Ticket::Fal { path } = ticket else {
        return Err(ProviderError::new(ErrorCode::INTERNAL, "not a fal ticket"));
    };
    let queued = |tail: &[&str]| -> Result<Url, ProviderError> {
        let mut segments = vec!["fal-ai", path.as_str()];
        segments.extend_from_slice(tail);
        let mut url = job.url(&segments)?;
        url.query_pairs_mut().append_pair("_subdomain", "queue");
        Ok(url)
    };
    let mut wait = FIRST_WAIT;
    let mut last_state = String::new();
    loop {
        let url = queued(&["status"])?;
        let status = job
            .exchange((model, "fal-ai"), MAX_STATUS_BYTES, notices, || {
                Ok((url.clone(), job.request(Method::GET, &url)?))
            })
            .await
            .map_err(|error| vanished_if_404(error, "fal-ai"))?
            .json("a queue status")?;
        let state = text_field(&status, "status", 64).unwrap_or_default();
        if state != last_state {
            log::info!(
                "fal-ai: the job is {}",
                state.to_lowercase().replace('_', " ")
            );
            last_state.clone_from(&state);
        }
        match state.as_str() {
            "COMPLETED" => {
                if let Some(error) = failure_text(&status) {
                    return Err(failed("fal-ai", "failed", &error));
                }
                break;
            }
            "IN_QUEUE" | "IN_PROGRESS" => {}
            "FAILED" | "ERROR" => {
                return Err(failed(
                    "fal-ai",
                    "failed",
                    &failure_text(&status).unwrap_or_default(),
                ));
            }
            "CANCELLED" | "CANCELED" => {
                return Err(failed("fal-ai", "was cancelled upstream", ""));
            }
            other => {
                return Err(malformed(
                    "fal-ai",
                    &format!(
                        "its queue reported the state {}, which it does not document",
                        quote(other, None)
                    ),
                ));
            }
        }
        wait = pause(job, wait, "fal-ai").await?;
    }
    let url = queued(&[])?;
    job.exchange((model, "fal-ai"), MAX_RESULT_BYTES, notices, || {
        Ok((url.clone(), job.request(Method::GET, &url)?))
    })
    .await
    .map_err(|error| vanished_if_404(error, "fal-ai"))?
    .json("a queue result")
}

/// The most bytes of a result document read (it names images by URL; a `sync_mode` one carries
/// them as data URLs).
pub const MAX_RESULT_BYTES: u64 = 96 * 1024 * 1024;

/// The ticket of a replicate prediction (`{id, status, …}`) that is not over yet, or `None`
/// when it is (succeeded, or failed: [`replicate_outcome`] says which).
pub fn replicate_ticket(prediction: &Value) -> Result<Option<Ticket>, ProviderError> {
    let state = text_field(prediction, "status", 64).unwrap_or_default();
    if !matches!(state.as_str(), "starting" | "processing") {
        return Ok(None);
    }
    let id = text_field(prediction, "id", 128)
        .filter(|id| safe_segment(id))
        .ok_or_else(|| malformed("replicate", "its running prediction has no usable id"))?;
    Ok(Some(Ticket::Replicate { id }))
}

/// Polls a replicate prediction until it is over; answers the final prediction.
pub async fn replicate(
    job: &Job,
    model: &str,
    ticket: &Ticket,
    notices: &mut Vec<String>,
) -> Result<Value, ProviderError> {
    let Ticket::Replicate { id } = ticket else {
        return Err(ProviderError::new(
            ErrorCode::INTERNAL,
            "not a replicate ticket",
        ));
    };
    let url = job.url(&["replicate", "v1", "predictions", id])?;
    let mut wait = FIRST_WAIT;
    loop {
        wait = pause(job, wait, "replicate").await?;
        let prediction = job
            .exchange((model, "replicate"), MAX_RESULT_BYTES, notices, || {
                Ok((url.clone(), job.request(Method::GET, &url)?))
            })
            .await
            .map_err(|error| vanished_if_404(error, "replicate"))?
            .json("a prediction")?;
        if replicate_ticket(&prediction)?.is_none() {
            return Ok(prediction);
        }
    }
}

/// A finished replicate prediction's output, or the failure it reports.
pub fn replicate_outcome(prediction: &Value) -> Result<&Value, ProviderError> {
    match text_field(prediction, "status", 64).as_deref() {
        Some("succeeded") | None => prediction
            .get("output")
            .filter(|output| !output.is_null())
            .ok_or_else(|| malformed("replicate", "its prediction has no output")),
        Some("failed") => Err(failed(
            "replicate",
            "failed",
            &failure_text(prediction).unwrap_or_default(),
        )),
        Some("canceled" | "cancelled") => Err(failed("replicate", "was cancelled upstream", "")),
        Some(other) => Err(malformed(
            "replicate",
            &format!("its prediction ended in the state {}", quote(other, None)),
        )),
    }
}

/// Sleeps `wait` (less if the deadline is nearer) and answers the next wait; fails once the
/// deadline has passed.
async fn pause(job: &Job, wait: Duration, upstream: &str) -> Result<Duration, ProviderError> {
    let left = job.until.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(job.deadline_passed(upstream));
    }
    tokio::time::sleep(wait.min(left)).await;
    if Instant::now() >= job.until {
        return Err(job.deadline_passed(upstream));
    }
    Ok(wait.mul_f32(1.5).min(LONGEST_WAIT))
}

/// Asks the upstream to stop a job nobody waits for any more. Best effort, a few seconds at
/// most: the caller's answer is already decided.
pub async fn cancel(job: &Job, ticket: &Ticket) {
    let request = match ticket {
        Ticket::Fal { path } => job.url(&["fal-ai", path, "cancel"]).and_then(|mut url| {
            url.query_pairs_mut().append_pair("_subdomain", "queue");
            job.request(Method::PUT, &url)
        }),
        Ticket::Replicate { id } => job
            .url(&["replicate", "v1", "predictions", id, "cancel"])
            .and_then(|url| job.request(Method::POST, &url)),
    };
    let Ok(request) = request else {
        return;
    };
    match tokio::time::timeout(Duration::from_secs(5), request.send()).await {
        Ok(Ok(response)) => log::info!(
            "asked the upstream to cancel the abandoned job (HTTP {})",
            response.status().as_u16()
        ),
        Ok(Err(err)) => log::warn!(
            "could not cancel the abandoned job upstream: {}",
            crate::http::error_text(&err)
        ),
        Err(_) => log::warn!("could not cancel the abandoned job upstream: no answer in 5 s"),
    }
}

/// What a failed job says about its failure (`error`, `detail`, `logs`), one short line.
fn failure_text(document: &Value) -> Option<String> {
    ["error", "detail"]
        .iter()
        .find_map(|key| match document.get(*key)? {
            Value::Null => None,
            Value::String(text) if text.trim().is_empty() => None,
            Value::String(text) => Some(quote(text, None)),
            other => Some(quote(&other.to_string(), None)),
        })
}

fn failed(upstream: &str, what: &str, said: &str) -> ProviderError {
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    };
    ProviderError::new(
        ErrorCode::UPSTREAM,
        format!("the job {what} at {upstream}{said}"),
    )
}

fn malformed(upstream: &str, why: &str) -> ProviderError {
    ProviderError::new(
        ErrorCode::INVALID_RESPONSE,
        format!("{upstream} answered something unexpected: {why}"),
    )
}

/// A 404 while polling means the queue lost the job (or never had it).
fn vanished_if_404(error: ProviderError, upstream: &str) -> ProviderError {
    if error.http_status == 404 {
        ProviderError::new(
            ErrorCode::UPSTREAM,
            format!(
                "{upstream}'s queue no longer knows the job it accepted (HTTP 404); it may have \
                 expired or been removed. Try again."
            ),
        )
        .with_status(404)
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fal_tickets_keep_only_a_queue_path() {
        let ticket = fal_ticket(&json!({"request_id": "abc",
            "response_url": "https://queue.fal.run/fal-ai/flux/dev/requests/abc-1"}))
        .unwrap();
        assert_eq!(
            ticket,
            Ticket::Fal {
                path: "fal-ai/flux/dev/requests/abc-1".into()
            }
        );
        for hostile in [
            json!({"request_id": "abc"}),
            json!({"response_url": "not a url"}),
            json!({"response_url": "https://queue.fal.run/fal-ai/flux/dev/abc"}),
            json!({"response_url": "https://queue.fal.run/fal-ai/%2e%2e/requests/x"}),
            json!({"response_url": "https://queue.fal.run/a/requests/x%2Fy"}),
        ] {
            assert!(fal_ticket(&hostile).is_err(), "{hostile}");
        }
    }

    #[test]
    fn replicate_predictions_are_over_or_not() {
        let running = json!({"id": "p1", "status": "processing", "output": null});
        assert_eq!(
            replicate_ticket(&running).unwrap(),
            Some(Ticket::Replicate { id: "p1".into() })
        );
        assert!(replicate_ticket(&json!({"id": "../x", "status": "starting"})).is_err());
        let done = json!({"id": "p1", "status": "succeeded", "output": ["https://r/x.png"]});
        assert_eq!(replicate_ticket(&done).unwrap(), None);
        assert!(replicate_outcome(&done).unwrap().is_array());
        let failed = json!({"status": "failed", "error": "NSFW content detected"});
        assert!(
            replicate_outcome(&failed)
                .unwrap_err()
                .message
                .contains("NSFW")
        );
        assert!(replicate_outcome(&json!({"status": "succeeded", "output": null})).is_err());
    }
}
