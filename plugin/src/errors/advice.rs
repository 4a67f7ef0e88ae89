//! What an error means and what to do about it: the stable code from the HTTP status, refined by
//! what the service said — for 403 above all, where one status covers a missing token
//! permission, an upstream the account may not use, an organisation the token may not bill, a
//! gated model and whatever else the Hub refuses — and a message that names the way out, using
//! what the caller knows ([`Known`]). Refusals that a caller acts on (sending a request again
//! without its pin) are also returned as a [`Refusal`], which travels in the error's details.

use openclaw_provider_abi::{ErrorCode, ModelProvider, ProviderError, Tristate};
use serde_json::{Map, Value};

use super::{
    BILLING_URL, Known, Operation, PROVIDER_SETTINGS_URL, TOKEN_SETTINGS_URL, UpstreamError,
};
use crate::{
    catalog::policy::is_live,
    identity::{REQUIRED_PERMISSION, REQUIRED_PERMISSION_LABEL, TOKEN_URL},
    outside_text::quote,
};

/// The most alternatives named in one message.
const MAX_NAMED: usize = 3;

/// A refusal whose kind a caller may act on, kept in the error's details as `refusal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 403 "The requested provider 'X' is not available": the router will not use this upstream
    /// for this account (disabled in its settings, or by its organisation, or gone).
    UpstreamUnavailable { upstream: String },
    /// 403 "… on behalf of org X": the token may not bill this organisation.
    BillingRefused { org: String },
    /// 400/422 `UNSUPPORTED_OPENAI_PARAMS`: the upstream does not take these parameters.
    UnsupportedParams { params: String },
}

impl Refusal {
    /// Adds the refusal to an error's details.
    pub(super) fn describe(&self, details: &mut Map<String, Value>, secret: Option<&str>) {
        let (kind, key, value) = match self {
            Self::UpstreamUnavailable { upstream } => {
                ("upstream_unavailable", "upstream", upstream)
            }
            Self::BillingRefused { org } => ("billing_refused", "org", org),
            Self::UnsupportedParams { params } => ("unsupported_params", "params", params),
        };
        details.insert("refusal".into(), kind.into());
        details.insert(key.into(), quote(value, secret).into());
    }
}

/// The upstream an error says is not available to the account, if that is what it says.
pub fn refused_upstream(error: &ProviderError) -> Option<String> {
    let details: Value = serde_json::from_str(error.details_json.as_str()).ok()?;
    (details.get("refusal")?.as_str()? == "upstream_unavailable")
        .then(|| details.get("upstream")?.as_str().map(str::to_owned))
        .flatten()
}

