//! The command line: `serve` (resident) or one operation per run, and how a run's outcome
//! becomes output and an exit code. The operations, their lines and the exit codes are those of
//! the bridge protocol (`docs/bridge-protocol.md`); a one-shot run builds the same [`Request`] a
//! resident bridge reads, and prints the same lines without `rid`.
//!
//! A one-shot run takes the credential from `OPENCLAW_PROVIDER_API_KEY`, else the plugin's own
//! variables and token file — never from the command line. SIGINT, SIGTERM and SIGHUP cancel
//! the request (its last line is whole); a reader that goes away cancels it too.

use std::{io::Read, path::PathBuf, process::ExitCode, sync::Arc};

use clap::{Args, Parser, Subcommand};
use openclaw_provider_abi::{Cancellation, Secret};
use serde_json::value::RawValue;

use crate::{
    load::load,
    ops::{self, CredentialSource},
    output::Lines,
    protocol::{CatalogMode, Exit, MAX_MESSAGE_BYTES, PROTOCOL, Request, Settings, Stop},
    serve::serve,
};

/// The variable a one-shot run takes the credential from.
pub const CREDENTIAL_VARIABLE: &str = "OPENCLAW_PROVIDER_API_KEY";

#[derive(Debug, Parser)]
#[command(
    name = "openclaw-provider-bridge",
    version,
    about = "Serves the provider plugin in this folder over JSON on stdio: resident (`serve`) or one operation per run (see docs/bridge-protocol.md)"
)]
struct Cli {
    /// The plugin folder (default: the folder this executable is in).
    #[arg(long, value_name = "DIR", global = true)]
    plugin_dir: Option<PathBuf>,
    /// The provider to use when the folder holds several.
    #[arg(long, value_name = "ID", global = true)]
    provider: Option<String>,
    #[command(subcommand)]
    operation: Operation,
}

