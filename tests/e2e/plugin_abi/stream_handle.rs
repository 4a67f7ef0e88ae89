//! The ABI's pull handle for a streamed chat, used directly: `cancel()` and dropping it close the
//! connection promptly, and the end of the stream is reported once.

use std::time::{Duration, Instant};

use openclaw_e2e::{StreamEnd, call_context};
use openclaw_provider_abi::{
    ErrorCode, EventKind,
    abi_stable::std_types::{ROption, RResult},
};

use crate::support::{
    chat_request, chat_router, drip, in_process::hf_loaded_alone, stream_of, wait_for,
};

/// Through the ABI directly: cancel() and drop close the connection within 100 ms.
#[test]
fn cancel_and_drop_close_the_connection_promptly() {
    let (_sandbox, report) = hf_loaded_alone();
    let plugin = report.registry.get("huggingface").unwrap();
    for use_cancel in [true, false] {
        let router = chat_router(drip("x", "tick ", 2000, 10, StreamEnd::Close));
        let context = call_context(&router.base_url());
        let request = chat_request("huggingface/a/b", "go");
        let mut stream = plugin.chat_stream(&context, &request).unwrap();
        let mut seen = 0;
        while seen < 3 {
            if let RResult::ROk(ROption::RSome(event)) = stream.next_event(1000)
                && event.kind == EventKind::TEXT_DELTA
            {
                seen += 1;
            }
        }
        let stopped = Instant::now();
        if use_cancel {
            stream.cancel();
            match stream.next_event(10) {
                RResult::RErr(err) => assert_eq!(err.code, ErrorCode::CANCELLED),
                other => panic!("after cancel: {other:?}"),
            }
        }
        drop(stream);
        wait_for("no disconnect seen", Duration::from_secs(2), || {
            !router.disconnects().is_empty()
        });
        let after = router.disconnects()[0].at.duration_since(stopped);
        assert!(
            after < Duration::from_millis(100),
            "disconnect seen after {after:?}"
        );
    }
}

#[test]
fn the_pull_handle_reports_the_end_of_the_stream_once() {
    let (_sandbox, report) = hf_loaded_alone();
    let plugin = report.registry.get("huggingface").unwrap();
    let router = chat_router(stream_of("a b c", "together"));
    let context = call_context(&router.base_url());
    let request = chat_request("huggingface/a/b", "go");
    let mut stream = plugin.chat_stream(&context, &request).unwrap();
    let mut kinds = Vec::new();
    loop {
        match stream.next_events(2, 2000) {
            RResult::ROk(events) => {
                let done = events.iter().any(|e| e.kind == EventKind::DONE);
                kinds.extend(events.iter().map(|e| e.kind));
                if done {
                    break;
                }
            }
            RResult::RErr(err) => panic!("{err}"),
        }
    }
    assert_eq!(kinds.first(), Some(&EventKind::SERVING_PROVIDER));
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventKind::TEXT_DELTA)
            .count(),
        3
    );
    assert_eq!(kinds.last(), Some(&EventKind::DONE));
    match stream.next_event(0) {
        RResult::RErr(err) => assert_eq!(err.code, ErrorCode::INVALID_REQUEST),
        other => panic!("after the end: {other:?}"),
    }
}
