//! The one retry driver every operation goes through — a one-shot chat, a streamed chat, and the
//! capabilities beyond chat — so they retry alike and report retries alike.
//!
//! The policy: only after 429, 500, 502, 503, 504 and connection failures, at most
//! `max_retries` times, never once any output has reached the caller, never for a request that
//! may already have run upstream (a connection that failed after the request was written: the
//! upstream may have received it and would run — and bill — it twice), never when the wait
//! would run past the overall deadline. The wait doubles from `base` with jitter (so many
//! clients retrying do not move in step), unless the service said how long (`Retry-After`);
//! either way it is capped at `max_delay`. Each retry is announced with one [`Notice`]: the same
//! text and the same details whichever operation retries.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use openclaw_provider_abi::{ErrorCode, ProviderError};
use serde_json::{Value, json};

/// How an operation retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff delay; each retry doubles it (with jitter).
    pub base: Duration,
    /// The longest wait before a retry, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// How one attempt ended.
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    /// It failed; another attempt may follow, as the policy says.
    Failed(ProviderError),
    /// It failed after output reached the caller: nothing may follow.
    FailedAfterOutput(ProviderError),
}

/// What the caller is told before another attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// For a person: `retrying in 0.5 s after upstream (HTTP 503): … (retry 1 of 2)`.
    pub text: String,
    /// For a program: `{"retry","of","delayMs","code","httpStatus"}` for a retry; for an
    /// adjustment, what changed (`{"dropped":"reasoning_effort","value":"high"}`) or nothing.
    pub details: Value,
}

/// An operation the driver runs.
pub trait Attempts {
    type Output;

    /// One attempt.
    fn attempt(&mut self) -> impl Future<Output = Outcome<Self::Output>> + Send;

    /// After a failure with no output, whether the operation changes itself and goes again at
    /// once — not a retry, and not counted (a pinned upstream refused: once more without the
    /// pin). Returns what to tell the caller.
    fn adjust(&mut self, _error: &ProviderError) -> Option<Notice> {
        None
    }

    /// Tells the caller another attempt is coming; `false` when nobody listens any more, which
    /// ends the operation.
    fn announce(&mut self, notice: Notice) -> impl Future<Output = bool> + Send;

    /// The error for an attempt still running at the overall deadline.
    fn deadline_passed(&self) -> ProviderError;
}

/// Runs `operation` until it succeeds, fails for good, or `until` passes.
pub async fn run<A: Attempts>(
    policy: &RetryPolicy,
    until: Instant,
    operation: &mut A,
) -> Result<A::Output, ProviderError> {
    let mut retries = 0;
    loop {
        let remaining = until.saturating_duration_since(Instant::now());
        let error = match tokio::time::timeout(remaining, operation.attempt()).await {
            Ok(Outcome::Done(output)) => return Ok(output),
            Ok(Outcome::FailedAfterOutput(error)) => return Err(error),
            Ok(Outcome::Failed(error)) => error,
            Err(_) => return Err(operation.deadline_passed()),
        };
        let notice = if let Some(notice) = operation.adjust(&error) {
            notice
        } else {
            let Some(wait) = decide(&error, retries, until, policy) else {
                return Err(error);
            };
            retries += 1;
            let notice = retry_notice(&error, wait, retries, policy.max_retries);
            if !operation.announce(notice).await {
                return Err(abandoned());
            }
            tokio::time::sleep(wait).await;
            continue;
        };
        if !operation.announce(notice).await {
            return Err(abandoned());
        }
    }
}

fn abandoned() -> ProviderError {
    ProviderError::new(ErrorCode::CANCELLED, "nobody is waiting for the answer")
}

/// The notice for retry number `retry` of `of`, after `error`, in `wait`.
fn retry_notice(error: &ProviderError, wait: Duration, retry: u32, of: u32) -> Notice {
    Notice {
        text: format!(
            "retrying in {:.1} s after {error} (retry {retry} of {of})",
            wait.as_secs_f64()
        ),
        details: json!({
            "retry": retry,
            "of": of,
            "delayMs": wait.as_millis() as u64,
            "code": error.code.to_string(),
            "httpStatus": error.http_status,
        }),
    }
}

