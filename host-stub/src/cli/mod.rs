//! The command line: global flags, subcommands, and how failures become exit codes.
//!
//! Exit codes: `0` success, `1` the command failed (the message says why), `2` the command line
//! itself was wrong (or, for commands that say so, required input is missing).

/// Prints a line for a person on stdout. What it prints may quote outside text (a model id, an
/// upstream's error, an account name): control characters in it are shown as escapes, never
/// sent to the terminal (see `provider_host::display`).
macro_rules! say {
    () => { println!() };
    ($($arg:tt)*) => { println!("{}", provider_host::display::text(&format!($($arg)*))) };
}

/// Like [`say!`], on stderr.
macro_rules! tell {
    () => { eprintln!() };
    ($($arg:tt)*) => { eprintln!("{}", provider_host::display::text(&format!($($arg)*))) };
}

mod audio;
mod auth;
mod chat;
mod config;
mod embed;
mod gateway;
mod image;
mod models;
mod onboard;
mod output;
mod plugins;
mod usage;

use std::{path::PathBuf, process::ExitCode};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::host::{Host, HostOptions};

/// A host for OpenClaw provider plugins: loads them from a plugins directory and drives
/// onboarding, model catalogs and chat through them.
#[derive(Debug, Parser)]
#[command(name = "host-stub", version, about, max_term_width = 100)]
pub struct Cli {
    /// Search this plugins directory first (repeatable; before the configuration's
    /// plugins.load.paths and <state dir>/extensions).
    #[arg(long = "plugins-dir", value_name = "DIR", global = true)]
    pub plugins_dir: Vec<PathBuf>,

    /// The state directory (default: $OPENCLAW_STATE_DIR, else ~/.openclaw).
    #[arg(long, value_name = "DIR", global = true)]
    pub state_dir: Option<PathBuf>,

    /// More log output on stderr: -v for debug, -vv for trace (RUST_LOG overrides).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Machine-readable output on stdout: one line of JSON for the outcome (errors too, as
    /// {"ok":false,"error":{"code","message"}}); JSON lines for a chat.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, inspect and install provider plugins.
    #[command(subcommand)]
    Plugins(plugins::PluginsCommand),
    /// Show and refresh model catalogs.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Run the catalog refresh loop.
    #[command(subcommand)]
    Gateway(gateway::GatewayCommand),
    /// Show where credentials come from.
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// Chat with a model: the answer streams to stdout as it arrives.
    Chat(chat::ChatArgs),
    /// Turn texts into vectors with an embedding model (one per text).
    Embed(embed::EmbedArgs),
    /// What the account spent this month, its credits and spending limit.
    Usage(usage::UsageArgs),
    /// Generate images from a prompt.
    #[command(subcommand)]
    Image(image::ImageCommand),
    /// Transcribe recordings and synthesise speech.
    #[command(subcommand)]
    Audio(audio::AudioCommand),
    /// Set up a provider: store its key, make its default model yours.
    Onboard(onboard::OnboardArgs),
    /// Read and change the configuration file.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell): e.g.
    /// `host-stub completions bash > ~/.local/share/bash-completion/completions/host-stub`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

impl Cli {
    /// The command line as clap knows it before plugin-declared flags are added.
    pub(crate) fn command_for_globals() -> clap::Command {
        Self::command()
    }
}

/// A failure with the exit code it deserves, and a stable code for `--json`.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What kind of failure, for scripts: `usage`, `failed`, `cancelled`, or a provider's
    /// error code.
    pub kind: String,
    pub message: String,
    /// The command already reported it in its own output (a chat's last JSON line).
    pub reported: bool,
}

impl Failure {
    /// The command failed (exit code 1).
    pub fn new(message: impl Into<String>) -> Self {
        Self::with(1, "failed", message)
    }

    /// Required input was missing or malformed (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::with(2, "usage", message)
    }

    /// The user stopped it (exit code 130, as shells expect after SIGINT).
    pub fn cancelled(message: impl Into<String>) -> Self {
        Self::with(130, "cancelled", message)
    }

    fn with(code: u8, kind: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            kind: kind.to_owned(),
            message: message.into(),
            reported: false,
        }
    }

    /// The same failure with a more precise kind.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = kind.into();
        self
    }

    /// The same failure, marked as already reported in the command's output.
    pub fn reported(mut self) -> Self {
        self.reported = true;
        self
    }
}

