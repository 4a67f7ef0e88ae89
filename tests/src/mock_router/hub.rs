//! The Hub's answers: `GET /api/whoami-v2` for each kind of token (and the organisations its
//! user belongs to), and `POST /oauth/token` granting or refusing a refresh.

use super::Reply;

/// The kinds of Hub token `/api/whoami-v2` tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A classic read token.
    Read,
    /// A classic write token.
    Write,
    /// A fine-grained token holding `inference.serverless.write` for its user.
    FineGrainedWithInference,
    /// A fine-grained token without it (repo access only).
    FineGrainedWithoutInference,
}

/// An organisation the `whoami-v2` user belongs to.
#[derive(Clone, Debug)]
pub struct OrgMembership {
    pub name: String,
    /// `canPay`: the organisation can pay (a payment method, a Team or Enterprise plan).
    pub can_pay: bool,
    /// `roleInOrg`: `admin`, `write`, `contributor` or `read`.
    pub role: String,
    /// For fine-grained tokens: the token holds `inference.serverless.write` scoped to it.
    pub token_may_bill: bool,
}

impl OrgMembership {
    /// A member with `role` of an organisation that can pay, whose token may bill it.
    pub fn new(name: &str, role: &str) -> Self {
        Self {
            name: name.to_owned(),
            can_pay: true,
            role: role.to_owned(),
            token_may_bill: true,
        }
    }
}

/// A `whoami-v2` body for user `name` holding a token of `kind`, shaped like the Hub's.
pub fn whoami_body(name: &str, kind: TokenKind) -> Vec<u8> {
    whoami_body_with_orgs(name, kind, &[])
}

/// A `whoami-v2` body for user `name`, member of `orgs` (`orgs[]` with `canPay` and
/// `roleInOrg`; a fine-grained token gets a scoped entry per organisation it may bill).
pub fn whoami_body_with_orgs(name: &str, kind: TokenKind, orgs: &[OrgMembership]) -> Vec<u8> {
    let (role, fine_grained) = match kind {
        TokenKind::Read => ("read", serde_json::Value::Null),
        TokenKind::Write => ("write", serde_json::Value::Null),
        TokenKind::FineGrainedWithInference | TokenKind::FineGrainedWithoutInference => {
            let mut permissions = vec!["repo.content.read"];
            if kind == TokenKind::FineGrainedWithInference {
                permissions.push("inference.serverless.write");
            }
            let mut scoped = vec![serde_json::json!({
                "entity": {"_id": "6512aa", "type": "user", "name": name},
                "permissions": permissions
            })];
            for org in orgs.iter().filter(|org| org.token_may_bill) {
                scoped.push(serde_json::json!({
                    "entity": {"_id": format!("org-{}", org.name), "type": "org", "name": org.name},
                    "permissions": ["repo.content.read", "inference.serverless.write"]
                }));
            }
            (
                "fineGrained",
                serde_json::json!({
                    "canReadGatedRepos": false,
                    "global": ["discussion.write"],
                    "scoped": scoped
                }),
            )
        }
    };
    let mut access_token = serde_json::json!({
        "displayName": format!("{name}-token"),
        "role": role,
        "createdAt": "2026-10-01T09:00:00.000Z"
    });
    if !fine_grained.is_null() {
        access_token["fineGrained"] = fine_grained;
    }
    serde_json::to_vec(&serde_json::json!({
        "type": "user",
        "id": "6512aa",
        "name": name,
        "fullname": name,
        "isPro": false,
        "canPay": true,
        "orgs": orgs.iter().map(|org| serde_json::json!({
            "type": "org",
            "id": format!("org-{}", org.name),
            "name": org.name,
            "fullname": org.name,
            "email": null,
            "canPay": org.can_pay,
            "roleInOrg": org.role,
            "avatarUrl": "/avatars/org.svg",
            "periodEnd": null
        })).collect::<Vec<_>>(),
        "auth": {"type": "access_token", "accessToken": access_token}
    }))
    .expect("whoami body")
}

/// `GET /api/whoami-v2` answering for the given tokens, 401 for any other, as the Hub does.
pub fn whoami(tokens: &[(&str, &str, TokenKind)]) -> Reply {
    Reply::ByToken {
        replies: tokens
            .iter()
            .map(|(token, name, kind)| {
                (
                    token.to_string(),
                    Reply::json(200, whoami_body(name, *kind)),
                )
            })
            .collect(),
        otherwise: Box::new(Reply::invalid_credentials()),
    }
}

/// `POST /oauth/token` granting `access_token` for a refresh grant, as the Hub's token endpoint
/// answers: a rotated refresh token when given, valid for `expires_in` seconds.
pub fn oauth_token(access_token: &str, refresh_token: Option<&str>, expires_in: u64) -> Reply {
    let mut body = serde_json::json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": expires_in,
    });
    if let Some(refresh_token) = refresh_token {
        body["refresh_token"] = refresh_token.into();
    }
    Reply::json(200, body.to_string())
}

/// `POST /oauth/token` refusing a refresh grant whose session is over, as the Hub does.
pub fn oauth_token_refused() -> Reply {
    Reply::json(
        400,
        r#"{"error":"invalid_grant","error_description":"revoked"}"#,
    )
}

/// The Hub's answer about `model` with its inference-provider mapping: each upstream serving
/// it, as `(upstream, its id for the model, status, task)`.
pub fn inference_mapping(model: &str, entries: &[(&str, &str, &str, &str)]) -> Reply {
    let mapping: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .map(|(upstream, id, status, task)| {
            (
                (*upstream).to_owned(),
                serde_json::json!({"providerId": id, "status": status, "task": task}),
            )
        })
        .collect();
    Reply::json(
        200,
        serde_json::json!({"id": model, "inferenceProviderMapping": mapping}).to_string(),
    )
}

/// The Hub's billing usage for Inference Providers, in nano-dollars as the Hub gives them.
pub fn billing_usage(used_nano: u64, included_nano: u64, limit_nano: u64, requests: u64) -> Reply {
    Reply::json(
        200,
        serde_json::json!({"usage": {"inferenceProviders": {
            "usedNanoUsd": used_nano, "includedNanoUsd": included_nano,
            "limitNanoUsd": limit_nano, "numRequests": requests,
        }, "jobs": {"usedMicroUsd": 0, "totalMinutes": 0}}})
        .to_string(),
    )
}
