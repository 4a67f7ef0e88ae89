//! One shape for every upstream's answer. The router passes each provider's JSON through, so
//! chunks and responses differ: reasoning arrives as `reasoning_content`, `reasoning`,
//! `reasoning_text` or inline `<think>` tags; usage comes on the last chunk, on every chunk, on a
//! chunk with no choices, or not at all; tool calls arrive as deltas keyed by index. This module
//! turns a stream's chunks (or a one-shot response) into the events and results of the ABI.

use std::borrow::Cow;

use openclaw_provider_abi::{
    ErrorCode, EventKind, ProviderError, StreamEvent,
    documents::{ChatDone, ChatResult, FunctionCall, ToolCall, ToolCallDelta, Usage},
};
use serde_json::Value;

use super::{
    chunk::{self, Choice, ToolCallWire, UsageWire},
    think::{Split, ThinkSplitter, split_all},
};
use crate::errors;

impl UsageWire {
    fn to_usage(self) -> Usage {
        let prompt = self.prompt_tokens.unwrap_or(0);
        let completion = self.completion_tokens.unwrap_or(0);
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: self.total_tokens.unwrap_or(prompt + completion),
            reasoning_tokens: self
                .completion_tokens_details
                .and_then(|d| d.reasoning_tokens),
            cached_tokens: self
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .or(self.cached_tokens),
        }
    }
}

/// An `error` member (in a stream event or a body) as a [`ProviderError`].
pub fn error_event(error: &Value, secret: Option<&str>) -> ProviderError {
    let upstream = errors::from_json(&serde_json::json!({ "error": error }));
    let signal = format!(
        "{} {} {}",
        upstream.kind.as_deref().unwrap_or(""),
        upstream.code.as_deref().unwrap_or(""),
        upstream.message.as_deref().unwrap_or("")
    )
    .to_lowercase();
    let code = if signal.contains("rate") && signal.contains("limit") || signal.contains("429") {
        ErrorCode::RATE_LIMITED
    } else if signal.contains("invalid_request") || signal.contains("validation") {
        ErrorCode::INVALID_REQUEST
    } else {
        ErrorCode::UPSTREAM
    };
    let said = upstream
        .message
        .as_deref()
        .map(|m| errors::quote(m, secret))
        .unwrap_or_else(|| "no detail".into());
    ProviderError::new(
        code,
        format!("the inference service reported an error mid-stream: {said}"),
    )
}

/// Accumulates a stream into events and a final result.
#[derive(Debug)]
pub struct StreamState {
    splitter: ThinkSplitter,
    tool_calls: Vec<ToolCall>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    /// Whether any content (text, reasoning, tool call) came out.
    pub produced_content: bool,
    /// Whether the stream said the answer is complete (`[DONE]` or a finish reason).
    pub finished: bool,
    /// Whether `[DONE]` arrived (nothing more will come).
    pub saw_done: bool,
}

impl Default for StreamState {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamState {
    pub fn new() -> Self {
        Self {
            splitter: ThinkSplitter::new(),
            tool_calls: Vec::new(),
            finish_reason: None,
            usage: None,
            produced_content: false,
            finished: false,
            saw_done: false,
        }
    }

