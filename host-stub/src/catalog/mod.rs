//! The host's model catalogs: one per provider, from the persisted `models.json` when a refresh
//! has written one, else the plugin's built-in list — merged with the models the user configured
//! and the edits they made, never "no models".
//!
//! A refresh asks the plugin in strict mode and maps the answer to an [`Outcome`]: `ready` (the
//! live list, merged and written atomically), `auth-rejected` or `unavailable` (nothing written;
//! the last good catalog stays), or `skipped` (discovery disabled, or no credential).

pub mod merge;
pub mod rows;
pub mod store;

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use openclaw_provider_abi::{
    CatalogRequest, CatalogSource, DiscoveryMode, ErrorCode, ModelInfo, ProviderError, Secret,
    Timeouts,
};
use serde::Serialize;

use self::{
    merge::{PreviousEdits, merge},
    rows::Row,
    store::{ProviderBlock, Refresh, models_path},
};
use provider_host::plugin::LoadedPlugin;

use provider_host::provider_settings::ProviderSettings;

use crate::host::Host;

/// Where a catalog being shown came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Origin {
    /// The persisted catalog a refresh wrote.
    Persisted {
        refreshed_at: Option<u64>,
        source: Option<String>,
    },
    /// The plugin's built-in list, and why.
    BuiltIn { reason: String },
}

/// One provider's catalog, ready to show or to resolve refs against.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderCatalog {
    pub provider: String,
    pub origin: Origin,
    pub models: Vec<Row>,
    /// Problems worth telling the user (a broken models.json, ignored config entries).
    pub warnings: Vec<String>,
}

/// The result of a refresh.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// The live list was merged and written.
    Ready { models: usize, millis: u64 },
    /// The credential was refused (401/403); the last good catalog stays.
    AuthRejected {
        code: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_status: Option<u16>,
        message: String,
    },
    /// Discovery failed otherwise; the last good catalog stays.
    Unavailable {
        code: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_status: Option<u16>,
        message: String,
    },
    /// Discovery did not run.
    Skipped { reason: String },
}

impl Outcome {
    fn from_error(error: &ProviderError) -> Self {
        let code = error.code.to_string();
        let http_status = (error.http_status != 0).then_some(error.http_status);
        let message = error.message.to_string();
        if matches!(error.code, ErrorCode::UNAUTHORIZED | ErrorCode::FORBIDDEN) {
            Self::AuthRejected {
                code,
                http_status,
                message,
            }
        } else {
            Self::Unavailable {
                code,
                http_status,
                message,
            }
        }
    }

    /// The one-line report for a provider.
    pub fn line(&self, provider: &str, catalog: &ProviderCatalog) -> String {
        let kept = || match &catalog.origin {
            Origin::Persisted { .. } => format!(
                "keeping the last good catalog ({} models)",
                catalog.models.len()
            ),
            Origin::BuiltIn { .. } => format!(
                "keeping the built-in catalog ({} models)",
                catalog.models.len()
            ),
        };
        match self {
            Self::Ready { models, millis } => {
                format!("{provider}: ready, {models} models (live, {millis} ms)")
            }
            Self::AuthRejected {
                message,
                http_status,
                ..
            } => format!(
                "{provider}: auth-rejected{}: {message}; {}",
                status_suffix(*http_status),
                kept()
            ),
            Self::Unavailable {
                code,
                http_status,
                message,
            } => format!(
                "{provider}: unavailable ({code}{}): {message}; {}",
                http_status
                    .map(|s| format!(", HTTP {s}"))
                    .unwrap_or_default(),
                kept()
            ),
            Self::Skipped { reason } => format!("{provider}: skipped: {reason}; {}", kept()),
        }
    }
}

