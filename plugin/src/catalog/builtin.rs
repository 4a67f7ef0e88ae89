//! The built-in catalog: the models the seed document lists, plus DeepSeek V3.1, with metadata
//! that is always available without a network. Live discovery replaces the list when it can;
//! rows it returns for these ids keep the name, cost, reasoning flag and output limit from here.
//!
//! Where a figure is not a published fact it says so in the row's `note` (it becomes
//! `ModelInfo::facts_note`). The manifest's `modelCatalog` repeats these rows for hosts that read
//! it without loading the library; a test keeps the two equal.

use openclaw_provider_abi::{
    Modalities, ModelCost, ModelInfo, Tristate, abi_stable::std_types::RVec,
};

/// One built-in model.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinModel {
    pub id: &'static str,
    pub name: &'static str,
    pub reasoning: bool,
    pub image_input: bool,
    pub context_window: u64,
    pub max_tokens: u64,
    /// USD per million tokens: input, output, cache read, cache write.
    pub cost: [f64; 4],
    /// Which figures are not published facts.
    pub note: &'static str,
}

/// Context window used when nothing better is known (OpenClaw's default too).
pub const DEFAULT_CONTEXT_WINDOW: u64 = 131_072;
/// Output limit used when nothing better is known (OpenClaw's default too).
pub const DEFAULT_MAX_TOKENS: u64 = 8_192;

/// The built-in models, in the order a picker shows them (the default model first).
pub const BUILTIN_MODELS: [BuiltinModel; 11] = [
    BuiltinModel {
        id: "deepseek-ai/DeepSeek-R1",
        name: "DeepSeek R1",
        reasoning: true,
        image_input: false,
        context_window: 131_072,
        max_tokens: 8_192,
        cost: [3.0, 7.0, 3.0, 3.0],
        note: "cost is OpenClaw's figure (an upstream list price; cache prices are not published \
               and equal the input price); max tokens is a default, not a published limit",
    },
    BuiltinModel {
        id: "deepseek-ai/DeepSeek-V3.1",
        name: "DeepSeek V3.1",
        reasoning: false,
        image_input: false,
        context_window: 131_072,
        max_tokens: 8_192,
        cost: [0.6, 1.25, 0.6, 0.6],
        note: "cost is OpenClaw's figure (cache prices are not published and equal the input \
               price); max tokens is a default, not a published limit",
    },
    BuiltinModel {
        id: "deepseek-ai/DeepSeek-V3.2",
        name: "DeepSeek V3.2",
        reasoning: false,
        image_input: false,
        context_window: 131_072,
        max_tokens: 8_192,
        cost: [0.28, 0.42, 0.028, 0.28],
        note: "cost is an estimate from DeepSeek's own API prices (upstreams on the router \
               differ); max tokens is a default, not a published limit",
    },
    BuiltinModel {
        id: "Qwen/Qwen3-8B",
        name: "Qwen3 8B",
        reasoning: true,
        image_input: false,
        context_window: 40_960,
        max_tokens: 8_192,
        cost: [0.035, 0.138, 0.035, 0.035],
        note: "cost is an estimate from one upstream's list price; context is the model's \
               configured window; max tokens is a default, not a published limit",
    },
    BuiltinModel {
        id: "Qwen/Qwen2.5-7B-Instruct",
        name: "Qwen2.5 7B Instruct",
        reasoning: false,
        image_input: false,
        context_window: 32_768,
        max_tokens: 8_192,
        cost: [0.3, 0.3, 0.3, 0.3],
        note: "cost is an estimate from one upstream's list price; max tokens is a default, not \
               a published limit",
    },
    BuiltinModel {
        id: "Qwen/Qwen3-32B",
        name: "Qwen3 32B",
        reasoning: true,
        image_input: false,
        context_window: 40_960,
        max_tokens: 8_192,
        cost: [0.29, 0.59, 0.29, 0.29],
        note: "cost is an estimate from one upstream's list price; context is the model's \
               configured window; max tokens is a default, not a published limit",
    },
    BuiltinModel {
        id: "meta-llama/Llama-3.3-70B-Instruct",
        name: "Llama 3.3 70B Instruct",
        reasoning: false,
        image_input: false,
        context_window: 131_072,
        max_tokens: 8_192,
        cost: [0.88, 0.88, 0.88, 0.88],
        note: "cost is an estimate (the figure OpenClaw used for the Turbo variant); max tokens \
               is a default, not a published limit",
    },
    BuiltinModel {
        id: "meta-llama/Llama-3.1-8B-Instruct",
        name: "Llama 3.1 8B Instruct",
        reasoning: false,
        image_input: false,
        context_window: 131_072,
        max_tokens: 8_192,
        cost: [0.18, 0.18, 0.18, 0.18],
        note: "cost is an estimate from one upstream's list price; max tokens is a default, not \
               a published limit",
    },
    BuiltinModel {
        id: "openai/gpt-oss-120b",
        name: "GPT-OSS 120B",
        reasoning: true,
        image_input: false,
        context_window: 131_072,
        max_tokens: 8_192,
        cost: [0.15, 0.6, 0.15, 0.15],
        note: "cost is an estimate from one upstream's list price (OpenClaw lists 0); OpenClaw \
               marks it non-reasoning, but it is a reasoning model; max tokens is a default, \
               not a published limit",
    },
    BuiltinModel {
        id: "zai-org/GLM-4.7",
        name: "GLM 4.7",
        reasoning: true,
        image_input: false,
        context_window: 202_752,
        max_tokens: 8_192,
        cost: [0.6, 2.2, 0.11, 0.6],
        note: "cost is an estimate from Z.ai's own API prices; context is an estimate; max \
               tokens is a default, not a published limit",
    },
    BuiltinModel {
        id: "moonshotai/Kimi-K2.5",
        name: "Kimi K2.5",
        reasoning: true,
        image_input: true,
        context_window: 262_144,
        max_tokens: 8_192,
        cost: [0.6, 3.0, 0.1, 0.6],
        note: "cost is an estimate from Moonshot's own API prices; max tokens is a default, not \
               a published limit",
    },
];

