//! Text to speech (capability `SPEECH_SYNTHESIS`), experimental: the router serves few
//! text-to-speech models. The upstreams and their shapes:
//!
//! | upstream | request | answer |
//! |---|---|---|
//! | hf-inference | `POST /hf-inference/models/<id>`, `{"inputs": text}` | the audio's bytes |
//! | together | `POST /together/v1/audio/speech`, `{"model", "input", "voice"}` | the audio's bytes |
//! | deepinfra | `POST /deepinfra/v1/openai/audio/speech`, the same | the audio's bytes |
//! | fal-ai | `POST /fal-ai/<id>`, `{"text"}` | `{"audio": {"url"}}`, fetched as [`super::download`] allows |
//!
//! The answer is checked to be audio by its bytes (or, for raw PCM, which has no signature, by
//! its declared type and not looking like a document).

use std::time::Duration;

use openclaw_provider_abi::{
    Blob, CallContext, Cancellation, ErrorCode, MAX_BLOB_BYTES, MediaAnswer, ProviderError,
    documents::{SpeechRequest, SpeechResult},
};
use serde_json::{Map, Value, json};

use super::{Answer, Job, download, sniff};
use crate::{http, mapping, runtime};

/// The task, as the Hub and messages name it.
pub const TASK: mapping::Task = mapping::Task {
    hub: "text-to-speech",
    serving: "speech synthesis",
    list_flag: "text-to-speech",
    preference_setting: "speech.upstreams",
};

/// How long synthesis may take unless configured.
const DEADLINE: Duration = Duration::from_secs(120);
/// The longest text spoken in one request.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// The upstreams the plugin synthesises speech through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    HfInference,
    /// OpenAI's speech route at this path.
    OpenAi(&'static str),
    FalAi,
}

const ROUTES: [(&str, Route); 4] = [
    ("hf-inference", Route::HfInference),
    ("together", Route::OpenAi("together/v1/audio/speech")),
    (
        "deepinfra",
        Route::OpenAi("deepinfra/v1/openai/audio/speech"),
    ),
    ("fal-ai", Route::FalAi),
];

/// The route of upstream `name`, if the plugin synthesises speech through it.
pub fn route(name: &str) -> Option<Route> {
    super::route_in(&ROUTES, name)
}

/// Every upstream the plugin synthesises speech through, for messages.
pub fn names() -> String {
    super::names_in(&ROUTES)
}

/// Answers `synthesize_speech`.
pub fn synthesize(
    context: &CallContext,
    request_json: &str,
    cancel: &Cancellation,
) -> Result<MediaAnswer, ProviderError> {
    let request: SpeechRequest = super::parse_request(request_json, "a speech request")?;
    if request.text.trim().is_empty() {
        return Err(ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            "there is no text to speak",
        ));
    }
    if request.text.len() > MAX_TEXT_BYTES {
        return Err(ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!(
                "the text is {} bytes; at most {MAX_TEXT_BYTES} are spoken in one request",
                request.text.len()
            ),
        ));
    }
    let (context, token) = http::call_token(context, "synthesising speech")?;
    let job = Job::new(&context, token, TASK, "speech", DEADLINE)?;
    let (result, blob) = runtime::block_on_cancellable(run(&job, request), cancel)??;
    Ok(MediaAnswer {
        json: super::to_json(&result)?.into(),
        blobs: vec![blob].into(),
    })
}

