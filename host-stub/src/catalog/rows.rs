//! Catalog rows: OpenClaw's model-row shape (`id`, `name`, `reasoning`, `input`,
//! `contextWindow`, `maxTokens`, `cost`) plus what we know beyond it (`supportsTools`,
//! `supportsStructuredOutput`, `providers`, `factsNote`, `source`), and any other key a user put
//! in a row (`alias`, model options), kept verbatim in [`Row::extra`].
//!
//! Rows are typed because catalogs are large (thousands of rows, each with several upstreams);
//! reading them back is lenient: a known key holding the wrong type (a hand edit) is kept as an
//! extra value instead of failing the file.

use openclaw_provider_abi::{
    Modalities, ModelCost, ModelInfo, Tristate,
    abi_stable::std_types::{RString, RVec},
    documents::UpstreamFacts,
};
pub use provider_host::model_row::Cost;
use provider_host::model_row::ModelRow;
use serde::{
    Deserialize, Deserializer, Serialize,
    de::{MapAccess, Visitor},
};
use serde_json::{Map, Value, value::RawValue};

/// The fields the host fills from the catalog. A user value for one of them (in the
/// configuration, or edited into `models.json`) wins over the catalog's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filled {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_tools: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_structured_output: Option<bool>,
}

impl Filled {
    /// Lays `other`'s values over these.
    pub fn overlay(&mut self, other: &Filled) {
        macro_rules! take {
            ($($field:ident),*) => {$(
                if other.$field.is_some() {
                    self.$field = other.$field.clone();
                }
            )*};
        }
        take!(
            name,
            reasoning,
            input,
            context_window,
            max_tokens,
            cost,
            supports_tools,
            supports_structured_output
        );
    }

    /// The values of `self` that are set and differ from `generated` (the user's edits).
    pub fn edits_against(&self, generated: &Filled) -> Filled {
        macro_rules! diff {
            ($($field:ident),*) => {
                Filled {$(
                    $field: match &self.$field {
                        Some(value) if generated.$field.as_ref() != Some(value) => Some(value.clone()),
                        _ => None,
                    },
                )*}
            };
        }
        diff!(
            name,
            reasoning,
            input,
            context_window,
            max_tokens,
            cost,
            supports_tools,
            supports_structured_output
        )
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == Filled::default()
    }
}

/// One upstream serving a model, in the words of the provider-config contract (the same facts
/// travel back to a plugin in a call's `upstreams`).
pub type ProviderRow = UpstreamFacts;

/// A catalog row.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub id: String,
    #[serde(flatten)]
    pub filled: Filled,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<ProviderRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts_note: Option<String>,
    /// `live`, `built-in`, `configured` (an id the catalog lacks) or `kept` (a row the user
    /// touched whose model left the catalog).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Every other key, verbatim (the user's).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// What the host filled into this row before any user fields were laid over it; written
    /// beside the rows so the next refresh can tell hand edits apart.
    #[serde(skip)]
    pub snapshot: Snapshot,
}

/// A row's snapshot of generated values (see [`Row::snapshot`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Snapshot {
    /// The row's filled fields are exactly what the host generated (no user fields on top).
    #[default]
    Same,
    /// The host generated these; the row carries user values over some of them.
    Stored(Box<Filled>),
    /// The host never generated this row (the user added it).
    None,
}

impl Row {
    /// The generated values to record for this row, if any.
    pub fn generated(&self) -> Option<&Filled> {
        match &self.snapshot {
            Snapshot::Same => Some(&self.filled),
            Snapshot::Stored(filled) => Some(filled),
            Snapshot::None => None,
        }
    }
}

/// Reads a row; with `USER_PART_ONLY`, skips what the host regenerates anyway (`providers`,
/// `factsNote`, `source`), which is most of a row's bytes.
struct RowVisitor<const USER_PART_ONLY: bool>;

impl<'de, const USER_PART_ONLY: bool> Visitor<'de> for RowVisitor<USER_PART_ONLY> {
    type Value = Row;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a model row object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let mut row = Row::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if USER_PART_ONLY && matches!(key.as_ref(), "providers" | "factsNote" | "source") {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            // Each value is read as raw text first, so a known key can be tried as its type
            // and, if it does not fit, kept as written.
            let raw: &RawValue = map.next_value()?;
            row.set_raw(key.into_owned(), raw);
        }
        Ok(row)
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RowVisitor::<false>)
    }
}

impl Row {
    /// Sets a key from raw JSON text (reading a file).
    fn set_raw(&mut self, key: String, raw: &RawValue) {
        if !self.set_typed(&key, |ty| ty.read_raw(raw)) {
            let value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
            self.extra.insert(key, value);
        }
    }

