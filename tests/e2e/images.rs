//! `host-stub image generate` through the Hugging Face plugin against the mock Hub and router:
//! each upstream's shape (hf-inference's raw bytes, together's and nscale's base64, replicate's
//! prediction polled, fal's queue polled and its result fetched from a CDN over TLS without the
//! token), what an upstream does not take left out with a notice, and every failure: a failed
//! or vanished queue job, a queue that never finishes (the job cancelled upstream), a result
//! over plain HTTP or redirected to another host, an oversized answer, bytes that are not an
//! image, a model still loading.

use std::time::Duration;

use base64::Engine;
use openclaw_e2e::{
    MockRouter, Reply, Sandbox,
    mock_router::{inference_mapping, paths},
    tls_front::TlsFront,
};
use serde_json::{Value, json};

use crate::support::{
    assert_ours_with_the_token, json_failure, merge, no_leak, plugin_settings, png, pointed_at,
    str_of,
};

const FLUX: &str = "black-forest-labs/FLUX.1-dev";
const FAL_ID: &str = "fal-ai/flux/dev";
const REQUEST_PATH: &str = "fal-ai/flux/dev/requests/req-1";

/// A router whose Hub maps FLUX to `upstreams` (`(upstream, id there)`), live, for text-to-image.
fn mapped(upstreams: &[(&str, &str)]) -> MockRouter {
    let router = MockRouter::start();
    let entries: Vec<(&str, &str, &str, &str)> = upstreams
        .iter()
        .map(|(upstream, id)| (*upstream, *id, "live", "text-to-image"))
        .collect();
    router.on(
        "GET",
        &paths::hub_model(FLUX),
        inference_mapping(FLUX, &entries),
    );
    router
}

/// A sandbox pointed at `router` (router and Hub), billing `acme`, with `settings` as the
/// plugin's and `extra_env` set.
fn sandbox_for(router: &MockRouter, settings: Value, extra_env: &[(&str, &str)]) -> Sandbox {
    let mut config = plugin_settings(settings);
    merge(
        &mut config,
        json!({"models": {"providers": {"huggingface": {"billTo": "acme"}}}}),
    );
    let mut sandbox = pointed_at(router, config);
    sandbox.set_env("HF_ENDPOINT", &router.origin());
    for (name, value) in extra_env {
        sandbox.set_env(name, value);
    }
    sandbox
}

fn generate(sandbox: &Sandbox, model: &str, extra: &[&str]) -> openclaw_e2e::Run {
    let output = sandbox.home().join("cat.png");
    let reference = format!("huggingface/{model}");
    let mut args = vec![
        "--json".to_owned(),
        "image".into(),
        "generate".into(),
        "--model".into(),
        reference,
        "--prompt".into(),
        "a cat asleep on a keyboard".into(),
        "--output".into(),
        output.display().to_string(),
    ];
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    let run = sandbox.run(args);
    no_leak(&run);
    run
}

/// The bytes of the `index`th file a successful run wrote.
fn written(run: &openclaw_e2e::Run, index: usize) -> Vec<u8> {
    let answer = run.json();
    std::fs::read(str_of(&answer["images"][index]["file"])).unwrap()
}

fn failed(run: &openclaw_e2e::Run) -> String {
    str_of(&json_failure(run)["message"]).to_owned()
}

#[test]
fn hf_inference_answers_the_image_itself_and_its_type_is_read_from_the_bytes() {
    let router = mapped(&[("hf-inference", FLUX)]);
    // The header lies; the bytes are a PNG.
    router.on(
        "POST",
        &paths::hf_inference_model(FLUX),
        Reply::bytes(200, "application/octet-stream", png(1)),
    );
    let sandbox = sandbox_for(&router, json!({}), &[]);
    let run = generate(&sandbox, FLUX, &["--size", "768x512", "--seed", "7"]);
    let answer = run.json();
    assert_eq!(answer["servingProvider"], "hf-inference", "{run}");
    assert_eq!(answer["images"][0]["mediaType"], "image/png");
    assert_eq!(written(&run, 0), png(1));
    let sent = &router.requests_to(&paths::hf_inference_model(FLUX))[0];
    assert_ours_with_the_token(sent);
    assert_eq!(sent.header("x-hf-bill-to"), Some("acme"));
    assert_eq!(
        sent.json(),
        json!({"inputs": "a cat asleep on a keyboard",
               "parameters": {"width": 768, "height": 512, "seed": 7}})
    );
    // The Hub was asked with the token too.
    assert_ours_with_the_token(&router.requests_to(&paths::hub_model(FLUX))[0]);
}

