//! Speech to text (capability `SPEECH_RECOGNITION`) through the upstreams the router offers for
//! automatic speech recognition:
//!
//! | upstream | request | answer |
//! |---|---|---|
//! | hf-inference | `POST /hf-inference/models/<id>`, the recording as the body | `{"text", "chunks"?}` |
//! | together | `POST /together/v1/audio/transcriptions`, OpenAI's multipart form | `{"text", "segments"?}` |
//! | deepinfra | `POST /deepinfra/v1/openai/audio/transcriptions`, the same form | `{"text", "segments"?}` |
//! | fal-ai | `POST /fal-ai/<id>`, `{"audio_url": "data:<type>;base64,…"}` | `{"text", "chunks"?}` |
//!
//! The recording's type is read from its bytes (the host's label is a fallback); it is refused
//! before upload when larger than [`MAX_AUDIO_BYTES`], or, for fal, of a type fal cannot take.
//! The recording is copied once into a shared buffer that every attempt sends again.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use openclaw_provider_abi::{
    BlobRef, CallContext, Cancellation, ErrorCode, ProviderError,
    documents::{TranscriptSegment, TranscriptionRequest, TranscriptionResult},
};
use reqwest::{
    Method,
    multipart::{Form, Part},
};
use serde_json::{Value, json};

use super::{Job, sniff, text_field};
use crate::{http, mapping, outside_text::quote, runtime};

/// The task, as the Hub and messages name it.
pub const TASK: mapping::Task = mapping::Task {
    hub: "automatic-speech-recognition",
    serving: "speech recognition",
    list_flag: "speech-recognition",
    preference_setting: "transcription.upstreams",
};

/// How long a transcription may take unless configured.
const DEADLINE: Duration = Duration::from_secs(120);
/// The largest recording sent: the OpenAI-shaped upstreams take 25 MB a request.
pub const MAX_AUDIO_BYTES: usize = 25 * 1024 * 1024;
/// The most bytes of a transcript answer read.
const MAX_ANSWER_BYTES: u64 = 8 * 1024 * 1024;
/// The most timed pieces kept.
const MAX_SEGMENTS: usize = 10_000;

/// The upstreams the plugin transcribes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    HfInference,
    /// OpenAI's multipart form at this path.
    OpenAi(&'static str),
    FalAi,
}

const ROUTES: [(&str, Route); 4] = [
    ("hf-inference", Route::HfInference),
    ("fal-ai", Route::FalAi),
    (
        "together",
        Route::OpenAi("together/v1/audio/transcriptions"),
    ),
    (
        "deepinfra",
        Route::OpenAi("deepinfra/v1/openai/audio/transcriptions"),
    ),
];

/// The route of upstream `name`, if the plugin transcribes through it.
pub fn route(name: &str) -> Option<Route> {
    super::route_in(&ROUTES, name)
}

/// Every upstream the plugin transcribes through, for messages.
pub fn names() -> String {
    super::names_in(&ROUTES)
}

/// Answers `transcribe_audio`.
pub fn transcribe(
    context: &CallContext,
    request_json: &str,
    audio: BlobRef<'_>,
    cancel: &Cancellation,
) -> Result<String, ProviderError> {
    let request: TranscriptionRequest =
        super::parse_request(request_json, "a transcription request")?;
    let size = audio.bytes.len();
    if size == 0 {
        return Err(ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            "the recording is empty",
        ));
    }
    if size > MAX_AUDIO_BYTES {
        return Err(ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!(
                "the recording is {size} bytes; speech recognition takes at most \
                 {MAX_AUDIO_BYTES} bytes (25 MiB) in one request. Shorten or compress it."
            ),
        ));
    }
    let bytes = audio.bytes.as_slice();
    let media_type = sniff::audio(bytes)
        .map(str::to_owned)
        .or_else(|| {
            let given = audio.media_type.as_str().trim();
            (given.starts_with("audio/") || given.starts_with("video/"))
                .then(|| given.to_ascii_lowercase())
        })
        .ok_or_else(|| {
            ProviderError::new(
                ErrorCode::INVALID_REQUEST,
                "the recording is not audio the plugin recognises (WAV, FLAC, MP3, Ogg, WebM, \
                 M4A)",
            )
        })?;
    let (context, token) = http::call_token(context, "transcribing a recording")?;
    let job = Job::new(&context, token, TASK, "transcription", DEADLINE)?;
    let recording = Recording {
        bytes: Bytes::copy_from_slice(bytes),
        media_type,
    };
    let result = runtime::block_on_cancellable(run(&job, request, &recording), cancel)??;
    super::to_json(&result)
}

