//! The tests' mock router as a standalone server, for manual runs and external tools:
//! `mock-router [--models N] [--port P]` serves `GET /v1/models` with N generated models and
//! prints its base URL, until interrupted.

use std::time::Duration;

use openclaw_e2e::{MockRouter, Reply, models_body};

fn main() {
    let mut models = 130usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--models", Some(count)) => match count.parse() {
                Ok(count) => models = count,
                Err(_) => fail(&format!("--models takes a number, not {count:?}")),
            },
            _ => fail("usage: mock-router [--models N]"),
        }
    }
    let router = MockRouter::start();
    router.on("GET", "/v1/models", Reply::json(200, models_body(models)));
    println!("{}", router.base_url());
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}
