//! Connections kept warm across calls: `prepare` opens one ahead that the first chat finds, the
//! calls after it reuse theirs, a stream whose body ends after its `[DONE]` keeps its connection,
//! a connection the router closed costs no error, a request the router may have received is
//! never sent twice — and where the router offers HTTP/2, chats at once share one connection.

use std::time::Duration;

use openclaw_e2e::{
    MockRouter, Reply, Sandbox, StreamEnd, mock_router::Connections, tls_front::TlsFront,
};
use serde_json::json;

use crate::support::{
    CHAT, MODELS,
    bridge::{Resident, chat, folder, settings},
    stream_of, text_of, wait_for,
};

/// A router keeping connections alive (closing one idle for `idle_close`) and answering "still
/// here", a resident bridge, and its first chat answered.
fn after_one_chat(idle_close: Option<Duration>) -> (MockRouter, Sandbox, Resident) {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close });
    router.on("POST", CHAT, stream_of("still here", "together"));
    let (sandbox, mut bridge) = Resident::fresh();
    assert_eq!(
        bridge.ask(&chat(1, &router, "hi")).last().unwrap()["type"],
        "done"
    );
    (router, sandbox, bridge)
}

#[test]
fn calls_share_one_warm_connection_and_prepare_opens_it_ahead() {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    router.on("POST", CHAT, stream_of("warm words", "together"));
    router.on("HEAD", MODELS, Reply::json(200, ""));
    let (_sandbox, mut bridge) = Resident::fresh();
    bridge.send(&json!({"rid": 1, "op": "prepare", "settings": settings(&router)}));
    assert_eq!(
        bridge.answer(1)[0],
        json!({"rid": 1, "type": "done", "result": {}})
    );
    wait_for(
        "prepare opened no connection",
        Duration::from_secs(5),
        || !router.requests().is_empty(),
    );
    // The warm connection returns to the pool once the client has read the warm-up's answer. A
    // chat racing it opens a connection of its own, by design (waiting for the warm-up could be
    // slower than a new connection); this test is about the chats that come after it.
    std::thread::sleep(Duration::from_secs(1));
    for rid in 2..6 {
        bridge.send(&chat(rid, &router, "hi"));
        assert_eq!(bridge.answer(rid).last().unwrap()["type"], "done");
    }
    let requests = router.requests();
    let warm_up = &requests[0];
    assert_eq!(warm_up.method, "HEAD");
    assert!(
        warm_up.header("authorization").is_none(),
        "the warm-up carried the token"
    );
    let ports: Vec<u16> = requests.iter().map(|r| r.client_port).collect();
    assert_eq!(
        ports[1], ports[0],
        "the first chat did not find the warmed connection: {ports:?}"
    );
    // HTTP/1.1 pools hand a connection back a moment after its response ends; a chat sent in that
    // moment may open one more, which the next chats then share. Never one per chat.
    let mut distinct = ports.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(
        distinct.len() <= 2,
        "the calls did not reuse their connections: {ports:?}"
    );
}

#[test]
fn chats_at_once_share_one_http2_connection_where_the_router_offers_it() {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    router.on("POST", CHAT, stream_of("multiplexed words", "together"));
    let front = TlsFront::start_http2(router.addr(), Duration::ZERO);
    let sandbox = Sandbox::new();
    let ca = front.ca_file().display().to_string();
    let mut bridge = Resident::ready(&folder(&sandbox), &[("NODE_EXTRA_CA_CERTS", &ca)]);
    let over_tls = |rid: u64| {
        let mut request = chat(rid, &router, "hi");
        request["settings"]["provider"]["baseUrl"] = front.base_url().into();
        request
    };
    assert_eq!(bridge.ask(&over_tls(1)).last().unwrap()["type"], "done");
    for rid in 2..10 {
        bridge.send(&over_tls(rid));
    }
    for rid in 2..10 {
        let answer = bridge.answer(rid);
        assert_eq!(text_of(&answer), "multiplexed words", "{answer:?}");
    }
    assert_eq!(router.requests_to(CHAT).len(), 9);
    assert_eq!(
        (front.connections(), front.http2_connections()),
        (1, 1),
        "nine chats, eight of them at once, on one HTTP/2 connection"
    );
}

#[test]
fn a_stream_whose_end_lags_its_done_keeps_its_connection() {
    let router = MockRouter::start_with(Connections::KeepAlive { idle_close: None });
    // `[DONE]` first, the chunked body's end 150 ms later: the answer is complete at `[DONE]`,
    // but the connection goes back to the pool only once its body has ended.
    router.on(
        "POST",
        CHAT,
        Reply::Stream {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            pieces: vec![
                (Duration::ZERO, openclaw_e2e::stream_body(2)),
                (Duration::from_millis(150), Vec::new()),
            ],
            end: StreamEnd::Close,
        },
    );
    let (_sandbox, mut bridge) = Resident::fresh();
    assert_eq!(
        bridge.ask(&chat(1, &router, "hi")).last().unwrap()["type"],
        "done"
    );
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        bridge.ask(&chat(2, &router, "hi")).last().unwrap()["type"],
        "done"
    );
    let ports: Vec<u16> = router
        .requests_to(CHAT)
        .iter()
        .map(|r| r.client_port)
        .collect();
    assert_eq!(
        ports[0], ports[1],
        "the second chat needed a new connection: {ports:?}"
    );
}

#[test]
fn a_connection_the_router_closed_costs_no_error() {
    let (router, _sandbox, mut bridge) = after_one_chat(Some(Duration::from_millis(150)));
    // The router drops the idle connection; the next call must not notice.
    std::thread::sleep(Duration::from_millis(400));
    let second = bridge.ask(&chat(2, &router, "hi"));
    assert_eq!(second.last().unwrap()["type"], "done", "{second:?}");
    assert_eq!(text_of(&second), "still here");
}

#[test]
fn a_request_the_router_received_is_never_sent_twice() {
    let (router, _sandbox, mut bridge) = after_one_chat(None);
    // The pool takes the connection back a moment after its response ends; the next request
    // must find it there.
    std::thread::sleep(Duration::from_millis(300));
    // The router reads the next request on the kept connection, then drops the connection: it
    // may have run the request, so the request is not sent again — not on a new connection,
    // not as a retry (which the settings would allow).
    router.then("POST", CHAT, Reply::Reset);
    let mut retrying = chat(2, &router, "hi");
    retrying["settings"]["plugin"]["chat"] = json!({"maxRetries": 2, "retryBaseMs": 10});
    bridge.send(&retrying);
    let second = bridge.answer(2);
    let last = second.last().unwrap();
    assert_eq!(last["type"], "error", "{second:?}");
    assert_eq!(last["code"], "network", "{second:?}");
    let chats = router.requests_to(CHAT);
    assert_eq!(chats.len(), 2, "the received request was sent again");
    assert_eq!(chats[0].client_port, chats[1].client_port);
}

#[test]
fn a_connection_the_router_closed_while_idle_is_replaced_without_a_failure() {
    let (router, _sandbox, mut bridge) = after_one_chat(Some(Duration::from_millis(100)));
    // The router closes the idle connection before the next request: it never had that
    // request, which goes on a new connection — once, and successfully.
    std::thread::sleep(Duration::from_millis(400));
    let second = bridge.ask(&chat(2, &router, "hi"));
    assert_eq!(second.last().unwrap()["type"], "done", "{second:?}");
    let chats = router.requests_to(CHAT);
    assert_eq!(chats.len(), 2);
    assert_ne!(chats[0].client_port, chats[1].client_port);
}
