//! Catalogs of the models serving a capability beyond chat, which the router's `/v1/models`
//! does not list: the Hub's model search for the task's pipeline, across every upstream
//! (`GET {HF_ENDPOINT}/api/models?pipeline_tag=<task>&inference_provider=all&expand[]=inferenceProviderMapping`),
//! kept to the models at least one upstream the plugin speaks serves live. Each model lists
//! those upstreams. Modes as for chat: static never asks; advisory falls back to the built-in
//! list with the reason; strict answers the live list or the error.

use openclaw_provider_abi::{
    Cancellation, Capabilities, Catalog, CatalogRequest, CatalogSource, DiscoveryMode, ErrorCode,
    Modalities, ModelCost, ModelInfo, ModelProvider, ProviderError, Tristate,
    abi_stable::std_types::{ROption, RString, RVec},
};
use serde_json::Value;

use super::projection::name_from_id;
use crate::{embeddings::routes, environment, errors, hub, mapping, media, runtime};

/// A capability beyond chat whose models the plugin lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    Embeddings,
    TextToImage,
    SpeechRecognition,
    TextToSpeech,
}

/// The most models asked for and read.
const MAX_MODELS: usize = 200;
/// The most bytes of a search answer read (a model with its mapping is a few hundred bytes).
const MAX_BODY_BYTES: u64 = 8 * 1024 * 1024;

impl Task {
    /// The task whose models a capability lists, if it is one beyond chat.
    pub fn of(capability: Capabilities) -> Option<Self> {
        [
            (Capabilities::EMBEDDINGS, Self::Embeddings),
            (Capabilities::IMAGE_GENERATION, Self::TextToImage),
            (Capabilities::SPEECH_RECOGNITION, Self::SpeechRecognition),
            (Capabilities::SPEECH_SYNTHESIS, Self::TextToSpeech),
        ]
        .into_iter()
        .find(|(bit, _)| *bit == capability)
        .map(|(_, task)| task)
    }

    /// The Hub's pipeline tag.
    fn pipeline(self) -> &'static str {
        match self {
            Self::Embeddings => "feature-extraction",
            Self::TextToImage => media::images::TASK.hub,
            Self::SpeechRecognition => media::transcription::TASK.hub,
            Self::TextToSpeech => media::speech::TASK.hub,
        }
    }

    /// Whether the plugin speaks `upstream` for this task.
    fn served_by(self, upstream: &str) -> bool {
        match self {
            Self::Embeddings => routes::route(upstream).is_some(),
            Self::TextToImage => media::images::route(upstream).is_some(),
            Self::SpeechRecognition => media::transcription::route(upstream).is_some(),
            Self::TextToSpeech => media::speech::route(upstream).is_some(),
        }
    }

    /// The models known without asking: the examples the router's feature-extraction docs give,
    /// with the upstream each is shown on there.
    fn built_in(self) -> Vec<ModelInfo> {
        match self {
            Self::Embeddings => [
                ("Qwen/Qwen3-Embedding-0.6B", "deepinfra"),
                ("microsoft/harrier-oss-v1-0.6b", "hf-inference"),
                ("Qwen/Qwen3-Embedding-8B", "scaleway"),
                ("intfloat/multilingual-e5-large-instruct", "together"),
            ]
            .into_iter()
            .map(|(id, upstream)| {
                let mut model = model(id, vec![provider(upstream, "live")]);
                model.facts_note = "the upstream is the one the router's docs show the model \
                                    on; others may serve it too"
                    .into();
                model
            })
            .collect(),
            Self::TextToImage => examples(
                &[
                    ("black-forest-labs/FLUX.1-dev", &["fal-ai", "replicate"]),
                    ("black-forest-labs/FLUX.1-schnell", &["fal-ai", "nscale"]),
                    (
                        "stabilityai/stable-diffusion-xl-base-1.0",
                        &["hf-inference"],
                    ),
                ],
                "image",
            ),
            Self::SpeechRecognition => examples(
                &[(
                    "openai/whisper-large-v3",
                    &["hf-inference", "fal-ai", "together", "deepinfra"],
                )],
                "text",
            ),
            Self::TextToSpeech => examples(
                &[
                    ("hexgrad/Kokoro-82M", &["deepinfra", "together"]),
                    ("espnet/kan-bayashi_ljspeech_vits", &["hf-inference"]),
                ],
                "audio",
            ),
        }
    }
}

