//! `host-stub chat [--model REF] [--no-stream] [--json] [--system TEXT] [--tools JSON]
//! [--response-format JSON] [PROMPT…]`: the answer
//! goes to stdout as it arrives; reasoning, notices, attempts and the closing summary (model,
//! serving provider, usage) go to stderr, reasoning dimmed on a terminal. With `--json`, stdout
//! carries one JSON object per line instead, in the schema `provider_host::event_lines` defines
//! (`attempt`, `notice`, `servingProvider`, `text`, `reasoning`, `toolCall`, `failed`, then
//! `done` or `error`). Ctrl-C cancels the request (exit code 130).

use std::{
    io::{IsTerminal, Read, Write},
    sync::Arc,
};

use clap::Args;
use openclaw_provider_abi::{Cancellation, ProviderError, documents::ToolCallDelta};
use provider_host::{
    display,
    event_lines::{ChatSummary, DoneLine, ErrorLine, EventLine},
};

use super::{CliResult, Failure, open_host};
use crate::{
    chat::{Attempt, ChatFailure, ChatOptions, ChatSink, run},
    chat_sessions::ChatSession,
    host::HostOptions,
};

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The model: a ref (huggingface/<org>/<model>[:policy]) or an alias. Default: the
    /// configured primary, with its fallbacks.
    #[arg(long, short = 'm', value_name = "REF")]
    pub model: Option<String>,
    /// Fetch the answer in one piece instead of streaming it.
    #[arg(long)]
    pub no_stream: bool,
    /// A system message to send first.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    /// Tool definitions to offer the model: a JSON array in OpenAI's shape.
    #[arg(long, value_name = "JSON", value_parser = json_value)]
    pub tools: Option<serde_json::Value>,
    /// The response format: a JSON object in OpenAI's shape (`{"type":"json_object"}`).
    #[arg(long, value_name = "JSON", value_parser = json_value)]
    pub response_format: Option<serde_json::Value>,
    /// A conversation to continue across runs: its turns ask again for the upstream that
    /// served its model before (so its prompt cache keeps hitting), when the plugin routes.
    #[arg(long, value_name = "NAME")]
    pub session: Option<String>,
    /// The prompt (words are joined with spaces); read from stdin when absent or `-`.
    #[arg(value_name = "PROMPT")]
    pub prompt: Vec<String>,
}

fn json_value(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|err| format!("not JSON: {err}"))
}

pub fn run_chat(args: ChatArgs, options: &HostOptions) -> CliResult {
    let prompt = read_prompt(&args.prompt)?;
    let host = open_host(options)?;
    let cancel = Arc::new(Cancellation::new());
    {
        let cancel = cancel.clone();
        ctrlc::set_handler(move || cancel.cancel())
            .map_err(|err| Failure::new(format!("cannot install the Ctrl-C handler: {err}")))?;
    }
    let mut session = match &args.session {
        Some(name) => Some(ChatSession::open(&host.paths, name).map_err(Failure::usage)?),
        None => None,
    };
    let chat_options = ChatOptions {
        model: args.model.clone(),
        system: args.system.clone(),
        prompt,
        stream: !args.no_stream,
        tools: match args.tools.clone() {
            Some(serde_json::Value::Array(tools)) => Some(tools),
            Some(_) => return Err(Failure::usage("--tools takes a JSON array of tools")),
            None => None,
        },
        response_format: args.response_format.clone(),
        session_upstreams: session
            .as_ref()
            .map(|session| session.upstreams().clone())
            .unwrap_or_default(),
    };
    let mut text_sink;
    let mut json_sink;
    let sink: &mut dyn ChatSink = if options.json {
        json_sink = JsonSink;
        &mut json_sink
    } else {
        text_sink = TextSink::new();
        &mut text_sink
    };
    match run(&host, &chat_options, sink, &cancel) {
        Ok(outcome) => {
            if let (Some(session), Some(serving)) = (&mut session, &outcome.done.serving_provider)
                && let Err(err) = session.remember(&outcome.model, serving)
            {
                tell!("cannot remember the session's upstream: {err}");
            }
            if options.json {
                emit(&EventLine::Done(DoneLine {
                    result: ChatSummary::from(&outcome.done),
                    model_ref: Some(&outcome.model),
                    attempts: Some(&outcome.attempts),
                }));
            } else {
                let done = &outcome.done;
                let mut summary = format!("model {}", outcome.model);
                if let Some(serving) = &done.serving_provider {
                    summary.push_str(&format!(" via {serving}"));
                }
                match &done.usage {
                    Some(usage) => summary.push_str(&format!(
                        " · {} prompt + {} completion = {} tokens",
                        usage.prompt_tokens, usage.completion_tokens, usage.total_tokens
                    )),
                    None => summary.push_str(" · usage not reported"),
                }
                if let Some(cost) = &done.cost {
                    summary.push_str(&format!(
                        " · {:.6} {} at {}'s prices",
                        cost.total, cost.currency, cost.upstream
                    ));
                }
                if let Some(reason) = &done.finish_reason {
                    summary.push_str(&format!(" · finish: {reason}"));
                }
                // The upstream's words (names, arguments) are shown, never obeyed: each line is
                // made safe before the dimming codes are added around it all.
                let mut summary = display::one_line(&summary).into_owned();
                for call in &done.tool_calls {
                    summary.push_str(&format!(
                        "\ntool call {}",
                        display::one_line(&format!(
                            "{} {}({})",
                            call.id, call.function.name, call.function.arguments
                        ))
                    ));
                }
                let mut stdout = std::io::stdout();
                let _ = writeln!(stdout);
                let _ = stdout.flush();
                eprintln!(
                    "{}",
                    dim(
                        &format!("[{summary}]"),
                        crate::logging::colour(std::io::stderr().is_terminal())
                    )
                );
            }
            Ok(())
        }
        Err(ChatFailure::Setup(message)) => Err(Failure::new(message)),
        Err(ChatFailure::Cancelled { attempts }) => {
            if options.json {
                emit(&EventLine::Error(ErrorLine {
                    code: "cancelled".into(),
                    message: "cancelled".into(),
                    http_status: None,
                    retry_after_ms: None,
                    details: None,
                    attempts: Some(&attempts),
                }));
            } else {
                tell!("\ncancelled");
            }
            Err(Failure::cancelled("the chat was cancelled").reported())
        }
        Err(ChatFailure::Failed { error, attempts }) => {
            if options.json {
                emit(&EventLine::Error(ErrorLine {
                    attempts: Some(&attempts),
                    ..ErrorLine::from_error(&error)
                }));
            }
            let tried = if attempts.len() > 1 {
                format!(" (after {} attempts)", attempts.len())
            } else {
                String::new()
            };
            let failure = Failure::new(format!("{error}{tried}")).kind(error.code.to_string());
            Err(if options.json {
                failure.reported()
            } else {
                failure
            })
        }
    }
}

