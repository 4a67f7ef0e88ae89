//! Which upstreams serve a model for a task beyond chat, and under which id: the Hub's
//! inference-provider mapping (`GET {HF_ENDPOINT}/api/models/{id}?expand[]=inferenceProviderMapping`,
//! asked with the user's token), kept per process for a while.
//!
//! The Hub answers an object keyed by upstream (`{"together": {"providerId", "status", "task"}}`)
//! for one model and an array (`[{"provider", "providerId", …}]`) in model lists; both are read.
//! Entries are filtered to the task asked for (for `hf-inference`, `feature-extraction` and
//! `sentence-similarity` are the same pipeline) and to `live` ones; the Hub's order is kept — it
//! follows the user's provider order on the Hub. Everything read is bounded: the body, the
//! number of entries, the length of each string.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use once_cell::sync::Lazy;
use openclaw_provider_abi::{ErrorCode, ProviderError};
use serde_json::Value;

use crate::{environment, errors, hub};

/// One upstream serving a model for a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// The upstream's name on the router (`together`).
    pub provider: String,
    /// The model's id at that upstream (what goes in the URL or body).
    pub provider_id: String,
    /// `live`, `staging`, `error`.
    pub status: String,
    /// The task the upstream serves it for (`feature-extraction`).
    pub task: String,
}

/// How long a model's mapping is trusted (the Hub allows about 1,000 API calls in 5 minutes).
const TTL: Duration = Duration::from_secs(10 * 60);
/// The most models remembered at once.
const MAX_MODELS: usize = 256;
/// The most bytes of a mapping answer read (a model-info document is a few kilobytes).
const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// The most entries read from one mapping (there are about twenty upstreams).
const MAX_ENTRIES: usize = 64;
/// The longest upstream name or model id kept.
const MAX_ID_LENGTH: usize = 256;

/// What this process learned, by Hub endpoint and model id: when, and every entry, whatever
/// its task.
type Learned = HashMap<(String, String), (Instant, Vec<Mapping>)>;

static CACHE: Lazy<Mutex<Learned>> = Lazy::new(Mutex::default);

/// The live upstreams serving `model` for `task`, in the Hub's order, from the cache or the Hub.
pub async fn live_upstreams(
    model: &str,
    task: &str,
    token: &str,
) -> Result<Vec<Mapping>, ProviderError> {
    let hub = environment::hub_endpoint();
    let key = (hub.clone(), model.to_owned());
    let cached = CACHE.lock().ok().and_then(|cache| {
        cache
            .get(&key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, entries)| entries.clone())
    });
    let entries = match cached {
        Some(entries) => entries,
        None => {
            let entries = fetch(model, token).await?;
            remember(key, entries.clone());
            entries
        }
    };
    Ok(entries
        .into_iter()
        .filter(|entry| entry.status == "live" && serves(entry, task))
        .collect())
}

/// Every upstream the Hub maps `model` to, for any task and in any status, from the cache only
/// (for messages that say what else there is).
pub fn known_upstreams(model: &str) -> Vec<Mapping> {
    let key = (environment::hub_endpoint(), model.to_owned());
    CACHE
        .lock()
        .ok()
        .and_then(|cache| cache.get(&key).map(|(_, entries)| entries.clone()))
        .unwrap_or_default()
}

/// Whether `entry` serves `task`: the same task, or, on hf-inference, the other pipeline a
/// sentence-transformers model serves with the same weights.
fn serves(entry: &Mapping, task: &str) -> bool {
    const SENTENCE_TASKS: [&str; 2] = ["feature-extraction", "sentence-similarity"];
    entry.task == task
        || (entry.provider == "hf-inference"
            && SENTENCE_TASKS.contains(&task)
            && SENTENCE_TASKS.contains(&entry.task.as_str()))
}

fn remember(key: (String, String), entries: Vec<Mapping>) {
    let Ok(mut cache) = CACHE.lock() else {
        return;
    };
    if cache.len() >= MAX_MODELS && !cache.contains_key(&key) {
        let oldest = cache
            .iter()
            .min_by_key(|(_, (at, _))| *at)
            .map(|(key, _)| key.clone());
        if let Some(oldest) = oldest {
            cache.remove(&oldest);
        }
    }
    cache.insert(key, (Instant::now(), entries));
}

