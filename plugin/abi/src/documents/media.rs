//! The documents of the media capabilities (image generation, speech recognition, speech
//! synthesis). Their binary payloads travel beside them as [`crate::Blob`]s, referred to here
//! by index, never inside the JSON.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the host sends to `generate_image`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ImageRequest {
    /// A model ref; an upstream may be pinned (`huggingface/black-forest-labs/FLUX.1-dev:fal-ai`).
    pub model: String,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_prompt: Option<String>,
    /// Pixels; both or neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// `16:9`, `1:1` …, for upstreams that take a ratio instead of a size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<String>,
    /// How many images (default one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// `png`, `jpeg` or `webp`, where the upstream lets one choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<String>,
    /// Other fields, passed to upstreams that take them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The document of `generate_image`'s answer; its blobs are the images.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ImageResult {
    /// The model id the plugin asked the upstream for.
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    /// One entry per image, in order.
    pub images: Vec<GeneratedImage>,
    /// Things the caller should know (a parameter the upstream does not take was left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

/// One generated image.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct GeneratedImage {
    /// Its index among the answer's blobs.
    pub blob: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// The prompt as the upstream rewrote it, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
}

/// What the host sends to `transcribe_audio` beside the recording.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct TranscriptionRequest {
    pub model: String,
    /// The spoken language (ISO 639-1), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Text that guides the transcription (names, spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The recording's file name, for upstreams that want one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What `transcribe_audio` answers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct TranscriptionResult {
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    /// The whole text.
    pub text: String,
    /// Timed pieces, when the upstream gave them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<TranscriptSegment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

/// A timed piece of a transcript, in seconds from the start.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct TranscriptSegment {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// What the host sends to `synthesize_speech`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SpeechRequest {
    pub model: String,
    pub text: String,
    /// A voice the upstream knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// `mp3`, `wav`, `opus` …, where the upstream lets one choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The document of `synthesize_speech`'s answer; its one blob is the audio.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SpeechResult {
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}
