//! The provider bridge: how a host that cannot load a native plugin (real OpenClaw, a Node
//! program) uses one anyway. The `openclaw-provider-bridge` executable sits in the plugin's
//! folder, loads the plugin there through the same registry, checks and refusals as host-stub,
//! runs one operation and answers in JSON on stdout. It knows no provider.
//!
//! ```text
//! openclaw-provider-bridge [--plugin-dir DIR] [--provider ID] <operation>
//!   info                        the plugin's info and auth methods
//!   catalog  [settings] [--mode strict|advisory|static] [--timeout-ms N] [--max-body-bytes N]
//!   resolve  [settings] REF     one model ref: the id sent on the wire, metadata, warnings
//!   chat     [settings]         a chat request (JSON) on stdin; JSON lines out as events arrive
//!   onboarding [--method ID] [--model REF]   what onboarding changes, for the host's current
//!                               configuration (JSON on stdin; none: an empty one)
//! settings: --base-url URL, --provider-config JSON (the provider's non-secret settings)
//! ```
//!
//! The credential comes from the environment, never from the command line:
//! `OPENCLAW_PROVIDER_API_KEY`, else the plugin's own variables (`HF_TOKEN`, …).
//!
//! Output: `info`, `catalog`, `resolve` and `onboarding` print one JSON line; `chat` prints one line per event
//! — `{"type":"text","delta":…}`, `{"type":"reasoning","delta":…}`,
//! `{"type":"tool_call","index":…,"id":…,"name":…,"arguments":…}`,
//! `{"type":"serving_provider","provider":…}`, `{"type":"notice","message":…}`, and last
//! `{"type":"done","model":…,"serving_provider":…,"finish_reason":…,"usage":…,"tool_calls":…}`.
//! Whatever fails ends the output with `{"type":"error","code":…,"message":…,"http_status":…,
//! "retry_after_ms":…}` and a non-zero exit: 1 the provider's error (its code: `unauthorized`,
//! `payment_required`, …), 2 a bad invocation (unknown operation, malformed request), 3 the
//! plugin missing or refused, 4 no credential, 130 interrupted (SIGINT, SIGTERM, SIGHUP). Each
//! line is written whole; a reader that goes away cancels the request.

use std::{
    io::{Read, Write},
    path::PathBuf,
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use clap::{Args, Parser, Subcommand, ValueEnum};
use openclaw_provider_abi::{
    CallContext, CatalogRequest, CatalogSource, DiscoveryMode, ErrorCode, EventKind, ModelInfo,
    OnboardingRequest, ProviderError, Secret, SecretInputMode, Timeouts,
    abi_stable::std_types::{ROption, RResult, RString},
    documents::ChatRequest,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    catalog::rows::Cost,
    discovery::{Origin, SearchRoot, executable_dir},
    plugin::LoadedPlugin,
    registry::{HostIdentity, Registry},
};

/// The variable the credential arrives in.
pub const CREDENTIAL_VARIABLE: &str = "OPENCLAW_PROVIDER_API_KEY";
/// The most bytes of chat request read from stdin.
const MAX_REQUEST_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Debug, Parser)]
#[command(
    name = "openclaw-provider-bridge",
    version,
    about = "Runs one operation of the provider plugin in this folder and answers in JSON"
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
    /// The plugin's info and auth methods.
    Info,
    /// The model catalog, in OpenClaw's `models.providers.<id>` shape.
    Catalog {
        #[command(flatten)]
        settings: Settings,
        /// strict: the live list or an error; advisory: the live list, else the built-in one
        /// with the reason; static: the built-in list, no network.
        #[arg(long, value_enum, default_value_t = Mode::Strict)]
        mode: Mode,
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
        settings: Settings,
        #[arg(value_name = "REF")]
        reference: String,
    },
    /// A chat: the request (JSON) on stdin, events out as JSON lines.
    Chat {
        #[command(flatten)]
        settings: Settings,
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
struct Settings {
    /// The provider's base URL (default: the plugin's).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// The provider's non-secret settings as JSON (the `models.providers.<id>` block without
    /// `apiKey` and `models`, with the plugin's own config under `plugin`).
    #[arg(long, value_name = "JSON")]
    provider_config: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Mode {
    Strict,
    Advisory,
    Static,
}

/// Why the bridge stopped: the error line it prints and its exit code.
#[derive(Debug)]
struct Stop {
    exit: u8,
    code: String,
    message: String,
    http_status: Option<u16>,
    retry_after_ms: Option<u64>,
}

impl Stop {
    fn new(exit: u8, code: &str, message: impl Into<String>) -> Self {
        Self {
            exit,
            code: code.to_owned(),
            message: message.into(),
            http_status: None,
            retry_after_ms: None,
        }
    }

    fn line(&self) -> Value {
        json!({
            "type": "error",
            "code": self.code,
            "message": self.message,
            "http_status": self.http_status,
            "retry_after_ms": self.retry_after_ms,
        })
    }
}

impl From<ProviderError> for Stop {
    fn from(error: ProviderError) -> Self {
        let code = error.code.normalized();
        Self {
            exit: if code == ErrorCode::CANCELLED { 130 } else { 1 },
            code: code.to_string(),
            message: error.message.to_string(),
            http_status: (error.http_status != 0).then_some(error.http_status),
            retry_after_ms: error.retry_after_ms.into_option(),
        }
    }
}

/// Runs the bridge with the process's arguments; returns its exit code.
pub fn main() -> ExitCode {
    let mut out = std::io::stdout().lock();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&mut out)))
        .unwrap_or_else(|_| Err(Stop::new(1, "internal", "the bridge failed unexpectedly")));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(stop) => {
            // The reader may be gone; then there is no one to tell.
            let _ = write_line(&mut out, &stop.line()).and_then(|()| out.flush());
            ExitCode::from(stop.exit)
        }
    }
}