/// The parameters an error says the upstream does not take, if that is what it says.
pub fn refused_params_of(error: &ProviderError) -> Vec<String> {
    let Ok(details) = serde_json::from_str::<Value>(error.details_json.as_str()) else {
        return Vec::new();
    };
    if details.get("refusal").and_then(Value::as_str) != Some("unsupported_params") {
        return Vec::new();
    }
    details
        .get("params")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split(',')
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

/// The code and message for a status and what the service said, and the refusal it amounts to.
pub(super) fn classify(
    status: u16,
    upstream: &UpstreamError,
    operation: Operation<'_>,
    known: &Known<'_>,
    serving: Option<&str>,
    secret: Option<&str>,
) -> (ProviderError, Option<Refusal>) {
    let said = upstream
        .message
        .as_deref()
        .map(|m| format!(" (the service said: {})", quote(m, secret)))
        .unwrap_or_default();
    let message = upstream.message.as_deref().unwrap_or("");
    let lower = message.to_lowercase();
    let model = operation.model();
    // Where to look for the models that do serve what was asked.
    let listing = match operation {
        Operation::Task { list_flag, .. } | Operation::ModelInfo { list_flag, .. } => {
            format!("`models list --task {list_flag}` shows the models that serve it")
        }
        _ => "`models list --refresh` shows the models the router serves".to_owned(),
    };
    let model_not_supported = upstream.code.as_deref() == Some("model_not_supported")
        || lower.contains("not supported by any provider");
    let plain = |code, text: String| (ProviderError::new(code, text), None);
    match status {
        401 if known.login_token => plain(
            ErrorCode::UNAUTHORIZED,
            format!(
                "Hugging Face rejected the token of your `hf auth login` session{said}, and it \
                 could not be refreshed. Run `hf auth login` to log in again."
            ),
        ),
        401 => plain(
            ErrorCode::UNAUTHORIZED,
            format!(
                "Hugging Face rejected the token{said}. Check that it is still valid at \
                 {TOKEN_SETTINGS_URL} and onboard again with a working one."
            ),
        ),
        403 if matches!(operation, Operation::AccountUsage) => plain(
            ErrorCode::FORBIDDEN,
            format!(
                "the token lacks billing read permission{said}: a fine-grained token needs its \
                 Billing \"read\" permission, which classic read tokens have. Edit the token \
                 at {TOKEN_SETTINGS_URL}."
            ),
        ),
        403 => forbidden(message, &said, model, known, secret),
        402 => plain(
            ErrorCode::PAYMENT_REQUIRED,
            format!(
                "the compute credits of {} are used up{said}. Add pre-paid credits (or turn on \
                 automatic recharge) at {BILLING_URL}; PRO, Team and Enterprise plans include \
                 monthly compute credits.",
                match known.bill_to {
                    Some(org) => format!("organisation {} (billTo)", quote(org, secret)),
                    None => "your Hugging Face account".into(),
                }
            ),
        ),
        400 | 422 if unsupported_params(upstream) => {
            let params = refused_params(upstream);
            let text = unsupported_message(&params, &said, model, known, serving, secret);
            (
                ProviderError::new(ErrorCode::INVALID_REQUEST, text),
                Some(Refusal::UnsupportedParams { params }),
            )
        }
        400 if model_not_supported && lower.contains("not a valid provider") => plain(
            ErrorCode::MODEL_NOT_SUPPORTED,
            format!(
                "the router knows no inference provider by the name the model ref pins{said}. \
                 Use :fastest, :cheapest, :preferred, or the name of an upstream that serves \
                 the model{}.",
                serving_list(known.upstreams, secret)
            ),
        ),
        400 if model_not_supported => plain(
            ErrorCode::MODEL_NOT_SUPPORTED,
            format!(
                "{} is not served by any inference provider you have enabled{said}.{} \
                 {listing}; enable providers at {PROVIDER_SETTINGS_URL}.",
                model
                    .map(|m| format!("model {m}"))
                    .unwrap_or_else(|| "the model".into()),
                did_you_mean(known.similar, secret)
            ),
        ),
        404 if model.is_some() => plain(
            ErrorCode::MODEL_NOT_FOUND,
            format!(
                "model {} was not found{said}.{} {listing}.",
                model.unwrap_or_default(),
                did_you_mean(known.similar, secret)
            ),
        ),
        404 => plain(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "{} was not found at the configured base URL{said}; check \
                 models.providers.huggingface.baseUrl.",
                match operation {
                    Operation::Discovery => "the model list",
                    _ => "the endpoint",
                }
            ),
        ),
        503 if upstream.estimated_seconds.is_some() => plain(
            ErrorCode::UPSTREAM,
            format!(
                "{} is loading on the inference service{said}; it is retried when it has had \
                 time to load.",
                model
                    .map(|m| format!("model {m}"))
                    .unwrap_or_else(|| "the model".into())
            ),
        ),
        429 => plain(
            ErrorCode::RATE_LIMITED,
            format!("Hugging Face is rate-limiting these requests{said}; wait and try again."),
        ),
        500..=599 => plain(
            ErrorCode::UPSTREAM,
            format!(
                "the inference service failed{said}; try again, or pick another provider \
                 with a `:<provider>` suffix."
            ),
        ),
        400..=499 => plain(
            ErrorCode::INVALID_REQUEST,
            format!("the request was refused{said}."),
        ),
        _ => plain(
            ErrorCode::INVALID_RESPONSE,
            format!("unexpected HTTP {status} from the service{said}."),
        ),
    }
}

