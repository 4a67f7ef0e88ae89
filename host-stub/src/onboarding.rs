//! Onboarding, the host's part: choosing where the key comes from, checking it (when asked),
//! asking the plugin what onboarding changes, and applying that — the profile to the credential
//! store, the config patch to the configuration — idempotently: a re-run with the same key
//! changes nothing, a different key replaces the stored one and says so.
//!
//! Where a new key comes from, in order (non-interactive): the plugin's flag, its environment
//! variables in their order, an existing profile, the plugin's token file (where the provider's
//! own login tool, `hf auth login` for Hugging Face, leaves one). In `ref` secret mode the
//! profile stores the name of the environment variable holding the key instead of the key. A key
//! from the token file is used from there and never copied into the profile store: such tokens
//! may be short-lived and renewed in that file, and a copy would go stale (the credential order
//! reaches the file whenever no profile holds a key).

use openclaw_provider_abi::{
    AccountInfo, AuthMethod, OnboardingRequest, ProviderError, Secret, SecretInputMode, Timeouts,
    Tristate,
};
use provider_host::{
    credentials::{self, CredentialSource, Lookup, StoredKey},
    plugin::LoadedPlugin,
};
use serde::Serialize;

use crate::{
    config::{Config, merge_patch},
    credential_stores::own::ProfileStore,
    host::Host,
};

/// Where the key being onboarded comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KeySource {
    Flag {
        flag: String,
    },
    Env {
        variable: String,
    },
    Prompt,
    /// Already stored: nothing new to store.
    Profile {
        profile: String,
    },
    /// The plugin's token file: used from there, nothing stored.
    File {
        path: String,
    },
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Flag { flag } => write!(f, "{flag}"),
            Self::Env { variable } => write!(f, "${variable}"),
            Self::Prompt => f.write_str("the prompt"),
            Self::Profile { profile } => write!(f, "the stored profile {profile}"),
            Self::File { path } => write!(f, "the token file {path}"),
        }
    }
}

/// The key to onboard.
#[derive(Clone, Debug)]
pub struct KeyChoice {
    pub secret: Secret,
    pub source: KeySource,
}

/// Why onboarding stopped.
#[derive(Debug, thiserror::Error)]
pub enum OnboardError {
    /// Input is missing or unusable (exit code 2).
    #[error("{0}")]
    Input(String),
    /// Something failed (exit code 1).
    #[error("{0}")]
    Failed(String),
}

impl From<ProviderError> for OnboardError {
    fn from(error: ProviderError) -> Self {
        Self::Failed(error.to_string())
    }
}

/// Cleans a pasted key the way people paste them: surrounding white space, a leading
/// `export NAME=` or `NAME=`, one pair of quotes, a trailing `;`. Refuses what cannot be a key.
pub fn normalize_key_input(raw: &str) -> Result<String, String> {
    let mut key = raw.trim();
    key = key
        .strip_prefix("export ")
        .map(str::trim_start)
        .unwrap_or(key);
    if let Some((name, value)) = key.split_once('=')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        key = value.trim();
    }
    key = key.strip_suffix(';').unwrap_or(key).trim();
    for quote in ['"', '\'', '`'] {
        if key.len() >= 2 && key.starts_with(quote) && key.ends_with(quote) {
            key = &key[1..key.len() - 1];
            break;
        }
    }
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    if key.contains(['\n', '\r']) {
        return Err("the key contains a line break; give it on one line".into());
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the key contains spaces or control characters".into());
    }
    Ok(key.to_owned())
}

/// The method's environment variables as a person reads them: `HF_TOKEN or HUGGINGFACE_HUB_TOKEN`.
pub fn env_var_choices(method: &AuthMethod) -> String {
    let vars: Vec<&str> = method.env_vars.iter().map(|v| v.as_str()).collect();
    vars.join(" or ")
}

/// The ways to give a key, for the message when none was given.
pub fn ways_to_give_a_key(method: &AuthMethod) -> String {
    let file = credentials::credential_file(method)
        .map(|path| {
            format!(
                ", or log in with the provider's own tool so that {} holds a token",
                path.display()
            )
        })
        .unwrap_or_default();
    format!(
        "no {} given: pass {}, or set {}{file}, or onboard interactively once to store a profile",
        method.label,
        method.cli_option,
        env_var_choices(method)
    )
}

