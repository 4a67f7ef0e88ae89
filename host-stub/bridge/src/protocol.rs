//! The bridge protocol's types, version [`PROTOCOL`]: the requests a host sends, the answers
//! and lines the bridge writes, the limits, and the exit codes of a one-shot run. The protocol
//! is described once, in `docs/bridge-protocol.md`; these types are that description in Rust,
//! shared by the resident ([`crate::serve`]) and one-shot ([`crate::cli`]) modes.

use std::fmt;

use openclaw_provider_abi::Secret;
use provider_host::{
    event_lines::{EmbeddingAnswer, ErrorLine, EventLine, UsageAnswer},
    model_row::ModelRow,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, value::RawValue};

/// The protocol version this bridge speaks.
pub const PROTOCOL: u32 = 2;

/// The most bytes of one message from the host (a chat request with images is the largest).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// The most bytes of one line the bridge writes; an answer that would be longer fails its own
/// request (`answer_too_large`).
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// The most requests in flight at once.
pub const MAX_IN_FLIGHT: usize = 1024;

/// The most bytes of request messages in flight at once: a request costs a few times its size
/// while it runs, and this keeps the worst case within a few hundred MiB.
pub const MAX_IN_FLIGHT_BYTES: usize = 256 * 1024 * 1024;

/// How a one-shot run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Done = 0,
    /// The provider failed the request.
    Failed = 1,
    /// A bad command line or request.
    Usage = 2,
    /// The plugin is missing or was refused.
    PluginUnavailable = 3,
    /// No credential.
    NoCredential = 4,
    /// SIGINT, SIGTERM or SIGHUP.
    Interrupted = 130,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit as u8)
    }
}

/// A message as it arrives: the keys any operation may use, each checked when the message
/// becomes a [`Request`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub rid: u64,
    pub op: Op,
    #[serde(default)]
    credential: Option<String>,
    #[serde(default)]
    settings: Option<Settings>,
    #[serde(default)]
    request: Option<Box<RawValue>>,
    #[serde(default)]
    mode: Option<CatalogMode>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    max_body_bytes: Option<u64>,
    #[serde(default, rename = "ref")]
    reference: Option<String>,
    #[serde(default)]
    config: Option<Box<RawValue>>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    blob_dir: Option<String>,
    #[serde(default)]
    audio: Option<AudioFile>,
}

/// A recording the host wrote to a file for `transcribe`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioFile {
    /// An absolute path to a regular file of at most `MAX_BLOB_BYTES`.
    pub path: String,
    /// Its media type as the host knows it; may be empty.
    #[serde(default)]
    pub media_type: String,
}

/// The operations.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Op {
    Info,
    Catalog,
    Resolve,
    Onboarding,
    Prepare,
    Chat,
    Embed,
    Image,
    Transcribe,
    Speak,
    Usage,
    Cancel,
}

/// What the host's configuration says about the provider, as the host has it: in OpenClaw's
/// terms `models.providers.<id>` and `plugins.entries.<id>.config`. The host library shapes
/// them (`provider_host::provider_settings`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub provider: Option<Value>,
    #[serde(default)]
    pub plugin: Option<Value>,
}

/// How much of the catalog to fetch.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "camelCase")]
pub enum CatalogMode {
    /// The live list or an error.
    #[default]
    Strict,
    /// The live list, else the built-in one with the reason.
    Advisory,
    /// The built-in list, no network.
    Static,
}

