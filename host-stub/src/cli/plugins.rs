//! `host-stub plugins list | inspect | install`.

use std::path::PathBuf;

use clap::Subcommand;
use provider_host::plugin::LoadedPlugin;
use serde::Serialize;

use super::{
    CliResult, Failure, open_host,
    output::{print_json, print_table, row, table},
};
use crate::{host::HostOptions, install::install_plugin};

#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// List the plugins found on the search path, loaded or refused.
    List,
    /// Show everything a plugin says about itself.
    Inspect {
        /// The plugin (provider) id.
        id: String,
    },
    /// Check a built plugin and copy it into <state dir>/extensions/<id>/.
    Install {
        /// The plugin directory (or its openclaw.plugin.json).
        path: PathBuf,
        /// Replace an installed plugin with the same id.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(command: PluginsCommand, options: &HostOptions) -> CliResult {
    match command {
        PluginsCommand::List => list(options, options.json),
        PluginsCommand::Inspect { id } => inspect(options, &id, options.json),
        PluginsCommand::Install { path, force } => install(options, &path, force, options.json),
    }
}

/// A loaded plugin as `list --json` and `inspect --json` show it.
#[derive(Serialize)]
struct PluginView<'a> {
    id: &'a str,
    name: &'a str,
    version: &'a str,
    interface: &'a str,
    description: &'a str,
    /// What it serves: `chat`, `embeddings`, … (chat alone for a plugin built before 1.2).
    serves: Vec<&'static str>,
    capabilities: Vec<&'static str>,
    api: &'a str,
    default_base_url: &'a str,
    default_model: &'a str,
    origin: provider_host::discovery::Origin,
    dir: &'a std::path::Path,
    library: &'a std::path::Path,
}

impl<'a> From<&'a LoadedPlugin> for PluginView<'a> {
    fn from(plugin: &'a LoadedPlugin) -> Self {
        let info = &plugin.info;
        Self {
            id: info.id.as_str(),
            name: info.display_name.as_str(),
            version: info.plugin_version.as_str(),
            interface: info.interface_version.as_str(),
            description: info.description.as_str(),
            serves: plugin.serving().names(),
            capabilities: info.capabilities.names(),
            api: info.api.as_str(),
            default_base_url: info.default_base_url.as_str(),
            default_model: info.default_model.as_str(),
            origin: plugin.origin,
            dir: &plugin.dir,
            library: &plugin.library,
        }
    }
}

fn list(options: &HostOptions, json: bool) -> CliResult {
    let host = open_host(options)?;
    let plugins = host.registry().plugins();
    if json {
        return print_json(&serde_json::json!({
            "plugins": plugins.iter().map(PluginView::from).collect::<Vec<_>>(),
            "refused": host.plugins.refusals,
            "warnings": host.plugins.warnings,
        }));
    }
    if plugins.is_empty() {
        say!(
            "No provider plugins loaded. Searched --plugins-dir, plugins.load.paths, {} and the \
             executable's directory; install one with `host-stub plugins install <dir>`.",
            host.paths.extensions_dir().display()
        );
        // A plain `cargo build` leaves the plugin library beside the host, but no manifest.
        if let Some(dir) = provider_host::discovery::executable_dir() {
            for library in provider_host::loader::plugin_libraries_without_manifest(&dir) {
                say!(
                    "{} is a provider plugin with no manifest beside it; write one with `cargo \
                     xtask manifest {}` (a `cargo run` of host-stub does it on its own).",
                    library.display(),
                    dir.display()
                );
            }
        }
        return Ok(());
    }
    let mut rows = table(&[
        "id",
        "name",
        "version",
        "interface",
        "serves",
        "origin",
        "path",
    ]);
    for plugin in plugins {
        rows.add_row(row([
            plugin.id().to_owned(),
            plugin.info.display_name.to_string(),
            plugin.info.plugin_version.to_string(),
            plugin.info.interface_version.to_string(),
            plugin.serving().names().join(", "),
            plugin.origin.label().to_owned(),
            plugin.dir.display().to_string(),
        ]));
    }
    print_table(&rows);
    Ok(())
}

