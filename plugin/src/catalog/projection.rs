//! From `/v1/models` rows to catalog entries.
//!
//! OpenClaw's rules, kept exactly: rows without a usable string id are skipped (ids trimmed);
//! the first of duplicate ids wins; response order is kept; upstreams whose `status` is
//! `"error"` are ignored; the context window is the smallest positive `context_length` among the
//! remaining upstreams (else the built-in or default 131072); tools are unsupported if any
//! remaining upstream says `supports_tools: false`; image input when
//! `architecture.input_modalities` contains `"image"`; a row whose id is built in keeps the
//! built-in name, cost, reasoning flag and output limit. Names come from the API's `name`,
//! `title` or `display_name`, else are derived from the id.
//!
//! Beyond OpenClaw: every upstream is kept with its figures (status, context, price, tools,
//! structured output, throughput, latency), and a discovered model's cost is the live price of
//! the upstream the router's default policy (`:fastest`) is expected to pick.

use std::{borrow::Cow, collections::HashSet};

use openclaw_provider_abi::{
    Modalities, ModelCost, ModelInfo, ModelProvider, Tristate,
    abi_stable::std_types::{RString, RVec},
};

use super::{
    builtin::{DEFAULT_CONTEXT_WINDOW, DEFAULT_MAX_TOKENS, builtin},
    policy::{is_live, pick_cheapest, pick_fastest, provider_cost},
    wire::{WireModel, WireProvider},
};

/// Projects parsed rows into catalog entries, in response order.
pub fn project(rows: &[WireModel<'_>]) -> Vec<ModelInfo> {
    let mut projector = Projector::default();
    for row in rows {
        projector.push(row);
    }
    projector.finish()
}

/// Projects rows one at a time, as they are parsed.
#[derive(Default)]
pub struct Projector<'a> {
    seen: HashSet<Cow<'a, str>>,
    models: Vec<ModelInfo>,
}

impl<'a> Projector<'a> {
    /// Adds a row, unless its id is unusable or already seen (the first duplicate wins).
    pub fn push(&mut self, row: &WireModel<'a>) {
        let id: Cow<'a, str> = match &row.id {
            Some(Cow::Borrowed(id)) => Cow::Borrowed(trim_js(id)),
            Some(Cow::Owned(id)) => Cow::Owned(trim_js(id).to_owned()),
            None => return,
        };
        if id.is_empty() || self.seen.contains(&id) {
            return;
        }
        self.models.push(project_row(&id, row));
        self.seen.insert(id);
    }

    /// The entries, in the order their rows came.
    pub fn finish(self) -> Vec<ModelInfo> {
        self.models
    }
}

fn project_row(id: &str, row: &WireModel<'_>) -> ModelInfo {
    let providers: RVec<ModelProvider> = row
        .providers
        .iter()
        .filter(|p| {
            p.provider
                .as_deref()
                .is_some_and(|name| !name.trim().is_empty())
        })
        .map(to_model_provider)
        .collect();
    // Capabilities come from every live upstream entry, named or not (OpenClaw's rule).
    let live = || {
        row.providers
            .iter()
            .filter(|p| p.status.as_deref() != Some("error"))
    };
    let min_context = live()
        .filter_map(|p| p.context_length)
        .filter(|length| length.is_finite() && *length > 0.0)
        .min_by(f64::total_cmp)
        // `as` saturates (1e300 becomes u64::MAX) and never panics; a positive fraction is
        // still a window of at least one token, never zero.
        .map(|length| (length as u64).max(1));
    let tools = capability(live().map(|p| p.supports_tools));
    let structured = capability(live().map(|p| p.supports_structured_output));

    // The note is built from a few fixed pieces into one exactly sized string: thousands of
    // rows make small allocations and spare capacity add up.
    let known = builtin(id);
    let mut pieces: [&str; 6] = [""; 6];
    let mut count = 0;
    let mut add = |piece: &'static str| {
        pieces[count] = piece;
        count += 1;
    };
    let mut model = match known {
        Some(known) => {
            let mut model = known.to_model_info();
            add(known.note);
            model.providers = providers;
            model
        }
        None => {
            let (name, derived) = display_name(row, id);
            if derived {
                add("name derived from the id");
            }
            add("reasoning guessed from the id; max tokens a default");
            let (cost, cost_note) = live_cost(&providers);
            add(cost_note);
            ModelInfo {
                id: id.into(),
                name: name.into(),
                reasoning: reasoning_heuristic(id),
                input: if row.image_input {
                    Modalities::TEXT.with(Modalities::IMAGE)
                } else {
                    Modalities::TEXT
                },
                context_window: DEFAULT_CONTEXT_WINDOW,
                max_tokens: DEFAULT_MAX_TOKENS,
                cost,
                supports_tools: Tristate::UNKNOWN,
                supports_structured_output: Tristate::UNKNOWN,
                providers,
                facts_note: RString::new(),
                extra_json: RString::new(),
            }
        }
    };
    match min_context {
        Some(context) => {
            model.context_window = context;
            add("context the smallest live window");
        }
        None if known.is_none() => add("context a default"),
        None => {}
    }
    let note = pieces[..count].join("; ");
    model.supports_tools = tools;
    model.supports_structured_output = structured;
    model.facts_note = note.into();
    model
}

