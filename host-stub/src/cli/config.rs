//! `host-stub config get PATH [--json]` and `host-stub config set PATH VALUE`.
//!
//! Paths are dotted, with bracketed keys for keys holding dots
//! (`agents.defaults.models["huggingface/zai-org/GLM-4.7"].alias`). A value is read as JSON5
//! (`true`, `3`, `["a"]`, `{x: 1}`), else taken as a string.

use clap::Subcommand;
use serde_json::Value;

use super::{CliResult, Failure, output::print_json};
use crate::{
    config::{Config, lookup_keys, set_keys, split_path},
    host::HostOptions,
    paths::StatePaths,
};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the value at a path (strings bare, other values as JSON).
    Get { path: String },
    /// Set the value at a path, creating objects on the way.
    Set { path: String, value: String },
}

pub fn run(command: ConfigCommand, options: &HostOptions) -> CliResult {
    let paths = StatePaths::resolve(options.state_dir.as_deref());
    match command {
        ConfigCommand::Get { path } => {
            let keys = split_path(&path)?;
            let config = Config::load(&paths.config_file)?;
            let value = lookup_keys(&config.root, &keys).ok_or_else(|| {
                Failure::new(format!("{path} is not set in {}", config.path.display()))
            })?;
            match value {
                Value::String(text) if !options.json => say!("{text}"),
                other => print_json(other)?,
            }
            Ok(())
        }
        ConfigCommand::Set { path, value } => {
            let keys = split_path(&path)?;
            let value: Value = json5::from_str(&value).unwrap_or(Value::String(value));
            let ((), changed) =
                Config::update(&paths.config_file, |root| set_keys(root, &keys, value))?;
            let warnings = checked_plugin_settings(options, &paths, &keys);
            for warning in &warnings {
                tell!("warning: {warning}");
            }
            if options.json {
                return print_json(&serde_json::json!({
                    "ok": true, "path": path, "changed": changed,
                    "file": paths.config_file.display().to_string(), "warnings": warnings,
                }));
            }
            if changed {
                say!("set {path} in {}", paths.config_file.display());
            } else {
                say!("{path} already had that value");
            }
            Ok(())
        }
    }
}

/// A change under `plugins.entries.<id>.config` is checked against that plugin's settings
/// schema (from its manifest, without loading it): the warnings for what it would ignore.
fn checked_plugin_settings(
    options: &HostOptions,
    paths: &StatePaths,
    keys: &[String],
) -> Vec<String> {
    let [plugins, entries, id, config, ..] = keys else {
        return Vec::new();
    };
    if plugins != "plugins" || entries != "entries" || config != "config" {
        return Vec::new();
    }
    let Ok(current) = Config::load(&paths.config_file) else {
        return Vec::new();
    };
    crate::host::native_manifests(&options.plugin_dirs, paths, &current)
        .iter()
        .find(|manifest| manifest.id == *id)
        .map(|manifest| crate::settings_check::check(&current, manifest))
        .unwrap_or_default()
}
