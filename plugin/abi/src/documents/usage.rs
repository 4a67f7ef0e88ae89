//! The account-usage document (capability `ACCOUNT_USAGE`): what the account spent and has left
//! in the current billing period, in one currency.

use serde::{Deserialize, Serialize};

/// What `account_usage` answers. Amounts are in `currency` units (not cents); a figure the
/// service did not give is absent, never zero.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct UsageReport {
    /// The period's start and end, Unix seconds.
    pub period_start: i64,
    pub period_end: i64,
    /// `USD`.
    pub currency: String,
    /// What the period's use cost, credits included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<f64>,
    /// The credits the plan includes for the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included: Option<f64>,
    /// The spending limit the account set, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    /// Requests made in the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// Things the reader should know (a figure the service does not document).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl UsageReport {
    /// What the period costs beyond its included credits (to the nano-unit, so a difference
    /// of two amounts does not show float noise).
    pub fn billable(&self) -> Option<f64> {
        let beyond = (self.used? - self.included.unwrap_or(0.0)).max(0.0);
        Some((beyond * 1e9).round() / 1e9)
    }
}
