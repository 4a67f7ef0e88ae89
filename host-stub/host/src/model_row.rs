//! A model in OpenClaw's model-row shape (`models.providers.<id>.models[]`): `id`, `name`,
//! `reasoning`, `input`, `contextWindow`, `maxTokens`, `cost`. The one projection of the ABI's
//! [`ModelInfo`] into that shape; hosts that keep more (upstreams, notes) add it beside.

use openclaw_provider_abi::ModelInfo;
use serde::{Deserialize, Serialize};

/// Price in USD per million tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Cost {
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
    pub cache_write: f64,
}

/// One model row.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub reasoning: bool,
    pub input: Vec<&'static str>,
    pub context_window: u64,
    pub max_tokens: u64,
    pub cost: Cost,
}

impl<'a> From<&'a ModelInfo> for ModelRow<'a> {
    fn from(model: &'a ModelInfo) -> Self {
        Self {
            id: model.id.as_str(),
            name: model.name.as_str(),
            reasoning: model.reasoning,
            input: model.input.names(),
            context_window: model.context_window,
            max_tokens: model.max_tokens,
            cost: Cost {
                input: model.cost.input,
                output: model.cost.output,
                cache_read: model.cost.cache_read,
                cache_write: model.cost.cache_write,
            },
        }
    }
}
