//! The `error` of a failed answer — an `error` member of a chunk or body, or the whole data of
//! an `error` event — read as a bounded JSON value. Only what an error message is made of is
//! kept (`message`, `detail`, `type`, `code`, nested `error` envelopes, a few list items), so
//! megabytes of `[0,0,…]` from a hostile service cost a few bytes instead of a tree many times
//! their size; everything else is skipped unread.

use std::{borrow::Cow, fmt};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The members of an error object that are kept; the rest is skipped unread.
const ERROR_KEYS: [&str; 7] = [
    "error",
    "message",
    "detail",
    "type",
    "code",
    "error_type",
    "error_description",
];

/// How deep an error value is kept (envelopes inside envelopes).
const ERROR_DEPTH: usize = 4;
/// How many items of a list in an error value are kept.
const ERROR_ITEMS: usize = 16;

/// Reads the text of an `error` event's data as a bounded error value: JSON in any shape, of
/// which only what an error message is made of is kept, so a megabyte of `[0,0,…]` costs a few
/// bytes instead of a tree many times its size. Text that is not JSON is kept as a string.
pub fn parse_error_value(text: &str) -> Value {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match deserializer
        .deserialize_any(ErrorValue::top())
        .and_then(|value| deserializer.end().map(|()| value))
    {
        Ok(value) => value,
        Err(_) => Value::String(text.to_owned()),
    }
}

/// One level of a bounded error value.
pub struct ErrorValue {
    depth: usize,
}

impl ErrorValue {
    /// The reader of a whole error value.
    pub fn top() -> Self {
        Self { depth: 0 }
    }
}

impl<'de> DeserializeSeed<'de> for ErrorValue {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ErrorValue {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error value")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        if self.depth < ERROR_DEPTH {
            while items.len() < ERROR_ITEMS {
                match seq.next_element_seed(ErrorValue {
                    depth: self.depth + 1,
                })? {
                    Some(item) => items.push(item),
                    None => return Ok(Value::Array(items)),
                }
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut kept = serde_json::Map::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if self.depth < ERROR_DEPTH
                && ERROR_KEYS.contains(&key.as_ref())
                && !kept.contains_key(key.as_ref())
            {
                let value = map.next_value_seed(ErrorValue {
                    depth: self.depth + 1,
                })?;
                kept.insert(key.into_owned(), value);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Value::Object(kept))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::chunk;

    #[test]
    fn error_values_keep_only_what_a_message_is_made_of() {
        let zeros = vec!["0"; 100_000].join(",");
        let text = format!(
            r#"{{"error":{{"message":"m","type":"t","junk":[{zeros}],"error":[{zeros}]}}}}"#
        );
        let chunk = chunk::parse(&text).unwrap();
        let error = chunk.error.unwrap();
        assert_eq!(error["message"], "m");
        assert_eq!(error["type"], "t");
        assert!(error.get("junk").is_none());
        assert_eq!(error["error"].as_array().unwrap().len(), ERROR_ITEMS);
        let deep = format!("{}\"x\"{}", r#"{"error":"#.repeat(10), "}".repeat(10));
        let value = parse_error_value(&deep);
        let mut depth = 0;
        let mut inner = &value;
        while let Some(next) = inner.get("error") {
            inner = next;
            depth += 1;
        }
        assert!(depth <= ERROR_DEPTH, "{value}");
        assert_eq!(
            parse_error_value("not json"),
            Value::String("not json".into())
        );
        assert_eq!(
            parse_error_value(r#""quoted""#),
            Value::String("quoted".into())
        );
        assert!(chunk::parse(r#"{"error":null}"#).unwrap().error.is_none());
    }
}
