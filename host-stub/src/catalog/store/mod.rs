//! The persisted catalog, `agents/main/agent/models.json` under the state directory:
//! `{"providers": {"<id>": {baseUrl, api, generated: {snapshots}, models: [rows], refresh}}}`.
//!
//! Each write happens under a lock, re-reads the file, replaces one provider's block and writes
//! the whole file atomically (0600), so concurrent refreshes of different providers keep each
//! other's work and a reader never sees a torn file. Other providers' blocks (and unknown
//! top-level keys) are carried over as raw JSON, unparsed. A file that cannot be parsed is never
//! silently overwritten: it is moved aside first, and the caller is told where.

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use self::{
    document::{Parsed, parse, read_text},
    write::{digest, write_block},
};
use super::{
    merge::{PreviousEdits, Snapshots},
    rows::Row,
};
use crate::files::{FileLock, write_atomic_with};

mod document;
mod write;

/// The file's name inside the agent directory.
pub const MODELS_FILE: &str = "models.json";

/// One provider's persisted block.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderBlock {
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub api: Option<String>,
    /// The rows; each carries its snapshot of generated values, written beside them as
    /// `generated`.
    #[serde(default)]
    pub models: Vec<Row>,
    #[serde(default)]
    pub refresh: Refresh,
    /// A digest of the `models` array exactly as last written: when it still matches, nobody
    /// edited a row, and a refresh can skip looking for edits.
    #[serde(default)]
    pub rows_digest: Option<String>,
}

/// When and from what the block was last refreshed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Refresh {
    /// Unix seconds.
    #[serde(default)]
    pub at: Option<u64>,
    #[serde(default)]
    pub source: Option<String>,
}

/// Why the file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: cannot read the persisted catalog: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("{path}: the persisted catalog is not valid JSON ({message})")]
    Malformed { path: PathBuf, message: String },
    #[error("{path}: cannot write the persisted catalog: {message}")]
    Unwritable { path: PathBuf, message: String },
}

/// The path of the file in `agent_dir`.
pub fn models_path(agent_dir: &Path) -> PathBuf {
    agent_dir.join(MODELS_FILE)
}
/// The persisted block of `provider`, if the file has one.
pub fn load(path: &Path, provider: &str) -> Result<Option<ProviderBlock>, StoreError> {
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    Ok(parse::<ProviderBlock>(&text, provider, path)?.ours)
}

/// A provider block with its rows left raw: enough to find the user's edits without parsing
/// the upstream lists a refresh is about to replace.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Skim<'a> {
    #[serde(default, borrow)]
    generated: Option<&'a RawValue>,
    #[serde(default, borrow)]
    models: Option<&'a RawValue>,
    #[serde(default)]
    rows_digest: Option<String>,
}

impl Skim<'_> {
    /// The user's edits (see [`PreviousEdits`]); nothing to do when the rows are byte for byte
    /// what was last written.
    fn edits(&self) -> Result<PreviousEdits, serde_json::Error> {
        let mut edits = PreviousEdits::default();
        let Some(models) = self.models else {
            return Ok(edits);
        };
        if self.rows_digest.as_deref() == Some(digest(models.get().as_bytes()).as_str()) {
            return Ok(edits);
        }
        let generated: Snapshots = match self.generated {
            Some(raw) => serde_json::from_str(raw.get())?,
            None => Snapshots::new(),
        };
        let rows: Vec<&RawValue> = serde_json::from_str(models.get())?;
        for row in rows {
            if let Some(user_part) = Row::user_part(row) {
                edits.record(
                    &user_part,
                    || serde_json::from_str(row.get()).ok(),
                    &generated,
                );
            }
        }
        Ok(edits)
    }
}

/// The edits a user made to `provider`'s persisted rows, for showing a catalog without
/// refreshing it.
pub fn load_edits(path: &Path, provider: &str) -> Result<PreviousEdits, StoreError> {
    let Some(text) = read_text(path)? else {
        return Ok(PreviousEdits::default());
    };
    let parsed = parse::<Skim>(&text, provider, path)?;
    match parsed.ours {
        Some(skim) => skim.edits().map_err(|err| StoreError::Malformed {
            path: path.to_path_buf(),
            message: format!("the \"{provider}\" block: {err}"),
        }),
        None => Ok(PreviousEdits::default()),
    }
}

/// What a save did besides writing.
#[derive(Debug, Default)]
pub struct Saved {
    /// Where an unparseable earlier file was moved, if one was.
    pub moved_aside: Option<PathBuf>,
}

