//! Where the key a request carries comes from, in OpenClaw's order: a stored profile (a key, or
//! a reference to a variable), the environment (`HUGGINGFACE_HUB_TOKEN` before `HF_TOKEN`, the
//! state directory's `.env`, the login shell), a key in the provider block (a literal or
//! `${VAR}`), the token file `hf auth login` leaves; and what `auth status` says of them.

use std::os::unix::fs::PermissionsExt;

use openclaw_e2e::{MockRouter, SENTINEL_TOKEN, Sandbox};
use serde_json::json;

use crate::support::{
    MODELS, assert_no_secret, installed_hf, last_bearer, models_list, models_router, no_leak,
    pointed_at, router_config, serve_models,
};

#[test]
fn credentials_follow_one_precedence_order() {
    let router = models_router(1);
    let mut sandbox = pointed_at(&router, json!({}));
    let bearer = |router: &MockRouter| last_bearer(router, MODELS).unwrap();

    // Token file only ($HF_HOME/token).
    let hf_home = sandbox.root().join("hf-home");
    std::fs::create_dir_all(&hf_home).unwrap();
    std::fs::write(hf_home.join("token"), "hf_fromTheTokenFile000000\n").unwrap();
    let mut only_file = installed_hf();
    only_file.write_config(&router_config(&router, json!({})));
    only_file.set_env("HF_HOME", hf_home.to_str().unwrap());
    models_list(&only_file, true);
    assert_eq!(bearer(&router), "Bearer hf_fromTheTokenFile000000");

    // The environment beats the file; HUGGINGFACE_HUB_TOKEN beats HF_TOKEN.
    sandbox.set_env("HF_HOME", hf_home.to_str().unwrap());
    models_list(&sandbox, true);
    assert_eq!(bearer(&router), format!("Bearer {SENTINEL_TOKEN}"));
    sandbox.set_env("HUGGINGFACE_HUB_TOKEN", "hf_hubTokenWins00000000");
    models_list(&sandbox, true);
    assert_eq!(bearer(&router), "Bearer hf_hubTokenWins00000000");

    // A stored profile beats the environment, and auth status says they differ.
    std::fs::create_dir_all(sandbox.profile_store().parent().unwrap()).unwrap();
    std::fs::write(
        sandbox.profile_store(),
        r#"{"version":1,"profiles":{"huggingface:default":{"type":"api_key","provider":"huggingface","key":"hf_storedProfileKey0000"}}}"#,
    )
    .unwrap();
    models_list(&sandbox, true);
    assert_eq!(bearer(&router), "Bearer hf_storedProfileKey0000");
    let status = sandbox.run(["auth", "status"]);
    let text = status.ok();
    assert!(
        text.contains("using hf_…0000 from profile huggingface:default"),
        "{status}"
    );
    assert!(text.contains("holds a different token"), "{status}");
    assert_no_secret(&status.all_output(), &[SENTINEL_TOKEN]);
    assert!(!status.all_output().contains("hf_storedProfileKey0000"));

    // In ref mode the profile names the variable to read.
    std::fs::write(
        sandbox.profile_store(),
        r#"{"version":1,"profiles":{"huggingface:default":{"type":"api_key","provider":"huggingface","keyRef":{"source":"env","id":"MY_HF_VAR"}}}}"#,
    )
    .unwrap();
    sandbox.set_env("MY_HF_VAR", "hf_viaTheReferencedVar00");
    models_list(&sandbox, true);
    assert_eq!(bearer(&router), "Bearer hf_viaTheReferencedVar00");
}

#[test]
fn the_state_dir_env_file_completes_the_environment() {
    let router = models_router(1);
    let sandbox = installed_hf();
    sandbox.write_config(&router_config(&router, json!({})));
    std::fs::write(
        sandbox.state_dir().join(".env"),
        format!("# daemon keys\nHF_TOKEN={SENTINEL_TOKEN}\n"),
    )
    .unwrap();
    assert_eq!(models_list(&sandbox, true)["outcome"]["status"], "ready");
    let refresh = &router.requests_to(MODELS)[0];
    assert!(
        refresh.carries_the_sentinel_token(),
        "{:?}",
        refresh.headers
    );
    let status = sandbox.run(["auth", "status", "--json"]).json();
    assert_eq!(
        status["providers"][0]["active"]["source"]["variable"],
        "HF_TOKEN"
    );
}

#[test]
fn the_login_shell_supplies_only_expected_names() {
    let router = models_router(1);
    let mut sandbox = installed_hf();
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}},
        "env": {"shellEnv": {"enabled": true, "timeoutMs": 5000}}
    }));
    // A stand-in login shell: prints noise, then runs the command it is given with extra vars.
    let shell = sandbox.root().join("fake-shell");
    std::fs::write(
        &shell,
        "#!/bin/sh\necho 'welcome banner'\nexport HUGGINGFACE_HUB_TOKEN=hf_fromTheLoginShell0000 UNRELATED_SECRET=nope\nshift\nexec /bin/sh -c \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&shell, std::fs::Permissions::from_mode(0o755)).unwrap();
    sandbox.set_env("SHELL", shell.to_str().unwrap());
    assert_eq!(models_list(&sandbox, true)["outcome"]["status"], "ready");
    assert_eq!(
        router.requests_to(MODELS)[0].header("authorization"),
        Some("Bearer hf_fromTheLoginShell0000")
    );
}

#[test]
fn a_key_in_the_provider_block_is_used_in_openclaws_order() {
    let bearer = |router: &MockRouter| last_bearer(router, MODELS).unwrap_or_default();
    let router = MockRouter::start();
    serve_models(&router, 2);
    let mut sandbox = installed_hf();
    let list = |sandbox: &Sandbox| {
        let run = sandbox.run(["models", "list", "--refresh", "--json"]);
        assert_eq!(no_leak(&run).code, Some(0), "{run}");
    };
    // A literal key, with nothing else around.
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {
        "baseUrl": router.base_url(), "apiKey": SENTINEL_TOKEN}}}}));
    list(&sandbox);
    assert_eq!(bearer(&router), format!("Bearer {SENTINEL_TOKEN}"));
    // `${VAR}` names a variable.
    sandbox.set_env("MY_ROUTER_KEY", "hf_fromTheReferencedVar00");
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {
        "baseUrl": router.base_url(), "apiKey": "${MY_ROUTER_KEY}"}}}}));
    list(&sandbox);
    assert_eq!(bearer(&router), "Bearer hf_fromTheReferencedVar00");
    // The environment comes before it, as in OpenClaw…
    sandbox.set_env("HF_TOKEN", "hf_environmentWinsHere000");
    list(&sandbox);
    assert_eq!(bearer(&router), "Bearer hf_environmentWinsHere000");
    // …unless the block says `auth: "api-key"`.
    sandbox.write_config(&json!({"models": {"providers": {"huggingface": {
        "baseUrl": router.base_url(), "apiKey": "${MY_ROUTER_KEY}", "auth": "api-key"}}}}));
    list(&sandbox);
    assert_eq!(bearer(&router), "Bearer hf_fromTheReferencedVar00");
    let status = sandbox.run(["auth", "status"]);
    assert!(
        status
            .stdout
            .contains("from config models.providers.huggingface.apiKey (env: MY_ROUTER_KEY)"),
        "{status}"
    );
    // The key never reaches the plugin's settings.
    assert!(
        !router
            .requests()
            .iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains("fromTheReferencedVar")),
    );
}
