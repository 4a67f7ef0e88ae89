//! Real OpenClaw using the plugin's images and speech through the resident bridge, against the
//! mock Hub and router: `infer image generate` (and with the agents' image model configured
//! instead of `--model`), the agent's `image_generate` tool, `infer audio transcribe`, `infer tts convert`, each served by our
//! plugin (the mock's log: our User-Agent, the sentinel token) and writing the mock's exact
//! bytes; and `infer image describe` through a vision chat model, the image reaching the router
//! as a data URL.

use base64::Engine;
use openclaw_e2e::{
    MockRouter, Reply, StreamEnd, files_under,
    mock_router::{inference_mapping, paths},
};

use crate::support::{
    CHAT, assert_ours_with_the_token, mp3,
    openclaw::{first_json, home_for, json_of, ok},
    png, stream_of, tool_call, wav,
};

const FLUX: &str = "black-forest-labs/FLUX.1-dev";
const WHISPER: &str = "openai/whisper-large-v3";
const KOKORO: &str = "hexgrad/Kokoro-82M";

/// A 1×1 PNG any decoder reads.
const PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/// A router whose Hub maps each model to hf-inference for its task, each answering `reply`.
fn router_serving(models: &[(&str, &str, Reply)]) -> MockRouter {
    let router = MockRouter::start();
    for (model, task, reply) in models {
        router.on(
            "GET",
            &paths::hub_model(model),
            inference_mapping(model, &[("hf-inference", model, "live", task)]),
        );
        router.on("POST", &paths::hf_inference_model(model), reply.clone());
    }
    router
}

#[test]
fn infer_image_generate_is_served_by_our_plugin_and_writes_the_mocks_bytes() {
    let router = router_serving(&[(
        FLUX,
        "text-to-image",
        Reply::bytes(200, "image/png", png(11)),
    )]);
    let scratch = tempfile::tempdir().unwrap();
    let home = home_for(&router, scratch.path());
    let output = scratch.path().join("cat.png");
    let run = ok(home.run([
        "infer",
        "image",
        "generate",
        "--model",
        &format!("huggingface/{FLUX}"),
        "--prompt",
        "a cat asleep on a keyboard",
        "--size",
        "1024x768",
        "--output",
        &output.display().to_string(),
        "--json",
    ]));
    let answer = first_json(&run);
    assert_eq!(answer["provider"], "huggingface", "{run}");
    let written = answer["outputs"][0]["path"].as_str().unwrap();
    assert_eq!(std::fs::read(written).unwrap(), png(11));
    let sent = router.requests_to(&paths::hf_inference_model(FLUX));
    assert_eq!(sent.len(), 1);
    assert_ours_with_the_token(&sent[0]);
    assert_eq!(sent[0].json()["parameters"]["width"], 1024);

    // The agents' image model (what the image_generate tool uses) instead of --model.
    ok(home.run([
        "config",
        "set",
        "agents.defaults.mediaModels.image.primary",
        &format!("huggingface/{FLUX}"),
    ]));
    let second = scratch.path().join("second.png");
    let run = ok(home.run([
        "infer",
        "image",
        "generate",
        "--prompt",
        "a second cat",
        "--output",
        &second.display().to_string(),
        "--json",
    ]));
    assert_eq!(first_json(&run)["provider"], "huggingface", "{run}");
    assert_eq!(std::fs::read(&second).unwrap(), png(11));
    assert_eq!(
        router.requests_to(&paths::hf_inference_model(FLUX)).len(),
        2
    );
}