    /// Sets a key from a JSON value (a configured entry).
    fn set_value(&mut self, key: String, value: Value) {
        if !self.set_typed(&key, |ty| ty.read_value(&value)) {
            self.extra.insert(key, value);
        }
    }

    /// Sets a known key when `source` yields a value of its type; false otherwise.
    fn set_typed(&mut self, key: &str, source: impl FnOnce(Source) -> Option<Typed>) -> bool {
        let kind = match key {
            "id" | "name" | "factsNote" | "source" => Source::Text,
            "reasoning" | "supportsTools" | "supportsStructuredOutput" => Source::Flag,
            "contextWindow" | "maxTokens" => Source::Count,
            "input" => Source::Names,
            "cost" => Source::Cost,
            "providers" => Source::Providers,
            _ => return false,
        };
        let Some(value) = source(kind) else {
            return false;
        };
        match (key, value) {
            ("id", Typed::Text(v)) => self.id = v,
            ("name", Typed::Text(v)) => self.filled.name = Some(v),
            ("factsNote", Typed::Text(v)) => self.facts_note = Some(v),
            ("source", Typed::Text(v)) => self.source = Some(v),
            ("reasoning", Typed::Flag(v)) => self.filled.reasoning = Some(v),
            ("supportsTools", Typed::Flag(v)) => self.filled.supports_tools = Some(v),
            ("supportsStructuredOutput", Typed::Flag(v)) => {
                self.filled.supports_structured_output = Some(v)
            }
            ("contextWindow", Typed::Count(v)) => self.filled.context_window = Some(v),
            ("maxTokens", Typed::Count(v)) => self.filled.max_tokens = Some(v),
            ("input", Typed::Names(v)) => self.filled.input = Some(v),
            ("cost", Typed::Cost(v)) => self.filled.cost = Some(v),
            ("providers", Typed::Providers(v)) => self.providers = v,
            _ => return false,
        }
        true
    }

    /// The parts of a persisted row a user may have set (id, filled fields, extra keys),
    /// without the regenerated ones.
    pub fn user_part(raw: &RawValue) -> Option<Row> {
        let mut deserializer = serde_json::Deserializer::from_str(raw.get());
        deserializer.deserialize_map(RowVisitor::<true>).ok()
    }

    /// A row from a JSON object (a configured entry).
    pub fn from_object(object: &Map<String, Value>) -> Self {
        let mut row = Row::default();
        for (key, value) in object {
            row.set_value(key.clone(), value.clone());
        }
        row
    }

    /// A model as a row tagged with where it came from: OpenClaw's row, plus what the host
    /// keeps beyond it.
    pub fn from_model(model: &ModelInfo, source: &str) -> Self {
        let row = ModelRow::from(model);
        Row {
            id: row.id.to_owned(),
            filled: Filled {
                name: Some(row.name.to_owned()),
                reasoning: Some(row.reasoning),
                input: Some(row.input.into_iter().map(str::to_owned).collect()),
                context_window: Some(row.context_window),
                max_tokens: Some(row.max_tokens),
                cost: Some(row.cost),
                supports_tools: model.supports_tools.known(),
                supports_structured_output: model.supports_structured_output.known(),
            },
            providers: model.providers.iter().map(ProviderRow::from).collect(),
            facts_note: (!model.facts_note.is_empty()).then(|| model.facts_note.to_string()),
            source: Some(source.to_owned()),
            extra: Map::new(),
            snapshot: Snapshot::Same,
        }
    }

    /// The row as a model; unset fields take `defaults`' values.
    pub fn to_model(&self, defaults: &ModelInfo) -> ModelInfo {
        let filled = &self.filled;
        ModelInfo {
            id: if self.id.is_empty() {
                defaults.id.clone()
            } else {
                self.id.as_str().into()
            },
            name: filled
                .name
                .as_deref()
                .map(RString::from)
                .unwrap_or_else(|| defaults.name.clone()),
            reasoning: filled.reasoning.unwrap_or(defaults.reasoning),
            input: filled
                .input
                .as_ref()
                .map(|names| {
                    names
                        .iter()
                        .filter_map(|name| Modalities::from_name(name))
                        .fold(Modalities(0), Modalities::with)
                })
                .filter(|set| set.0 != 0)
                .unwrap_or(defaults.input),
            context_window: filled.context_window.unwrap_or(defaults.context_window),
            max_tokens: filled.max_tokens.unwrap_or(defaults.max_tokens),
            cost: filled
                .cost
                .map(|c| ModelCost {
                    input: c.input,
                    output: c.output,
                    cache_read: c.cache_read,
                    cache_write: c.cache_write,
                })
                .unwrap_or(defaults.cost),
            supports_tools: filled
                .supports_tools
                .map(|known| Tristate::from(Some(known)))
                .unwrap_or(defaults.supports_tools),
            supports_structured_output: filled
                .supports_structured_output
                .map(|known| Tristate::from(Some(known)))
                .unwrap_or(defaults.supports_structured_output),
            providers: if self.providers.is_empty() {
                defaults.providers.clone()
            } else {
                self.providers
                    .iter()
                    .map(|row| row.to_model_provider("unknown"))
                    .collect::<RVec<_>>()
            },
            facts_note: self
                .facts_note
                .as_deref()
                .map(RString::from)
                .unwrap_or_else(|| defaults.facts_note.clone()),
            extra_json: defaults.extra_json.clone(),
        }
    }