/// Built-in rows for models the HF clients' examples and the router's docs show on these
/// upstreams; whether one serves them now is checked when a call is made.
fn examples(models: &[(&str, &[&str])], output: &str) -> Vec<ModelInfo> {
    models
        .iter()
        .map(|(id, upstreams)| {
            let mut row = model(
                id,
                upstreams
                    .iter()
                    .map(|upstream| provider(upstream, "live"))
                    .collect(),
            );
            row.facts_note = format!(
                "from the HF clients' examples and the router's docs ({output} out); the Hub's \
                 mapping decides which upstream serves it when it is used"
            )
            .into();
            row
        })
        .collect()
}

/// Answers `list_models` for `task`.
pub fn list_models(
    request: &CatalogRequest,
    task: Task,
    cancel: &Cancellation,
) -> Result<Catalog, ProviderError> {
    let built_in = |reason: &str| Catalog {
        source: CatalogSource::BUILT_IN,
        models: task.built_in().into(),
        fallback_reason: reason.into(),
    };
    if request.mode == DiscoveryMode::STATIC {
        return Ok(built_in("the built-in list was requested"));
    }
    let Some(token) = request
        .context
        .credential
        .as_ref()
        .map(|secret| secret.expose().to_owned())
        .into_option()
    else {
        return Ok(built_in(
            "no Hugging Face token is configured, and the Hub search needs one",
        ));
    };
    let live = match environment::offline_switch() {
        Some(switch) => Err(ProviderError::new(
            ErrorCode::OFFLINE,
            format!("{switch} is set, so the model list was not fetched"),
        )),
        None => runtime::block_on_cancellable(search(task, &token), cancel)?,
    };
    match (request.mode, live) {
        (DiscoveryMode::STRICT, live) => live.map(|models| Catalog {
            source: CatalogSource::LIVE,
            models: models.into(),
            fallback_reason: RString::new(),
        }),
        (_, Ok(models)) if !models.is_empty() => Ok(Catalog {
            source: CatalogSource::LIVE,
            models: models.into(),
            fallback_reason: RString::new(),
        }),
        (_, Ok(_)) => Ok(built_in("the Hub listed no models served for the task")),
        (_, Err(error)) => Ok(built_in(&format!("the Hub search failed: {error}"))),
    }
}

/// Asks the Hub.
async fn search(task: Task, token: &str) -> Result<Vec<ModelInfo>, ProviderError> {
    let limit = MAX_MODELS.to_string();
    let body = hub::get(
        &["models"],
        &[
            ("pipeline_tag", task.pipeline()),
            ("inference_provider", "all"),
            ("expand[]", "inferenceProviderMapping"),
            ("sort", "likes30d"),
            ("limit", &limit),
        ],
        token,
        MAX_BODY_BYTES,
        ("searching the Hub for models", errors::Operation::Discovery),
    )
    .await?;
    parse(task, &body).map_err(|why| {
        ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!("the Hub's model search answered something else than models ({why})"),
        )
    })
}

/// The models of a search answer that an upstream the plugin speaks serves live for `task`.
fn parse(task: Task, body: &[u8]) -> Result<Vec<ModelInfo>, String> {
    let document: Value = serde_json::from_slice(body).map_err(|err| errors::json_failure(&err))?;
    let rows = document.as_array().ok_or("not a list")?;
    Ok(rows
        .iter()
        .take(MAX_MODELS)
        .filter_map(|row| {
            let id = row.get("id")?.as_str()?.trim();
            (!id.is_empty() && id.len() <= 256).then_some(())?;
            let upstreams: Vec<ModelProvider> = mapping::entries(row)
                .ok()?
                .into_iter()
                .filter(|entry| {
                    entry.status == "live"
                        && entry.task == task.pipeline()
                        && task.served_by(&entry.provider)
                })
                .map(|entry| provider(&entry.provider, &entry.status))
                .collect();
            (!upstreams.is_empty()).then(|| model(id, upstreams))
        })
        .collect())
}

