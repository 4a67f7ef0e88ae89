//! Model refs: `huggingface/<org>/<model>[:policy]`.
//!
//! The provider is the part before the first `/`; a duplicated `huggingface/` prefix is stripped
//! once; the id sent to the router is `<org>/<model>[:policy]` verbatim, never with the prefix.
//! Policies are `fastest`, `cheapest`, `preferred`, or an upstream's name (pinned). Ids the
//! catalog does not know are allowed — the router may serve them — with default metadata and a
//! warning naming up to three close ids ([`crate::suggest`]). A policy ref carries the metadata
//! of the upstream the policy is expected to pick.

use openclaw_provider_abi::{
    ErrorCode, Modalities, ModelCost, ModelInfo, ProviderError, ResolvedModel, Tristate,
    abi_stable::std_types::{RString, RVec},
};

use crate::{
    catalog::{
        builtin::{DEFAULT_CONTEXT_WINDOW, DEFAULT_MAX_TOKENS, builtin_catalog},
        policy::{self, POLICIES},
        projection::{name_from_id, reasoning_heuristic},
    },
    identity::PROVIDER_ID,
    outside_text::quote,
    suggest,
};

/// A parsed ref.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelRef {
    /// `<org>/<model>`.
    pub base: String,
    /// The routing policy after `:`, if any.
    pub policy: Option<String>,
}

impl ModelRef {
    /// The id sent to the router.
    pub fn wire_id(&self) -> String {
        match &self.policy {
            Some(policy) => format!("{}:{policy}", self.base),
            None => self.base.clone(),
        }
    }
}

fn strip_provider_prefix(text: &str) -> &str {
    let prefix = PROVIDER_ID.len() + 1;
    match text.get(..prefix) {
        Some(head) if head.eq_ignore_ascii_case("huggingface/") => &text[prefix..],
        _ => text,
    }
}

/// Parses a ref, with or without the `huggingface/` provider prefix.
pub fn parse(reference: &str) -> Result<ModelRef, ProviderError> {
    let invalid = |why: String| ProviderError::new(ErrorCode::INVALID_REQUEST, why);
    let trimmed = reference.trim();
    // The provider segment, then a duplicated prefix once (`huggingface/huggingface/x` → `x`).
    let model = strip_provider_prefix(strip_provider_prefix(trimmed));
    let (base, policy) = match model.split_once(':') {
        Some((base, policy)) => (base, Some(policy)),
        None => (model, None),
    };
    if base.is_empty() {
        return Err(invalid(format!(
            "{reference:?} names no model; refs look like huggingface/<org>/<model>[:policy]"
        )));
    }
    if base.chars().any(char::is_whitespace) {
        return Err(invalid(format!("model id {base:?} contains white space")));
    }
    if let Some(policy) = policy {
        let valid = policy
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && policy
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(invalid(format!(
                "{policy:?} is not a routing policy: use fastest, cheapest, preferred, or an \
                 inference provider's name (e.g. :together)"
            )));
        }
    }
    Ok(ModelRef {
        base: base.to_owned(),
        policy: policy.map(str::to_owned),
    })
}

/// Answers `resolve_ref` for a host: [`resolve`], after keeping the ids of the host's catalog for
/// the "did you mean" of later chat errors.
pub fn resolve_for_host(
    reference: &str,
    known: &[ModelInfo],
) -> Result<ResolvedModel, ProviderError> {
    suggest::remember_host_catalog(known);
    resolve(reference, known)
}

