//! What a turn cost: its tokens at the list prices of the upstream that served it (the router
//! names it in `x-inference-provider`), from the model's upstreams as the host or the kept
//! catalog lists them. A model's upstreams charge different prices, so one price per model
//! would not match the bill; where the serving upstream's prices are not known, there is no
//! figure and the host falls back to its own.

use openclaw_provider_abi::{
    ModelProvider,
    documents::{TurnCost, Usage},
};

/// Tokens per price unit: prices are per million tokens.
const PER: f64 = 1e6;

/// The cost of `usage` at `serving`'s prices among `upstreams`, when all three are known.
pub fn turn_cost(
    upstreams: &[ModelProvider],
    serving: Option<&str>,
    usage: Option<&Usage>,
) -> Option<TurnCost> {
    let (serving, usage) = (serving?, usage?);
    let upstream = upstreams
        .iter()
        .find(|upstream| upstream.name.as_str().eq_ignore_ascii_case(serving))?;
    // The prices as the catalog's `:<upstream>` rows show them.
    let prices = crate::catalog::policy::provider_cost(upstream)?;
    let sane = |price: f64| (price.is_finite() && price >= 0.0).then_some(price);
    let input = usage.prompt_tokens as f64 * sane(prices.input)? / PER;
    let output = usage.completion_tokens as f64 * sane(prices.output)? / PER;
    Some(TurnCost {
        upstream: upstream.name.to_string(),
        currency: "USD".into(),
        input,
        output,
        total: input + output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::policy::tests::provider;
    use openclaw_provider_abi::abi_stable::std_types::ROption;

    fn upstream(name: &str, input: Option<f64>, output: Option<f64>) -> ModelProvider {
        ModelProvider {
            input_price: input.into(),
            ..provider(name, None, output)
        }
    }

    #[test]
    fn the_serving_upstreams_prices_are_applied() {
        let upstreams = [
            upstream("novita", Some(0.5), Some(2.0)),
            upstream("together", Some(1.0), Some(3.0)),
        ];
        let usage = Usage {
            prompt_tokens: 2_000,
            completion_tokens: 500,
            total_tokens: 2_500,
            ..Usage::default()
        };
        let cost = turn_cost(&upstreams, Some("together"), Some(&usage)).expect("a cost");
        assert_eq!(cost.upstream, "together");
        assert!((cost.input - 0.002).abs() < 1e-12);
        assert!((cost.output - 0.0015).abs() < 1e-12);
        assert!((cost.total - 0.0035).abs() < 1e-12);
        let cheaper = turn_cost(&upstreams, Some("novita"), Some(&usage)).expect("a cost");
        assert!(cheaper.total < cost.total);
    }

    #[test]
    fn no_figure_without_the_upstream_its_prices_or_the_usage() {
        let usage = Usage::default();
        let priced = [upstream("together", Some(1.0), Some(3.0))];
        assert_eq!(turn_cost(&priced, Some("novita"), Some(&usage)), None);
        assert_eq!(turn_cost(&priced, None, Some(&usage)), None);
        assert_eq!(turn_cost(&priced, Some("together"), None), None);
        let unpriced = [upstream("together", Some(1.0), None)];
        assert_eq!(turn_cost(&unpriced, Some("together"), Some(&usage)), None);
        let negative = [ModelProvider {
            input_price: ROption::RSome(-1.0),
            ..upstream("together", None, Some(3.0))
        }];
        // An upstream that publishes only an output price is charged it for input too, as
        // its catalog row shows.
        let output_only = [upstream("together", None, Some(3.0))];
        let cost = turn_cost(
            &output_only,
            Some("together"),
            Some(&Usage {
                prompt_tokens: 1_000_000,
                ..Usage::default()
            }),
        );
        assert_eq!(cost.map(|c| c.input), Some(3.0));
        assert_eq!(turn_cost(&negative, Some("together"), Some(&usage)), None);
    }
}