    /// A string-valued extra key (`alias`).
    pub fn extra_text(&self, key: &str) -> Option<&str> {
        self.extra
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }
}

/// The type a known key must hold.
#[derive(Clone, Copy)]
enum Source {
    Text,
    Flag,
    Count,
    Names,
    Cost,
    Providers,
}

/// A known key's value, typed.
enum Typed {
    Text(String),
    Flag(bool),
    Count(u64),
    Names(Vec<String>),
    Cost(Cost),
    Providers(Vec<ProviderRow>),
}

impl Source {
    fn read_raw(self, raw: &RawValue) -> Option<Typed> {
        let text = raw.get();
        Some(match self {
            Self::Text => Typed::Text(serde_json::from_str(text).ok()?),
            Self::Flag => Typed::Flag(serde_json::from_str(text).ok()?),
            Self::Count => Typed::Count(serde_json::from_str(text).ok()?),
            Self::Names => Typed::Names(serde_json::from_str(text).ok()?),
            Self::Cost => Typed::Cost(serde_json::from_str(text).ok()?),
            Self::Providers => Typed::Providers(serde_json::from_str(text).ok()?),
        })
    }

    fn read_value(self, value: &Value) -> Option<Typed> {
        Some(match self {
            Self::Text => Typed::Text(String::deserialize(value).ok()?),
            Self::Flag => Typed::Flag(bool::deserialize(value).ok()?),
            Self::Count => Typed::Count(u64::deserialize(value).ok()?),
            Self::Names => Typed::Names(Vec::deserialize(value).ok()?),
            Self::Cost => Typed::Cost(Cost::deserialize(value).ok()?),
            Self::Providers => Typed::Providers(Vec::deserialize(value).ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openclaw_provider_abi::{ModelProvider, abi_stable::std_types::ROption};
    use serde_json::json;

    fn model() -> ModelInfo {
        ModelInfo {
            id: "org/m".into(),
            name: "M".into(),
            reasoning: true,
            input: Modalities::TEXT.with(Modalities::IMAGE),
            context_window: 1000,
            max_tokens: 100,
            cost: ModelCost {
                input: 1.0,
                output: 2.0,
                cache_read: 0.5,
                cache_write: 1.0,
            },
            supports_tools: Tristate::NO,
            supports_structured_output: Tristate::UNKNOWN,
            providers: vec![ModelProvider {
                name: "p".into(),
                status: "live".into(),
                context_length: 900,
                input_price: ROption::RSome(1.0),
                output_price: ROption::RSome(2.0),
                supports_tools: Tristate::NO,
                supports_structured_output: Tristate::YES,
                throughput_tps: ROption::RSome(50.0),
                first_token_latency_ms: ROption::RNone,
                is_model_author: true,
                is_free: false,
            }]
            .into(),
            facts_note: "note".into(),
            extra_json: RString::new(),
        }
    }

    #[test]
    fn rows_round_trip_through_json() {
        let row = Row::from_model(&model(), "live");
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["input"], json!(["text", "image"]));
        assert_eq!(json["supportsTools"], false);
        assert!(json.get("supportsStructuredOutput").is_none());
        assert_eq!(json["contextWindow"], 1000);
        assert_eq!(json["providers"][0]["pricing"]["output"], 2.0);
        let back: Row = serde_json::from_str(&json.to_string()).unwrap();
        assert_eq!(back, row);
        assert_eq!(back.to_model(&model()), model());
    }

    #[test]
    fn mistyped_known_keys_become_extras_not_failures() {
        let text = json!({
            "id": "x", "contextWindow": "big", "alias": "short", "temperature": 0.2,
            "providers": [5]
        })
        .to_string();
        let row: Row = serde_json::from_str(&text).unwrap();
        let object = serde_json::from_str::<Value>(&text).unwrap();
        assert_eq!(Row::from_object(object.as_object().unwrap()), row);
        assert_eq!(row.filled.context_window, None);
        assert_eq!(row.extra["contextWindow"], "big");
        assert_eq!(row.extra_text("alias"), Some("short"));
        assert!(row.providers.is_empty());
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(
            json["contextWindow"], "big",
            "written back as the user wrote it"
        );
        assert_eq!(row.to_model(&model()).context_window, 1000);
    }
}
