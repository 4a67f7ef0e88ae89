//! `mock-router [--models N | --models-file PATH] [--chat-chunks N] [--tls-rtt-ms MS [--http2]]` serves
//! `GET /v1/models` with N generated models (default 130) or the given body, and
//! `POST /v1/chat/completions` as a stream of N small chunks (default 20), and prints its base
//! URL, until interrupted. With `--tls-rtt-ms`, it is served over TLS with keep-alive, each round
//! trip costing MS milliseconds (see `tls_front`), offering HTTP/2 as well with `--http2`, and the
//! CA to trust is printed on stderr.

use std::time::Duration;

use openclaw_e2e::{
    MockRouter, Reply, mock_router::Connections, models_body, stream_body, tls_front::TlsFront,
};

fn main() {
    let mut body = None;
    let mut chunks = 20;
    let mut rtt = None;
    let mut http2 = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--http2" {
            http2 = true;
            continue;
        }
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
            ("--tls-rtt-ms", Some(ms)) => match ms.parse() {
                Ok(ms) => rtt = Some(Duration::from_millis(ms)),
                Err(_) => fail(&format!("--tls-rtt-ms takes milliseconds, not {ms:?}")),
            },
            _ => fail(
                "usage: mock-router [--models N | --models-file PATH] [--chat-chunks N] [--tls-rtt-ms MS [--http2]]",
            ),
        }
    }
    let router = match rtt {
        Some(_) => MockRouter::start_with(Connections::KeepAlive { idle_close: None }),
        None => MockRouter::start(),
    };
    let body = body.unwrap_or_else(|| models_body(130));
    router.on("GET", "/v1/models", Reply::json(200, body));
    router.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse_bytes("mock", &stream_body(chunks), 64 * 1024),
    );
    router.on("HEAD", "/v1/models", Reply::json(200, ""));
    let front = rtt.map(|rtt| match http2 {
        true => TlsFront::start_http2(router.addr(), rtt),
        false => TlsFront::start(router.addr(), rtt),
    });
    if http2 && front.is_none() {
        fail("--http2 needs --tls-rtt-ms");
    }
    match &front {
        Some(front) => {
            eprintln!("trust the CA in {}", front.ca_file().display());
            println!("{}", front.base_url());
        }
        None => println!("{}", router.base_url()),
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}
