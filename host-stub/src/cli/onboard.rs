//! `host-stub onboard`: non-interactive with flags, or interactive on a terminal.
//!
//! The key flags (`--huggingface-api-key`, …) are not written here: they come from the loaded
//! plugins' manifests (`providerAuthChoices[].cliFlag`), added to the command line before it is
//! parsed. Non-interactive runs take the key from that flag, else the plugin's environment
//! variables, else an existing profile; with none, exit code 2 names every way to give one.
//!
//! Interactive runs ask, in order: which auth choice (grouped by provider), whether to use a
//! token found in the environment, else the key (masked); check it with a spinner; then offer
//! the default model from the live catalog — each model also with the routing policies the plugin
//! names (`:cheapest` and `:fastest` for Hugging Face) —
//! or from the built-in one with the reason, filtered as you type, the current default
//! pre-selected.

use std::{ffi::OsString, io::IsTerminal, time::Duration};

use clap::{Arg, ArgAction, ArgMatches, Args, Command, ValueEnum};
use openclaw_provider_abi::{
    AuthMethod, CatalogRequest, CatalogSource, DiscoveryMode, SecretInputMode, Timeouts, Tristate,
};

use provider_host::{
    discovery::{executable_dir, find_candidates, search_roots},
    manifest::{AuthChoice, read_manifest},
    plugin::LoadedPlugin,
};

