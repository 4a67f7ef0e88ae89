//! `host-stub gateway run [--once] [--interval SECONDS] [--json]`: refreshes every provider's
//! catalog at start (each with discovery enabled and a credential), writes `models.json`, reports
//! one outcome line per provider, then refreshes again every interval until SIGINT or SIGTERM.

use std::{sync::mpsc, time::Duration};

use clap::Subcommand;
use serde_json::{Value, json};

use super::{CliResult, Failure, open_host, output};
use crate::{catalog, host::HostOptions};

/// The refresh interval unless the configuration or a flag says otherwise.
const DEFAULT_INTERVAL_SECONDS: u64 = 3600;

#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Refresh the catalogs now and then periodically, until interrupted.
    Run {
        /// Refresh once and exit.
        #[arg(long)]
        once: bool,
        /// Seconds between refreshes (default: gateway.modelRefresh.intervalSeconds, else 3600).
        #[arg(long, value_name = "SECONDS")]
        interval: Option<u64>,
    },
}

pub fn run(command: GatewayCommand, options: &HostOptions) -> CliResult {
    let GatewayCommand::Run { once, interval } = command;
    let json = options.json;
    let host = open_host(options)?;
    let interval = interval
        .or_else(|| {
            host.config
                .get("gateway.modelRefresh.intervalSeconds")
                .and_then(Value::as_u64)
        })
        .unwrap_or(DEFAULT_INTERVAL_SECONDS);
    if interval == 0 {
        return Err(Failure::usage(
            "the refresh interval must be at least 1 second",
        ));
    }
    if host.registry().plugins().is_empty() {
        return Err(Failure::new(
            "no provider plugins are loaded; `host-stub plugins list` says why",
        ));
    }
    let stop = if once {
        None
    } else {
        let (sender, receiver) = mpsc::channel();
        ctrlc::set_handler(move || {
            let _ = sender.send(());
        })
        .map_err(|err| Failure::new(format!("cannot install the signal handler: {err}")))?;
        Some(receiver)
    };
    loop {
        for plugin in host.registry().plugins() {
            let credential = host.credential(plugin, None)?;
            let waiting = output::spinner(&format!("refreshing the {} catalog…", plugin.id()));
            let refreshed = catalog::refresh(&host, plugin, credential.as_ref().map(|c| &c.secret));
            waiting.finish_and_clear();
            if json {
                say!(
                    "{}",
                    json!({
                        "provider": plugin.id(),
                        "at": catalog::store::now(),
                        "outcome": refreshed.outcome,
                        "models": refreshed.catalog.models.len(),
                        "credentialSource": credential.as_ref().map(|c| c.source.to_string()),
                        "warnings": refreshed.catalog.warnings,
                    })
                );
            } else {
                for warning in &refreshed.catalog.warnings {
                    tell!("warning: {warning}");
                }
                say!(
                    "{}",
                    refreshed.outcome.line(plugin.id(), &refreshed.catalog)
                );
            }
        }
        let Some(stop) = &stop else { return Ok(()) };
        if !json {
            say!("next refresh in {interval} s (Ctrl-C to stop)");
        }
        match stop.recv_timeout(Duration::from_secs(interval)) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                if !json {
                    say!("stopped");
                }
                return Ok(());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}
