//! When and how long to wait before trying a chat request again: after 429, 500, 502, 503, 504
//! and connection failures, at most `max_retries` times, never once any content has reached the
//! caller, never past the overall deadline. The wait doubles from `retry_base` with jitter (so
//! many clients retrying do not move in step), unless the service said how long (`Retry-After`);
//! either way it is capped at `retry_max_delay`.

use std::time::Duration;

use openclaw_provider_abi::{ErrorCode, ProviderError};

use crate::settings::ChatSettings;

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
    let exponential = settings
        .retry_base
        .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
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
}
