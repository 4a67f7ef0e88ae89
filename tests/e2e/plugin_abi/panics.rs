//! A panic inside a plugin — starting a chat, inside a stream, in `host-stub chat` — becomes an
//! `internal` error, and the host and the plugin carry on.

use openclaw_e2e::{Sandbox, stage_echo};
use openclaw_provider_abi::{
    CallContext, ErrorCode, EventKind,
    abi_stable::std_types::{ROption, RResult},
};

use crate::support::chat_request;
use crate::support::in_process::plugin;

#[test]
fn a_panic_inside_a_plugin_becomes_an_internal_error_and_the_host_survives() {
    let echo = plugin("echo");
    let request = |text: &str| chat_request("echo/echo-1", text);
    let context = CallContext::anonymous();

    let err = echo
        .chat(&context, &request("please panic now"))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::INTERNAL);
    assert!(err.message.contains("panicked in chat"), "{err}");

    // The host (this process) is alive and the plugin still answers.
    let answer = echo.chat(&context, &request("hello")).unwrap();
    assert!(answer.contains("echo: hello"), "{answer}");

    // A panic inside a stream method is caught the same way.
    let mut stream = echo
        .chat_stream(&context, &request("stream-panic"))
        .unwrap();
    let RResult::RErr(err) = stream.next_event(10) else {
        panic!("expected an error")
    };
    assert_eq!(err.code, ErrorCode::INTERNAL);
    let mut stream = echo.chat_stream(&context, &request("two words")).unwrap();
    let mut text = String::new();
    loop {
        match stream.next_event(10) {
            RResult::ROk(ROption::RSome(event)) if event.kind == EventKind::TEXT_DELTA => {
                text.push_str(&event.text)
            }
            RResult::ROk(ROption::RSome(event)) if event.kind == EventKind::DONE => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(text, "echo: two words");
}

#[test]
fn a_panicking_provider_fails_the_chat_and_the_host_reports_it() {
    let sandbox = Sandbox::new();
    stage_echo(&sandbox.state_dir().join("extensions/echo"));
    let run = sandbox.run(["chat", "--model", "echo/echo-1", "please panic"]);
    run.code(1);
    assert!(run.stderr.contains("error: internal"), "{run}");
    assert!(run.stderr.contains("panicked in chat_stream"), "{run}");
    let ok = sandbox.run(["chat", "--model", "echo/echo-1", "hello there"]);
    assert_eq!(ok.ok(), "echo: hello there\n");
}