/// `NO` if any upstream says no, else `YES` if any says yes, else unknown.
fn capability(flags: impl Iterator<Item = Option<bool>>) -> Tristate {
    let mut answer = Tristate::UNKNOWN;
    for flag in flags {
        match flag {
            Some(false) => return Tristate::NO,
            Some(true) => answer = Tristate::YES,
            None => {}
        }
    }
    answer
}

fn to_model_provider(entry: &WireProvider<'_>) -> ModelProvider {
    let positive = |value: Option<f64>| value.filter(|v| v.is_finite() && *v >= 0.0);
    ModelProvider {
        name: entry.provider.as_deref().unwrap_or_default().trim().into(),
        status: entry.status.as_deref().unwrap_or("unknown").into(),
        context_length: entry
            .context_length
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(|v| (v as u64).max(1))
            .unwrap_or(0),
        input_price: positive(entry.input_price).into(),
        output_price: positive(entry.output_price).into(),
        supports_tools: entry.supports_tools.into(),
        supports_structured_output: entry.supports_structured_output.into(),
        throughput_tps: positive(entry.throughput).into(),
        first_token_latency_ms: positive(entry.first_token_latency_ms).into(),
        is_model_author: entry.is_model_author.unwrap_or(false),
        is_free: entry.is_free.unwrap_or(false),
    }
}

/// The price of the upstream the default policy is expected to pick (else the cheapest quoted),
/// and a note saying which it is. (The upstream's name is in the row's provider list.)
fn live_cost(providers: &[ModelProvider]) -> (ModelCost, &'static str) {
    if let Some(cost) = pick_fastest(providers).and_then(provider_cost) {
        (
            cost,
            "cost the fastest live upstream's price, cache prices equal to input",
        )
    } else if let Some(cost) = pick_cheapest(providers).and_then(provider_cost) {
        (
            cost,
            "cost the cheapest live upstream's price, cache prices equal to input",
        )
    } else if providers.iter().any(is_live) {
        (
            ModelCost::default(),
            "cost unknown: no live upstream reported a price",
        )
    } else {
        (ModelCost::default(), "cost unknown: no live upstream")
    }
}

/// The display name: the API's `name`, `title` or `display_name`, else derived from the id.
/// Returns whether it was derived.
pub fn display_name(row: &WireModel<'_>, id: &str) -> (String, bool) {
    [&row.name, &row.title, &row.display_name]
        .into_iter()
        .filter_map(|field| field.as_deref().map(trim_js))
        .find(|name| !name.is_empty())
        .map(|name| (name.to_owned(), false))
        .unwrap_or_else(|| (name_from_id(id), true))
}

