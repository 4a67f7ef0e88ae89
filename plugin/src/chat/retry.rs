//! The retry policy of chat, one-shot and streamed alike: whether a failed attempt is tried
//! again and after how long. Only after 429, 500, 502, 503, 504 and connection failures, at most
//! `max_retries` times, never once any output has reached the caller, never when the wait would
//! run past the overall deadline. The wait doubles from `retry_base` with jitter (so many clients
//! retrying do not move in step), unless the service said how long (`Retry-After`); either way it
//! is capped at `retry_max_delay`. Both chat paths ask [`decide`], so they cannot drift apart.

use std::time::{Duration, Instant};

use openclaw_provider_abi::{ErrorCode, ProviderError};

use crate::settings::ChatSettings;

/// Whether to try again after `error`, and after how long: `None` means give up and report
/// `error`. `retries_done` counts the retries already made (0 after the first attempt);
/// `output_started` says whether anything of the answer reached the caller; `until` is the
/// overall deadline.
pub fn decide(
    error: &ProviderError,
    retries_done: u32,
    output_started: bool,
    until: Instant,
    settings: &ChatSettings,
) -> Option<Duration> {
    if output_started || retries_done >= settings.max_retries || !is_retryable(error) {
        return None;
    }
    let wait = delay(retries_done.saturating_add(1), error, settings);
    // A wait that cannot even be added to the clock is past any deadline.
    let ready = Instant::now().checked_add(wait)?;
    (ready < until).then_some(wait)
}

/// Whether an error is worth another attempt.
pub fn is_retryable(error: &ProviderError) -> bool {
    match error.code {
        ErrorCode::RATE_LIMITED => true,
        // A mid-stream upstream error has no status; a 5xx must be one of the transient ones.
        ErrorCode::UPSTREAM => matches!(error.http_status, 0 | 500 | 502 | 503 | 504),
        ErrorCode::NETWORK => true,
        _ => false,
    }
}

/// The wait before retry number `retry` (1 for the first retry).
pub fn delay(retry: u32, error: &ProviderError, settings: &ChatSettings) -> Duration {
    if let Some(millis) = error.retry_after_ms.into_option() {
        return Duration::from_millis(millis).min(settings.retry_max_delay);
    }
    // Bounded before the jitter, at twice the cap (so a capped wait still comes out at the cap):
    // `mul_f64` panics on a product past `Duration::MAX`, which an absurd configured base would
    // otherwise reach.
    let exponential = settings
        .retry_base
        .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
        .min(settings.retry_max_delay.saturating_mul(2));
    // Full-range jitter between half and all of the exponential delay.
    let jittered = exponential.mul_f64(0.5 + fastrand::f64() * 0.5);
    jittered.min(settings.retry_max_delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openclaw_provider_abi::{CallContext, Timeouts};

    fn settings() -> ChatSettings {
        let mut settings = ChatSettings::for_call(&CallContext {
            timeouts: Timeouts::default(),
            ..CallContext::anonymous()
        })
        .unwrap();
        settings.retry_base = Duration::from_millis(100);
        settings.retry_max_delay = Duration::from_millis(1000);
        settings
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
        let settings = settings();
        let plain = ProviderError::new(ErrorCode::UPSTREAM, "x");
        for _ in 0..50 {
            let first = delay(1, &plain, &settings);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = delay(3, &plain, &settings);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(delay(30, &plain, &settings) <= Duration::from_millis(1000));
        }
        let told = plain.clone().with_retry_after_ms(300);
        assert_eq!(delay(1, &told, &settings), Duration::from_millis(300));
        let too_long = plain.with_retry_after_ms(60_000);
        assert_eq!(delay(1, &too_long, &settings), Duration::from_millis(1000));
    }

    #[test]
    fn one_decision_for_both_paths() {
        let mut settings = settings();
        settings.max_retries = 2;
        let far = Instant::now() + Duration::from_secs(3600);
        let transient = ProviderError::new(ErrorCode::UPSTREAM, "x").with_status(503);
        assert!(decide(&transient, 0, false, far, &settings).is_some());
        assert!(decide(&transient, 1, false, far, &settings).is_some());
        // The retry budget, output already delivered, a permanent error: no retry.
        assert!(decide(&transient, 2, false, far, &settings).is_none());
        assert!(decide(&transient, 0, true, far, &settings).is_none());
        let permanent = ProviderError::new(ErrorCode::UNAUTHORIZED, "x").with_status(401);
        assert!(decide(&permanent, 0, false, far, &settings).is_none());
        // A wait that would end past the deadline is not started.
        let told = transient.clone().with_retry_after_ms(900);
        let soon = Instant::now() + Duration::from_millis(500);
        assert!(decide(&told, 0, false, soon, &settings).is_none());
        assert_eq!(
            decide(&told, 0, false, far, &settings),
            Some(Duration::from_millis(900))
        );
    }

    #[test]
    fn absurd_settings_and_hints_never_overflow() {
        let mut settings = settings();
        settings.max_retries = u32::MAX;
        settings.retry_base = Duration::MAX;
        settings.retry_max_delay = crate::http::MAX_DEADLINE;
        let plain = ProviderError::new(ErrorCode::NETWORK, "x");
        for retry in [1, 16, 17, u32::MAX] {
            assert!(delay(retry, &plain, &settings) <= crate::http::MAX_DEADLINE);
        }
        let far = Instant::now() + Duration::from_secs(60);
        let huge = plain.with_retry_after_ms(u64::MAX);
        assert!(decide(&huge, u32::MAX - 1, false, far, &settings).is_none());
    }
}