    /// Handles one SSE `data` payload, appending the events it yields.
    pub fn on_data(
        &mut self,
        data: &str,
        secret: Option<&str>,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), ProviderError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.finished = true;
            self.saw_done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let chunk = chunk::parse(data).map_err(|err| {
            ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!(
                    "a stream event is not the chunk it should be ({})",
                    errors::json_failure(&err)
                ),
            )
        })?;
        if let Some(error) = &chunk.error {
            return Err(error_event(error, secret));
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.to_usage());
        }
        let Some(choice) = chunk.choice else {
            return Ok(());
        };
        if let Some(reason) = self.on_choice(choice, out) {
            self.finish_reason = Some(reason);
            self.finished = true;
        }
        Ok(())
    }

    /// Emits a choice's deltas; returns its finish reason.
    fn on_choice(&mut self, choice: Choice<'_>, out: &mut Vec<StreamEvent>) -> Option<String> {
        for reasoning in choice.reasoning.iter().flatten() {
            self.emit_reasoning(reasoning, out);
        }
        if let Some(content) = &choice.content {
            let split = self.splitter.push(content);
            self.emit_split(split, out);
        }
        for call in choice.tool_calls.into_iter().flatten() {
            self.on_tool_call(call, out);
        }
        choice.finish_reason.map(Cow::into_owned)
    }

    fn emit_split(&mut self, split: Split, out: &mut Vec<StreamEvent>) {
        self.emit_reasoning(&split.reasoning, out);
        if !split.text.is_empty() {
            self.produced_content = true;
            out.push(StreamEvent::text(EventKind::TEXT_DELTA, split.text));
        }
    }

    fn emit_reasoning(&mut self, reasoning: &str, out: &mut Vec<StreamEvent>) {
        if !reasoning.is_empty() {
            self.produced_content = true;
            out.push(StreamEvent::text(EventKind::REASONING_DELTA, reasoning));
        }
    }

    fn on_tool_call(&mut self, call: ToolCallWire, out: &mut Vec<StreamEvent>) {
        let index = call.index.unwrap_or(self.tool_calls.len() as u32);
        let (name, arguments) = match call.function {
            Some(function) => (function.name, arguments_text(function.arguments)),
            None => (None, String::new()),
        };
        let slot = index as usize;
        if self.tool_calls.len() <= slot {
            self.tool_calls.resize_with(slot + 1, ToolCall::default);
        }
        let assembled = &mut self.tool_calls[slot];
        if let Some(id) = &call.id
            && !id.is_empty()
        {
            assembled.id = id.clone();
        }
        if let Some(name) = &name
            && !name.is_empty()
        {
            assembled.function.name = name.clone();
        }
        assembled.function.arguments.push_str(&arguments);
        let delta = ToolCallDelta {
            index,
            id: call.id,
            name,
            arguments,
        };
        self.produced_content = true;
        out.push(StreamEvent::json(
            EventKind::TOOL_CALL_DELTA,
            serde_json::to_string(&delta).unwrap_or_default(),
        ));
    }

    /// Ends the stream: flushes held text and returns the final event's payload.
    pub fn finish(
        &mut self,
        model: &str,
        serving: Option<&str>,
        out: &mut Vec<StreamEvent>,
    ) -> ChatDone {
        let rest = self.splitter.finish();
        self.emit_split(rest, out);
        if let Some(usage) = self.usage {
            out.push(StreamEvent::json(
                EventKind::USAGE,
                serde_json::to_string(&usage).unwrap_or_default(),
            ));
        }
        ChatDone {
            model: model.to_owned(),
            serving_provider: serving.map(str::to_owned),
            finish_reason: self.finish_reason.clone(),
            usage: self.usage,
            tool_calls: self.assembled_tool_calls(),
        }
    }

    fn assembled_tool_calls(&self) -> Vec<ToolCall> {
        self.tool_calls
            .iter()
            .filter(|call| !call.id.is_empty() || !call.function.name.is_empty())
            .cloned()
            .map(|mut call| {
                call.kind = "function".into();
                if call.function.arguments.is_empty() {
                    call.function.arguments = "{}".into();
                }
                call
            })
            .collect()
    }
}

