//! Tokens `hf auth login` leaves: an expired login refreshed once at the Hub, written back to
//! its files and used — by host-stub and the bridge alike; a login that cannot be refreshed says
//! to log in again; onboarding takes the token file after the flag and the environment. No
//! token, old or new, access or refresh, appears in any output or in a file but the login's own.

use std::{
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use openclaw_e2e::{
    MockRouter, Reply, Run, SENTINEL_TOKEN, Sandbox,
    mock_router::{oauth_token, oauth_token_refused},
};
use serde_json::json;

use crate::support::{
    CHAT, GLM, OAUTH_TOKEN, assert_no_secret, assert_no_secret_in_files,
    bridge::{call, folder},
    chat_request, error_of, installed_hf, mode, router_config, stream_of,
};

/// A `hf auth login` token about to be refreshed, the token the Hub grants instead, and the
/// refresh tokens: none may appear in any output.
const OLD_LOGIN: &str = "hf_oauth_OLDxSENTINELq7Zt3Lp9Vw2Rk5Nm8";
const NEW_LOGIN: &str = "hf_oauth_NEWxSENTINELb4Dj6Fh1Gs0Ty3Lp9";
const OLD_REFRESH: &str = "hf_oauth_rt_OLDxSENTINELz5Nm8Bc4Dj";
const NEW_REFRESH: &str = "hf_oauth_rt_NEWxSENTINELw2Rk5Nm8Bc";
const SECRETS: [&str; 5] = [
    SENTINEL_TOKEN,
    OLD_LOGIN,
    NEW_LOGIN,
    OLD_REFRESH,
    NEW_REFRESH,
];

/// `host-stub chat --json` with GLM; no token may appear in its output.
fn chat_glm(sandbox: &Sandbox) -> Run {
    let model = format!("huggingface/{GLM}");
    let run = sandbox.run(["chat", "--json", "--model", &model, "hi"]);
    assert_no_secret(&run.all_output(), &SECRETS);
    run
}

/// A router whose Hub grants `NEW_LOGIN` for a refresh, and whose chats answer "fresh".
fn refreshing_router() -> MockRouter {
    let router = MockRouter::start();
    router
        .on(
            "POST",
            OAUTH_TOKEN,
            oauth_token(NEW_LOGIN, Some(NEW_REFRESH), 2_592_000),
        )
        .on("POST", CHAT, stream_of("fresh", "together"));
    router
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An `HF_HOME` as `hf auth login` leaves it: the token file and `stored_tokens` with the
/// login's refresh token, expiring at `expires_at`.
fn logged_in(root: &Path, expires_at: u64) -> PathBuf {
    let hf_home = root.join("hf-home");
    std::fs::create_dir_all(&hf_home).unwrap();
    std::fs::write(hf_home.join("token"), OLD_LOGIN).unwrap();
    std::fs::write(
        hf_home.join("stored_tokens"),
        format!(
            "[my-classic]\nhf_token = hf_classicTokenForScripts01\n\n[oauth-alice]\nhf_token = \
             {OLD_LOGIN}\nrefresh_token = {OLD_REFRESH}\nexpires_at = {expires_at}\n\n"
        ),
    )
    .unwrap();
    hf_home
}

/// The files after a refresh: the new token in both, 0600, the lock gone.
fn assert_written_back(hf_home: &Path, started: u64) {
    assert_eq!(
        std::fs::read_to_string(hf_home.join("token")).unwrap(),
        NEW_LOGIN
    );
    let stored = std::fs::read_to_string(hf_home.join("stored_tokens")).unwrap();
    let expires_at: u64 = stored
        .lines()
        .find_map(|l| l.strip_prefix("expires_at = "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires_at >= started + 2_592_000 && expires_at <= now() + 2_592_000);
    assert_eq!(
        stored,
        format!(
            "[my-classic]\nhf_token = hf_classicTokenForScripts01\n\n[oauth-alice]\nhf_token = \
             {NEW_LOGIN}\nrefresh_token = {NEW_REFRESH}\nexpires_at = {expires_at}\n\n"
        )
    );
    assert_eq!(mode(&hf_home.join("token")), 0o600);
    assert_eq!(mode(&hf_home.join("stored_tokens")), 0o600);
    assert!(!hf_home.join("stored_tokens.lock").exists());
}

fn login_sandbox(router: &MockRouter, expires_at: u64) -> (Sandbox, PathBuf) {
    let mut sandbox = installed_hf();
    sandbox.write_config(&router_config(router, json!({})));
    let hf_home = logged_in(sandbox.root(), expires_at);
    sandbox
        .set_env("HF_HOME", hf_home.to_str().unwrap())
        .set_env("HF_ENDPOINT", &router.origin());
    (sandbox, hf_home)
}

fn onboard(sandbox: &Sandbox, extra: &[&str]) -> Run {
    let mut args = vec![
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "huggingface-api-key",
        "--json",
    ];
    args.extend_from_slice(extra);
    let run = sandbox.run(&args);
    assert_no_secret(&run.all_output(), &SECRETS);
    run
}

#[test]
fn an_expired_login_token_is_refreshed_once_written_back_and_used() {
    let router = refreshing_router();
    let started = now();
    let (sandbox, hf_home) = login_sandbox(&router, started - 10);
    let run = chat_glm(&sandbox);
    run.ok();
    let again = chat_glm(&sandbox);
    again.ok();

    let refreshes = router.requests_to(OAUTH_TOKEN);
    assert_eq!(refreshes.len(), 1, "refreshed once");
    let form = String::from_utf8(refreshes[0].body.clone()).unwrap();
    assert_eq!(
        form,
        format!(
            "grant_type=refresh_token&refresh_token={OLD_REFRESH}&client_id=26be6b09-91c5-47da-9861-d2d2bb7a7e36"
        )
    );
    assert_eq!(
        refreshes[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert!(refreshes[0].header("authorization").is_none());
    for request in router.requests_to(CHAT) {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {NEW_LOGIN}").as_str())
        );
    }
    assert_written_back(&hf_home, started);
    // Only the login's own files hold a token.
    assert_no_secret_in_files(sandbox.root(), &SECRETS, |path| path.starts_with(&hf_home));
}

#[test]
fn a_login_that_cannot_be_refreshed_says_to_run_hf_auth_login() {
    let router = MockRouter::start();
    router.on("POST", OAUTH_TOKEN, oauth_token_refused()).on(
        "POST",
        CHAT,
        Reply::invalid_credentials(),
    );
    let (sandbox, hf_home) = login_sandbox(&router, now() - 10);
    let before = std::fs::read(hf_home.join("stored_tokens")).unwrap();
    let error = error_of(&chat_glm(&sandbox));
    assert_eq!(error["code"], "unauthorized");
    assert_eq!(
        error["message"],
        "Hugging Face rejected the token of your `hf auth login` session (the service said: \
         Invalid credentials in Authorization header), and it could not be refreshed. Run `hf \
         auth login` to log in again."
    );
    assert_eq!(
        std::fs::read(hf_home.join("stored_tokens")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read_to_string(hf_home.join("token")).unwrap(),
        OLD_LOGIN
    );
}

#[test]
fn onboarding_takes_the_token_file_after_the_flag_and_the_environment() {
    let router = MockRouter::start();
    let (mut sandbox, hf_home) = login_sandbox(&router, now() + 10 * 86_400);
    let report = onboard(&sandbox, &[]).json();
    let token_file = hf_home.join("token").display().to_string();
    assert_eq!(
        report["keySource"],
        json!({"kind": "file", "path": token_file})
    );
    assert_eq!(report["key"], "hf_…5Nm8");
    assert_eq!(report["profileChanged"], false);
    assert_eq!(report["configChanged"], true);
    // Used from its file: no profile holds it.
    let profiles = sandbox.profile_store();
    assert!(
        !profiles.exists()
            || !std::fs::read_to_string(&profiles)
                .unwrap()
                .contains(OLD_LOGIN)
    );
    let text = sandbox.run([
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "huggingface-api-key",
    ]);
    assert!(
        text.ok().contains(&format!(
            "huggingface: uses hf_…5Nm8 from its file, not copied into a profile (logging in \
             again with the provider's own tool keeps it current) (key from the token file \
             {token_file})"
        )),
        "{text}"
    );
    assert!(text.stdout.contains("nothing changed"), "{text}");

    // The environment and the flag come first.
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    assert_eq!(
        onboard(&sandbox, &[]).json()["keySource"],
        json!({"kind": "env", "variable": "HF_TOKEN"})
    );
    let flag = onboard(&sandbox, &["--huggingface-api-key", "hf_fromTheFlag000001"]).json();
    assert_eq!(flag["keySource"]["kind"], "flag");
}

#[test]
fn the_bridge_refreshes_an_expired_login_from_the_token_file() {
    let router = refreshing_router();
    let sandbox = Sandbox::new();
    let dir = folder(&sandbox);
    let started = now();
    let hf_home = logged_in(sandbox.root(), started + 3600); // under a day left
    let env = [
        ("HF_HOME", hf_home.to_str().unwrap()),
        ("HF_ENDPOINT", &router.origin()),
    ];
    let answer = call(
        &dir,
        &env,
        &["chat", "--base-url", &router.base_url()],
        Some(&chat_request(&format!("huggingface/{GLM}"), "hi")),
    );
    assert_no_secret(&format!("{}{}", answer.stdout, answer.stderr), &SECRETS);
    let lines = answer.lines;
    assert_eq!(lines.last().unwrap()["type"], "done", "{lines:?}");
    assert_eq!(router.requests_to(OAUTH_TOKEN).len(), 1);
    assert_eq!(
        router.requests_to(CHAT)[0].header("authorization"),
        Some(format!("Bearer {NEW_LOGIN}").as_str())
    );
    assert_written_back(&hf_home, started);
}
