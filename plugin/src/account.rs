//! The account's Inference Providers spend (capability `ACCOUNT_USAGE`): what the current UTC
//! month has cost so far, the credits the plan includes, the spending limit and the number of
//! requests, from the Hub's billing usage endpoint
//! (`GET {HF_ENDPOINT}/api/settings/billing/usage-v2?startDate=<s>&endDate=<s>`).
//!
//! Hugging Face does not document that endpoint (its own tools read it), so it is read
//! defensively: the body is bounded, every figure is optional, a figure that is not a finite,
//! non-negative number within a sane bound is dropped with a note rather than shown, and the
//! answer always says where the figures come from. Amounts arrive in nano-dollars. A token
//! without the billing read permission gets a 403, which is named as such.

use openclaw_provider_abi::{
    CallContext, Cancellation, ErrorCode, ProviderError, documents::UsageReport,
};
use serde_json::Value;
use time::{OffsetDateTime, Time, format_description::well_known::Rfc3339};

use crate::{errors, hub, runtime};

/// The most bytes of a usage answer read (the known body is a few hundred bytes).
const MAX_BODY_BYTES: u64 = 256 * 1024;
/// Nano-dollars in a dollar.
const NANO: f64 = 1e9;
/// The largest amount believed, in dollars: anything above is a misread, not a bill.
const MAX_DOLLARS: f64 = 1e9;
/// The most requests believed in one month.
const MAX_REQUESTS: u64 = 1 << 48;
/// Said with every report: the figures come from an endpoint Hugging Face does not document.
const SOURCE_NOTE: &str = "read from the Hub's billing usage endpoint, which Hugging Face does \
                           not document; the billing page has the authoritative figures";

/// Answers `account_usage`: a [`UsageReport`] document for the current UTC month.
pub fn account_usage(
    context: &CallContext,
    cancel: &Cancellation,
) -> Result<String, ProviderError> {
    let (_, token) = crate::http::call_token(context, "reading the account's usage")?;
    let now = OffsetDateTime::now_utc();
    let start = month_start(now);
    let (start_s, end_s) = (start.unix_timestamp(), now.unix_timestamp());
    let body = runtime::block_on_cancellable(
        hub::get(
            &["settings", "billing", "usage-v2"],
            &[
                ("startDate", &start_s.to_string()),
                ("endDate", &end_s.to_string()),
            ],
            &token,
            MAX_BODY_BYTES,
            (
                "reading the account's usage",
                errors::Operation::AccountUsage,
            ),
        ),
        cancel,
    )??;
    let report = read_report(&body, (start_s, end_s))?;
    serde_json::to_string(&report)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
}

/// Midnight UTC on the first of `now`'s month.
fn month_start(now: OffsetDateTime) -> OffsetDateTime {
    now.replace_time(Time::MIDNIGHT)
        .replace_day(1)
        .unwrap_or(now)
}

/// The report in a usage answer; `asked` is the period requested, used where the answer gives
/// none.
fn read_report(body: &[u8], asked: (i64, i64)) -> Result<UsageReport, ProviderError> {
    let document: Value = serde_json::from_slice(body).map_err(|err| {
        ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "the Hub's usage answer is not JSON ({})",
                errors::json_failure(&err)
            ),
        )
    })?;
    let Some(inference) = document
        .pointer("/usage/inferenceProviders")
        .filter(|value| value.is_object())
    else {
        return Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            "the Hub's usage answer has no Inference Providers figures \
             (usage.inferenceProviders); the endpoint may have changed",
        ));
    };
    let mut notes = vec![SOURCE_NOTE.to_owned()];
    let mut dollars = |key: &str| {
        let value = inference.get(key)?;
        match amount(value) {
            Some(nano) if nano / NANO <= MAX_DOLLARS => Some(nano / NANO),
            _ => {
                notes.push(format!("{key} was left out: not an amount"));
                None
            }
        }
    };
    let used = dollars("usedNanoUsd");
    let included = dollars("includedNanoUsd");
    // No limit set reads as zero or absent.
    let limit = dollars("limitNanoUsd").filter(|limit| *limit > 0.0);
    let requests = inference
        .get("numRequests")
        .and_then(amount)
        .filter(|count| count.fract() == 0.0 && *count <= MAX_REQUESTS as f64)
        .map(|count| count as u64);
    let period_start = inference
        .get("periodStart")
        .and_then(instant)
        .unwrap_or(asked.0);
    let period_end = inference
        .get("periodEnd")
        .and_then(instant)
        .filter(|end| *end >= period_start)
        .unwrap_or(asked.1);
    Ok(UsageReport {
        period_start,
        period_end,
        currency: "USD".into(),
        used,
        included,
        limit,
        requests,
        notes,
    })
}

