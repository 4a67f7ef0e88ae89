//! `onboard --validate`: the Hub's `whoami-v2` names the account and says whether the token may
//! call Inference Providers (and bill the organisation `billTo` names); a token lacking the
//! permission, a rejected token and an unreachable Hub store nothing.

use openclaw_e2e::{
    MockRouter, Reply, SENTINEL_TOKEN,
    mock_router::{OrgMembership, TokenKind, whoami_body_with_orgs},
};
use serde_json::json;

use super::{assert_token_only_in_store, validating_sandbox};
use crate::support::{WHOAMI, assert_ours_with_the_token, config_file, installed_hf, seed, with};

#[test]
fn validate_accepts_working_tokens_and_names_the_account() {
    let router = MockRouter::start();
    let sandbox = validating_sandbox(&router);
    let run = sandbox.run(with(seed(SENTINEL_TOKEN), &["--validate", "--json"]));
    let report = run.json();
    assert_eq!(report["account"]["account"], "alice");
    assert_eq!(report["account"]["canCallProvider"], true);
    let requests = router.requests_to(WHOAMI);
    assert_eq!(requests.len(), 1);
    assert_ours_with_the_token(&requests[0]);

    for (token, account) in [
        ("hf_readTokenForBob0001", "bob"),
        ("hf_fineWithInference02", "carol"),
    ] {
        let run = sandbox.run(with(seed(token), &["--validate"]));
        assert!(run.ok().contains(account), "{run}");
    }
    assert_token_only_in_store(&sandbox, &[&run]);
}

#[test]
fn validate_refuses_a_token_lacking_the_permission_a_bad_token_and_an_unreachable_hub() {
    let router = MockRouter::start();
    let sandbox = validating_sandbox(&router);

    let lacking = sandbox.run(with(seed("hf_fineWithoutInference3"), &["--validate"]));
    lacking.code(1);
    assert!(
        lacking.stderr.contains("inference.serverless.write")
            || lacking.stderr.contains("Make calls to Inference Providers"),
        "{lacking}"
    );
    assert!(lacking.stderr.contains("nothing was stored"), "{lacking}");
    assert!(!sandbox.profile_store().exists());
    assert!(!config_file(&sandbox).exists());

    let rejected = sandbox.run(with(seed("hf_notAKnownToken9999"), &["--validate"]));
    rejected.code(1);
    assert!(rejected.stderr.contains("401"), "{rejected}");
    assert!(!sandbox.profile_store().exists());

    let mut offline = installed_hf();
    offline.set_env("HF_ENDPOINT", "http://127.0.0.1:1");
    let unreachable = offline.run(with(seed(SENTINEL_TOKEN), &["--validate"]));
    unreachable.code(1);
    assert!(
        unreachable.stderr.contains("could not be validated")
            && unreachable.stderr.contains("without --validate"),
        "{unreachable}"
    );
    assert!(!offline.profile_store().exists());
    assert_token_only_in_store(&offline, &[&unreachable]);
}

#[test]
fn validating_with_bill_to_checks_the_token_may_bill_the_organisation() {
    let router = MockRouter::start();
    let member = |token_may_bill| OrgMembership {
        token_may_bill,
        ..OrgMembership::new("acme", "write")
    };
    router.on(
        "GET",
        WHOAMI,
        Reply::ByToken {
            replies: vec![
                (
                    "hf_fineGrainedForAcme01".into(),
                    Reply::json(
                        200,
                        whoami_body_with_orgs(
                            "alice",
                            TokenKind::FineGrainedWithInference,
                            &[member(true)],
                        ),
                    ),
                ),
                (
                    "hf_fineGrainedUserOnly1".into(),
                    Reply::json(
                        200,
                        whoami_body_with_orgs(
                            "alice",
                            TokenKind::FineGrainedWithInference,
                            &[member(false)],
                        ),
                    ),
                ),
                (
                    "hf_writeNotAMember0001".into(),
                    Reply::json(200, whoami_body_with_orgs("bob", TokenKind::Write, &[])),
                ),
            ],
            otherwise: Box::new(Reply::json(401, r#"{"error":"Invalid credentials"}"#)),
        },
    );
    let mut sandbox = installed_hf();
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {"billTo": "acme"}}}}));
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    let validate = |key: &str| {
        let run = sandbox.run([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "huggingface-api-key",
            "--huggingface-api-key",
            key,
            "--validate",
        ]);
        assert!(!run.all_output().contains(key), "{run}");
        run
    };
    let ok = validate("hf_fineGrainedForAcme01");
    assert!(
        ok.ok().contains(
            "checked: token \"alice-token\" of alice may make calls to Inference Providers billed \
             to organisation acme (billTo)"
        ),
        "{ok}"
    );
    let user_only = validate("hf_fineGrainedUserOnly1");
    user_only.code(1);
    assert!(
        user_only.stderr.contains(
            "the token may not bill organisation acme (billTo): the fine-grained token lacks \
             \"Make calls to Inference Providers\" (inference.serverless.write) for acme; add it \
             under the token's organisation permissions at https://huggingface.co/settings/tokens; \
             calls would be refused with HTTP 403. Fix it, or remove \
             models.providers.huggingface.billTo to bill alice instead (nothing was stored)"
        ),
        "{user_only}"
    );
    let outsider = validate("hf_writeNotAMember0001");
    outsider.code(1);
    assert!(
        outsider.stderr.contains(
            "the token may not bill organisation acme (billTo): bob is not a member of it"
        ),
        "{outsider}"
    );
    let profiles = std::fs::read_to_string(sandbox.profile_store()).unwrap();
    assert!(profiles.contains("hf_fineGrainedForAcme01"));
    assert!(
        !profiles.contains("hf_fineGrainedUserOnly1")
            && !profiles.contains("hf_writeNotAMember0001")
    );
}
