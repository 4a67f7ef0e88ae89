//! The key flags of `host-stub onboard` (`--huggingface-api-key`, …), which host-stub does not
//! know: the plugins on the search path declare them in their manifests
//! (`providerAuthChoices[].cliFlag`), read before the command line is parsed, without loading
//! any library.

use std::ffi::OsString;

use clap::{Arg, ArgAction, ArgMatches, Command};
use provider_host::manifest::AuthChoice;

use crate::{config::Config, paths::StatePaths};

/// The auth choices the plugins on the search path declare, read from their manifests without
/// loading any library.
pub fn declared_auth_choices(argv: &[OsString]) -> Vec<AuthChoice> {
    let globals = super::super::Cli::command_for_globals()
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
    let mut choices: Vec<AuthChoice> = Vec::new();
    for manifest in crate::host::native_manifests(&flag_dirs, &paths, &config) {
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
