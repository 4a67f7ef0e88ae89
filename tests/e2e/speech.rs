//! `host-stub audio transcribe` and `host-stub audio speak` through the Hugging Face plugin
//! against the mock Hub and router: hf-inference's raw recording, together's multipart form,
//! fal's data URL (and the types it cannot take, refused before upload), a recording over the
//! cap refused before anything is sent, speech as raw bytes and as a URL fetched without the
//! token, answers that are not audio; and `models list --task` for the media tasks.

use std::time::Duration;

use base64::Engine;
use openclaw_e2e::{
    MockRouter, Reply, Sandbox,
    mock_router::{inference_mapping, paths},
    tls_front::TlsFront,
};
use serde_json::{Value, json};

use crate::support::{
    assert_ours_with_the_token, json_failure, mp3, no_leak, pointed_at, str_of, wav,
};

const WHISPER: &str = "openai/whisper-large-v3";
const KOKORO: &str = "hexgrad/Kokoro-82M";

/// A router whose Hub maps `model` to `upstreams` (`(upstream, id there)`), live, for `task`.
fn mapped(model: &str, task: &str, upstreams: &[(&str, &str)]) -> MockRouter {
    let router = MockRouter::start();
    let entries: Vec<(&str, &str, &str, &str)> = upstreams
        .iter()
        .map(|(upstream, id)| (*upstream, *id, "live", task))
        .collect();
    router.on(
        "GET",
        &paths::hub_model(model),
        inference_mapping(model, &entries),
    );
    router
}

fn sandbox_for(router: &MockRouter, extra_env: &[(&str, &str)]) -> Sandbox {
    let mut sandbox = pointed_at(router, json!({}));
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    for (name, value) in extra_env {
        sandbox.set_env(name, value);
    }
    sandbox
}

/// Transcribes `recording` (written to a file named `name`) with `model`.
fn transcribe(
    sandbox: &Sandbox,
    model: &str,
    name: &str,
    recording: &[u8],
    extra: &[&str],
) -> openclaw_e2e::Run {
    let file = sandbox.home().join(name);
    std::fs::write(&file, recording).unwrap();
    let reference = format!("huggingface/{model}");
    let mut args = vec!["--json", "audio", "transcribe", "--model", &reference];
    args.extend_from_slice(extra);
    let file = file.display().to_string();
    args.push(&file);
    let run = sandbox.run(args);
    no_leak(&run);
    run
}

fn failed(run: &openclaw_e2e::Run) -> String {
    str_of(&json_failure(run)["message"]).to_owned()
}

#[test]
fn hf_inference_gets_the_recording_itself_typed_by_its_bytes() {
    let router = mapped(
        WHISPER,
        "automatic-speech-recognition",
        &[("hf-inference", WHISPER)],
    );
    router.on(
        "POST",
        &paths::hf_inference_model(WHISPER),
        Reply::json(
            200,
            r#"{"text":" The cat sleeps on the keyboard.","chunks":[{"timestamp":[0.0,2.5],"text":" The cat sleeps on the keyboard."}]}"#,
        ),
    );
    let sandbox = sandbox_for(&router, &[]);
    // The file's name says nothing; its bytes say WAV.
    let run = transcribe(
        &sandbox,
        WHISPER,
        "note.bin",
        &wav(1),
        &["--language", "en"],
    );
    let answer = run.json();
    assert_eq!(answer["text"], "The cat sleeps on the keyboard.", "{run}");
    assert_eq!(answer["servingProvider"], "hf-inference");
    assert_eq!(answer["segments"][0]["end"], 2.5);
    assert!(
        answer["notices"]
            .to_string()
            .contains("does not take a language")
    );
    let sent = &router.requests_to(&paths::hf_inference_model(WHISPER))[0];
    assert_ours_with_the_token(sent);
    assert_eq!(sent.body, wav(1));
    assert_eq!(sent.header("content-type"), Some("audio/x-wav"));
}

