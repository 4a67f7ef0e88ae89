//! One command's view of the world: where the state lives, the configuration, and the plugins
//! found on the search path. Every CLI command starts by building a [`Host`].

use std::{collections::BTreeSet, path::PathBuf};

use openclaw_provider_abi::{
    AuthMethod, CallContext, Capabilities, ErrorCode, ProviderError, Timeouts,
};
use provider_host::{
    credentials::{self, Credential, CredentialError, Lookup},
    discovery::{executable_dir, find_candidates, search_roots},
    host_identity::HostIdentity,
    manifest::{PluginManifest, read_manifest},
    plugin::LoadedPlugin,
    registry::{LoadReport, Registry},
};

use crate::{
    config::{Config, ConfigError},
    credential_stores::own::{PROFILES_FILE, ProfileError},
    credential_stores::{self, Stored},
    env_import::{self, Imported},
    files,
    model_refs::{aliases, expand_alias, provider_of},
    paths::StatePaths,
    settings_check,
};

/// host-stub as plugins see it.
pub fn identity() -> HostIdentity {
    HostIdentity::new("host-stub", env!("CARGO_PKG_VERSION"))
}

/// Why the credential of a call could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum CredentialLookupError {
    #[error(transparent)]
    Store(#[from] ProfileError),
    #[error(transparent)]
    Value(#[from] CredentialError),
}

/// Options shared by every command (the CLI's global flags).
#[derive(Clone, Debug, Default)]
pub struct HostOptions {
    /// `--plugins-dir` flags, searched first, in order.
    pub plugin_dirs: Vec<PathBuf>,
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
    /// Whether to fall back to the executable's directory (on for the CLI).
    pub search_executable_dir: bool,
    /// `--json`: machine-readable output, errors included.
    pub json: bool,
}

/// The state paths, configuration and loaded plugins.
#[derive(Debug)]
pub struct Host {
    pub paths: StatePaths,
    pub config: Config,
    pub plugins: LoadReport,
    /// Variables imported into the environment (names only).
    pub imported_env: Vec<Imported>,
    /// Problems worth a warning: completing the environment, a credential file open to others.
    pub warnings: Vec<String>,
}

impl Host {
    /// Reads the configuration and loads every plugin on the search path. A broken configuration
    /// is an error: guessing around it could load plugins the user removed.
    pub fn open(options: &HostOptions) -> Result<Self, ConfigError> {
        let paths = StatePaths::resolve(options.state_dir.as_deref());
        let config = Config::load(&paths.config_file)?;
        let exe_dir = options.search_executable_dir.then(executable_dir).flatten();
        let roots = search_roots(
            &options.plugin_dirs,
            &config.plugin_load_paths(),
            &paths.extensions_dir(),
            exe_dir.as_deref(),
        );
        let plugins = Registry::load(&roots, &identity());
        // Before any plugin starts a thread: complete the environment with the names the
        // plugins declare.
        let expected: BTreeSet<String> = plugins
            .registry
            .plugins()
            .iter()
            .flat_map(|plugin| &plugin.auth_methods)
            .flat_map(|method| method.env_vars.iter().map(|name| name.to_string()))
            .collect();
        let (imported_env, mut warnings) =
            env_import::complete(&paths.env_file(), &config, &expected);
        // Files holding a credential stay private: the profile store always, the configuration
        // when it carries a key.
        let mut private = vec![
            paths.host_stub_dir().join(PROFILES_FILE),
            paths.agent_dir().join(PROFILES_FILE),
        ];
        if config.exists && holds_a_key(&config.root) {
            private.push(config.path.clone());
        }
        warnings.extend(private.iter().filter_map(|path| files::keep_private(path)));
        for plugin in plugins.registry.plugins() {
            warnings.extend(settings_check::check(&config, &plugin.manifest));
        }
        Ok(Self {
            paths,
            config,
            plugins,
            imported_env,
            warnings,
        })
    }

    /// The credential a call to `plugin` uses (see [`credentials`] for the order), given a value
    /// from the command line, if any, as `(flag, value)`.
    pub fn credential(
        &self,
        plugin: &LoadedPlugin,
        explicit: Option<(&str, &str)>,
    ) -> Result<Option<Credential>, CredentialLookupError> {
        let Some(method) = plugin.auth_method(None) else {
            return Ok(None);
        };
        let stored = self.stored(method)?;
        Ok(credentials::resolve(
            method,
            &Lookup {
                explicit,
                profiles: &stored.profiles,
                configured: stored.configured.as_ref(),
            },
        )?)
    }

    /// The context of a call to `plugin` beyond chat: its credential (as [`Host::credential`]
    /// finds it, with no value from the command line) and its settings, default timeouts.
    pub fn call_context(&self, plugin: &LoadedPlugin) -> Result<CallContext, ProviderError> {
        let credential = self
            .credential(plugin, None)
            .map_err(|err| ProviderError::new(ErrorCode::INVALID_REQUEST, err.to_string()))?;
        Ok(self
            .config
            .provider_settings(plugin.id())
            .call_context(credential.as_ref().map(|c| &c.secret), Timeouts::default()))
    }

    /// What the credential stores and the configuration hold for `method`'s provider (see
    /// [`credential_stores`]).
    pub fn stored(&self, method: &AuthMethod) -> Result<Stored, ProfileError> {
        credential_stores::for_method(&self.paths, &self.config, method)
    }

    /// The loaded plugins.
    pub fn registry(&self) -> &Registry {
        &self.plugins.registry
    }

    /// The model ref a call serving `capability` uses — `model` (an alias expanded), else the
    /// default model of the first loaded plugin serving it — and the plugin it names.
    pub fn serving(
        &self,
        model: Option<&str>,
        capability: Capabilities,
    ) -> Result<(String, &LoadedPlugin), ProviderError> {
        let reference = match model {
            Some(model) => expand_alias(&aliases(&self.config), model),
            None => self
                .registry()
                .plugins()
                .iter()
                .filter(|plugin| plugin.serves(capability))
                .find_map(|plugin| {
                    plugin
                        .metadata
                        .default_models
                        .get(&capability.to_string())
                        .cloned()
                })
                .ok_or_else(|| {
                    ProviderError::new(
                        ErrorCode::INVALID_REQUEST,
                        format!(
                            "no loaded plugin serves {capability} with a default model; name one \
                             with --model"
                        ),
                    )
                })?,
        };
        let provider = provider_of(&reference).ok_or_else(|| {
            ProviderError::new(
                ErrorCode::INVALID_REQUEST,
                format!("{reference:?} is not a model ref (<provider>/<org>/<model>)"),
            )
        })?;
        let plugin = self.registry().get(&provider).ok_or_else(|| {
            ProviderError::new(
                ErrorCode::INVALID_REQUEST,
                format!(
                    "no provider plugin '{provider}' is loaded (for {reference}); `host-stub \
                     plugins list` shows what is"
                ),
            )
        })?;
        Ok((reference, plugin))
    }
}

/// The manifests of the native plugins on the search path (`plugin_dirs` flags, the
/// configuration's load paths, `<state>/extensions`, the executable's directory), read without
/// loading any library, in search order.
pub fn native_manifests(
    plugin_dirs: &[PathBuf],
    paths: &StatePaths,
    config: &Config,
) -> Vec<PluginManifest> {
    let roots = search_roots(
        plugin_dirs,
        &config.plugin_load_paths(),
        &paths.extensions_dir(),
        executable_dir().as_deref(),
    );
    find_candidates(&roots)
        .0
        .iter()
        .filter_map(|candidate| read_manifest(&candidate.dir).ok())
        .filter(|manifest| manifest.native.is_some())
        .collect()
}

/// Whether a configuration carries a key itself: an `apiKey` string anywhere in it.
fn holds_a_key(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(map) => map.iter().any(|(key, value)| {
            (key == "apiKey" && value.as_str().is_some_and(|key| !key.trim().is_empty()))
                || holds_a_key(value)
        }),
        serde_json::Value::Array(items) => items.iter().any(holds_a_key),
        _ => false,
    }
}
