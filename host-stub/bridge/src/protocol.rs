//! The resident bridge's protocol, version [`PROTOCOL`]: JSON lines over stdio.
//!
//! The host starts `openclaw-provider-bridge serve --protocol 1`. The bridge's first line is a
//! hello — `{"type":"hello","protocol":1,"bridge":"0.1.0","provider":"huggingface",
//! "pluginVersion":"0.1.0","pid":1234}` — or, when it speaks another protocol or its plugin was
//! refused, a hello with an `error` (`{"code","message"}`), after which it exits. Then each line
//! the host writes is one message:
//!
//! ```text
//! {"rid":1,"op":"info"}
//! {"rid":2,"op":"catalog","credential":"…","settings":{…},"mode":"strict","timeoutMs":0,"maxBodyBytes":0}
//! {"rid":3,"op":"resolve","ref":"huggingface/org/model:policy"}
//! {"rid":4,"op":"onboarding","config":{…},"method":"api-key","model":"huggingface/org/model"}
//! {"rid":5,"op":"prepare","settings":{…}}
//! {"rid":6,"op":"chat","credential":"…","settings":{…},"request":{…chat request…}}
//! {"rid":6,"op":"cancel"}
//! settings: {"baseUrl":"https://…","providerConfig":{…the provider's non-secret settings…}}
//! ```
//!
//! Requests run concurrently; every line the bridge writes for one carries its request id,
//! `rid` (a key no answer uses for anything else: tool calls and plugin info have `id`s). A chat
//! writes the event lines of `provider_host::event_lines` (`text`, `reasoning`, `tool_call`,
//! `serving_provider`, `notice`) and ends with `done` or `error`; the other operations answer
//! with one line: `info`, `catalog`, `model`, `onboarding`, `prepared`, or `error`. `cancel`
//! stops the request with that `rid` (it then ends with an `error` of code `cancelled`) and gets
//! no answer of its own. The credential travels in the message of the request that needs it —
//! never on the command line or in the bridge's environment, which may serve several profiles.
//! A message that cannot be read gets an `error` line (with its `rid`, if it had one). The bridge
//! exits when its stdin closes.

use serde::{Deserialize, Serialize};
use serde_json::{Value, value::RawValue};

/// The protocol version this bridge speaks.
pub const PROTOCOL: u32 = 1;

/// The most bytes of one message (a chat request with images is the largest).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// One message from the host. Fields an operation does not use are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub rid: u64,
    pub op: String,
    #[serde(default)]
    pub credential: Option<String>,
    #[serde(default)]
    pub settings: Option<Settings>,
    #[serde(default)]
    pub request: Option<Box<RawValue>>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub max_body_bytes: Option<u64>,
    #[serde(default, rename = "ref")]
    pub reference: Option<String>,
    #[serde(default)]
    pub config: Option<Box<RawValue>>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
}

/// A provider's settings as a message carries them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub provider_config: Option<Value>,
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
            pid: std::process::id(),
            error: None,
        }
    }
}