/// The key in the plugin's token file, if it holds a usable one.
pub fn key_from_token_file(method: &AuthMethod) -> Option<KeyChoice> {
    credentials::sources(
        method,
        &Lookup {
            explicit: None,
            profiles: &[],
            configured: None,
        },
    )
    .filter(|candidate| matches!(candidate.source, CredentialSource::File { .. }))
    .find_map(credentials::Candidate::into_credential)
    .map(|credential| KeyChoice {
        source: KeySource::File {
            path: match &credential.source {
                CredentialSource::File { path } => path.display().to_string(),
                other => other.to_string(),
            },
        },
        secret: credential.secret,
    })
}

/// The key given with the method's flag.
pub fn choose_key_from_flag(
    method: &AuthMethod,
    flag_value: Option<&str>,
) -> Result<KeyChoice, OnboardError> {
    let value = flag_value.unwrap_or_default();
    let key = normalize_key_input(value)
        .map_err(|why| OnboardError::Input(format!("{}: {why}", method.cli_flag)))?;
    Ok(KeyChoice {
        secret: Secret::new(&key).ok_or_else(|| OnboardError::Input("the key is empty".into()))?,
        source: KeySource::Flag {
            flag: method.cli_flag.to_string(),
        },
    })
}

/// Picks the key for a non-interactive run: the flag, else the environment, else an existing
/// profile (which is then left as it is), else the token file (used from there).
pub fn choose_key(
    host: &Host,
    method: &AuthMethod,
    flag_value: Option<&str>,
) -> Result<KeyChoice, OnboardError> {
    if flag_value.is_some() {
        return choose_key_from_flag(method, flag_value);
    }
    for variable in method.env_vars.iter() {
        if let Ok(value) = std::env::var(variable.as_str())
            && let Some(secret) = Secret::new(&value)
        {
            return Ok(KeyChoice {
                secret,
                source: KeySource::Env {
                    variable: variable.to_string(),
                },
            });
        }
    }
    let profiles = host
        .stored(method)
        .map_err(|err| OnboardError::Failed(err.to_string()))?
        .profiles;
    let stored = credentials::candidates(
        method,
        &Lookup {
            explicit: None,
            profiles: &profiles,
            configured: None,
        },
    )
    .into_iter()
    .filter(|c| {
        matches!(
            c.source,
            CredentialSource::Profile { .. } | CredentialSource::ProfileEnvRef { .. }
        )
    })
    .find_map(credentials::Candidate::into_credential);
    if let Some(credential) = stored {
        let profile = match &credential.source {
            CredentialSource::Profile { profile, .. }
            | CredentialSource::ProfileEnvRef { profile, .. } => profile.clone(),
            other => other.to_string(),
        };
        return Ok(KeyChoice {
            secret: credential.secret,
            source: KeySource::Profile { profile },
        });
    }
    key_from_token_file(method).ok_or_else(|| OnboardError::Input(ways_to_give_a_key(method)))
}

/// What to apply.
#[derive(Clone, Debug)]
pub struct Plan {
    pub key: KeyChoice,
    pub secret_mode: SecretInputMode,
    /// The model the user picked; the plugin's default when absent.
    pub chosen_model: Option<String>,
    /// Check the key with the service before storing anything.
    pub validate: bool,
}

/// What onboarding did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub ok: bool,
    pub provider: String,
    pub profile: String,
    pub key_source: KeySource,
    pub secret_mode: String,
    /// The key as shown to people.
    pub key: String,
    /// The environment variable the profile refers to (ref mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_env_var: Option<String>,
    /// The masked key this run replaced, if it replaced one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_key: Option<String>,
    pub profile_changed: bool,
    pub config_changed: bool,
    pub default_model: String,
    pub config_path: String,
    pub notes: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountView>,
}

/// What validation found, for the report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub account: String,
    pub token_name: String,
    pub role: String,
    pub can_call_provider: Option<bool>,
    pub message: String,
}

impl From<&AccountInfo> for AccountView {
    fn from(info: &AccountInfo) -> Self {
        Self {
            account: info.account_name.to_string(),
            token_name: info.credential_name.to_string(),
            role: info.credential_role.to_string(),
            can_call_provider: info.can_call_provider.known(),
            message: info.message.to_string(),
        }
    }
}

/// Checks a key with the plugin.
pub fn validate(
    host: &Host,
    plugin: &LoadedPlugin,
    secret: &Secret,
) -> Result<AccountInfo, ProviderError> {
    let settings = host.config.provider_settings(plugin.id());
    plugin.validate_credential(&settings.call_context(Some(secret), Timeouts::default()))
}