async fn run(job: &Job, request: SpeechRequest) -> Result<(SpeechResult, Blob), ProviderError> {
    let mut notices = Vec::new();
    let (target, chosen) = job
        .choose(&request.model, route, &names(), &mut notices)
        .await?;
    let upstream = chosen.upstream.as_str();
    let about = (target.model.as_str(), upstream);
    let mut voice = request.voice.clone();
    let (path, body): (Vec<&str>, Value) = match chosen.route {
        Route::HfInference => {
            for (given, what) in [
                (voice.take().is_some(), "a voice"),
                (request.format.is_some(), "an audio format"),
            ] {
                if given {
                    notices.push(format!("{upstream} does not take {what}; it was left out"));
                }
            }
            (
                vec!["hf-inference", "models", &chosen.provider_id],
                json!({"inputs": request.text, "parameters": request.extra}),
            )
        }
        Route::OpenAi(path) => {
            let mut body = request.extra.clone();
            body.insert("model".into(), chosen.provider_id.clone().into());
            body.insert("input".into(), request.text.clone().into());
            if voice.is_none() && chosen.provider_id.to_lowercase().contains("kokoro") {
                // Kokoro has no default voice of its own; the HF clients use this one.
                voice = Some("af_alloy".into());
            }
            if let Some(voice) = &voice {
                body.insert("voice".into(), voice.clone().into());
            }
            if let Some(format) = &request.format {
                body.insert("response_format".into(), format.clone().into());
            }
            (vec![path], Value::Object(body))
        }
        Route::FalAi => {
            let mut body: Map<String, Value> = request.extra.clone();
            body.insert("text".into(), request.text.clone().into());
            if let Some(voice) = &voice {
                body.insert("voice".into(), voice.clone().into());
            }
            if request.format.is_some() {
                notices.push(format!(
                    "{upstream} does not take an audio format; it was left out"
                ));
            }
            (vec!["fal-ai", &chosen.provider_id], Value::Object(body))
        }
    };
    let url = job.url(&path)?;
    let answer = job
        .post_json(
            about,
            &url,
            &body,
            &[("Accept", "audio/*, application/json")],
            MAX_BLOB_BYTES as u64,
            &mut notices,
        )
        .await?;
    let (media_type, bytes) = if answer.content_type().starts_with("application/json") {
        let document = answer.json("speech")?;
        let location = document
            .get("audio")
            .and_then(|audio| audio.get("url").or(Some(audio)))
            .and_then(Value::as_str)
            .or_else(|| document.get("output").and_then(Value::as_str))
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorCode::INVALID_RESPONSE,
                    format!("{upstream} answered no audio"),
                )
            })?;
        let bytes = download::fetch(job, location, MAX_BLOB_BYTES as u64).await?;
        (checked_audio(&bytes, "", upstream)?, bytes)
    } else {
        let media_type = checked_audio(&answer.body, &answer.content_type(), upstream)?;
        let Answer { body, .. } = answer;
        (media_type, body)
    };
    let result = SpeechResult {
        model: chosen.provider_id.clone(),
        serving_provider: Some(chosen.upstream.clone()),
        voice,
        notices,
    };
    Ok((result, Blob::new(media_type, bytes)))
}

/// The media type of an audio answer: read from its bytes, or, for signature-less raw audio,
/// the declared `audio/*` type of a body that does not look like a document.
fn checked_audio(bytes: &[u8], declared: &str, upstream: &str) -> Result<String, ProviderError> {
    if let Some(found) = sniff::audio(bytes) {
        return Ok(found.to_owned());
    }
    let looks_like_a_document = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'[' | b'<'));
    if declared.starts_with("audio/") && !bytes.is_empty() && !looks_like_a_document {
        return Ok(declared.to_owned());
    }
    Err(ProviderError::new(
        ErrorCode::INVALID_RESPONSE,
        format!(
            "{upstream} answered {} bytes that are not audio",
            bytes.len()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_told_by_its_bytes_or_a_plausible_declaration() {
        assert_eq!(
            checked_audio(b"fLaC\0\0\0\x22", "", "x").unwrap(),
            "audio/x-flac"
        );
        assert_eq!(
            checked_audio(&[1, 2, 3, 4], "audio/pcm", "x").unwrap(),
            "audio/pcm"
        );
        assert!(checked_audio(b"<html>busy</html>", "audio/mpeg", "x").is_err());
        assert!(checked_audio(b"{\"error\":1}", "audio/wav", "x").is_err());
        assert!(checked_audio(b"", "audio/wav", "x").is_err());
        assert!(checked_audio(&[1, 2, 3], "text/plain", "x").is_err());
    }
}
