//! The resident bridge: one process answering every request of its host, concurrently, over
//! JSON lines on stdio (see [`crate::protocol`]).
//!
//! The main thread reads messages; each request runs on a thread of its own (a chat pulls its
//! stream there, a catalog waits for its download there), so a slow request never holds up
//! another, and `cancel` reaches a chat at once through its flag. The plugin is loaded once and
//! its connection pools live as long as the process, which is what keeps calls warm. When stdin
//! closes — the host exited, was killed, or is done with the bridge — every request in flight
//! is cancelled and the process exits; when stdout breaks, nobody is listening and it exits too.

use std::{
    collections::HashMap,
    io::{BufRead, Read},
    path::PathBuf,
    process::ExitCode,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use openclaw_provider_abi::Secret;
use provider_host::plugin::LoadedPlugin;

use crate::{
    load::load,
    ops::{self, Mode, Settings, Stop},
    output::Lines,
    protocol::{Hello, HelloError, MAX_MESSAGE_BYTES, Message, PROTOCOL},
};

/// The most requests in flight at once; more are refused (`busy`) rather than queued without
/// bound.
const MAX_IN_FLIGHT: usize = 1024;

/// What the credential of a request is called when it is missing.
const REQUEST_CREDENTIAL: &str = "a \"credential\" in the request";

/// Cancel flags of the requests in flight, by id.
type InFlight = Arc<Mutex<HashMap<u64, Arc<AtomicBool>>>>;

/// Serves until stdin closes. `protocol` is the version the host asked for.
pub fn serve(plugin_dir: Option<PathBuf>, provider: Option<&str>, protocol: u32) -> ExitCode {
    let mut lines = Lines::new(None);
    if protocol != PROTOCOL {
        let message = format!(
            "this bridge speaks protocol {PROTOCOL}, the host asked for {protocol}: install the \
             bridge and the entry of one release"
        );
        return refuse(&mut lines, "protocol_mismatch", &message, 2);
    }
    let plugin = match load(plugin_dir, provider) {
        Ok(plugin) => Arc::new(plugin),
        Err(stop) => return refuse(&mut lines, &stop.code, &stop.message, stop.exit),
    };
    lines.push(&Hello::new(
        Some(plugin.id()),
        Some(plugin.info.plugin_version.as_str()),
    ));
    if lines.flush().is_err() {
        return ExitCode::FAILURE;
    }
    let in_flight: InFlight = Arc::default();
    let mut stdin = std::io::stdin().lock();
    loop {
        match read_message(&mut stdin) {
            Ok(Some(Ok(line))) => dispatch(&plugin, &in_flight, &line),
            Ok(Some(Err(too_long))) => answer_error(
                None,
                &Stop::new(
                    2,
                    "invalid_request",
                    format!(
                        "a message of over {too_long} bytes was skipped (the most is {} MiB)",
                        MAX_MESSAGE_BYTES >> 20
                    ),
                ),
            ),
            // The host closed our stdin (or is gone): stop everything and leave.
            Ok(None) | Err(_) => break,
        }
    }
    let flags = in_flight
        .lock()
        .map(|map| map.values().cloned().collect::<Vec<_>>());
    for flag in flags.unwrap_or_default() {
        flag.store(true, Ordering::SeqCst);
    }
    ExitCode::SUCCESS
}

/// A hello with an error, then the exit code.
fn refuse(lines: &mut Lines, code: &str, message: &str, exit: u8) -> ExitCode {
    let mut hello = Hello::new(None, None);
    hello.error = Some(HelloError { code, message });
    lines.push(&hello);
    let _ = lines.flush();
    ExitCode::from(exit)
}

/// The next line of stdin: `Ok(None)` at the end, `Err(length)` inside for a line over the
/// cap (read through and dropped, so memory stays bounded).
fn read_message(input: &mut impl BufRead) -> std::io::Result<Option<Result<Vec<u8>, usize>>> {
    let mut line = Vec::new();
    let read = input
        .by_ref()
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') || line.len() <= MAX_MESSAGE_BYTES {
        return Ok(Some(Ok(line)));
    }
    // Over the cap without a newline: skip to the end of this line.
    let mut skipped = line.len();
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(Some(Err(skipped)));
        }
        match memchr(b'\n', buffer) {
            Some(at) => {
                input.consume(at + 1);
                skipped += at + 1;
                return Ok(Some(Err(skipped)));
            }
            None => {
                let length = buffer.len();
                input.consume(length);
                skipped = skipped.saturating_add(length);
            }
        }
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&byte| byte == needle)
}

/// Writes an `error` line for request `id` (or for no request).
fn answer_error(id: Option<u64>, stop: &Stop) {
    let mut lines = Lines::new(id);
    lines.push(&stop.line());
    flush_or_exit(&mut lines);
}

/// Flushes; a broken stdout means the host is gone, so the bridge ends.
fn flush_or_exit(lines: &mut Lines) {
    if lines.flush().is_err() {
        std::process::exit(0);
    }
}

