//! The registry: every plugin found on the search path, checked, loaded, initialised and keyed
//! by provider id — or refused with a one-line reason while the others carry on.
//!
//! Checks, in order: the manifest reads and has a `native` block (a manifest without one belongs
//! to another host and is skipped quietly); no plugin already holds the id; the manifest's
//! interface version suits this host; the files are not world-writable or foreign-owned; the
//! library loads and passes abi_stable's checks; its `info` agrees with the manifest; `init`
//! succeeds.

use std::path::PathBuf;

use openclaw_provider_abi::{HostContext, PluginInfo, loader};

use crate::{
    discovery::{Candidate, Origin, SearchRoot, find_candidates},
    host_identity::HostIdentity,
    loader::{check_file_safety, load_module},
    manifest::{MANIFEST_FILE, PluginManifest, read_manifest},
    plugin::{LoadedPlugin, module_info, module_init},
};

/// A plugin that was not loaded, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Refusal {
    /// The file the problem is about (the manifest or the library).
    pub path: PathBuf,
    /// The plugin id, when the manifest could be read.
    pub id: Option<String>,
    /// One line saying what is wrong.
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// The loaded plugins, in search order.
#[derive(Debug, Default)]
pub struct Registry {
    plugins: Vec<LoadedPlugin>,
}

/// Everything a scan of the search path found.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub registry: Registry,
    /// Plugins that were refused.
    pub refusals: Vec<Refusal>,
    /// Problems with the search path itself (a named directory that cannot be read).
    pub warnings: Vec<String>,
}

impl Registry {
    /// Scans the search path and loads every plugin that passes the checks.
    pub fn load(roots: &[SearchRoot], host: &HostIdentity) -> LoadReport {
        let (candidates, warnings) = find_candidates(roots);
        let mut report = LoadReport {
            warnings,
            ..LoadReport::default()
        };
        let context = host.host_context();
        for candidate in candidates {
            match report.registry.admit(&candidate, &context) {
                Ok(Some(plugin)) => {
                    tracing::debug!(
                        "loaded plugin {} {} from {}",
                        plugin.id(),
                        plugin.info.plugin_version,
                        plugin.library.display()
                    );
                    report.registry.plugins.push(plugin);
                }
                Ok(None) => {}
                Err(refusal) => {
                    tracing::debug!("refused {refusal}");
                    report.refusals.push(refusal);
                }
            }
        }
        report
    }

    /// The plugin serving a provider id.
    pub fn get(&self, id: &str) -> Option<&LoadedPlugin> {
        self.plugins.iter().find(|plugin| plugin.id() == id)
    }

    /// All loaded plugins, in search order.
    pub fn plugins(&self) -> &[LoadedPlugin] {
        &self.plugins
    }

    /// Runs every check on one candidate. `Ok(None)` means skipped without complaint.
    fn admit(
        &self,
        candidate: &Candidate,
        context: &HostContext,
    ) -> Result<Option<LoadedPlugin>, Refusal> {
        let manifest_path = candidate.dir.join(MANIFEST_FILE);
        let refuse = |path: &PathBuf, id: Option<&str>, reason: String| Refusal {
            path: path.clone(),
            id: id.map(str::to_owned),
            reason,
        };
        let manifest = read_manifest(&candidate.dir)
            .map_err(|err| refuse(&manifest_path, None, err.to_string()))?;
        let plugin_id = manifest.id.clone();
        let id = Some(plugin_id.as_str());
        let Some(native) = manifest.native.clone() else {
            tracing::debug!(
                "skipping {}: no native block (a plugin for another host)",
                candidate.dir.display()
            );
            return Ok(None);
        };
        if let Some(existing) = self.get(&manifest.id) {
            if candidate.origin == Origin::ExecutableDir {
                tracing::debug!(
                    "development copy in {} shadowed by {}",
                    candidate.dir.display(),
                    existing.dir.display()
                );
                return Ok(None);
            }
            return Err(refuse(
                &manifest_path,
                id,
                format!(
                    "duplicate provider id '{}' (already loaded from {})",
                    manifest.id,
                    existing.dir.display()
                ),
            ));
        }
        if !loader::loadable(&native.interface) {
            let refused = loader::LoadError::IncompatibleInterface {
                plugin: native.interface.clone(),
            };
            return Err(refuse(&manifest_path, id, refused.to_string()));
        }
        let binaries = native.binaries_dir(&candidate.dir);
        if native.binaries.is_some() && !binaries.is_dir() {
            let offered = native.platforms(&candidate.dir);
            return Err(refuse(
                &manifest_path,
                id,
                format!(
                    "no binaries for this platform ({}) in the plugin; it has {}: install the \
                     package built for {}",
                    crate::manifest::platform(),
                    if offered.is_empty() {
                        "none".to_owned()
                    } else {
                        offered.join(", ")
                    },
                    crate::manifest::platform()
                ),
            ));
        }
        let library = native.library_path(&candidate.dir);
        for path in [&candidate.dir, &binaries, &manifest_path, &library] {
            check_file_safety(path).map_err(|err| refuse(path, id, err.to_string()))?;
        }
        let module = load_module(&library).map_err(|err| refuse(&library, id, err.to_string()))?;
        let info = module_info(module)
            .map_err(|err| refuse(&library, id, format!("its info() failed: {err}")))?;
        cross_check(&manifest, &info).map_err(|reason| refuse(&library, id, reason))?;
        module_init(module, context)
            .map_err(|err| refuse(&library, id, format!("its init() failed: {err}")))?;
        let plugin = LoadedPlugin::new(
            manifest,
            info,
            candidate.dir.clone(),
            library.clone(),
            candidate.origin,
            module,
        )
        .map_err(|err| refuse(&library, id, format!("its auth_methods() failed: {err}")))?;
        Ok(Some(plugin))
    }
}

/// The manifest and the library must describe the same plugin.
fn cross_check(manifest: &PluginManifest, info: &PluginInfo) -> Result<(), String> {
    let mismatch = |what: &str, manifest_says: &str, library_says: &str| {
        Err(format!(
            "manifest/library mismatch: the manifest says {what} {manifest_says:?}, the library says {library_says:?}"
        ))
    };
    if info.id.as_str() != manifest.id {
        return mismatch("id", &manifest.id, &info.id);
    }
    if let Some(version) = &manifest.version
        && version != info.plugin_version.as_str()
    {
        return mismatch("version", version, &info.plugin_version);
    }
    if let Some(native) = &manifest.native
        && native.interface != info.interface_version.as_str()
    {
        return mismatch("interface", &native.interface, &info.interface_version);
    }
    Ok(())
}
