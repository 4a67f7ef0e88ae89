//! The configuration file (`$OPENCLAW_CONFIG_PATH`, else `<state dir>/openclaw.json`): read as
//! JSON5 as OpenClaw reads it, looked up by path, and changed safely.
//!
//! Changes go through [`Config::update`]: under an exclusive lock the file is read afresh (so
//! two processes changing different things both keep their change), the edit is applied, the
//! previous file is kept as `<file>.bak`, and the new one replaces it atomically with mode 0600.
//! A file that cannot be parsed is reported with its line and column and never overwritten.
//! Keys the host does not know are kept; comments and JSON5 syntax are not (the file is written
//! back as JSON, as OpenClaw writes it).
//!
//! Paths are dotted (`plugins.load.paths`); a key holding dots or slashes — a model ref — is
//! written in brackets: `agents.defaults.models["huggingface/zai-org/GLM-4.7"].alias`.

use std::path::{Path, PathBuf};

use provider_host::provider_settings::ProviderSettings;
use serde_json::{Map, Value};

use crate::files::{FileLock, write_atomic};

/// Why the configuration could not be read or written. Renders as one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration: {0}")]
    Unreadable(provider_host::bounded::ReadError),
    #[error(
        "{path}: the configuration is not valid JSON5: {message}; fix it (it is left as it is)"
    )]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: the configuration must be a JSON object; fix it (it is left as it is)")]
    NotAnObject { path: PathBuf },
    #[error("{path}: cannot write the configuration: {message}")]
    Unwritable { path: PathBuf, message: String },
    #[error("{0}")]
    Path(String),
}

/// The parsed configuration; a missing file reads as an empty object.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub path: PathBuf,
    pub root: Value,
    /// Whether the file existed.
    pub exists: bool,
}

/// The largest configuration read (OpenClaw's own are kilobytes; the tests write 8 MB ones).
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

impl Config {
    /// Reads the file at `path` (a regular file, at most [`MAX_CONFIG_BYTES`]). A missing file
    /// is an empty configuration, not an error.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match provider_host::bounded::read_text(path, MAX_CONFIG_BYTES) {
            Ok(text) => text,
            Err(err) if err.is_missing() => {
                return Ok(Self {
                    path: path.to_path_buf(),
                    root: Value::Object(Map::new()),
                    exists: false,
                });
            }
            Err(err) => return Err(ConfigError::Unreadable(err)),
        };
        Ok(Self {
            path: path.to_path_buf(),
            root: parse(&text, path)?,
            exists: true,
        })
    }

    /// The value at a dotted path (`plugins.load.paths`), if present.
    pub fn get(&self, dotted: &str) -> Option<&Value> {
        lookup(&self.root, dotted)
    }

    /// What the configuration says about provider `id`: its `models.providers.<id>` block and
    /// its plugin entry's `config`, shaped by the host library.
    pub fn provider_settings(&self, id: &str) -> ProviderSettings {
        ProviderSettings::from_blocks(
            id,
            self.get(&format!("models.providers.{id}")),
            self.get(&format!("plugins.entries.{id}.config")),
        )
    }

    /// The strings of the array at a dotted path; other values are ignored.
    pub fn strings(&self, dotted: &str) -> Vec<String> {
        self.get(dotted)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `plugins.load.paths[]`, with `~/` expanded and relative paths taken from the config's
    /// directory.
    pub fn plugin_load_paths(&self) -> Vec<PathBuf> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        self.strings("plugins.load.paths")
            .iter()
            .map(|entry| base.join(crate::paths::expand_tilde(entry)))
            .collect()
    }

    /// Changes the file at `path` with `edit` (see the module docs). Returns what `edit`
    /// returned and whether the file changed; an edit that changes nothing writes nothing. A
    /// configuration that is a symbolic link is written through the link, which stays.
    pub fn update<T>(
        path: &Path,
        edit: impl FnOnce(&mut Value) -> Result<T, ConfigError>,
    ) -> Result<(T, bool), ConfigError> {
        let path = &crate::files::link_target(path);
        let unwritable = |message: String| ConfigError::Unwritable {
            path: path.to_path_buf(),
            message,
        };
        let _lock =
            FileLock::acquire(path).map_err(|err| unwritable(format!("cannot lock it: {err}")))?;
        let current = Self::load(path)?;
        let mut root = current.root.clone();
        let result = edit(&mut root)?;
        if current.exists && root == current.root {
            return Ok((result, false));
        }
        if current.exists {
            let backup = backup_path(path);
            std::fs::copy(path, &backup).map_err(|err| {
                unwritable(format!(
                    "cannot keep a backup at {}: {err}",
                    backup.display()
                ))
            })?;
        }
        let text =
            serde_json::to_string_pretty(&root).map_err(|err| unwritable(err.to_string()))?;
        write_atomic(path, (text + "\n").as_bytes(), 0o600)
            .map_err(|err| unwritable(err.to_string()))?;
        Ok((result, true))
    }
}