/// 403, by what the service said.
fn forbidden(
    message: &str,
    said: &str,
    model: Option<&str>,
    known: &Known<'_>,
    secret: Option<&str>,
) -> (ProviderError, Option<Refusal>) {
    let lower = message.to_lowercase();
    let error = |text: String| ProviderError::new(ErrorCode::FORBIDDEN, text);
    if let Some(upstream) = unavailable_upstream(message) {
        let text = unavailable_message(&upstream, said, model, known, secret);
        return (error(text), Some(Refusal::UpstreamUnavailable { upstream }));
    }
    if let Some(org) = after_word(message, "on behalf of org ") {
        let text = format!(
            "the token may not bill organisation {}{said}. billTo \
             (models.providers.huggingface.billTo) sends X-HF-Bill-To: {}; give the token \
             \"{REQUIRED_PERMISSION_LABEL}\" ({REQUIRED_PERMISSION}) for that organisation at \
             {TOKEN_SETTINGS_URL}, or remove billTo to bill your own account.",
            quote(&org, secret),
            quote(known.bill_to.unwrap_or(&org), secret),
        );
        return (error(text), Some(Refusal::BillingRefused { org }));
    }
    if lower.contains("spending limit") || lower.contains("spend limit") {
        return (
            ProviderError::new(
                ErrorCode::PAYMENT_REQUIRED,
                format!(
                    "the spending limit {} is reached{said}. Raise or remove the limit at \
                     {BILLING_URL}, or wait for the next billing period.",
                    match known.bill_to {
                        Some(org) => format!("of organisation {} (billTo)", quote(org, secret)),
                        None => "of your Hugging Face account".into(),
                    }
                ),
            ),
            None,
        );
    }
    let permission_missing = message.trim().is_empty()
        || lower.contains("on behalf of user")
        || lower.contains("sufficient permissions");
    if permission_missing {
        return (
            error(format!(
                "the token lacks the \"{REQUIRED_PERMISSION_LABEL}\" permission \
                 ({REQUIRED_PERMISSION}){said}. Add it to the token at {TOKEN_SETTINGS_URL}, or \
                 create a fine-grained token with it: {TOKEN_URL}"
            )),
            None,
        );
    }
    if lower.contains("access") && lower.contains("model") && !lower.contains("permission") {
        return (
            error(format!(
                "the token may not use this model{said}. If the model is gated, accept its \
                 terms on its Hugging Face page."
            )),
            None,
        );
    }
    // Anything else (a token revoked by an organisation, an organisation that requires
    // fine-grained tokens …): the service's own words are the best advice there is.
    let billed = known
        .bill_to
        .map(|org| {
            format!(
                " Requests are billed to organisation {} (billTo).",
                quote(org, secret)
            )
        })
        .unwrap_or_default();
    (
        error(format!(
            "Hugging Face refused the request (HTTP 403){said}.{billed}"
        )),
        None,
    )
}

/// The upstream named by "The requested provider 'X' is not available".
fn unavailable_upstream(message: &str) -> Option<String> {
    const START: &str = "requested provider '";
    let at = message.find(START)? + START.len();
    let rest = &message[at..];
    let end = rest.find('\'')?;
    let name = rest[..end].trim();
    (rest[end..].starts_with("' is not available") && !name.is_empty()).then(|| name.to_owned())
}

/// The word after `marker` (case-sensitive, as the service writes it), without a trailing dot.
fn after_word(message: &str, marker: &str) -> Option<String> {
    let at = message.find(marker)? + marker.len();
    let word = message[at..]
        .split_whitespace()
        .next()?
        .trim_end_matches(['.', ',', '"', '\'']);
    (!word.is_empty()).then(|| word.to_owned())
}

