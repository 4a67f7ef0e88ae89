//! How a one-shot run fails: typed catalog errors, a router only the CA `NODE_EXTRA_CA_CERTS`
//! names vouches for (and bundles that are no use), bad invocations (exit 2), a missing or
//! refused plugin (exit 3), a run terminated mid-stream or whose reader goes away (a last typed
//! line, the router's connection closed).

use std::{
    io::Read,
    os::unix::fs::PermissionsExt,
    process::{Child, ChildStdout},
    time::{Duration, Instant},
};

use openclaw_e2e::{
    MockRouter, Reply, SENTINEL_TOKEN, Sandbox, StreamEnd, artifacts, library_file, stream_body,
    tls_front::TlsFront,
};
use serde_json::Value;

use crate::support::{
    MODELS,
    bridge::{KEY, call, folder, start},
    chat_request, chat_router, drip, serve_models, str_of, wait_for_disconnect,
};

#[test]
fn catalog_failures_are_typed() {
    let router = MockRouter::start();
    router.on("GET", MODELS, Reply::invalid_credentials());
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let rejected = call(
        &dir,
        &KEY,
        &["catalog", "--base-url", &router.base_url()],
        None,
    );
    assert_eq!(rejected.code, Some(1), "{rejected}");
    assert_eq!(rejected.last()["code"], "unauthorized");
    assert_eq!(rejected.last()["httpStatus"], 401);

    // Advisory: the built-in list with the reason.
    let advisory = call(
        &dir,
        &KEY,
        &[
            "catalog",
            "--mode",
            "advisory",
            "--base-url",
            &router.base_url(),
        ],
        None,
    );
    assert_eq!(advisory.code, Some(0), "{advisory}");
    assert_eq!(advisory.last()["result"]["source"], "built-in");
    assert!(
        str_of(&advisory.last()["result"]["fallbackReason"]).contains("401"),
        "{advisory}"
    );

    let missing = call(&dir, &[], &["catalog"], None);
    assert_eq!(missing.code, Some(4), "{missing}");
    assert_eq!(missing.last()["code"], "no_credential");
    assert!(missing.message().contains("OPENCLAW_PROVIDER_API_KEY"));

    // The plugin's own variables are accepted too.
    serve_models(&router, 3);
    let own = call(
        &dir,
        &[("HF_TOKEN", SENTINEL_TOKEN)],
        &["catalog", "--base-url", &router.base_url()],
        None,
    );
    assert_eq!(own.code, Some(0), "{own}");
}

#[test]
fn the_ca_node_extra_ca_certs_names_is_trusted_too() {
    let router = chat_router(Reply::sse_bytes("mock", &stream_body(4), 64 * 1024));
    // A router whose certificate only a throwaway CA vouches for, as behind an intercepting proxy.
    let front = TlsFront::start(router.addr(), Duration::ZERO);
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let request = chat_request("huggingface/deepseek-ai/DeepSeek-R1", "hi");
    let args = ["chat", "--base-url", &front.base_url()];
    let chat = |extra: &[(&str, &str)]| {
        let mut env = KEY.to_vec();
        env.extend_from_slice(extra);
        call(&dir, &env, &args, Some(&request))
    };

    let untrusted = chat(&[]);
    assert_eq!(untrusted.code, Some(1), "{untrusted}");
    assert!(untrusted.message().contains("certificate"), "{untrusted}");

    let ca = front.ca_file().to_str().unwrap();
    let trusted = chat(&[("NODE_EXTRA_CA_CERTS", ca)]);
    assert_eq!(trusted.code, Some(0), "{trusted}");
    assert_eq!(trusted.last()["type"], "done", "{trusted}");

    // A bundle that is not one, a directory, a missing file: logged, and the system's store
    // alone decides (here: no trust), never a hang or a client that cannot be built.
    let junk = sandbox.root().join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = sandbox.root().join("missing.pem");
    for bundle in [junk.as_path(), sandbox.root(), missing.as_path()] {
        let answer = chat(&[("NODE_EXTRA_CA_CERTS", bundle.to_str().unwrap())]);
        assert_eq!(answer.code, Some(1), "{answer}");
        let message = answer.last()["message"].as_str().unwrap();
        assert!(message.contains("certificate"), "{answer}");
        assert!(!message.contains("cannot build"), "{answer}");
        assert!(answer.stderr.contains("NODE_EXTRA_CA_CERTS"), "{answer}");
    }
    assert_eq!(
        router.requests().len(),
        1,
        "only the trusted chat got through"
    );
}

