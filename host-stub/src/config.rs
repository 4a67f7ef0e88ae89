//! Reading the configuration file (`openclaw.json`, JSON5 as OpenClaw writes and reads it) and
//! looking values up by dotted path.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Why the configuration could not be read. Renders as one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the configuration: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the configuration is not valid JSON5: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: the configuration must be a JSON object")]
    NotAnObject { path: PathBuf },
}

/// The parsed configuration; a missing file reads as an empty object.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub path: PathBuf,
    pub root: Value,
    /// Whether the file existed.
    pub exists: bool,
}

impl Config {
    /// Reads the file at `path`. A missing file is an empty configuration, not an error.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    path: path.to_path_buf(),
                    root: Value::Object(Default::default()),
                    exists: false,
                });
            }
            Err(source) => {
                return Err(ConfigError::Unreadable {
                    path: path.to_path_buf(),
                    source,
                });
            }
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
}

/// Parses configuration text (JSON5) into an object.
pub fn parse(text: &str, path: &Path) -> Result<Value, ConfigError> {
    let value: Value = json5::from_str(text).map_err(|err| ConfigError::Syntax {
        path: path.to_path_buf(),
        message: err.to_string(),
    })?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ConfigError::NotAnObject {
            path: path.to_path_buf(),
        })
    }
}

/// The value at a dotted path inside `root`.
pub fn lookup<'a>(root: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(root, |value, key| value.as_object()?.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
