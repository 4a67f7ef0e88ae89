//! host-stub's credential store: `host-stub/auth-profiles.json` under the state directory, in
//! OpenClaw's profile format — `{version: 1, profiles: {"<provider>:default": {type: "api_key",
//! provider, key}}}`, or `keyRef: {source: "env", id: "HF_TOKEN"}` instead of `key` in ref
//! mode; `type: "token"` profiles (`token`/`tokenRef`) are read too. Mode 0600, written
//! atomically under a lock; keys the host does not know are kept.
//!
//! This is the only file a credential is ever written to. It is not OpenClaw's
//! `agents/main/agent/auth-profiles.json`: OpenClaw 2026.9.6 treats a file there as a legacy
//! store and refuses its Hugging Face keys until `openclaw doctor --fix` imports it. That file is
//! only read (see [`crate::credential_stores`]), as is OpenClaw's SQLite store.

use std::path::{Path, PathBuf};

use openclaw_provider_abi::Secret;
use provider_host::credentials::{StoredKey, StoredProfile};
use serde_json::{Map, Value, json};

use crate::files::{FileLock, write_atomic};

/// The store's file name.
pub const PROFILES_FILE: &str = "auth-profiles.json";

/// Why the store could not be read or written. Never contains a key.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{path}: cannot read the credential store: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("{path}: the credential store is not valid JSON ({message}); fix or remove it")]
    Malformed { path: PathBuf, message: String },
    #[error("{path}: cannot write the credential store: {message}")]
    Unwritable { path: PathBuf, message: String },
}

/// The parsed store.
#[derive(Clone, Debug)]
pub struct ProfileStore {
    path: PathBuf,
    document: Value,
    /// What the store is called when its profiles are shown.
    label: String,
}

/// The largest credential store read.
const MAX_PROFILES_BYTES: u64 = 16 * 1024 * 1024;

impl ProfileStore {
    /// The store in `dir` (shown as `label`); a missing file is an empty store.
    pub fn load(dir: &Path, label: &str) -> Result<Self, ProfileError> {
        let path = dir.join(PROFILES_FILE);
        let document = match provider_host::bounded::read(&path, MAX_PROFILES_BYTES) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| ProfileError::Malformed {
                path: path.clone(),
                // serde_json's message names a position, never the text around it.
                message: err.to_string(),
            })?,
            Err(err) if err.is_missing() => json!({"version": 1, "profiles": {}}),
            Err(err) => {
                return Err(ProfileError::Unreadable {
                    path,
                    message: err.to_string(),
                });
            }
        };
        Ok(Self::from_document(path, document, label))
    }

    /// A store whose document was read elsewhere (OpenClaw's database).
    pub fn from_document(path: PathBuf, document: Value, label: &str) -> Self {
        Self {
            path,
            document,
            label: label.to_owned(),
        }
    }

    /// Every profile in the store.
    pub fn profiles(&self) -> Vec<StoredProfile> {
        let Some(profiles) = self.document.get("profiles").and_then(Value::as_object) else {
            return Vec::new();
        };
        profiles
            .iter()
            .map(|(id, entry)| parse_profile(id, entry, &self.label))
            .collect()
    }

    /// The profiles of one provider: the ids in `order` first (the config's `auth.order`), then
    /// `<provider>:default`, then the rest by id.
    pub fn profiles_for(&self, provider: &str, order: &[String]) -> Vec<StoredProfile> {
        let mut mine: Vec<StoredProfile> = self
            .profiles()
            .into_iter()
            .filter(|p| p.provider == provider)
            .collect();
        let default_id = format!("{provider}:default");
        let rank = |profile: &StoredProfile| {
            order
                .iter()
                .position(|id| *id == profile.id)
                .unwrap_or(order.len() + usize::from(profile.id != default_id))
        };
        mine.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.id.cmp(&b.id)));
        mine
    }

    /// Inserts or replaces a profile; returns the previous one.
    pub fn upsert(&mut self, id: &str, provider: &str, key: &StoredKey) -> Option<StoredProfile> {
        let previous = self.profiles().into_iter().find(|p| p.id == id);
        let mut entry = Map::new();
        entry.insert("type".into(), "api_key".into());
        entry.insert("provider".into(), provider.into());
        match key {
            StoredKey::Plain(secret) => {
                entry.insert("key".into(), secret.expose().into());
            }
            StoredKey::EnvRef(name) => {
                entry.insert(
                    "keyRef".into(),
                    json!({"source": "env", "provider": "default", "id": name}),
                );
            }
            StoredKey::Unsupported(source) => {
                entry.insert("keyRef".into(), json!({"source": source}));
            }
        }
        if !self.document.is_object() {
            self.document = json!({});
        }
        let root = self.document.as_object_mut().expect("made an object above");
        root.entry("version").or_insert(json!(1));
        let profiles = root
            .entry("profiles")
            .or_insert_with(|| Value::Object(Map::new()));
        if !profiles.is_object() {
            *profiles = Value::Object(Map::new());
        }
        if let Some(profiles) = profiles.as_object_mut() {
            profiles.insert(id.to_owned(), Value::Object(entry));
        }
        previous
    }

    /// Writes the store (0600, atomically); only under the store's lock, in [`Self::update`].
    fn save(&self) -> Result<(), ProfileError> {
        let text = serde_json::to_string_pretty(&self.document).unwrap_or_default() + "\n";
        write_atomic(&self.path, text.as_bytes(), 0o600).map_err(|err| ProfileError::Unwritable {
            path: self.path.clone(),
            message: err.to_string(),
        })
    }

    /// Runs `edit` on the freshest store under the store's lock, then saves it: two onboardings
    /// at once both keep their profiles.
    pub fn update<T>(
        dir: &Path,
        edit: impl FnOnce(&mut ProfileStore) -> T,
    ) -> Result<T, ProfileError> {
        let path = dir.join(PROFILES_FILE);
        let _lock = FileLock::acquire(&path).map_err(|err| ProfileError::Unwritable {
            path: path.clone(),
            message: format!("cannot lock it: {err}"),
        })?;
        let mut store = Self::load(dir, "")?;
        let result = edit(&mut store);
        store.save()?;
        Ok(result)
    }
}