/// Whether to try again after `error`, and after how long: `None` means give up and report
/// `error`. `retries_done` counts the retries already made (0 after the first attempt); `until`
/// is the overall deadline.
pub fn decide(
    error: &ProviderError,
    retries_done: u32,
    until: Instant,
    policy: &RetryPolicy,
) -> Option<Duration> {
    if retries_done >= policy.max_retries || !is_retryable(error) {
        return None;
    }
    let wait = delay(retries_done.saturating_add(1), error, policy);
    // A wait that cannot even be added to the clock is past any deadline.
    let ready = Instant::now().checked_add(wait)?;
    (ready < until).then_some(wait)
}

/// The detail a transport failure carries when the request was written before the connection
/// failed: the upstream may have received it, so it is never sent again.
pub const REQUEST_SENT: &str = "requestSent";

/// Marks a transport failure that happened after the request was written.
pub fn sent(error: ProviderError) -> ProviderError {
    error.with_details(&json!({ REQUEST_SENT: true }))
}

/// Whether `error` says its request may have run upstream.
pub fn request_may_have_run(error: &ProviderError) -> bool {
    !error.details_json.is_empty()
        && serde_json::from_str::<Value>(&error.details_json)
            .ok()
            .and_then(|details| details.get(REQUEST_SENT)?.as_bool())
            .unwrap_or(false)
}

/// Whether an error is worth another attempt.
pub fn is_retryable(error: &ProviderError) -> bool {
    if request_may_have_run(error) {
        return false;
    }
    match error.code {
        ErrorCode::RATE_LIMITED => true,
        // A mid-stream upstream error has no status; a 5xx must be one of the transient ones.
        ErrorCode::UPSTREAM => matches!(error.http_status, 0 | 500 | 502 | 503 | 504),
        ErrorCode::NETWORK => true,
        _ => false,
    }
}

