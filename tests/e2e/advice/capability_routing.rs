//! Capability routing: a request with `tools` or `response_format` goes to the fastest upstream
//! that takes them (a notice says so); pinned refs, models whose every upstream takes them,
//! models without data and the switch turned off change nothing; a refused pinned upstream is
//! sent once more without the pin, and the resident bridge remembers it; unsupported parameters
//! name the upstreams that take them.

use std::time::{Duration, Instant};

use openclaw_e2e::{MockRouter, Reply, SENTINEL_TOKEN, Sandbox};
use serde_json::{Value, json};

use super::{
    GLM, QWEN, TOOLS, catalog_body, chat, host_pointed_at, notices_of, refresh, routed_notice,
    unavailable,
};
use crate::support::{
    CHAT, MODELS,
    bridge::{Resident, folder, settings},
    chat_settings, error_of, json_lines, models_sent, notices_in, stream_of,
};

fn tools_request(rid: u64, router: &MockRouter, model: &str) -> Value {
    json!({"rid": rid, "op": "chat", "credential": SENTINEL_TOKEN, "settings": settings(router),
           "request": {"model": model, "messages": [{"role": "user", "content": "weather?"}],
                       "tools": serde_json::from_str::<Value>(TOOLS).unwrap()}})
}

#[test]
fn tools_and_structured_output_go_to_the_fastest_upstream_that_takes_them() {
    let router = MockRouter::start();
    let sandbox = host_pointed_at(&router, json!({}));
    refresh(&sandbox, &router);
    router.on("POST", CHAT, stream_of("sunny", "novita"));
    let model = format!("huggingface/{QWEN}");
    let run = chat(&sandbox, &["--model", &model, "--tools", TOOLS, "weather?"]);
    run.ok();
    assert_eq!(
        notices_of(&run),
        [routed_notice("novita", "tools", "tools")]
    );
    let structured = chat(
        &sandbox,
        &[
            "--model",
            &model,
            "--response-format",
            r#"{"type":"json_schema","json_schema":{"name":"w","schema":{}}}"#,
            "weather?",
        ],
    );
    structured.ok();
    assert_eq!(
        notices_of(&structured),
        [routed_notice(
            "together",
            "structured output",
            "response_format"
        )]
    );
    assert_eq!(
        models_sent(&router),
        [format!("{QWEN}:novita"), format!("{QWEN}:together")]
    );
    // The tools themselves go as they were given.
    assert_eq!(
        router.requests_to(CHAT)[0].json()["tools"],
        serde_json::from_str::<Value>(TOOLS).unwrap()
    );
}

#[test]
fn pinned_refs_capable_upstreams_missing_data_and_the_switch_change_nothing() {
    let router = MockRouter::start();
    let sandbox = host_pointed_at(&router, json!({}));
    refresh(&sandbox, &router);
    router.on("POST", CHAT, stream_of("ok", "together"));
    for model in [
        format!("{QWEN}:deepinfra"),
        format!("{QWEN}:cheapest"),
        GLM.to_owned(),                 // every upstream takes tools
        "someone/new-model".to_owned(), // no data
    ] {
        let run = chat(
            &sandbox,
            &[
                "--model",
                &format!("huggingface/{model}"),
                "--tools",
                TOOLS,
                "hi",
            ],
        );
        run.ok();
        assert!(
            notices_of(&run)
                .iter()
                .all(|n| !n.contains("not every upstream")),
            "{run}"
        );
        assert_eq!(models_sent(&router).last().unwrap(), &model);
    }
    let off = host_pointed_at(&router, chat_settings(json!({"capabilityRouting": false})));
    refresh(&off, &router);
    chat(
        &off,
        &[
            "--model",
            &format!("huggingface/{QWEN}"),
            "--tools",
            TOOLS,
            "hi",
        ],
    )
    .ok();
    assert_eq!(models_sent(&router).last().unwrap(), QWEN);
    // host-stub passes the model's upstreams itself: the plugin fetches no catalog of its own.
    assert_eq!(
        router.requests_to(MODELS).len(),
        2,
        "the two refreshes only"
    );
}

