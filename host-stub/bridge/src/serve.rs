//! The resident bridge: one process answering every request of its host, concurrently, over
//! JSON lines on stdio (see [`crate::protocol`] and `docs/bridge-protocol.md`).
//!
//! The main thread reads messages; each request runs on a thread of its own (a chat pulls its
//! stream there, a catalog waits for its download there), so a slow request never holds up
//! another, and `cancel` reaches any request at once through its [`Cancellation`]. What one
//! request does stays its own: a message the bridge cannot take is rejected alone, an answer too
//! large fails its own request, and requests beyond [`MAX_IN_FLIGHT`] or
//! [`MAX_IN_FLIGHT_BYTES`] are refused (`busy`) rather than queued without bound. The plugin is
//! loaded once and its connection pools live as long as the process, which is what keeps calls
//! warm. When stdin closes — the host exited, was killed, or is done with the bridge — every
//! request in flight is cancelled and the process exits; when stdout breaks, nobody is listening
//! and it exits too.

use std::{
    collections::HashMap,
    io::{BufRead, Read},
    path::PathBuf,
    process::ExitCode,
    sync::{Arc, Mutex},
};

use openclaw_provider_abi::Cancellation;
use provider_host::plugin::LoadedPlugin;

use crate::{
    load::load,
    ops::{self, CredentialSource},
    output::Lines,
    protocol::{
        Envelope, Exit, Hello, HelloError, MAX_IN_FLIGHT, MAX_IN_FLIGHT_BYTES, MAX_MESSAGE_BYTES,
        PROTOCOL, Rejected, Request, Stop,
    },
};

/// A request in flight: how to stop it and what it weighs.
struct Live {
    cancel: Arc<Cancellation>,
    bytes: usize,
}

/// The requests in flight, by id, and their total weight.
#[derive(Default)]
struct InFlight {
    requests: HashMap<u64, Live>,
    bytes: usize,
}

type Shared = Arc<Mutex<InFlight>>;

/// Requests whose message was at least this large give their memory back to the system when
/// they end (glibc keeps freed memory of large requests otherwise).
const TRIM_AFTER_BYTES: usize = 4 * 1024 * 1024;

/// Serves until stdin closes. `protocol` is the version the host asked for.
pub fn serve(plugin_dir: Option<PathBuf>, provider: Option<&str>, protocol: u32) -> ExitCode {
    let mut lines = Lines::new(None);
    if protocol != PROTOCOL {
        let message = format!(
            "this bridge speaks protocol {PROTOCOL}, the host asked for {protocol}: install the \
             bridge and the entry of one release"
        );
        return refuse(&mut lines, "protocol_mismatch", &message, Exit::Usage);
    }
    let plugin = match load(plugin_dir, provider) {
        Ok(plugin) => Arc::new(plugin),
        Err(stop) => return refuse(&mut lines, &stop.code, &stop.message, stop.exit),
    };
    let mut hello = Hello::new(Some(plugin.id()), Some(plugin.info.plugin_version.as_str()));
    hello.serves = plugin.serving().names();
    if lines.push(&hello).is_err() || lines.flush().is_err() {
        return ExitCode::FAILURE;
    }
    let in_flight: Shared = Arc::default();
    let mut stdin = std::io::stdin().lock();
    loop {
        match read_message(&mut stdin) {
            Ok(Some(Ok(line))) => dispatch(&plugin, &in_flight, line),
            Ok(Some(Err(too_long))) => reject(
                None,
                "invalid_message",
                &format!(
                    "a message of over {too_long} bytes was skipped (the most is {} MiB)",
                    MAX_MESSAGE_BYTES >> 20
                ),
            ),
            // The host closed our stdin (or is gone): stop everything and leave.
            Ok(None) | Err(_) => break,
        }
    }
    if let Ok(in_flight) = in_flight.lock() {
        for live in in_flight.requests.values() {
            live.cancel.cancel();
        }
    }
    ExitCode::SUCCESS
}

