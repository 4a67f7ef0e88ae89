//! The onboarding hooks: checking a token against the Hub (`GET {HF_ENDPOINT}/api/whoami-v2`:
//! whose token it is, and whether it may make calls to Inference Providers — billed to the
//! organisation `billTo` names, when it names one), and what onboarding changes — the profile to
//! store, a config patch, the default model, notes. The host applies the result; nothing here
//! writes a file (a `hf auth login` token about to expire is refreshed first, see
//! [`crate::oauth`]).
//!
//! Whether a token may bill an organisation is read as Hugging Face's own tools read it: the
//! account must be a member (`orgs[]`), the organisation able to pay (`canPay`), the member not
//! read-only (`roleInOrg`), and a fine-grained token must hold "Make calls to Inference
//! Providers" scoped to that organisation (`auth.accessToken.fineGrained.scoped[]`). The Hub
//! decides in the end; a refusal it can foresee is said before anything is stored.

use std::time::Duration;

use openclaw_provider_abi::{
    AccountInfo, AuthKind, CallContext, CredentialProfile, ErrorCode, Note, OnboardingRequest,
    OnboardingResult, ProviderError, Tristate,
    abi_stable::std_types::{RString, RVec},
};
use serde_json::{Value, json};

use crate::{
    environment, errors,
    http::{self, Deadlines},
    identity::{
        DEFAULT_BASE_URL, DEFAULT_MODEL_REF, PROVIDER_ID, REQUIRED_PERMISSION,
        REQUIRED_PERMISSION_LABEL, TOKEN_URL,
    },
    outside_text::quote,
    refs, runtime,
};

/// The profile onboarding writes.
pub const PROFILE_ID: &str = "huggingface:default";
/// The alias the default model gets when it has none (OpenClaw's).
pub const DEFAULT_ALIAS: &str = "Hugging Face";

const VALIDATION_DEADLINES: Deadlines = Deadlines {
    connect: runtime::DEFAULT_CONNECT_TIMEOUT,
    first_byte: Duration::from_secs(15),
    idle: Duration::from_secs(15),
    overall: Duration::from_secs(20),
};

/// Answers `validate_credential`.
pub fn validate(context: &CallContext) -> Result<AccountInfo, ProviderError> {
    let secret = context
        .credential
        .as_ref()
        .map(|s| s.expose().to_owned())
        .into_option()
        .ok_or_else(|| ProviderError::new(ErrorCode::INVALID_REQUEST, "no token to validate"))?;
    http::check_token(&secret)?;
    let bill_to = crate::settings::ChatSettings::for_call(context)?.bill_to;
    if let Some(switch) = environment::offline_switch() {
        return Err(ProviderError::new(
            ErrorCode::OFFLINE,
            format!("{switch} is set, so the token was not checked"),
        ));
    }
    let checked = crate::oauth::check(&secret);
    let secret = checked.token;
    let hub = http::checked_url(&environment::hub_endpoint())?;
    let url = http::endpoint(&hub, "api/whoami-v2")?;
    let deadlines = Deadlines::from_timeouts(&context.timeouts, VALIDATION_DEADLINES);
    let until = std::time::Instant::now() + deadlines.overall;
    let body = runtime::block_on(async {
        let client = runtime::http_client(deadlines.connect, &url)?;
        let request = client
            .get(url.clone())
            .bearer_auth(&secret)
            .header(reqwest::header::USER_AGENT, crate::host_log::user_agent());
        let response = http::send(request, &deadlines, &url, "checking the token").await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body =
            http::read_body_capped(response, 1024 * 1024, None, &deadlines, until, &url).await?;
        if !(200..300).contains(&status) {
            return Err(errors::from_response_with(
                status,
                &headers,
                &body,
                errors::Operation::Validation,
                &errors::Known {
                    login_token: checked.login,
                    ..errors::Known::default()
                },
                Some(&secret),
            ));
        }
        Ok(body)
    })??;
    account_from_body_for(&body, bill_to.as_deref())
}

/// Reads a `whoami-v2` response body.
pub fn account_from_body(body: &[u8]) -> Result<AccountInfo, ProviderError> {
    account_from_body_for(body, None)
}

/// Reads a `whoami-v2` response body for calls billed to `bill_to`, when set.
pub fn account_from_body_for(
    body: &[u8],
    bill_to: Option<&str>,
) -> Result<AccountInfo, ProviderError> {
    let whoami: Value = serde_json::from_slice(body).map_err(|err| {
        ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "the Hub's whoami answer is not what it should be ({})",
                errors::json_failure(&err)
            ),
        )
    })?;
    let mut info = account_info(&whoami);
    if let Some(org) = bill_to {
        let (may_bill, message) = billing(&whoami, org, &info);
        info.can_call_provider = may_bill;
        info.message = message.into();
    }
    Ok(info)
}