#[test]
fn together_gets_openais_multipart_form() {
    let router = mapped(
        WHISPER,
        "automatic-speech-recognition",
        &[("together", "openai/whisper-large-v3")],
    );
    router.on(
        "POST",
        paths::TOGETHER_TRANSCRIPTIONS,
        Reply::json(
            200,
            r#"{"text":"bonjour","language":"fr","segments":[{"id":0,"start":0.1,"end":0.8,"text":"bonjour"}]}"#,
        ),
    );
    let sandbox = sandbox_for(&router, &[]);
    let run = transcribe(
        &sandbox,
        WHISPER,
        "hello.wav",
        &wav(2),
        &["--language", "fr", "--prompt", "Gruyère"],
    );
    let answer = run.json();
    assert_eq!(answer["text"], "bonjour", "{run}");
    assert_eq!(answer["language"], "fr");
    let sent = &router.requests_to(paths::TOGETHER_TRANSCRIPTIONS)[0];
    assert_ours_with_the_token(sent);
    assert!(
        sent.header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    let body = String::from_utf8_lossy(&sent.body);
    for part in [
        r#"name="file"; filename="hello.wav""#,
        "Content-Type: audio/x-wav",
        r#"name="model""#,
        "openai/whisper-large-v3",
        r#"name="language""#,
        "Gruyère",
    ] {
        assert!(body.contains(part), "{part} missing from the form");
    }
    // The recording travels as it is, once.
    let recording = wav(2);
    assert_eq!(
        sent.body
            .windows(recording.len())
            .filter(|window| *window == recording.as_slice())
            .count(),
        1
    );
}

#[test]
fn fal_gets_a_data_url_and_types_it_cannot_take_are_refused_before_upload() {
    let router = mapped(
        WHISPER,
        "automatic-speech-recognition",
        &[("fal-ai", "fal-ai/whisper")],
    );
    router.on(
        "POST",
        &paths::fal("fal-ai/whisper"),
        Reply::json(
            200,
            r#"{"text":"hello","chunks":[],"inferred_languages":["en"],"diarization_segments":[]}"#,
        ),
    );
    let sandbox = sandbox_for(&router, &[]);
    let run = transcribe(&sandbox, WHISPER, "a.wav", &wav(3), &[]);
    assert_eq!(run.json()["language"], "en", "{run}");
    let sent = router.requests_to(&paths::fal("fal-ai/whisper"))[0].json();
    let expected = format!(
        "data:audio/x-wav;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(wav(3))
    );
    assert_eq!(sent["audio_url"], expected);

    let ogg = b"OggS\0\x02\0\0\0\0\0\0\0\0".repeat(64);
    let message = failed(&transcribe(&sandbox, WHISPER, "a.ogg", &ogg, &[]));
    assert!(
        message.contains("fal-ai takes MP3, WAV or WebM"),
        "{message}"
    );
    assert_eq!(router.requests_to(&paths::fal("fal-ai/whisper")).len(), 1);
}

#[test]
fn recordings_over_the_cap_or_not_audio_are_refused_before_anything_is_sent() {
    let router = mapped(
        WHISPER,
        "automatic-speech-recognition",
        &[("hf-inference", WHISPER)],
    );
    let sandbox = sandbox_for(&router, &[]);
    let mut large = wav(4);
    large.resize(26 * 1024 * 1024, 0);
    let failure = json_failure(&transcribe(&sandbox, WHISPER, "long.wav", &large, &[]));
    assert_eq!(failure["code"], "invalid_request");
    assert!(str_of(&failure["message"]).contains("at most 26214400 bytes (25 MiB)"));
    let message = failed(&transcribe(
        &sandbox,
        WHISPER,
        "notes.txt",
        b"just some text",
        &[],
    ));
    assert!(message.contains("not audio"), "{message}");
    assert!(router.requests().is_empty(), "nothing may be sent");
}

fn speak(sandbox: &Sandbox, model: &str, extra: &[&str]) -> openclaw_e2e::Run {
    let output = sandbox.home().join("reply");
    let reference = format!("huggingface/{model}");
    let output = output.display().to_string();
    let mut args = vec![
        "--json", "audio", "speak", "--model", &reference, "--output", &output,
    ];
    args.extend_from_slice(extra);
    args.push("The cat is asleep.");
    let run = sandbox.run(args);
    no_leak(&run);
    run
}

#[test]
fn together_speaks_with_kokoros_default_voice_and_the_file_is_the_upstreams_bytes() {
    let router = mapped(
        KOKORO,
        "text-to-speech",
        &[("together", "hexgrad/Kokoro-82M")],
    );
    router.on(
        "POST",
        paths::TOGETHER_SPEECH,
        Reply::bytes(200, "audio/mpeg", mp3(1)),
    );
    let sandbox = sandbox_for(&router, &[]);
    let run = speak(&sandbox, KOKORO, &["--format", "mp3"]);
    let answer = run.json();
    assert_eq!(answer["mediaType"], "audio/mpeg", "{run}");
    assert_eq!(answer["voice"], "af_alloy");
    let file = str_of(&answer["file"]);
    assert!(file.ends_with("reply.mp3"), "{file}");
    assert_eq!(std::fs::read(file).unwrap(), mp3(1));
    let sent = &router.requests_to(paths::TOGETHER_SPEECH)[0];
    assert_ours_with_the_token(sent);
    assert_eq!(
        sent.json(),
        json!({"model": "hexgrad/Kokoro-82M", "input": "The cat is asleep.",
               "voice": "af_alloy", "response_format": "mp3"})
    );
}

#[test]
fn fal_names_its_audio_by_url_and_it_is_fetched_without_the_token() {
    let router = mapped(
        KOKORO,
        "text-to-speech",
        &[("fal-ai", "fal-ai/kokoro/american-english")],
    );
    let front = TlsFront::start(router.addr(), Duration::ZERO);
    let cdn = format!(
        "{}{}",
        front.base_url().trim_end_matches("/v1"),
        paths::CDN_AUDIO
    );
    router.on(
        "POST",
        &paths::fal("fal-ai/kokoro/american-english"),
        Reply::json(
            200,
            json!({"audio": {"url": cdn, "content_type": "audio/mpeg"}}).to_string(),
        ),
    );
    router.on(
        "GET",
        paths::CDN_AUDIO,
        Reply::bytes(200, "audio/mpeg", mp3(2)),
    );
    let ca = front.ca_file().display().to_string();
    let sandbox = sandbox_for(&router, &[("NODE_EXTRA_CA_CERTS", &ca)]);
    let run = speak(&sandbox, KOKORO, &["--voice", "af_heart"]);
    let answer = run.json();
    assert_eq!(
        std::fs::read(str_of(&answer["file"])).unwrap(),
        mp3(2),
        "{run}"
    );
    let sent = router.requests_to(&paths::fal("fal-ai/kokoro/american-english"))[0].json();
    assert_eq!(
        sent,
        json!({"text": "The cat is asleep.", "voice": "af_heart"})
    );
    let fetched = &router.requests_to(paths::CDN_AUDIO)[0];
    assert_eq!(fetched.header("authorization"), None);
}

#[test]
fn answers_that_are_not_audio_are_refused() {
    let router = mapped(KOKORO, "text-to-speech", &[("hf-inference", KOKORO)]);
    router.on(
        "POST",
        &paths::hf_inference_model(KOKORO),
        Reply::bytes(200, "audio/flac", "<html>Bad gateway</html>"),
    );
    let sandbox = sandbox_for(&router, &[]);
    let message = failed(&speak(&sandbox, KOKORO, &[]));
    assert!(message.contains("not audio"), "{message}");
    assert!(!sandbox.home().join("reply.flac").exists());
}

#[test]
fn models_list_shows_the_models_of_each_media_task() {
    let router = MockRouter::start();
    router.on(
        "GET",
        "/api/models",
        Reply::json(
            200,
            json!([
                {"id": "black-forest-labs/FLUX.1-dev", "inferenceProviderMapping": [
                    {"provider": "fal-ai", "providerId": "fal-ai/flux/dev", "status": "live",
                     "task": "text-to-image"},
                    {"provider": "wavespeed", "providerId": "w", "status": "live",
                     "task": "text-to-image"}]},
                {"id": "org/only-wavespeed", "inferenceProviderMapping": [
                    {"provider": "wavespeed", "providerId": "w2", "status": "live",
                     "task": "text-to-image"}]}
            ])
            .to_string(),
        ),
    );
    let sandbox = sandbox_for(&router, &[]);
    let run = sandbox.run(["--json", "models", "list", "--task", "text-to-image"]);
    no_leak(&run);
    let listing: Value = run.json();
    let text = listing.to_string();
    assert!(
        text.contains("huggingface/black-forest-labs/FLUX.1-dev"),
        "{text}"
    );
    assert!(!text.contains("only-wavespeed"), "{text}");
    let search = &router.requests_to("/api/models")[0];
    assert!(
        search.path.contains("pipeline_tag=text-to-image"),
        "{}",
        search.path
    );
    for task in ["speech-recognition", "text-to-speech"] {
        let run = sandbox.run(["--json", "models", "list", "--task", task]);
        assert_eq!(run.code, Some(0), "{run}");
    }
}
