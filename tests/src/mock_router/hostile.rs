//! Answers a hostile service gives: each shape a test of the plugin's defences needs. Every
//! stream here starts with [`LEAD`] as ordinary text, so a test can check that what arrived
//! before the hostile part is delivered intact.

use std::time::Duration;

use super::{Reply, StreamEnd, reply::event_stream_headers};

/// The words every hostile stream delivers before its hostile part.
pub const LEAD: &str = "before the trouble ";

/// Text with a terminal escape sequence, a bell, NUL, DEL, a C1 control and a
/// right-to-left override: what must never reach a message raw.
pub const CONTROL_TEXT: &str =
    "boom \u{1b}[31mRED\u{1b}[0m\u{1b}]0;pwned\u{7}\u{0}\u{7f}\u{9b}2J \u{202e}gnp.exe done";

fn chunk(delta: serde_json::Value) -> String {
    serde_json::json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]})
        .to_string()
}

fn lead() -> String {
    chunk(serde_json::json!({"content": LEAD}))
}

fn finish(reason: &str) -> String {
    serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}).to_string()
}

/// A stream whose tool-call delta names slot `index`.
pub fn tool_call_index(index: u64) -> Reply {
    let call = format!(
        r#"{{"choices":[{{"index":0,"delta":{{"tool_calls":[{{"index":{index},"id":"call_x","type":"function","function":{{"name":"f","arguments":"{{}}"}}}}]}}}}]}}"#
    );
    Reply::sse(
        "together",
        &[&lead(), &call, &finish("tool_calls"), "[DONE]"],
        Duration::ZERO,
        StreamEnd::Close,
    )
}

/// A stream whose usage counts are absurd: at `u64::MAX`, negative, too large for any
/// number type, or text.
pub fn absurd_usage() -> Reply {
    let usage = r#"{"choices":[],"usage":{"prompt_tokens":18446744073709551615,"completion_tokens":18446744073709551615,"total_tokens":-1,"prompt_tokens_details":{"cached_tokens":1e300},"completion_tokens_details":{"reasoning_tokens":"lots"}}}"#;
    Reply::sse(
        "together",
        &[&lead(), &finish("stop"), usage, "[DONE]"],
        Duration::ZERO,
        StreamEnd::Close,
    )
}

/// An event stream whose second event is a `data:` line of `total` bytes that never ends.
pub fn endless_line(total: usize) -> Reply {
    Reply::Flood {
        headers: event_stream_headers("together"),
        prefix: format!("data: {}\n\ndata: ", lead()).into_bytes(),
        fill: b'x',
        piece: 64 * 1024,
        total,
    }
}

/// An HTML page with status 200, as a captive portal or a wrong base URL answers.
pub fn html_page() -> Reply {
    Reply::Respond {
        status: 200,
        headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
        body: b"<!doctype html><html><head><title>Sign in</title></head><body>Please sign in</body></html>".to_vec(),
    }
}

/// A whole JSON chat completion of `text` with status 200 (an upstream that ignores
/// `stream`).
pub fn json_completion(text: &str) -> Reply {
    Reply::json(
        200,
        serde_json::json!({
            "id": "chatcmpl-json", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
        })
        .to_string(),
    )
    .with_header("x-inference-provider", "novita")
}

/// A JSON document with status 200 that is no chat completion.
pub fn json_not_a_completion() -> Reply {
    Reply::json(200, r#"{"status":"ok","hint":"this is a health check"}"#)
}

/// A stream sent with a `Content-Encoding` nobody asked for.
pub fn compressed(encoding: &str) -> Reply {
    Reply::sse(
        "together",
        &[&lead(), &finish("stop")],
        Duration::ZERO,
        StreamEnd::Close,
    )
    .with_header("content-encoding", encoding)
}

/// A stream that delivers the lead, then an `error` event whose data is a whole error
/// envelope carrying `message`.
pub fn error_event_envelope(message: &str) -> Reply {
    let envelope = serde_json::json!({"error": {"message": message, "type": "server_error"}});
    Reply::Stream {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        pieces: vec![
            (Duration::ZERO, format!("data: {}\n\n", lead()).into_bytes()),
            (
                Duration::ZERO,
                format!("event: error\ndata: {envelope}\n\n").into_bytes(),
            ),
        ],
        end: StreamEnd::Close,
    }
}

/// An error status whose body's message is [`CONTROL_TEXT`].
pub fn control_characters_in_error(status: u16) -> Reply {
    Reply::json(
        status,
        serde_json::json!({"error": {"message": CONTROL_TEXT}}).to_string(),
    )
}

/// A stream with one tool call named [`CONTROL_TEXT`], whose id and arguments hold escape
/// sequences too: data, which must arrive exact.
pub fn control_characters_in_tool_name() -> Reply {
    let call = serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [{
        "index": 0, "id": "call_\u{1b}", "type": "function",
        "function": {"name": CONTROL_TEXT, "arguments": "{\"x\":\"\\u001b[2J\"}"}}]}}]})
    .to_string();
    Reply::sse(
        "together",
        &[&lead(), &call, &finish("tool_calls"), "[DONE]"],
        Duration::ZERO,
        StreamEnd::Close,
    )
}