/// The built-in row for an id, if any (exact match: router ids are case-sensitive).
pub fn builtin(id: &str) -> Option<&'static BuiltinModel> {
    BUILTIN_MODELS.iter().find(|model| model.id == id)
}

impl BuiltinModel {
    pub fn input(&self) -> Modalities {
        if self.image_input {
            Modalities::TEXT.with(Modalities::IMAGE)
        } else {
            Modalities::TEXT
        }
    }

    pub fn model_cost(&self) -> ModelCost {
        let [input, output, cache_read, cache_write] = self.cost;
        ModelCost {
            input,
            output,
            cache_read,
            cache_write,
        }
    }

    /// The row as the ABI carries it.
    pub fn to_model_info(&self) -> ModelInfo {
        ModelInfo {
            id: self.id.into(),
            name: self.name.into(),
            reasoning: self.reasoning,
            input: self.input(),
            context_window: self.context_window,
            max_tokens: self.max_tokens,
            cost: self.model_cost(),
            supports_tools: Tristate::UNKNOWN,
            supports_structured_output: Tristate::UNKNOWN,
            providers: RVec::new(),
            facts_note: self.note.into(),
            extra_json: Default::default(),
        }
    }
}

/// The whole built-in catalog as ABI rows.
pub fn builtin_catalog() -> Vec<ModelInfo> {
    BUILTIN_MODELS
        .iter()
        .map(BuiltinModel::to_model_info)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_models_and_openclaw_rows_are_present() {
        for id in [
            "deepseek-ai/DeepSeek-R1",
            "deepseek-ai/DeepSeek-V3.2",
            "Qwen/Qwen3-8B",
            "Qwen/Qwen2.5-7B-Instruct",
            "Qwen/Qwen3-32B",
            "meta-llama/Llama-3.3-70B-Instruct",
            "meta-llama/Llama-3.1-8B-Instruct",
            "openai/gpt-oss-120b",
            "zai-org/GLM-4.7",
            "moonshotai/Kimi-K2.5",
            "deepseek-ai/DeepSeek-V3.1",
        ] {
            assert!(builtin(id).is_some(), "{id}");
        }
        let r1 = builtin("deepseek-ai/DeepSeek-R1").unwrap();
        assert!(r1.reasoning);
        assert_eq!((r1.context_window, r1.max_tokens), (131_072, 8_192));
        assert_eq!(r1.cost, [3.0, 7.0, 3.0, 3.0]);
        assert_eq!(
            builtin("deepseek-ai/DeepSeek-V3.1").unwrap().cost,
            [0.6, 1.25, 0.6, 0.6]
        );
        assert!(builtin("meta-llama/Llama-3.3-70B-Instruct-Turbo").is_none());
        assert_eq!(BUILTIN_MODELS[0].id, "deepseek-ai/DeepSeek-R1");
    }
}
