//! What host-stub remembers about a named conversation (`chat --session NAME`) between runs:
//! the upstream that last served each model in it, so the next turn asks that upstream again
//! and its prompt cache keeps hitting (the plugin decides whether to, see the ABI's
//! `ChatRequest::session_upstream`). Kept in `<state>/host-stub/chat-sessions.json`, at most
//! [`MAX_SESSIONS`] conversations, the least recently used forgotten first. It is a hint, not a
//! record: an unreadable file is started afresh, and two runs finishing at once may each keep
//! only their own update.

use std::{collections::BTreeMap, path::PathBuf};

use serde::{Deserialize, Serialize};

use crate::paths::StatePaths;

/// The most conversations remembered.
pub const MAX_SESSIONS: usize = 256;
/// The most models remembered per conversation.
const MAX_MODELS: usize = 16;
/// The largest file read.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// The longest session name or model ref kept.
const MAX_NAME: usize = 256;

#[derive(Default, Serialize, Deserialize)]
struct Store {
    #[serde(default)]
    sessions: BTreeMap<String, Session>,
}

#[derive(Default, Clone, Serialize, Deserialize)]
struct Session {
    /// When it was last used, Unix milliseconds.
    #[serde(default, rename = "usedAt")]
    used_at: u64,
    /// The upstream that last served each model ref.
    #[serde(default)]
    upstreams: BTreeMap<String, String>,
}

/// One named conversation's memory.
pub struct ChatSession {
    path: PathBuf,
    name: String,
    upstreams: BTreeMap<String, String>,
}

impl ChatSession {
    /// The conversation `name` as remembered (empty when new or unreadable).
    pub fn open(paths: &StatePaths, name: &str) -> Result<Self, String> {
        if name.trim().is_empty() || name.len() > MAX_NAME {
            return Err(format!(
                "a session name is 1 to {MAX_NAME} characters, not blank"
            ));
        }
        let path = paths.host_stub_dir().join("chat-sessions.json");
        let upstreams = read_store(&path)
            .sessions
            .remove(name)
            .map(|session| session.upstreams)
            .unwrap_or_default();
        Ok(Self {
            path,
            name: name.to_owned(),
            upstreams,
        })
    }

    /// The upstream that last served each model ref in this conversation.
    pub fn upstreams(&self) -> &BTreeMap<String, String> {
        &self.upstreams
    }

    /// Remembers that `upstream` served `model_ref`, and writes the store.
    pub fn remember(&mut self, model_ref: &str, upstream: &str) -> std::io::Result<()> {
        if model_ref.len() > MAX_NAME || upstream.len() > MAX_NAME {
            return Ok(());
        }
        self.upstreams
            .insert(model_ref.to_owned(), upstream.to_owned());
        while self.upstreams.len() > MAX_MODELS {
            let Some(first) = self.upstreams.keys().next().cloned() else {
                break;
            };
            self.upstreams.remove(&first);
        }
        let mut store = read_store(&self.path);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
        store.sessions.insert(
            self.name.clone(),
            Session {
                used_at: now,
                upstreams: self.upstreams.clone(),
            },
        );
        while store.sessions.len() > MAX_SESSIONS {
            let Some(oldest) = store
                .sessions
                .iter()
                .min_by_key(|(_, session)| session.used_at)
                .map(|(name, _)| name.clone())
            else {
                break;
            };
            store.sessions.remove(&oldest);
        }
        let text = serde_json::to_vec_pretty(&store).map_err(std::io::Error::other)?;
        crate::files::write_atomic(&self.path, &text, 0o600)
    }
}

/// The store, or an empty one when missing, too large or not ours.
fn read_store(path: &std::path::Path) -> Store {
    provider_host::bounded::read(path, MAX_FILE_BYTES)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dir: &std::path::Path) -> StatePaths {
        StatePaths::resolve(Some(dir))
    }

    #[test]
    fn a_session_remembers_each_models_upstream_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = ChatSession::open(&paths(dir.path()), "work").unwrap();
        assert_eq!(session.upstreams().get("huggingface/a/b"), None);
        session.remember("huggingface/a/b", "together").unwrap();
        let again = ChatSession::open(&paths(dir.path()), "work").unwrap();
        assert_eq!(
            again.upstreams().get("huggingface/a/b").map(String::as_str),
            Some("together")
        );
        let other = ChatSession::open(&paths(dir.path()), "play").unwrap();
        assert_eq!(other.upstreams().get("huggingface/a/b"), None);
        assert!(ChatSession::open(&paths(dir.path()), " ").is_err());
    }

    #[test]
    fn a_damaged_store_starts_afresh_and_the_oldest_sessions_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("host-stub/chat-sessions.json");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, b"{not json").unwrap();
        let mut session = ChatSession::open(&paths(dir.path()), "s0").unwrap();
        session.remember("m", "together").unwrap();
        for n in 1..=MAX_SESSIONS {
            ChatSession::open(&paths(dir.path()), &format!("s{n}"))
                .unwrap()
                .remember("m", "novita")
                .unwrap();
        }
        let store = read_store(&file);
        assert_eq!(store.sessions.len(), MAX_SESSIONS);
        assert!(!store.sessions.contains_key("s0"));
    }
}