/// Tool-call arguments as text: providers send a JSON string (the usual) or, sometimes, the
/// object itself.
fn arguments_text(arguments: Option<Value>) -> String {
    match arguments {
        Some(Value::String(text)) => text,
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Normalises a one-shot response body.
pub fn one_shot(
    body: &[u8],
    model: &str,
    serving: Option<&str>,
    secret: Option<&str>,
) -> Result<ChatResult, ProviderError> {
    let invalid = |why: String| ProviderError::new(ErrorCode::INVALID_RESPONSE, why);
    let text =
        std::str::from_utf8(body).map_err(|_| invalid("the response is not valid UTF-8".into()))?;
    let chunk = chunk::parse(text).map_err(|err| {
        invalid(format!(
            "the response is not what it should be ({})",
            errors::json_failure(&err)
        ))
    })?;
    if let Some(error) = &chunk.error {
        return Err(error_event(error, secret));
    }
    let message = chunk
        .choice
        .ok_or_else(|| invalid("the response has no choices".into()))?;
    let split = split_all(message.content.as_deref().unwrap_or(""));
    let mut reasoning = String::new();
    for part in message.reasoning.iter().flatten() {
        reasoning.push_str(part);
    }
    reasoning.push_str(&split.reasoning);
    let tool_calls = message
        .tool_calls
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(position, call)| {
            let function = call.function;
            ToolCall {
                id: call.id.unwrap_or_else(|| format!("call_{position}")),
                kind: "function".into(),
                function: FunctionCall {
                    name: function
                        .as_ref()
                        .and_then(|f| f.name.clone())
                        .unwrap_or_default(),
                    arguments: match arguments_text(function.and_then(|f| f.arguments)) {
                        text if text.is_empty() => "{}".into(),
                        text => text,
                    },
                },
            }
        })
        .collect();
    Ok(ChatResult {
        model: model.to_owned(),
        serving_provider: serving.map(str::to_owned),
        text: split.text,
        reasoning,
        tool_calls,
        finish_reason: message.finish_reason.map(Cow::into_owned),
        usage: chunk.usage.map(|usage| usage.to_usage()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::sse::Framer;

    /// Found by the `chat_response` fuzz target: the parser's message quoted the body, and the
    /// body held the token.
    #[test]
    fn parse_errors_never_quote_the_body() {
        const SECRET: &str = "hf_FUZZsecretTOKENvalue000";
        let bodies: [&[u8]; 3] = [
            b"\n  \"choicamhf_FUZZsecretTOKENvalue000e\": \"{*A\n",
            b"[\"hf_FUZZsecretTOKENvalue000\"]",
            b"{\"choices\": \"hf_FUZZsecretTOKENvalue000\"}",
        ];
        for body in bodies {
            let error = one_shot(body, "org/m", None, Some(SECRET)).unwrap_err();
            assert!(!error.message.contains("FUZZsecret"), "{}", error.message);
            assert!(error.message.contains("line"), "{}", error.message);
            let mut state = StreamState::new();
            let text = std::str::from_utf8(body).unwrap();
            let error = state
                .on_data(text, Some(SECRET), &mut Vec::new())
                .unwrap_err();
            assert!(!error.message.contains("FUZZsecret"), "{}", error.message);
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/hf-router")
                .join(name),
        )
        .unwrap()
    }

    /// Replays a captured stream through the framer and the normaliser.
    fn replay(name: &str) -> (Vec<StreamEvent>, ChatDone, StreamState) {
        let bytes = fixture(name);
        let mut framer = Framer::new();
        let mut state = StreamState::new();
        let mut events = Vec::new();
        let mut failure = None;
        let mut on_event = |event: crate::chat::sse::Event<'_>| {
            if let Err(err) = state.on_data(event.data, None, &mut events) {
                failure = Some(err);
            }
        };
        framer.feed(&bytes, &mut on_event);
        framer.finish(&mut on_event);
        assert!(failure.is_none(), "{name}: {failure:?}");
        let done = state.finish("m", None, &mut events);
        (events, done, state)
    }

    fn text_of(events: &[StreamEvent], kind: EventKind) -> String {
        events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.text.as_str())
            .collect()
    }

    #[test]
    fn every_captured_stream_yields_text_and_a_finish() {
        for name in [
            "chat.stream.together.sse",
            "chat.stream.fireworks-ai.sse",
            "chat.stream.cerebras.sse",
            "chat.stream.hf-inference.sse",
            "chat.stream.novita.sse",
            "chat.stream.nebius.sse",
            "chat.stream.hyperbolic.sse",
            "chat.stream.sambanova.sse",
        ] {
            let (events, done, state) = replay(name);
            assert!(
                !text_of(&events, EventKind::TEXT_DELTA).is_empty(),
                "{name}"
            );
            assert!(state.finished, "{name}");
            assert!(done.finish_reason.is_some(), "{name}: {done:?}");
        }
    }

    #[test]
    fn usage_is_the_last_one_reported() {
        // novita and hyperbolic send cumulative usage on every chunk; together on the last.
        for name in [
            "chat.stream.novita.sse",
            "chat.stream.hyperbolic.sse",
            "chat.stream.together.sse",
        ] {
            let (events, done, _) = replay(name);
            let usage = done.usage.unwrap_or_else(|| panic!("{name}: no usage"));
            assert!(usage.completion_tokens > 0 && usage.total_tokens >= usage.completion_tokens);
            assert_eq!(
                events.iter().filter(|e| e.kind == EventKind::USAGE).count(),
                1
            );
        }
    }

    #[test]
    fn inline_think_tags_become_reasoning() {
        let (events, _, _) = replay("chat.stream.together.deepseek-r1.excerpt.sse");
        let reasoning = text_of(&events, EventKind::REASONING_DELTA);
        let text = text_of(&events, EventKind::TEXT_DELTA);
        assert!(!reasoning.is_empty());
        assert!(
            !text.contains("<think>") && !text.contains("</think>"),
            "{text}"
        );
        assert!(!reasoning.contains("<think>"));
    }

    #[test]
    fn reasoning_fields_of_every_spelling_are_reasoning() {
        let mut state = StreamState::new();
        let mut events = Vec::new();
        for data in [
            r#"{"choices":[{"delta":{"reasoning_content":"a"}}]}"#,
            r#"{"choices":[{"delta":{"reasoning":"b"}}]}"#,
            r#"{"choices":[{"delta":{"reasoning_text":"c","content":"d"}}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#,
            "[DONE]",
        ] {
            state.on_data(data, None, &mut events).unwrap();
        }
        let done = state.finish("m", Some("together"), &mut events);
        assert_eq!(text_of(&events, EventKind::REASONING_DELTA), "abc");
        assert_eq!(text_of(&events, EventKind::TEXT_DELTA), "d");
        assert_eq!(done.usage.unwrap().total_tokens, 7);
        assert_eq!(done.serving_provider.as_deref(), Some("together"));
    }

    #[test]
    fn tool_calls_assemble_from_deltas_by_index() {
        let mut state = StreamState::new();
        let mut events = Vec::new();
        for data in [
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c0","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"id":"c1","function":{"name":"get_time","arguments":"{\"tz\":"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}},{"index":1,"function":{"arguments":"\"UTC\"}"}}]}}]}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"tool_calls"}]}"#,
        ] {
            state.on_data(data, None, &mut events).unwrap();
        }
        let done = state.finish("m", None, &mut events);
        assert_eq!(done.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(done.tool_calls.len(), 2);
        assert_eq!(done.tool_calls[0].function.name, "get_weather");
        assert_eq!(done.tool_calls[0].function.arguments, r#"{"city":"Paris"}"#);
        assert_eq!(done.tool_calls[1].id, "c1");
        assert_eq!(done.tool_calls[1].function.arguments, r#"{"tz":"UTC"}"#);
        let deltas = events
            .iter()
            .filter(|e| e.kind == EventKind::TOOL_CALL_DELTA)
            .count();
        assert_eq!(deltas, 5);
    }

    #[test]
    fn error_events_and_garbage_are_errors() {
        let mut state = StreamState::new();
        let mut events = Vec::new();
        let err = state
            .on_data(
                r#"{"error":{"message":"Rate limit exceeded","type":"rate_limit_error"}}"#,
                None,
                &mut events,
            )
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::RATE_LIMITED);
        let err = state
            .on_data(
                r#"{"error":"Model overloaded","error_type":"overloaded"}"#,
                None,
                &mut events,
            )
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UPSTREAM);
        let err = state
            .on_data("not json at all", None, &mut events)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::INVALID_RESPONSE);
    }

    #[test]
    fn captured_one_shot_responses_normalise() {
        for name in [
            "chat.nonstream.together.json",
            "chat.nonstream.fireworks-ai.json",
            "chat.nonstream.cerebras.json",
            "chat.nonstream.hf-inference.json",
            "chat.nonstream.novita.json",
            "chat.nonstream.nebius.json",
            "chat.nonstream.hyperbolic.json",
            "chat.nonstream.sambanova.json",
            "chat.nonstream.nebius.vision.json",
        ] {
            let result = one_shot(&fixture(name), "m", None, None).unwrap();
            assert!(!result.text.is_empty(), "{name}");
            assert!(result.finish_reason.is_some(), "{name}");
        }
        let r1 = one_shot(
            &fixture("chat.nonstream.together.deepseek-r1.think-in-content.json"),
            "m",
            None,
            None,
        )
        .unwrap();
        assert!(
            !r1.reasoning.is_empty() && !r1.text.contains("<think>"),
            "{r1:?}"
        );
        for name in [
            "chat.nonstream.together.tool-call.json",
            "chat.nonstream.together.llama4.tool-call.json",
        ] {
            let call = one_shot(&fixture(name), "m", None, None).unwrap();
            assert_eq!(call.finish_reason.as_deref(), Some("tool_calls"), "{name}");
            assert!(
                !call.tool_calls.is_empty() && !call.tool_calls[0].function.name.is_empty(),
                "{name}"
            );
            assert!(serde_json::from_str::<Value>(&call.tool_calls[0].function.arguments).is_ok());
        }
        assert_eq!(
            one_shot(b"{}", "m", None, None).unwrap_err().code,
            ErrorCode::INVALID_RESPONSE
        );
        assert_eq!(
            one_shot(b"\xff", "m", None, None).unwrap_err().code,
            ErrorCode::INVALID_RESPONSE
        );
    }
}
