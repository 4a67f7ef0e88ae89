//! `host-stub models list`: the catalog of each provider — persisted, else built in; refreshed
//! first with `--refresh` — as a table for people or JSON for scripts.

use serde::Serialize;

use super::{
    super::{
        CliResult, Failure, open_host,
        output::{self, print_json, print_table, table},
    },
    selected,
};
use crate::{
    catalog::{self, Origin, Outcome, ProviderCatalog, rows::Row},
    host::HostOptions,
    model_refs::{alias_of, aliases},
};

pub(super) fn list(
    options: &HostOptions,
    provider: Option<&str>,
    refresh: bool,
    json: bool,
) -> CliResult {
    let host = open_host(options)?;
    let plugins = selected(&host, provider)?;
    if plugins.is_empty() {
        return Err(Failure::new(
            "no provider plugins are loaded; `host-stub plugins list` says why",
        ));
    }
    let mut shown: Vec<(ProviderCatalog, Option<Outcome>)> = Vec::new();
    for plugin in plugins {
        if refresh {
            let credential = host.credential(plugin, None)?;
            let waiting = output::spinner(&format!("refreshing the {} catalog…", plugin.id()));
            let refreshed = catalog::refresh(&host, plugin, credential.as_ref().map(|c| &c.secret));
            waiting.finish_and_clear();
            if !json {
                tell!(
                    "{}",
                    refreshed.outcome.line(plugin.id(), &refreshed.catalog)
                );
            }
            shown.push((refreshed.catalog, Some(refreshed.outcome)));
        } else {
            shown.push((catalog::current(&host, plugin), None));
        }
    }
    let aliases = aliases(&host.config);
    if json {
        let providers: Vec<ProviderView> = shown
            .iter()
            .map(|(catalog, outcome)| ProviderView {
                provider: &catalog.provider,
                origin: &catalog.origin,
                outcome: outcome.as_ref(),
                warnings: &catalog.warnings,
                models: catalog
                    .models
                    .iter()
                    .map(|row| {
                        let reference = model_ref(&catalog.provider, row);
                        ModelView {
                            display_name: alias_of(&aliases, &reference),
                            reference,
                            row,
                        }
                    })
                    .collect(),
            })
            .collect();
        print_json(&Listing { providers })?;
        // The process ends here: freeing thousands of rows one by one would only delay it.
        std::mem::forget(shown);
        return Ok(());
    }
    let mut rows = table(&[
        "ref",
        "name",
        "context",
        "cost in/out",
        "tools",
        "reasoning",
        "input",
    ]);
    for (catalog, _) in &shown {
        for warning in &catalog.warnings {
            tell!("warning: {warning}");
        }
        say!("{}", describe(catalog));
        for row in &catalog.models {
            let reference = model_ref(&catalog.provider, row);
            let filled = &row.filled;
            let name = alias_of(&aliases, &reference)
                .or_else(|| row.extra_text("alias"))
                .or(filled.name.as_deref())
                .unwrap_or_default()
                .to_owned();
            rows.add_row(output::row([
                reference,
                name,
                filled
                    .context_window
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "?".into()),
                filled
                    .cost
                    .map(|c| format!("${}/${}", c.input, c.output))
                    .unwrap_or_else(|| "?".into()),
                yes_no(filled.supports_tools).into(),
                yes_no(filled.reasoning).into(),
                filled
                    .input
                    .as_ref()
                    .map(|items| items.join("+"))
                    .unwrap_or_else(|| "text".into()),
            ]));
        }
    }
    print_table(&rows);
    std::mem::forget(shown); // as above: the process ends here
    Ok(())
}

/// One line saying where a catalog came from.
fn describe(catalog: &ProviderCatalog) -> String {
    let count = catalog.models.len();
    match &catalog.origin {
        Origin::Persisted {
            refreshed_at,
            source,
        } => format!(
            "{}: {count} models ({} catalog, refreshed {})",
            catalog.provider,
            source.as_deref().unwrap_or("persisted"),
            refreshed_at
                .map(|at| format!("{} ago", ago(at)))
                .unwrap_or_else(|| "at an unknown time".into())
        ),
        Origin::BuiltIn { reason } => format!(
            "{}: {count} models (built-in catalog: {reason})",
            catalog.provider
        ),
    }
}

fn ago(at: u64) -> String {
    let seconds = catalog::store::now().saturating_sub(at);
    match seconds {
        0..=119 => format!("{seconds} s"),
        120..=7199 => format!("{} min", seconds / 60),
        7200..=172_799 => format!("{} h", seconds / 3600),
        _ => format!("{} days", seconds / 86_400),
    }
}

fn model_ref(provider: &str, row: &Row) -> String {
    format!("{provider}/{}", row.id)
}

fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
}

#[derive(Serialize)]
struct Listing<'a> {
    providers: Vec<ProviderView<'a>>,
}

#[derive(Serialize)]
struct ProviderView<'a> {
    provider: &'a str,
    origin: &'a Origin,
    outcome: Option<&'a Outcome>,
    warnings: &'a [String],
    models: Vec<ModelView<'a>>,
}

/// A row as `models list --json` shows it: with its full ref and, when configured, the alias
/// that names it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelView<'a> {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    #[serde(flatten)]
    row: &'a Row,
}
