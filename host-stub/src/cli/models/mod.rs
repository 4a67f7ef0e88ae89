//! `host-stub models …`: the catalog (`list`, in [`list`]) and the user's model choices — the
//! primary (`set`), the fallbacks and the aliases — kept in the configuration.

mod list;
mod tasks;

use clap::Subcommand;
use provider_host::plugin::LoadedPlugin;

use super::{
    CliResult, Failure, open_host,
    output::{print_json, print_table, row, table},
};
use crate::{
    catalog,
    config::Config,
    host::{Host, HostOptions},
    model_refs::{self, aliases},
    paths::StatePaths,
};

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Show the model catalog: the persisted one, else the built-in one; --refresh fetches the
    /// live list first.
    List {
        /// Only this provider.
        #[arg(long, value_name = "ID")]
        provider: Option<String>,
        /// Fetch the live catalog now (needs a credential), merge it and save it.
        #[arg(long)]
        refresh: bool,
        /// Which models: chat (the persisted catalog) or embedding (listed live, not saved).
        #[arg(long, value_enum, default_value_t = tasks::Task::Chat)]
        task: tasks::Task,
    },
    /// Set the primary (default) model: a ref (`huggingface/deepseek-ai/DeepSeek-R1:cheapest`)
    /// or an alias.
    Set {
        #[arg(value_name = "REF")]
        reference: String,
    },
    /// The models tried, in order, when the primary one fails.
    #[command(subcommand)]
    Fallbacks(FallbacksCommand),
    /// Short names for model refs.
    #[command(subcommand)]
    Aliases(AliasesCommand),
}

