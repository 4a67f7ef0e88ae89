//! The advice an error carries: a 403 for an upstream not available (naming the upstreams that
//! serve the model), for an organisation the token may not bill, any other 403 in the service's
//! words; a 402 in today's billing words; close ids for an unknown model — the same through the
//! provider bridge.

use openclaw_e2e::{MockRouter, Reply, Sandbox};
use serde_json::{Value, json};

use super::{GLM, QWEN, chat, host_pointed_at, notices_of, refresh, unavailable};
use crate::support::{
    CHAT,
    bridge::{Answer, KEY, call, folder},
    error_of, models_sent, str_of,
};

/// The error line of a chat with GLM that fails.
fn glm_error(sandbox: &Sandbox) -> Value {
    error_of(&chat(
        sandbox,
        &["--model", &format!("huggingface/{GLM}"), "hi"],
    ))
}

#[test]
fn a_403_for_an_upstream_not_available_names_it_and_the_upstreams_that_serve_the_model() {
    let router = MockRouter::start();
    let sandbox = host_pointed_at(&router, json!({}));
    refresh(&sandbox, &router);
    router.on("POST", CHAT, unavailable("deepinfra"));
    let run = chat(
        &sandbox,
        &["--model", &format!("huggingface/{QWEN}:deepinfra"), "hi"],
    );
    let error = error_of(&run);
    assert_eq!(error["code"], "forbidden");
    assert_eq!(error["httpStatus"], 403);
    assert_eq!(
        error["message"],
        format!(
            "the inference provider deepinfra is not available to this account for \
             {QWEN}:deepinfra (the service said: The requested provider 'deepinfra' is not \
             available.). Let the router choose with {QWEN}:fastest, or pin another upstream \
             that serves it: {QWEN}:together, {QWEN}:novita; or enable deepinfra at \
             https://huggingface.co/settings/inference-providers."
        )
    );
    // A pin the user chose is theirs: not sent again.
    assert_eq!(models_sent(&router), [format!("{QWEN}:deepinfra")]);

    // Without catalog data (an unknown model), the advice still names the upstream.
    let unknown = chat(
        &sandbox,
        &["--model", "huggingface/someone/new-model", "hi"],
    );
    let message = error_of(&unknown)["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("the inference provider deepinfra is not available to this account"),
        "{message}"
    );
    assert!(message.contains("Let the router choose with someone/new-model:fastest, or pin another upstream that serves it (someone/new-model:<provider>; `models list --json` lists them)"), "{message}");
}

#[test]
fn a_403_billing_an_organisation_names_it_and_bill_to() {
    let router = MockRouter::start();
    let sandbox = host_pointed_at(
        &router,
        json!({"models": {"providers": {"huggingface": {"billTo": "acme"}}}}),
    );
    router.on("POST", CHAT, Reply::no_inference_permission("org acme"));
    let error = glm_error(&sandbox);
    assert_eq!(error["code"], "forbidden");
    assert_eq!(
        error["message"],
        "the token may not bill organisation acme (the service said: This authentication method \
         does not have sufficient permissions to call Inference Providers on behalf of org acme). \
         billTo (models.providers.huggingface.billTo) sends X-HF-Bill-To: acme; give the token \
         \"Make calls to Inference Providers\" (inference.serverless.write) for that \
         organisation at https://huggingface.co/settings/tokens, or remove billTo to bill your \
         own account."
    );
    assert_eq!(
        router.requests_to(CHAT)[0].header("x-hf-bill-to"),
        Some("acme")
    );
}

#[test]
fn other_403s_keep_their_advice_or_the_services_words() {
    let router = MockRouter::start();
    let sandbox = host_pointed_at(&router, json!({}));
    router.then("POST", CHAT, Reply::no_inference_permission("user alice"));
    let error = glm_error(&sandbox);
    assert_eq!(
        error["message"],
        "the token lacks the \"Make calls to Inference Providers\" permission \
         (inference.serverless.write) (the service said: This authentication method does not \
         have sufficient permissions to call Inference Providers on behalf of user alice). Add \
         it to the token at https://huggingface.co/settings/tokens, or create a fine-grained \
         token with it: https://huggingface.co/settings/tokens/new?ownUserPermissions=inference.serverless.write&tokenType=fineGrained"
    );
    router.then(
        "POST",
        CHAT,
        Reply::json(
            403,
            r#"{"error":"Your token has been revoked by the organization administrator, you can no longer access organization resources."}"#,
        ),
    );
    let error = glm_error(&sandbox);
    assert_eq!(error["code"], "forbidden");
    assert_eq!(
        error["message"],
        "Hugging Face refused the request (HTTP 403) (the service said: Your token has been \
         revoked by the organization administrator, you can no longer access organization \
         resources.)."
    );
}

