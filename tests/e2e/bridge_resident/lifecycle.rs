//! The resident bridge's own life: the protocol and a refused plugin said at hello, garbage and
//! oversized messages answered and survived, closing stdin ending it and its requests, the
//! parent killed leaving no bridge behind.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use openclaw_e2e::{Reply, Sandbox, StreamEnd, library_file, process::alive};
use serde_json::json;

use crate::support::{
    bridge::{Resident, chat, folder},
    chat_router, drip, str_of, wait_for, wait_for_disconnect,
};

#[test]
fn another_protocol_is_refused_at_hello() {
    let sandbox = Sandbox::new();
    let bridge = Resident::start(&folder(&sandbox), &[], &["--protocol", "1"]);
    let mut bridge = bridge;
    let hello = bridge.next_line(Duration::from_secs(10));
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["protocol"], 2);
    assert_eq!(hello["error"]["code"], "protocol_mismatch");
    assert!(str_of(&hello["error"]["message"]).contains("speaks protocol 2, the host asked for 1"));
    assert_eq!(bridge.close(Duration::from_secs(5)), Some(2));
}

#[test]
fn a_refused_plugin_is_said_at_hello() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    std::fs::remove_file(dir.join(library_file("openclaw_huggingface"))).unwrap();
    let mut bridge = Resident::start(&dir, &[], &[]);
    let hello = bridge.next_line(Duration::from_secs(10));
    assert_eq!(hello["error"]["code"], "plugin_unavailable", "{hello}");
    assert_eq!(bridge.close(Duration::from_secs(5)), Some(3));
}

#[test]
fn garbage_on_stdin_is_answered_and_survived() {
    let (_sandbox, mut bridge) = Resident::fresh();
    bridge.send_raw("{not json\n");
    let bad = bridge.next_line(Duration::from_secs(5));
    assert_eq!(bad["type"], "rejected");
    assert_eq!(bad["code"], "invalid_message");
    assert!(bad.get("rid").is_none());
    let unknown = bridge.ask(&json!({"rid": 4, "op": "summon"}));
    assert_eq!(unknown[0]["code"], "invalid_request");
    assert!(
        str_of(&unknown[0]["message"]).contains("unknown variant `summon`"),
        "{unknown:?}"
    );
    assert_eq!(
        bridge.ask(&json!({"rid": 5, "op": "chat", "request": []}))[0]["code"],
        "invalid_request"
    );
    assert_eq!(
        bridge.ask(&json!({"rid": 6, "op": "catalog", "mode": "static", "settings": 5}))[0]["code"],
        "invalid_request"
    );
    // A message over the cap is skipped without holding it in memory.
    let huge = format!(
        "{{\"rid\":7,\"op\":\"info\",\"pad\":\"{}\"}}\n",
        "x".repeat(33 << 20)
    );
    bridge.send_raw(&huge);
    let skipped = bridge.next_line(Duration::from_secs(20));
    assert!(
        skipped["message"].as_str().unwrap().contains("was skipped"),
        "{skipped}"
    );
    assert_eq!(
        bridge.ask(&json!({"rid": 8, "op": "info"}))[0]["type"],
        "done"
    );
    // A request id in use twice at once is rejected on a line that ends no request: the live
    // request goes on, and ends as its own.
    let router = chat_router(Reply::Stall);
    bridge.send(&chat(9, &router, "hang"));
    bridge.send(&json!({"rid": 9, "op": "info"}));
    let twice = bridge.next_for(9);
    assert_eq!(twice["type"], "rejected", "{twice}");
    assert_eq!(twice["code"], "duplicate_rid");
    let ended = bridge.ask(&json!({"rid": 9, "op": "cancel"}));
    assert_eq!(ended.last().unwrap()["code"], "cancelled", "{ended:?}");
}

#[test]
fn closing_stdin_ends_the_bridge_and_its_requests() {
    let router = chat_router(drip("together", "drip ", 500, 20, StreamEnd::Stall));
    let (_sandbox, mut bridge) = Resident::fresh();
    bridge.send(&chat(1, &router, "hi"));
    assert_eq!(bridge.next_for(1)["type"], "servingProvider");
    assert_eq!(bridge.close(Duration::from_secs(1)), Some(0));
    wait_for_disconnect(&router);
}

#[test]
fn the_parent_killed_leaves_no_bridge_behind() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    // A parent that holds the bridge's stdin and is killed outright, as OpenClaw may be.
    // The shell itself waits (on a read of its own stdin), so when it dies nothing else holds
    // the write end of the bridge's stdin.
    let mut parent = Command::new("sh")
        .arg("-c")
        .arg(r#"mkfifo "$1/in"; "$1/openclaw-provider-bridge" serve < "$1/in" > /dev/null 2>&1 & echo $! > "$1/pid"; exec 3> "$1/in"; read -r _"#)
        .arg("sh")
        .arg(&dir)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = dir.join("pid");
    wait_for("the bridge did not start", Duration::from_secs(10), || {
        !std::fs::read_to_string(&pid_file).map_or(true, |t| t.trim().is_empty())
    });
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    parent.kill().unwrap();
    parent.wait().unwrap();
    let killed = Instant::now();
    while alive(pid) {
        assert!(
            killed.elapsed() < Duration::from_secs(1),
            "the bridge outlived its parent"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
