//! Model refs on the host side: which provider a ref names (the part before the first `/`) and
//! the user's aliases (`agents.defaults.models[<ref>].alias`, matched case-insensitively for
//! strings without a `/`). What the rest of a ref means is the plugin's business
//! (`resolve_ref`).

use serde_json::Value;

use crate::config::Config;

/// The aliases in the configuration: `(alias, ref)` pairs, later duplicates winning.
pub fn aliases(config: &Config) -> Vec<(String, String)> {
    let Some(models) = config
        .get("agents.defaults.models")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (reference, entry) in models {
        if let Some(alias) = entry
            .get("alias")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            pairs.retain(|(known, _)| !known.eq_ignore_ascii_case(alias));
            pairs.push((alias.to_owned(), reference.clone()));
        }
    }
    pairs
}

/// The alias configured for a ref, if any.
pub fn alias_of<'a>(aliases: &'a [(String, String)], reference: &str) -> Option<&'a str> {
    aliases
        .iter()
        .rev()
        .find(|(_, target)| target == reference)
        .map(|(alias, _)| alias.as_str())
}

/// Expands an alias (strings without `/` only, case-insensitively); other strings unchanged.
pub fn expand_alias(aliases: &[(String, String)], input: &str) -> String {
    let trimmed = input.trim();
    if trimmed.contains('/') {
        return trimmed.to_owned();
    }
    aliases
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(trimmed))
        .map(|(_, reference)| reference.clone())
        .unwrap_or_else(|| trimmed.to_owned())
}

/// The provider id a ref names: the part before the first `/`, lower-cased.
pub fn provider_of(reference: &str) -> Option<String> {
    let (provider, model) = reference.trim().split_once('/')?;
    (!provider.is_empty() && !model.is_empty()).then(|| provider.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_expand_case_insensitively_without_slashes() {
        let config = Config {
            root: serde_json::json!({"agents": {"defaults": {"models": {
                "huggingface/deepseek-ai/DeepSeek-R1": {"alias": "DeepSeek R1"},
                "huggingface/Qwen/Qwen3-8B:cheapest": {"alias": "qwen cheap"},
                "huggingface/x/y": {}
            }}}}),
            ..Config::default()
        };
        let aliases = aliases(&config);
        assert_eq!(
            expand_alias(&aliases, " deepseek r1 "),
            "huggingface/deepseek-ai/DeepSeek-R1"
        );
        assert_eq!(
            expand_alias(&aliases, "QWEN CHEAP"),
            "huggingface/Qwen/Qwen3-8B:cheapest"
        );
        assert_eq!(expand_alias(&aliases, "a/b"), "a/b");
        assert_eq!(expand_alias(&aliases, "unknown"), "unknown");
        assert_eq!(
            alias_of(&aliases, "huggingface/deepseek-ai/DeepSeek-R1"),
            Some("DeepSeek R1")
        );
        assert_eq!(provider_of("HuggingFace/org/m"), Some("huggingface".into()));
        assert_eq!(provider_of("nomodel/"), None);
        assert_eq!(provider_of("bare"), None);
    }
}
