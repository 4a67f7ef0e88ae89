//! `mock-router [--models N | --models-file PATH] [--chat-chunks N]` serves `GET /v1/models` with
//! N generated models (default 130) or the given body, and `POST /v1/chat/completions` as a
//! stream of N small chunks (default 20), and prints its base URL, until interrupted.

use std::time::Duration;

use openclaw_e2e::{MockRouter, Reply, models_body, stream_body};

fn main() {
    let mut body = None;
    let mut chunks = 20;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--models", Some(count)) => match count.parse() {
                Ok(count) => body = Some(models_body(count)),
                Err(_) => fail(&format!("--models takes a number, not {count:?}")),
            },
            ("--models-file", Some(path)) => match std::fs::read(&path) {
                Ok(bytes) => body = Some(bytes),
                Err(err) => fail(&format!("cannot read {path}: {err}")),
            },
            ("--chat-chunks", Some(count)) => match count.parse() {
                Ok(count) => chunks = count,
                Err(_) => fail(&format!("--chat-chunks takes a number, not {count:?}")),
            },
            _ => fail("usage: mock-router [--models N | --models-file PATH] [--chat-chunks N]"),
        }
    }
    let router = MockRouter::start();
    let body = body.unwrap_or_else(|| models_body(130));
    router.on("GET", "/v1/models", Reply::json(200, body));
    router.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse_bytes("mock", &stream_body(chunks), 64 * 1024),
    );
    println!("{}", router.base_url());
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}