/// A flag Ctrl-C sets, for a call that can be cancelled.
pub(crate) fn cancel_on_ctrl_c()
-> Result<std::sync::Arc<openclaw_provider_abi::Cancellation>, Failure> {
    let cancel = std::sync::Arc::new(openclaw_provider_abi::Cancellation::new());
    let flag = cancel.clone();
    ctrlc::set_handler(move || flag.cancel())
        .map_err(|err| Failure::new(format!("cannot install the Ctrl-C handler: {err}")))?;
    Ok(cancel)
}

/// The failure of a provider call: cancelled (saying `what` was), or the provider's error with
/// its code as the kind.
pub(crate) fn call_failure(error: openclaw_provider_abi::ProviderError, what: &str) -> Failure {
    if error.code == openclaw_provider_abi::ErrorCode::CANCELLED {
        Failure::cancelled(format!("{what} was cancelled"))
    } else {
        Failure::new(error.to_string()).kind(error.code.to_string())
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(err: E) -> Self {
        Self::new(err.to_string())
    }
}

pub type CliResult = Result<(), Failure>;

/// Parses the command line, runs the command, and reports the outcome.
pub fn main() -> ExitCode {
    // Behave like other Unix tools when stdout is a closed pipe (`host-stub … | head`): end
    // quietly instead of panicking on the failed write.
    // SAFETY: resetting a signal to its default disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `onboard` takes the key flags the plugins declare in their manifests.
    let choices = if argv.iter().any(|arg| arg == "onboard") {
        onboard::declared_auth_choices(&argv)
    } else {
        Vec::new()
    };
    let command =
        Cli::command().mut_subcommand("onboard", |sub| onboard::with_key_flags(sub, &choices));
    let json = argv.iter().any(|arg| arg == "--json");
    let parsed = command
        .try_get_matches_from(&argv)
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (mut cli, matches) = match parsed {
        Ok(parsed) => parsed,
        // Help and version are answers, not errors; a script asking for JSON gets its error
        // as JSON.
        Err(err) if json && err.use_stderr() => {
            return fail_as_json(&Failure::usage(clap_one_line(&err)));
        }
        Err(err) => err.exit(),
    };
    if let (Command::Onboard(args), Some(sub)) =
        (&mut cli.command, matches.subcommand_matches("onboard"))
    {
        args.keys = onboard::key_flag_values(sub, &choices);
    }
    crate::logging::init(cli.verbose);
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if json && !failure.reported => fail_as_json(&failure),
        Err(failure) => {
            if !json {
                tell!("error: {}", failure.message);
            }
            ExitCode::from(failure.code)
        }
    }
}

/// `{"ok":false,"error":{"code","message"}}` on stdout, and the failure's exit code.
fn fail_as_json(failure: &Failure) -> ExitCode {
    let _ = output::print_json(&serde_json::json!({
        "ok": false,
        "error": {"code": failure.kind, "message": failure.message},
    }));
    ExitCode::from(failure.code)
}

/// clap's rendered error on one line, without its usage hints.
fn clap_one_line(err: &clap::Error) -> String {
    err.render()
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CliResult {
    let options = HostOptions {
        plugin_dirs: cli.plugins_dir,
        state_dir: cli.state_dir,
        search_executable_dir: true,
        json: cli.json,
    };
    match cli.command {
        Command::Plugins(command) => plugins::run(command, &options),
        Command::Models(command) => models::run(command, &options),
        Command::Gateway(command) => gateway::run(command, &options),
        Command::Auth(command) => auth::run(command, &options),
        Command::Chat(args) => chat::run_chat(args, &options),
        Command::Embed(args) => embed::run(args, &options),
        Command::Usage(args) => usage::run(args, &options),
        Command::Image(command) => image::run(command, &options),
        Command::Audio(command) => audio::run(command, &options),
        Command::Onboard(args) => onboard::run(args, &options),
        Command::Config(command) => config::run(command, &options),
        Command::Completions { shell } => {
            // The key flags plugins declare for `onboard` are added at run time from their
            // manifests, so the script offers the built-in flags only.
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "host-stub",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

/// Opens the host and reports search-path problems and refused plugins on stderr, one line each;
/// the command goes on with the plugins that loaded.
pub(crate) fn open_host(options: &HostOptions) -> Result<Host, Failure> {
    let host = Host::open(options)?;
    for warning in &host.plugins.warnings {
        tell!("warning: {warning}");
    }
    for refusal in &host.plugins.refusals {
        tell!("error: plugin refused: {refusal}");
    }
    for warning in &host.warnings {
        tell!("warning: {warning}");
    }
    for imported in &host.imported_env {
        tracing::debug!("{} imported from {}", imported.name, imported.source);
    }
    Ok(host)
}