#[test]
fn a_refused_pinned_upstream_is_sent_once_more_without_the_pin() {
    let router = MockRouter::start();
    let sandbox = host_pointed_at(&router, json!({}));
    refresh(&sandbox, &router);
    router.then("POST", CHAT, unavailable("novita")).on(
        "POST",
        CHAT,
        stream_of("sunny", "deepinfra"),
    );
    let run = chat(
        &sandbox,
        &[
            "--model",
            &format!("huggingface/{QWEN}"),
            "--tools",
            TOOLS,
            "weather?",
        ],
    );
    run.ok();
    assert_eq!(
        models_sent(&router),
        [format!("{QWEN}:novita"), QWEN.to_owned()]
    );
    assert_eq!(
        notices_of(&run),
        [
            routed_notice("novita", "tools", "tools"),
            format!(
                "novita is not available to this account; the request was sent again as {QWEN}, \
                 for the router to choose, and novita is skipped for the rest of this session"
            )
        ]
    );
    let text: String = json_lines(&run)
        .iter()
        .filter(|l| l["type"] == "text")
        .map(|l| l["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, "sunny");
}

#[test]
fn unsupported_parameters_name_the_parameter_and_the_upstreams_that_take_it() {
    let router = MockRouter::start();
    let sandbox = host_pointed_at(&router, chat_settings(json!({"capabilityRouting": false})));
    refresh(&sandbox, &router);
    router.on(
        "POST",
        CHAT,
        Reply::json(
            400,
            r#"{"error":{"code":"422","error_type":"UNSUPPORTED_OPENAI_PARAMS","message":"The following parameters are not supported for this model: tools, tool_choice","param":"tools, tool_choice"}}"#,
        )
        .with_header("x-inference-provider", "deepinfra"),
    );
    let error = error_of(&chat(
        &sandbox,
        &[
            "--model",
            &format!("huggingface/{QWEN}"),
            "--tools",
            TOOLS,
            "hi",
        ],
    ));
    assert_eq!(error["code"], "invalid_request");
    assert_eq!(
        error["message"],
        format!(
            "the upstream that served the request (deepinfra) does not support tools, tool_choice \
             for {QWEN} (the service said: The following parameters are not supported for this \
             model: tools, tool_choice). Upstreams of {QWEN} that support tools: together, \
             novita; pin one ({QWEN}:together)."
        )
    );
}

#[test]
fn the_resident_bridge_routes_by_its_catalog_and_remembers_a_refused_upstream() {
    let router = MockRouter::start();
    router.on("GET", MODELS, Reply::json(200, catalog_body()));
    router.then("POST", CHAT, unavailable("novita")).on(
        "POST",
        CHAT,
        stream_of("sunny", "together"),
    );
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let mut bridge = Resident::ready(&dir, &[]);
    bridge.send(
        &json!({"rid": 1, "op": "catalog", "credential": SENTINEL_TOKEN,
                       "settings": settings(&router), "mode": "strict"}),
    );
    assert_eq!(bridge.answer(1).last().unwrap()["type"], "done");
    let first = bridge.ask(&tools_request(2, &router, &format!("huggingface/{QWEN}")));
    assert_eq!(first.last().unwrap()["type"], "done", "{first:?}");
    assert_eq!(
        notices_in(&first),
        [
            routed_notice("novita", "tools", "tools").as_str(),
            &format!(
                "novita is not available to this account; the request was sent again as {QWEN}, \
                 for the router to choose, and novita is skipped for the rest of this session"
            )
        ]
    );
    // The next request skips the refused upstream: the next fastest that takes tools.
    let second = bridge.ask(&tools_request(3, &router, &format!("huggingface/{QWEN}")));
    assert_eq!(
        notices_in(&second),
        [routed_notice("together", "tools", "tools").as_str()]
    );
    assert_eq!(
        models_sent(&router),
        [
            format!("{QWEN}:novita"),
            QWEN.to_owned(),
            format!("{QWEN}:together")
        ]
    );
    assert_eq!(
        router.requests_to(MODELS).len(),
        1,
        "no fetch beside the catalog's"
    );
}

#[test]
fn the_resident_bridge_fetches_its_catalog_in_the_background_without_delaying_the_call() {
    let router = MockRouter::start();
    // The catalog takes a while to come; the call does not wait for it.
    router.on(
        "GET",
        MODELS,
        Reply::Delay(
            Duration::from_millis(300),
            Box::new(Reply::json(200, catalog_body())),
        ),
    );
    router.on("POST", CHAT, stream_of("ok", "together"));
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let mut bridge = Resident::ready(&dir, &[]);
    let started = Instant::now();
    let first = bridge.ask(&tools_request(1, &router, &format!("huggingface/{QWEN}")));
    let done_at = Instant::now();
    assert_eq!(first.last().unwrap()["type"], "done");
    assert!(notices_in(&first).is_empty(), "no data yet: {first:?}");
    let fetch = loop {
        let fetch = router.requests_to(MODELS);
        if !fetch.is_empty() || started.elapsed() > Duration::from_secs(10) {
            break fetch;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(fetch.len(), 1, "the background fetch");
    assert!(
        fetch[0].carries_the_sentinel_token(),
        "with the call's credential"
    );
    assert!(
        done_at < fetch[0].at + Duration::from_millis(300),
        "the call did not wait for the catalog"
    );
    // Once the catalog is in, later calls use it.
    while Instant::now() < started + Duration::from_secs(10) {
        let answer = bridge.ask(&tools_request(2, &router, &format!("huggingface/{QWEN}")));
        if !notices_in(&answer).is_empty() {
            assert_eq!(
                notices_in(&answer),
                [routed_notice("novita", "tools", "tools").as_str()]
            );
            assert_eq!(
                models_sent(&router).last().unwrap(),
                &format!("{QWEN}:novita")
            );
            assert_eq!(router.requests_to(MODELS).len(), 1, "fetched once");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the background catalog never arrived");
}
