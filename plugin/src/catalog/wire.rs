//! Reading a `GET /v1/models` body in one pass, leniently.
//!
//! The router's list is large (thousands of rows are realistic) and loosely typed in practice, so
//! this is a hand-written serde visitor over borrowed strings rather than a `Value` tree: a row
//! or a field of the wrong type is skipped, never fatal; only a body that is not JSON, not an
//! object, or has no `data` array fails.

use std::{borrow::Cow, fmt};

use openclaw_provider_abi::{ErrorCode, ProviderError};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One upstream provider entry of a model row, fields absent when missing or mistyped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WireProvider<'a> {
    pub provider: Option<Cow<'a, str>>,
    pub status: Option<Cow<'a, str>>,
    pub context_length: Option<f64>,
    pub input_price: Option<f64>,
    pub output_price: Option<f64>,
    pub supports_tools: Option<bool>,
    pub supports_structured_output: Option<bool>,
    pub throughput: Option<f64>,
    pub first_token_latency_ms: Option<f64>,
    pub is_model_author: Option<bool>,
    pub is_free: Option<bool>,
}

/// One model row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WireModel<'a> {
    pub id: Option<Cow<'a, str>>,
    pub name: Option<Cow<'a, str>>,
    pub title: Option<Cow<'a, str>>,
    pub display_name: Option<Cow<'a, str>>,
    /// `architecture.input_modalities` is an array containing `"image"`.
    pub image_input: bool,
    pub providers: Vec<WireProvider<'a>>,
}

/// Parses a model-list body into rows. Rows that are not objects are dropped here; rows without
/// a usable id are dropped by the projection.
pub fn parse_model_list(body: &[u8]) -> Result<Vec<WireModel<'_>>, ProviderError> {
    let mut rows = Vec::new();
    visit_model_list(body, &mut |row| rows.push(row))?;
    Ok(rows)
}

/// Parses a model-list body, handing each row to `each` as soon as it is read, so a large list
/// never sits in memory twice. Returns how many rows there were.
pub fn visit_model_list<'a>(
    body: &'a [u8],
    each: &mut dyn FnMut(WireModel<'a>),
) -> Result<usize, ProviderError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let list = deserializer
        .deserialize_any(ListVisitor { each })
        .map_err(|err| {
            ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!(
                    "the model list is not valid JSON ({})",
                    crate::errors::json_failure(&err)
                ),
            )
        })?;
    deserializer.end().map_err(|err| {
        ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "the model list has trailing data: {}",
                crate::errors::json_failure(&err)
            ),
        )
    })?;
    match list {
        ListShape::Rows(count) => Ok(count),
        ListShape::NotAnObject => Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            "the model list is not a JSON object",
        )),
        ListShape::NoData => Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            "the model list has no \"data\" array",
        )),
        ListShape::DataNotArray => Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            "the model list's \"data\" is not an array",
        )),
    }
}

enum ListShape {
    Rows(usize),
    NotAnObject,
    NoData,
    DataNotArray,
}

/// Implements visitor methods that consume a JSON value of the named kinds and map it to
/// `$default`: the lenient "wrong type, skip it" answer every visitor here gives for the values
/// it does not read. Kinds: `bool`, `numbers` (integers and floats), `str`, `unit`, `none`,
/// `seq`, `map`.
macro_rules! ignore_values {
    ($default:expr; $($kind:ident),+ $(,)?) => {
        $(ignore_values!(@ $kind $default);)+
    };
    (@bool $default:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
    (@numbers $default:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
    (@str $default:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
    (@unit $default:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
    (@none $default:expr) => {
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
    (@seq $default:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($default)
        }
    };
    (@map $default:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($default)
        }
    };
}

/// For visitors that read objects: every other value is consumed and mapped to `$default`.
macro_rules! ignore_all_but_maps {
    ($default:expr) => {
        ignore_values!($default; bool, numbers, str, unit, none, seq);
    };
}

/// For visitors that read arrays: every other value is consumed and mapped to `$default`.
macro_rules! ignore_all_but_seqs {
    ($default:expr) => {
        ignore_values!($default; bool, numbers, str, unit, none, map);
    };
}

struct ListVisitor<'f, 'de> {
    each: &'f mut dyn FnMut(WireModel<'de>),
}

impl<'de> Visitor<'de> for ListVisitor<'_, 'de> {
    type Value = ListShape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a model list object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut shape = ListShape::NoData;
        while let Some(key) = map.next_key::<Key>()? {
            if key.0 == "data" {
                shape = match map.next_value_seed(Rows {
                    each: &mut *self.each,
                })? {
                    Some(count) => ListShape::Rows(count),
                    None => ListShape::DataNotArray,
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(shape)
    }

    ignore_values!(ListShape::NotAnObject; bool, numbers, str, unit, seq);
}

/// A map key, compared by content (borrowed when the JSON has no escapes).
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_str(TextVisitor)
            .map(|text| Key(text.unwrap_or_default()))
    }
}

/// A string, or `None` for any other value.
struct Text<'a>(Option<Cow<'a, str>>);

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(value)))
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(value.to_owned())))
    }
    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(value)))
    }
    ignore_values!(None; bool, numbers, unit, none, seq, map);
}

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor).map(Text)
    }
}