#[derive(Debug, Subcommand)]
pub enum FallbacksCommand {
    /// Show the fallbacks in order.
    List,
    /// Append a model (a ref or an alias) to the fallbacks.
    Add {
        #[arg(value_name = "REF")]
        reference: String,
    },
    /// Remove a model from the fallbacks.
    Remove {
        #[arg(value_name = "REF")]
        reference: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AliasesCommand {
    /// Show the aliases.
    List,
    /// Give a model ref a short name (taken from any model that had it).
    Add {
        alias: String,
        #[arg(value_name = "REF")]
        reference: String,
    },
    /// Remove an alias.
    Remove { alias: String },
}

pub fn run(command: ModelsCommand, options: &HostOptions) -> CliResult {
    match command {
        ModelsCommand::List {
            provider,
            task: tasks::Task::Chat,
            refresh,
        } => list::list(options, provider.as_deref(), refresh, options.json),
        ModelsCommand::List { refresh: true, .. } => Err(Failure::usage(
            "--refresh saves the chat catalog; other tasks are listed live every time",
        )),
        ModelsCommand::List { provider, task, .. } => {
            tasks::list(options, provider.as_deref(), task, options.json)
        }
        ModelsCommand::Set { reference } => set_primary(options, &reference),
        ModelsCommand::Fallbacks(command) => fallbacks(options, command),
        ModelsCommand::Aliases(command) => alias_command(options, command),
    }
}

/// A ref the user typed, checked: aliases expanded, the form checked, and — when its provider
/// is loaded — resolved by the plugin (canonical spelling, warnings for unknown models).
fn checked_model(host: &Host, input: &str) -> Result<String, Failure> {
    let expanded = model_refs::expand_alias(&aliases(&host.config), input);
    let reference =
        model_refs::checked_ref(&expanded).map_err(|err| Failure::usage(err.to_string()))?;
    let provider = model_refs::provider_of(&reference).unwrap_or_default();
    let Some(plugin) = host.registry().get(&provider) else {
        tell!("warning: no provider plugin '{provider}' is loaded; {reference} is saved unchecked");
        return Ok(reference);
    };
    let known = catalog::known_models(&catalog::current(host, plugin).models);
    let resolved = plugin.resolve_ref(&reference, &known)?;
    for warning in resolved.warnings.iter() {
        tell!("warning: {warning}");
    }
    Ok(resolved.model_ref.to_string())
}

fn set_primary(options: &HostOptions, input: &str) -> CliResult {
    let host = open_host(options)?;
    let reference = checked_model(&host, input)?;
    let (previous, changed) = Config::update(&host.config.path, |root| {
        model_refs::set_primary(root, &reference)
    })?;
    if options.json {
        return print_json(&serde_json::json!({
            "ok": true, "primary": reference, "previous": previous, "changed": changed,
        }));
    }
    match previous {
        _ if !changed => say!("the primary model already is {reference}"),
        Some(previous) => say!("primary model: {reference} (was {previous})"),
        None => say!("primary model: {reference}"),
    }
    Ok(())
}

fn fallbacks(options: &HostOptions, command: FallbacksCommand) -> CliResult {
    let paths = StatePaths::resolve(options.state_dir.as_deref());
    match command {
        FallbacksCommand::List => {
            let config = Config::load(&paths.config_file)?;
            let fallbacks = model_refs::fallbacks(&config);
            if options.json {
                return print_json(&serde_json::json!({ "fallbacks": fallbacks }));
            }
            if fallbacks.is_empty() {
                say!("no fallbacks: only the primary model is tried");
            }
            for (position, reference) in fallbacks.iter().enumerate() {
                say!("{}. {reference}", position + 1);
            }
            Ok(())
        }
        FallbacksCommand::Add { reference } => {
            let host = open_host(options)?;
            let reference = checked_model(&host, &reference)?;
            let (added, _) = Config::update(&host.config.path, |root| {
                model_refs::add_fallback(root, &reference)
            })?;
            if options.json {
                return print_json(&serde_json::json!({
                    "ok": true, "fallback": reference, "changed": added,
                    "fallbacks": model_refs::fallbacks(&Config::load(&host.config.path)?),
                }));
            }
            if added {
                say!("fallback added: {reference}");
            } else {
                say!("{reference} already is a fallback");
            }
            Ok(())
        }
        FallbacksCommand::Remove { reference } => {
            let config = Config::load(&paths.config_file)?;
            let reference = model_refs::expand_alias(&aliases(&config), &reference);
            let (removed, _) = Config::update(&paths.config_file, |root| {
                model_refs::remove_fallback(root, &reference)
            })?;
            if !removed {
                return Err(Failure::new(format!(
                    "{reference} is not a fallback; `host-stub models fallbacks list` shows them"
                ))
                .kind("not_found"));
            }
            if options.json {
                return print_json(&serde_json::json!({
                    "ok": true, "fallback": reference, "changed": true,
                    "fallbacks": model_refs::fallbacks(&Config::load(&paths.config_file)?),
                }));
            }
            say!("fallback removed: {reference}");
            Ok(())
        }
    }
}

fn alias_command(options: &HostOptions, command: AliasesCommand) -> CliResult {
    let paths = StatePaths::resolve(options.state_dir.as_deref());
    match command {
        AliasesCommand::List => {
            let config = Config::load(&paths.config_file)?;
            let pairs = aliases(&config);
            if options.json {
                let map: serde_json::Map<String, serde_json::Value> = pairs
                    .into_iter()
                    .map(|(alias, reference)| (alias, reference.into()))
                    .collect();
                return print_json(&serde_json::json!({ "aliases": map }));
            }
            if pairs.is_empty() {
                say!("no aliases");
            }
            let mut rows = table(&["alias", "ref"]);
            for (alias, reference) in pairs {
                rows.add_row(row([alias, reference]));
            }
            print_table(&rows);
            Ok(())
        }
        AliasesCommand::Add { alias, reference } => {
            let alias =
                model_refs::checked_alias(&alias).map_err(|err| Failure::usage(err.to_string()))?;
            let host = open_host(options)?;
            let reference = checked_model(&host, &reference)?;
            let (taken_from, changed) = Config::update(&host.config.path, |root| {
                model_refs::set_alias(root, &alias, &reference)
            })?;
            if options.json {
                return print_json(&serde_json::json!({
                    "ok": true, "alias": alias, "ref": reference, "changed": changed,
                    "takenFrom": taken_from,
                }));
            }
            if !changed {
                say!("{alias} already names {reference}");
                return Ok(());
            }
            say!("alias {alias} → {reference}");
            for previous in taken_from {
                say!("  (it named {previous} before)");
            }
            Ok(())
        }
        AliasesCommand::Remove { alias } => {
            let (had, _) = Config::update(&paths.config_file, |root| {
                model_refs::remove_alias(root, alias.trim())
            })?;
            if had.is_empty() {
                return Err(Failure::new(format!(
                    "no alias {alias:?}; `host-stub models aliases list` shows them"
                ))
                .kind("not_found"));
            }
            if options.json {
                return print_json(&serde_json::json!({
                    "ok": true, "alias": alias.trim(), "removedFrom": had, "changed": true,
                }));
            }
            say!(
                "alias {} removed (it named {})",
                alias.trim(),
                had.join(", ")
            );
            Ok(())
        }
    }
}

/// The plugins a command addresses: one by id (an error if unknown), or all.
pub(crate) fn selected<'a>(
    host: &'a Host,
    provider: Option<&str>,
) -> Result<Vec<&'a LoadedPlugin>, Failure> {
    match provider {
        Some(id) => host
            .registry()
            .get(&id.to_ascii_lowercase())
            .map(|plugin| vec![plugin])
            .ok_or_else(|| {
                Failure::new(format!(
                    "no provider '{id}' is loaded; `host-stub plugins list` shows what is"
                ))
            }),
        None => Ok(host.registry().plugins().iter().collect()),
    }
}
