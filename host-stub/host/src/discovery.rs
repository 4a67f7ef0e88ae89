//! Where plugins are looked for, in order: `--plugins-dir` flags, `plugins.load.paths[]` in the
//! configuration, `<state dir>/extensions/*/`, and — as a development fallback — the directory of
//! the host executable (so `cargo run` finds the plugin built next to it).
//!
//! Each search entry is either a plugin directory itself (it holds `openclaw.plugin.json`) or a
//! directory of plugin directories.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use crate::manifest::MANIFEST_FILE;

/// Which kind of search entry a plugin was found through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A `--plugins-dir` flag.
    Flag,
    /// `plugins.load.paths[]` in the configuration.
    Config,
    /// The state directory's `extensions/`.
    StateDir,
    /// The executable's own directory (development fallback).
    ExecutableDir,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Self::Flag => "--plugins-dir",
            Self::Config => "plugins.load.paths",
            Self::StateDir => "extensions",
            Self::ExecutableDir => "executable dir",
        }
    }
}

/// One entry of the search path.
#[derive(Clone, Debug)]
pub struct SearchRoot {
    pub path: PathBuf,
    pub origin: Origin,
    /// Whether a missing directory deserves a warning (the user named it) or not (a default).
    pub explicit: bool,
}

/// A directory holding a plugin manifest, not yet read.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub dir: PathBuf,
    pub origin: Origin,
}

/// Builds the search path in precedence order.
pub fn search_roots(
    flag_dirs: &[PathBuf],
    config_paths: &[PathBuf],
    extensions_dir: &Path,
    executable_dir: Option<&Path>,
) -> Vec<SearchRoot> {
    let explicit = |origin| {
        move |path: &PathBuf| SearchRoot {
            path: path.clone(),
            origin,
            explicit: true,
        }
    };
    let mut roots: Vec<SearchRoot> = flag_dirs.iter().map(explicit(Origin::Flag)).collect();
    roots.extend(config_paths.iter().map(explicit(Origin::Config)));
    roots.push(SearchRoot {
        path: extensions_dir.to_path_buf(),
        origin: Origin::StateDir,
        explicit: false,
    });
    if let Some(dir) = executable_dir {
        roots.push(SearchRoot {
            path: dir.to_path_buf(),
            origin: Origin::ExecutableDir,
            explicit: false,
        });
    }
    roots
}

/// Lists the plugin directories under the search roots, in search order, each once. Returns the
/// candidates and one-line warnings about explicit roots that could not be read.
pub fn find_candidates(roots: &[SearchRoot]) -> (Vec<Candidate>, Vec<String>) {
    let mut seen = HashSet::new();
    let mut candidates = Vec::new();
    let mut warnings = Vec::new();
    for root in roots {
        let dirs = match plugin_dirs_under(&root.path) {
            Ok(dirs) => dirs,
            Err(err) => {
                if root.explicit {
                    warnings.push(format!(
                        "{}: cannot read plugins directory ({}): {err}",
                        root.path.display(),
                        root.origin.label()
                    ));
                }
                continue;
            }
        };
        for dir in dirs {
            let key = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
            if seen.insert(key) {
                candidates.push(Candidate {
                    dir,
                    origin: root.origin,
                });
            }
        }
    }
    (candidates, warnings)
}

/// `root` itself if it holds a manifest, else its subdirectories that do, sorted by name.
fn plugin_dirs_under(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    if root.join(MANIFEST_FILE).is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join(MANIFEST_FILE).is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The directory of the running executable, for the development fallback.
pub fn executable_dir() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_plugin_dirs_in_order_once() {
        let tmp = tempfile::tempdir().unwrap();
        let flag = tmp.path().join("flag");
        let ext = tmp.path().join("ext");
        for dir in [
            flag.join("b"),
            flag.join("a"),
            ext.join("c"),
            ext.join("not-a-plugin"),
        ] {
            std::fs::create_dir_all(&dir).unwrap();
        }
        for dir in [flag.join("b"), flag.join("a"), ext.join("c")] {
            std::fs::write(dir.join(MANIFEST_FILE), "{}").unwrap();
        }
        let missing = tmp.path().join("missing");
        let roots = search_roots(
            &[flag.clone(), flag.join("a"), missing.clone()],
            &[],
            &ext,
            None,
        );
        let (candidates, warnings) = find_candidates(&roots);
        let names: Vec<_> = candidates
            .iter()
            .map(|c| c.dir.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(candidates[2].origin, Origin::StateDir);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("missing"));
    }
}
