//! Logging: the host's tracing subscriber on stderr (`-v` for debug, `-vv` for trace, or
//! `RUST_LOG`), coloured only where colour belongs (see [`colour`]). Plugins log into the same
//! subscriber through the sink `provider_host::host_identity` hands them.

use std::io::IsTerminal;

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
        .with_ansi(colour(std::io::stderr().is_terminal()))
        .without_time()
        .try_init();
}

/// Whether output to a stream may carry colour codes: only to a terminal, and never when
/// `NO_COLOR` is set to anything (the no-color.org convention).
pub fn colour(to_a_terminal: bool) -> bool {
    to_a_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}