fn parse_profile(id: &str, entry: &Value, store: &str) -> StoredProfile {
    let text = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or_default();
    // A token profile holds its bearer token as `token`/`tokenRef`, an API-key one as
    // `key`/`keyRef`; both are sent the same way.
    let (value, reference) = match text("type") {
        "token" => ("token", "tokenRef"),
        _ => ("key", "keyRef"),
    };
    let key = match (entry.get(value), entry.get(reference)) {
        (Some(Value::String(key)), _) => Secret::new(key).map(StoredKey::Plain),
        (_, Some(reference)) => {
            let source = reference
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or("");
            match (source, reference.get("id").and_then(Value::as_str)) {
                ("env", Some(name)) if !name.trim().is_empty() => {
                    Some(StoredKey::EnvRef(name.trim().to_owned()))
                }
                (source, _) => Some(StoredKey::Unsupported(source.to_owned())),
            }
        }
        _ => None,
    };
    StoredProfile {
        id: id.to_owned(),
        provider: text("provider").to_owned(),
        kind: text("type").to_owned(),
        key,
        store: store.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn reads_plain_and_ref_profiles_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(PROFILES_FILE),
            r#"{"version":1,"profiles":{
                "huggingface:work":{"type":"api_key","provider":"huggingface","keyRef":{"source":"env","id":"WORK_TOKEN"}},
                "huggingface:default":{"type":"api_key","provider":"huggingface","key":" hf_plainplainplain "},
                "huggingface:vault":{"type":"api_key","provider":"huggingface","keyRef":{"source":"exec"}},
                "other:default":{"type":"api_key","provider":"other","key":"x"}},"extra":true}"#,
        )
        .unwrap();
        let store = ProfileStore::load(tmp.path(), "").unwrap();
        let ids: Vec<String> = store
            .profiles_for("huggingface", &[])
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(
            ids,
            [
                "huggingface:default",
                "huggingface:vault",
                "huggingface:work"
            ]
        );
        let ordered = store.profiles_for("huggingface", &["huggingface:work".into()]);
        assert_eq!(ordered[0].key, Some(StoredKey::EnvRef("WORK_TOKEN".into())));
        match &ordered[1].key {
            Some(StoredKey::Plain(secret)) => assert_eq!(secret.expose(), "hf_plainplainplain"),
            other => panic!("{other:?}"),
        }
        assert!(!format!("{ordered:?}").contains("hf_plainplainplain"));
    }

    #[test]
    fn updates_keep_unknown_keys_and_write_0600() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(PROFILES_FILE),
            r#"{"version":1,"profiles":{},"keep":7}"#,
        )
        .unwrap();
        let secret = Secret::new("hf_newnewnewnewnew").unwrap();
        let previous = ProfileStore::update(tmp.path(), |store| {
            store.upsert(
                "huggingface:default",
                "huggingface",
                &StoredKey::Plain(secret.clone()),
            )
        })
        .unwrap();
        assert!(previous.is_none());
        let text = std::fs::read_to_string(tmp.path().join(PROFILES_FILE)).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["keep"], 7);
        assert_eq!(
            doc["profiles"]["huggingface:default"]["key"],
            "hf_newnewnewnewnew"
        );
        let mode = std::fs::metadata(tmp.path().join(PROFILES_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_malformed_store_is_reported_without_its_content() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(PROFILES_FILE),
            "{\"key\": \"hf_leakleakleak\", oops",
        )
        .unwrap();
        let err = ProfileStore::load(tmp.path(), "").unwrap_err().to_string();
        assert!(err.contains("not valid JSON"));
        assert!(!err.contains("hf_leakleakleak"));
    }
}