#[test]
fn together_answers_base64_and_several_images_are_numbered_files() {
    let router = mapped(&[("together", "black-forest-labs/FLUX.1-dev-together")]);
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    router.on(
        "POST",
        paths::TOGETHER_IMAGES,
        Reply::json(
            200,
            json!({"data": [{"index": 0, "b64_json": b64(png(2))},
                            {"index": 1, "b64_json": b64(png(3))}]})
            .to_string(),
        ),
    );
    let sandbox = sandbox_for(&router, json!({}), &[]);
    let run = generate(&sandbox, FLUX, &["--count", "2", "--aspect-ratio", "16:9"]);
    let answer = run.json();
    assert_eq!(answer["images"].as_array().unwrap().len(), 2, "{run}");
    assert!(str_of(&answer["images"][1]["file"]).ends_with("cat-2.png"));
    assert_eq!(written(&run, 0), png(2));
    assert_eq!(written(&run, 1), png(3));
    let body = router.requests_to(paths::TOGETHER_IMAGES)[0].json();
    assert_eq!(body["model"], "black-forest-labs/FLUX.1-dev-together");
    assert_eq!(body["n"], 2);
    assert_eq!(
        (body["width"].clone(), body["height"].clone()),
        (json!(1344), json!(768))
    );
    let notices = answer["notices"].to_string();
    assert!(notices.contains("16:9 was sent as 1344x768"), "{notices}");
}

#[test]
fn nscale_leaves_out_what_it_does_not_take_and_says_so() {
    let router = mapped(&[("nscale", "flux-dev")]);
    let b64 = base64::engine::general_purpose::STANDARD.encode(png(4));
    router.on(
        "POST",
        paths::NSCALE_IMAGES,
        Reply::json(200, json!({"data": [{"b64_json": b64}]}).to_string()),
    );
    let sandbox = sandbox_for(&router, json!({}), &[]);
    let run = generate(
        &sandbox,
        &format!("{FLUX}:nscale"),
        &[
            "--seed",
            "3",
            "--negative-prompt",
            "dogs",
            "--size",
            "512x512",
        ],
    );
    assert_eq!(written(&run, 0), png(4), "{run}");
    let body = router.requests_to(paths::NSCALE_IMAGES)[0].json();
    assert_eq!(body["size"], "512x512");
    assert_eq!(body["response_format"], "b64_json");
    assert!(body.get("seed").is_none() && body.get("negative_prompt").is_none());
    let notices = run.json()["notices"].to_string();
    assert!(notices.contains("nscale does not take a seed"), "{notices}");
    assert!(notices.contains("a negative prompt"), "{notices}");
}

/// A router and a TLS front for it: fal's queue answers `statuses` in turn (the last one for
/// good), and its result names an image on the front, which serves `png(5)`.
fn fal_router(statuses: &[Value]) -> (MockRouter, TlsFront) {
    let router = mapped(&[("fal-ai", FAL_ID)]);
    let front = TlsFront::start(router.addr(), Duration::ZERO);
    router.on(
        "POST",
        &paths::fal(FAL_ID),
        Reply::json(
            200,
            json!({"request_id": "req-1", "status": "IN_QUEUE",
                   "response_url": format!("https://queue.fal.run/{REQUEST_PATH}")})
            .to_string(),
        ),
    );
    let status_path = paths::fal(&format!("{REQUEST_PATH}/status"));
    let (last, first) = statuses.split_last().unwrap();
    for status in first {
        router.then("GET", &status_path, Reply::json(200, status.to_string()));
    }
    router.on("GET", &status_path, Reply::json(200, last.to_string()));
    let cdn = format!(
        "{}{}",
        front.base_url().trim_end_matches("/v1"),
        paths::CDN_IMAGE
    );
    router.on(
        "GET",
        &paths::fal(REQUEST_PATH),
        Reply::json(
            200,
            json!({"images": [{"url": cdn, "width": 1024, "height": 768,
                               "content_type": "image/jpeg"}], "seed": 1})
            .to_string(),
        ),
    );
    router.on(
        "GET",
        paths::CDN_IMAGE,
        Reply::bytes(200, "image/jpeg", png(5)),
    );
    (router, front)
}

