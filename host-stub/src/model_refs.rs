//! Model refs on the host side: which provider a ref names (the part before the first `/`), and
//! the user's model choices in the configuration — the primary model and its fallbacks
//! (`agents.defaults.model`, a string or `{primary, fallbacks}`) and the aliases
//! (`agents.defaults.models[<ref>].alias`, matched case-insensitively for strings without a
//! `/`) — read here and edited here, on a configuration root inside `Config::update`. What the
//! rest of a ref means is the plugin's business (`resolve_ref`).

use serde_json::{Map, Value};

use crate::config::{Config, ConfigError};

/// The configured primary model, as written (an alias is not expanded).
pub fn primary(config: &Config) -> Option<String> {
    match config.get("agents.defaults.model") {
        Some(Value::String(primary)) => Some(primary.clone()),
        Some(model) => model
            .get("primary")
            .and_then(Value::as_str)
            .map(str::to_owned),
        None => None,
    }
    .filter(|primary| !primary.trim().is_empty())
}

/// Checks that `reference` looks like `provider/model`; returns it trimmed.
pub fn checked_ref(reference: &str) -> Result<String, ConfigError> {
    let trimmed = reference.trim();
    if provider_of(trimmed).is_none() || trimmed.contains(char::is_whitespace) {
        return Err(ConfigError::Path(format!(
            "{reference:?} is not a model ref: give <provider>/<model> (e.g. \
             huggingface/deepseek-ai/DeepSeek-R1) or an alias"
        )));
    }
    Ok(trimmed.to_owned())
}

/// `agents.defaults.model` as an object, turning the short string form into `{primary}`.
fn model_choice(root: &mut Value) -> Result<&mut Map<String, Value>, ConfigError> {
    let defaults = object_at(root, &["agents", "defaults"])?;
    let model = defaults
        .entry("model")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::String(primary) = model {
        let primary = std::mem::take(primary);
        *model = serde_json::json!({ "primary": primary });
    }
    model.as_object_mut().ok_or_else(|| {
        ConfigError::Path(
            "agents.defaults.model is neither a ref nor an object; fix it first".into(),
        )
    })
}

/// The object at `keys`, created when missing; a non-object on the way is an error.
fn object_at<'a>(
    root: &'a mut Value,
    keys: &[&str],
) -> Result<&'a mut Map<String, Value>, ConfigError> {
    let mut node = root;
    for (depth, key) in keys.iter().enumerate() {
        let object = node.as_object_mut().ok_or_else(|| {
            ConfigError::Path(format!(
                "{} is not an object; fix it first",
                keys[..depth].join(".")
            ))
        })?;
        node = object
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    node.as_object_mut().ok_or_else(|| {
        ConfigError::Path(format!("{} is not an object; fix it first", keys.join(".")))
    })
}

/// Sets the primary model; returns the previous one.
pub fn set_primary(root: &mut Value, reference: &str) -> Result<Option<String>, ConfigError> {
    let model = model_choice(root)?;
    let previous = model
        .insert("primary".into(), Value::String(reference.to_owned()))
        .and_then(|old| old.as_str().map(str::to_owned));
    Ok(previous)
}

/// The configured fallbacks, in order.
pub fn fallbacks(config: &Config) -> Vec<String> {
    config.strings("agents.defaults.model.fallbacks")
}

fn fallback_list(root: &mut Value) -> Result<&mut Vec<Value>, ConfigError> {
    let model = model_choice(root)?;
    let list = model
        .entry("fallbacks")
        .or_insert_with(|| Value::Array(Vec::new()));
    list.as_array_mut().ok_or_else(|| {
        ConfigError::Path("agents.defaults.model.fallbacks is not a list; fix it first".into())
    })
}

/// Appends a fallback; `false` when it was already there (the list is left as it is).
pub fn add_fallback(root: &mut Value, reference: &str) -> Result<bool, ConfigError> {
    let list = fallback_list(root)?;
    if list.iter().any(|item| item.as_str() == Some(reference)) {
        return Ok(false);
    }
    list.push(Value::String(reference.to_owned()));
    Ok(true)
}

/// Removes a fallback; `false` when it was not there.
pub fn remove_fallback(root: &mut Value, reference: &str) -> Result<bool, ConfigError> {
    if lookup_fallbacks(root).is_none() {
        return Ok(false);
    }
    let list = fallback_list(root)?;
    let before = list.len();
    list.retain(|item| item.as_str() != Some(reference));
    Ok(list.len() != before)
}