/// A non-negative finite number, given as a number or as a decimal string.
fn amount(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(number) => number.as_f64()?,
        Value::String(text) if text.len() <= 32 => text.trim().parse().ok()?,
        _ => return None,
    };
    (number.is_finite() && number >= 0.0).then_some(number)
}

/// A point in time as Unix seconds: seconds or milliseconds since the epoch, or RFC 3339 text.
fn instant(value: &Value) -> Option<i64> {
    /// Past this, a count of seconds is taken for milliseconds (it would be after the year 5000).
    const MILLISECONDS_FROM: f64 = 1e11;
    let seconds = match value {
        Value::Number(number) => {
            let raw = number.as_f64()?;
            let seconds = if raw >= MILLISECONDS_FROM {
                raw / 1000.0
            } else {
                raw
            };
            (seconds.is_finite() && (0.0..MILLISECONDS_FROM).contains(&seconds))
                .then_some(seconds as i64)?
        }
        Value::String(text) if text.len() <= 64 => {
            OffsetDateTime::parse(text, &Rfc3339).ok()?.unix_timestamp()
        }
        _ => return None,
    };
    (seconds >= 0).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASKED: (i64, i64) = (1_764_547_200, 1_765_000_000);

    fn report(body: &str) -> UsageReport {
        read_report(body.as_bytes(), ASKED).expect("a report")
    }

    #[test]
    fn reads_the_figures_hugging_face_tools_read_in_nano_dollars() {
        let usage = report(
            r#"{"usage":{"inferenceProviders":{"usedNanoUsd":2345000000,
            "includedNanoUsd":2000000000,"limitNanoUsd":10000000000,"numRequests":1234,
            "periodStart":"2025-12-01T00:00:00.000Z","periodEnd":1765000000},
            "jobs":{"usedMicroUsd":5,"totalMinutes":1}}}"#,
        );
        assert_eq!(usage.used, Some(2.345));
        assert_eq!(usage.included, Some(2.0));
        assert_eq!(usage.limit, Some(10.0));
        assert_eq!(usage.requests, Some(1234));
        assert_eq!(usage.period_start, 1_764_547_200);
        assert_eq!(usage.period_end, 1_765_000_000);
        assert_eq!(usage.currency, "USD");
        assert!((usage.billable().expect("billable") - 0.345).abs() < 1e-9);
        assert_eq!(usage.notes, vec![SOURCE_NOTE.to_owned()]);
    }

    #[test]
    fn a_limit_of_zero_is_no_limit_and_missing_figures_stay_missing() {
        let usage =
            report(r#"{"usage":{"inferenceProviders":{"usedNanoUsd":0,"limitNanoUsd":0}}}"#);
        assert_eq!(usage.used, Some(0.0));
        assert_eq!(usage.limit, None);
        assert_eq!(usage.included, None);
        assert_eq!(usage.requests, None);
        assert_eq!((usage.period_start, usage.period_end), ASKED);
    }

    #[test]
    fn figures_that_are_not_amounts_are_left_out_with_a_note() {
        let usage = report(
            r#"{"usage":{"inferenceProviders":{"usedNanoUsd":-5,"includedNanoUsd":"lots",
            "limitNanoUsd":1e300,"numRequests":1.5,"periodStart":"yesterday",
            "periodEnd":-1}}}"#,
        );
        assert_eq!(
            (usage.used, usage.included, usage.limit),
            (None, None, None)
        );
        assert_eq!(usage.requests, None);
        assert_eq!((usage.period_start, usage.period_end), ASKED);
        assert_eq!(usage.notes.len(), 4, "{:?}", usage.notes);
        assert!(usage.notes[1].contains("usedNanoUsd"));
    }

    #[test]
    fn milliseconds_and_decimal_strings_are_understood() {
        let usage = report(
            r#"{"usage":{"inferenceProviders":{"usedNanoUsd":"1500000000",
            "periodStart":1764547200000,"periodEnd":1765000000000}}}"#,
        );
        assert_eq!(usage.used, Some(1.5));
        assert_eq!((usage.period_start, usage.period_end), ASKED);
    }

    #[test]
    fn an_answer_without_the_figures_or_not_json_is_an_error_that_says_so() {
        for body in [
            "<html>sign in</html>",
            "{}",
            r#"{"usage":{"inferenceProviders":[1,2]}}"#,
            "[]",
        ] {
            let error = read_report(body.as_bytes(), ASKED).expect_err(body);
            assert_eq!(error.code, ErrorCode::INVALID_RESPONSE, "{body}");
        }
    }

    #[test]
    fn the_month_starts_at_midnight_utc_on_the_first() {
        let now = OffsetDateTime::from_unix_timestamp(1_765_012_345).expect("a time");
        assert_eq!(month_start(now).unix_timestamp(), 1_764_547_200);
    }
}
