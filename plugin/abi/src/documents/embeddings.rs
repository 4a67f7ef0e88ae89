//! Embeddings' documents (capability `EMBEDDINGS`): texts in, one vector per text out.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the host sends to `embed`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct EmbeddingRequest {
    /// A model ref in any form the plugin's `resolve_ref` accepts; an upstream may be pinned
    /// as a chat ref pins one (`huggingface/intfloat/e5-large:together`).
    pub model: String,
    /// The texts, in order; the answer has one vector per text, in the same order. None at all
    /// asks only which model and upstream would serve them (the answer has no vectors).
    pub input: Vec<String>,
    /// The length of the vectors wanted, for models that can shorten theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// What the texts are for, for models that embed queries and documents differently:
    /// `query` or `document` (or a word the model knows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_type: Option<String>,
    /// Other fields, passed through to the upstream where it takes them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What `embed` answers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct EmbeddingResult {
    /// The model id the plugin asked the upstream for.
    pub model: String,
    /// The upstream that served the vectors, when the plugin knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    /// One vector per input text, in the request's order, all of the same length.
    pub vectors: Vec<Vec<f32>>,
    /// The vectors' length.
    pub dimensions: u32,
    /// Tokens counted, when the upstream said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<EmbeddingUsage>,
    /// Things the caller should know (an upstream chosen for it, a parameter not sent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

/// Token usage of an embedding request.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmbeddingUsage {
    pub prompt_tokens: u64,
    pub total_tokens: u64,
}
