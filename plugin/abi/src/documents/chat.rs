//! Chat's documents: requests, one-shot results, and the payloads of some
//! [`crate::StreamEvent`]s.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A chat request, as the host sends it to `chat` and `chat_stream`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ChatRequest {
    /// A model ref in any form the plugin's `resolve_ref` accepts
    /// (`huggingface/deepseek-ai/DeepSeek-R1:fastest`, `deepseek-ai/DeepSeek-R1`).
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// OpenAI-style tool definitions, passed through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    /// `"auto"`, `"none"`, `"required"` or `{"type":"function","function":{"name":…}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// `{"type":"json_object"}` or `{"type":"json_schema",…}`, passed through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    /// `none`, `low`, `medium`, `high` …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// The upstream that served this conversation's earlier turns, as their answers named it
    /// (`serving_provider`), for a host that keeps conversations: a plugin that routes may ask
    /// that upstream again, so its prompt cache keeps hitting, as long as the model ref names
    /// no routing of its own — and falls back to the ref's routing when it fails before any
    /// output. Plugins that do not route ignore it. (1.2)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_upstream: Option<String>,
    /// Other OpenAI-compatible fields, passed through unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One message of a conversation.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// Text, or content parts; absent for an assistant turn that only calls tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For `tool` messages: the call this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For `assistant` messages: the tools it called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Other fields, passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Message {
    /// A message with plain text content.
    pub fn text(role: &str, text: impl Into<String>) -> Self {
        Self {
            role: role.to_owned(),
            content: Some(Content::Text(text.into())),
            ..Self::default()
        }
    }
}

/// Message content: a string or a list of parts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

/// A content part: `{"type":"text","text":…}` or `{"type":"image_url","image_url":{"url":…}}`
/// (other types are passed through).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A complete tool call.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: FunctionCall,
}

fn function_kind() -> String {
    "function".to_owned()
}

/// The function a tool call invokes, with its JSON arguments as text.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct FunctionCall {
    pub name: String,
    /// The arguments as JSON text (always present, `"{}"` for none).
    pub arguments: String,
}

/// A piece of a streamed tool call: the payload of a `TOOL_CALL_DELTA` event. Pieces with the same
/// `index` belong to the same call; `id` and `name` come with the first piece, `arguments` is to be
/// appended.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ToolCallDelta {
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub arguments: String,
}

/// Token usage: the payload of a `USAGE` event and part of results.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// Tokens spent reasoning, when the service reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// Prompt tokens served from a cache, when the service reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
}

/// The payload of the final `DONE` event of a stream.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ChatDone {
    /// The model id that was sent on the wire.
    pub model: String,
    /// The upstream that served the request, when the service said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    /// `stop`, `length`, `tool_calls`, `content_filter`, or what the service said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The tool calls assembled from the stream's deltas, in index order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// What the turn cost at the prices of the upstream that served it, when the plugin knows
    /// them; a host then records this rather than a price per model. (1.2)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<TurnCost>,
}

/// What one turn cost, at one upstream's list prices.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct TurnCost {
    /// The upstream whose prices were applied.
    pub upstream: String,
    /// `USD`.
    pub currency: String,
    /// The prompt's tokens (cached ones included: upstreams publish one input price).
    pub input: f64,
    pub output: f64,
    pub total: f64,
}

/// The result of a one-shot `chat`: the same facts a stream delivers, in one piece.
///
/// [`ChatResult::into_done`] gives what a stream's `DONE` event would have said.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ChatResult {
    /// The model id that was sent on the wire.
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_provider: Option<String>,
    /// The visible answer, with any inline reasoning removed.
    pub text: String,
    /// The reasoning, when the model gave any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reasoning: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// As [`ChatDone::cost`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<TurnCost>,
}

impl ChatResult {
    /// The facts a stream's final `DONE` event carries (the text and reasoning went before it).
    pub fn into_done(self) -> ChatDone {
        ChatDone {
            model: self.model,
            serving_provider: self.serving_provider,
            finish_reason: self.finish_reason,
            usage: self.usage,
            tool_calls: self.tool_calls,
            cost: self.cost,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_keep_unknown_fields_and_content_shapes() {
        let json = r#"{"model":"m","messages":[
            {"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:x"}}]},
            {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"c1","content":"42"}
        ],"logprobs":true,"max_tokens":5}"#;
        let request: ChatRequest = serde_json::from_str(json).unwrap();
        assert_eq!(request.max_tokens, Some(5));
        assert_eq!(request.extra.get("logprobs"), Some(&Value::Bool(true)));
        let Some(Content::Parts(parts)) = &request.messages[0].content else {
            panic!("parts expected")
        };
        assert_eq!(parts[1].kind, "image_url");
        let back = serde_json::to_value(&request).unwrap();
        assert_eq!(
            back["messages"][1]["tool_calls"][0]["function"]["name"],
            "f"
        );
        assert_eq!(back["logprobs"], true);
        assert!(back.get("temperature").is_none());
    }
}