/// The wait before retry number `retry` (1 for the first retry).
pub fn delay(retry: u32, error: &ProviderError, policy: &RetryPolicy) -> Duration {
    if let Some(millis) = error.retry_after_ms.into_option() {
        return Duration::from_millis(millis).min(policy.max_delay);
    }
    // Bounded before the jitter, at twice the cap (so a capped wait still comes out at the cap):
    // `mul_f64` panics on a product past `Duration::MAX`, which an absurd configured base would
    // otherwise reach.
    let exponential = policy
        .base
        .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
        .min(policy.max_delay.saturating_mul(2));
    // Full-range jitter between half and all of the exponential delay.
    let jittered = exponential.mul_f64(0.5 + fastrand::f64() * 0.5);
    jittered.min(policy.max_delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            base: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        }
    }

    #[test]
    fn retries_transient_failures_only() {
        let error = |code, status| ProviderError::new(code, "x").with_status(status);
        assert!(is_retryable(&error(ErrorCode::RATE_LIMITED, 429)));
        for status in [500, 502, 503, 504, 0] {
            assert!(
                is_retryable(&error(ErrorCode::UPSTREAM, status)),
                "{status}"
            );
        }
        assert!(!is_retryable(&error(ErrorCode::UPSTREAM, 501)));
        assert!(is_retryable(&error(ErrorCode::NETWORK, 0)));
        assert!(!is_retryable(&sent(error(ErrorCode::NETWORK, 0))));
        for code in [
            ErrorCode::UNAUTHORIZED,
            ErrorCode::FORBIDDEN,
            ErrorCode::PAYMENT_REQUIRED,
            ErrorCode::INVALID_REQUEST,
            ErrorCode::MODEL_NOT_SUPPORTED,
            ErrorCode::TIMEOUT,
            ErrorCode::CANCELLED,
        ] {
            assert!(!is_retryable(&error(code, 400)), "{code}");
        }
    }

    #[test]
    fn waits_double_with_jitter_and_honour_retry_after_up_to_the_cap() {
        let policy = policy();
        let plain = ProviderError::new(ErrorCode::UPSTREAM, "x");
        for _ in 0..50 {
            let first = delay(1, &plain, &policy);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = delay(3, &plain, &policy);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(delay(30, &plain, &policy) <= Duration::from_millis(1000));
        }
        let told = plain.clone().with_retry_after_ms(300);
        assert_eq!(delay(1, &told, &policy), Duration::from_millis(300));
        let too_long = plain.with_retry_after_ms(60_000);
        assert_eq!(delay(1, &too_long, &policy), Duration::from_millis(1000));
    }

    #[test]
    fn the_budget_the_error_and_the_deadline_decide() {
        let policy = policy();
        let far = Instant::now() + Duration::from_secs(3600);
        let transient = ProviderError::new(ErrorCode::UPSTREAM, "x").with_status(503);
        assert!(decide(&transient, 0, far, &policy).is_some());
        assert!(decide(&transient, 1, far, &policy).is_some());
        assert!(decide(&transient, 2, far, &policy).is_none());
        let permanent = ProviderError::new(ErrorCode::UNAUTHORIZED, "x").with_status(401);
        assert!(decide(&permanent, 0, far, &policy).is_none());
        // A wait that would end past the deadline is not started.
        let told = transient.clone().with_retry_after_ms(900);
        let soon = Instant::now() + Duration::from_millis(500);
        assert!(decide(&told, 0, soon, &policy).is_none());
        assert_eq!(
            decide(&told, 0, far, &policy),
            Some(Duration::from_millis(900))
        );
        let none = RetryPolicy {
            max_retries: 0,
            ..policy
        };
        assert!(decide(&transient, 0, far, &none).is_none());
    }

    #[test]
    fn absurd_settings_and_hints_never_overflow() {
        let policy = RetryPolicy {
            max_retries: u32::MAX,
            base: Duration::MAX,
            max_delay: crate::http::MAX_DEADLINE,
        };
        let plain = ProviderError::new(ErrorCode::NETWORK, "x");
        for retry in [1, 16, 17, u32::MAX] {
            assert!(delay(retry, &plain, &policy) <= crate::http::MAX_DEADLINE);
        }
        let far = Instant::now() + Duration::from_secs(60);
        let huge = plain.with_retry_after_ms(u64::MAX);
        assert!(decide(&huge, u32::MAX - 1, far, &policy).is_none());
    }

    /// Fails with the given errors in turn, then answers; records what it was told.
    struct Scripted {
        failures: Vec<Outcome<&'static str>>,
        adjusted: bool,
        told: Vec<Notice>,
    }

    impl Attempts for Scripted {
        type Output = &'static str;

        async fn attempt(&mut self) -> Outcome<&'static str> {
            if self.failures.is_empty() {
                Outcome::Done("answer")
            } else {
                self.failures.remove(0)
            }
        }

        fn adjust(&mut self, error: &ProviderError) -> Option<Notice> {
            (error.code == ErrorCode::MODEL_NOT_SUPPORTED && !self.adjusted).then(|| {
                self.adjusted = true;
                Notice {
                    text: "unpinned".to_owned(),
                    details: Value::Null,
                }
            })
        }

        async fn announce(&mut self, notice: Notice) -> bool {
            self.told.push(notice);
            true
        }

        fn deadline_passed(&self) -> ProviderError {
            ProviderError::new(ErrorCode::TIMEOUT, "too late")
        }
    }

    fn drive(
        failures: Vec<Outcome<&'static str>>,
    ) -> (Result<&'static str, ProviderError>, Vec<Notice>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let mut scripted = Scripted {
            failures,
            adjusted: false,
            told: Vec::new(),
        };
        let policy = RetryPolicy {
            base: Duration::from_millis(1),
            ..policy()
        };
        let until = Instant::now() + Duration::from_secs(10);
        let result = runtime.block_on(run(&policy, until, &mut scripted));
        (result, scripted.told)
    }

    #[test]
    fn the_driver_retries_adjusts_and_announces_each_step() {
        let busy =
            || Outcome::Failed(ProviderError::new(ErrorCode::UPSTREAM, "busy").with_status(503));
        let refused = Outcome::Failed(ProviderError::new(ErrorCode::MODEL_NOT_SUPPORTED, "no"));
        let (result, told) = drive(vec![refused, busy(), busy()]);
        assert_eq!(result.unwrap(), "answer");
        let texts: Vec<&str> = told.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts[0], "unpinned");
        assert!(texts[1].contains("(retry 1 of 2)") && texts[2].contains("(retry 2 of 2)"));
        assert_eq!(told[1].details["httpStatus"], 503);

        let (result, told) = drive(vec![busy(), busy(), busy()]);
        assert_eq!(result.unwrap_err().http_status, 503);
        assert_eq!(told.len(), 2);

        let late = Outcome::FailedAfterOutput(ProviderError::new(ErrorCode::NETWORK, "cut"));
        let (result, told) = drive(vec![late]);
        assert_eq!(result.unwrap_err().code, ErrorCode::NETWORK);
        assert!(told.is_empty());
    }
}