/// Asks the Hub.
async fn fetch(model: &str, token: &str) -> Result<Vec<Mapping>, ProviderError> {
    let body = hub::get(
        &["models", model],
        &[("expand[]", "inferenceProviderMapping")],
        token,
        MAX_BODY_BYTES,
        (
            "looking up which upstreams serve the model",
            errors::Operation::ModelInfo { model },
        ),
    )
    .await?;
    parse(&body).map_err(|why| {
        ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "the Hub's answer about {} is not a model's inference-provider mapping ({why})",
                crate::outside_text::quote(model, Some(token))
            ),
        )
    })
}

/// Reads a mapping answer: a model document whose `inferenceProviderMapping` is an object keyed
/// by upstream, or an array of entries naming their `provider`.
pub fn parse(body: &[u8]) -> Result<Vec<Mapping>, String> {
    let document: Value = serde_json::from_slice(body).map_err(|err| errors::json_failure(&err))?;
    entries(&document)
}

/// The entries of a model document's `inferenceProviderMapping`, in either shape.
pub fn entries(document: &Value) -> Result<Vec<Mapping>, String> {
    let mapping = document
        .get("inferenceProviderMapping")
        .ok_or("it has no inferenceProviderMapping")?;
    let text = |entry: &Value, key: &str| {
        entry
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty() && text.len() <= MAX_ID_LENGTH)
            .map(str::to_owned)
    };
    let entry = |provider: Option<String>, entry: &Value| {
        Some(Mapping {
            provider: provider?,
            provider_id: text(entry, "providerId")?,
            status: text(entry, "status").unwrap_or_else(|| "live".into()),
            task: text(entry, "task").unwrap_or_default(),
        })
    };
    Ok(match mapping {
        Value::Object(by_provider) => by_provider
            .iter()
            .take(MAX_ENTRIES)
            .filter_map(|(provider, value)| {
                let name = Some(provider.trim().to_owned())
                    .filter(|name| !name.is_empty() && name.len() <= MAX_ID_LENGTH);
                entry(name, value)
            })
            .collect(),
        Value::Array(entries) => entries
            .iter()
            .take(MAX_ENTRIES)
            .filter_map(|value| entry(text(value, "provider"), value))
            .collect(),
        _ => return Err("its inferenceProviderMapping is neither an object nor a list".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_read_and_the_task_and_status_filter() {
        let object = br#"{"id":"m","inferenceProviderMapping":{
            "together":{"providerId":"m-t","status":"live","task":"feature-extraction"},
            "hf-inference":{"providerId":"org/m","status":"live","task":"sentence-similarity"},
            "novita":{"providerId":"m-n","status":"live","task":"conversational"},
            "scaleway":{"providerId":"m-s","status":"error","task":"feature-extraction"},
            "":{"providerId":"x"}, "bad":{"status":"live"}}}"#;
        let entries = parse(object).unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.provider.as_str()).collect();
        assert_eq!(names, ["together", "hf-inference", "novita", "scaleway"]);
        let usable: Vec<&str> = entries
            .iter()
            .filter(|e| e.status == "live" && serves(e, "feature-extraction"))
            .map(|e| e.provider.as_str())
            .collect();
        assert_eq!(usable, ["together", "hf-inference"]);
        let array = br#"{"inferenceProviderMapping":[{"provider":"deepinfra","providerId":"d",
            "status":"live","task":"feature-extraction"}]}"#;
        assert_eq!(parse(array).unwrap()[0].provider, "deepinfra");
        assert!(
            parse(br#"{"id":"m"}"#)
                .unwrap_err()
                .contains("no inferenceProviderMapping")
        );
        assert!(parse(b"[").is_err());
    }

    #[test]
    fn the_fixture_captured_from_the_hub_reads() {
        let body = crate::captures::fixture("hub.model.inferenceProviderMapping.json");
        let entries = parse(&body).unwrap();
        assert_eq!(entries.len(), 6);
        assert!(entries.iter().all(|e| e.task == "conversational"));
        assert_eq!(entries[0].status, "error");
    }
}
