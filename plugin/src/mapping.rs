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

use crate::{environment, errors, hub, outside_text::quote};

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
    task: Task,
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
            let entries = fetch(model, task, token).await?;
            remember(key, entries.clone());
            entries
        }
    };
    Ok(entries
        .into_iter()
        .filter(|entry| entry.status == "live" && serves(entry, task.hub))
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
async fn fetch(model: &str, task: Task, token: &str) -> Result<Vec<Mapping>, ProviderError> {
    let body = hub::get(
        &["models", model],
        &[("expand[]", "inferenceProviderMapping")],
        token,
        MAX_BODY_BYTES,
        (
            "looking up which upstreams serve the model",
            errors::Operation::ModelInfo {
                model,
                list_flag: task.list_flag,
            },
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

/// What a model ref asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// The model id on the Hub.
    pub model: String,
    /// The upstream the ref pins, if any.
    pub pinned: Option<String>,
}

impl Target {
    /// Reads `huggingface/<org>/<model>[:<upstream>]` (the provider prefix may be left out or
    /// doubled). A chat routing policy (`:fastest` …) means nothing beyond chat and is dropped, with a
    /// notice.
    pub fn parse(reference: &str, notices: &mut Vec<String>) -> Result<Self, ProviderError> {
        let mut id = reference.trim();
        while let Some(rest) = id.strip_prefix("huggingface/") {
            id = rest;
        }
        let (model, suffix) = match id.rsplit_once(':') {
            Some((model, suffix)) => (model, Some(suffix.trim())),
            None => (id, None),
        };
        let model = model.trim();
        let valid = !model.is_empty()
            && model.len() <= 256
            && model.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            });
        if !valid {
            return Err(ProviderError::new(
                ErrorCode::INVALID_REQUEST,
                format!(
                    "{} is not a model id (<org>/<model>, letters, digits, - _ .)",
                    quote(reference, None)
                ),
            ));
        }
        let pinned = match suffix {
            Some("fastest" | "cheapest" | "preferred") => {
                notices.push(format!(
                    "the routing policy :{} applies to chat only; the upstream was chosen as \
                     for an unpinned ref",
                    suffix.unwrap_or_default()
                ));
                None
            }
            Some("") | None => None,
            Some(upstream) => Some(upstream.to_owned()),
        };
        Ok(Self {
            model: model.to_owned(),
            pinned,
        })
    }
}

/// A task beyond chat, as [`choose`] needs to speak of it.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    /// The Hub's name for it (`feature-extraction`).
    pub hub: &'static str,
    /// What is served, for messages (`embeddings`).
    pub serving: &'static str,
    /// The `models list --task` value that lists its models (`embedding`).
    pub list_flag: &'static str,
    /// The setting naming preferred upstreams (`embeddings.upstreams`).
    pub preference_setting: &'static str,
}

/// Where a task's request goes: the upstream's route, its name and the model's id there.
#[derive(Clone, Debug)]
pub struct Chosen<R> {
    pub route: R,
    pub upstream: String,
    pub provider_id: String,
}

/// The upstream for `target` doing `task`: the pinned one, else the first of `preferred` that
/// serves it live, else the first live one the Hub lists — among those `route_of` knows (the
/// upstreams the plugin speaks for the task). The choice and its reason join `notices`.
/// hf-inference serves Hub models under their own ids, so a pin to it needs no lookup.
pub async fn choose<R: Copy>(
    target: &Target,
    task: Task,
    token: &str,
    preferred: &[String],
    route_of: impl Fn(&str) -> Option<R>,
    spoken: &str,
    notices: &mut Vec<String>,
) -> Result<Chosen<R>, ProviderError> {
    let model = target.model.as_str();
    if let Some(pinned) = &target.pinned {
        let route = route_of(pinned).ok_or_else(|| {
            ProviderError::new(
                ErrorCode::INVALID_REQUEST,
                format!(
                    "the plugin serves {} through {spoken}; {} is not one of them",
                    task.serving,
                    quote(pinned, None)
                ),
            )
        })?;
        if pinned == "hf-inference" {
            return Ok(Chosen {
                route,
                upstream: pinned.clone(),
                provider_id: model.to_owned(),
            });
        }
        let live = live_upstreams(model, task, token).await?;
        return match live.into_iter().find(|entry| &entry.provider == pinned) {
            Some(entry) => Ok(Chosen {
                route,
                upstream: entry.provider,
                provider_id: entry.provider_id,
            }),
            None => Err(not_served(model, Some(pinned), task, spoken)),
        };
    }
    let live: Vec<Chosen<R>> = live_upstreams(model, task, token)
        .await?
        .into_iter()
        .filter_map(|entry| {
            Some(Chosen {
                route: route_of(&entry.provider)?,
                upstream: entry.provider,
                provider_id: entry.provider_id,
            })
        })
        .collect();
    let preferred = preferred
        .iter()
        .find_map(|name| live.iter().find(|chosen| &chosen.upstream == name).cloned());
    let (why, chosen) = match preferred {
        Some(found) => (
            format!("the first of {} that serves it", task.preference_setting),
            found,
        ),
        None => (
            "the first live upstream the Hub lists for it".to_owned(),
            live.into_iter()
                .next()
                .ok_or_else(|| not_served(model, None, task, spoken))?,
        ),
    };
    notices.push(format!(
        "{model} is served by {} ({why}); pin another with {model}:<upstream>",
        chosen.upstream
    ));
    Ok(chosen)
}

/// The error for a model no upstream the plugin speaks serves for `task` (or not the pinned
/// one), naming what the Hub does list for it.
fn not_served(model: &str, pinned: Option<&str>, task: Task, spoken: &str) -> ProviderError {
    let listed: Vec<String> = known_upstreams(model)
        .into_iter()
        .map(|entry| format!("{} ({}, {})", entry.provider, entry.task, entry.status))
        .collect();
    let listed = if listed.is_empty() {
        "the Hub lists no upstream for it".to_owned()
    } else {
        format!("the Hub lists {}", listed.join(", "))
    };
    ProviderError::new(
        ErrorCode::MODEL_NOT_SUPPORTED,
        format!(
            "{model} is not served for {}{} by an upstream the plugin speaks for it \
             ({spoken}); {listed}. `models list --task {}` shows models that are.",
            task.serving,
            pinned
                .map(|upstream| format!(" by {}", quote(upstream, None)))
                .unwrap_or_default(),
            task.list_flag
        ),
    )
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
    fn refs_name_a_model_and_maybe_an_upstream() {
        let mut notices = Vec::new();
        let parse = |text: &str, notices: &mut Vec<String>| Target::parse(text, notices);
        assert_eq!(
            parse("huggingface/BAAI/bge-small-en-v1.5", &mut notices).unwrap(),
            Target {
                model: "BAAI/bge-small-en-v1.5".into(),
                pinned: None
            }
        );
        assert_eq!(
            parse("huggingface/huggingface/org/m:together", &mut notices)
                .unwrap()
                .pinned
                .as_deref(),
            Some("together")
        );
        assert!(
            parse("org/m:fastest", &mut notices)
                .unwrap()
                .pinned
                .is_none()
        );
        assert_eq!(notices.len(), 1);
        for bad in ["", "huggingface/", "org/../m", "org/m m", "org//m"] {
            assert_eq!(
                parse(bad, &mut notices).unwrap_err().code,
                ErrorCode::INVALID_REQUEST,
                "{bad}"
            );
        }
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
