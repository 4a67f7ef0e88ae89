//! Requests multiplexed over one process: interleaved answers routed by request id, a cancel
//! stopping one request among several (a catalog download too), a credential per request, an
//! answer too large for a line or requests beyond the bytes in flight failing only themselves.

use std::time::{Duration, Instant};

use openclaw_e2e::{MockRouter, Reply, SENTINEL_TOKEN, Sandbox, StreamEnd};
use serde_json::json;

use crate::support::{
    CHAT, MODELS,
    bridge::{Resident, chat, folder, settings},
    chat_router, drip, serve_models, stream_of, text_of, wait_for, wait_for_disconnect,
};

#[test]
fn one_process_answers_concurrent_requests_each_under_its_id() {
    let router = chat_router(Reply::EchoStream {
        gap: Duration::from_millis(2),
    });
    serve_models(&router, 5);
    let sandbox = Sandbox::new();
    let mut bridge = Resident::start(&folder(&sandbox), &[], &[]);
    let hello = bridge.next_line(Duration::from_secs(10));
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["protocol"], 2);
    assert_eq!(hello["provider"], "huggingface");
    assert_eq!(
        hello["serves"],
        json!([
            "chat",
            "embeddings",
            "image-generation",
            "speech-recognition",
            "speech-synthesis",
            "account-usage"
        ])
    );
    assert!(hello["pid"].as_u64().is_some());

    let prompts: Vec<String> = (0..8)
        .map(|n| format!("stream {n} says {} and more words", n * 7919))
        .collect();
    for (n, prompt) in prompts.iter().enumerate() {
        bridge.send(&chat(n as u64 + 1, &router, prompt));
    }
    bridge.send(&json!({"rid": 100, "op": "catalog", "credential": SENTINEL_TOKEN, "settings": settings(&router)}));
    bridge
        .send(&json!({"rid": 101, "op": "resolve", "ref": "huggingface/zai-org/GLM-4.7:cheapest"}));
    bridge.send(&json!({"rid": 102, "op": "info"}));
    bridge.send(&json!({"rid": 103, "op": "onboarding", "config": {}}));
    for (n, prompt) in prompts.iter().enumerate() {
        let lines = bridge.answer(n as u64 + 1);
        assert_eq!(lines.last().unwrap()["type"], "done", "{lines:?}");
        assert_eq!(
            &text_of(&lines),
            prompt,
            "request {} got another's words",
            n + 1
        );
    }
    let catalog = bridge.answer(100);
    assert_eq!(catalog[0]["type"], "done");
    assert_eq!(
        catalog[0]["result"]["provider"]["models"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let model = bridge.answer(101);
    assert_eq!(model[0]["type"], "done");
    assert_eq!(
        model[0]["result"]["wireModelId"],
        "zai-org/GLM-4.7:cheapest"
    );
    assert_eq!(bridge.answer(102)[0]["result"]["id"], "huggingface");
    let onboarding = bridge.answer(103);
    assert!(
        onboarding[0]["result"]["configPatch"].is_object(),
        "{onboarding:?}"
    );
    for request in router.requests() {
        if request.method == "POST" || request.path == MODELS && request.method == "GET" {
            assert!(request.carries_the_sentinel_token(), "{request:?}");
        }
    }
    assert_eq!(bridge.close(Duration::from_secs(2)), Some(0));
}

#[test]
fn a_cancel_stops_that_request_only() {
    let router = chat_router(drip("together", "word ", 400, 20, StreamEnd::Close));
    let (_sandbox, mut bridge) = Resident::fresh();
    bridge.send(&chat(1, &router, "first"));
    bridge.send(&chat(2, &router, "second"));
    // Both under way.
    assert_eq!(bridge.next_for(1)["type"], "servingProvider");
    assert_eq!(bridge.next_for(2)["type"], "servingProvider");
    let cancelled_at = Instant::now();
    let first = bridge.ask(&json!({"rid": 1, "op": "cancel"}));
    let last = first.last().unwrap();
    assert_eq!(last["type"], "error", "{first:?}");
    assert_eq!(last["code"], "cancelled");
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(2),
        "the cancel took {:?}",
        cancelled_at.elapsed()
    );
    wait_for_disconnect(&router);
    let second = bridge.answer(2);
    assert_eq!(
        second.last().unwrap()["type"],
        "done",
        "the other chat was hurt"
    );
    assert_eq!(text_of(&second), "word ".repeat(400));
    // A cancel for a request that is not in flight is ignored.
    bridge.send(&json!({"rid": 77, "op": "cancel"}));
    assert_eq!(
        bridge.ask(&json!({"rid": 3, "op": "info"}))[0]["result"]["id"],
        "huggingface"
    );
}