fn unavailable_message(
    upstream: &str,
    said: &str,
    model: Option<&str>,
    known: &Known<'_>,
    secret: Option<&str>,
) -> String {
    let shown = quote(upstream, secret);
    let (base, suffix) = match model {
        Some(model) => match model.split_once(':') {
            Some((base, suffix)) => (base, Some(suffix)),
            None => (model, None),
        },
        None => ("the model", None),
    };
    let others: Vec<String> = known
        .upstreams
        .iter()
        .filter(|p| is_live(p) && p.name.as_str() != upstream)
        .take(MAX_NAMED)
        .map(|p| format!("{base}:{}", quote(&p.name, secret)))
        .collect();
    let mut ways = Vec::new();
    if suffix.is_some_and(|s| s == upstream) || suffix.is_none() {
        ways.push(format!("let the router choose with {base}:fastest"));
    }
    if others.is_empty() {
        ways.push(format!(
            "pin another upstream that serves it ({base}:<provider>; `models list --json` lists \
             them)"
        ));
    } else {
        ways.push(format!(
            "pin another upstream that serves it: {}",
            others.join(", ")
        ));
    }
    format!(
        "the inference provider {shown} is not available to this account{}{said}. \
         {}; or enable {shown} at {PROVIDER_SETTINGS_URL}.",
        model.map(|m| format!(" for {m}")).unwrap_or_default(),
        capitalise(&ways.join(", or ")),
    )
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether a 400/422 is the router's refusal of parameters the upstream does not take.
fn unsupported_params(upstream: &UpstreamError) -> bool {
    upstream.kind.as_deref() == Some("UNSUPPORTED_OPENAI_PARAMS")
        || upstream
            .message
            .as_deref()
            .is_some_and(|m| m.contains("parameters are not supported"))
}

/// The refused parameters: `error.param`, else what the message lists after its colon.
fn refused_params(upstream: &UpstreamError) -> String {
    let listed = upstream
        .param
        .clone()
        .or_else(|| {
            let message = upstream.message.as_deref()?;
            Some(message[message.rfind(':')? + 1..].to_owned())
        })
        .unwrap_or_default();
    let names: Vec<&str> = listed
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    names.join(", ")
}

/// How an upstream says whether it supports a capability.
type Supports = fn(&ModelProvider) -> Tristate;

/// What an upstream must support for these parameters: tools, structured output, or neither.
fn capability_of(params: &str) -> Option<(&'static str, Supports)> {
    if params.contains("tool") {
        Some(("tools", |p| p.supports_tools))
    } else if params.contains("response_format") {
        Some(("structured output", |p| p.supports_structured_output))
    } else {
        None
    }
}

fn unsupported_message(
    params: &str,
    said: &str,
    model: Option<&str>,
    known: &Known<'_>,
    serving: Option<&str>,
    secret: Option<&str>,
) -> String {
    let shown_params = if params.is_empty() {
        "some of the request's parameters".to_owned()
    } else {
        quote(params, secret)
    };
    let who = match serving {
        Some(name) => format!(
            "the upstream that served the request ({})",
            quote(name, secret)
        ),
        None => "the upstream the request went to".into(),
    };
    let base = model.map(|m| m.split(':').next().unwrap_or(m));
    let subject = base.unwrap_or("the model");
    let advice = match capability_of(params) {
        Some((need, supports)) if !known.upstreams.is_empty() => {
            let capable: Vec<String> = known
                .upstreams
                .iter()
                .filter(|p| is_live(p) && supports(p) == Tristate::YES)
                .map(|p| quote(&p.name, secret))
                .collect();
            match capable.first() {
                Some(first) => format!(
                    "Upstreams of {subject} that support {need}: {}; pin one ({subject}:{first}).",
                    capable
                        .iter()
                        .take(MAX_NAMED)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => format!(
                    "No upstream of {subject} is known to support {need}: drop {shown_params}, \
                     or choose another model."
                ),
            }
        }
        _ => format!(
            "Pin an upstream that supports them with {subject}:<provider> (`models list --json` \
             shows each upstream's tools and structured-output support)."
        ),
    };
    format!(
        "{who} does not support {shown_params}{}{said}. {advice}",
        model.map(|m| format!(" for {m}")).unwrap_or_default()
    )
}

/// `" (serving: a, b)"` from catalog data, or nothing.
fn serving_list(upstreams: &[ModelProvider], secret: Option<&str>) -> String {
    let names: Vec<String> = upstreams
        .iter()
        .filter(|p| is_live(p))
        .map(|p| quote(&p.name, secret))
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(" (serving it: {})", names.join(", "))
    }
}

/// `" Did you mean a, b or c?"`, or nothing.
fn did_you_mean(similar: &[String], secret: Option<&str>) -> String {
    let names: Vec<String> = similar
        .iter()
        .take(MAX_NAMED)
        .map(|id| quote(id, secret))
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [only] => format!(" Did you mean {only}?"),
        [init @ .., last] => format!(" Did you mean {} or {last}?", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::policy::tests::provider;

    #[test]
    fn a_403_reading_usage_names_the_billing_permission() {
        let upstream = super::super::parse_error_body(br#"{"error":"Forbidden"}"#);
        let (error, _) = classify(
            403,
            &upstream,
            Operation::AccountUsage,
            &Known::default(),
            None,
            None,
        );
        assert_eq!(error.code, ErrorCode::FORBIDDEN);
        assert!(
            error.message.contains("lacks billing read permission"),
            "{error}"
        );
    }

    #[test]
    fn a_403_for_a_reached_spending_limit_says_so_and_names_the_billed_org() {
        let body = r#"{"error":"You have reached your spending limit for this month."}"#;
        let known = Known {
            bill_to: Some("acme"),
            ..Known::default()
        };
        let (error, _) = chat(403, body, "a/b", &known);
        assert_eq!(error.code, ErrorCode::PAYMENT_REQUIRED);
        assert!(
            error
                .message
                .contains("spending limit of organisation acme (billTo)"),
            "{error}"
        );
        assert!(error.message.contains(BILLING_URL), "{error}");
    }

    fn chat(
        status: u16,
        body: &str,
        model: &str,
        known: &Known<'_>,
    ) -> (ProviderError, Option<Refusal>) {
        let upstream = super::super::parse_error_body(body.as_bytes());
        classify(
            status,
            &upstream,
            Operation::Chat { model },
            known,
            None,
            None,
        )
    }

    #[test]
    fn an_unavailable_upstream_is_named_with_ways_around_it() {
        let mut together = provider("together", Some(50.0), Some(1.0));
        together.supports_tools = Tristate::YES;
        let mut down = provider("down", Some(50.0), Some(1.0));
        down.status = "error".into();
        let upstreams = [provider("deepinfra", Some(90.0), Some(1.0)), together, down];
        let known = Known {
            upstreams: &upstreams,
            ..Known::default()
        };
        let (error, refusal) = chat(
            403,
            r#"{"error":"The requested provider 'deepinfra' is not available."}"#,
            "Qwen/Qwen2.5-72B-Instruct:deepinfra",
            &known,
        );
        assert_eq!(error.code, ErrorCode::FORBIDDEN);
        assert_eq!(
            refusal,
            Some(Refusal::UpstreamUnavailable {
                upstream: "deepinfra".into()
            })
        );
        assert!(
            error.message.starts_with(
                "the inference provider deepinfra is not available to this account for \
                 Qwen/Qwen2.5-72B-Instruct:deepinfra"
            ),
            "{}",
            error.message
        );
        assert!(error.message.contains(
            "Let the router choose with Qwen/Qwen2.5-72B-Instruct:fastest, or pin another \
             upstream that serves it: Qwen/Qwen2.5-72B-Instruct:together; or enable deepinfra \
             at https://huggingface.co/settings/inference-providers."
        ));
        assert!(!error.message.contains("inference.serverless.write"));
    }

    #[test]
    fn forbidden_bodies_are_told_apart() {
        let known = Known {
            bill_to: Some("acme"),
            ..Known::default()
        };
        let (billing, refusal) = chat(
            403,
            r#"{"error":"This authentication method does not have sufficient permissions to call Inference Providers on behalf of org acme"}"#,
            "a/b",
            &known,
        );
        assert_eq!(
            refusal,
            Some(Refusal::BillingRefused { org: "acme".into() })
        );
        assert!(
            billing
                .message
                .starts_with("the token may not bill organisation acme"),
            "{}",
            billing.message
        );
        assert!(billing.message.contains("sends X-HF-Bill-To: acme"));
        let (user, refusal) = chat(
            403,
            r#"{"error":"This authentication method does not have sufficient permissions to call Inference Providers on behalf of user alice"}"#,
            "a/b",
            &Known::default(),
        );
        assert!(refusal.is_none());
        assert!(user.message.starts_with("the token lacks the \"Make calls"));
        let (unknown, _) = chat(
            403,
            r#"{"error":"Your token has been revoked by the organization administrator"}"#,
            "a/b",
            &known,
        );
        assert_eq!(
            unknown.message,
            "Hugging Face refused the request (HTTP 403) (the service said: Your token has been \
             revoked by the organization administrator). Requests are billed to organisation \
             acme (billTo)."
        );
        let (empty, _) = chat(403, "", "a/b", &Known::default());
        assert!(empty.message.contains("inference.serverless.write"));
    }

    #[test]
    fn unsupported_parameters_name_the_upstreams_that_take_them() {
        let body = r#"{"error":{"code":"422","error_type":"UNSUPPORTED_OPENAI_PARAMS","message":"The following parameters are not supported for this model: tools, tool_choice","param":"tools, tool_choice"}}"#;
        let mut together = provider("together", Some(50.0), Some(1.0));
        together.supports_tools = Tristate::YES;
        let upstreams = [provider("nscale", Some(90.0), Some(1.0)), together];
        let (error, refusal) = chat(
            400,
            body,
            "org/m",
            &Known {
                upstreams: &upstreams,
                ..Known::default()
            },
        );
        assert_eq!(error.code, ErrorCode::INVALID_REQUEST);
        assert_eq!(
            refusal,
            Some(Refusal::UnsupportedParams {
                params: "tools, tool_choice".into()
            })
        );
        assert!(
            error.message.starts_with(
                "the upstream the request went to does not support tools, tool_choice for org/m"
            ),
            "{}",
            error.message
        );
        assert!(error.message.ends_with(
            "Upstreams of org/m that support tools: together; pin one (org/m:together)."
        ));
        let (no_data, _) = chat(422, body, "org/m", &Known::default());
        assert!(
            no_data
                .message
                .contains("Pin an upstream that supports them")
        );
        // Named in the message only, no error_type.
        let (from_text, _) = chat(
            400,
            r#"{"error":"The following parameters are not supported for this model: response_format"}"#,
            "org/m",
            &Known::default(),
        );
        assert!(
            from_text
                .message
                .contains("does not support response_format")
        );
    }

    #[test]
    fn login_tokens_billing_and_suggestions_shape_the_advice() {
        let login = Known {
            login_token: true,
            ..Known::default()
        };
        let (expired, _) = chat(401, r#"{"error":"Invalid credentials"}"#, "a/b", &login);
        assert!(
            expired.message.contains("Run `hf auth login`"),
            "{}",
            expired.message
        );
        let (payment, _) = chat(
            402,
            r#"{"error":"You have no remaining credits."}"#,
            "a/b",
            &Known::default(),
        );
        assert!(
            payment
                .message
                .starts_with("the compute credits of your Hugging Face account are used up")
        );
        assert!(
            payment
                .message
                .contains("https://huggingface.co/settings/billing")
        );
        let similar = [
            "deepseek-ai/DeepSeek-R1".to_owned(),
            "deepseek-ai/DeepSeek-V3".to_owned(),
        ];
        let known = Known {
            similar: &similar,
            ..Known::default()
        };
        let (missing, _) = chat(404, "", "deepseek-ai/DeepSeek-R2", &known);
        assert!(
            missing
                .message
                .contains("Did you mean deepseek-ai/DeepSeek-R1 or deepseek-ai/DeepSeek-V3?")
        );
        let (bad_suffix, _) = chat(
            400,
            r#"{"error":{"message":"the provider you attempted to explicitly specify 'auto' is not a valid provider.","type":"invalid_request_error","param":"model","code":"model_not_supported"}}"#,
            "a/b:auto",
            &Known::default(),
        );
        assert_eq!(bad_suffix.code, ErrorCode::MODEL_NOT_SUPPORTED);
        assert!(bad_suffix.message.contains("Use :fastest, :cheapest"));
    }
}
