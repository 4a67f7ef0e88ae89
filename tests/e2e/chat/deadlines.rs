//! Deadlines and cancellation: a stall past the idle timeout fails while a slow drip under it
//! succeeds, a server that never answers meets the first-byte deadline, the overall deadline
//! ends a stream that drips forever, and Ctrl-C cancels the request (the router sees the
//! disconnect).

use std::time::{Duration, Instant};

use openclaw_e2e::{Reply, StreamEnd};
use serde_json::json;

use super::chat;
use crate::support::{CHAT, chat_router, chat_settings, drip, pointed_at, wait_for_disconnect};

#[test]
fn a_stall_past_the_idle_timeout_fails_and_a_slow_drip_under_it_succeeds() {
    let router = chat_router(Reply::sse(
        "x",
        &[r#"{"choices":[{"index":0,"delta":{"content":"started"}}]}"#],
        Duration::ZERO,
        StreamEnd::Stall,
    ));
    let sandbox = pointed_at(&router, chat_settings(json!({"idleTimeoutMs": 400})));
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: timeout"), "{run}");
    assert!(
        run.stderr.contains("went silent for more than 400 ms"),
        "{run}"
    );

    router.on(
        "POST",
        CHAT,
        Reply::words(
            "x",
            "one two three four five",
            Duration::from_millis(150),
            StreamEnd::Close,
        ),
    );
    let sandbox = pointed_at(&router, chat_settings(json!({"idleTimeoutMs": 600})));
    assert_eq!(
        chat(&sandbox, &["--model", "huggingface/a/b", "hi"]).ok(),
        "one two three four five\n"
    );
}

#[test]
fn a_server_that_never_answers_hits_the_first_byte_deadline() {
    let router = chat_router(Reply::Stall);
    let sandbox = pointed_at(
        &router,
        chat_settings(json!({"firstByteTimeoutMs": 300, "maxRetries": 0})),
    );
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(run.stderr.contains("error: timeout"), "{run}");
}

#[test]
fn the_overall_deadline_ends_a_stream_that_drips_forever() {
    let router = chat_router(drip("x", "drip ", 1000, 50, StreamEnd::Close));
    let sandbox = pointed_at(
        &router,
        chat_settings(json!({"idleTimeoutMs": 2000, "timeoutMs": 700})),
    );
    let started = Instant::now();
    let run = chat(&sandbox, &["--model", "huggingface/a/b", "hi"]);
    run.code(1);
    assert!(
        run.stdout.starts_with("drip "),
        "output until the deadline: {run}"
    );
    assert!(run.stderr.contains("error: timeout"), "{run}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn ctrl_c_cancels_the_request_and_the_server_sees_the_disconnect() {
    let router = chat_router(drip("x", "word ", 400, 20, StreamEnd::Close));
    let sandbox = pointed_at(&router, json!({}));
    let mut child = sandbox.start(["chat", "--model", "huggingface/a/b", "hi"]);
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 5];
    use std::io::Read;
    stdout.read_exact(&mut first).unwrap();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let interrupted = Instant::now();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    wait_for_disconnect(&router);
    let seen = router.disconnects()[0].at;
    assert!(seen.duration_since(interrupted) < Duration::from_millis(500));
}
