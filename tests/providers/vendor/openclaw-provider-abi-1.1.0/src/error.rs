//! The one error type that crosses the boundary, and its stable codes.

use abi_stable::{
    StableAbi,
    std_types::{ROption, RString},
};

use crate::codes::named_values;

named_values! {
    /// A stable error code. Hosts decide policy (retry, fall back, re-onboard) from the code alone;
    /// numbers never change meaning, and a code a host does not know is treated as `INTERNAL`.
    ErrorCode(u16) {
        /// The credential was rejected (HTTP 401).
        UNAUTHORIZED = 1 => "unauthorized",
        /// The credential lacks a permission (HTTP 403).
        FORBIDDEN = 2 => "forbidden",
        /// The account has no credits left (HTTP 402).
        PAYMENT_REQUIRED = 3 => "payment_required",
        /// The model does not exist (HTTP 404).
        MODEL_NOT_FOUND = 4 => "model_not_found",
        /// The model exists but no enabled upstream serves it.
        MODEL_NOT_SUPPORTED = 5 => "model_not_supported",
        /// Too many requests (HTTP 429); see `retry_after_ms`.
        RATE_LIMITED = 6 => "rate_limited",
        /// The upstream service failed (HTTP 5xx).
        UPSTREAM = 7 => "upstream",
        /// A connect, first-byte, idle or overall deadline passed.
        TIMEOUT = 8 => "timeout",
        /// The connection could not be made or broke.
        NETWORK = 9 => "network",
        /// The user asked for no network use.
        OFFLINE = 10 => "offline",
        /// The request was refused as malformed (HTTP 400/422, bad arguments).
        INVALID_REQUEST = 11 => "invalid_request",
        /// The service answered with something that could not be understood.
        INVALID_RESPONSE = 12 => "invalid_response",
        /// The caller cancelled.
        CANCELLED = 13 => "cancelled",
        /// A bug or a panic inside the plugin.
        INTERNAL = 14 => "internal",
        /// The plugin does not implement this operation.
        UNSUPPORTED = 15 => "unsupported",
    }
}

impl ErrorCode {
    /// The code as a host should treat it: unknown codes become `INTERNAL`.
    pub fn normalized(self) -> Self {
        if self.name().is_some() {
            self
        } else {
            Self::INTERNAL
        }
    }
}

/// An error returned by any entry point.
///
/// `message` is written for a person and says what to do; it never contains a credential.
/// Policy decisions use `code`, never the message text.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct ProviderError {
    /// What went wrong, as a stable code.
    pub code: ErrorCode,
    /// The HTTP status behind the error, `0` when there was none.
    pub http_status: u16,
    /// How long the service asked the caller to wait before trying again, if it said.
    pub retry_after_ms: ROption<u64>,
    /// A one-paragraph, actionable explanation.
    pub message: RString,
    /// Optional machine-readable detail as a JSON object (for example the upstream error code or
    /// request id); empty when there is none.
    pub details_json: RString,
}

impl ProviderError {
    /// An error with a code and a message and nothing else.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            http_status: 0,
            retry_after_ms: ROption::RNone,
            message: RString::from(message.into()),
            details_json: RString::new(),
        }
    }

    /// The same error with an HTTP status attached.
    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = status;
        self
    }

    /// The same error with a retry hint attached.
    pub fn with_retry_after_ms(mut self, millis: u64) -> Self {
        self.retry_after_ms = ROption::RSome(millis);
        self
    }

    /// The same error with machine-readable detail attached.
    pub fn with_details(mut self, details: &serde_json::Value) -> Self {
        self.details_json = RString::from(details.to_string());
        self
    }

    /// A `INTERNAL` error for a panic caught at the boundary.
    pub fn from_panic(operation: &str, payload: &(dyn std::any::Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a non-text panic payload".to_owned());
        Self::new(
            ErrorCode::INTERNAL,
            format!("the plugin panicked in {operation}: {what}"),
        )
    }

    /// Whether trying the same request again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code.normalized(),
            ErrorCode::RATE_LIMITED | ErrorCode::UPSTREAM | ErrorCode::TIMEOUT | ErrorCode::NETWORK
        )
    }
}

/// Runs a plugin entry point's body and turns a panic into an `INTERNAL` error, as every entry
/// point must (an unwinding panic must not cross the boundary). `operation` names the entry
/// point in the error message.
pub fn catch_panics<T>(
    operation: &str,
    body: impl FnOnce() -> Result<T, ProviderError>,
) -> abi_stable::std_types::RResult<T, ProviderError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(result) => result.into(),
        Err(payload) => abi_stable::std_types::RResult::RErr(ProviderError::from_panic(
            operation,
            payload.as_ref(),
        )),
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)?;
        if self.http_status != 0 {
            write!(f, " (HTTP {})", self.http_status)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ProviderError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_policy() {
        let err = ProviderError::new(ErrorCode::RATE_LIMITED, "slow down")
            .with_status(429)
            .with_retry_after_ms(2000);
        assert_eq!(err.to_string(), "rate_limited (HTTP 429): slow down");
        assert!(err.is_transient());
        assert_eq!(ErrorCode(4242).normalized(), ErrorCode::INTERNAL);
        let unknown = ProviderError::new(ErrorCode(4242), "from the future");
        assert_eq!(unknown.to_string(), "unknown(4242): from the future");
        assert!(!unknown.is_transient());
    }

    #[test]
    fn catch_panics_turns_panics_into_internal_errors() {
        let err = catch_panics::<()>("test", || panic!("kaboom")).unwrap_err();
        assert_eq!(err.code, ErrorCode::INTERNAL);
        assert!(err.message.contains("kaboom"), "{}", err.message);
        assert_eq!(catch_panics("ok", || Ok(5)).unwrap(), 5);
    }

    #[test]
    fn panic_payloads_become_messages() {
        let payload: Box<dyn std::any::Any + Send> = Box::new("boom");
        let err = ProviderError::from_panic("chat", payload.as_ref());
        assert_eq!(err.code, ErrorCode::INTERNAL);
        assert!(err.message.contains("boom"));
    }
}