/// A number, or `None` for any other value.
struct Number(Option<f64>);

impl<'de> de::Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(Some(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(Some(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(Some(v)))
            }
            ignore_values!(Number(None); bool, str, unit, none, seq, map);
        }
        deserializer.deserialize_any(V)
    }
}

/// A boolean, or `None` for any other value.
struct Flag(Option<bool>);

impl<'de> de::Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(Some(v)))
            }
            ignore_values!(Flag(None); numbers, str, unit, none, seq, map);
        }
        deserializer.deserialize_any(V)
    }
}

/// `data`: an array of rows, each handed on as it is read (`None` when `data` is not an array).
struct Rows<'f, 'de> {
    each: &'f mut dyn FnMut(WireModel<'de>),
}

impl<'de> de::DeserializeSeed<'de> for Rows<'_, 'de> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_, 'de> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of models")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut count = 0;
        while let Some(row) = seq.next_element::<Row<'de>>()? {
            count += 1;
            if let Some(row) = row.0 {
                (self.each)(row);
            }
        }
        Ok(Some(count))
    }
    ignore_all_but_seqs!(None);
}

/// One element of `data`: a model when it is an object.
struct Row<'a>(Option<WireModel<'a>>);

impl<'de> de::Deserialize<'de> for Row<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Row<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a model object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row<'de>, A::Error> {
                let mut model = WireModel::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key.0.as_ref() {
                        "id" => model.id = map.next_value::<Text>()?.0,
                        "name" => model.name = map.next_value::<Text>()?.0,
                        "title" => model.title = map.next_value::<Text>()?.0,
                        "display_name" => model.display_name = map.next_value::<Text>()?.0,
                        "architecture" => {
                            model.image_input = map.next_value::<Architecture>()?.0;
                        }
                        "providers" => {
                            model.providers = map.next_value::<Providers>()?.0;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Row(Some(model)))
            }
            ignore_all_but_maps!(Row(None));
        }
        deserializer.deserialize_any(V)
    }
}

/// `architecture`: whether `input_modalities` is an array holding `"image"`.
struct Architecture(bool);

impl<'de> de::Deserialize<'de> for Architecture {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Architecture;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an architecture object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Architecture, A::Error> {
                let mut image = false;
                while let Some(key) = map.next_key::<Key>()? {
                    if key.0 == "input_modalities" {
                        image = map.next_value::<Modalities>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Architecture(image))
            }
            ignore_all_but_maps!(Architecture(false));
        }
        deserializer.deserialize_any(V)
    }
}

/// `input_modalities`: whether it is an array holding `"image"` (a string does not count).
struct Modalities(bool);

impl<'de> de::Deserialize<'de> for Modalities {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Modalities;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of modalities")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Modalities, A::Error> {
                let mut image = false;
                while let Some(item) = seq.next_element::<Text>()? {
                    image |= item.0.as_deref() == Some("image");
                }
                Ok(Modalities(image))
            }
            ignore_all_but_seqs!(Modalities(false));
        }
        deserializer.deserialize_any(V)
    }
}

/// `providers`: the entries that are objects (an absent or mistyped list is empty).
struct Providers<'a>(Vec<WireProvider<'a>>);

impl<'de> de::Deserialize<'de> for Providers<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Providers<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of providers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Providers<'de>, A::Error> {
                let mut providers = Vec::with_capacity(seq.size_hint().unwrap_or(8));
                while let Some(entry) = seq.next_element::<ProviderEntry>()? {
                    providers.extend(entry.0);
                }
                Ok(Providers(providers))
            }
            ignore_all_but_seqs!(Providers(Vec::new()));
        }
        deserializer.deserialize_any(V)
    }
}

/// One element of `providers`: an entry when it is an object.
struct ProviderEntry<'a>(Option<WireProvider<'a>>);