fn status_suffix(status: Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

/// The catalog of `plugin` as it stands, without any network.
pub fn current(host: &Host, plugin: &LoadedPlugin) -> ProviderCatalog {
    let settings = host.config.provider_settings(plugin.id());
    let path = models_path(&host.paths.agent_dir());
    let mut warnings = settings.ignored_entries.clone();
    let persisted = if settings.discovery_enabled {
        match store::load(&path, plugin.id()) {
            Ok(block) => block,
            Err(err) => {
                warnings.push(format!(
                    "{err}; showing the built-in catalog (the next refresh moves the file aside)"
                ));
                None
            }
        }
    } else {
        None
    };
    match persisted {
        Some(block) => {
            // The configuration may have changed since the refresh: lay it over again.
            let configured = configured_rows(&settings);
            let fresh_models = known_models(&block.models);
            let merged = merge(
                block.models,
                &configured,
                &PreviousEdits::default(),
                &|id| defaults_row(plugin, id, &fresh_models),
            );
            ProviderCatalog {
                provider: plugin.id().to_owned(),
                origin: Origin::Persisted {
                    refreshed_at: block.refresh.at,
                    source: block.refresh.source,
                },
                models: merged.rows,
                warnings,
            }
        }
        None => {
            let reason = if !settings.discovery_enabled {
                format!(
                    "discovery is disabled (plugins.entries.{}.config.discovery.enabled is false)",
                    plugin.id()
                )
            } else {
                "not refreshed yet: `models list --refresh` or `gateway run` fetches the live list"
                    .to_owned()
            };
            built_in(host, plugin, &settings, reason, warnings)
        }
    }
}

fn built_in(
    host: &Host,
    plugin: &LoadedPlugin,
    settings: &ProviderSettings,
    reason: String,
    mut warnings: Vec<String>,
) -> ProviderCatalog {
    let request = CatalogRequest {
        context: settings.call_context(None, Timeouts::default()),
        mode: DiscoveryMode::STATIC,
        max_body_bytes: 0,
    };
    let models = match plugin.list_models(&request) {
        Ok(catalog) => catalog.models.into_vec(),
        Err(err) => {
            warnings.push(format!(
                "{}: its built-in catalog failed: {err}",
                plugin.id()
            ));
            Vec::new()
        }
    };
    // Edits the user made to a persisted catalog still count when showing the built-in one.
    let previous =
        store::load_edits(&models_path(&host.paths.agent_dir()), plugin.id()).unwrap_or_default();
    let fresh = models
        .iter()
        .map(|m| Row::from_model(m, "built-in"))
        .collect();
    let merged = merge(fresh, &configured_rows(settings), &previous, &|id| {
        defaults_row(plugin, id, &models)
    });
    ProviderCatalog {
        provider: plugin.id().to_owned(),
        origin: Origin::BuiltIn { reason },
        models: merged.rows,
        warnings,
    }
}

/// What a refresh did: the outcome and the catalog to use now.
#[derive(Debug)]
pub struct Refreshed {
    pub outcome: Outcome,
    pub catalog: ProviderCatalog,
}

/// Refreshes `plugin`'s catalog from the live service (strict mode) with `secret`.
pub fn refresh(host: &Host, plugin: &LoadedPlugin, secret: Option<&Secret>) -> Refreshed {
    let settings = host.config.provider_settings(plugin.id());
    let skipped = |reason: String| Refreshed {
        outcome: Outcome::Skipped { reason },
        catalog: current(host, plugin),
    };
    if !settings.discovery_enabled {
        return skipped(format!(
            "discovery is disabled (plugins.entries.{}.config.discovery.enabled is false)",
            plugin.id()
        ));
    }
    let Some(secret) = secret else {
        return skipped("no credential (discovery needs one; see `auth status`)".into());
    };
    let started = Instant::now();
    let request = CatalogRequest {
        context: settings.call_context(
            Some(secret),
            Timeouts {
                overall_ms: settings.discovery_timeout_ms,
                ..Timeouts::default()
            },
        ),
        mode: DiscoveryMode::STRICT,
        max_body_bytes: settings.max_body_bytes,
    };
    let catalog = match plugin.list_models(&request) {
        Ok(catalog) if catalog.source == CatalogSource::LIVE => catalog,
        Ok(catalog) => return skipped(catalog.fallback_reason.to_string()),
        Err(error) => {
            tracing::debug!("{}: discovery failed: {error}", plugin.id());
            return Refreshed {
                outcome: Outcome::from_error(&error),
                catalog: current(host, plugin),
            };
        }
    };
    let fetched = started.elapsed();
    let path = models_path(&host.paths.agent_dir());
    let mut warnings = settings.ignored_entries.clone();
    let configured = configured_rows(&settings);
    // Rows for configured ids the catalog lacks are resolved while its models are at hand;
    // then each model is converted and dropped in turn (large catalogs hold many megabytes).
    let missing: HashMap<String, Row> = {
        let listed: HashSet<&str> = catalog.models.iter().map(|m| m.id.as_str()).collect();
        configured
            .iter()
            .filter(|entry| !listed.contains(entry.id.as_str()))
            .map(|entry| {
                (
                    entry.id.clone(),
                    defaults_row(plugin, &entry.id, &catalog.models),
                )
            })
            .collect()
    };
    let fresh: Vec<Row> = catalog
        .models
        .into_vec()
        .into_iter()
        .map(|model| Row::from_model(&model, "live"))
        .collect();
    let count = fresh.len();
    let base_url = settings
        .base_url
        .clone()
        .unwrap_or_else(|| plugin.info.default_base_url.to_string());
    let updated = store::update(
        &path,
        plugin.id(),
        |previous, _| {
            let merged = merge(fresh, &configured, &previous, &|id| {
                missing.get(id).cloned().unwrap_or_default()
            });
            ProviderBlock {
                base_url: Some(base_url),
                api: Some(plugin.info.api.to_string()),
                models: merged.rows,
                refresh: Refresh {
                    at: Some(store::now()),
                    source: Some("live".into()),
                },
                rows_digest: None,
            }
        },
        &mut warnings,
    );
    match updated {
        Ok((block, saved)) => {
            if let Some(aside) = saved.moved_aside {
                warnings.push(format!(
                    "{} was not valid JSON; it was moved to {} and replaced",
                    path.display(),
                    aside.display()
                ));
            }
            Refreshed {
                outcome: Outcome::Ready {
                    models: count,
                    millis: duration_ms(fetched),
                },
                catalog: ProviderCatalog {
                    provider: plugin.id().to_owned(),
                    origin: Origin::Persisted {
                        refreshed_at: block.refresh.at,
                        source: block.refresh.source,
                    },
                    models: block.models,
                    warnings,
                },
            }
        }
        Err(err) => {
            let mut catalog = current(host, plugin);
            catalog.warnings.extend(warnings);
            Refreshed {
                outcome: Outcome::Unavailable {
                    code: ErrorCode::INTERNAL.to_string(),
                    http_status: None,
                    message: err.to_string(),
                },
                catalog,
            }
        }
    }
}

fn duration_ms(duration: Duration) -> u64 {
    duration.as_millis().try_into().unwrap_or(u64::MAX)
}

/// A default row for an id the catalog lacks, from the plugin's own resolution of it.
fn defaults_row(plugin: &LoadedPlugin, id: &str, known: &[ModelInfo]) -> Row {
    match plugin.resolve_ref(id, known) {
        Ok(resolved) => Row::from_model(&resolved.model, "configured"),
        Err(err) => {
            tracing::debug!(
                "{}: cannot resolve configured model {id}: {err}",
                plugin.id()
            );
            Row::from_model(&bare_model(id), "configured")
        }
    }
}

/// The configuration's model entries as rows.
fn configured_rows(settings: &ProviderSettings) -> Vec<Row> {
    settings
        .configured_models
        .iter()
        .map(Row::from_object)
        .collect()
}

/// Rows as ABI models, for `resolve_ref`.
pub fn known_models(rows: &[Row]) -> Vec<ModelInfo> {
    rows.iter()
        .filter(|row| !row.id.is_empty())
        .map(|row| row.to_model(&bare_model(&row.id)))
        .collect()
}

/// A model with nothing known but its id.
fn bare_model(id: &str) -> ModelInfo {
    ModelInfo {
        id: id.into(),
        name: id.into(),
        reasoning: false,
        input: openclaw_provider_abi::Modalities::TEXT,
        context_window: 0,
        max_tokens: 0,
        cost: Default::default(),
        supports_tools: Default::default(),
        supports_structured_output: Default::default(),
        providers: Default::default(),
        facts_note: Default::default(),
        extra_json: Default::default(),
    }
}