/// The last path segment of the id, `-` and `_` as spaces, each word's first letter upper-cased:
/// `deepseek-ai/DeepSeek-R1` → "DeepSeek R1".
pub fn name_from_id(id: &str) -> String {
    let base = id.rsplit('/').next().unwrap_or(id);
    let mut name = String::with_capacity(base.len());
    for word in base.split(['-', '_']).filter(|word| !word.is_empty()) {
        if !name.is_empty() {
            name.push(' ');
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

/// OpenClaw's guess for discovered models: the lower-cased id contains `r1`, `reason`,
/// `thinking`, `reasoner`, `grok` or `qwq`.
pub fn reasoning_heuristic(id: &str) -> bool {
    // The needles are ASCII, so an ASCII case-insensitive search finds what lower-casing would.
    let id = id.as_bytes();
    ["r1", "reason", "thinking", "reasoner", "grok", "qwq"]
        .iter()
        .any(|needle| {
            id.windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
        })
}

/// Trims like JavaScript's `String.prototype.trim` (Unicode white space and U+FEFF).
pub fn trim_js(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::wire::parse_model_list;

    fn project_json(json: serde_json::Value) -> Vec<ModelInfo> {
        let body = serde_json::json!({"object": "list", "data": json}).to_string();
        project(&parse_model_list(body.as_bytes()).unwrap())
    }

    fn one(row: serde_json::Value) -> ModelInfo {
        project_json(serde_json::json!([row])).remove(0)
    }

    fn providers(list: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"id": "org/custom-model", "providers": list})
    }

    // OpenClaw checklist 30: ids in order, no others.
    #[test]
    fn keeps_response_order_and_only_listed_ids() {
        let models =
            project_json(serde_json::json!([{"id": "custom-model-a"}, {"id": "custom-model-b"}]));
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["custom-model-a", "custom-model-b"]);
    }

    #[test]
    fn skips_unusable_ids_trims_and_keeps_the_first_duplicate() {
        let models = project_json(serde_json::json!([
            {"id": "  \u{feff}a/first  ", "name": "First"},
            {"id": ""}, {"id": "   "}, {"id": null}, {"name": "no id"},
            {"id": "a/first", "name": "Second"},
            {"id": "b/other"}
        ]));
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a/first", "b/other"]);
        assert_eq!(models[0].name.as_str(), "First");
    }

    // OpenClaw checklist 5: built-in metadata wins except the context window.
    #[test]
    fn builtin_rows_keep_their_metadata_but_take_the_live_context() {
        let model = one(serde_json::json!({
            "id": "deepseek-ai/DeepSeek-R1", "name": "Upstream Name",
            "architecture": {"input_modalities": ["text", "image"]},
            "providers": [{"provider": "together", "status": "live", "context_length": 64000, "supports_tools": true}]
        }));
        let builtin = builtin("deepseek-ai/DeepSeek-R1").unwrap().to_model_info();
        assert_eq!(model.name, builtin.name);
        assert_eq!(model.cost, builtin.cost);
        assert_eq!(model.reasoning, builtin.reasoning);
        assert_eq!(model.max_tokens, builtin.max_tokens);
        assert_eq!(model.input, builtin.input);
        assert_eq!(model.context_window, 64000);
        assert_eq!(model.supports_tools, Tristate::YES);
        assert_eq!(model.providers.len(), 1);
    }

    // OpenClaw checklist 6.
    #[test]
    fn context_is_the_minimum_over_live_upstreams_in_any_order() {
        let ctx = |list| one(providers(list)).context_window;
        assert_eq!(
            ctx(serde_json::json!([{"context_length": 1010000}, {"context_length": 262144}])),
            262144
        );
        assert_eq!(
            ctx(serde_json::json!([{"context_length": 262144}, {"context_length": 1010000}])),
            262144
        );
        let r1 = one(
            serde_json::json!({"id": "deepseek-ai/DeepSeek-R1", "providers": [
            {"status": "error", "context_length": 16000}, {"context_length": 96000},
            {"context_length": 0}, {"context_length": 64000}]}),
        );
        assert_eq!(r1.context_window, 64000);
        // Strings, zero, negatives are ignored.
        assert_eq!(
            ctx(serde_json::json!([{"context_length": "9"}, {"context_length": -5}])),
            131072
        );
    }

    // OpenClaw checklist 7-15.
    #[test]
    fn tools_are_off_when_any_live_upstream_says_so() {
        let tools = |list| {
            let model = one(providers(list));
            (model.context_window, model.supports_tools)
        };
        let model = one(
            serde_json::json!({"id": "org/vision", "architecture": {"input_modalities": ["text", "image"]},
            "providers": [{"context_length": 96000, "supports_tools": false}, {"context_length": 64000, "supports_tools": false}]}),
        );
        assert!(model.input.contains(Modalities::IMAGE));
        assert_eq!(
            (model.context_window, model.supports_tools),
            (64000, Tristate::NO)
        );
        assert_eq!(
            tools(serde_json::json!([{"supports_tools": false}, {"supports_tools": true}])),
            (131072, Tristate::NO)
        );
        assert_eq!(
            tools(serde_json::json!([{"supports_tools": true}, {"supports_tools": false}])).1,
            Tristate::NO
        );
        assert_eq!(
            tools(serde_json::json!([{"supports_tools": false}, {"context_length": 48000}])),
            (48000, Tristate::NO)
        );
        assert_eq!(
            tools(
                serde_json::json!([{"status": "error", "context_length": 262144, "supports_tools": true},
                                     {"status": "live", "context_length": 32000, "supports_tools": false}])
            ),
            (32000, Tristate::NO)
        );
        assert_eq!(
            tools(
                serde_json::json!([{"status": "error", "supports_tools": false}, {"status": "live", "supports_tools": true}])
            ),
            (131072, Tristate::YES)
        );
        assert_eq!(
            one(serde_json::json!({"id": "x/no-providers"})).supports_tools,
            Tristate::UNKNOWN
        );
        assert_eq!(tools(serde_json::json!([{}])), (131072, Tristate::UNKNOWN));
        assert_eq!(
            tools(serde_json::json!([{"supports_tools": true}])).1,
            Tristate::YES
        );
    }

    #[test]
    fn image_input_only_from_an_array() {
        let image = |arch| one(serde_json::json!({"id": "a/b", "architecture": arch})).input;
        assert_eq!(
            image(serde_json::json!({"input_modalities": ["text", "image"]})),
            Modalities::TEXT.with(Modalities::IMAGE)
        );
        assert_eq!(
            image(serde_json::json!({"input_modalities": "image"})),
            Modalities::TEXT
        );
        assert_eq!(image(serde_json::json!(null)), Modalities::TEXT);
    }

    #[test]
    fn names_come_from_the_api_or_the_id() {
        assert_eq!(name_from_id("deepseek-ai/DeepSeek-R1"), "DeepSeek R1");
        assert_eq!(name_from_id("zai-org/glm-4.5-air"), "Glm 4.5 Air");
        assert_eq!(
            name_from_id("nvidia/Llama-3_1-Nemotron-Ultra-253B-v1"),
            "Llama 3 1 Nemotron Ultra 253B V1"
        );
        assert_eq!(name_from_id("a/b/c-d_e"), "C D E");
        assert_eq!(name_from_id("single"), "Single");
        assert_eq!(name_from_id("org/élan-model"), "Élan Model");
        let name = |row| one(row).name.to_string();
        assert_eq!(
            name(serde_json::json!({"id": "x/y", "name": "   ", "display_name": "QwQ"})),
            "QwQ"
        );
        assert_eq!(
            name(serde_json::json!({"id": "x/y", "title": " Title "})),
            "Title"
        );
        assert_eq!(
            name(serde_json::json!({"id": "Qwen/Qwen3-8B-Custom", "owned_by": "Qwen"})),
            "Qwen3 8B Custom"
        );
    }

    #[test]
    fn discovered_rows_get_defaults_a_guess_and_a_live_price() {
        let model = one(
            serde_json::json!({"id": "org/thinking-model-r1", "providers": [
                {"provider": "slow", "status": "live", "throughput": 10, "pricing": {"input": 1, "output": 2}},
                {"provider": "fast", "status": "live", "throughput": 90, "pricing": {"input": 3, "output": 6}, "first_token_latency_ms": 200},
                {"provider": "down", "status": "error", "throughput": 900, "pricing": {"input": 0.1, "output": 0.1}}
            ]}),
        );
        assert!(model.reasoning);
        assert_eq!(model.max_tokens, 8192);
        assert_eq!(
            (model.cost.input, model.cost.output, model.cost.cache_read),
            (3.0, 6.0, 3.0)
        );
        assert!(
            model.facts_note.contains("fastest live upstream"),
            "{}",
            model.facts_note
        );
        assert_eq!(model.providers.len(), 3);
        assert_eq!(model.providers[2].status.as_str(), "error");
        let unpriced =
            one(serde_json::json!({"id": "org/plain", "providers": [{"provider": "p"}]}));
        assert_eq!(unpriced.cost, ModelCost::default());
        assert!(unpriced.facts_note.contains("cost unknown"));
        assert!(!reasoning_heuristic("meta-llama/Llama-3.3-70B-Instruct"));
        assert!(reasoning_heuristic("Qwen/QwQ-32B"));
    }
}