#[test]
fn a_402_speaks_of_compute_credits_and_links_the_billing_page() {
    let router = MockRouter::start();
    let sandbox = host_pointed_at(&router, json!({}));
    router.on(
        "POST",
        CHAT,
        Reply::json(
            402,
            r#"{"error":"You have no remaining credits. Purchase pre-paid credits to continue using Inference Providers."}"#,
        ),
    );
    let error = glm_error(&sandbox);
    assert_eq!(error["code"], "payment_required");
    assert_eq!(
        error["message"],
        "the compute credits of your Hugging Face account are used up (the service said: You \
         have no remaining credits. Purchase pre-paid credits to continue using Inference \
         Providers.). Add pre-paid credits (or turn on automatic recharge) at \
         https://huggingface.co/settings/billing; PRO, Team and Enterprise plans include monthly \
         compute credits."
    );
}

#[test]
fn unknown_model_ids_get_close_ids_in_the_warning_and_the_error() {
    let router = MockRouter::start();
    let sandbox = host_pointed_at(&router, json!({}));
    router
        .then("POST", CHAT, Reply::json(404, r#"{"error":"Model not found"}"#))
        .then(
            "POST",
            CHAT,
            Reply::json(
                400,
                r#"{"error":{"message":"The requested model 'deepseek-ai/DeepSeek-V3' is not supported by any provider you have enabled.","type":"invalid_request_error","param":"model","code":"model_not_supported"}}"#,
            ),
        );
    // The built-in catalog: no refresh has happened.
    let typo = chat(
        &sandbox,
        &["--model", "huggingface/deepseek-ai/DeepSeek-R2", "hi"],
    );
    assert_eq!(
        notices_of(&typo),
        [
            "deepseek-ai/DeepSeek-R2 is not in the catalog (did you mean deepseek-ai/DeepSeek-R1, \
          deepseek-ai/DeepSeek-V3.2 or deepseek-ai/DeepSeek-V3.1?); sending it anyway with \
          default metadata"
        ]
    );
    let error = error_of(&typo);
    assert_eq!(error["code"], "model_not_found");
    assert_eq!(
        error["message"],
        "model deepseek-ai/DeepSeek-R2 was not found (the service said: Model not found). Did \
         you mean deepseek-ai/DeepSeek-R1, deepseek-ai/DeepSeek-V3.2 or \
         deepseek-ai/DeepSeek-V3.1? `models list --refresh` shows the models the router serves."
    );
    let retired = chat(
        &sandbox,
        &["--model", "huggingface/deepseek-ai/DeepSeek-V3", "hi"],
    );
    let error = error_of(&retired);
    assert_eq!(error["code"], "model_not_supported");
    assert!(
        error["message"].as_str().unwrap().contains(
            "Did you mean deepseek-ai/DeepSeek-V3.1, deepseek-ai/DeepSeek-V3.2 or \
             deepseek-ai/DeepSeek-R1?"
        ),
        "{retired}"
    );
}

#[test]
fn the_bridge_gives_the_same_advice() {
    let router = MockRouter::start();
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let base = router.base_url();
    let request =
        |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
    let bridge_chat = |settings: &[&str], request: &Value| {
        let mut args = vec!["chat"];
        args.extend_from_slice(settings);
        call(&dir, &KEY, &args, Some(&request.to_string()))
    };
    let error = |answer: Answer| {
        assert_eq!(answer.last()["type"], "error", "{answer}");
        answer.last().clone()
    };

    router.then("POST", CHAT, unavailable("deepinfra"));
    let forbidden = error(bridge_chat(
        &["--base-url", &base],
        &request(&format!("huggingface/{QWEN}:deepinfra")),
    ));
    assert_eq!(forbidden["code"], "forbidden");
    assert!(forbidden["message"].as_str().unwrap().starts_with(&format!(
        "the inference provider deepinfra is not available to this account for {QWEN}:deepinfra"
    )));

    router.then("POST", CHAT, Reply::no_inference_permission("org acme"));
    let billing = error(bridge_chat(
        &[
            "--base-url",
            &base,
            "--settings",
            r#"{"provider":{"billTo":"acme"}}"#,
        ],
        &request(&format!("huggingface/{GLM}")),
    ));
    assert!(str_of(&billing["message"]).starts_with("the token may not bill organisation acme"));

    router.then(
        "POST",
        CHAT,
        Reply::json(
            402,
            r#"{"error":"You have depleted your monthly included credits."}"#,
        ),
    );
    let payment = error(bridge_chat(
        &["--base-url", &base],
        &request(&format!("huggingface/{GLM}")),
    ));
    assert_eq!(payment["code"], "payment_required");
    assert!(
        str_of(&payment["message"])
            .starts_with("the compute credits of your Hugging Face account are used up")
    );
    assert!(str_of(&payment["message"]).contains("https://huggingface.co/settings/billing"));

    router.then(
        "POST",
        CHAT,
        Reply::json(404, r#"{"error":"Model not found"}"#),
    );
    let typo = error(bridge_chat(
        &["--base-url", &base],
        &request("huggingface/deepseek-ai/DeepSeek-R2"),
    ));
    assert!(
        str_of(&typo["message"]).contains("Did you mean deepseek-ai/DeepSeek-R1"),
        "{typo}"
    );
}