/// One request, checked.
#[derive(Debug)]
pub enum Request {
    Info,
    Catalog {
        credential: Option<Secret>,
        settings: Settings,
        mode: CatalogMode,
        timeout_ms: u64,
        max_body_bytes: u64,
    },
    Resolve {
        reference: String,
        settings: Settings,
    },
    Onboarding {
        /// The host's configuration as JSON text (empty: none).
        config: String,
        method: Option<String>,
        model: Option<String>,
    },
    Prepare {
        settings: Settings,
    },
    Chat {
        credential: Option<Secret>,
        settings: Settings,
        /// The chat request document, as JSON text.
        request: Box<RawValue>,
    },
    Embed {
        credential: Option<Secret>,
        settings: Settings,
        /// The embedding request document, as JSON text.
        request: Box<RawValue>,
    },
    /// Images from a prompt, written as files into `blob_dir`.
    Image {
        credential: Option<Secret>,
        settings: Settings,
        /// The image request document, as JSON text.
        request: Box<RawValue>,
        blob_dir: String,
    },
    /// Speech to text from the recording in a file.
    Transcribe {
        credential: Option<Secret>,
        settings: Settings,
        /// The transcription request document, as JSON text.
        request: Box<RawValue>,
        audio: AudioFile,
    },
    /// Text to speech, the audio written as a file into `blob_dir`.
    Speak {
        credential: Option<Secret>,
        settings: Settings,
        /// The speech request document, as JSON text.
        request: Box<RawValue>,
        blob_dir: String,
    },
    /// The account's spend this month.
    Usage {
        credential: Option<Secret>,
        settings: Settings,
    },
    /// Stops the request with the envelope's `rid`.
    Cancel,
}

/// What a request that produces media keeps aside for its answer while it runs, counted against
/// the bytes in flight: images or audio of a few megabytes each, at worst.
pub const MEDIA_ANSWER_RESERVE: usize = 32 * 1024 * 1024;

impl Request {
    /// The bytes the request will hold beyond its message while it runs: the recording it
    /// reads, or the media it produces.
    pub fn held_beyond_message(&self) -> usize {
        match self {
            Self::Transcribe { audio, .. } => std::fs::metadata(&audio.path)
                .map(|meta| usize::try_from(meta.len()).unwrap_or(usize::MAX))
                .unwrap_or(0)
                .min(openclaw_provider_abi::MAX_BLOB_BYTES),
            Self::Image { .. } | Self::Speak { .. } => MEDIA_ANSWER_RESERVE,
            _ => 0,
        }
    }
}

impl TryFrom<Envelope> for Request {
    type Error = String;

    fn try_from(envelope: Envelope) -> Result<Self, String> {
        let credential = envelope.credential.as_deref().and_then(Secret::new);
        let settings = envelope.settings.unwrap_or_default();
        Ok(match envelope.op {
            Op::Info => Self::Info,
            Op::Catalog => Self::Catalog {
                credential,
                settings,
                mode: envelope.mode.unwrap_or_default(),
                timeout_ms: envelope.timeout_ms.unwrap_or(0),
                max_body_bytes: envelope.max_body_bytes.unwrap_or(0),
            },
            Op::Resolve => Self::Resolve {
                reference: envelope.reference.ok_or("resolve needs a \"ref\"")?,
                settings,
            },
            Op::Onboarding => Self::Onboarding {
                config: envelope
                    .config
                    .map(|config| config.get().to_owned())
                    .unwrap_or_default(),
                method: envelope.method,
                model: envelope.model,
            },
            Op::Prepare => Self::Prepare { settings },
            Op::Chat => Self::Chat {
                credential,
                settings,
                request: envelope.request.ok_or("chat needs a \"request\"")?,
            },
            Op::Embed => Self::Embed {
                credential,
                settings,
                request: envelope.request.ok_or("embed needs a \"request\"")?,
            },
            Op::Image => Self::Image {
                credential,
                settings,
                request: envelope.request.ok_or("image needs a \"request\"")?,
                blob_dir: envelope.blob_dir.ok_or("image needs a \"blobDir\"")?,
            },
            Op::Transcribe => Self::Transcribe {
                credential,
                settings,
                request: envelope.request.ok_or("transcribe needs a \"request\"")?,
                audio: envelope.audio.ok_or("transcribe needs an \"audio\" file")?,
            },
            Op::Speak => Self::Speak {
                credential,
                settings,
                request: envelope.request.ok_or("speak needs a \"request\"")?,
                blob_dir: envelope.blob_dir.ok_or("speak needs a \"blobDir\"")?,
            },
            Op::Usage => Self::Usage {
                credential,
                settings,
            },
            Op::Cancel => Self::Cancel,
        })
    }
}