#[derive(Serialize)]
struct AuthMethodView<'a> {
    provider: &'a str,
    method: &'a str,
    kind: String,
    choice_id: &'a str,
    label: &'a str,
    hint: &'a str,
    cli_flag: &'a str,
    option_key: &'a str,
    env_vars: Vec<&'a str>,
    credential_files: Vec<&'a str>,
    token_url: &'a str,
    required_permission: &'a str,
    required_permission_label: &'a str,
}

fn inspect(options: &HostOptions, id: &str, json: bool) -> CliResult {
    let host = open_host(options)?;
    let Some(plugin) = host.registry().get(id) else {
        if host
            .plugins
            .refusals
            .iter()
            .any(|r| r.id.as_deref() == Some(id))
        {
            return Err(Failure::new(format!(
                "plugin '{id}' was refused (see above)"
            )));
        }
        return Err(Failure::new(format!(
            "no plugin with id '{id}'; `host-stub plugins list` shows what is installed"
        )));
    };
    let method_views: Vec<AuthMethodView> = plugin
        .auth_methods
        .iter()
        .map(|m| AuthMethodView {
            provider: m.provider_id.as_str(),
            method: m.method_id.as_str(),
            kind: m.kind.to_string(),
            choice_id: m.choice_id.as_str(),
            label: m.label.as_str(),
            hint: m.hint.as_str(),
            cli_flag: m.cli_flag.as_str(),
            option_key: m.option_key.as_str(),
            env_vars: m.env_vars.iter().map(|v| v.as_str()).collect(),
            credential_files: m.credential_files.iter().map(|v| v.as_str()).collect(),
            token_url: m.token_url.as_str(),
            required_permission: m.required_permission.as_str(),
            required_permission_label: m.required_permission_label.as_str(),
        })
        .collect();
    if json {
        return print_json(&serde_json::json!({
            "plugin": PluginView::from(plugin),
            "manifest": plugin.manifest.path,
            "auth_methods": method_views,
        }));
    }
    let view = PluginView::from(plugin);
    let mut rows = table(&[]);
    for (field, value) in [
        ("id", view.id.to_owned()),
        ("name", view.name.to_owned()),
        ("description", view.description.to_owned()),
        ("version", view.version.to_owned()),
        ("interface", view.interface.to_owned()),
        ("serves", view.serves.join(", ")),
        ("capabilities", view.capabilities.join(", ")),
        ("api", view.api.to_owned()),
        ("base URL", view.default_base_url.to_owned()),
        ("default model", view.default_model.to_owned()),
        ("origin", plugin.origin.label().to_owned()),
        ("manifest", plugin.manifest.path.display().to_string()),
        ("library", plugin.library.display().to_string()),
    ] {
        rows.add_row(row([format!("{field}:"), value]));
    }
    print_table(&rows);
    for method in &method_views {
        say!();
        say!("auth method {} ({}):", method.choice_id, method.kind);
        let mut rows = table(&[]);
        for (field, value) in [
            ("label", method.label.to_owned()),
            ("hint", method.hint.to_owned()),
            ("flag", method.cli_flag.to_owned()),
            ("option key", method.option_key.to_owned()),
            ("env vars", method.env_vars.join(" > ")),
            ("token files", method.credential_files.join(" > ")),
            ("token URL", method.token_url.to_owned()),
            (
                "permission",
                format!(
                    "{} ({})",
                    method.required_permission_label, method.required_permission
                ),
            ),
        ] {
            rows.add_row(row([format!("  {field}:"), value]));
        }
        print_table(&rows);
    }
    Ok(())
}

fn install(options: &HostOptions, path: &std::path::Path, force: bool, json: bool) -> CliResult {
    let paths = crate::paths::StatePaths::resolve(options.state_dir.as_deref());
    let installed = install_plugin(
        path,
        &paths.extensions_dir(),
        force,
        &crate::host::identity(),
    )?;
    if json {
        return print_json(&installed);
    }
    say!(
        "{} {} {} into {}",
        if installed.replaced {
            "replaced"
        } else {
            "installed"
        },
        installed.id,
        installed.version,
        installed.path.display()
    );
    // OpenClaw prefers its bundled plugin of the same id over a folder it did not install.
    say!(
        "for real OpenClaw to use it instead of a bundled plugin of the same id, install it \
         with OpenClaw's own command: openclaw plugins install --force --accept-capabilities {}",
        installed.path.display()
    );
    Ok(())
}