impl<'de> de::Deserialize<'de> for ProviderEntry<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ProviderEntry<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a provider object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ProviderEntry<'de>, A::Error> {
                let mut entry = WireProvider::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key.0.as_ref() {
                        "provider" => entry.provider = map.next_value::<Text>()?.0,
                        "status" => entry.status = map.next_value::<Text>()?.0,
                        "context_length" => entry.context_length = map.next_value::<Number>()?.0,
                        "pricing" => {
                            let pricing = map.next_value::<Pricing>()?;
                            entry.input_price = pricing.input;
                            entry.output_price = pricing.output;
                        }
                        "supports_tools" => entry.supports_tools = map.next_value::<Flag>()?.0,
                        "supports_structured_output" => {
                            entry.supports_structured_output = map.next_value::<Flag>()?.0;
                        }
                        "throughput" => entry.throughput = map.next_value::<Number>()?.0,
                        "first_token_latency_ms" => {
                            entry.first_token_latency_ms = map.next_value::<Number>()?.0;
                        }
                        "is_model_author" => entry.is_model_author = map.next_value::<Flag>()?.0,
                        "is_free" => entry.is_free = map.next_value::<Flag>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(ProviderEntry(Some(entry)))
            }
            ignore_all_but_maps!(ProviderEntry(None));
        }
        deserializer.deserialize_any(V)
    }
}

/// `pricing`: `{input, output}` in USD per million tokens.
#[derive(Default)]
struct Pricing {
    input: Option<f64>,
    output: Option<f64>,
}

impl<'de> de::Deserialize<'de> for Pricing {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pricing;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a pricing object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pricing, A::Error> {
                let mut pricing = Pricing::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key.0.as_ref() {
                        "input" => pricing.input = map.next_value::<Number>()?.0,
                        "output" => pricing.output = map.next_value::<Number>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(pricing)
            }
            ignore_all_but_maps!(Pricing::default());
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_row() {
        let body = format!(
            r#"{{"object":"list","data":[{}]}}"#,
            include_str!("../../../tests/fixtures/hf-router/v1-models.entry.docs-example.json")
        );
        let rows = parse_model_list(body.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.id.as_deref(), Some("deepseek-ai/DeepSeek-V4-Pro"));
        assert!(!row.image_input);
        assert!(row.providers.len() >= 3);
        let together = row
            .providers
            .iter()
            .find(|p| p.provider.as_deref() == Some("together"))
            .unwrap();
        assert_eq!(together.status.as_deref(), Some("live"));
        assert!(together.context_length.unwrap() > 0.0);
        assert!(together.output_price.is_some());
    }

    #[test]
    fn mistyped_rows_and_fields_are_skipped_not_fatal() {
        let body = br#"{"data":[
            5, "x", null, [1], {"id": 7}, {"id": "a/\u0062", "name": 3,
             "architecture": {"input_modalities": "image"},
             "providers": [1, {"provider": "p", "context_length": "big", "pricing": {"input": "1"},
                               "supports_tools": "yes", "throughput": 12.5}, null]},
            {"id": "c/d", "architecture": {"input_modalities": ["text", "image"]}, "providers": {}}
        ], "extra": {"deep": [1, {"x": null}]}}"#;
        let rows = parse_model_list(body).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].id, None);
        assert_eq!(rows[1].id.as_deref(), Some("a/b"));
        assert_eq!(rows[1].name, None);
        assert!(!rows[1].image_input);
        assert_eq!(rows[1].providers.len(), 1);
        let p = &rows[1].providers[0];
        assert_eq!(
            (p.context_length, p.input_price, p.supports_tools),
            (None, None, None)
        );
        assert_eq!(p.throughput, Some(12.5));
        assert!(rows[2].image_input);
        assert!(rows[2].providers.is_empty());
    }

    #[test]
    fn refuses_bodies_that_are_not_a_model_list() {
        for (body, expected) in [
            (&b"not json"[..], "not valid JSON"),
            (b"[]", "not a JSON object"),
            (b"{}", "no \"data\" array"),
            (br#"{"data": {"a": 1}}"#, "not an array"),
            (br#"{"data": []} trailing"#, "trailing data"),
            (b"{\"data\": [{\"id\": \"\xff\"}]}", "not valid JSON"),
            (br#"{"data": [{"id": "a"}"#, "not valid JSON"),
        ] {
            let err = parse_model_list(body).unwrap_err();
            assert_eq!(err.code, ErrorCode::INVALID_RESPONSE);
            assert!(
                err.message.contains(expected),
                "{}: {}",
                String::from_utf8_lossy(body),
                err.message
            );
        }
        assert!(parse_model_list(br#"{"data": []}"#).unwrap().is_empty());
    }
}