/// What the ref means and the metadata that applies, looked up in `known` (the host's merged
/// catalog; empty means the built-in one).
pub fn resolve(reference: &str, known: &[ModelInfo]) -> Result<ResolvedModel, ProviderError> {
    let parsed = parse(reference)?;
    let builtin;
    let known = if known.is_empty() {
        builtin = builtin_catalog();
        builtin.as_slice()
    } else {
        known
    };
    let mut warnings: Vec<String> = Vec::new();
    let entry = known.iter().find(|model| model.id.as_str() == parsed.base);
    let mut model = match entry {
        Some(entry) => entry.clone(),
        None => {
            // Catalog ids are outside text: quoted like any other before they reach a person.
            let near: Vec<String> = suggest::similar(
                &parsed.base,
                known
                    .iter()
                    .map(|model| model.id.as_str())
                    .filter(|id| !id.contains(':')),
            )
            .iter()
            .map(|id| quote(id, None))
            .collect();
            warnings.push(match near.as_slice() {
                [] => format!(
                    "{} is not in the catalog; sending it anyway with default metadata (the \
                     router may serve it; `models list --refresh` shows what it serves)",
                    parsed.base
                ),
                [only] => format!(
                    "{} is not in the catalog (did you mean {only}?); sending it anyway with \
                     default metadata",
                    parsed.base
                ),
                [init @ .., last] => format!(
                    "{} is not in the catalog (did you mean {} or {last}?); sending it anyway \
                     with default metadata",
                    parsed.base,
                    init.join(", ")
                ),
            });
            unknown_model(&parsed.base)
        }
    };
    let mut policy_provider = String::new();
    if let Some(policy_name) = &parsed.policy {
        match policy::pick(policy_name, &model.providers) {
            Some(picked) => {
                if !policy::is_live(picked) {
                    warnings.push(format!(
                        "{} failed its last health check for this model; the pinned request may \
                         fail",
                        picked.name
                    ));
                }
                policy_provider = picked.name.to_string();
                model = policy::specialise(&model, picked);
            }
            None if POLICIES.contains(&policy_name.as_str()) => {}
            None if entry.is_some() && !model.providers.is_empty() => warnings.push(format!(
                "no inference provider named {policy_name:?} serves {} (serving: {}); the router \
                 will refuse the request unless that changed",
                parsed.base,
                model
                    .providers
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => {}
        }
        model.name = format!("{} ({policy_name})", model.name).into();
        model.id = parsed.wire_id().into();
    }
    Ok(ResolvedModel {
        provider_id: PROVIDER_ID.into(),
        model_ref: format!("{PROVIDER_ID}/{}", parsed.wire_id()).into(),
        wire_model_id: parsed.wire_id().into(),
        base_model_id: parsed.base.as_str().into(),
        policy: parsed.policy.clone().unwrap_or_default().into(),
        policy_provider: policy_provider.into(),
        known: entry.is_some(),
        model,
        warnings: warnings.into_iter().map(RString::from).collect(),
    })
}

/// Default metadata for an id the catalog does not know.
fn unknown_model(id: &str) -> ModelInfo {
    ModelInfo {
        id: id.into(),
        name: name_from_id(id).into(),
        reasoning: reasoning_heuristic(id),
        input: Modalities::TEXT,
        context_window: DEFAULT_CONTEXT_WINDOW,
        max_tokens: DEFAULT_MAX_TOKENS,
        cost: ModelCost::default(),
        supports_tools: Tristate::UNKNOWN,
        supports_structured_output: Tristate::UNKNOWN,
        providers: RVec::new(),
        facts_note: "not in the catalog: every figure is a default".into(),
        extra_json: RString::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::policy::tests::provider;

    fn catalog() -> Vec<ModelInfo> {
        let mut r1 = crate::catalog::builtin::builtin("deepseek-ai/DeepSeek-R1")
            .unwrap()
            .to_model_info();
        let mut fast = provider("fast", Some(90.0), Some(8.0));
        fast.context_length = 64_000;
        fast.supports_tools = Tristate::YES;
        let mut cheap = provider("cheap", Some(10.0), Some(2.0));
        cheap.context_length = 32_000;
        cheap.supports_tools = Tristate::NO;
        r1.providers = vec![fast, cheap].into();
        vec![r1]
    }

    #[test]
    fn parses_prefixes_and_policies() {
        let cases = [
            (
                "huggingface/deepseek-ai/DeepSeek-R1",
                "deepseek-ai/DeepSeek-R1",
                None,
            ),
            (
                "HuggingFace/deepseek-ai/DeepSeek-R1:cheapest",
                "deepseek-ai/DeepSeek-R1",
                Some("cheapest"),
            ),
            (
                "huggingface/huggingface/Qwen/Qwen3-8B",
                "Qwen/Qwen3-8B",
                None,
            ),
            (
                "deepseek-ai/DeepSeek-R1:together",
                "deepseek-ai/DeepSeek-R1",
                Some("together"),
            ),
            (
                "  huggingface/org/m:fireworks-ai ",
                "org/m",
                Some("fireworks-ai"),
            ),
        ];
        for (input, base, policy) in cases {
            let parsed = parse(input).unwrap();
            assert_eq!(parsed.base, base, "{input}");
            assert_eq!(parsed.policy.as_deref(), policy, "{input}");
        }
        assert_eq!(
            parse("huggingface/a/b:fastest").unwrap().wire_id(),
            "a/b:fastest"
        );
        for bad in [
            "",
            "huggingface/",
            "huggingface/:fastest",
            "a/b:",
            "a/b:fast est",
            "a/b:-x",
            "a b/c",
        ] {
            assert_eq!(
                parse(bad).unwrap_err().code,
                ErrorCode::INVALID_REQUEST,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_wire_id_never_carries_the_provider_prefix() {
        let resolved = resolve(
            "huggingface/huggingface/deepseek-ai/DeepSeek-R1:cheapest",
            &[],
        )
        .unwrap();
        assert_eq!(
            resolved.wire_model_id.as_str(),
            "deepseek-ai/DeepSeek-R1:cheapest"
        );
        assert_eq!(
            resolved.model_ref.as_str(),
            "huggingface/deepseek-ai/DeepSeek-R1:cheapest"
        );
        assert_eq!(resolved.base_model_id.as_str(), "deepseek-ai/DeepSeek-R1");
        assert!(resolved.known, "built-in catalog used when none is given");
    }

    #[test]
    fn policies_carry_the_picked_upstreams_metadata() {
        let known = catalog();
        let fastest = resolve("huggingface/deepseek-ai/DeepSeek-R1:fastest", &known).unwrap();
        assert_eq!(fastest.policy_provider.as_str(), "fast");
        assert_eq!(fastest.model.context_window, 64_000);
        assert_eq!(fastest.model.supports_tools, Tristate::YES);
        assert_eq!(fastest.model.cost.output, 8.0);
        assert_eq!(fastest.model.id.as_str(), "deepseek-ai/DeepSeek-R1:fastest");
        assert_eq!(fastest.model.name.as_str(), "DeepSeek R1 (fastest)");
        assert!(
            fastest.model.reasoning,
            "reasoning comes from the base model"
        );

        let cheapest = resolve("deepseek-ai/DeepSeek-R1:cheapest", &known).unwrap();
        assert_eq!(cheapest.policy_provider.as_str(), "cheap");
        assert_eq!(
            (cheapest.model.context_window, cheapest.model.cost.output),
            (32_000, 2.0)
        );
        assert_eq!(cheapest.model.supports_tools, Tristate::NO);

        let pinned = resolve("deepseek-ai/DeepSeek-R1:cheap", &known).unwrap();
        assert_eq!(pinned.policy_provider.as_str(), "cheap");
        assert!(pinned.warnings.is_empty());

        let preferred = resolve("deepseek-ai/DeepSeek-R1:preferred", &known).unwrap();
        assert_eq!(preferred.policy_provider.as_str(), "");
        assert_eq!(preferred.model.context_window, 131_072);

        let missing = resolve("deepseek-ai/DeepSeek-R1:nobody", &known).unwrap();
        assert!(missing.warnings[0].contains("no inference provider named \"nobody\""));
        assert!(missing.warnings[0].contains("fast, cheap"));
    }

    #[test]
    fn unknown_ids_resolve_with_defaults_and_a_warning() {
        let resolved = resolve("huggingface/someone/brand-new-r1", &catalog()).unwrap();
        assert!(!resolved.known);
        assert_eq!(resolved.model.context_window, 131_072);
        assert_eq!(resolved.model.max_tokens, 8_192);
        assert!(resolved.model.reasoning);
        assert_eq!(resolved.model.name.as_str(), "Brand New R1");
        assert!(resolved.warnings[0].contains("not in the catalog"));
        let near = resolve("deepseek-ai/deepseek-r1", &catalog()).unwrap();
        assert!(near.warnings[0].contains("did you mean deepseek-ai/DeepSeek-R1"));
    }
}
