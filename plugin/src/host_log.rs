//! What the host told the plugin at `init`: where log records go and which product token to add
//! to the `User-Agent`. The plugin logs through the `log` facade; this module forwards records to
//! the host's [`LogSink`] (the host's own logger is invisible to a `cdylib`, which has its own
//! copy of every static). It also routes panic reports there instead of the host's stderr.

use std::sync::RwLock;

use log::{Level, LevelFilter, Log, Metadata, Record};
use openclaw_provider_abi::{HostContext, LogLevel, LogSink, abi_stable::std_types::RStr};

struct HostState {
    sink: Option<LogSink>,
    user_agent: String,
}

static STATE: RwLock<HostState> = RwLock::new(HostState {
    sink: None,
    user_agent: String::new(),
});

/// Installs the host's context. Calling it again replaces the previous one.
pub fn install(context: &HostContext) {
    let level = match context.max_log_level {
        LogLevel::ERROR => LevelFilter::Error,
        LogLevel::WARN => LevelFilter::Warn,
        LogLevel::INFO => LevelFilter::Info,
        LogLevel::DEBUG => LevelFilter::Debug,
        LogLevel::TRACE => LevelFilter::Trace,
        _ => LevelFilter::Off,
    };
    let user_agent = user_agent_with(context.user_agent.as_str());
    if let Ok(mut state) = STATE.write() {
        state.sink = context.log.into_option();
        state.user_agent = user_agent;
    }
    // Only the first call can install the logger; later calls just change the level.
    let _ = log::set_logger(&FORWARDER);
    log::set_max_level(level);
    std::panic::set_hook(Box::new(|info| {
        log::error!(target: "openclaw_huggingface::panic", "{info}");
    }));
}

/// The `User-Agent` for every request: this plugin and version, then the host's token.
pub fn user_agent() -> String {
    match STATE.read() {
        Ok(state) if !state.user_agent.is_empty() => state.user_agent.clone(),
        _ => user_agent_with(""),
    }
}

fn user_agent_with(host_token: &str) -> String {
    let own = concat!("openclaw-huggingface/", env!("CARGO_PKG_VERSION"));
    let host_token = host_token.trim();
    if host_token.is_empty() {
        own.to_owned()
    } else {
        format!("{own} {host_token}")
    }
}

struct Forwarder;
static FORWARDER: Forwarder = Forwarder;

impl Log for Forwarder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Our own records at any enabled level; dependencies' only when they warn.
        metadata.level() <= log::max_level()
            && (metadata.target().starts_with("openclaw_huggingface")
                || metadata.level() <= Level::Warn)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let Ok(state) = STATE.read() else { return };
        let Some(sink) = state.sink else { return };
        let level = match record.level() {
            Level::Error => LogLevel::ERROR,
            Level::Warn => LogLevel::WARN,
            Level::Info => LogLevel::INFO,
            Level::Debug => LogLevel::DEBUG,
            Level::Trace => LogLevel::TRACE,
        };
        let message = record.args().to_string();
        (sink.emit)(
            level,
            RStr::from_str(record.target()),
            RStr::from_str(&message),
        );
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_names_plugin_then_host() {
        assert_eq!(
            user_agent_with(" host-stub/1.2.3 "),
            format!(
                "openclaw-huggingface/{} host-stub/1.2.3",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(user_agent_with("").starts_with("openclaw-huggingface/"));
    }
}