fn model(id: &str, providers: Vec<ModelProvider>) -> ModelInfo {
    ModelInfo {
        id: id.into(),
        name: name_from_id(id).into(),
        reasoning: false,
        input: Modalities::TEXT,
        context_window: 0,
        max_tokens: 0,
        cost: ModelCost::default(),
        supports_tools: Tristate::NO,
        supports_structured_output: Tristate::NO,
        providers: RVec::from(providers),
        facts_note: RString::new(),
        extra_json: RString::new(),
    }
}

fn provider(name: &str, status: &str) -> ModelProvider {
    ModelProvider {
        name: name.into(),
        status: status.into(),
        context_length: 0,
        input_price: ROption::RNone,
        output_price: ROption::RNone,
        supports_tools: Tristate::UNKNOWN,
        supports_structured_output: Tristate::UNKNOWN,
        throughput_tps: ROption::RNone,
        first_token_latency_ms: ROption::RNone,
        is_model_author: false,
        is_free: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_answers_keep_models_an_upstream_we_speak_serves_live() {
        let body = br#"[
            {"id":"BAAI/bge-m3","inferenceProviderMapping":[
                {"provider":"hf-inference","providerId":"BAAI/bge-m3","status":"live","task":"feature-extraction"},
                {"provider":"novita","providerId":"x","status":"live","task":"feature-extraction"}]},
            {"id":"org/staging-only","inferenceProviderMapping":[
                {"provider":"together","providerId":"s","status":"staging","task":"feature-extraction"}]},
            {"id":"org/chat","inferenceProviderMapping":[
                {"provider":"together","providerId":"c","status":"live","task":"conversational"}]},
            {"noid":1}]"#;
        let models = parse(Task::Embeddings, body).unwrap();
        assert_eq!(models.len(), 1);
        assert_eq!(models[0].id.as_str(), "BAAI/bge-m3");
        assert_eq!(models[0].name.as_str(), "Bge M3");
        let names: Vec<&str> = models[0]
            .providers
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["hf-inference"]);
        assert!(parse(Task::Embeddings, b"{}").is_err());
    }

    #[test]
    fn every_media_task_lists_models_of_its_own() {
        for capability in [
            Capabilities::IMAGE_GENERATION,
            Capabilities::SPEECH_RECOGNITION,
            Capabilities::SPEECH_SYNTHESIS,
        ] {
            let task = Task::of(capability).unwrap();
            let built_in = task.built_in();
            assert!(!built_in.is_empty());
            assert!(
                built_in
                    .iter()
                    .flat_map(|m| m.providers.iter())
                    .all(|p| task.served_by(p.name.as_str())),
                "{capability}"
            );
        }
        assert_eq!(Task::of(Capabilities::CHAT), None);
        let body = br#"[{"id":"openai/whisper-large-v3","inferenceProviderMapping":[
            {"provider":"fal-ai","providerId":"fal-ai/whisper","status":"live",
             "task":"automatic-speech-recognition"},
            {"provider":"replicate","providerId":"openai/whisper:8099","status":"live",
             "task":"automatic-speech-recognition"}]}]"#;
        let models = parse(Task::SpeechRecognition, body).unwrap();
        let names: Vec<&str> = models[0]
            .providers
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["fal-ai"]);
    }

    #[test]
    fn the_built_in_list_holds_the_default_model() {
        let built_in = Task::Embeddings.built_in();
        let default = crate::identity::DEFAULT_EMBEDDING_MODEL_REF
            .strip_prefix("huggingface/")
            .unwrap();
        assert!(built_in.iter().any(|m| m.id.as_str() == default));
        assert!(built_in.iter().all(|m| !m.facts_note.is_empty()));
    }
}
