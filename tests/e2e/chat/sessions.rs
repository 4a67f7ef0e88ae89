//! A conversation continued across runs (`chat --session`): the next turn asks for the upstream
//! that served the last one, a ref with routing of its own is left alone, a failing remembered
//! upstream lets the router choose again with a notice; and a turn priced at the prices of the
//! upstream that served it, from the catalog.

use std::time::Duration;

use openclaw_e2e::{
    MockRouter, Reply, StreamEnd,
    paths::{CHAT, MODELS},
};
use serde_json::{Value, json};

use super::chat;
use crate::support::{GLM, json_lines, models_sent, notices_in, pointed_at};

fn answer(provider: &str) -> Reply {
    Reply::words(provider, "Hello there", Duration::ZERO, StreamEnd::Close)
}

fn done_of(lines: &[Value]) -> Value {
    lines.last().cloned().unwrap_or_default()
}

#[test]
fn a_sessions_next_turn_asks_the_upstream_that_served_the_last() {
    let router = MockRouter::start();
    router.on("POST", CHAT, answer("together"));
    let sandbox = pointed_at(&router, json!({}));
    let model = format!("huggingface/{GLM}");
    for _ in 0..2 {
        chat(
            &sandbox,
            &["--json", "--session", "work", "--model", &model, "hi"],
        )
        .ok();
    }
    // Another session, and a ref with its own routing, are not steered.
    chat(
        &sandbox,
        &["--json", "--session", "play", "--model", &model, "hi"],
    )
    .ok();
    chat(
        &sandbox,
        &[
            "--json",
            "--session",
            "work",
            "--model",
            &format!("{model}:cheapest"),
            "hi",
        ],
    )
    .ok();
    chat(&sandbox, &["--json", "--model", &model, "hi"]).ok();
    assert_eq!(
        models_sent(&router),
        [
            GLM.to_owned(),
            format!("{GLM}:together"),
            GLM.into(),
            format!("{GLM}:cheapest"),
            GLM.into()
        ]
    );
    // Off by setting.
    let off = pointed_at(
        &router,
        crate::support::chat_settings(json!({"stickyUpstream": false})),
    );
    for _ in 0..2 {
        chat(
            &off,
            &["--json", "--session", "work", "--model", &model, "hi"],
        )
        .ok();
    }
    assert_eq!(models_sent(&router)[5..], [GLM.to_owned(), GLM.to_owned()]);
}

#[test]
fn a_failing_remembered_upstream_lets_the_router_choose_again_with_a_notice() {
    let router = MockRouter::start();
    router.then("POST", CHAT, answer("together"));
    router.then(
        "POST",
        CHAT,
        Reply::json(503, r#"{"error":"The requested provider is overloaded"}"#),
    );
    router.on("POST", CHAT, answer("novita"));
    let sandbox = pointed_at(
        &router,
        crate::support::chat_settings(json!({"maxRetries": 0})),
    );
    let model = format!("huggingface/{GLM}");
    chat(
        &sandbox,
        &["--json", "--session", "s", "--model", &model, "hi"],
    )
    .ok();
    let second = chat(
        &sandbox,
        &["--json", "--session", "s", "--model", &model, "again"],
    );
    second.ok();
    let lines = json_lines(&second);
    assert!(
        notices_in(&lines)
            .iter()
            .any(|n| n.contains("together, which served this conversation before, failed")),
        "{second}"
    );
    assert_eq!(done_of(&lines)["result"]["servingProvider"], "novita");
    assert_eq!(
        models_sent(&router),
        [GLM.to_owned(), format!("{GLM}:together"), GLM.to_owned()]
    );
    // The session now remembers the upstream that answered.
    chat(
        &sandbox,
        &["--json", "--session", "s", "--model", &model, "third"],
    )
    .ok();
    assert_eq!(models_sent(&router)[3], format!("{GLM}:novita"));
}

#[test]
fn a_turn_is_priced_at_the_serving_upstreams_prices() {
    let router = MockRouter::start();
    let listing = json!({"object": "list", "data": [{
        "id": GLM, "object": "model", "owned_by": "zai-org",
        "providers": [
            {"provider": "together", "status": "live", "pricing": {"input": 1.0, "output": 3.0}},
            {"provider": "novita", "status": "live", "pricing": {"input": 0.5, "output": 2.0}}
        ]
    }]});
    router.on("GET", MODELS, Reply::json(200, listing.to_string()));
    router.on("POST", CHAT, answer("novita"));
    let sandbox = pointed_at(&router, json!({}));
    sandbox.run(["models", "list", "--refresh"]).ok();
    let run = chat(
        &sandbox,
        &["--json", "--model", &format!("huggingface/{GLM}"), "hi"],
    );
    run.ok();
    let result = done_of(&json_lines(&run))["result"].clone();
    let cost = &result["cost"];
    assert_eq!(cost["upstream"], "novita", "{run}");
    assert_eq!(cost["currency"], "USD");
    // The mock's usage: 5 prompt tokens, 2 completion tokens.
    let expected = 5.0 * 0.5 / 1e6 + 2.0 * 2.0 / 1e6;
    assert!(
        (cost["total"].as_f64().unwrap() - expected).abs() < 1e-12,
        "{cost}"
    );
    // For people, on the summary line.
    let text = chat(&sandbox, &["--model", &format!("huggingface/{GLM}"), "hi"]);
    assert!(text.stderr.contains("at novita's prices"), "{text}");
}