/// The recording, shared by every attempt.
struct Recording {
    bytes: Bytes,
    media_type: String,
}

async fn run(
    job: &Job,
    request: TranscriptionRequest,
    recording: &Recording,
) -> Result<TranscriptionResult, ProviderError> {
    let mut notices = Vec::new();
    let (target, chosen) = job
        .choose(&request.model, route, &names(), &mut notices)
        .await?;
    let upstream = chosen.upstream.as_str();
    let about = (target.model.as_str(), upstream);
    let answer = match chosen.route {
        Route::HfInference => {
            for (given, what) in [
                (request.language.is_some(), "a language"),
                (request.prompt.is_some(), "a prompt"),
            ] {
                if given {
                    notices.push(format!("{upstream} does not take {what}; it was left out"));
                }
            }
            let url = job.url(&["hf-inference", "models", &chosen.provider_id])?;
            job.exchange(about, MAX_ANSWER_BYTES, &mut notices, || {
                let request = job
                    .request(Method::POST, &url)?
                    .header(reqwest::header::CONTENT_TYPE, &recording.media_type)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .body(recording.bytes.clone());
                Ok((url.clone(), request))
            })
            .await?
        }
        Route::OpenAi(path) => {
            let url = job.url(&[path])?;
            let file_name = request
                .file_name
                .as_deref()
                .map(|name| name.rsplit(['/', '\\']).next().unwrap_or(name))
                .filter(|name| !name.is_empty() && name.len() <= 128 && name.is_ascii())
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    format!(
                        "audio.{}",
                        openclaw_provider_abi::file_extension(&recording.media_type)
                    )
                });
            job.exchange(about, MAX_ANSWER_BYTES, &mut notices, || {
                let file = Part::stream_with_length(
                    reqwest::Body::from(recording.bytes.clone()),
                    recording.bytes.len() as u64,
                )
                .file_name(file_name.clone())
                .mime_str(&recording.media_type)
                .map_err(|_| {
                    ProviderError::new(
                        ErrorCode::INVALID_REQUEST,
                        "the recording's media type cannot be sent",
                    )
                })?;
                let mut form = Form::new()
                    .part("file", file)
                    .text("model", chosen.provider_id.clone())
                    .text("response_format", "json");
                if let Some(language) = &request.language {
                    form = form.text("language", language.clone());
                }
                if let Some(prompt) = &request.prompt {
                    form = form.text("prompt", prompt.clone());
                }
                let request = job
                    .request(Method::POST, &url)?
                    .header(reqwest::header::ACCEPT, "application/json")
                    .multipart(form);
                Ok((url.clone(), request))
            })
            .await?
        }
        Route::FalAi => {
            let label = fal_media_type(&recording.media_type).ok_or_else(|| {
                ProviderError::new(
                    ErrorCode::INVALID_REQUEST,
                    format!(
                        "fal-ai takes MP3, WAV or WebM recordings; this one is {}. Convert it, \
                         or pin another upstream (<model>:hf-inference).",
                        quote(&recording.media_type, None)
                    ),
                )
            })?;
            let mut body = json!({
                "audio_url": format!(
                    "data:{label};base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(&recording.bytes)
                ),
            });
            if let Some(language) = &request.language {
                body["language"] = language.clone().into();
            }
            if request.prompt.is_some() {
                notices.push(format!(
                    "{upstream} does not take a prompt; it was left out"
                ));
            }
            let url = job.url(&["fal-ai", &chosen.provider_id])?;
            job.post_json(about, &url, &body, &[], MAX_ANSWER_BYTES, &mut notices)
                .await?
        }
    };
    let document = answer.json("a transcript")?;
    let mut result = read_transcript(&document).ok_or_else(|| {
        ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!("{upstream} answered no transcript text"),
        )
    })?;
    result.model = chosen.provider_id.clone();
    result.serving_provider = Some(chosen.upstream.clone());
    result.notices = notices;
    Ok(result)
}

