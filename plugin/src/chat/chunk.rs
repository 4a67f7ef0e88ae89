//! Reading one chat chunk (a stream event's JSON, or a whole one-shot response) in a single
//! pass: only the first choice (index 0) is kept, its text fields are borrowed from the input,
//! and nothing else is built. At a hundred thousand chunks a second, serde's derived nested
//! structs cost more in moving themselves around than in parsing; these visitors keep
//! everything in one frame.

use std::{borrow::Cow, fmt, marker::PhantomData};

use serde::{
    Deserialize, Deserializer,
    de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor},
};
use serde_json::Value;

use super::error_value;

/// A chunk, reduced to what the normaliser reads.
#[derive(Debug, Default)]
pub struct Chunk<'a> {
    /// The choice with index 0, if the chunk has one.
    pub choice: Option<Choice<'a>>,
    /// Boxed: one chunk in a hundred carries it.
    pub usage: Option<Box<UsageWire>>,
    /// An `error` member (a failure reported inside a stream or body), bounded: only the members
    /// a message is made of are kept (see [`error_value`]).
    pub error: Option<Box<Value>>,
}

/// What a choice's `delta` (streams) or `message` (one-shot) and `finish_reason` hold.
#[derive(Debug, Default)]
pub struct Choice<'a> {
    pub content: Option<Cow<'a, str>>,
    /// `reasoning_content`, `reasoning`, `reasoning_text`: upstreams use one or the other.
    pub reasoning: [Option<Cow<'a, str>>; 3],
    /// At most [`MAX_TOOL_CALLS`] entries; see `too_many_tool_calls`.
    pub tool_calls: Option<Vec<ToolCallWire>>,
    /// `tool_calls` listed more than [`MAX_TOOL_CALLS`] entries (the rest were skipped unread).
    pub too_many_tool_calls: bool,
    pub finish_reason: Option<Cow<'a, str>>,
}

/// The most tool calls one answer may hold, in one chunk or assembled over a stream. Real
/// answers call a handful of tools (OpenAI's API takes at most 128 tools per request); the
/// bound keeps an absurd `index` or list from sizing an allocation.
pub const MAX_TOOL_CALLS: usize = 256;

/// One tool call (or a piece of one) as upstreams send it.
#[derive(Debug, Deserialize)]
pub struct ToolCallWire {
    /// Checked against [`MAX_TOOL_CALLS`] before it locates anything.
    #[serde(default)]
    pub index: Option<u64>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: Option<FunctionWire>,
}

#[derive(Debug, Deserialize)]
pub struct FunctionWire {
    #[serde(default)]
    pub name: Option<String>,
    /// A JSON string usually; some upstreams send the object itself.
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// Token usage as upstreams report it (every field optional; some are provider-specific).
/// Counts are read leniently (see [`count`]): usage is a report, and a mistyped figure must not
/// cost the chunk that carries it, or the answer its final event.
#[derive(Debug, Deserialize, Default, Clone, Copy)]
pub struct UsageWire {
    #[serde(default, deserialize_with = "count")]
    pub prompt_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    pub completion_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    pub total_tokens: Option<u64>,
    #[serde(default, deserialize_with = "lenient")]
    pub completion_tokens_details: Option<ReasoningDetails>,
    #[serde(default, deserialize_with = "lenient")]
    pub prompt_tokens_details: Option<CachedDetails>,
    /// Together reports cached tokens at the top level of `usage`.
    #[serde(default, deserialize_with = "count")]
    pub cached_tokens: Option<u64>,
}

#[derive(Debug, Deserialize, Default, Clone, Copy)]
pub struct ReasoningDetails {
    #[serde(default, deserialize_with = "count")]
    pub reasoning_tokens: Option<u64>,
}

#[derive(Debug, Deserialize, Default, Clone, Copy)]
pub struct CachedDetails {
    #[serde(default, deserialize_with = "count")]
    pub cached_tokens: Option<u64>,
}

/// A token count: a non-negative whole number, saturated at `u64::MAX` when written as a float
/// too large for an integer (`1e30`); anything else — negative, fractional, text, an object — is
/// no figure at all.
fn count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    struct CountVisitor;
    impl<'de> Visitor<'de> for CountVisitor {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a token count")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(u64::try_from(v).ok())
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // `as` saturates at u64::MAX; the checks keep NaN, negatives and fractions out.
            Ok((v.is_finite() && v >= 0.0 && v.fract() == 0.0).then_some(v as u64))
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    deserializer.deserialize_any(CountVisitor)
}

/// A details object, or nothing when it is not an object (`null`, a number, text).
fn lenient<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    // Buffered as a `Value` first: details objects are rare and small.
    let value = Value::deserialize(deserializer)?;
    Ok(value
        .is_object()
        .then(|| T::deserialize(value).ok())
        .flatten())
}

/// Parses a chunk; the error says where the JSON went wrong.
pub fn parse(text: &str) -> Result<Chunk<'_>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let chunk = deserializer.deserialize_map(ChunkVisitor)?;
    deserializer.end()?;
    Ok(chunk)
}

/// A string borrowed from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

