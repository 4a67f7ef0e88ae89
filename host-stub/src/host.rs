//! One command's view of the world: where the state lives, the configuration, and the plugins
//! found on the search path. Every CLI command starts by building a [`Host`].

use std::path::PathBuf;

use crate::{
    config::{Config, ConfigError},
    discovery::{executable_dir, search_roots},
    paths::StatePaths,
    registry::{HostIdentity, LoadReport, Registry},
};

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
    pub identity: HostIdentity,
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
        let identity = HostIdentity::host_stub();
        let plugins = Registry::load(&roots, &identity);
        Ok(Self {
            paths,
            config,
            plugins,
            identity,
        })
    }

    /// The loaded plugins.
    pub fn registry(&self) -> &Registry {
        &self.plugins.registry
    }
}