/// `<file>.bak`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    path.with_file_name(name)
}

/// Parses configuration text (JSON5) into an object. Files written by OpenClaw or by us are
/// plain JSON, which serde_json reads many times faster than the JSON5 parser; only text that
/// is not JSON goes to the JSON5 parser (which also gives the line and column of an error).
pub fn parse(text: &str, path: &Path) -> Result<Value, ConfigError> {
    let syntax = |message: String| ConfigError::Syntax {
        path: path.to_path_buf(),
        message,
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(_) => {
            // The JSON5 parser recurses without a limit: too deep a text must not reach it.
            provider_host::nesting::check(text, provider_host::nesting::MAX_DEPTH)
                .map_err(|err| syntax(err.to_string()))?;
            json5::from_str(text).map_err(|err| syntax(err.to_string()))?
        }
    };
    if value.is_object() {
        Ok(value)
    } else {
        Err(ConfigError::NotAnObject {
            path: path.to_path_buf(),
        })
    }
}

/// Splits a path into keys: dots separate, `["…"]` (or `['…']`) holds a key verbatim.
pub fn split_path(path: &str) -> Result<Vec<String>, ConfigError> {
    let bad = |why: &str| ConfigError::Path(format!("bad config path {path:?}: {why}"));
    let mut keys = Vec::new();
    let mut rest = path.trim();
    if rest.is_empty() {
        return Err(bad("it is empty"));
    }
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let quote = inner
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'')
                .ok_or_else(|| bad("`[` must be followed by a quote"))?;
            let body = &inner[1..];
            let end = body.find(quote).ok_or_else(|| bad("an unclosed quote"))?;
            keys.push(body[..end].to_owned());
            rest = body[end + 1..]
                .strip_prefix(']')
                .ok_or_else(|| bad("a quoted key must end with `]`"))?;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            if end == 0 {
                return Err(bad("an empty key"));
            }
            keys.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
        if let Some(after) = rest.strip_prefix('.') {
            if after.is_empty() {
                return Err(bad("it ends with a dot"));
            }
            rest = after;
        } else if !rest.is_empty() && !rest.starts_with('[') {
            return Err(bad("keys must be separated by dots"));
        }
    }
    Ok(keys)
}

/// The value at a path given as keys.
pub fn lookup_keys<'a>(root: &'a Value, keys: &[String]) -> Option<&'a Value> {
    keys.iter()
        .try_fold(root, |value, key| value.as_object()?.get(key))
}

/// The value at a dotted path inside `root` (no brackets; see [`split_path`] for those).
pub fn lookup<'a>(root: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(root, |value, key| value.as_object()?.get(key))
}

