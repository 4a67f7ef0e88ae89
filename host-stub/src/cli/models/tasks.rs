//! `host-stub models list --task embedding`: the models serving a capability beyond chat, as
//! each plugin that serves it lists them — live when a credential is at hand (else its built-in
//! list, with the reason) — each with the upstreams that serve it. Not persisted: the catalog
//! store and `models.json` are chat's.

use openclaw_provider_abi::{
    Capabilities, CatalogRequest, CatalogSource, DiscoveryMode, NEVER_CANCELLED, Timeouts,
};
use serde::Serialize;

use super::{
    super::{
        CliResult, Failure, open_host,
        output::{self, print_json, print_table, table},
    },
    selected,
};
use crate::host::HostOptions;

/// A capability whose models `models list --task` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Task {
    /// Chat models (the persisted catalog).
    Chat,
    /// Embedding models.
    Embedding,
    /// Image generation models.
    TextToImage,
    /// Speech recognition (transcription) models.
    SpeechRecognition,
    /// Speech synthesis models.
    TextToSpeech,
}

impl Task {
    fn capability(self) -> Capabilities {
        match self {
            Self::Chat => Capabilities::CHAT,
            Self::Embedding => Capabilities::EMBEDDINGS,
            Self::TextToImage => Capabilities::IMAGE_GENERATION,
            Self::SpeechRecognition => Capabilities::SPEECH_RECOGNITION,
            Self::TextToSpeech => Capabilities::SPEECH_SYNTHESIS,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProviderView {
    provider: String,
    source: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    fallback_reason: String,
    models: Vec<ModelView>,
}

#[derive(Serialize)]
struct ModelView {
    #[serde(rename = "ref")]
    reference: String,
    name: String,
    upstreams: Vec<String>,
}

pub(super) fn list(
    options: &HostOptions,
    provider: Option<&str>,
    task: Task,
    json: bool,
) -> CliResult {
    let host = open_host(options)?;
    let capability = task.capability();
    let plugins: Vec<_> = selected(&host, provider)?
        .into_iter()
        .filter(|plugin| plugin.serves(capability))
        .collect();
    if plugins.is_empty() {
        return Err(Failure::new(format!(
            "no loaded provider plugin serves {capability}; `host-stub plugins list` shows what \
             each serves"
        )));
    }
    let mut providers = Vec::new();
    for plugin in plugins {
        let credential = host.credential(plugin, None)?;
        let context = host
            .config
            .provider_settings(plugin.id())
            .call_context(credential.as_ref().map(|c| &c.secret), Timeouts::default());
        let request = CatalogRequest {
            context,
            mode: if credential.is_some() {
                DiscoveryMode::ADVISORY
            } else {
                DiscoveryMode::STATIC
            },
            max_body_bytes: 0,
        };
        let waiting = output::spinner(&format!("listing {} {capability} models…", plugin.id()));
        let catalog = plugin.list_models_for(&request, capability, &NEVER_CANCELLED);
        waiting.finish_and_clear();
        let catalog = catalog?;
        providers.push(ProviderView {
            provider: plugin.id().to_owned(),
            source: if catalog.source == CatalogSource::LIVE {
                "live"
            } else {
                "built-in"
            },
            fallback_reason: catalog.fallback_reason.to_string(),
            models: catalog
                .models
                .iter()
                .map(|model| ModelView {
                    reference: format!("{}/{}", plugin.id(), model.id),
                    name: model.name.to_string(),
                    upstreams: model.providers.iter().map(|p| p.name.to_string()).collect(),
                })
                .collect(),
        });
    }
    if json {
        return print_json(&serde_json::json!({ "providers": providers }));
    }
    let mut rows = table(&["ref", "name", "upstreams"]);
    for view in &providers {
        let why = if view.fallback_reason.is_empty() {
            String::new()
        } else {
            format!(": {}", view.fallback_reason)
        };
        say!(
            "{}: {} models serving {capability} ({} list{why})",
            view.provider,
            view.models.len(),
            view.source
        );
        for model in &view.models {
            rows.add_row(output::row([
                model.reference.clone(),
                model.name.clone(),
                model.upstreams.join(", "),
            ]));
        }
    }
    print_table(&rows);
    Ok(())
}
