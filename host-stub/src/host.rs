//! One command's view of the world: where the state lives, the configuration, and the plugins
//! found on the search path. Every CLI command starts by building a [`Host`].

use std::{collections::BTreeSet, path::PathBuf};

use provider_host::{
    credentials::{self, Credential, CredentialError, Lookup, StoredProfile},
    discovery::{executable_dir, search_roots},
    identity::HostIdentity,
    plugin::LoadedPlugin,
    registry::{LoadReport, Registry},
};

use crate::{
    config::{Config, ConfigError},
    environment::{self, Imported},
    files,
    paths::StatePaths,
    profiles::{PROFILES_FILE, ProfileError, ProfileStore},
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
            environment::complete(&paths.env_file(), &config, &expected);
        // Files holding a credential stay private: the profile store always, the configuration
        // when it carries a key.
        let mut private = vec![paths.agent_dir().join(PROFILES_FILE)];
        if config.exists && holds_a_key(&config.root) {
            private.push(config.path.clone());
        }
        warnings.extend(private.iter().filter_map(|path| files::keep_private(path)));
        Ok(Self {
            paths,
            config,
            plugins,
            imported_env,
            warnings,
        })
    }

    /// The credential store.
    pub fn profiles(&self) -> Result<ProfileStore, ProfileError> {
        ProfileStore::load(&self.paths.agent_dir())
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
        let profiles = self.stored_profiles(plugin.id())?;
        Ok(credentials::resolve(
            method,
            &Lookup {
                explicit,
                profiles: &profiles,
            },
        )?)
    }

    /// A provider's stored profiles, in the order calls try them: the configuration's
    /// `auth.order.<provider>` first, then `<provider>:default`, then the rest by id.
    pub fn stored_profiles(&self, provider: &str) -> Result<Vec<StoredProfile>, ProfileError> {
        let order = self.config.strings(&format!("auth.order.{provider}"));
        Ok(self.profiles()?.profiles_for(provider, &order))
    }

    /// The loaded plugins.
    pub fn registry(&self) -> &Registry {
        &self.plugins.registry
    }
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