/// Whether the token may make calls billed to organisation `org`, and the sentence saying so.
fn billing(whoami: &Value, org: &str, info: &AccountInfo) -> (Tristate, String) {
    let shown_org = quote(org, None);
    let who = quote(info.account_name.as_str(), None);
    let membership = whoami
        .get("orgs")
        .and_then(Value::as_array)
        .and_then(|orgs| {
            orgs.iter().find(|entry| {
                entry
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|name| name.eq_ignore_ascii_case(org))
            })
        });
    let refused = |why: String| {
        (
            Tristate::NO,
            format!(
                "the token may not bill organisation {shown_org} (billTo): {why}; calls would be \
                 refused with HTTP 403. Fix it, or remove models.providers.huggingface.billTo to \
                 bill {who} instead"
            ),
        )
    };
    let Some(membership) = membership else {
        if looks_like_resource_group(org) && info.can_call_provider != Tristate::NO {
            // The Hub documents a resource group's id as an X-HF-Bill-To value; whoami does not
            // list resource groups, so membership cannot be checked here.
            return (
                Tristate::UNKNOWN,
                format!(
                    "billTo {shown_org} is not an organisation of {who}; it looks like a \
                     resource group id, which the Hub's whoami answer cannot confirm. Checked: \
                     {} may make calls to Inference Providers. Not checked: that {who} is a \
                     member of that resource group (calls billed to it are refused with HTTP \
                     403 if not)",
                    token_of(info)
                ),
            );
        }
        return refused(format!("{who} is not a member of it"));
    };
    if membership.get("canPay").and_then(Value::as_bool) == Some(false) {
        return refused(format!(
            "it cannot pay for Inference Providers (no payment method; billing an organisation \
             takes a Team or Enterprise plan, see {})",
            errors::BILLING_URL
        ));
    }
    let role = membership.get("roleInOrg").and_then(Value::as_str);
    if role == Some("read") {
        return refused(format!(
            "{who} is a read-only member of it; ask one of its admins for write access"
        ));
    }
    match info.credential_role.as_str() {
        "fineGrained" if !fine_grained_allows_org(whoami, org) => refused(format!(
            "the fine-grained token lacks \"{REQUIRED_PERMISSION_LABEL}\" \
             ({REQUIRED_PERMISSION}) for {shown_org}; add it under the token's organisation \
             permissions at {}",
            errors::TOKEN_SETTINGS_URL
        )),
        "fineGrained" | "read" | "write" | "admin" | "contributor" => (
            Tristate::YES,
            format!(
                "{} may make calls to Inference Providers billed to organisation {shown_org} \
                 (billTo)",
                token_of(info)
            ),
        ),
        _ => (
            Tristate::UNKNOWN,
            format!(
                "{who} is a member of organisation {shown_org} (billTo), but the Hub did not say \
                 whether this token may bill it"
            ),
        ),
    }
}

/// A resource group's id as the Hub writes it: 24 hexadecimal digits (no organisation name the
/// Hub allows is only that, in practice).
fn looks_like_resource_group(bill_to: &str) -> bool {
    bill_to.len() == 24 && bill_to.bytes().all(|b| b.is_ascii_hexdigit())
}

/// "token "name" of account", or "the token of account".
fn token_of(info: &AccountInfo) -> String {
    let account = quote(info.account_name.as_str(), None);
    if info.credential_name.is_empty() {
        format!("the token of {account}")
    } else {
        format!(
            "token \"{}\" of {account}",
            quote(info.credential_name.as_str(), None)
        )
    }
}

/// A fine-grained token grants the permission for organisation `org`.
fn fine_grained_allows_org(whoami: &Value, org: &str) -> bool {
    whoami
        .pointer("/auth/accessToken/fineGrained/scoped")
        .and_then(Value::as_array)
        .is_some_and(|scoped| {
            scoped.iter().any(|entry| {
                entry.pointer("/entity/type").and_then(Value::as_str) == Some("org")
                    && entry
                        .pointer("/entity/name")
                        .and_then(Value::as_str)
                        .is_some_and(|name| name.eq_ignore_ascii_case(org))
                    && entry
                        .get("permissions")
                        .and_then(Value::as_array)
                        .is_some_and(|list| {
                            list.iter().any(|p| p.as_str() == Some(REQUIRED_PERMISSION))
                        })
            })
        })
}