/// The labels fal's data URLs take for a recording's type, as the HF clients map them.
fn fal_media_type(media_type: &str) -> Option<&'static str> {
    match media_type {
        "audio/mpeg" | "audio/mp3" => Some("audio/mpeg"),
        "audio/wav" | "audio/x-wav" | "audio/wave" => Some("audio/x-wav"),
        "audio/webm" | "video/webm" => Some("video/webm"),
        _ => None,
    }
}

/// A transcript in any of the upstreams' shapes: `text` (or `output`), with `chunks`
/// (`{"timestamp": [start, end], "text"}`) or `segments` (`{"start", "end", "text"}`).
pub fn read_transcript(document: &Value) -> Option<TranscriptionResult> {
    const MAX_TEXT: usize = 4 * 1024 * 1024;
    let text = text_field(document, "text", MAX_TEXT)
        .or_else(|| text_field(document, "output", MAX_TEXT))?;
    let seconds = |value: Option<&Value>| {
        value
            .and_then(Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 0.0)
    };
    let segments = ["chunks", "segments"]
        .iter()
        .find_map(|key| document.get(*key).and_then(Value::as_array))
        .into_iter()
        .flatten()
        .take(MAX_SEGMENTS)
        .filter_map(|piece| {
            let (start, end) = match piece.get("timestamp").and_then(Value::as_array) {
                Some(pair) => (seconds(pair.first()), seconds(pair.get(1))),
                None => (seconds(piece.get("start")), seconds(piece.get("end"))),
            };
            let start = start?;
            Some(TranscriptSegment {
                start,
                end: end.unwrap_or(start).max(start),
                text: text_field(piece, "text", 64 * 1024)?.trim().to_owned(),
            })
        })
        .collect();
    let language = text_field(document, "language", 32).or_else(|| {
        document
            .get("inferred_languages")
            .and_then(Value::as_array)
            .and_then(|languages| languages.first())
            .and_then(Value::as_str)
            .map(|language| language.chars().take(32).collect())
    });
    Some(TranscriptionResult {
        text: text.trim().to_owned(),
        segments,
        language,
        ..TranscriptionResult::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_read_in_every_shape() {
        let fal = json!({"text": " hello world ", "chunks": [
            {"timestamp": [0.0, 1.5], "text": " hello"},
            {"timestamp": [1.5, null], "text": " world"},
            {"timestamp": ["x", 1], "text": "bad"}],
            "inferred_languages": ["en"]});
        let read = read_transcript(&fal).unwrap();
        assert_eq!(read.text, "hello world");
        assert_eq!(read.segments.len(), 2);
        assert_eq!(read.segments[1].end, 1.5);
        assert_eq!(read.language.as_deref(), Some("en"));
        let openai = json!({"text": "hi", "segments": [{"id": 0, "start": 0.2, "end": 0.9,
            "text": "hi"}], "language": "english"});
        assert_eq!(read_transcript(&openai).unwrap().segments[0].start, 0.2);
        assert_eq!(
            read_transcript(&json!({"output": "x\u{1b}[2Jy"}))
                .unwrap()
                .text,
            "x[2Jy"
        );
        assert!(read_transcript(&json!({"error": "no"})).is_none());
        assert!(read_transcript(&json!({"text": 5})).is_none());
    }

    #[test]
    fn fal_takes_only_the_types_it_can_map() {
        assert_eq!(fal_media_type("audio/x-wav"), Some("audio/x-wav"));
        assert_eq!(fal_media_type("audio/wav"), Some("audio/x-wav"));
        assert_eq!(fal_media_type("audio/webm"), Some("video/webm"));
        assert_eq!(fal_media_type("audio/ogg"), None);
        assert_eq!(fal_media_type("audio/m4a"), None);
    }
}