#[test]
fn each_request_brings_its_own_credential() {
    let router = chat_router(Reply::for_token(
        "hf_second_profile_token_0000",
        stream_of("for the second", "b"),
        stream_of("for the first", "a"),
    ));
    let sandbox = Sandbox::new();
    // The environment holds a key too: a request's own credential wins over it.
    let mut bridge = Resident::ready(
        &folder(&sandbox),
        &[("HF_TOKEN", "hf_environment_token_00000")],
    );
    let mut second = chat(2, &router, "hi");
    second["credential"] = "hf_second_profile_token_0000".into();
    bridge.send(&chat(1, &router, "hi"));
    bridge.send(&second);
    assert_eq!(text_of(&bridge.answer(1)), "for the first");
    assert_eq!(text_of(&bridge.answer(2)), "for the second");
    let tokens: Vec<String> = router
        .requests_to(CHAT)
        .iter()
        .map(|r| r.header("authorization").unwrap().to_owned())
        .collect();
    assert!(tokens.contains(&format!("Bearer {SENTINEL_TOKEN}")));
    assert!(tokens.contains(&"Bearer hf_second_profile_token_0000".to_owned()));
    // Without one, the plugin's own variables count, as everywhere.
    let mut bare = chat(3, &router, "hi");
    bare.as_object_mut().unwrap().remove("credential");
    bridge.send(&bare);
    assert_eq!(bridge.answer(3).last().unwrap()["type"], "done");
    assert_eq!(
        router
            .requests_to(CHAT)
            .last()
            .unwrap()
            .header("authorization"),
        Some("Bearer hf_environment_token_00000")
    );
}

#[test]
fn without_any_credential_the_request_fails_and_the_bridge_goes_on() {
    let router = MockRouter::start();
    let (_sandbox, mut bridge) = Resident::fresh();
    let mut bare = chat(1, &router, "hi");
    bare.as_object_mut().unwrap().remove("credential");
    bridge.send(&bare);
    let failed = bridge.answer(1);
    assert_eq!(failed[0]["code"], "no_credential", "{failed:?}");
    assert!(failed[0]["message"].as_str().unwrap().contains("HF_TOKEN"));
    assert!(router.requests().is_empty());
    assert_eq!(
        bridge.ask(&json!({"rid": 2, "op": "info"}))[0]["result"]["id"],
        "huggingface"
    );
}

#[test]
fn a_cancel_reaches_a_catalog_download() {
    let router = MockRouter::start();
    router.on("GET", MODELS, Reply::Stall);
    let (_sandbox, mut bridge) = Resident::fresh();
    bridge.send(
        &json!({"rid": 1, "op": "catalog", "credential": SENTINEL_TOKEN,
        "settings": settings(&router)}),
    );
    wait_for(
        "the catalog request never left",
        Duration::from_secs(5),
        || !router.requests_to(MODELS).is_empty(),
    );
    let cancelled_at = Instant::now();
    let answer = bridge.ask(&json!({"rid": 1, "op": "cancel"}));
    assert_eq!(answer.last().unwrap()["code"], "cancelled", "{answer:?}");
    // Well before the 30 s the download would otherwise be given.
    assert!(cancelled_at.elapsed() < Duration::from_secs(5));
    wait_for_disconnect(&router);
}

#[test]
fn an_answer_too_large_for_a_line_fails_only_its_own_request() {
    // Twelve tool-call pieces of a mebibyte of control characters each: every progress line
    // fits, but the final line, which carries the assembled call escaped six times over, would
    // be over the 64 MiB a line may take.
    let piece = "\\u0001".repeat(1 << 20);
    let events: Vec<String> = (0..12)
        .map(|n| {
            let head = if n == 0 {
                r#""id":"call_1","type":"function","function":{"name":"f","#
            } else {
                r#""function":{"#
            };
            format!(
                r#"{{"choices":[{{"index":0,"delta":{{"tool_calls":[{{"index":0,{head}"arguments":"{piece}"}}}}]}}}}]}}"#
            )
        })
        .chain([r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#.into()])
        .collect();
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    let router = chat_router(Reply::for_token(
        "hf_small_answer_token_000000",
        Reply::words(
            "b",
            "small and fine",
            Duration::from_millis(20),
            StreamEnd::Close,
        ),
        Reply::sse("a", &events, Duration::ZERO, StreamEnd::Close),
    ));
    let (_sandbox, mut bridge) = Resident::fresh();
    let mut small = chat(2, &router, "hi");
    small["credential"] = "hf_small_answer_token_000000".into();
    bridge.send(&chat(1, &router, "hi"));
    bridge.send(&small);
    let big = bridge.answer(1);
    let last = big.last().unwrap();
    assert_eq!(last["type"], "error");
    assert_eq!(last["code"], "answer_too_large", "{}", last["message"]);
    assert_eq!(text_of(&bridge.answer(2)), "small and fine");
    assert_eq!(
        bridge.ask(&json!({"rid": 3, "op": "info"}))[0]["type"],
        "done"
    );
}

#[test]
fn requests_beyond_the_bytes_in_flight_are_busy_and_the_others_go_on() {
    let router = MockRouter::start();
    router.on("GET", MODELS, Reply::Stall);
    let (_sandbox, mut bridge) = Resident::fresh();
    // Eight requests of 30 MiB each are 240 MiB in flight; a ninth is over the 256 MiB budget.
    let pad = "x".repeat(30 << 20);
    for rid in 1..=9 {
        bridge.send(
            &json!({"rid": rid, "op": "catalog", "credential": SENTINEL_TOKEN,
            "settings": settings(&router), "pad": pad}),
        );
    }
    let ninth = bridge.answer(9);
    assert_eq!(ninth[0]["code"], "busy", "{ninth:?}");
    // A small request still fits, and the big ones end when cancelled.
    assert_eq!(
        bridge.ask(&json!({"rid": 10, "op": "info"}))[0]["type"],
        "done"
    );
    for rid in 1..=8 {
        bridge.send(&json!({"rid": rid, "op": "cancel"}));
        assert_eq!(bridge.answer(rid).last().unwrap()["code"], "cancelled");
    }
}
