//! Logging: the host's tracing subscriber on stderr (`-v` for debug, `-vv` for trace, or
//! `RUST_LOG`). Plugins log into the same subscriber through the sink
//! `provider_host::identity` hands them.

use tracing_subscriber::EnvFilter;

/// Installs the subscriber. `verbosity` counts `-v` flags; `RUST_LOG`, when set, wins.
pub fn init(verbosity: u8) {
    let default = match verbosity {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbosity > 0)
        .without_time()
        .try_init();
}
