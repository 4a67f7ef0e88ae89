//! Images and speech through the resident bridge: payloads travel as files, never inside a
//! line — an image answer's file in the directory the host named (private, the mock's exact
//! bytes), a recording read from the file the host wrote, speech written out; and the
//! refusals: a relative or missing directory, a recording that is a FIFO.

use std::{os::unix::fs::PermissionsExt, time::Duration};

use openclaw_e2e::{
    MockRouter, Reply, SENTINEL_TOKEN,
    mock_router::{inference_mapping, paths},
};
use serde_json::{Value, json};

use crate::support::{
    bridge::{Resident, folder, settings},
    mp3, png, str_of, wav,
};

/// A router whose Hub maps `model` to hf-inference for `task`.
fn hf_inference_for(model: &str, task: &str, reply: Reply) -> MockRouter {
    let router = MockRouter::start();
    router.on(
        "GET",
        &paths::hub_model(model),
        inference_mapping(model, &[("hf-inference", model, "live", task)]),
    );
    router.on("POST", &paths::hf_inference_model(model), reply);
    router
}

fn bridge_for(router: &MockRouter) -> (openclaw_e2e::Sandbox, Resident) {
    let sandbox = openclaw_e2e::Sandbox::new();
    let origin = router.origin();
    let bridge = Resident::ready(&folder(&sandbox), &[("HF_ENDPOINT", origin.as_str())]);
    (sandbox, bridge)
}

fn request(rid: u64, op: &str, router: &MockRouter, fields: Value) -> Value {
    let mut message = json!({"rid": rid, "op": op, "credential": SENTINEL_TOKEN,
                             "settings": settings(router)});
    for (key, value) in fields.as_object().unwrap() {
        message[key] = value.clone();
    }
    message
}

/// The one line answering `rid`.
fn answer(bridge: &mut Resident, rid: u64) -> Value {
    let lines = bridge.answer(rid);
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines.into_iter().next().unwrap()
}

#[test]
fn an_image_comes_back_as_a_private_file_in_the_hosts_directory() {
    let model = "black-forest-labs/FLUX.1-dev";
    let router = hf_inference_for(
        model,
        "text-to-image",
        Reply::bytes(200, "image/jpeg", png(9)),
    );
    let (sandbox, mut bridge) = bridge_for(&router);
    let dir = tempfile::tempdir_in(sandbox.home()).unwrap();
    let message = request(
        1,
        "image",
        &router,
        json!({"request": {"model": format!("huggingface/{model}"), "prompt": "a cat"},
               "blobDir": dir.path()}),
    );
    bridge.send(&message);
    let done = answer(&mut bridge, 1);
    assert_eq!(done["type"], "done", "{done}");
    assert!(
        done.to_string().len() < 4096,
        "the image travelled in the line"
    );
    let image = &done["result"]["images"][0];
    assert_eq!(image["mediaType"], "image/png");
    let path = std::path::Path::new(str_of(&image["path"]));
    assert_eq!(path.parent(), Some(dir.path()));
    assert_eq!(std::fs::read(path).unwrap(), png(9));
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(done["result"]["servingProvider"], "hf-inference");
}

#[test]
fn a_recording_is_read_from_the_file_the_host_wrote_and_speech_is_written_out() {
    let whisper = "openai/whisper-large-v3";
    let router = hf_inference_for(
        whisper,
        "automatic-speech-recognition",
        Reply::json(200, r#"{"text":"hello there"}"#),
    );
    let kokoro = "hexgrad/Kokoro-82M";
    router.on(
        "GET",
        &paths::hub_model(kokoro),
        inference_mapping(
            kokoro,
            &[("hf-inference", kokoro, "live", "text-to-speech")],
        ),
    );
    router.on(
        "POST",
        &paths::hf_inference_model(kokoro),
        Reply::bytes(200, "audio/mpeg", mp3(3)),
    );
    let (sandbox, mut bridge) = bridge_for(&router);
    let recording = sandbox.home().join("note.wav");
    std::fs::write(&recording, wav(5)).unwrap();
    bridge.send(&request(
        2,
        "transcribe",
        &router,
        json!({"request": {"model": format!("huggingface/{whisper}")},
               "audio": {"path": recording, "mediaType": "audio/wav"}}),
    ));
    let done = answer(&mut bridge, 2);
    assert_eq!(done["result"]["text"], "hello there", "{done}");
    assert_eq!(
        router.requests_to(&paths::hf_inference_model(whisper))[0].body,
        wav(5)
    );

    let dir = tempfile::tempdir_in(sandbox.home()).unwrap();
    bridge.send(&request(
        3,
        "speak",
        &router,
        json!({"request": {"model": format!("huggingface/{kokoro}"), "text": "hi"},
               "blobDir": dir.path()}),
    ));
    let done = answer(&mut bridge, 3);
    let audio = &done["result"]["audio"];
    assert_eq!(audio["mediaType"], "audio/mpeg", "{done}");
    assert_eq!(std::fs::read(str_of(&audio["path"])).unwrap(), mp3(3));
}

#[test]
fn bad_directories_and_a_fifo_for_a_recording_are_refused_in_time() {
    let router = MockRouter::start();
    let (sandbox, mut bridge) = bridge_for(&router);
    let image = json!({"model": "huggingface/a/b", "prompt": "x"});
    for (rid, fields) in [
        (1, json!({"request": image, "blobDir": "relative/dir"})),
        (2, json!({"request": image})),
        (
            3,
            json!({"request": image, "blobDir": sandbox.home().join("missing")}),
        ),
    ] {
        bridge.send(&request(rid, "image", &router, fields));
        let line = answer(&mut bridge, rid);
        assert_eq!(line["type"], "error", "{line}");
        assert_eq!(line["code"], "invalid_request", "{line}");
    }
    let fifo = sandbox.home().join("voice.fifo");
    let name = std::ffi::CString::new(fifo.display().to_string()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    bridge.send(&request(
        4,
        "transcribe",
        &router,
        json!({"request": {"model": "huggingface/a/b"}, "audio": {"path": fifo}}),
    ));
    let line = bridge.next_for(4);
    assert_eq!(line["type"], "error", "{line}");
    assert_eq!(line["code"], "invalid_request", "{line}");
    assert!(router.requests().is_empty());
    assert_eq!(bridge.close(Duration::from_secs(5)), Some(0));
}