use super::{CliResult, Failure, open_host, output::print_json};
use crate::{
    config::Config,
    host::{Host, HostOptions},
    model_refs,
    onboarding::{self, KeyChoice, KeySource, OnboardError, Plan, Report},
    paths::StatePaths,
    provider_settings::ProviderSettings,
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
    /// Machine-readable summary.
    #[arg(long)]
    pub json: bool,
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

/// The auth choices the plugins on the search path declare, read from their manifests without
/// loading any library.
pub fn declared_auth_choices(argv: &[OsString]) -> Vec<AuthChoice> {
    let globals = super::Cli::command_for_globals()
        .ignore_errors(true)
        .try_get_matches_from(argv)
        .ok();
    let flag_dirs: Vec<std::path::PathBuf> = globals
        .as_ref()
        .and_then(|m| m.get_many::<std::path::PathBuf>("plugins_dir"))
        .map(|dirs| dirs.cloned().collect())
        .unwrap_or_default();
    let state_dir = globals
        .as_ref()
        .and_then(|m| m.get_one::<std::path::PathBuf>("state_dir").cloned());
    let paths = StatePaths::resolve(state_dir.as_deref());
    let config = Config::load(&paths.config_file).unwrap_or_default();
    let roots = search_roots(
        &flag_dirs,
        &config.plugin_load_paths(),
        &paths.extensions_dir(),
        executable_dir().as_deref(),
    );
    let (candidates, _) = find_candidates(&roots);
    let mut choices: Vec<AuthChoice> = Vec::new();
    for candidate in candidates {
        let Ok(manifest) = read_manifest(&candidate.dir) else {
            continue;
        };
        if manifest.native.is_none() {
            continue;
        }
        for choice in manifest.auth_choices {
            if choice.cli_flag.starts_with("--")
                && !choices
                    .iter()
                    .any(|known| known.cli_flag == choice.cli_flag)
            {
                choices.push(choice);
            }
        }
    }
    choices
}

/// Adds the declared key flags to the `onboard` subcommand.
pub fn with_key_flags(onboard: Command, choices: &[AuthChoice]) -> Command {
    let taken: Vec<String> = onboard
        .get_arguments()
        .filter_map(|arg| arg.get_long().map(str::to_owned))
        .collect();
    choices.iter().fold(onboard, |command, choice| {
        let long = choice.cli_flag.trim_start_matches('-').to_owned();
        if taken.contains(&long) || long.is_empty() {
            return command;
        }
        let value_name = choice
            .cli_option
            .split_once('<')
            .and_then(|(_, rest)| rest.strip_suffix('>'))
            .unwrap_or("KEY")
            .to_uppercase();
        let help = if choice.cli_description.is_empty() {
            choice.choice_label.clone()
        } else {
            choice.cli_description.clone()
        };
        command.arg(
            Arg::new(long.clone())
                .long(long)
                .value_name(value_name)
                .action(ArgAction::Set)
                .help(help),
        )
    })
}

/// The values given for declared key flags.
pub fn key_flag_values(matches: &ArgMatches, choices: &[AuthChoice]) -> Vec<(String, String)> {
    choices
        .iter()
        .filter_map(|choice| {
            let id = choice.cli_flag.trim_start_matches('-');
            matches
                .try_get_one::<String>(id)
                .ok()
                .flatten()
                .map(|value| (choice.cli_flag.clone(), value.clone()))
        })
        .collect()
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
    if args.json {
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
        (_, Some(variable)) => format!(
            "stored a reference to ${variable} in profile {}",
            report.profile
        ),
        _ => format!("stored {} in profile {}", report.key, report.profile),
    };
    println!(
        "{}: {stored} (key from {})",
        report.provider, report.key_source
    );
    if let Some(old) = &report.replaced_key {
        println!("  replaced the previously stored key ({old})");
    }
    if let Some(account) = &report.account {
        println!("  checked: {}", account.message);
    }
    println!("  default model: {}", report.default_model);
    for (title, message) in &report.notes {
        if !message.starts_with("Default model set to") {
            println!("  {title}: {message}");
        }
    }
    if !report.profile_changed && !report.config_changed {
        println!("  nothing changed: it was already set up this way");
    } else if report.config_changed {
        println!("  configuration updated: {}", report.config_path);
    }
}

/// Interactive: the auth-choice picker, grouped by provider.
fn pick_auth_choice(host: &Host) -> Result<(&LoadedPlugin, AuthMethod), Failure> {
    let mut options: Vec<(String, &LoadedPlugin, &AuthMethod)> = Vec::new();
    for plugin in host.registry().plugins() {
        for method in &plugin.auth_methods {
            let hint = if method.hint.is_empty() {
                String::new()
            } else {
                format!(" — {}", method.hint)
            };
            options.push((
                format!("{} › {}{hint}", method.group_label, method.label),
                plugin,
                method,
            ));
        }
    }
    if options.is_empty() {
        return Err(Failure::new(
            "no provider plugins are loaded; `host-stub plugins list` says why",
        ));
    }
    let labels: Vec<String> = options.iter().map(|(label, _, _)| label.clone()).collect();
    let chosen = inquire::Select::new("How do you want to authenticate?", labels)
        .prompt()
        .map_err(prompt_failure)?;
    let (_, plugin, method) = options
        .into_iter()
        .find(|(label, _, _)| *label == chosen)
        .ok_or_else(|| Failure::new("the chosen option vanished"))?;
    Ok((plugin, method.clone()))
}

fn prompt_failure(error: inquire::InquireError) -> Failure {
    match error {
        inquire::InquireError::OperationCanceled | inquire::InquireError::OperationInterrupted => {
            Failure {
                code: 130,
                message: "onboarding cancelled; nothing was changed".into(),
            }
        }
        other => Failure::new(format!("the prompt failed: {other}")),
    }
}

fn interactive_onboarding(
    host: &Host,
    plugin: &LoadedPlugin,
    method: &AuthMethod,
    secret_mode: SecretInputMode,
    flag_value: Option<&str>,
    args: &OnboardArgs,
) -> Result<Report, Failure> {
    let key = ask_for_key(method, flag_value)?;

    // Check the key; on a failure the user decides.
    let spinner = spinner(&format!(
        "Checking the key with {}…",
        plugin.info.display_name
    ));
    let checked = onboarding::validate(host, plugin, &key.secret);
    spinner.finish_and_clear();
    match &checked {
        Ok(info) => {
            eprintln!("{}", info.message);
            if info.can_call_provider == Tristate::NO && !confirm("Store this key anyway?", false)?
            {
                return Err(Failure::new("nothing was stored"));
            }
        }
        Err(err) => {
            eprintln!("The key could not be checked: {err}");
            if !confirm(
                "Store it without checking?",
                err.code != openclaw_provider_abi::ErrorCode::UNAUTHORIZED,
            )? {
                return Err(Failure::new("nothing was stored"));
            }
        }
    }

    let chosen_model = match &args.model {
        Some(model) => Some(model.clone()),
        None => Some(pick_model(host, plugin, &key)?),
    };
    let plan = Plan {
        key,
        secret_mode,
        chosen_model,
        validate: false,
    };
    let mut report = onboarding::apply(host, plugin, method, &plan).map_err(onboard_failure)?;
    if let Ok(info) = &checked {
        report.account = Some(onboarding::AccountView::from(info));
    }
    Ok(report)
}

/// The key: the flag, an environment token the user confirms, or a masked prompt.
fn ask_for_key(method: &AuthMethod, flag_value: Option<&str>) -> Result<KeyChoice, Failure> {
    if flag_value.is_some() {
        return onboarding::choose_key_from_flag(method, flag_value).map_err(onboard_failure);
    }
    for variable in method.env_vars.iter() {
        if let Ok(value) = std::env::var(variable.as_str())
            && let Some(secret) = openclaw_provider_abi::Secret::new(&value)
        {
            let question = format!("Use existing {variable} ({})?", secret.masked());
            if confirm(&question, true)? {
                return Ok(KeyChoice {
                    secret,
                    source: KeySource::Env {
                        variable: variable.to_string(),
                    },
                });
            }
            break;
        }
    }
    if !method.token_url.is_empty() {
        eprintln!(
            "Create a token at {} (permission: {}).",
            method.token_url, method.required_permission_label
        );
    }
    let entered = inquire::Password::new(&format!("{}:", method.prompt_message))
        .with_display_mode(inquire::PasswordDisplayMode::Masked)
        .without_confirmation()
        .with_validator(|input: &str| {
            Ok(match onboarding::normalize_key_input(input) {
                Ok(_) => inquire::validator::Validation::Valid,
                Err(why) => inquire::validator::Validation::Invalid(why.into()),
            })
        })
        .prompt()
        .map_err(prompt_failure)?;
    let key = onboarding::normalize_key_input(&entered).map_err(Failure::usage)?;
    if !method.secret_prefix.is_empty() && !key.starts_with(method.secret_prefix.as_str()) {
        eprintln!(
            "note: {} keys usually start with {}",
            method.group_label, method.secret_prefix
        );
    }
    Ok(KeyChoice {
        secret: openclaw_provider_abi::Secret::new(&key)
            .ok_or_else(|| Failure::usage("the key is empty"))?,
        source: KeySource::Prompt,
    })
}

fn confirm(question: &str, default: bool) -> Result<bool, Failure> {
    inquire::Confirm::new(question)
        .with_default(default)
        .prompt()
        .map_err(prompt_failure)
}

fn spinner(message: &str) -> indicatif::ProgressBar {
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    spinner.set_message(message.to_owned());
    spinner.enable_steady_tick(Duration::from_millis(80));
    spinner
}

/// The default-model picker: the live catalog (or the built-in one, with the reason), each
/// model also offered with the routing policies the plugin names (`:cheapest`, `:fastest` for
/// Hugging Face), the current default pre-selected.
fn pick_model(host: &Host, plugin: &LoadedPlugin, key: &KeyChoice) -> Result<String, Failure> {
    let settings = ProviderSettings::read(&host.config, plugin.id());
    let spinner = spinner("Loading the model list…");
    let catalog = plugin.list_models(&CatalogRequest {
        context: settings.call_context(
            Some(&key.secret),
            Timeouts {
                overall_ms: settings.discovery_timeout_ms,
                ..Timeouts::default()
            },
        ),
        mode: if settings.discovery_enabled {
            DiscoveryMode::ADVISORY
        } else {
            DiscoveryMode::STATIC
        },
        max_body_bytes: settings.max_body_bytes,
    });
    spinner.finish_and_clear();
    let catalog = catalog.map_err(|err| Failure::new(format!("the model list failed: {err}")))?;
    if catalog.source == CatalogSource::BUILT_IN {
        eprintln!(
            "Showing the built-in model list: {}",
            catalog.fallback_reason
        );
    }
    let provider = plugin.id();
    let mut options: Vec<(String, String)> = Vec::new();
    for model in catalog.models.iter() {
        let base = format!("{provider}/{}", model.id);
        options.push((format!("{} — {base}", model.name), base.clone()));
        for policy in &plugin.metadata.routing_policies {
            let suffix = &policy.suffix;
            options.push((
                format!("{} ({suffix}) — {base}:{suffix}", model.name),
                format!("{base}:{suffix}"),
            ));
        }
    }
    if options.is_empty() {
        return Ok(plugin.info.default_model.to_string());
    }
    let current = model_refs::expand_alias(
        &model_refs::aliases(&host.config),
        &model_refs::primary(&host.config).unwrap_or_else(|| plugin.info.default_model.to_string()),
    );
    let start = options.iter().position(|(_, r)| *r == current).unwrap_or(0);
    let labels: Vec<String> = options.iter().map(|(label, _)| label.clone()).collect();
    let chosen = inquire::Select::new(
        &format!(
            "Default {} model (type to filter)",
            plugin.info.display_name
        ),
        labels,
    )
    .with_starting_cursor(start)
    .with_page_size(12)
    .prompt()
    .map_err(prompt_failure)?;
    options
        .into_iter()
        .find(|(label, _)| *label == chosen)
        .map(|(_, reference)| reference)
        .ok_or_else(|| Failure::new("the chosen model vanished"))
}