/// A hello with an error, then the exit code.
fn refuse(lines: &mut Lines, code: &str, message: &str, exit: Exit) -> ExitCode {
    let mut hello = Hello::new(None, None);
    hello.error = Some(HelloError { code, message });
    let _ = lines.push(&hello);
    let _ = lines.flush();
    exit.into()
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
        match buffer.iter().position(|&byte| byte == b'\n') {
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

/// Writes one line, whole; a broken stdout means the host is gone, so the bridge ends.
fn write(mut lines: Lines) {
    if lines.flush().is_err() {
        std::process::exit(0);
    }
}

/// A `rejected` line: a message the bridge did not take, which ends no request.
fn reject(rid: Option<u64>, code: &str, message: &str) {
    let mut lines = Lines::new(None);
    let _ = lines.push(&Rejected::new(rid, code, message));
    write(lines);
}

/// An `error` line ending request `rid`, which never started.
fn refuse_request(rid: u64, stop: &Stop) {
    let mut lines = Lines::new(Some(rid));
    let _ = lines.push(&stop.line());
    write(lines);
}

/// Reads one message and starts the request it asks for.
fn dispatch(plugin: &Arc<LoadedPlugin>, in_flight: &Shared, line: Vec<u8>) {
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let envelope: Envelope = match serde_json::from_slice(&line) {
        Ok(envelope) => envelope,
        Err(err) => {
            // Find the id if there is one, so the host can tell which request failed.
            let rid = serde_json::from_slice::<serde_json::Value>(&line)
                .ok()
                .and_then(|value| value.get("rid")?.as_u64());
            let what = if err.is_syntax() || err.is_eof() {
                "not JSON"
            } else {
                "not a request"
            };
            let message = format!("the message is {what}: {err}");
            return match rid.filter(|rid| !is_live(in_flight, *rid)) {
                Some(rid) => refuse_request(rid, &Stop::invalid(message)),
                None => reject(rid, "invalid_message", &message),
            };
        }
    };
    let rid = envelope.rid;
    let request = match Request::try_from(envelope) {
        Ok(Request::Cancel) => {
            if let Ok(in_flight) = in_flight.lock()
                && let Some(live) = in_flight.requests.get(&rid)
            {
                live.cancel.cancel();
            }
            return;
        }
        Ok(request) => request,
        Err(why) if is_live(in_flight, rid) => {
            return reject(Some(rid), "invalid_message", &why);
        }
        Err(why) => return refuse_request(rid, &Stop::invalid(why)),
    };
    let held = line.len().saturating_add(request.held_beyond_message());
    let cancel = match admit(in_flight, rid, held) {
        Ok(cancel) => cancel,
        Err(Admission::Duplicate) => {
            return reject(
                Some(rid),
                "duplicate_rid",
                &format!("request id {rid} is already in flight"),
            );
        }
        Err(Admission::Busy(why)) => {
            return refuse_request(rid, &Stop::new(Exit::Failed, "busy", why));
        }
    };
    // The message's bytes are not needed any more: the request holds what it uses.
    drop(line);
    let plugin = plugin.clone();
    let in_flight_for_thread = in_flight.clone();
    let started = std::thread::Builder::new()
        .name(format!("request-{rid}"))
        .spawn(move || {
            let mut lines = Lines::new(Some(rid));
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                ops::run(
                    &plugin,
                    request,
                    &CredentialSource::Request,
                    &cancel,
                    &mut lines,
                )
            }))
            .unwrap_or_else(|_| {
                Err(Stop::new(
                    Exit::Failed,
                    "internal",
                    "the bridge failed unexpectedly",
                ))
            });
            if let Err(stop) = outcome {
                let _ = lines.push(&stop.line());
            }
            let bytes = release(&in_flight_for_thread, rid);
            write(lines);
            if bytes >= TRIM_AFTER_BYTES {
                give_back_memory();
            }
        });
    if let Err(err) = started {
        release(in_flight, rid);
        refuse_request(
            rid,
            &Stop::new(
                Exit::Failed,
                "busy",
                format!("cannot start the request: {err}"),
            ),
        );
    }
}

fn is_live(in_flight: &Shared, rid: u64) -> bool {
    in_flight
        .lock()
        .is_ok_and(|in_flight| in_flight.requests.contains_key(&rid))
}

/// Why a request was not admitted.
enum Admission {
    Duplicate,
    Busy(String),
}

/// Admits request `rid` of `bytes`, returning its cancellation flag.
fn admit(in_flight: &Shared, rid: u64, bytes: usize) -> Result<Arc<Cancellation>, Admission> {
    let Ok(mut in_flight) = in_flight.lock() else {
        return Err(Admission::Busy("the bridge is broken".into()));
    };
    if in_flight.requests.contains_key(&rid) {
        return Err(Admission::Duplicate);
    }
    if in_flight.requests.len() >= MAX_IN_FLIGHT {
        return Err(Admission::Busy(format!(
            "{MAX_IN_FLIGHT} requests are already in flight; try again"
        )));
    }
    if in_flight.bytes.saturating_add(bytes) > MAX_IN_FLIGHT_BYTES {
        return Err(Admission::Busy(format!(
            "{} MiB of requests are already in flight; try again",
            in_flight.bytes >> 20
        )));
    }
    let cancel = Arc::new(Cancellation::new());
    in_flight.bytes += bytes;
    in_flight.requests.insert(
        rid,
        Live {
            cancel: cancel.clone(),
            bytes,
        },
    );
    Ok(cancel)
}

/// Forgets request `rid`; returns what it weighed.
fn release(in_flight: &Shared, rid: u64) -> usize {
    let Ok(mut in_flight) = in_flight.lock() else {
        return 0;
    };
    let bytes = in_flight.requests.remove(&rid).map_or(0, |live| live.bytes);
    in_flight.bytes = in_flight.bytes.saturating_sub(bytes);
    bytes
}

/// Returns freed memory to the system, where the allocator keeps it otherwise.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory at the top of the heap and in free pages;
    // it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
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
    fn admission_counts_requests_and_bytes() {
        let in_flight: Shared = Arc::default();
        assert!(admit(&in_flight, 1, 10).is_ok());
        assert!(matches!(
            admit(&in_flight, 1, 10),
            Err(Admission::Duplicate)
        ));
        assert!(matches!(
            admit(&in_flight, 2, MAX_IN_FLIGHT_BYTES),
            Err(Admission::Busy(_))
        ));
        assert_eq!(release(&in_flight, 1), 10);
        assert!(admit(&in_flight, 2, MAX_IN_FLIGHT_BYTES).is_ok());
    }
}
