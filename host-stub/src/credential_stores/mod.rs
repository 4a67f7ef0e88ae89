//! Where host-stub finds stored credentials for a provider, in order: its own store
//! (`<state>/host-stub/auth-profiles.json`), OpenClaw's credential store (read-only, in its
//! SQLite state database — a key onboarded with `openclaw onboard` needs no second onboarding),
//! and a legacy `agents/main/agent/auth-profiles.json`; each store's profiles ordered by
//! `auth.order.<provider>`, then `<provider>:default`, then by id. Also the key the
//! configuration itself names (`models.providers.<provider>.apiKey`), placed as OpenClaw places
//! it. A store that cannot be read is skipped with a one-line reason. The stores themselves are
//! [`own`] (the one file host-stub writes credentials to) and [`openclaw`] (read-only).

pub mod openclaw;
pub mod own;

use openclaw_provider_abi::{AuthMethod, Secret};
use provider_host::credentials::{ConfiguredKey, CredentialSource, StoredProfile};
use serde_json::Value;

use self::own::{PROFILES_FILE, ProfileError, ProfileStore};
use crate::{config::Config, paths::StatePaths};

/// What host-stub calls each store when it shows where a credential came from.
pub const OWN_STORE: &str = "host-stub's store";
pub const OPENCLAW_STORE: &str = "OpenClaw's store";
pub const LEGACY_STORE: &str = "agents/main/agent/auth-profiles.json";

/// A provider's stored credentials, and the stores that could not be read.
#[derive(Debug, Default)]
pub struct Stored {
    pub profiles: Vec<StoredProfile>,
    pub configured: Option<ConfiguredKey>,
    /// One line per store skipped or worth a warning.
    pub notes: Vec<String>,
}

/// Everything stored for `method`'s provider. host-stub's own store must read (it is the one
/// written); the others are skipped with a note when they cannot be.
pub fn for_method(
    paths: &StatePaths,
    config: &Config,
    method: &AuthMethod,
) -> Result<Stored, ProfileError> {
    let provider = method.provider_id.as_str();
    let order = config.strings(&format!("auth.order.{provider}"));
    let mut stored = Stored::default();
    let own = ProfileStore::load(&paths.host_stub_dir(), OWN_STORE)?;
    stored.profiles.extend(own.profiles_for(provider, &order));
    match openclaw::read(&paths.state_dir, &paths.agent_dir()) {
        Ok(document) => {
            let store = ProfileStore::from_document(
                paths.state_dir.join("state/openclaw.sqlite"),
                document,
                OPENCLAW_STORE,
            );
            stored.profiles.extend(store.profiles_for(provider, &order));
        }
        Err(reason) => stored
            .notes
            .push(format!("{OPENCLAW_STORE} skipped: {reason}")),
    }
    let legacy = paths.agent_dir().join(PROFILES_FILE);
    if legacy.exists() {
        match ProfileStore::load(&paths.agent_dir(), LEGACY_STORE) {
            Ok(store) => {
                let mine = store.profiles_for(provider, &order);
                if !mine.is_empty() {
                    stored.notes.push(format!(
                        "{} makes OpenClaw 2026.9.6 refuse {provider} keys until `openclaw \
                         doctor --fix` imports it; host-stub keeps its own keys in {}",
                        legacy.display(),
                        paths.host_stub_dir().join(PROFILES_FILE).display()
                    ));
                }
                stored.profiles.extend(mine);
            }
            Err(err) => stored.notes.push(format!("{LEGACY_STORE} skipped: {err}")),
        }
    }
    stored.configured = configured_key(config, method, &mut stored.profiles);
    Ok(stored)
}

/// The key `models.providers.<provider>.apiKey` names, as OpenClaw reads it: a profile id (that
/// profile goes first), `${VAR}` or `$VAR` or the bare name of one of the plugin's variables (an
/// environment variable), `{source: "env", id}`, or the key itself. It is tried after the
/// environment, or before the stored profiles when the provider block says `auth: "api-key"`.
fn configured_key(
    config: &Config,
    method: &AuthMethod,
    profiles: &mut Vec<StoredProfile>,
) -> Option<ConfiguredKey> {
    let provider = method.provider_id.as_str();
    let setting = format!("models.providers.{provider}.apiKey");
    let value = config.get(&setting)?;
    let first = config
        .get(&format!("models.providers.{provider}.auth"))
        .and_then(Value::as_str)
        == Some("api-key");
    let from_env = |variable: &str| {
        let secret = std::env::var(variable)
            .ok()
            .and_then(|value| Secret::new(&value));
        let note = secret.is_none().then(|| format!("{variable} is not set"));
        Some(ConfiguredKey {
            source: CredentialSource::Configured {
                setting: setting.clone(),
                variable: Some(variable.to_owned()),
            },
            secret,
            note,
            first,
        })
    };
    match value {
        Value::String(text) => {
            let text = text.trim();
            if let Some(at) = profiles.iter().position(|profile| profile.id == text) {
                let named = profiles.remove(at);
                profiles.insert(0, named);
                return None;
            }
            if let Some(variable) = env_reference(text) {
                return from_env(variable);
            }
            if method.env_vars.iter().any(|name| name.as_str() == text) {
                return from_env(text);
            }
            Some(ConfiguredKey {
                source: CredentialSource::Configured {
                    setting,
                    variable: None,
                },
                secret: Secret::new(text),
                note: None,
                first,
            })
        }
        Value::Object(reference) if reference.get("source") == Some(&"env".into()) => {
            from_env(reference.get("id")?.as_str()?.trim())
        }
        Value::Object(reference) => Some(ConfiguredKey {
            source: CredentialSource::Configured {
                setting,
                variable: None,
            },
            secret: None,
            note: Some(format!(
                "a {:?} secret reference, which this host cannot read",
                reference
                    .get("source")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            )),
            first,
        }),
        _ => None,
    }
}

/// `VAR` of `${VAR}` or `$VAR` (upper-case letters, digits and `_`, as OpenClaw substitutes).
fn env_reference(text: &str) -> Option<&str> {
    let name = text
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .or_else(|| text.strip_prefix('$'))?;
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_references_are_recognised() {
        assert_eq!(env_reference("${HF_TOKEN}"), Some("HF_TOKEN"));
        assert_eq!(env_reference("$HF_TOKEN"), Some("HF_TOKEN"));
        assert_eq!(env_reference("${hf}"), None);
        assert_eq!(env_reference("hf_abc"), None);
        assert_eq!(env_reference("$1ABC"), None);
    }
}
