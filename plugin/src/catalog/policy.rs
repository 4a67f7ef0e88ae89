//! Routing policies over a model's upstream providers: which one `:fastest` and `:cheapest`
//! would pick, and the metadata a ref pinned to one upstream should carry. The router makes the
//! real choice; these picks use the same published probe figures (`throughput`, `pricing`) to
//! predict it, so a policy ref gets that upstream's context window, tools support and price
//! instead of generic defaults.

use openclaw_provider_abi::{ModelCost, ModelInfo, ModelProvider, Tristate};

/// The router's policies besides pinning a provider.
pub const POLICIES: [&str; 3] = ["fastest", "cheapest", "preferred"];

/// Whether an upstream is usable (its last health check did not fail).
pub fn is_live(provider: &ModelProvider) -> bool {
    provider.status.as_str() != "error"
}

/// The live upstream with the highest throughput (ties: the lower first-token latency).
pub fn pick_fastest(providers: &[ModelProvider]) -> Option<&ModelProvider> {
    providers
        .iter()
        .filter(|p| is_live(p))
        .filter_map(|p| p.throughput_tps.into_option().map(|tps| (p, tps)))
        .max_by(|(a, a_tps), (b, b_tps)| {
            a_tps.total_cmp(b_tps).then_with(|| {
                let latency =
                    |p: &ModelProvider| p.first_token_latency_ms.into_option().unwrap_or(f64::MAX);
                latency(b).total_cmp(&latency(a))
            })
        })
        .map(|(p, _)| p)
}

/// The live upstream with the lowest output price (ties: the lower input price).
pub fn pick_cheapest(providers: &[ModelProvider]) -> Option<&ModelProvider> {
    providers
        .iter()
        .filter(|p| is_live(p))
        .filter_map(|p| p.output_price.into_option().map(|price| (p, price)))
        .min_by(|(a, a_out), (b, b_out)| {
            a_out.total_cmp(b_out).then_with(|| {
                let input = |p: &ModelProvider| p.input_price.into_option().unwrap_or(f64::MAX);
                input(a).total_cmp(&input(b))
            })
        })
        .map(|(p, _)| p)
}

/// The upstream a policy is expected to pick, if the figures tell.
pub fn pick<'a>(policy: &str, providers: &'a [ModelProvider]) -> Option<&'a ModelProvider> {
    match policy {
        "fastest" => pick_fastest(providers),
        "cheapest" => pick_cheapest(providers),
        "preferred" => None, // the user's order lives in their Hugging Face settings
        name => providers.iter().find(|p| p.name.as_str() == name),
    }
}

/// An upstream's price as a [`ModelCost`]; cache prices are not published and equal the input
/// price.
pub fn provider_cost(provider: &ModelProvider) -> Option<ModelCost> {
    let output = provider.output_price.into_option()?;
    let input = provider.input_price.into_option().unwrap_or(output);
    Some(ModelCost {
        input,
        output,
        cache_read: input,
        cache_write: input,
    })
}

/// `base` as served by one upstream: its context window (when it reports one), tools and
/// structured-output support, and price.
pub fn specialise(base: &ModelInfo, provider: &ModelProvider) -> ModelInfo {
    let mut model = base.clone();
    if provider.context_length > 0 {
        model.context_window = provider.context_length;
    }
    if provider.supports_tools != Tristate::UNKNOWN {
        model.supports_tools = provider.supports_tools;
    }
    if provider.supports_structured_output != Tristate::UNKNOWN {
        model.supports_structured_output = provider.supports_structured_output;
    }
    if let Some(cost) = provider_cost(provider) {
        model.cost = cost;
    }
    model
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use openclaw_provider_abi::abi_stable::std_types::ROption;

    pub fn provider(name: &str, tps: Option<f64>, out: Option<f64>) -> ModelProvider {
        ModelProvider {
            name: name.into(),
            status: "live".into(),
            context_length: 0,
            input_price: out.map(|o| o / 2.0).into(),
            output_price: out.into(),
            supports_tools: Tristate::UNKNOWN,
            supports_structured_output: Tristate::UNKNOWN,
            throughput_tps: tps.into(),
            first_token_latency_ms: ROption::RNone,
            is_model_author: false,
            is_free: false,
        }
    }

    #[test]
    fn picks_follow_the_published_figures() {
        let mut down = provider("down", Some(999.0), Some(0.01));
        down.status = "error".into();
        let providers = [
            provider("a", Some(40.0), Some(4.0)),
            provider("b", Some(90.0), Some(2.0)),
            provider("c", None, Some(1.0)),
            down,
        ];
        assert_eq!(pick_fastest(&providers).unwrap().name.as_str(), "b");
        assert_eq!(pick_cheapest(&providers).unwrap().name.as_str(), "c");
        assert_eq!(pick("a", &providers).unwrap().name.as_str(), "a");
        assert!(pick("preferred", &providers).is_none());
        assert!(pick("nobody", &providers).is_none());
        assert!(pick_fastest(&[provider("x", None, None)]).is_none());
        let cost = provider_cost(&providers[0]).unwrap();
        assert_eq!((cost.input, cost.output, cost.cache_read), (2.0, 4.0, 2.0));
    }
}