/// Replaces `provider`'s block: under the file's lock, reads the file once, hands the user's
/// edits of the current block to `build`, and writes what it returns — keeping every other
/// provider's block and top-level key as it was.
pub fn update(
    path: &Path,
    provider: &str,
    build: impl FnOnce(PreviousEdits, &mut Vec<String>) -> ProviderBlock,
    warnings: &mut Vec<String>,
) -> Result<(ProviderBlock, Saved), StoreError> {
    let unwritable = |message: String| StoreError::Unwritable {
        path: path.to_path_buf(),
        message,
    };
    let _lock =
        FileLock::acquire(path).map_err(|err| unwritable(format!("cannot lock it: {err}")))?;
    let mut saved = Saved::default();
    let text = read_text(path)?.unwrap_or_default();
    let empty = || Parsed {
        others_top: Vec::new(),
        other_providers: Vec::new(),
        ours: None,
    };
    let parsed: Parsed<'_, Skim> = if text.trim().is_empty() {
        empty()
    } else {
        match parse(&text, provider, path) {
            Ok(parsed) => parsed,
            Err(StoreError::Malformed { .. }) => {
                let aside = path.with_extension(format!("json.broken-{}", now()));
                std::fs::rename(path, &aside).map_err(|err| {
                    unwritable(format!("cannot move the broken file aside: {err}"))
                })?;
                saved.moved_aside = Some(aside);
                empty()
            }
            Err(err) => return Err(err),
        }
    };
    let previous = match &parsed.ours {
        Some(skim) => skim.edits().unwrap_or_else(|err| {
            warnings.push(format!(
                "{}: hand edits to the \"{provider}\" rows could not be read ({err}); they are \
                 replaced",
                path.display()
            ));
            PreviousEdits::default()
        }),
        None => PreviousEdits::default(),
    };
    let block = build(previous, warnings);
    write_atomic_with(path, 0o600, |out| {
        let key = |name: &str| serde_json::to_string(name).map_err(std::io::Error::other);
        out.write_all(b"{\n\"providers\": {")?;
        let mut names: Vec<&str> = parsed
            .other_providers
            .iter()
            .map(|(name, _)| name.as_str())
            .chain(std::iter::once(provider))
            .collect();
        names.sort_unstable();
        names.dedup();
        for (index, name) in names.iter().enumerate() {
            out.write_all(if index == 0 { b"\n" } else { b",\n" })?;
            out.write_all(key(name)?.as_bytes())?;
            out.write_all(b": ")?;
            if *name == provider {
                write_block(out, &block)?;
            } else if let Some((_, raw)) = parsed.other_providers.iter().find(|(n, _)| n == name) {
                out.write_all(raw.get().as_bytes())?;
            }
        }
        out.write_all(b"\n}")?;
        for (name, raw) in &parsed.others_top {
            out.write_all(b",\n")?;
            out.write_all(key(name)?.as_bytes())?;
            out.write_all(b": ")?;
            out.write_all(raw.get().as_bytes())?;
        }
        out.write_all(b"\n}\n")
    })
    .map_err(|err| unwritable(err.to_string()))?;
    Ok((block, saved))
}

/// Now, in Unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(id: &str) -> ProviderBlock {
        ProviderBlock {
            base_url: Some("https://x/v1".into()),
            api: Some("openai-completions".into()),
            models: vec![Row {
                id: id.into(),
                ..Row::default()
            }],
            refresh: Refresh {
                at: Some(42),
                source: Some("live".into()),
            },
            ..ProviderBlock::default()
        }
    }

    #[test]
    fn edits_are_found_only_when_the_rows_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let path = models_path(tmp.path());
        let mut written = block("m1");
        written.models[0].filled.name = Some("M".into());
        save(&path, "a", &written).unwrap();
        assert!(load(&path, "a").unwrap().unwrap().rows_digest.is_some());
        assert!(load_edits(&path, "a").unwrap().edits.is_empty());
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replace(r#""id":"m1","name":"M""#, r#""id":"m1","name":"Mine""#);
        assert_ne!(edited, text);
        std::fs::write(&path, edited).unwrap();
        let edits = load_edits(&path, "a").unwrap();
        assert_eq!(edits.edits["m1"].filled.name.as_deref(), Some("Mine"));
    }

    fn save(path: &Path, provider: &str, block: &ProviderBlock) -> Result<Saved, StoreError> {
        let block = block.clone();
        update(path, provider, move |_, _| block, &mut Vec::new()).map(|(_, saved)| saved)
    }

    #[test]
    fn saves_one_provider_and_keeps_the_others() {
        let tmp = tempfile::tempdir().unwrap();
        let path = models_path(tmp.path());
        assert_eq!(load(&path, "a").unwrap(), None);
        save(&path, "a", &block("m1")).unwrap();
        save(&path, "b", &block("m2")).unwrap();
        save(&path, "a", &block("m3")).unwrap();
        assert_eq!(load(&path, "a").unwrap().unwrap().models[0].id, "m3");
        assert_eq!(load(&path, "b").unwrap().unwrap().models[0].id, "m2");
        assert_eq!(load(&path, "b").unwrap().unwrap().refresh.at, Some(42));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "{text}"
        );
    }

    #[test]
    fn unknown_top_level_keys_survive() {
        let tmp = tempfile::tempdir().unwrap();
        let path = models_path(tmp.path());
        std::fs::write(
            &path,
            r#"{"providers": {"x": {"weird": [1,2]}}, "mode": "merge"}"#,
        )
        .unwrap();
        save(&path, "a", &block("m1")).unwrap();
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["mode"], "merge");
        assert_eq!(doc["providers"]["x"]["weird"][1], 2);
        assert_eq!(doc["providers"]["a"]["models"][0]["id"], "m1");
    }

    #[test]
    fn a_broken_file_is_reported_and_moved_aside_not_lost() {
        let tmp = tempfile::tempdir().unwrap();
        let path = models_path(tmp.path());
        std::fs::write(&path, "{ broken").unwrap();
        assert!(matches!(
            load(&path, "a"),
            Err(StoreError::Malformed { .. })
        ));
        let saved = save(&path, "a", &block("m1")).unwrap();
        let aside = saved.moved_aside.unwrap();
        assert_eq!(std::fs::read_to_string(aside).unwrap(), "{ broken");
        assert_eq!(load(&path, "a").unwrap().unwrap().models.len(), 1);
    }
}