/// The bridge's first line.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hello<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub protocol: u32,
    pub bridge: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub serves: Vec<&'static str>,
    pub pid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<HelloError<'a>>,
}

/// Why a bridge will not serve.
#[derive(Debug, Serialize)]
pub struct HelloError<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

impl<'a> Hello<'a> {
    pub fn new(provider: Option<&'a str>, plugin_version: Option<&'a str>) -> Self {
        Self {
            kind: "hello",
            protocol: PROTOCOL,
            bridge: env!("CARGO_PKG_VERSION"),
            provider,
            plugin_version,
            serves: Vec::new(),
            pid: std::process::id(),
            error: None,
        }
    }
}

/// A terminal line: the request is done, with its answer.
#[derive(Debug, Serialize)]
pub struct Done<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub result: Answer<'a>,
}

impl<'a> Done<'a> {
    pub fn new(result: Answer<'a>) -> Self {
        Self {
            kind: "done",
            result,
        }
    }
}

/// The answer of an operation: the `result` of its `done` line.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer<'a> {
    Info(PluginDescription),
    Catalog(CatalogAnswer<'a>),
    Resolve(ResolvedAnswer<'a>),
    Onboarding(OnboardingAnswer),
    Prepared(Empty),
    Embed(EmbeddingAnswer),
    Image(ImageAnswer),
    Transcript(TranscriptAnswer),
    Speech(SpeechAnswer),
    Usage(UsageAnswer),
}

/// A payload the bridge wrote to a file for the host, which reads and removes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WrittenBlob {
    pub path: String,
    pub media_type: String,
    pub bytes: usize,
}

/// `image`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageAnswer {
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    pub images: Vec<WrittenImage>,
    pub notices: Vec<String>,
}

/// One image of an `image` answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WrittenImage {
    #[serde(flatten)]
    pub file: WrittenBlob,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
}

/// `transcribe`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptAnswer {
    pub text: String,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub segments: Vec<openclaw_provider_abi::documents::TranscriptSegment>,
    pub notices: Vec<String>,
}

/// `speak`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpeechAnswer {
    pub audio: WrittenBlob,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    pub notices: Vec<String>,
}

/// `{}`.
#[derive(Debug, Serialize)]
pub struct Empty {}

/// `info`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginDescription {
    pub id: String,
    pub name: String,
    pub version: String,
    pub interface: String,
    pub serves: Vec<&'static str>,
    pub api: String,
    pub base_url: String,
    pub default_model: String,
    pub library: String,
    pub auth_methods: Vec<AuthMethodDescription>,
}

/// An auth method, as `info` describes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthMethodDescription {
    pub provider_id: String,
    pub method_id: String,
    pub choice_id: String,
    pub label: String,
    pub hint: String,
    pub cli_flag: String,
    pub option_key: String,
    pub env_vars: Vec<String>,
    pub prompt_message: String,
    pub token_url: String,
    pub required_permission: String,
}

/// `catalog`'s answer: the provider block in OpenClaw's `models.providers.<id>` shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogAnswer<'a> {
    /// `live` or `built-in`.
    pub source: &'static str,
    pub fallback_reason: &'a str,
    pub provider: CatalogProvider<'a>,
}

/// The provider block of a catalog answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogProvider<'a> {
    pub base_url: String,
    pub api: &'a str,
    pub models: Vec<ModelRow<'a>>,
}

/// `resolve`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedAnswer<'a> {
    #[serde(rename = "ref")]
    pub reference: &'a str,
    pub provider: &'a str,
    pub wire_model_id: &'a str,
    pub base_model_id: &'a str,
    pub policy: &'a str,
    pub policy_provider: &'a str,
    pub known: bool,
    pub model: ModelRow<'a>,
    pub warnings: Vec<&'a str>,
    /// Where calls with the request's settings go.
    pub base_url: String,
}

/// `onboarding`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingAnswer {
    pub profile_id: String,
    pub provider_id: String,
    pub config_patch: Value,
    pub default_model: String,
    pub notes: Vec<NoteLine>,
}