/// The prompt from the arguments, or all of stdin.
fn read_prompt(words: &[String]) -> Result<String, Failure> {
    let from_args = words.join(" ");
    let prompt = if from_args.is_empty() || from_args == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| Failure::usage(format!("cannot read the prompt from stdin: {err}")))?;
        text
    } else {
        from_args
    };
    if prompt.trim().is_empty() {
        return Err(Failure::usage(
            "no prompt: give it as arguments or on stdin (`echo hi | host-stub chat`)",
        ));
    }
    Ok(prompt)
}

fn dim(text: &str, terminal: bool) -> String {
    if terminal {
        format!("\x1b[2m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Text for people: the answer on stdout, everything else on stderr.
struct TextSink {
    dim_stderr: bool,
    in_reasoning: bool,
}

impl TextSink {
    fn new() -> Self {
        Self {
            dim_stderr: crate::logging::colour(std::io::stderr().is_terminal()),
            in_reasoning: false,
        }
    }

    fn end_reasoning(&mut self) {
        if self.in_reasoning {
            tell!();
            self.in_reasoning = false;
        }
    }
}

impl ChatSink for TextSink {
    fn attempt(&mut self, attempt: &Attempt) {
        if attempt.number > 1 {
            tell!(
                "trying {} ({} of {})",
                attempt.model,
                attempt.number,
                attempt.of
            );
        }
    }

    fn notice(&mut self, text: &str) {
        self.end_reasoning();
        tell!("note: {text}");
    }

    fn text(&mut self, text: &str) {
        self.end_reasoning();
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(display::text(text).as_bytes());
        let _ = stdout.flush();
    }

    fn reasoning(&mut self, text: &str) {
        self.in_reasoning = true;
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(dim(&display::text(text), self.dim_stderr).as_bytes());
        let _ = stderr.flush();
    }

    fn tool_call(&mut self, _delta: &ToolCallDelta) {}

    fn failed(&mut self, attempt: &Attempt, error: &ProviderError, next: Option<&str>) {
        self.end_reasoning();
        match next {
            Some(next) => tell!("{} failed: {error}; falling back to {next}", attempt.model),
            None if attempt.of > 1 => tell!("{} failed: {error}", attempt.model),
            None => {}
        }
    }
}

/// JSON lines for scripts.
#[derive(Default)]
struct JsonSink;

fn emit(line: &EventLine<'_>) {
    let mut bytes = Vec::new();
    line.write_to(&mut bytes);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&bytes);
    let _ = stdout.flush();
}

impl ChatSink for JsonSink {
    fn attempt(&mut self, attempt: &Attempt) {
        emit(&EventLine::Attempt {
            number: attempt.number,
            of: attempt.of,
            model: &attempt.model,
        });
    }
    fn notice(&mut self, text: &str) {
        emit(&EventLine::Notice {
            message: text,
            details: None,
        });
    }
    fn serving_provider(&mut self, name: &str) {
        emit(&EventLine::ServingProvider { provider: name });
    }
    fn text(&mut self, text: &str) {
        emit(&EventLine::Text { delta: text });
    }
    fn reasoning(&mut self, text: &str) {
        emit(&EventLine::Reasoning { delta: text });
    }
    fn tool_call(&mut self, delta: &ToolCallDelta) {
        emit(&EventLine::ToolCall(delta));
    }
    fn failed(&mut self, attempt: &Attempt, error: &ProviderError, next: Option<&str>) {
        emit(&EventLine::Failed {
            model: &attempt.model,
            code: error.code.to_string(),
            message: &error.message,
            next,
        });
    }
}
