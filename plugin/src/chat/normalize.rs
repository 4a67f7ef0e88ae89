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
    chunk::{self, Choice, MAX_TOOL_CALLS, ToolCallWire, UsageWire},
    think::{Split, ThinkSplitter, split_all},
};
use crate::{errors, outside_text};

impl UsageWire {
    fn to_usage(self) -> Usage {
        let prompt = self.prompt_tokens.unwrap_or(0);
        let completion = self.completion_tokens.unwrap_or(0);
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            // Saturating: the counts are the service's, and may be absurd.
            total_tokens: self
                .total_tokens
                .unwrap_or(prompt.saturating_add(completion)),
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

/// How many `{"error": …}` envelopes an error payload is looked through.
const MAX_ENVELOPES: usize = 4;

/// An `error` member (in a stream event or a body), or the whole data of an `error` event, as a
/// [`ProviderError`]. Error events often carry a whole envelope (`{"error":{"message":…}}` or
/// `{"error":"…"}`) rather than its inside: envelopes are looked through to the message.
pub fn error_event(error: &Value, secret: Option<&str>) -> ProviderError {
    let mut inner = error;
    for _ in 0..MAX_ENVELOPES {
        match inner.get("error") {
            Some(nested) if !nested.is_null() => inner = nested,
            _ => break,
        }
    }
    let upstream = errors::from_json(&serde_json::json!({ "error": inner }));
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
        .map(|m| outside_text::quote(m, secret))
        .unwrap_or_else(|| "no detail".into());
    ProviderError::new(
        code,
        format!("the inference service reported an error mid-stream: {said}"),
    )
}

/// The most bytes of tool-call arguments one answer may assemble: what a whole one-shot answer
/// may hold ([`super::MAX_ANSWER_BYTES`]). Text and reasoning pass straight through to the host;
/// arguments are kept until the end, so without a bound a stream could grow them forever.
pub const MAX_TOOL_CALL_BYTES: usize = super::MAX_ANSWER_BYTES as usize;

/// Accumulates a stream into events and a final result.
#[derive(Debug)]
pub struct StreamState {
    splitter: ThinkSplitter,
    /// At most [`MAX_TOOL_CALLS`] slots.
    tool_calls: Vec<ToolCall>,
    /// Bytes of arguments in `tool_calls`, at most [`MAX_TOOL_CALL_BYTES`].
    tool_call_bytes: usize,
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
            tool_call_bytes: 0,
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
        if let Some(reason) = self.on_choice(choice, out)? {
            self.finish_reason = Some(reason);
            self.finished = true;
        }
        Ok(())
    }

    /// Emits a choice's deltas; returns its finish reason.
    fn on_choice(
        &mut self,
        choice: Choice<'_>,
        out: &mut Vec<StreamEvent>,
    ) -> Result<Option<String>, ProviderError> {
        for reasoning in choice.reasoning.iter().flatten() {
            self.emit_reasoning(reasoning, out);
        }
        if let Some(content) = &choice.content {
            let split = self.splitter.push(content);
            self.emit_split(split, out);
        }
        if choice.too_many_tool_calls {
            return Err(too_many_tool_calls());
        }
        for call in choice.tool_calls.into_iter().flatten() {
            self.on_tool_call(call, out)?;
        }
        Ok(choice.finish_reason.map(Cow::into_owned))
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

    fn on_tool_call(
        &mut self,
        call: ToolCallWire,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), ProviderError> {
        // A delta without an index starts the next call. The index locates a slot (and sizes
        // the list up to it), so it is checked before anything is allocated.
        let wanted = call.index.unwrap_or(self.tool_calls.len() as u64);
        let slot = usize::try_from(wanted)
            .ok()
            .filter(|slot| *slot < MAX_TOOL_CALLS)
            .ok_or_else(|| tool_call_index_refused(wanted))?;
        let (name, arguments) = match call.function {
            Some(function) => (function.name, arguments_text(function.arguments)),
            None => (None, String::new()),
        };
        self.tool_call_bytes = self
            .tool_call_bytes
            .saturating_add(arguments.len())
            .saturating_add(name.as_ref().map_or(0, String::len))
            .saturating_add(call.id.as_ref().map_or(0, String::len));
        if self.tool_call_bytes > MAX_TOOL_CALL_BYTES {
            return Err(ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!(
                    "the answer's tool calls grew past the {} MiB cap on their assembled \
                     arguments (MAX_TOOL_CALL_BYTES); the stream was stopped",
                    MAX_TOOL_CALL_BYTES / (1024 * 1024)
                ),
            ));
        }
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
            // The slot is under MAX_TOOL_CALLS, far below u32::MAX.
            index: u32::try_from(slot).unwrap_or(u32::MAX),
            id: call.id,
            name,
            arguments,
        };
        self.produced_content = true;
        out.push(StreamEvent::json(
            EventKind::TOOL_CALL_DELTA,
            serde_json::to_string(&delta).unwrap_or_default(),
        ));
        Ok(())
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
            cost: None,
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

fn tool_call_index_refused(index: u64) -> ProviderError {
    ProviderError::new(
        ErrorCode::INVALID_RESPONSE,
        format!(
            "a tool call in the answer has index {index}, past the limit of {MAX_TOOL_CALLS} tool \
             calls in one answer (MAX_TOOL_CALLS); the stream was refused"
        ),
    )
}

fn too_many_tool_calls() -> ProviderError {
    ProviderError::new(
        ErrorCode::INVALID_RESPONSE,
        format!(
            "the answer lists more than {MAX_TOOL_CALLS} tool calls, the limit for one answer \
             (MAX_TOOL_CALLS); it was refused"
        ),
    )
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
    if message.too_many_tool_calls {
        return Err(too_many_tool_calls());
    }
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
        cost: None,
    })
}