/// The model asks for `image_generate` (through OpenClaw's tool search, as it offers tools to a
/// model it does not know); OpenClaw runs it as a background task with the agents' image model,
/// and the image our plugin fetched lands, byte for byte, in OpenClaw's media folder.
#[test]
fn the_agents_image_generate_tool_is_served_by_our_plugin() {
    let router = router_serving(&[(
        FLUX,
        "text-to-image",
        Reply::bytes(200, "image/png", png(14)),
    )]);
    router.then(
        "POST",
        CHAT,
        tool_call(
            "tool_call",
            r#"{"id":"image_generate","args":{"prompt":"a cat asleep on a keyboard","filename":"cat.png"}}"#,
        ),
    );
    router.on("POST", CHAT, stream_of("Here is your cat.", "together"));
    let scratch = tempfile::tempdir().unwrap();
    let home = home_for(&router, scratch.path());
    ok(home.run([
        "config",
        "set",
        "agents.defaults.mediaModels.image.primary",
        &format!("huggingface/{FLUX}"),
    ]));
    let turn = ok(home.run([
        "agent",
        "--local",
        "--session-id",
        "draw",
        "--model",
        "huggingface/mock-org/Mock-Model",
        "--message",
        "Draw me a cat asleep on a keyboard.",
        "--json",
    ]));
    let result = json_of(&turn);
    let tools = &result["meta"]["toolSummary"];
    assert!(
        tools["tools"]
            .as_array()
            .is_some_and(|names| names.iter().any(|n| n == "image_generate")),
        "{turn}"
    );
    assert_eq!(tools["failures"], 0, "{turn}");
    let sent = router.requests_to(&paths::hf_inference_model(FLUX));
    assert_eq!(sent.len(), 1, "{turn}");
    assert_ours_with_the_token(&sent[0]);
    assert_eq!(sent[0].json()["inputs"], "a cat asleep on a keyboard");
    let saved: Vec<_> = files_under(home.path())
        .into_iter()
        .filter(|(_, bytes)| *bytes == png(14))
        .map(|(path, _)| path)
        .collect();
    assert!(
        matches!(saved.as_slice(), [path] if path.components().any(|c| c.as_os_str() == "tool-image-generation")),
        "the tool's image, as the mock sent it, in OpenClaw's media folder: {saved:?}"
    );
}

#[test]
fn infer_audio_transcribe_and_tts_convert_are_served_by_our_plugin() {
    let router = router_serving(&[
        (
            WHISPER,
            "automatic-speech-recognition",
            Reply::json(200, r#"{"text":"the cat sleeps on the keyboard"}"#),
        ),
        (
            KOKORO,
            "text-to-speech",
            Reply::bytes(200, "audio/mpeg", mp3(12)),
        ),
    ]);
    let scratch = tempfile::tempdir().unwrap();
    let home = home_for(&router, scratch.path());
    let recording = scratch.path().join("note.wav");
    std::fs::write(&recording, wav(13)).unwrap();
    let run = ok(home.run([
        "infer",
        "audio",
        "transcribe",
        "--file",
        &recording.display().to_string(),
        "--model",
        &format!("huggingface/{WHISPER}"),
        "--json",
    ]));
    assert!(
        run.stdout.contains("the cat sleeps on the keyboard"),
        "{run}"
    );
    let sent = router.requests_to(&paths::hf_inference_model(WHISPER));
    assert_eq!(sent.len(), 1, "{run}");
    assert_ours_with_the_token(&sent[0]);
    assert_eq!(sent[0].body, wav(13));

    let speech = scratch.path().join("reply.mp3");
    let run = ok(home.run([
        "infer",
        "tts",
        "convert",
        "--text",
        "The cat is asleep.",
        "--provider",
        "huggingface",
        "--model",
        &format!("huggingface/{KOKORO}"),
        "--output",
        &speech.display().to_string(),
        "--local",
        "--json",
    ]));
    assert_eq!(std::fs::read(&speech).unwrap(), mp3(12), "{run}");
    let sent = router.requests_to(&paths::hf_inference_model(KOKORO));
    assert_eq!(sent.len(), 1);
    assert_ours_with_the_token(&sent[0]);
    assert_eq!(sent[0].json()["inputs"], "The cat is asleep.");
}

#[test]
fn infer_image_describe_goes_through_a_vision_chat_model() {
    let router = MockRouter::start();
    router.on(
        "POST",
        paths::CHAT,
        Reply::words(
            "together",
            "A single white pixel.",
            std::time::Duration::ZERO,
            StreamEnd::Close,
        ),
    );
    let scratch = tempfile::tempdir().unwrap();
    let home = home_for(&router, scratch.path());
    let image = scratch.path().join("pixel.png");
    let pixel = base64::engine::general_purpose::STANDARD
        .decode(PIXEL)
        .unwrap();
    std::fs::write(&image, &pixel).unwrap();
    let run = ok(home.run([
        "infer",
        "image",
        "describe",
        "--file",
        &image.display().to_string(),
        "--model",
        "huggingface/moonshotai/Kimi-K2.5",
        "--prompt",
        "What is in this picture?",
        "--json",
    ]));
    assert!(run.stdout.contains("A single white pixel."), "{run}");
    let sent = router.requests_to(paths::CHAT);
    assert_eq!(sent.len(), 1, "{run}");
    assert_ours_with_the_token(&sent[0]);
    let body = sent[0].json().to_string();
    assert!(body.contains("data:image/png;base64,"), "{body}");
    assert!(body.contains("What is in this picture?"), "{body}");
}
