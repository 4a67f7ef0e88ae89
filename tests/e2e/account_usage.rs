//! The account's spend: `host-stub usage` and the bridge's `usage` against the mock Hub's billing
//! endpoint — the month's figures in dollars, no limit, a token without billing permission,
//! answers that are garbage or oversized — and the query the plugin sends.

use openclaw_e2e::{
    MockRouter, Reply, Run, Sandbox,
    mock_router::{billing_usage, paths},
};
use serde_json::Value;

use crate::support::{
    bridge::{KEY, call, folder},
    json_failure, no_leak, pointed_at,
};

fn sandbox(router: &MockRouter) -> Sandbox {
    let mut sandbox = pointed_at(router, serde_json::json!({}));
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    sandbox
}

fn usage(sandbox: &Sandbox, json: bool) -> Run {
    let run = if json {
        sandbox.run(["--json", "usage"])
    } else {
        sandbox.run(["usage"])
    };
    no_leak(&run);
    run
}

#[test]
fn the_months_spend_in_dollars_with_credits_limit_and_requests() {
    let router = MockRouter::start();
    router.on(
        "GET",
        paths::BILLING_USAGE,
        billing_usage(2_345_000_000, 2_000_000_000, 10_000_000_000, 1234),
    );
    let sandbox = sandbox(&router);
    let answer: Value = usage(&sandbox, true).json();
    assert_eq!(answer["provider"], "huggingface");
    assert_eq!(answer["currency"], "USD");
    assert_eq!(answer["used"], 2.345);
    assert_eq!(answer["included"], 2.0);
    assert_eq!(answer["billable"], 0.345);
    assert_eq!(answer["limit"], 10.0);
    assert_eq!(answer["requests"], 1234);
    assert!(
        answer["notes"][0]
            .as_str()
            .unwrap()
            .contains("does not document")
    );
    // The period asked for: the first of this month, midnight UTC, to now, in seconds.
    let [request] = router.requests_to(paths::BILLING_USAGE).try_into().unwrap();
    assert!(request.carries_the_sentinel_token() && request.sent_by_our_plugin());
    let query: std::collections::HashMap<String, i64> = request
        .path
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap();
            (key.to_owned(), value.parse().unwrap())
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (start, end) = (query["startDate"], query["endDate"]);
    assert!(start % 86_400 == 0 && now - start < 32 * 86_400, "{start}");
    assert!((now - end).abs() < 120, "seconds, not milliseconds: {end}");
    // For people: one figure per line.
    let text = usage(&sandbox, false).ok().to_owned();
    for line in [
        "used",
        "$2.35",
        "included credits",
        "$2.00",
        "billable",
        "$0.35",
        "$10.00 (23% used)",
        "1234",
    ] {
        assert!(text.contains(line), "{line}:\n{text}");
    }
}

#[test]
fn no_limit_reads_as_none_and_missing_figures_stay_missing() {
    let router = MockRouter::start();
    router.on(
        "GET",
        paths::BILLING_USAGE,
        Reply::json(
            200,
            r#"{"usage":{"inferenceProviders":{"usedNanoUsd":0,"limitNanoUsd":0}}}"#,
        ),
    );
    let sandbox = sandbox(&router);
    let answer: Value = usage(&sandbox, true).json();
    assert_eq!(answer["used"], 0.0);
    assert!(
        answer.get("limit").is_none() && answer.get("included").is_none(),
        "{answer}"
    );
    assert!(usage(&sandbox, false).ok().contains("none set"));
}

#[test]
fn a_reached_limit_shows_as_all_of_it_used() {
    let router = MockRouter::start();
    router.on(
        "GET",
        paths::BILLING_USAGE,
        billing_usage(10_000_000_000, 2_000_000_000, 10_000_000_000, 99),
    );
    let sandbox = sandbox(&router);
    let answer: Value = usage(&sandbox, true).json();
    assert_eq!(
        (answer["used"].as_f64(), answer["limit"].as_f64()),
        (Some(10.0), Some(10.0))
    );
    assert_eq!(answer["billable"], 8.0);
    assert!(usage(&sandbox, false).ok().contains("$10.00 (100% used)"));
}

#[test]
fn a_token_without_billing_permission_is_told_which_permission() {
    let router = MockRouter::start();
    router.on(
        "GET",
        paths::BILLING_USAGE,
        Reply::json(403, r#"{"error":"You don't have access to this resource"}"#),
    );
    let error = json_failure(&usage(&sandbox(&router), true));
    assert_eq!(error["code"], "forbidden");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("lacks billing read permission"),
        "{message}"
    );
}

#[test]
fn garbage_and_oversized_answers_are_errors_that_say_so() {
    let cases = [
        ("not JSON", Reply::text(200, "<html>sign in</html>")),
        (
            "another shape",
            Reply::json(200, r#"{"usage":{"jobs":{}}}"#),
        ),
        (
            "oversized",
            Reply::json(200, format!(r#"{{"pad":"{}"}}"#, "x".repeat(300 * 1024))),
        ),
    ];
    for (what, reply) in cases {
        let router = MockRouter::start();
        router.on("GET", paths::BILLING_USAGE, reply);
        let error = json_failure(&usage(&sandbox(&router), true));
        assert!(error["code"].is_string(), "{what}: {error}");
    }
}

#[test]
fn the_bridge_answers_usage_in_the_protocols_words() {
    let router = MockRouter::start();
    router.on(
        "GET",
        paths::BILLING_USAGE,
        billing_usage(1_000_000_000, 2_000_000_000, 0, 7),
    );
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let origin = router.origin();
    let env = [KEY[0], ("HF_ENDPOINT", origin.as_str())];
    let answer = call(&dir, &env, &["usage"], None);
    assert_eq!(answer.code, Some(0), "{answer}");
    let result = &answer.last()["result"];
    assert_eq!(result["used"], 1.0);
    assert_eq!(result["billable"], 0.0);
    assert_eq!(result["requests"], 7);
    assert!(result.get("periodStart").is_some(), "{result}");
}