/// Applies a plan: validates (if asked), asks the plugin for the result, stores the profile and
/// patches the configuration.
pub fn apply(
    host: &Host,
    plugin: &LoadedPlugin,
    method: &AuthMethod,
    plan: &Plan,
) -> Result<Report, OnboardError> {
    let account = if plan.validate {
        let info = validate(host, plugin, &plan.key.secret).map_err(|err| {
            OnboardError::Failed(format!(
                "the key could not be validated: {err} (nothing was stored; run again without \
                 --validate to store it unchecked)"
            ))
        })?;
        if info.can_call_provider == Tristate::NO {
            return Err(OnboardError::Failed(format!(
                "{} (nothing was stored)",
                info.message
            )));
        }
        Some(AccountView::from(&info))
    } else {
        None
    };

    let key_env_var = match (plan.secret_mode, &plan.key.source) {
        // Nothing is stored for a key used from its file, in either mode.
        (_, KeySource::File { .. }) => None,
        (SecretInputMode::REF, KeySource::Env { variable }) => Some(variable.clone()),
        (SecretInputMode::REF, KeySource::Profile { .. }) => None,
        (SecretInputMode::REF, _) => {
            // A reference needs a variable that holds this very key.
            let variable = method.env_vars.iter().find(|v| {
                std::env::var(v.as_str())
                    .ok()
                    .and_then(|value| Secret::new(&value))
                    .is_some_and(|value| value == plan.key.secret)
            });
            match variable {
                Some(variable) => Some(variable.to_string()),
                None => {
                    return Err(OnboardError::Input(format!(
                        "--secret-input-mode ref stores the name of an environment variable, not the \
                         key: set {} to the key and run again",
                        env_var_choices(method)
                    )));
                }
            }
        }
        _ => None,
    };

    let request = OnboardingRequest {
        method_id: method.method_id.clone(),
        secret_mode: plan.secret_mode,
        key_env_var: key_env_var.clone().unwrap_or_default().into(),
        chosen_model: plan.chosen_model.clone().unwrap_or_default().into(),
        current_config_json: host.config.root.to_string().into(),
    };
    let result = plugin.onboarding_result(&request)?;
    let patch: serde_json::Value =
        serde_json::from_str(&result.config_patch_json).map_err(|err| {
            OnboardError::Failed(format!("the plugin's config patch is not JSON: {err}"))
        })?;

    let provider = result.profile.provider_id.to_string();
    let profile_id = result.profile.profile_id.to_string();
    let (profile_changed, replaced_key) = match &plan.key.source {
        KeySource::Profile { .. } | KeySource::File { .. } => (false, None),
        _ => {
            let stored = match &key_env_var {
                Some(variable) => StoredKey::EnvRef(variable.clone()),
                None => StoredKey::Plain(plan.key.secret.clone()),
            };
            ProfileStore::update(&host.paths.host_stub_dir(), |store| {
                let previous = store.upsert(&profile_id, &provider, &stored);
                let previous_key = previous.and_then(|p| p.key);
                let changed = previous_key.as_ref() != Some(&stored);
                let replaced = match previous_key {
                    Some(StoredKey::Plain(old)) if old != plan.key.secret => Some(old.masked()),
                    Some(StoredKey::EnvRef(old)) if Some(&old) != key_env_var.as_ref() => {
                        Some(format!("${old}"))
                    }
                    _ => None,
                };
                (changed, replaced)
            })
            .map_err(|err| OnboardError::Failed(err.to_string()))?
        }
    };
    let ((), config_changed) = Config::update(&host.config.path, |root| {
        merge_patch(root, &patch);
        Ok(())
    })
    .map_err(|err| OnboardError::Failed(err.to_string()))?;

    Ok(Report {
        ok: true,
        provider,
        profile: profile_id,
        key_source: plan.key.source.clone(),
        secret_mode: plan.secret_mode.to_string(),
        key: plan.key.secret.masked(),
        key_env_var,
        replaced_key,
        profile_changed,
        config_changed,
        default_model: result.default_model.to_string(),
        config_path: host.config.path.display().to_string(),
        notes: result
            .notes
            .iter()
            .map(|n| (n.title.to_string(), n.message.to_string()))
            .collect(),
        account,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_keys_are_cleaned_and_bad_ones_refused() {
        for (raw, key) in [
            ("  hf_abc123  ", "hf_abc123"),
            ("export HF_TOKEN=hf_abc123", "hf_abc123"),
            ("HF_TOKEN=\"hf_abc123\";", "hf_abc123"),
            ("'hf_abc123'", "hf_abc123"),
            ("`hf_abc123`", "hf_abc123"),
        ] {
            assert_eq!(normalize_key_input(raw).unwrap(), key, "{raw:?}");
        }
        for raw in ["", "   ", "\"\"", "hf_abc\nhf_def", "hf_ab cd", "hf_\u{7}x"] {
            assert!(normalize_key_input(raw).is_err(), "{raw:?}");
        }
    }
}
