//! A plugin's own settings (`plugins.entries.<id>.config`) checked against the JSON Schema its
//! manifest declares (`configSchema`), as OpenClaw checks them: a typo or a value of the wrong
//! type (`maxRetries: "4"`) would otherwise be ignored without a word. Each problem becomes one
//! warning naming the setting and what it should be; the settings are used as they are.

use provider_host::manifest::PluginManifest;
use serde_json::Value;

use crate::config::Config;

/// The warnings for the settings in `config` of the plugin `manifest` describes (none when it
/// declares no schema or has no settings).
pub fn check(config: &Config, manifest: &PluginManifest) -> Vec<String> {
    let prefix = format!("plugins.entries.{}.config", manifest.id);
    let Some(settings) = config.get(&prefix) else {
        return Vec::new();
    };
    let Some(schema) = manifest.document.get("configSchema") else {
        return Vec::new();
    };
    let validator = match jsonschema::validator_for(schema) {
        Ok(validator) => validator,
        Err(err) => {
            return vec![format!(
                "{}: the plugin's configSchema is not a usable JSON Schema ({err}); its settings \
                 are not checked",
                manifest.path.display()
            )];
        }
    };
    validator
        .iter_errors(settings)
        .take(20)
        .map(|error| {
            let at = error.instance_path().to_string();
            let setting = if at.is_empty() {
                prefix.clone()
            } else {
                format!("{prefix}{}", at.replace('/', "."))
            };
            format!("{setting}: {}", describe(&error))
        })
        .collect()
}

/// What a schema error means, in words: the expected type, the unknown key, the bound.
fn describe(error: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::ValidationErrorKind as Kind;
    let value = || compact(error.instance());
    match error.kind() {
        Kind::Type { kind } => {
            let expected = match kind {
                jsonschema::error::TypeKind::Single(single) => single.to_string(),
                jsonschema::error::TypeKind::Multiple(set) => set
                    .iter()
                    .map(|one| one.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("{} should be of type {expected}; it is ignored", value())
        }
        Kind::AdditionalProperties { unexpected } => format!(
            "unknown setting{} {} (a typo?); it is ignored",
            if unexpected.len() > 1 { "s" } else { "" },
            unexpected.join(", ")
        ),
        _ => error.to_string(),
    }
}

/// A value as short JSON, for a message.
fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}
