//! "Did you mean": the catalog ids closest to one the catalog does not know (a typo, a retired
//! model, a wrong case), for resolve's warning and for the model errors of chat.
//!
//! Closeness is the edit distance (`strsim`'s Levenshtein) between lower-cased ids, also against
//! the name part alone when the id asked for has no organisation; an id is offered when it is
//! within a quarter of the asked id's length (at least two edits). Chat has no catalog of its
//! own, so [`catalog_ids`] says which list to search: the live catalog this process fetched for
//! the router, else the catalog the host last handed to `resolve_ref` (kept here as ids only),
//! else the built-in one.

use std::sync::{Arc, Mutex};

use openclaw_provider_abi::ModelInfo;

use crate::catalog::{builtin::BUILTIN_MODELS, live};

/// The most ids offered.
pub const MAX_SUGGESTIONS: usize = 3;

/// Ids longer than this are never compared: edit distance costs their product, and no model id
/// is this long.
const MAX_COMPARED_CHARS: usize = 200;

/// The ids of the catalog the host last gave `resolve_ref`.
static HOST_IDS: Mutex<Option<Arc<Vec<String>>>> = Mutex::new(None);

/// Up to [`MAX_SUGGESTIONS`] ids from `ids` close to `wanted`, closest first (ties in order of
/// the ids). `wanted` itself is never offered.
pub fn similar<'a>(wanted: &str, ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted_chars = wanted.chars().count();
    if wanted.is_empty() || wanted_chars > MAX_COMPARED_CHARS {
        return Vec::new();
    }
    let lower = wanted.to_lowercase();
    let limit = (wanted_chars / 4).max(2);
    let bare = !lower.contains('/');
    // Closest first; among equally close ids, those that extend the asked one (a retired
    // `…-V3` and today's `…-V3.1`) first, then catalog order.
    let mut found: Vec<(usize, bool, usize, &str)> = Vec::new();
    for (order, id) in ids.into_iter().enumerate() {
        if id == wanted || id.len() > MAX_COMPARED_CHARS * 4 {
            continue;
        }
        let candidate = id.to_lowercase();
        if candidate.chars().count() > MAX_COMPARED_CHARS {
            continue;
        }
        let mut distance = strsim::levenshtein(&lower, &candidate);
        if bare && let Some((_, name)) = candidate.split_once('/') {
            distance = distance.min(strsim::levenshtein(&lower, name));
        }
        if distance <= limit {
            found.push((distance, !candidate.starts_with(&lower), order, id));
        }
    }
    found.sort_unstable();
    // The same id in another case is the answer: nothing else is worth offering beside it.
    if found.first().is_some_and(|(distance, ..)| *distance == 0) {
        found.retain(|(distance, ..)| *distance == 0);
    }
    let mut offered: Vec<String> = Vec::new();
    for (_, _, _, id) in found {
        if !offered.iter().any(|o| o == id) {
            offered.push(id.to_owned());
        }
        if offered.len() == MAX_SUGGESTIONS {
            break;
        }
    }
    offered
}

/// Keeps the ids of the catalog a host resolved refs against.
pub fn remember_host_catalog(models: &[ModelInfo]) {
    if models.is_empty() {
        return;
    }
    let ids: Vec<String> = models
        .iter()
        .map(|m| m.id.as_str())
        .filter(|id| !id.contains(':'))
        .map(str::to_owned)
        .collect();
    if let Ok(mut kept) = HOST_IDS.lock() {
        // Unchanged catalogs (the usual case: every call resolves against the same list) are
        // not copied again.
        if kept.as_deref().is_none_or(|old| *old != ids) {
            *kept = Some(Arc::new(ids));
        }
    }
}

/// The ids to suggest from for calls to the router at `base_url`.
pub fn catalog_ids(base_url: &str) -> Arc<Vec<String>> {
    if let Some(ids) = live::ids(base_url) {
        return ids;
    }
    if let Some(ids) = HOST_IDS.lock().ok().and_then(|kept| kept.clone()) {
        return ids;
    }
    Arc::new(BUILTIN_MODELS.iter().map(|m| m.id.to_owned()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: [&str; 6] = [
        "deepseek-ai/DeepSeek-R1",
        "deepseek-ai/DeepSeek-V3.1",
        "deepseek-ai/DeepSeek-V3.2",
        "Qwen/Qwen3-8B",
        "Qwen/Qwen3-32B",
        "zai-org/GLM-4.7",
    ];

    #[test]
    fn typos_cases_and_retired_ids_find_their_neighbours() {
        assert_eq!(
            similar("deepseek-ai/DeepSeek-R2", IDS),
            [
                "deepseek-ai/DeepSeek-R1",
                "deepseek-ai/DeepSeek-V3.2",
                "deepseek-ai/DeepSeek-V3.1"
            ]
        );
        assert_eq!(
            similar("deepseek-ai/deepseek-r1", IDS),
            ["deepseek-ai/DeepSeek-R1"]
        );
        assert_eq!(
            similar("deepseek-ai/DeepSeek-V3", IDS),
            [
                "deepseek-ai/DeepSeek-V3.1",
                "deepseek-ai/DeepSeek-V3.2",
                "deepseek-ai/DeepSeek-R1"
            ]
        );
        assert_eq!(similar("qwen3-8b", IDS)[0], "Qwen/Qwen3-8B");
        assert!(similar("someone/brand-new-model", IDS).is_empty());
        assert!(
            similar("Qwen/Qwen3-8B", IDS)
                .iter()
                .all(|id| id != "Qwen/Qwen3-8B")
        );
    }

    #[test]
    fn absurd_input_is_not_compared() {
        let long = "x".repeat(10_000);
        assert!(similar(&long, IDS).is_empty());
        assert!(similar("a/b", [long.as_str()]).is_empty());
        assert!(similar("", IDS).is_empty());
    }
}
