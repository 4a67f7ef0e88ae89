//! How a host introduces itself to plugins: its name and version (the plugins put them in their
//! User-Agent), and the log sink through which a plugin's records join the host's own
//! `tracing` output under the target `plugin`, at the level the host's subscriber allows.

use openclaw_provider_abi::{
    HostContext, LogLevel, LogSink,
    abi_stable::std_types::{ROption, RStr},
};
use tracing::level_filters::LevelFilter;

/// A host's name and version.
#[derive(Clone, Debug)]
pub struct HostIdentity {
    pub name: String,
    pub version: String,
}

impl HostIdentity {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }

    /// The context handed to every plugin's `init`. Call it after the host installed its
    /// `tracing` subscriber: the most verbose level plugins log at is read from it.
    pub fn host_context(&self) -> HostContext {
        HostContext {
            host_name: self.name.as_str().into(),
            host_version: self.version.as_str().into(),
            user_agent: format!("{}/{}", self.name, self.version).into(),
            log: ROption::RSome(LogSink { emit: plugin_log }),
            max_log_level: max_level(),
        }
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
