//! `host-stub onboard`: non-interactive with flags, or interactive on a terminal.
//!
//! The key flags (`--huggingface-api-key`, …) are not written here: they come from the loaded
//! plugins' manifests (`providerAuthChoices[].cliFlag`), added to the command line before it is
//! parsed. Non-interactive runs take the key from that flag, else the plugin's environment
//! variables, else an existing profile, else the plugin's token file; with none, exit code 2
//! names every way to give one.
//!
//! Interactive runs ask, in order: which auth choice (grouped by provider), whether to use a
//! token found in the environment, else the one in the token file, else the key (masked); check
//! it with a spinner; then offer
//! the default model from the live catalog — each model also with the routing policies the plugin
//! names (`:cheapest` and `:fastest` for Hugging Face) —
//! or from the built-in one with the reason, filtered as you type, the current default
//! pre-selected.

mod interactive;
mod key_flags;

use std::io::IsTerminal;

use clap::{Args, ValueEnum};
use openclaw_provider_abi::{AuthMethod, SecretInputMode};
use provider_host::plugin::LoadedPlugin;

use self::interactive::{interactive_onboarding, pick_auth_choice};
pub use self::key_flags::{declared_auth_choices, key_flag_values, with_key_flags};
use super::{CliResult, Failure, open_host, output::print_json};
use crate::{
    host::{Host, HostOptions},
    onboarding::{self, KeySource, OnboardError, Plan, Report},
};

#[derive(Debug, Args)]
pub struct OnboardArgs {
    /// Do not prompt; take everything from flags and the environment.
    #[arg(long)]
    pub non_interactive: bool,
    /// Where the gateway runs; only `local` is supported.
    #[arg(long, value_enum, default_value_t = Mode::Local)]
    pub mode: Mode,
    /// The auth choice (e.g. huggingface-api-key); inferred from a key flag when absent.
    #[arg(long, value_name = "ID")]
    pub auth_choice: Option<String>,
    /// Store the key itself (plaintext) or the name of the environment variable holding it (ref).
    #[arg(long, value_enum, default_value_t = SecretMode::Plaintext)]
    pub secret_input_mode: SecretMode,
    /// Check the key with the service before storing it.
    #[arg(long)]
    pub validate: bool,
    /// The default model to set (a ref); the plugin's default when absent.
    #[arg(long, value_name = "REF")]
    pub model: Option<String>,
    /// Accepted so OpenClaw's own command line works here too (OpenClaw requires it with
    /// --non-interactive); host-stub's onboarding runs nothing risky, so it changes nothing.
    #[arg(long)]
    pub accept_risk: bool,
    /// Accepted so OpenClaw's own command line works here too; host-stub starts no gateway
    /// to wait for, so it changes nothing.
    #[arg(long)]
    pub skip_health: bool,
    /// Values of the plugin-declared key flags (filled from the parsed command line).
    #[arg(skip)]
    pub keys: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Local,
    Remote,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SecretMode {
    Plaintext,
    Ref,
}

pub fn run(args: OnboardArgs, options: &HostOptions) -> CliResult {
    if args.mode == Mode::Remote {
        return Err(Failure::usage(
            "--mode remote is not supported: host-stub onboards the local gateway",
        ));
    }
    let host = open_host(options)?;
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(Failure::usage(
            "not a terminal: run onboard on a terminal, or pass --non-interactive with the key flag",
        ));
    }
    let (plugin, method) = if interactive && args.auth_choice.is_none() {
        pick_auth_choice(&host)?
    } else {
        auth_choice(&host, &args)?
    };
    let secret_mode = match args.secret_input_mode {
        SecretMode::Plaintext => SecretInputMode::PLAINTEXT,
        SecretMode::Ref => SecretInputMode::REF,
    };
    let flag_value = args
        .keys
        .iter()
        .find(|(flag, _)| flag == method.cli_flag.as_str())
        .map(|(_, value)| value.as_str());
    let report = if interactive {
        interactive_onboarding(&host, plugin, &method, secret_mode, flag_value, &args)?
    } else {
        let key = onboarding::choose_key(&host, &method, flag_value).map_err(onboard_failure)?;
        let plan = Plan {
            key,
            secret_mode,
            chosen_model: args.model.clone(),
            validate: args.validate,
        };
        onboarding::apply(&host, plugin, &method, &plan).map_err(onboard_failure)?
    };
    if options.json {
        return print_json(&report);
    }
    print_report(&report);
    Ok(())
}

fn onboard_failure(error: OnboardError) -> Failure {
    match error {
        OnboardError::Input(message) => Failure::usage(message),
        OnboardError::Failed(message) => Failure::new(message),
    }
}

/// The plugin and method for `--auth-choice`, or the one whose key flag was given.
fn auth_choice<'h>(
    host: &'h Host,
    args: &OnboardArgs,
) -> Result<(&'h LoadedPlugin, AuthMethod), Failure> {
    let all: Vec<(&LoadedPlugin, &AuthMethod)> = host
        .registry()
        .plugins()
        .iter()
        .flat_map(|plugin| {
            plugin
                .auth_methods
                .iter()
                .map(move |method| (plugin, method))
        })
        .collect();
    let found = match &args.auth_choice {
        Some(id) => all.iter().find(|(_, m)| m.choice_id.as_str() == id),
        None => all.iter().find(|(_, m)| {
            args.keys
                .iter()
                .any(|(flag, _)| flag == m.cli_flag.as_str())
        }),
    };
    match found {
        Some((plugin, method)) => Ok((plugin, (*method).clone())),
        None => {
            let known: Vec<&str> = all.iter().map(|(_, m)| m.choice_id.as_str()).collect();
            Err(Failure::usage(match &args.auth_choice {
                Some(id) => format!(
                    "no auth choice {id:?}; the loaded plugins offer: {}",
                    known.join(", ")
                ),
                None => format!(
                    "which credential? pass --auth-choice ({}) or its key flag",
                    known.join(", ")
                ),
            }))
        }
    }
}

fn print_report(report: &Report) {
    let stored = match (&report.key_source, &report.key_env_var) {
        (KeySource::Profile { .. }, _) => "kept the stored profile".to_owned(),
        (KeySource::File { .. }, _) => format!(
            "uses {} from its file, not copied into a profile (logging in again with the \
             provider's own tool keeps it current)",
            report.key
        ),
        (_, Some(variable)) => format!(
            "stored a reference to ${variable} in profile {}",
            report.profile
        ),
        _ => format!("stored {} in profile {}", report.key, report.profile),
    };
    say!(
        "{}: {stored} (key from {})",
        report.provider,
        report.key_source
    );
    if let Some(old) = &report.replaced_key {
        say!("  replaced the previously stored key ({old})");
    }
    if let Some(account) = &report.account {
        say!("  checked: {}", account.message);
    }
    say!("  default model: {}", report.default_model);
    for (title, message) in &report.notes {
        if !message.starts_with("Default model set to") {
            say!("  {title}: {message}");
        }
    }
    if !report.profile_changed && !report.config_changed {
        say!("  nothing changed: it was already set up this way");
    } else if report.config_changed {
        say!("  configuration updated: {}", report.config_path);
    }
}