fn text<'de: 'a, 'a, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'a, str>>, A::Error> {
    Ok(map.next_value::<Option<Text<'a>>>()?.map(|t| t.0))
}

struct ChunkVisitor;

impl<'de> Visitor<'de> for ChunkVisitor {
    type Value = Chunk<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chat chunk object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut chunk = Chunk::default();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match key.0.as_ref() {
                "choices" => chunk.choice = map.next_value_seed(Choices(PhantomData))?,
                "usage" => chunk.usage = map.next_value()?,
                "error" => chunk.error = map.next_value_seed(ErrorMember)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(chunk)
    }
}

/// `choices`: the element with index 0 (absent, `null` or empty: none).
struct Choices<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for Choices<'a> {
    type Value = Option<Choice<'a>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Choices<'a> {
    type Value = Option<Choice<'a>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of choices")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut first = None;
        while let Some((index, choice)) = seq.next_element_seed(OneChoice(PhantomData))? {
            if first.is_none() && index.unwrap_or(0) == 0 {
                first = Some(choice);
            }
        }
        Ok(first)
    }
}

/// One element of `choices`: its index and content.
struct OneChoice<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for OneChoice<'a> {
    type Value = (Option<u64>, Choice<'a>);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for OneChoice<'a> {
    type Value = (Option<u64>, Choice<'a>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a choice object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut index = None;
        let mut choice = Choice::default();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match key.0.as_ref() {
                "index" => index = map.next_value()?,
                "delta" | "message" => map.next_value_seed(Delta(&mut choice))?,
                "finish_reason" => choice.finish_reason = text(&mut map)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((index, choice))
    }
}

/// `delta` / `message`: fills the choice in place (`null` leaves it empty).
struct Delta<'c, 'a>(&'c mut Choice<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for Delta<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Delta<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a delta object")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let choice = self.0;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match key.0.as_ref() {
                "content" => choice.content = text(&mut map)?,
                "reasoning_content" => choice.reasoning[0] = text(&mut map)?,
                "reasoning" => choice.reasoning[1] = text(&mut map)?,
                "reasoning_text" => choice.reasoning[2] = text(&mut map)?,
                "tool_calls" => {
                    let calls = map.next_value_seed(ToolCalls)?;
                    choice.too_many_tool_calls = calls.overflowed;
                    choice.tool_calls = calls.calls;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `error`: a bounded error value, `None` when `null`.
struct ErrorMember;

impl<'de> DeserializeSeed<'de> for ErrorMember {
    type Value = Option<Box<Value>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let value = error_value::ErrorValue::top().deserialize(deserializer)?;
        Ok((!value.is_null()).then(|| Box::new(value)))
    }
}

/// `tool_calls`: up to [`MAX_TOOL_CALLS`] entries read, the rest skipped and flagged, so a list
/// of millions of tiny entries never becomes millions of structs.
struct ToolCalls;

struct ReadToolCalls {
    calls: Option<Vec<ToolCallWire>>,
    overflowed: bool,
}

impl<'de> DeserializeSeed<'de> for ToolCalls {
    type Value = ReadToolCalls;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ToolCalls {
    type Value = ReadToolCalls;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of tool calls")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(ReadToolCalls {
            calls: None,
            overflowed: false,
        })
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // The hint is the input's claim; it only ever sizes up to the cap.
        let mut calls = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(8));
        let mut overflowed = false;
        while calls.len() < MAX_TOOL_CALLS {
            match seq.next_element::<ToolCallWire>()? {
                Some(call) => calls.push(call),
                None => {
                    return Ok(ReadToolCalls {
                        calls: Some(calls),
                        overflowed,
                    });
                }
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {
            overflowed = true;
        }
        Ok(ReadToolCalls {
            calls: Some(calls),
            overflowed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_choice_borrowed_and_skips_the_rest() {
        let text = r#"{"id":"x","choices":[{"delta":{"content":"skip"},"index":1},
            {"index":0,"delta":{"role":"assistant","content":"hello","reasoning":"why"},"finish_reason":null},
            {"index":0,"delta":{"content":"second index 0"}}],"usage":null,"extra":[1,{"a":2}]}"#;
        let chunk = parse(text).unwrap();
        let choice = chunk.choice.unwrap();
        assert!(matches!(choice.content, Some(Cow::Borrowed("hello"))));
        assert_eq!(choice.reasoning[1].as_deref(), Some("why"));
        assert!(choice.finish_reason.is_none() && chunk.usage.is_none());
        let escaped =
            parse(r#"{"choices":[{"message":{"content":"a\nb"},"finish_reason":"stop"}]}"#)
                .unwrap();
        let choice = escaped.choice.unwrap();
        assert_eq!(choice.content.as_deref(), Some("a\nb"));
        assert_eq!(choice.finish_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn nulls_and_empty_choices_are_nothing_and_bad_json_is_an_error() {
        assert!(parse(r#"{"choices":null}"#).unwrap().choice.is_none());
        assert!(
            parse(r#"{"choices":[],"usage":{"prompt_tokens":1}}"#)
                .unwrap()
                .usage
                .is_some()
        );
        assert!(
            parse(r#"{"choices":[{"delta":null}]}"#)
                .unwrap()
                .choice
                .unwrap()
                .content
                .is_none()
        );
        assert!(parse(r#"{"error":"boom"}"#).unwrap().error.is_some());
        for bad in [
            "",
            "[]",
            "not json",
            r#"{"choices":[{"delta":{"content":5}}]}"#,
            r#"{"a":1} x"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