fn lookup_fallbacks(root: &Value) -> Option<&Vec<Value>> {
    crate::config::lookup(root, "agents.defaults.model.fallbacks")?.as_array()
}

/// Checks an alias: not empty, no `/` (a string with `/` is a ref).
pub fn checked_alias(alias: &str) -> Result<String, ConfigError> {
    let trimmed = alias.trim();
    if trimmed.is_empty() || trimmed.contains('/') {
        return Err(ConfigError::Path(format!(
            "{alias:?} cannot be an alias: an alias is a non-empty name without '/'"
        )));
    }
    Ok(trimmed.to_owned())
}

/// Gives `reference` the alias, taking it from any other ref that had it (case-insensitively).
/// Returns the refs it was taken from.
pub fn set_alias(
    root: &mut Value,
    alias: &str,
    reference: &str,
) -> Result<Vec<String>, ConfigError> {
    let mut taken_from = remove_alias(root, alias)?;
    taken_from.retain(|from| from != reference);
    let models = object_at(root, &["agents", "defaults", "models"])?;
    let entry = models
        .entry(reference.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    let entry = entry.as_object_mut().ok_or_else(|| {
        ConfigError::Path(format!(
            "agents.defaults.models[{reference:?}] is not an object; fix it first"
        ))
    })?;
    entry.insert("alias".into(), Value::String(alias.to_owned()));
    Ok(taken_from)
}

/// Removes the alias wherever it is set (case-insensitively); the model entries stay (they
/// may carry other settings). Returns the refs that had it.
pub fn remove_alias(root: &mut Value, alias: &str) -> Result<Vec<String>, ConfigError> {
    let Some(models) = crate::config::lookup(root, "agents.defaults.models") else {
        return Ok(Vec::new());
    };
    if !models.is_object() {
        return Err(ConfigError::Path(
            "agents.defaults.models is not an object; fix it first".into(),
        ));
    }
    let models = object_at(root, &["agents", "defaults", "models"])?;
    let mut had = Vec::new();
    for (reference, entry) in models.iter_mut() {
        let Some(entry) = entry.as_object_mut() else {
            continue;
        };
        let matches = entry
            .get("alias")
            .and_then(Value::as_str)
            .is_some_and(|known| known.trim().eq_ignore_ascii_case(alias));
        if matches {
            entry.shift_remove("alias");
            had.push(reference.clone());
        }
    }
    Ok(had)
}

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
    fn primary_fallbacks_and_aliases_are_edited_in_place() {
        let mut root = serde_json::json!({
            "agents": {"defaults": {
                "model": "huggingface/a/b",
                "models": {"huggingface/a/b": {"alias": "AB", "params": {"x": 1}}}
            }},
            "other": true
        });
        assert_eq!(
            set_primary(&mut root, "huggingface/c/d")
                .unwrap()
                .as_deref(),
            Some("huggingface/a/b")
        );
        assert!(add_fallback(&mut root, "huggingface/a/b").unwrap());
        assert!(!add_fallback(&mut root, "huggingface/a/b").unwrap());
        assert!(add_fallback(&mut root, "huggingface/e/f").unwrap());
        assert!(remove_fallback(&mut root, "huggingface/a/b").unwrap());
        assert!(!remove_fallback(&mut root, "huggingface/x/y").unwrap());
        assert_eq!(
            set_alias(&mut root, "ab", "huggingface/c/d").unwrap(),
            vec!["huggingface/a/b".to_owned()]
        );
        assert_eq!(
            root,
            serde_json::json!({
                "agents": {"defaults": {
                    "model": {"primary": "huggingface/c/d", "fallbacks": ["huggingface/e/f"]},
                    "models": {
                        "huggingface/a/b": {"params": {"x": 1}},
                        "huggingface/c/d": {"alias": "ab"}
                    }
                }},
                "other": true
            })
        );
        assert_eq!(
            remove_alias(&mut root, "AB").unwrap(),
            vec!["huggingface/c/d".to_owned()]
        );
        assert!(remove_alias(&mut root, "AB").unwrap().is_empty());

        let mut broken = serde_json::json!({"agents": {"defaults": {"model": 7}}});
        assert!(set_primary(&mut broken, "huggingface/a/b").is_err());
        assert!(checked_ref("glm").is_err());
        assert!(checked_ref("huggingface/a b").is_err());
        assert!(checked_alias("a/b").is_err());
        assert!(checked_alias("  ").is_err());
    }

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