fn run(out: &mut impl Write) -> Result<(), Stop> {
    let cli = Cli::try_parse().map_err(|err| match err.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
            // Help and version are for people: print them as clap does, then stop cleanly.
            let _ = err.print();
            std::process::exit(0);
        }
        _ => Stop::new(2, "usage", one_line(&err.render().to_string())),
    })?;
    crate::logging::init(0);
    let plugin = load(cli.plugin_dir, cli.provider.as_deref())?;
    match cli.operation {
        Operation::Info => info(out, &plugin),
        Operation::Catalog {
            settings,
            mode,
            timeout_ms,
            max_body_bytes,
        } => catalog(out, &plugin, &settings, mode, timeout_ms, max_body_bytes),
        Operation::Resolve {
            settings,
            reference,
        } => resolve(out, &plugin, &settings, &reference),
        Operation::Chat { settings } => chat(out, &plugin, &settings),
        Operation::Onboarding { method, model } => {
            onboarding(out, &plugin, method.as_deref(), model.as_deref())
        }
    }
}

/// clap's rendered error, first paragraph on one line.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Loads the plugin in `dir` (default: this executable's folder) with host-stub's registry.
fn load(dir: Option<PathBuf>, provider: Option<&str>) -> Result<LoadedPlugin, Stop> {
    let (path, origin) = match dir {
        Some(dir) => (dir, Origin::Flag),
        None => (
            executable_dir().ok_or_else(|| {
                Stop::new(
                    3,
                    "plugin_unavailable",
                    "cannot tell which folder the bridge is in",
                )
            })?,
            Origin::ExecutableDir,
        ),
    };
    let host = HostIdentity {
        name: "openclaw-provider-bridge".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let report = Registry::load(
        &[SearchRoot {
            path: path.clone(),
            origin,
            explicit: true,
        }],
        &host,
    );
    let refused = || {
        report
            .refusals
            .iter()
            .map(ToString::to_string)
            .chain(report.warnings.iter().cloned())
            .collect::<Vec<_>>()
    };
    let plugins = report.registry.plugins();
    let chosen = match provider {
        Some(id) => plugins.iter().find(|p| p.id() == id.to_ascii_lowercase()),
        None if plugins.len() == 1 => plugins.first(),
        None if plugins.len() > 1 => {
            return Err(Stop::new(
                2,
                "usage",
                format!(
                    "{} holds several providers ({}); pass --provider",
                    path.display(),
                    plugins
                        .iter()
                        .map(|p| p.id())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        None => None,
    };
    chosen.cloned().ok_or_else(|| {
        let problems = refused();
        Stop::new(
            3,
            "plugin_unavailable",
            if problems.is_empty() {
                format!(
                    "no provider plugin{} in {}",
                    provider.map(|id| format!(" '{id}'")).unwrap_or_default(),
                    path.display()
                )
            } else {
                format!("the plugin was refused: {}", problems.join("; "))
            },
        )
    })
}

/// The credential: our variable, else the plugin's own.
fn credential(plugin: &LoadedPlugin) -> Result<Secret, Stop> {
    let variables = std::iter::once(CREDENTIAL_VARIABLE.to_owned()).chain(
        plugin
            .auth_methods
            .iter()
            .flat_map(|method| method.env_vars.iter().map(|v| v.to_string())),
    );
    let mut tried = Vec::new();
    for variable in variables {
        if let Ok(value) = std::env::var(&variable)
            && let Some(secret) = Secret::new(value.trim())
        {
            return Ok(secret);
        }
        if !tried.contains(&variable) {
            tried.push(variable);
        }
    }
    Err(Stop::new(
        4,
        "no_credential",
        format!(
            "no credential for {}: set {}",
            plugin.id(),
            tried.join(" or ")
        ),
    ))
}

fn call_context(
    settings: &Settings,
    secret: Option<Secret>,
    timeouts: Timeouts,
) -> Result<CallContext, Stop> {
    let provider_config = match &settings.provider_config {
        Some(text) => {
            let value: Value = serde_json::from_str(text).map_err(|err| {
                Stop::new(2, "usage", format!("--provider-config is not JSON: {err}"))
            })?;
            if !value.is_object() {
                return Err(Stop::new(
                    2,
                    "usage",
                    "--provider-config must be a JSON object",
                ));
            }
            value.to_string()
        }
        None => "{}".to_owned(),
    };
    Ok(CallContext {
        credential: secret.into(),
        base_url: match &settings.base_url {
            Some(url) => ROption::RSome(url.trim().into()),
            None => ROption::RNone,
        },
        timeouts,
        provider_config_json: RString::from(provider_config),
    })
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)
}

fn emit(out: &mut impl Write, value: &impl Serialize) -> Result<(), Stop> {
    write_line(out, value)
        .and_then(|()| out.flush())
        .map_err(|err| Stop::new(1, "output", format!("cannot write the answer: {err}")))
}

fn info(out: &mut impl Write, plugin: &LoadedPlugin) -> Result<(), Stop> {
    let info = &plugin.info;
    let methods: Vec<Value> = plugin
        .auth_methods
        .iter()
        .map(|m| {
            json!({
                "providerId": m.provider_id.as_str(),
                "methodId": m.method_id.as_str(),
                "choiceId": m.choice_id.as_str(),
                "label": m.label.as_str(),
                "hint": m.hint.as_str(),
                "cliFlag": m.cli_flag.as_str(),
                "optionKey": m.option_key.as_str(),
                "envVars": m.env_vars.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
                "promptMessage": m.prompt_message.as_str(),
                "tokenUrl": m.token_url.as_str(),
                "requiredPermission": m.required_permission.as_str(),
            })
        })
        .collect();
    emit(
        out,
        &json!({
            "type": "info",
            "id": info.id.as_str(),
            "name": info.display_name.as_str(),
            "version": info.plugin_version.as_str(),
            "interface": info.interface_version.as_str(),
            "api": info.api.as_str(),
            "baseUrl": info.default_base_url.as_str(),
            "defaultModel": info.default_model.as_str(),
            "library": plugin.library.display().to_string(),
            "authMethods": methods,
        }),
    )
}

/// A model in OpenClaw's row shape.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenClawModel<'a> {
    id: &'a str,
    name: &'a str,
    reasoning: bool,
    input: Vec<&'static str>,
    context_window: u64,
    max_tokens: u64,
    cost: Cost,
}

impl<'a> From<&'a ModelInfo> for OpenClawModel<'a> {
    fn from(model: &'a ModelInfo) -> Self {
        Self {
            id: model.id.as_str(),
            name: model.name.as_str(),
            reasoning: model.reasoning,
            input: model.input.names(),
            context_window: model.context_window,
            max_tokens: model.max_tokens,
            cost: Cost {
                input: model.cost.input,
                output: model.cost.output,
                cache_read: model.cost.cache_read,
                cache_write: model.cost.cache_write,
            },
        }
    }
}

fn catalog(
    out: &mut impl Write,
    plugin: &LoadedPlugin,
    settings: &Settings,
    mode: Mode,
    timeout_ms: u64,
    max_body_bytes: u64,
) -> Result<(), Stop> {
    let (mode, secret) = match mode {
        Mode::Static => (DiscoveryMode::STATIC, None),
        Mode::Advisory => (DiscoveryMode::ADVISORY, Some(credential(plugin)?)),
        Mode::Strict => (DiscoveryMode::STRICT, Some(credential(plugin)?)),
    };
    let context = call_context(
        settings,
        secret,
        Timeouts {
            overall_ms: timeout_ms,
            ..Timeouts::default()
        },
    )?;
    let catalog = plugin.list_models(&CatalogRequest {
        context,
        mode,
        max_body_bytes,
    })?;
    let base_url = settings
        .base_url
        .clone()
        .unwrap_or_else(|| plugin.info.default_base_url.to_string());
    let models: Vec<OpenClawModel<'_>> = catalog.models.iter().map(OpenClawModel::from).collect();
    emit(
        out,
        &json!({
            "type": "catalog",
            "source": if catalog.source == CatalogSource::LIVE { "live" } else { "built-in" },
            "fallbackReason": catalog.fallback_reason.as_str(),
            "provider": {
                "baseUrl": base_url,
                "api": plugin.info.api.as_str(),
                "models": models,
            },
        }),
    )
}

fn resolve(
    out: &mut impl Write,
    plugin: &LoadedPlugin,
    settings: &Settings,
    reference: &str,
) -> Result<(), Stop> {
    // The built-in catalog gives known models their facts; no network.
    let known = plugin.list_models(&CatalogRequest {
        context: call_context(settings, None, Timeouts::default())?,
        mode: DiscoveryMode::STATIC,
        max_body_bytes: 0,
    })?;
    let resolved = plugin.resolve_ref(reference, &known.models)?;
    emit(
        out,
        &json!({
            "type": "model",
            "ref": resolved.model_ref.as_str(),
            "provider": resolved.provider_id.as_str(),
            "wireModelId": resolved.wire_model_id.as_str(),
            "baseModelId": resolved.base_model_id.as_str(),
            "policy": resolved.policy.as_str(),
            "policyProvider": resolved.policy_provider.as_str(),
            "known": resolved.known,
            "model": OpenClawModel::from(&resolved.model),
            "warnings": resolved.warnings.iter().map(|w| w.as_str()).collect::<Vec<_>>(),
        }),
    )
}

/// Reads stdin whole, up to [`MAX_REQUEST_BYTES`].
fn read_stdin() -> Result<String, Stop> {
    let mut body = String::new();
    std::io::stdin()
        .take(MAX_REQUEST_BYTES + 1)
        .read_to_string(&mut body)
        .map_err(|err| Stop::new(2, "invalid_request", format!("cannot read stdin: {err}")))?;
    if body.len() as u64 > MAX_REQUEST_BYTES {
        return Err(Stop::new(
            2,
            "invalid_request",
            format!("the input on stdin is over {} MiB", MAX_REQUEST_BYTES >> 20),
        ));
    }
    Ok(body)
}

fn onboarding(
    out: &mut impl Write,
    plugin: &LoadedPlugin,
    method: Option<&str>,
    model: Option<&str>,
) -> Result<(), Stop> {
    let config = read_stdin()?;
    let config = if config.trim().is_empty() {
        "{}".to_owned()
    } else {
        let value: Value = serde_json::from_str(&config).map_err(|err| {
            Stop::new(
                2,
                "invalid_request",
                format!("the configuration on stdin is not JSON: {err}"),
            )
        })?;
        value.to_string()
    };
    let method = plugin.auth_method(method).ok_or_else(|| {
        Stop::new(
            2,
            "usage",
            format!(
                "no such auth method; {} offers {}",
                plugin.id(),
                plugin
                    .auth_methods
                    .iter()
                    .map(|m| m.method_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let result = plugin.onboarding_result(&OnboardingRequest {
        method_id: method.method_id.clone(),
        secret_mode: SecretInputMode::PLAINTEXT,
        key_env_var: RString::new(),
        chosen_model: model.unwrap_or_default().into(),
        current_config_json: config.into(),
    })?;
    let patch: Value = serde_json::from_str(&result.config_patch_json).map_err(|err| {
        Stop::new(
            1,
            "invalid_response",
            format!("the plugin's config patch is not JSON: {err}"),
        )
    })?;
    emit(
        out,
        &json!({
            "type": "onboarding",
            "profileId": result.profile.profile_id.as_str(),
            "providerId": result.profile.provider_id.as_str(),
            "configPatch": patch,
            "defaultModel": result.default_model.as_str(),
            "notes": result
                .notes
                .iter()
                .map(|n| json!({"title": n.title.as_str(), "message": n.message.as_str()}))
                .collect::<Vec<_>>(),
        }),
    )
}

fn chat(out: &mut impl Write, plugin: &LoadedPlugin, settings: &Settings) -> Result<(), Stop> {
    let secret = credential(plugin)?;
    let body = read_stdin()?;
    let request: ChatRequest = serde_json::from_str(&body).map_err(|err| {
        Stop::new(
            2,
            "invalid_request",
            format!("the request on stdin is not a chat request: {err}"),
        )
    })?;
    if request.model.trim().is_empty() || request.messages.is_empty() {
        return Err(Stop::new(
            2,
            "invalid_request",
            "the request needs a model and at least one message",
        ));
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        // Only one handler per process; the bridge runs one operation, so this is the one.
        let _ = ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst));
    }
    let context = call_context(settings, Some(secret), Timeouts::default())?;
    let mut stream = plugin.chat_stream(&context, &body)?;
    let mut batch: Vec<u8> = Vec::with_capacity(16 * 1024);
    loop {
        if interrupted.load(Ordering::SeqCst) {
            stream.cancel();
            return Err(Stop::new(130, "cancelled", "interrupted"));
        }
        let events = match stream.next_events(256, 100) {
            RResult::ROk(events) => events,
            RResult::RErr(error) => return Err(error.into()),
        };
        let mut done = false;
        batch.clear();
        for event in events.iter() {
            let line = match event.kind {
                EventKind::TEXT_DELTA => json!({"type": "text", "delta": event.text.as_str()}),
                EventKind::REASONING_DELTA => {
                    json!({"type": "reasoning", "delta": event.text.as_str()})
                }
                EventKind::TOOL_CALL_DELTA => match serde_json::from_str::<Value>(&event.json) {
                    Ok(Value::Object(mut delta)) => {
                        delta.insert("type".into(), "tool_call".into());
                        Value::Object(delta)
                    }
                    _ => continue,
                },
                EventKind::SERVING_PROVIDER => {
                    json!({"type": "serving_provider", "provider": event.text.as_str()})
                }
                EventKind::NOTICE => json!({"type": "notice", "message": event.text.as_str()}),
                EventKind::DONE => {
                    done = true;
                    match serde_json::from_str::<Value>(&event.json) {
                        Ok(Value::Object(mut finished)) => {
                            finished.insert("type".into(), "done".into());
                            Value::Object(finished)
                        }
                        _ => json!({"type": "done"}),
                    }
                }
                _ => continue, // usage repeats what done carries; unknown kinds are skipped
            };
            let _ = write_line(&mut batch, &line);
            if done {
                break;
            }
        }
        if !batch.is_empty()
            && let Err(err) = out.write_all(&batch).and_then(|()| out.flush())
        {
            // The reader went away: nobody wants the rest.
            stream.cancel();
            return Err(Stop::new(
                1,
                "output",
                format!("cannot write the answer: {err}"),
            ));
        }
        if done {
            return Ok(());
        }
    }
}