/// Sets the value at a path, creating objects on the way; refuses to replace a non-object on
/// the way (that would lose data).
pub fn set_keys(root: &mut Value, keys: &[String], value: Value) -> Result<(), ConfigError> {
    let Some((last, parents)) = keys.split_last() else {
        return Err(ConfigError::Path("an empty config path".into()));
    };
    let mut node = root;
    for (depth, key) in parents.iter().enumerate() {
        let object = node
            .as_object_mut()
            .ok_or_else(|| not_an_object(&keys[..depth]))?;
        node = object
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    let object = node.as_object_mut().ok_or_else(|| not_an_object(parents))?;
    object.insert(last.clone(), value);
    Ok(())
}

/// Removes the value at a path; returns it.
pub fn remove_keys(root: &mut Value, keys: &[String]) -> Option<Value> {
    let (last, parents) = keys.split_last()?;
    let mut node = root;
    for key in parents {
        node = node.as_object_mut()?.get_mut(key)?;
    }
    node.as_object_mut()?.shift_remove(last)
}

fn not_an_object(keys: &[String]) -> ConfigError {
    ConfigError::Path(format!(
        "{} holds a value that is not an object; refusing to replace it",
        if keys.is_empty() {
            "the top level".to_owned()
        } else {
            keys.join(".")
        }
    ))
}

/// Applies a JSON merge patch (RFC 7396): objects merge key by key, `null` removes, anything
/// else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.shift_remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn reads_json5_and_reports_position() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("openclaw.json");
        std::fs::write(
            &path,
            "{\n  // comment\n  plugins: { load: { paths: ['~/p', 'rel', 7,] } },\n}",
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        assert!(config.exists);
        let paths = config.plugin_load_paths();
        assert_eq!(paths.len(), 2);
        assert!(paths[0].ends_with("p") && !paths[0].starts_with("~"));
        assert_eq!(paths[1], tmp.path().join("rel"));

        std::fs::write(&path, "{\n  a: 1,\n  b: ,\n}").unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("openclaw.json"), "{err}");

        let missing = Config::load(&tmp.path().join("none.json")).unwrap();
        assert!(!missing.exists && missing.get("plugins").is_none());
    }

    #[test]
    fn paths_split_on_dots_and_brackets() {
        assert_eq!(split_path("a.b.c").unwrap(), ["a", "b", "c"]);
        assert_eq!(
            split_path(r#"agents.defaults.models["huggingface/zai-org/GLM-4.7"].alias"#).unwrap(),
            [
                "agents",
                "defaults",
                "models",
                "huggingface/zai-org/GLM-4.7",
                "alias"
            ]
        );
        assert_eq!(split_path("a['x.y']").unwrap(), ["a", "x.y"]);
        for bad in ["", "a..b", "a.", ".a", "a[b]", "a[\"b\"", "a[\"b\"]c"] {
            assert!(split_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn set_creates_objects_but_never_replaces_values_on_the_way() {
        let mut root = json!({"a": {"keep": 1}, "s": "text"});
        set_keys(&mut root, &split_path("a.b.c").unwrap(), json!(2)).unwrap();
        assert_eq!(root, json!({"a": {"keep": 1, "b": {"c": 2}}, "s": "text"}));
        assert!(set_keys(&mut root, &split_path("s.x").unwrap(), json!(1)).is_err());
        assert_eq!(
            remove_keys(&mut root, &split_path("a.b").unwrap()),
            Some(json!({"c": 2}))
        );
    }

    #[test]
    fn merge_patches_follow_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}, "keep": [1]});
        merge_patch(
            &mut target,
            &json!({"a": "z", "c": {"f": null, "h": 1}, "new": {"x": 1}}),
        );
        assert_eq!(
            target,
            json!({"a": "z", "c": {"d": "e", "h": 1}, "keep": [1], "new": {"x": 1}})
        );
        let mut scalar = json!("text");
        merge_patch(&mut scalar, &json!({"primary": "m"}));
        assert_eq!(scalar, json!({"primary": "m"}));
    }

    #[test]
    fn updates_keep_unknown_keys_back_up_and_skip_no_ops() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("openclaw.json");
        std::fs::write(&path, "{ unknown: { nested: true }, // note\n }").unwrap();
        let ((), changed) = Config::update(&path, |root| {
            set_keys(root, &split_path("a.b").unwrap(), json!(1))
        })
        .unwrap();
        assert!(changed);
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written, json!({"unknown": {"nested": true}, "a": {"b": 1}}));
        assert!(
            std::fs::read_to_string(backup_path(&path))
                .unwrap()
                .contains("// note")
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let ((), changed) = Config::update(&path, |root| {
            set_keys(root, &split_path("a.b").unwrap(), json!(1))
        })
        .unwrap();
        assert!(!changed);
    }

    #[test]
    fn a_malformed_file_is_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("openclaw.json");
        std::fs::write(&path, "{ broken").unwrap();
        let err =
            Config::update(&path, |root| set_keys(root, &["a".into()], json!(1))).unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { .. }));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ broken");
    }

    #[test]
    fn concurrent_updates_keep_every_change() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("openclaw.json");
        std::thread::scope(|scope| {
            for writer in 0..8 {
                let path = &path;
                scope.spawn(move || {
                    for round in 0..10 {
                        Config::update(path, |root| {
                            set_keys(
                                root,
                                &[format!("w{writer}"), format!("r{round}")],
                                json!(round),
                            )
                        })
                        .unwrap();
                    }
                });
            }
        });
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for writer in 0..8 {
            assert_eq!(written[format!("w{writer}")].as_object().unwrap().len(), 10);
        }
    }
}
