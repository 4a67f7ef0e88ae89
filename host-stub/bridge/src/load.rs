//! Loading the plugin the bridge serves: the one in `--plugin-dir`, else the plugin folder the
//! bridge itself belongs to — its own directory, or, in a folder shipped for several platforms,
//! the folder whose manifest names the bridge's directory as this platform's binaries — through
//! `provider_host`'s registry, so every check and refusal is host-stub's.

use std::path::{Path, PathBuf};

use provider_host::{
    discovery::{Origin, SearchRoot, executable_dir},
    host_identity::HostIdentity,
    manifest::{MANIFEST_FILE, read_manifest},
    plugin::LoadedPlugin,
    registry::Registry,
};

use crate::protocol::{Exit, Stop};

/// The bridge as plugins see it.
pub fn identity() -> HostIdentity {
    HostIdentity::new("openclaw-provider-bridge", env!("CARGO_PKG_VERSION"))
}

/// Loads the plugin in `dir` (default: this executable's folder); `provider` picks one when the
/// folder holds several.
pub fn load(dir: Option<PathBuf>, provider: Option<&str>) -> Result<LoadedPlugin, Stop> {
    let (path, origin) = match dir {
        Some(dir) => (dir, Origin::Flag),
        None => (
            executable_dir()
                .map(|dir| owning_folder(&dir).unwrap_or(dir))
                .ok_or_else(|| {
                    Stop::new(
                        Exit::PluginUnavailable,
                        "plugin_unavailable",
                        "cannot tell which folder the bridge is in",
                    )
                })?,
            Origin::ExecutableDir,
        ),
    };
    let report = Registry::load(
        &[SearchRoot {
            path: path.clone(),
            origin,
            explicit: true,
        }],
        &identity(),
    );
    let plugins = report.registry.plugins();
    let chosen = match provider {
        Some(id) => plugins.iter().find(|p| p.id() == id.to_ascii_lowercase()),
        None if plugins.len() > 1 => {
            let ids: Vec<&str> = plugins.iter().map(|p| p.id()).collect();
            return Err(Stop::new(
                Exit::Usage,
                "usage",
                format!(
                    "{} holds several providers ({}); pass --provider",
                    path.display(),
                    ids.join(", ")
                ),
            ));
        }
        None => plugins.first(),
    };
    chosen.cloned().ok_or_else(|| {
        let problems: Vec<String> = report
            .refusals
            .iter()
            .map(ToString::to_string)
            .chain(report.warnings.iter().cloned())
            .collect();
        Stop::new(
            Exit::PluginUnavailable,
            "plugin_unavailable",
            if problems.is_empty() {
                format!(
                    "no provider plugin{} in {}",
                    provider.map(|id| format!(" '{id}'")).unwrap_or_default(),
                    path.display()
                )
            } else {
                format!("the plugin was refused: {}", problems.join("; "))
            },
        )
    })
}

/// The plugin folder whose manifest puts this platform's binaries in `dir`, looking a few
/// levels up (`<folder>/<binaries>/<platform>/`); `None` when `dir` holds a manifest itself.
fn owning_folder(dir: &Path) -> Option<PathBuf> {
    if dir.join(MANIFEST_FILE).is_file() {
        return None;
    }
    let here = std::fs::canonicalize(dir).ok()?;
    dir.ancestors().skip(1).take(6).find_map(|folder| {
        let native = read_manifest(folder).ok()?.native?;
        let binaries = std::fs::canonicalize(native.binaries_dir(folder)).ok()?;
        (binaries == here).then(|| folder.to_path_buf())
    })
}