#[derive(Debug, Subcommand)]
enum Operation {
    /// Stay resident: requests as JSON lines on stdin, answers on stdout, until stdin closes.
    Serve {
        /// The protocol version the host speaks; another than the bridge's is refused.
        #[arg(long, value_name = "N", default_value_t = PROTOCOL)]
        protocol: u32,
    },
    /// The plugin's info and auth methods.
    Info,
    /// The model catalog, in OpenClaw's `models.providers.<id>` shape.
    Catalog {
        #[command(flatten)]
        settings: SettingsArgs,
        /// strict: the live list or an error; advisory: the live list, else the built-in one
        /// with the reason; static: the built-in list, no network.
        #[arg(long, value_enum, default_value_t = CatalogMode::Strict)]
        mode: CatalogMode,
        /// Deadline for the refresh (0: the plugin's default).
        #[arg(long, value_name = "MS", default_value_t = 0)]
        timeout_ms: u64,
        /// Largest model-list body accepted (0: the plugin's default).
        #[arg(long, value_name = "BYTES", default_value_t = 0)]
        max_body_bytes: u64,
    },
    /// One model ref: the id sent on the wire, its metadata, warnings.
    Resolve {
        #[command(flatten)]
        settings: SettingsArgs,
        #[arg(value_name = "REF")]
        reference: String,
    },
    /// A chat: the request (JSON) on stdin, events out as JSON lines.
    Chat {
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Embeddings: the request (JSON: model, input texts) on stdin, the vectors out.
    Embed {
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// The account's spend this month (credits, limit, requests).
    Usage {
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// What onboarding changes (profile, config patch, default model, notes) for the host's
    /// configuration given on stdin.
    Onboarding {
        /// The auth method (default: the plugin's first).
        #[arg(long, value_name = "ID")]
        method: Option<String>,
        /// The default model the user chose (default: the plugin's).
        #[arg(long, value_name = "REF")]
        model: Option<String>,
    },
}

#[derive(Debug, Args)]
struct SettingsArgs {
    /// The provider's settings as the protocol carries them: `{"provider": <the
    /// models.providers.<id> block>, "plugin": <plugins.entries.<id>.config>}`.
    #[arg(long, value_name = "JSON")]
    settings: Option<String>,
    /// The provider's base URL (sets `provider.baseUrl` in the settings).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

impl SettingsArgs {
    fn parse(&self) -> Result<Settings, Stop> {
        let mut settings: Settings = match &self.settings {
            Some(text) => serde_json::from_str(text).map_err(|err| {
                Stop::new(
                    Exit::Usage,
                    "usage",
                    format!("--settings is not settings: {err}"),
                )
            })?,
            None => Settings::default(),
        };
        if let Some(url) = &self.base_url {
            let mut block = settings
                .provider
                .take()
                .filter(serde_json::Value::is_object)
                .unwrap_or_else(|| serde_json::json!({}));
            block["baseUrl"] = url.as_str().into();
            settings.provider = Some(block);
        }
        Ok(settings)
    }
}

/// Runs the bridge with the process's arguments; returns its exit code.
pub fn main() -> ExitCode {
    let mut lines = Lines::new(None);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&mut lines)))
        .unwrap_or_else(|_| {
            Err(Stop::new(
                Exit::Failed,
                "internal",
                "the bridge failed unexpectedly",
            ))
        });
    match result {
        Ok(code) => code,
        Err(stop) => {
            let _ = lines.push(&stop.line());
            // The reader may be gone; then there is no one to tell.
            let _ = lines.flush();
            stop.exit.into()
        }
    }
}

fn run(lines: &mut Lines) -> Result<ExitCode, Stop> {
    let cli = Cli::try_parse().map_err(|err| match err.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
            // Help and version are for people: print them as clap does, then stop cleanly.
            let _ = err.print();
            std::process::exit(0);
        }
        _ => Stop::new(Exit::Usage, "usage", one_line(&err.render().to_string())),
    })?;
    init_logging();
    let Cli {
        plugin_dir,
        provider,
        operation,
    } = cli;
    let request = match operation {
        Operation::Serve { protocol } => {
            return Ok(serve(plugin_dir, provider.as_deref(), protocol));
        }
        Operation::Info => Request::Info,
        Operation::Catalog {
            settings,
            mode,
            timeout_ms,
            max_body_bytes,
        } => Request::Catalog {
            credential: env_credential(),
            settings: settings.parse()?,
            mode,
            timeout_ms,
            max_body_bytes,
        },
        Operation::Resolve {
            settings,
            reference,
        } => Request::Resolve {
            reference,
            settings: settings.parse()?,
        },
        Operation::Onboarding { method, model } => Request::Onboarding {
            config: read_stdin()?,
            method,
            model,
        },
        Operation::Chat { settings } => Request::Chat {
            credential: env_credential(),
            settings: settings.parse()?,
            request: stdin_document()?,
        },
        Operation::Embed { settings } => Request::Embed {
            credential: env_credential(),
            settings: settings.parse()?,
            request: stdin_document()?,
        },
        Operation::Usage { settings } => Request::Usage {
            credential: env_credential(),
            settings: settings.parse()?,
        },
    };
    let plugin = load(plugin_dir, provider.as_deref())?;
    let cancel = Arc::new(Cancellation::new());
    {
        let cancel = cancel.clone();
        // One handler per process; a one-shot run has one operation.
        let _ = ctrlc::set_handler(move || cancel.cancel());
    }
    let source = CredentialSource::Variable(CREDENTIAL_VARIABLE);
    ops::run(&plugin, request, &source, &cancel, lines).map_err(|stop| {
        if cancel.is_cancelled() {
            Stop::new(Exit::Interrupted, "cancelled", "interrupted")
        } else {
            stop
        }
    })?;
    lines.flush().map_err(|err| {
        Stop::new(
            Exit::Failed,
            "output",
            format!("cannot write the answer: {err}"),
        )
    })?;
    Ok(Exit::Done.into())
}

/// The credential a one-shot run was given in its environment, if any.
fn env_credential() -> Option<Secret> {
    std::env::var(CREDENTIAL_VARIABLE)
        .ok()
        .as_deref()
        .and_then(Secret::new)
}

/// Logs on stderr at `warn` (`RUST_LOG` overrides), without colour: a program reads them (in
/// resident mode, the host shows them in its own log).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .try_init();
}

/// A JSON document on stdin.
fn stdin_document() -> Result<Box<RawValue>, Stop> {
    RawValue::from_string(read_stdin()?)
        .map_err(|err| Stop::invalid(format!("the request is not JSON: {err}")))
}

/// Reads stdin whole, up to [`MAX_MESSAGE_BYTES`].
fn read_stdin() -> Result<String, Stop> {
    let mut body = String::new();
    std::io::stdin()
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_to_string(&mut body)
        .map_err(|err| Stop::invalid(format!("cannot read stdin: {err}")))?;
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(Stop::invalid(format!(
            "the input on stdin is over {} MiB",
            MAX_MESSAGE_BYTES >> 20
        )));
    }
    Ok(body)
}

/// clap's rendered error, first paragraph on one line.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect::<Vec<_>>()
        .join(" ")
}
