//! `host-stub auth status [--provider ID] [--json]`: for each provider, every place a credential
//! can come from, in precedence order, with a masked value — and which one calls use.

use clap::Subcommand;
use provider_host::credentials::{self, Candidate, CredentialSource, Lookup};
use serde_json::json;

use super::{CliResult, models::selected, open_host, output::print_json};
use crate::{host::HostOptions, onboarding};

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Show where each provider's credential comes from (values masked).
    Status {
        /// Only this provider.
        #[arg(long, value_name = "ID")]
        provider: Option<String>,
    },
}

pub fn run(command: AuthCommand, options: &HostOptions) -> CliResult {
    let AuthCommand::Status { provider } = command;
    let json = options.json;
    let host = open_host(options)?;
    let mut report = Vec::new();
    for plugin in selected(&host, provider.as_deref())? {
        for method in &plugin.auth_methods {
            let stored = host.stored(method)?;
            let candidates = credentials::candidates(
                method,
                &Lookup {
                    explicit: None,
                    profiles: &stored.profiles,
                    configured: stored.configured.as_ref(),
                },
            );
            let active = candidates.iter().position(Candidate::usable);
            let mut warnings = mismatch_warnings(&candidates);
            warnings.extend(stored.notes);
            if json {
                report.push(json!({
                    "provider": plugin.id(),
                    "method": method.choice_id.as_str(),
                    "active": active.map(|i| &candidates[i]),
                    "candidates": candidates,
                    "warnings": warnings,
                }));
                continue;
            }
            say!("{} ({}):", plugin.id(), method.label);
            match active {
                Some(i) => say!(
                    "  using {} from {}",
                    candidates[i].masked.as_deref().unwrap_or("?"),
                    candidates[i].source
                ),
                None => say!(
                    "  no credential: pass {}, onboard, or set {}",
                    method.cli_flag,
                    onboarding::env_var_choices(method)
                ),
            }
            for (index, candidate) in candidates.iter().enumerate() {
                let marker = if Some(index) == active { "*" } else { " " };
                let value = candidate
                    .masked
                    .clone()
                    .or_else(|| candidate.note.clone())
                    .unwrap_or_default();
                say!("  {marker} {}: {value}", candidate.source);
            }
            for warning in warnings {
                say!("  warning: {warning}");
            }
        }
    }
    if json {
        print_json(&json!({ "providers": report }))?;
    }
    Ok(())
}

/// A stored profile and the environment disagreeing is a classic surprise: say so.
fn mismatch_warnings(candidates: &[Candidate]) -> Vec<String> {
    let profile = candidates.iter().find(|c| {
        c.usable()
            && matches!(
                c.source,
                CredentialSource::Profile { .. } | CredentialSource::ProfileEnvRef { .. }
            )
    });
    let Some(profile) = profile else {
        return Vec::new();
    };
    candidates
        .iter()
        .filter(|c| matches!(c.source, CredentialSource::Env { .. }) && c.usable())
        .filter(|env| !env.same_secret(profile))
        .map(|env| {
            format!(
                "{} holds a different token ({}) than {} ({}); calls use the profile's",
                env.source,
                env.masked.as_deref().unwrap_or("?"),
                profile.source,
                profile.masked.as_deref().unwrap_or("?")
            )
        })
        .collect()
}