/// The events a stream carries for a whole answer, appended to `out`, and the final event's
/// payload: for a stream request the service answered with one JSON chat completion.
pub fn completion_events(result: ChatResult, out: &mut Vec<StreamEvent>) -> ChatDone {
    if !result.reasoning.is_empty() {
        out.push(StreamEvent::text(
            EventKind::REASONING_DELTA,
            result.reasoning.as_str(),
        ));
    }
    if !result.text.is_empty() {
        out.push(StreamEvent::text(
            EventKind::TEXT_DELTA,
            result.text.as_str(),
        ));
    }
    for (index, call) in result.tool_calls.iter().enumerate() {
        let delta = ToolCallDelta {
            // At most MAX_TOOL_CALLS calls reach here.
            index: u32::try_from(index).unwrap_or(u32::MAX),
            id: Some(call.id.clone()),
            name: Some(call.function.name.clone()),
            arguments: call.function.arguments.clone(),
        };
        out.push(StreamEvent::json(
            EventKind::TOOL_CALL_DELTA,
            serde_json::to_string(&delta).unwrap_or_default(),
        ));
    }
    if let Some(usage) = result.usage {
        out.push(StreamEvent::json(
            EventKind::USAGE,
            serde_json::to_string(&usage).unwrap_or_default(),
        ));
    }
    result.into_done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::captures::fixture;
    use crate::chat::sse::Framer;
    use serde_json::json;

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
        framer.feed(&bytes, &mut on_event).unwrap();
        framer.finish(&mut on_event).unwrap();
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
        for name in crate::captures::COMPLETE_STREAMS {
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

    #[test]
    fn a_huge_tool_call_index_is_refused_before_any_allocation() {
        for index in [
            MAX_TOOL_CALLS as u64,
            10_000_000,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut state = StreamState::new();
            let mut events = Vec::new();
            state
                .on_data(
                    r#"{"choices":[{"delta":{"content":"kept "}}]}"#,
                    None,
                    &mut events,
                )
                .unwrap();
            let data = format!(
                r#"{{"choices":[{{"delta":{{"tool_calls":[{{"index":{index},"function":{{"name":"f","arguments":"{{}}"}}}}]}}}}]}}"#
            );
            let error = state.on_data(&data, None, &mut events).unwrap_err();
            assert_eq!(error.code, ErrorCode::INVALID_RESPONSE);
            assert!(
                error.message.contains(&MAX_TOOL_CALLS.to_string()),
                "{}",
                error.message
            );
            assert!(state.tool_calls.capacity() <= MAX_TOOL_CALLS);
            assert_eq!(text_of(&events, EventKind::TEXT_DELTA), "kept ");
        }
        // The last slot is fine; calls without an index stop at the limit too.
        let mut state = StreamState::new();
        let last = format!(
            r#"{{"choices":[{{"delta":{{"tool_calls":[{{"index":{},"id":"c","function":{{"name":"f"}}}}]}}}}]}}"#,
            MAX_TOOL_CALLS - 1
        );
        state.on_data(&last, None, &mut Vec::new()).unwrap();
        let unindexed =
            r#"{"choices":[{"delta":{"tool_calls":[{"id":"c","function":{"name":"f"}}]}}]}"#;
        assert!(state.on_data(unindexed, None, &mut Vec::new()).is_err());
    }

    #[test]
    fn too_many_tool_calls_in_one_chunk_are_refused_unread() {
        let calls = vec![r#"{"function":{"name":"f"}}"#; MAX_TOOL_CALLS + 1].join(",");
        let data = format!(r#"{{"choices":[{{"delta":{{"tool_calls":[{calls}]}}}}]}}"#);
        let error = StreamState::new()
            .on_data(&data, None, &mut Vec::new())
            .unwrap_err();
        assert!(
            error.message.contains("more than 256 tool calls"),
            "{}",
            error.message
        );
        let body = format!(
            r#"{{"choices":[{{"message":{{"tool_calls":[{calls}]}},"finish_reason":"tool_calls"}}]}}"#
        );
        let error = one_shot(body.as_bytes(), "m", None, None).unwrap_err();
        assert_eq!(error.code, ErrorCode::INVALID_RESPONSE);
    }

    #[test]
    fn absurd_usage_counts_saturate_and_the_final_event_survives() {
        let mut state = StreamState::new();
        let mut events = Vec::new();
        for data in [
            r#"{"choices":[{"delta":{"content":"hi"},"finish_reason":"stop"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":18446744073709551615,"completion_tokens":18446744073709551615}}"#,
            "[DONE]",
        ] {
            state.on_data(data, None, &mut events).unwrap();
        }
        let done = state.finish("m", None, &mut events);
        let usage = done.usage.unwrap();
        assert_eq!(usage.total_tokens, u64::MAX);
        // Mistyped figures are no figures; the chunk (and its text) still counts.
        let mut state = StreamState::new();
        let mut events = Vec::new();
        state
            .on_data(
                r#"{"choices":[{"delta":{"content":"ok"}}],"usage":{"prompt_tokens":-5,"completion_tokens":1e30,"total_tokens":"many","completion_tokens_details":7,"prompt_tokens_details":{"cached_tokens":2.5}}}"#,
                None,
                &mut events,
            )
            .unwrap();
        let done = state.finish("m", None, &mut events);
        let usage = done.usage.unwrap();
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (0, u64::MAX, u64::MAX)
        );
        assert_eq!(usage.cached_tokens, None);
        assert_eq!(text_of(&events, EventKind::TEXT_DELTA), "ok");
    }

    #[test]
    fn assembled_arguments_are_bounded() {
        let mut state = StreamState::new();
        state.tool_call_bytes = MAX_TOOL_CALL_BYTES - 4;
        let data = r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":1}"}}]}}]}"#;
        let error = state.on_data(data, None, &mut Vec::new()).unwrap_err();
        assert!(
            error.message.contains("MAX_TOOL_CALL_BYTES"),
            "{}",
            error.message
        );
    }

    #[test]
    fn error_envelopes_are_read_to_their_message() {
        for (payload, expected) in [
            (
                json!({"error": {"message": "upstream overloaded", "type": "server_error"}}),
                "upstream overloaded",
            ),
            (json!({"error": "model crashed"}), "model crashed"),
            (json!({"message": "plain message"}), "plain message"),
            (
                json!({"error": {"error": {"message": "twice wrapped"}}}),
                "twice wrapped",
            ),
            (json!({"detail": "fastapi detail"}), "fastapi detail"),
            (json!("just text"), "just text"),
        ] {
            let error = error_event(&payload, None);
            assert!(
                error.message.ends_with(expected),
                "{payload}: {}",
                error.message
            );
            assert!(!error.message.contains('{'), "{payload}: {}", error.message);
        }
        let rate = error_event(
            &json!({"error": {"message": "slow", "type": "rate_limit_error"}}),
            None,
        );
        assert_eq!(rate.code, ErrorCode::RATE_LIMITED);
        let hostile = error_event(&json!({"error": "bad \u{1b}[2J\u{7} news"}), None);
        assert!(
            !hostile.message.chars().any(char::is_control),
            "{}",
            hostile.message
        );
    }

    #[test]
    fn a_whole_completion_becomes_the_events_a_stream_carries() {
        let result = one_shot(
            &fixture("chat.nonstream.together.tool-call.json"),
            "m",
            Some("together"),
            None,
        )
        .unwrap();
        let expected = result.clone();
        let mut events = Vec::new();
        let done = completion_events(result, &mut events);
        assert_eq!(done.tool_calls, expected.tool_calls);
        assert_eq!(done.usage, expected.usage);
        assert_eq!(done.finish_reason, expected.finish_reason);
        assert_eq!(
            events
                .iter()
                .filter(|e| e.kind == EventKind::TOOL_CALL_DELTA)
                .count(),
            expected.tool_calls.len()
        );
        assert_eq!(text_of(&events, EventKind::TEXT_DELTA), expected.text);
    }
}