fn trusting(front: &TlsFront) -> [(&'static str, String); 1] {
    [("NODE_EXTRA_CA_CERTS", front.ca_file().display().to_string())]
}

#[test]
fn fal_queues_the_job_it_is_polled_and_the_image_comes_from_the_cdn_without_the_token() {
    let (router, front) = fal_router(&[
        json!({"status": "IN_QUEUE", "queue_position": 2}),
        json!({"status": "IN_PROGRESS"}),
        json!({"status": "COMPLETED"}),
    ]);
    let [(name, ca)] = trusting(&front);
    let sandbox = sandbox_for(&router, json!({}), &[(name, &ca)]);
    let run = generate(&sandbox, FLUX, &["--size", "1024x768"]);
    let answer = run.json();
    assert_eq!(answer["servingProvider"], "fal-ai", "{run}");
    assert_eq!(answer["images"][0]["mediaType"], "image/png");
    assert_eq!(answer["images"][0]["width"], 1024);
    assert_eq!(written(&run, 0), png(5));
    let submitted = &router.requests_to(&paths::fal(FAL_ID))[0];
    assert!(
        submitted.path.ends_with("?_subdomain=queue"),
        "{}",
        submitted.path
    );
    assert_ours_with_the_token(submitted);
    assert_eq!(
        submitted.json()["image_size"],
        json!({"width": 1024, "height": 768})
    );
    let polls = router.requests_to(&paths::fal(&format!("{REQUEST_PATH}/status")));
    assert_eq!(polls.len(), 3);
    assert!(polls.iter().all(|poll| poll.carries_the_sentinel_token()));
    let fetched = router.requests_to(paths::CDN_IMAGE);
    assert_eq!(fetched.len(), 1);
    assert_eq!(
        fetched[0].header("authorization"),
        None,
        "{:?}",
        fetched[0].headers
    );
    assert_eq!(fetched[0].header("x-hf-bill-to"), None);
}

#[test]
fn a_failed_or_vanished_queue_job_is_a_clean_failure() {
    let (router, front) = fal_router(&[
        json!({"status": "IN_PROGRESS"}),
        json!({"status": "FAILED", "error": "the GPU caught fire"}),
    ]);
    let [(name, ca)] = trusting(&front);
    let sandbox = sandbox_for(&router, json!({}), &[(name, &ca)]);
    let run = generate(&sandbox, FLUX, &[]);
    let message = failed(&run);
    assert!(
        message.contains("failed at fal-ai") && message.contains("GPU caught fire"),
        "{message}"
    );
    assert!(router.requests_to(paths::CDN_IMAGE).is_empty());

    let (router, front) = fal_router(&[json!({"status": "IN_QUEUE"})]);
    router.on(
        "GET",
        &paths::fal(&format!("{REQUEST_PATH}/status")),
        Reply::json(404, r#"{"detail":"Request not found"}"#),
    );
    let [(name, ca)] = trusting(&front);
    let sandbox = sandbox_for(&router, json!({}), &[(name, &ca)]);
    let message = failed(&generate(&sandbox, FLUX, &[]));
    assert!(message.contains("no longer knows the job"), "{message}");

    let (router, front) = fal_router(&[json!({"status": "EXPLODED"})]);
    let [(name, ca)] = trusting(&front);
    let sandbox = sandbox_for(&router, json!({}), &[(name, &ca)]);
    let message = failed(&generate(&sandbox, FLUX, &[]));
    assert!(
        message.contains("EXPLODED") && message.contains("does not document"),
        "{message}"
    );
}

#[test]
fn a_queue_that_never_finishes_ends_at_the_deadline_and_the_job_is_cancelled_upstream() {
    let (router, front) = fal_router(&[json!({"status": "IN_QUEUE"})]);
    let cancel_path = paths::fal(&format!("{REQUEST_PATH}/cancel"));
    router.on(
        "PUT",
        &cancel_path,
        Reply::json(202, r#"{"status":"CANCELLATION_REQUESTED"}"#),
    );
    let [(name, ca)] = trusting(&front);
    let sandbox = sandbox_for(
        &router,
        json!({"images": {"timeoutMs": 2000}}),
        &[(name, &ca)],
    );
    let run = generate(&sandbox, FLUX, &[]);
    let failure = json_failure(&run);
    assert_eq!(failure["code"], "timeout", "{run}");
    assert!(str_of(&failure["message"]).contains("2000 ms"), "{run}");
    let cancels = router.requests_to(&cancel_path);
    assert_eq!(cancels.len(), 1, "the abandoned job was not cancelled");
    assert_ours_with_the_token(&cancels[0]);
}

#[test]
fn results_over_plain_http_or_redirected_elsewhere_are_not_fetched() {
    let (router, front) = fal_router(&[json!({"status": "COMPLETED"})]);
    let plain = format!("{}{}", router.origin(), paths::CDN_IMAGE);
    router.on(
        "GET",
        &paths::fal(REQUEST_PATH),
        Reply::json(200, json!({"images": [{"url": plain}]}).to_string()),
    );
    let [(name, ca)] = trusting(&front);
    let sandbox = sandbox_for(&router, json!({}), &[(name, &ca)]);
    let message = failed(&generate(&sandbox, FLUX, &[]));
    assert!(message.contains("over HTTPS only"), "{message}");
    assert!(router.requests_to(paths::CDN_IMAGE).is_empty());

    // The CDN redirects to another origin (the router's plain-HTTP side): not followed.
    let (router, front) = fal_router(&[json!({"status": "COMPLETED"})]);
    let elsewhere = format!("{}/elsewhere.png", router.origin());
    router.on("GET", paths::CDN_IMAGE, Reply::redirect(302, &elsewhere));
    let [(name, ca)] = trusting(&front);
    let sandbox = sandbox_for(&router, json!({}), &[(name, &ca)]);
    let message = failed(&generate(&sandbox, FLUX, &[]));
    assert!(message.contains("not followed"), "{message}");
    assert!(router.requests_to("/elsewhere.png").is_empty());
}

#[test]
fn oversized_answers_non_images_and_a_loading_model() {
    let router = mapped(&[("hf-inference", FLUX)]);
    let route = paths::hf_inference_model(FLUX);
    // Declares 80 MiB: refused before it is read.
    router.then(
        "POST",
        &route,
        Reply::Truncated {
            status: 200,
            declared: 80 << 20,
            body: png(6),
        },
    );
    // A page where an image should be, labelled as one.
    router.then(
        "POST",
        &route,
        Reply::bytes(200, "image/png", "<!doctype html><p>Service busy</p>"),
    );
    // Loading, then the image.
    router.then(
        "POST",
        &route,
        Reply::json(
            503,
            r#"{"error":"Model black-forest-labs/FLUX.1-dev is currently loading","estimated_time":1.0}"#,
        ),
    );
    router.on("POST", &route, Reply::bytes(200, "image/jpeg", png(7)));
    let sandbox = sandbox_for(&router, json!({}), &[]);

    let message = failed(&generate(&sandbox, FLUX, &[]));
    assert!(message.contains("larger than the"), "{message}");
    let message = failed(&generate(&sandbox, FLUX, &[]));
    assert!(message.contains("not an image"), "{message}");
    let run = generate(&sandbox, FLUX, &[]);
    assert_eq!(written(&run, 0), png(7), "{run}");
    let notices = run.json()["notices"].to_string();
    assert!(notices.contains("retrying"), "{notices}");
}

#[test]
fn replicate_is_asked_to_wait_and_a_running_prediction_is_polled() {
    let router = mapped(&[("replicate", "black-forest-labs/flux-dev")]);
    let front = TlsFront::start(router.addr(), Duration::ZERO);
    router.on(
        "POST",
        &paths::replicate_model("black-forest-labs/flux-dev"),
        Reply::json(
            201,
            json!({"id": "p1", "status": "processing", "output": null}).to_string(),
        ),
    );
    let cdn = format!(
        "{}{}",
        front.base_url().trim_end_matches("/v1"),
        paths::CDN_IMAGE
    );
    router.then(
        "GET",
        &paths::replicate_prediction("p1"),
        Reply::json(200, json!({"id": "p1", "status": "processing"}).to_string()),
    );
    router.on(
        "GET",
        &paths::replicate_prediction("p1"),
        Reply::json(
            200,
            json!({"id": "p1", "status": "succeeded", "output": [cdn]}).to_string(),
        ),
    );
    router.on(
        "GET",
        paths::CDN_IMAGE,
        Reply::bytes(200, "image/webp", png(8)),
    );
    let [(name, ca)] = trusting(&front);
    let sandbox = sandbox_for(&router, json!({}), &[(name, &ca)]);
    let run = generate(
        &sandbox,
        FLUX,
        &["--aspect-ratio", "3:2", "--format", "jpeg"],
    );
    assert_eq!(written(&run, 0), png(8), "{run}");
    let submitted = &router.requests_to(&paths::replicate_model("black-forest-labs/flux-dev"))[0];
    assert_eq!(submitted.header("prefer"), Some("wait"));
    assert_eq!(
        submitted.json()["input"],
        json!({"prompt": "a cat asleep on a keyboard", "aspect_ratio": "3:2",
               "output_format": "jpg"})
    );
    assert_eq!(
        router.requests_to(&paths::replicate_prediction("p1")).len(),
        2
    );
}

#[test]
fn a_model_no_upstream_we_speak_serves_names_what_the_hub_lists() {
    let router = mapped(&[("wavespeed", "wavespeed-ai/flux-dev")]);
    let sandbox = sandbox_for(&router, json!({}), &[]);
    let failure = json_failure(&generate(&sandbox, FLUX, &[]));
    assert_eq!(failure["code"], "model_not_supported");
    let message = str_of(&failure["message"]);
    assert!(
        message.contains("wavespeed (text-to-image, live)"),
        "{message}"
    );
    assert!(
        message.contains("models list --task text-to-image"),
        "{message}"
    );
}