#[test]
fn bad_invocations_are_refused_with_exit_code_2() {
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let unknown = call(&dir, &[], &["summon"], None);
    assert_eq!(unknown.code, Some(2), "{unknown}");
    assert_eq!(unknown.last()["code"], "usage");

    for body in [
        "{not json",
        "[]",
        r#"{"model":"huggingface/a/b","messages":[]}"#,
        "",
    ] {
        let malformed = call(&dir, &KEY, &["chat"], Some(body));
        assert_eq!(malformed.code, Some(2), "{body:?}: {malformed}");
        assert_eq!(malformed.last()["code"], "invalid_request");
    }
    let no_key = call(
        &dir,
        &[],
        &["chat"],
        Some(&chat_request("huggingface/a/b", "hi")),
    );
    assert_eq!(no_key.code, Some(4), "{no_key}");

    let bad_config = call(
        &dir,
        &[],
        &["catalog", "--mode", "static", "--provider-config", "[1"],
        None,
    );
    assert_eq!(bad_config.code, Some(2), "{bad_config}");
}

#[test]
fn a_missing_or_refused_plugin_is_exit_code_3() {
    let sandbox = Sandbox::new();
    // The bridge alone.
    let alone = sandbox.root().join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    std::fs::copy(&artifacts().bridge, alone.join("openclaw-provider-bridge")).unwrap();
    let missing = call(&alone, &[], &["info"], None);
    assert_eq!(missing.code, Some(3), "{missing}");
    assert_eq!(missing.last()["code"], "plugin_unavailable");

    // The library gone from beside its manifest.
    let dir = folder(&sandbox);
    let library = dir.join(library_file("openclaw_huggingface"));
    let moved = sandbox.root().join("moved-library");
    std::fs::rename(&library, &moved).unwrap();
    let gone = call(&dir, &[], &["info"], None);
    assert_eq!(gone.code, Some(3), "{gone}");
    assert!(
        gone.message()
            .contains(&library_file("openclaw_huggingface"))
    );

    // A world-writable library is refused as host-stub refuses it.
    std::fs::rename(&moved, &library).unwrap();
    std::fs::set_permissions(&library, std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = call(&dir, &[], &["info"], None);
    assert_eq!(refused.code, Some(3), "{refused}");
    assert!(refused.message().contains("writable"), "{refused}");
}

/// A one-shot chat through the bridge against a router whose stream drips forever, its first
/// byte of output read: the stream is under way.
struct UnderWay {
    router: MockRouter,
    _sandbox: Sandbox,
    child: Child,
    stdout: ChildStdout,
    first: u8,
}

fn chat_under_way() -> UnderWay {
    let router = chat_router(drip("together", "word ", 400, 20, StreamEnd::Stall));
    let sandbox = Sandbox::new();
    let mut child = start(
        &folder(&sandbox),
        &KEY,
        &["chat", "--base-url", &router.base_url()],
        Some(&chat_request("huggingface/a/b", "hi")),
    );
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    UnderWay {
        router,
        _sandbox: sandbox,
        child,
        stdout,
        first: first[0],
    }
}

#[test]
fn a_bridge_terminated_mid_stream_ends_with_a_typed_line_and_closes_the_connection() {
    let UnderWay {
        router,
        _sandbox,
        mut child,
        mut stdout,
        first,
    } = chat_under_way();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let text = format!("{}{}", first as char, String::from_utf8_lossy(&rest));
    assert!(text.ends_with('\n'), "a line was cut: {text:?}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.last().unwrap()["code"], "cancelled");
    assert!(lines.iter().any(|l| l["type"] == "text"));
    wait_for_disconnect(&router);
}

#[test]
fn a_reader_that_goes_away_cancels_the_request() {
    let UnderWay {
        router,
        _sandbox,
        mut child,
        stdout,
        first: _,
    } = chat_under_way();
    drop(stdout);
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(started.elapsed() < Duration::from_secs(5));
    wait_for_disconnect(&router);
}
