//! Logging: the host's tracing subscriber (stderr; `-v` for debug, `-vv` for trace, or
//! `RUST_LOG`), and the sink plugins log through, which feeds the same subscriber under the
//! target `plugin`.

use openclaw_provider_abi::{
    HostContext, LogLevel, LogSink,
    abi_stable::std_types::{ROption, RStr},
};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;

use crate::registry::HostIdentity;

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

/// The context handed to every plugin's `init`.
pub fn host_context(host: &HostIdentity) -> HostContext {
    HostContext {
        host_name: host.name.as_str().into(),
        host_version: host.version.as_str().into(),
        user_agent: format!("{}/{}", host.name, host.version).into(),
        log: ROption::RSome(LogSink { emit: plugin_log }),
        max_log_level: max_level(),
    }
}

fn max_level() -> LogLevel {
    match LevelFilter::current() {
        LevelFilter::OFF => LogLevel(0),
        LevelFilter::ERROR => LogLevel::ERROR,
        LevelFilter::WARN => LogLevel::WARN,
        LevelFilter::INFO => LogLevel::INFO,
        LevelFilter::DEBUG => LogLevel::DEBUG,
        _ => LogLevel::TRACE,
    }
}

/// Receives a plugin's log records (from any of its threads).
extern "C" fn plugin_log(level: LogLevel, target: RStr<'_>, message: RStr<'_>) {
    // A panic here would unwind into the plugin; formatting a record cannot reasonably panic, but
    // the guard keeps that promise unconditional.
    let _ = std::panic::catch_unwind(|| {
        let (target, message) = (target.as_str(), message.as_str());
        match level {
            LogLevel::ERROR => tracing::error!(target: "plugin", source = target, "{message}"),
            LogLevel::WARN => tracing::warn!(target: "plugin", source = target, "{message}"),
            LogLevel::INFO => tracing::info!(target: "plugin", source = target, "{message}"),
            LogLevel::DEBUG => tracing::debug!(target: "plugin", source = target, "{message}"),
            _ => tracing::trace!(target: "plugin", source = target, "{message}"),
        }
    });
}