/// A note onboarding shows.
#[derive(Debug, Serialize)]
pub struct NoteLine {
    pub title: String,
    pub message: String,
}

/// A line about a message the bridge did not take; it never ends a request in flight.
#[derive(Debug, Serialize)]
pub struct Rejected<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rid: Option<u64>,
    pub code: &'a str,
    pub message: &'a str,
}

impl<'a> Rejected<'a> {
    pub fn new(rid: Option<u64>, code: &'a str, message: &'a str) -> Self {
        Self {
            kind: "rejected",
            rid,
            code,
            message,
        }
    }
}

/// Why a request stopped: the `error` line it ends with and, for a one-shot run, its exit
/// code.
#[derive(Debug)]
pub struct Stop {
    pub exit: Exit,
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
    pub retry_after_ms: Option<u64>,
    /// Boxed: a JSON object is large, and a `Stop` travels in every `Result`.
    pub details: Option<Box<Value>>,
}

impl Stop {
    pub fn new(exit: Exit, code: &str, message: impl Into<String>) -> Self {
        Self {
            exit,
            code: code.to_owned(),
            message: message.into(),
            http_status: None,
            retry_after_ms: None,
            details: None,
        }
    }

    /// A malformed request.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, "invalid_request", message)
    }

    /// The `error` line.
    pub fn line(&self) -> EventLine<'_> {
        EventLine::Error(ErrorLine {
            code: self.code.as_str().into(),
            message: self.message.as_str().into(),
            http_status: self.http_status,
            retry_after_ms: self.retry_after_ms,
            details: self.details.as_deref().cloned(),
            attempts: None,
        })
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<openclaw_provider_abi::ProviderError> for Stop {
    fn from(error: openclaw_provider_abi::ProviderError) -> Self {
        let line = ErrorLine::from_error(&error);
        let code = error.code.normalized();
        Self {
            exit: if code == openclaw_provider_abi::ErrorCode::CANCELLED {
                Exit::Interrupted
            } else {
                Exit::Failed
            },
            code: code.to_string(),
            message: line.message.into_owned(),
            http_status: line.http_status,
            retry_after_ms: line.retry_after_ms,
            details: line.details.map(Box::new),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_become_requests_or_say_what_is_missing() {
        let envelope: Envelope = serde_json::from_str(
            r#"{"rid":3,"op":"chat","credential":" hf_x ","request":{"model":"m"},"extra":1}"#,
        )
        .unwrap();
        match Request::try_from(envelope).unwrap() {
            Request::Chat {
                credential,
                request,
                ..
            } => {
                assert_eq!(request.get(), r#"{"model":"m"}"#);
                assert_eq!(credential.unwrap().expose(), "hf_x");
            }
            other => panic!("{other:?}"),
        }
        let envelope: Envelope = serde_json::from_str(r#"{"rid":4,"op":"resolve"}"#).unwrap();
        assert_eq!(
            Request::try_from(envelope).unwrap_err(),
            "resolve needs a \"ref\""
        );
        assert!(serde_json::from_str::<Envelope>(r#"{"op":"chat"}"#).is_err());
        let unknown = serde_json::from_str::<Envelope>(r#"{"rid":1,"op":"dance"}"#).unwrap_err();
        assert!(
            unknown.to_string().contains("unknown variant `dance`"),
            "{unknown}"
        );
    }

    #[test]
    fn lines_are_camel_case() {
        let stop = Stop {
            http_status: Some(429),
            retry_after_ms: Some(5),
            ..Stop::new(Exit::Failed, "rate_limited", "slow down")
        };
        let line = serde_json::to_value(stop.line()).unwrap();
        assert_eq!(line["type"], "error");
        assert_eq!(line["httpStatus"], 429);
        assert_eq!(line["retryAfterMs"], 5);
        let done = serde_json::to_value(Done::new(Answer::Prepared(Empty {}))).unwrap();
        assert_eq!(done, serde_json::json!({"type": "done", "result": {}}));
    }
}