/// What a `whoami-v2` answer says about the token.
pub fn account_info(whoami: &Value) -> AccountInfo {
    let text = |pointer: &str| {
        whoami
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let account = text("/name");
    let token_name = text("/auth/accessToken/displayName");
    let role = text("/auth/accessToken/role");
    let can_call = match role {
        "read" | "write" | "admin" | "contributor" => Tristate::YES,
        "fineGrained" => Tristate::from(Some(fine_grained_allows(whoami))),
        _ => Tristate::UNKNOWN,
    };
    // The names are the Hub's text: quoted, so a name cannot carry escape sequences into a
    // terminal through the message.
    let who = if token_name.is_empty() {
        format!("the token of {}", quote(account, None))
    } else {
        format!(
            "token \"{}\" of {}",
            quote(token_name, None),
            quote(account, None)
        )
    };
    let message = match can_call {
        Tristate::YES => format!("{who} may make calls to Inference Providers"),
        Tristate::NO => format!(
            "{who} lacks the \"{REQUIRED_PERMISSION_LABEL}\" permission ({REQUIRED_PERMISSION}): \
             add it at {} or create a token with it: {TOKEN_URL}",
            errors::TOKEN_SETTINGS_URL
        ),
        _ => format!(
            "{who} works, but the Hub did not say whether it may call Inference Providers ({})",
            if role.is_empty() {
                "no role".to_owned()
            } else {
                quote(role, None)
            }
        ),
    };
    AccountInfo {
        account_name: account.into(),
        credential_name: token_name.into(),
        credential_role: role.into(),
        can_call_provider: can_call,
        settings_url: errors::TOKEN_SETTINGS_URL.into(),
        message: message.into(),
    }
}

/// A fine-grained token grants the permission globally or scoped to the user.
fn fine_grained_allows(whoami: &Value) -> bool {
    let grants = |permissions: Option<&Value>| {
        permissions
            .and_then(Value::as_array)
            .is_some_and(|list| list.iter().any(|p| p.as_str() == Some(REQUIRED_PERMISSION)))
    };
    let fine = whoami.pointer("/auth/accessToken/fineGrained");
    grants(fine.and_then(|f| f.get("global")))
        || fine
            .and_then(|f| f.get("scoped"))
            .and_then(Value::as_array)
            .is_some_and(|scoped| {
                scoped.iter().any(|entry| {
                    entry.pointer("/entity/type").and_then(Value::as_str) == Some("user")
                        && grants(entry.get("permissions"))
                })
            })
}

/// Answers `onboarding_result`.
pub fn result(request: &OnboardingRequest) -> Result<OnboardingResult, ProviderError> {
    let method = request.method_id.as_str();
    if method != "api-key" && method != "huggingface-api-key" {
        return Err(ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!("no auth method {method:?}: the Hugging Face plugin offers \"api-key\""),
        ));
    }
    let model = match request.chosen_model.as_str().trim() {
        "" => DEFAULT_MODEL_REF.to_owned(),
        chosen => format!("{PROVIDER_ID}/{}", refs::parse(chosen)?.wire_id()),
    };
    let current: Value =
        serde_json::from_str(request.current_config_json.as_str()).unwrap_or(Value::Null);
    let models = current.pointer("/agents/defaults/models");
    let has_alias = models
        .and_then(|m| m.get(&model))
        .and_then(|entry| entry.get("alias"))
        .is_some();
    let alias_taken = models.and_then(Value::as_object).is_some_and(|models| {
        models
            .values()
            .any(|entry| entry.get("alias").and_then(Value::as_str) == Some(DEFAULT_ALIAS))
    });
    let model_entry = if has_alias || alias_taken {
        json!({})
    } else {
        json!({"alias": DEFAULT_ALIAS})
    };
    let mut provider = json!({"api": "openai-completions"});
    // A base URL the user set (a proxy, a mirror) is theirs to keep.
    if current
        .pointer("/models/providers/huggingface/baseUrl")
        .and_then(Value::as_str)
        .is_none_or(|url| url.trim().is_empty())
    {
        provider["baseUrl"] = DEFAULT_BASE_URL.into();
    }
    let patch = json!({
        "auth": {"profiles": {PROFILE_ID: {"provider": PROVIDER_ID, "mode": "api_key"}}},
        "agents": {"defaults": {
            "model": {"primary": model},
            "models": {model.as_str(): model_entry},
        }},
        "plugins": {"entries": {PROVIDER_ID: {"enabled": true}}},
        "models": {"providers": {PROVIDER_ID: provider}},
    });
    let mut notes = vec![Note {
        title: "Model configured".into(),
        message: format!("Default model set to {model}").into(),
    }];
    if !request.key_env_var.is_empty() {
        notes.push(Note {
            title: "Hugging Face".into(),
            message: format!(
                "The profile refers to ${}: keep it set wherever the gateway runs (for a daemon, \
                 in the state directory's .env)",
                request.key_env_var
            )
            .into(),
        });
    }
    Ok(OnboardingResult {
        profile: CredentialProfile {
            profile_id: PROFILE_ID.into(),
            provider_id: PROVIDER_ID.into(),
            kind: AuthKind::API_KEY,
            key_env_var: request.key_env_var.clone(),
        },
        config_patch_json: RString::from(patch.to_string()),
        default_model: model.into(),
        notes: RVec::from(notes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openclaw_provider_abi::SecretInputMode;

    fn whoami(role: &str, fine: Value) -> Value {
        json!({"type": "user", "name": "alice", "auth": {"type": "access_token",
            "accessToken": {"displayName": "laptop", "role": role, "fineGrained": fine}}})
    }

    #[test]
    fn classic_and_fine_grained_tokens_are_told_apart() {
        assert_eq!(
            account_info(&whoami("read", Value::Null)).can_call_provider,
            Tristate::YES
        );
        assert_eq!(
            account_info(&whoami("write", Value::Null)).can_call_provider,
            Tristate::YES
        );
        let global = whoami(
            "fineGrained",
            json!({"global": ["inference.serverless.write"], "scoped": []}),
        );
        assert_eq!(account_info(&global).can_call_provider, Tristate::YES);
        let scoped = whoami(
            "fineGrained",
            json!({"global": [], "scoped": [{"entity": {"type": "user", "name": "alice"}, "permissions": ["repo.content.read", "inference.serverless.write"]}]}),
        );
        assert_eq!(account_info(&scoped).can_call_provider, Tristate::YES);
        let org_only = whoami(
            "fineGrained",
            json!({"scoped": [{"entity": {"type": "org"}, "permissions": ["inference.serverless.write"]}]}),
        );
        let info = account_info(&org_only);
        assert_eq!(info.can_call_provider, Tristate::NO);
        assert!(info.message.contains("Make calls to Inference Providers"));
        assert!(info.message.contains("settings/tokens"));
        assert_eq!(info.account_name.as_str(), "alice");
        assert_eq!(info.credential_name.as_str(), "laptop");
        assert_eq!(
            account_info(&json!({"name": "bob"})).can_call_provider,
            Tristate::UNKNOWN
        );
    }

    #[test]
    fn a_resource_group_id_is_not_refused_and_the_message_says_what_was_not_checked() {
        let group = "6612a3f5e1b2c3d4e5f60718";
        let mut body = whoami("write", Value::Null);
        body["orgs"] = json!([{"name": "acme", "canPay": true, "roleInOrg": "write"}]);
        let bytes = serde_json::to_vec(&body).unwrap();
        let info = account_from_body_for(&bytes, Some(group)).unwrap();
        assert_eq!(info.can_call_provider, Tristate::UNKNOWN);
        assert!(
            info.message.contains("looks like a resource group id"),
            "{}",
            info.message
        );
        assert!(info.message.contains("Not checked"), "{}", info.message);
        // A token that may not call Inference Providers at all is still refused.
        let org_only = whoami(
            "fineGrained",
            json!({"scoped": [{"entity": {"type": "org"}, "permissions": ["inference.serverless.write"]}]}),
        );
        let bytes = serde_json::to_vec(&org_only).unwrap();
        let refused = account_from_body_for(&bytes, Some(group)).unwrap();
        assert_eq!(refused.can_call_provider, Tristate::NO);
        // A name that is not an id is an organisation the account must belong to.
        let outsider = account_from_body_for(&bytes, Some("not-hex-at-all-123456789")).unwrap();
        assert_eq!(outsider.can_call_provider, Tristate::NO);
    }

    #[test]
    fn billing_an_organisation_is_checked_against_membership_and_scopes() {
        let with_orgs = |role: &str, fine: Value, orgs: Value| {
            let mut body = whoami(role, fine);
            body["orgs"] = orgs;
            serde_json::to_vec(&body).unwrap()
        };
        let member = json!([{"type": "org", "name": "acme", "canPay": true, "roleInOrg": "write"}]);
        let check = |body: Vec<u8>| account_from_body_for(&body, Some("acme")).unwrap();
        let classic = check(with_orgs("write", Value::Null, member.clone()));
        assert_eq!(classic.can_call_provider, Tristate::YES);
        assert_eq!(
            classic.message.as_str(),
            "token \"laptop\" of alice may make calls to Inference Providers billed to \
             organisation acme (billTo)"
        );
        let outsider = check(with_orgs("write", Value::Null, json!([])));
        assert_eq!(outsider.can_call_provider, Tristate::NO);
        assert!(outsider.message.contains("alice is not a member of it"));
        let broke = check(with_orgs(
            "write",
            Value::Null,
            json!([{"name": "acme", "canPay": false, "roleInOrg": "admin"}]),
        ));
        assert!(broke.message.contains("cannot pay"), "{}", broke.message);
        let reader = check(with_orgs(
            "write",
            Value::Null,
            json!([{"name": "acme", "canPay": true, "roleInOrg": "read"}]),
        ));
        assert!(reader.message.contains("read-only member"));
        let user_scoped = json!({"scoped": [{"entity": {"type": "user", "name": "alice"}, "permissions": ["inference.serverless.write"]}]});
        let fine_user_only = check(with_orgs("fineGrained", user_scoped, member.clone()));
        assert_eq!(fine_user_only.can_call_provider, Tristate::NO);
        assert!(
            fine_user_only
                .message
                .contains("for acme; add it under the token's organisation")
        );
        let org_scoped = json!({"scoped": [{"entity": {"type": "org", "name": "acme"}, "permissions": ["inference.serverless.write"]}]});
        assert_eq!(
            check(with_orgs("fineGrained", org_scoped, member)).can_call_provider,
            Tristate::YES
        );
    }

    fn request(model: &str, config: Value, env_var: &str) -> OnboardingRequest {
        OnboardingRequest {
            method_id: "api-key".into(),
            secret_mode: if env_var.is_empty() {
                SecretInputMode::PLAINTEXT
            } else {
                SecretInputMode::REF
            },
            key_env_var: env_var.into(),
            chosen_model: model.into(),
            current_config_json: config.to_string().into(),
        }
    }

    #[test]
    fn the_default_result_matches_openclaws() {
        let result = result(&request("", Value::Null, "")).unwrap();
        assert_eq!(
            result.default_model.as_str(),
            "huggingface/deepseek-ai/DeepSeek-R1"
        );
        assert_eq!(result.profile.profile_id.as_str(), "huggingface:default");
        let patch: Value = serde_json::from_str(&result.config_patch_json).unwrap();
        assert_eq!(
            patch["agents"]["defaults"]["model"]["primary"],
            "huggingface/deepseek-ai/DeepSeek-R1"
        );
        assert_eq!(
            patch["agents"]["defaults"]["models"]["huggingface/deepseek-ai/DeepSeek-R1"]["alias"],
            "Hugging Face"
        );
        assert_eq!(
            patch["auth"]["profiles"]["huggingface:default"],
            json!({"provider": "huggingface", "mode": "api_key"})
        );
        assert_eq!(patch["plugins"]["entries"]["huggingface"]["enabled"], true);
        assert_eq!(
            patch["models"]["providers"]["huggingface"]["baseUrl"],
            DEFAULT_BASE_URL
        );
        assert_eq!(
            patch["models"]["providers"]["huggingface"]["api"],
            "openai-completions"
        );
        assert!(
            !patch.to_string().contains("\"key\":"),
            "no key in the patch"
        );
    }

    #[test]
    fn existing_aliases_base_urls_and_chosen_models_are_respected() {
        let config = json!({
            "agents": {"defaults": {"models": {"huggingface/Qwen/Qwen3-8B:cheapest": {"alias": "mine"}}}},
            "models": {"providers": {"huggingface": {"baseUrl": "http://127.0.0.1:9/v1"}}}
        });
        let result = result(&request("Qwen/Qwen3-8B:cheapest", config, "HF_TOKEN")).unwrap();
        assert_eq!(
            result.default_model.as_str(),
            "huggingface/Qwen/Qwen3-8B:cheapest"
        );
        let patch: Value = serde_json::from_str(&result.config_patch_json).unwrap();
        assert_eq!(
            patch["agents"]["defaults"]["models"]["huggingface/Qwen/Qwen3-8B:cheapest"],
            json!({})
        );
        assert!(
            patch["models"]["providers"]["huggingface"]
                .get("baseUrl")
                .is_none()
        );
        assert_eq!(result.profile.key_env_var.as_str(), "HF_TOKEN");
        assert!(result.notes.iter().any(|n| n.message.contains("$HF_TOKEN")));
        let bad = OnboardingRequest {
            method_id: "oauth".into(),
            ..request("", Value::Null, "")
        };
        assert_eq!(
            super::result(&bad).unwrap_err().code,
            ErrorCode::INVALID_REQUEST
        );
    }
}
