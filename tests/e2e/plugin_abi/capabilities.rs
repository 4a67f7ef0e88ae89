//! Capabilities as typed entry points: one a plugin serves answers through the shared glue (its
//! panics caught), one it does not declare or predates is refused by the host without a call; a
//! plugin built against interface 1.1 loads and chats through today's host.

use openclaw_e2e::{Sandbox, fixtures::stage_legacy, stage_echo};
use openclaw_provider_abi::{CallContext, Cancellation, ErrorCode};

use crate::support::in_process::plugin;
use crate::support::{list_json, loaded_ids, plugins_dir_arg};

#[test]
fn a_plugin_built_against_interface_1_1_loads_chats_and_serves_nothing_newer() {
    let sandbox = Sandbox::new();
    stage_legacy(&sandbox.plugins_dir().join("legacy"));
    stage_echo(&sandbox.plugins_dir().join("echo"));
    let listing = list_json(&sandbox);
    let mut ids = loaded_ids(&listing);
    ids.sort();
    assert_eq!(ids, ["echo", "legacy"], "{listing}");
    let view = |id: &str| {
        listing["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(view("legacy")["interface"], "1.1.0");
    assert_eq!(view("legacy")["serves"], serde_json::json!(["chat"]));
    assert_eq!(
        view("echo")["serves"],
        serde_json::json!(["chat", "embeddings"])
    );

    // It chats through today's host binary.
    let mut args = plugins_dir_arg(&sandbox).to_vec();
    args.extend(["chat", "--model", "legacy/old-1", "hello there"].map(String::from));
    let chat = sandbox.run(args);
    assert!(chat.ok().contains("legacy: hello there"), "{chat}");

    // A capability it predates is refused by the host without a call into the library.
    let report = sandbox.load_plugins();
    let legacy = report.registry.get("legacy").unwrap();
    let embedding = r#"{"model":"legacy/old-1","input":["x"]}"#;
    let refused = legacy
        .embed(&CallContext::anonymous(), embedding, &Cancellation::new())
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::UNSUPPORTED);
    assert!(
        refused.message.contains("does not serve embeddings"),
        "{refused}"
    );
}

#[test]
fn a_capability_entry_point_answers_through_the_glue_and_its_panics_are_caught() {
    let echo = plugin("echo");
    let context = CallContext::anonymous();
    let answer = echo
        .embed(
            &context,
            r#"{"model":"echo/echo-1","input":["aei 12","xyz!"]}"#,
            &Cancellation::new(),
        )
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        answer["vectors"],
        serde_json::json!([[3.0, 0.0, 2.0, 1.0], [0.0, 3.0, 0.0, 1.0]])
    );
    assert_eq!(answer["dimensions"], 4);
    let panicked = echo
        .embed(
            &context,
            r#"{"model":"echo/echo-1","input":["panic"]}"#,
            &Cancellation::new(),
        )
        .unwrap_err();
    assert_eq!(panicked.code, ErrorCode::INTERNAL);
    assert!(panicked.message.contains("panicked in embed"), "{panicked}");
    // Capabilities it does not declare are refused by the host.
    let image = echo
        .generate_image(
            &context,
            r#"{"model":"echo/x","prompt":"p"}"#,
            &Cancellation::new(),
        )
        .unwrap_err();
    assert_eq!(image.code, ErrorCode::UNSUPPORTED);
}