/// Reads one message and starts the request it asks for.
fn dispatch(plugin: &Arc<LoadedPlugin>, in_flight: &InFlight, line: &[u8]) {
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let message: Message = match serde_json::from_slice(line) {
        Ok(message) => message,
        Err(err) => {
            // Find the id if there is one, so the host can tell which request failed.
            let id = serde_json::from_slice::<serde_json::Value>(line)
                .ok()
                .and_then(|value| value.get("rid")?.as_u64());
            let what = if err.is_syntax() || err.is_eof() {
                "not JSON"
            } else {
                "not a request"
            };
            return answer_error(
                id,
                &Stop::new(
                    2,
                    "invalid_request",
                    format!("the message is {what}: {err}"),
                ),
            );
        }
    };
    let id = message.rid;
    if message.op == "cancel" {
        if let Some(flag) = in_flight.lock().ok().and_then(|map| map.get(&id).cloned()) {
            flag.store(true, Ordering::SeqCst);
        }
        return;
    }
    let cancel = {
        let Ok(mut map) = in_flight.lock() else {
            return answer_error(Some(id), &Stop::new(1, "internal", "the bridge is broken"));
        };
        if map.contains_key(&id) {
            drop(map);
            return answer_error(
                Some(id),
                &Stop::new(
                    2,
                    "invalid_request",
                    format!("request id {id} is already in use"),
                ),
            );
        }
        if map.len() >= MAX_IN_FLIGHT {
            drop(map);
            return answer_error(
                Some(id),
                &Stop::new(
                    1,
                    "busy",
                    format!("{MAX_IN_FLIGHT} requests are already in flight; try again"),
                ),
            );
        }
        let flag = Arc::new(AtomicBool::new(false));
        map.insert(id, flag.clone());
        flag
    };
    let plugin = plugin.clone();
    let in_flight_for_thread = in_flight.clone();
    let started = std::thread::Builder::new()
        .name(format!("request-{id}"))
        .spawn(move || {
            let mut lines = Lines::new(Some(id));
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(&plugin, message, &cancel, &mut lines)
            }))
            .unwrap_or_else(|_| Err(Stop::new(1, "internal", "the bridge failed unexpectedly")));
            if let Err(stop) = outcome {
                lines.push(&stop.line());
            }
            if let Ok(mut map) = in_flight_for_thread.lock() {
                map.remove(&id);
            }
            flush_or_exit(&mut lines);
        });
    if let Err(err) = started {
        if let Ok(mut map) = in_flight.lock() {
            map.remove(&id);
        }
        answer_error(
            Some(id),
            &Stop::new(1, "busy", format!("cannot start the request: {err}")),
        );
    }
}

/// Runs one request; its answer (or its events) go to `lines`.
fn run(
    plugin: &LoadedPlugin,
    message: Message,
    cancel: &AtomicBool,
    lines: &mut Lines,
) -> Result<(), Stop> {
    let settings = match message.settings {
        Some(settings) => Settings::new(settings.base_url, settings.provider_config)?,
        None => Settings::default(),
    };
    let explicit = message.credential.as_deref();
    let answer = match message.op.as_str() {
        "info" => ops::info(plugin),
        "catalog" => {
            let mode = match message.mode.as_deref() {
                None => Mode::Strict,
                Some(text) => Mode::parse(text).ok_or_else(|| {
                    Stop::new(
                        2,
                        "invalid_request",
                        format!("unknown catalog mode {text:?}: strict, advisory or static"),
                    )
                })?,
            };
            let credential: Option<Secret> = match mode {
                Mode::Static => None,
                _ => Some(ops::credential(plugin, REQUEST_CREDENTIAL, explicit)?),
            };
            ops::catalog(
                plugin,
                &settings,
                credential.as_ref(),
                mode,
                message.timeout_ms.unwrap_or(0),
                message.max_body_bytes.unwrap_or(0),
            )?
        }
        "resolve" => {
            let reference = message
                .reference
                .ok_or_else(|| Stop::new(2, "invalid_request", "resolve needs a \"ref\""))?;
            ops::resolve(plugin, &reference)?
        }
        "onboarding" => ops::onboarding(
            plugin,
            message.config.as_ref().map_or("", |config| config.get()),
            message.method.as_deref(),
            message.model.as_deref(),
        )?,
        "prepare" => ops::prepare(plugin, &settings)?,
        "chat" => {
            let request = message
                .request
                .ok_or_else(|| Stop::new(2, "invalid_request", "chat needs a \"request\""))?;
            let credential = (REQUEST_CREDENTIAL, explicit);
            return ops::chat(plugin, &settings, credential, request.get(), cancel, lines);
        }
        other => {
            return Err(Stop::new(
                2,
                "invalid_request",
                format!(
                    "unknown operation {other:?}: info, catalog, resolve, onboarding, prepare, \
                     chat or cancel"
                ),
            ));
        }
    };
    lines.push(&answer);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_over_the_cap_are_skipped_whole() {
        let mut input = Vec::new();
        input.extend(std::iter::repeat_n(b'x', MAX_MESSAGE_BYTES + 10));
        input.extend_from_slice(b"\n{\"rid\":1}\n");
        let mut reader = std::io::BufReader::new(&input[..]);
        assert_eq!(
            read_message(&mut reader).unwrap(),
            Some(Err(MAX_MESSAGE_BYTES + 11))
        );
        assert_eq!(
            read_message(&mut reader).unwrap(),
            Some(Ok(b"{\"rid\":1}\n".to_vec()))
        );
        assert_eq!(read_message(&mut reader).unwrap(), None);
    }

    #[test]
    fn message_fields_are_optional_but_id_and_op() {
        let message: Message =
            serde_json::from_str(r#"{"rid":3,"op":"chat","request":{"model":"m"},"extra":1}"#)
                .unwrap();
        assert_eq!(message.request.unwrap().get(), r#"{"model":"m"}"#);
        assert!(serde_json::from_str::<Message>(r#"{"op":"chat"}"#).is_err());
    }
}
