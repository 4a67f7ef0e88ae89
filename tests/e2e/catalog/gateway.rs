//! `gateway run`: once, refreshing and writing every provider's catalog; periodically, until
//! SIGTERM stops it cleanly.

use std::time::Duration;

use openclaw_e2e::SENTINEL_TOKEN;
use serde_json::{Value, json};

use super::models_json;
use crate::support::{MODELS, assert_no_secret, models_router, pointed_at};

#[test]
fn gateway_once_refreshes_writes_and_reports_each_provider() {
    let router = models_router(12);
    let sandbox = pointed_at(&router, json!({}));
    openclaw_e2e::stage_echo(&sandbox.state_dir().join("extensions/echo"));
    let run = sandbox.run(["gateway", "run", "--once"]);
    let text = run.ok();
    assert!(text.contains("huggingface: ready, 12 models"), "{run}");
    assert!(text.contains("echo: skipped"), "{run}");
    assert_no_secret(&run.all_output(), &[SENTINEL_TOKEN]);
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(models_json(&sandbox)).unwrap()).unwrap();
    assert_eq!(
        document["providers"]["huggingface"]["models"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
    assert_eq!(
        document["providers"]["huggingface"]["api"],
        "openai-completions"
    );
}

#[test]
fn gateway_refreshes_periodically_and_stops_cleanly_on_sigterm() {
    let router = models_router(2);
    let sandbox = pointed_at(&router, json!({}));
    let child = sandbox.start(["gateway", "run", "--interval", "1"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while router.requests_to(MODELS).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no second refresh");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("stopped"), "{stdout}");
    assert!(
        stdout.matches("huggingface: ready").count() >= 2,
        "{stdout}"
    );
}
