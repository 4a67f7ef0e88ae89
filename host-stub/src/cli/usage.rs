//! `host-stub usage [--provider ID]`: what the account spent this month through a provider
//! that reports it — used, included credits, what is billable beyond them, the spending limit
//! and the number of requests; with `--json`, the same as one object. Ctrl-C cancels the call.

use clap::Args;
use provider_host::event_lines::UsageAnswer;

use super::{CliResult, call_failure, cancel_on_ctrl_c, open_host, output::print_json};
use crate::{host::HostOptions, spend::account_usage};

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// The provider whose account to read (default: the first loaded plugin that reports
    /// spend).
    #[arg(long, value_name = "ID")]
    provider: Option<String>,
}

pub fn run(args: UsageArgs, options: &HostOptions) -> CliResult {
    let host = open_host(options)?;
    let cancel = cancel_on_ctrl_c()?;
    let (provider, report) = account_usage(&host, args.provider.as_deref(), &cancel)
        .map_err(|error| call_failure(error, "reading the account's usage"))?;
    let answer = UsageAnswer::new(&provider, report);
    if options.json {
        return print_json(&answer);
    }
    print_report(&answer);
    Ok(())
}

/// The report for a person: one figure per line, absent figures left out.
fn print_report(answer: &UsageAnswer) {
    say!(
        "{}: {} to {} (UTC)",
        answer.provider,
        day(answer.period_start),
        day(answer.period_end)
    );
    let money = |amount: f64| {
        let cents = to_cents(amount);
        let text = format!("{}.{:02}", cents / 100, cents % 100);
        match answer.currency.as_str() {
            "USD" => format!("${text}"),
            other => format!("{text} {other}"),
        }
    };
    let mut lines: Vec<(&str, String)> = Vec::new();
    if let Some(used) = answer.used {
        lines.push(("used", money(used)));
    }
    if let Some(included) = answer.included {
        lines.push(("included credits", money(included)));
    }
    if let Some(billable) = answer.billable {
        lines.push(("billable beyond credits", money(billable)));
    }
    match (answer.limit, answer.used) {
        (Some(limit), Some(used)) if limit > 0.0 => lines.push((
            "spending limit",
            format!("{} ({:.0}% used)", money(limit), used / limit * 100.0),
        )),
        (Some(limit), _) => lines.push(("spending limit", money(limit))),
        (None, _) => lines.push(("spending limit", "none set".into())),
    }
    if let Some(requests) = answer.requests {
        lines.push(("requests", requests.to_string()));
    }
    for (label, value) in lines {
        say!("  {label:<24}{value}");
    }
    for note in &answer.notes {
        tell!("note: {note}");
    }
}

/// Whole cents, half a cent rounded up: amounts arrive as nano-units, so they are rounded there
/// first (0.345 is 345,000,000 nano-dollars, $0.35, though the nearest float is below it).
fn to_cents(amount: f64) -> u64 {
    let nano = (amount.max(0.0) * 1e9).round() as u64;
    (nano + 5_000_000) / 10_000_000
}

/// `2026-12-01` for Unix seconds (UTC).
fn day(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(|at| at.date().to_string())
        .unwrap_or_else(|_| seconds.to_string())
}
