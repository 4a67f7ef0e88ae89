//! The command line: `serve` (resident) or one operation per run, and how a run's outcome
//! becomes output and an exit code.
//!
//! ```text
//! openclaw-provider-bridge [--plugin-dir DIR] [--provider ID] <operation>
//!   serve [--protocol N]        resident: JSON-lines requests on stdin (see the protocol module)
//!   info                        the plugin's info and auth methods
//!   catalog  [settings] [--mode strict|advisory|static] [--timeout-ms N] [--max-body-bytes N]
//!   resolve  [settings] REF     one model ref: the id sent on the wire, metadata, warnings
//!   chat     [settings]         a chat request (JSON) on stdin; JSON lines out as events arrive
//!   onboarding [--method ID] [--model REF]   what onboarding changes, for the host's current
//!                               configuration (JSON on stdin; none: an empty one)
//! settings: --base-url URL, --provider-config JSON (the provider's non-secret settings)
//! ```
//!
//! A one-shot run takes the credential from `OPENCLAW_PROVIDER_API_KEY`, else the plugin's own
//! variables and token file — never from the command line. It prints one JSON line (`chat`:
//! one per event, ending with `done`); whatever fails ends the output with an `error` line and
//! a non-zero exit: 1 the provider's error, 2 a bad invocation or request, 3 the plugin missing
//! or refused, 4 no credential, 130 interrupted (SIGINT, SIGTERM, SIGHUP: a chat is cancelled
//! and its last line is whole). A reader that goes away cancels the request.

use std::{
    io::Read,
    path::PathBuf,
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use clap::{Args, Parser, Subcommand, ValueEnum};
use openclaw_provider_abi::Secret;
use provider_host::plugin::LoadedPlugin;
use serde_json::Value;

use crate::{
    load::load,
    ops::{self, Mode, Settings, Stop},
    output::Lines,
    protocol::{MAX_MESSAGE_BYTES, PROTOCOL},
    serve::serve,
};

/// The variable a one-shot run takes the credential from.
pub const CREDENTIAL_VARIABLE: &str = "OPENCLAW_PROVIDER_API_KEY";

#[derive(Debug, Parser)]
#[command(
    name = "openclaw-provider-bridge",
    version,
    about = "Serves the provider plugin in this folder over JSON on stdio: resident (`serve`) or one operation per run"
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
        #[arg(long, value_enum, default_value_t = ModeArg::Strict)]
        mode: ModeArg,
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
    /// The provider's base URL (default: the plugin's).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// The provider's non-secret settings as JSON (the `models.providers.<id>` block without
    /// `apiKey` and `models`, with the plugin's own config under `plugin`).
    #[arg(long, value_name = "JSON")]
    provider_config: Option<String>,
}

impl SettingsArgs {
    fn parse(&self) -> Result<Settings, Stop> {
        let provider_config = match &self.provider_config {
            Some(text) => Some(serde_json::from_str::<Value>(text).map_err(|err| {
                Stop::new(2, "usage", format!("--provider-config is not JSON: {err}"))
            })?),
            None => None,
        };
        Settings::new(self.base_url.clone(), provider_config)
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModeArg {
    Strict,
    Advisory,
    Static,
}

/// Runs the bridge with the process's arguments; returns its exit code.
pub fn main() -> ExitCode {
    let mut lines = Lines::new(None);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&mut lines)))
        .unwrap_or_else(|_| Err(Stop::new(1, "internal", "the bridge failed unexpectedly")));
    match result {
        Ok(code) => code,
        Err(stop) => {
            lines.push(&stop.line());
            // The reader may be gone; then there is no one to tell.
            let _ = lines.flush();
            ExitCode::from(stop.exit)
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
        _ => Stop::new(2, "usage", one_line(&err.render().to_string())),
    })?;
    init_logging();
    let Cli {
        plugin_dir,
        provider,
        operation,
    } = cli;
    let load_plugin = || load(plugin_dir.clone(), provider.as_deref());
    let answer = match operation {
        Operation::Serve { protocol } => {
            return Ok(serve(plugin_dir.clone(), provider.as_deref(), protocol));
        }
        Operation::Info => ops::info(&load_plugin()?),
        Operation::Catalog {
            settings,
            mode,
            timeout_ms,
            max_body_bytes,
        } => {
            let mode = match mode {
                ModeArg::Strict => Mode::Strict,
                ModeArg::Advisory => Mode::Advisory,
                ModeArg::Static => Mode::Static,
            };
            let plugin = load_plugin()?;
            let settings = settings.parse()?;
            let credential = match mode {
                Mode::Static => None,
                _ => Some(env_credential(&plugin)?),
            };
            ops::catalog(
                &plugin,
                &settings,
                credential.as_ref(),
                mode,
                timeout_ms,
                max_body_bytes,
            )?
        }
        Operation::Resolve {
            settings,
            reference,
        } => {
            settings.parse()?;
            ops::resolve(&load_plugin()?, &reference)?
        }
        Operation::Onboarding { method, model } => {
            let plugin = load_plugin()?;
            ops::onboarding(&plugin, &read_stdin()?, method.as_deref(), model.as_deref())?
        }
        Operation::Chat { settings } => {
            let plugin = load_plugin()?;
            let settings = settings.parse()?;
            let body = read_stdin()?;
            let explicit = std::env::var(CREDENTIAL_VARIABLE).ok();
            let interrupted = Arc::new(AtomicBool::new(false));
            {
                let interrupted = interrupted.clone();
                // One handler per process; a one-shot run has one operation.
                let _ = ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst));
            }
            let credential = (CREDENTIAL_VARIABLE, explicit.as_deref());
            ops::chat(&plugin, &settings, credential, &body, &interrupted, lines).map_err(
                |stop| match interrupted.load(Ordering::SeqCst) {
                    true => Stop::new(130, "cancelled", "interrupted"),
                    false => stop,
                },
            )?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    lines.push(&answer);
    lines
        .flush()
        .map_err(|err| Stop::new(1, "output", format!("cannot write the answer: {err}")))?;
    Ok(ExitCode::SUCCESS)
}

/// The credential of a one-shot run: `OPENCLAW_PROVIDER_API_KEY`, else the plugin's own
/// variables and token file.
fn env_credential(plugin: &LoadedPlugin) -> Result<Secret, Stop> {
    let explicit = std::env::var(CREDENTIAL_VARIABLE).ok();
    ops::credential(plugin, CREDENTIAL_VARIABLE, explicit.as_deref())
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

/// Reads stdin whole, up to [`MAX_MESSAGE_BYTES`].
fn read_stdin() -> Result<String, Stop> {
    let mut body = String::new();
    std::io::stdin()
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_to_string(&mut body)
        .map_err(|err| Stop::new(2, "invalid_request", format!("cannot read stdin: {err}")))?;
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(Stop::new(
            2,
            "invalid_request",
            format!("the input on stdin is over {} MiB", MAX_MESSAGE_BYTES >> 20),
        ));
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
