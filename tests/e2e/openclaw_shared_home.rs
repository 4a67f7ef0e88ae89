//! host-stub in a home real OpenClaw 2026.9.6 set up (installed into `target/openclaw/` on
//! first run): OpenClaw's configuration keeps its key order and every key through
//! `host-stub config set`, and is left byte for byte alone by a change that changes nothing;
//! a key onboarded with `openclaw onboard` (in OpenClaw's SQLite store) serves `host-stub chat`
//! without a second onboarding and is never printed; a locked or broken store is skipped with
//! its reason; and host-stub's own onboarding leaves OpenClaw able to use its key.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use openclaw_e2e::{Run, SENTINEL_TOKEN, artifacts, openclaw::Home, stage_hf};
use serde_json::Value;

use crate::support::{CHAT, chat_router, no_leak, openclaw_onboarding, stream_of, with};

/// A home onboarded by real OpenClaw with the sentinel token, with one more setting of its own.
fn onboarded_home() -> Home {
    let home = Home::new();
    let onboard = home.run(with(openclaw_onboarding(SENTINEL_TOKEN), &["--json"]));
    assert_eq!(onboard.code, Some(0), "{onboard}");
    let set = home.run(["config", "set", "gateway.mode", "local"]);
    assert_eq!(set.code, Some(0), "{set}");
    home
}

/// `host-stub args…` on OpenClaw's home, as a user of both would run it: the same home and
/// state directory, our plugin in its own plugins directory.
fn host_stub(home: &Home, plugins: &Path, extra_env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = Command::new(&artifacts().host_stub);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("OPENCLAW_HOME", home.path())
        .env("NO_COLOR", "1")
        .arg("--plugins-dir")
        .arg(plugins)
        .args(args);
    for (name, value) in extra_env {
        command.env(name, value);
    }
    let run = Run::from_output(&command.output().unwrap());
    no_leak(&run);
    run
}

/// Our plugin in a plugins directory of its own, which lasts as long as the directory returned.
fn our_plugins() -> (tempfile::TempDir, PathBuf) {
    let scratch = tempfile::tempdir().unwrap();
    let plugins = scratch.path().join("plugins");
    stage_hf(&plugins.join("huggingface"));
    (scratch, plugins)
}

/// Every object's keys, in order, by path: what "key order intact" compares.
fn key_order(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            out.push(format!(
                "{path}: {}",
                map.keys().cloned().collect::<Vec<_>>().join(",")
            ));
            for (key, value) in map {
                key_order(value, &format!("{path}.{key}"), out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                key_order(item, &format!("{path}[{index}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn openclaws_configuration_keeps_its_order_and_keys_through_config_set() {
    let home = onboarded_home();
    let (_scratch, plugins) = our_plugins();
    let file = home.state_dir().join("openclaw.json");
    let before_text = std::fs::read_to_string(&file).unwrap();
    let before: Value = serde_json::from_str(&before_text).unwrap();

    // A change that changes nothing leaves the file untouched, byte for byte and in time.
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let same = host_stub(
        &home,
        &plugins,
        &[],
        &["config", "set", "gateway.mode", "local"],
    );
    assert_eq!(same.code, Some(0), "{same}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before_text);
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        modified
    );

    let set = host_stub(
        &home,
        &plugins,
        &[],
        &[
            "config",
            "set",
            "models.providers.huggingface.baseUrl",
            "http://127.0.0.1:9/v1",
        ],
    );
    assert_eq!(set.code, Some(0), "{set}");
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let (mut order_before, mut order_after) = (Vec::new(), Vec::new());
    key_order(&before, "", &mut order_before);
    key_order(&after, "", &mut order_after);
    assert_eq!(order_before, order_after, "the key order changed");
    // Only the value set differs.
    let mut restored = after.clone();
    restored["models"]["providers"]["huggingface"]["baseUrl"] =
        before["models"]["providers"]["huggingface"]["baseUrl"].clone();
    assert_eq!(restored, before);
    // And OpenClaw still reads it.
    let check = home.run(["config", "get", "models.providers.huggingface.baseUrl"]);
    assert!(check.stdout.contains("http://127.0.0.1:9/v1"), "{check}");
}

#[test]
fn a_key_onboarded_with_openclaw_serves_host_stub() {
    let router = chat_router(stream_of("from the store", "together"));
    let home = onboarded_home();
    let (_scratch, plugins) = our_plugins();
    let base = router.base_url();
    let env = [];
    let set = host_stub(
        &home,
        &plugins,
        &env,
        &[
            "config",
            "set",
            "plugins.entries.huggingface.config.baseUrl",
            &base,
        ],
    );
    assert_eq!(set.code, Some(0), "{set}");
    let chat = host_stub(
        &home,
        &plugins,
        &env,
        &["chat", "--model", "huggingface/a/b", "hi"],
    );
    assert_eq!(chat.code, Some(0), "{chat}");
    assert!(chat.stdout.contains("from the store"), "{chat}");
    assert!(
        router.requests_to(CHAT)[0].carries_the_sentinel_token(),
        "host-stub did not use OpenClaw's key"
    );
    let status = host_stub(&home, &plugins, &env, &["auth", "status"]);
    assert_eq!(status.code, Some(0), "{status}");
    assert!(
        status
            .stdout
            .contains("from profile huggingface:default in OpenClaw's store"),
        "{status}"
    );
    // host-stub wrote nothing where OpenClaw would take it for a legacy store.
    assert!(
        !home
            .state_dir()
            .join("agents/main/agent/auth-profiles.json")
            .exists()
    );
}

#[test]
fn host_stubs_onboarding_leaves_openclaw_able_to_use_its_key() {
    let router = chat_router(stream_of("still works", "together"));
    let home = onboarded_home();
    let (_scratch, plugins) = our_plugins();
    let onboard = host_stub(
        &home,
        &plugins,
        &[],
        &openclaw_onboarding("hf_anotherFakeKeyForHostStub0")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(onboard.code, Some(0), "{onboard}");
    // OpenClaw's own model call still finds its key (a file in agents/main/agent would make
    // OpenClaw 2026.9.6 refuse it as a legacy store).
    let set = home.run([
        "config",
        "set",
        "models.providers.huggingface.baseUrl",
        &router.base_url(),
    ]);
    assert_eq!(set.code, Some(0), "{set}");
    let infer = home.run([
        "infer",
        "model",
        "run",
        "--local",
        "--model",
        "huggingface/a/b",
        "--prompt",
        "hi",
        "--json",
    ]);
    assert!(
        !infer
            .all_output()
            .contains("requires legacy credential migration"),
        "{infer}"
    );
    assert!(infer.stdout.contains("still works"), "{infer}");
}

#[test]
fn a_locked_or_broken_openclaw_store_is_skipped_with_its_reason() {
    let home = onboarded_home();
    let (_scratch, plugins) = our_plugins();
    let database = home.state_dir().join("state/openclaw.sqlite");

    // Held by a writer, as OpenClaw holds it while it writes.
    let writer = rusqlite::Connection::open(&database).unwrap();
    writer
        .execute_batch("PRAGMA journal_mode = DELETE; BEGIN EXCLUSIVE;")
        .unwrap();
    let started = Instant::now();
    let locked = host_stub(&home, &plugins, &[], &["auth", "status"]);
    assert_eq!(locked.code, Some(0), "{locked}");
    assert!(
        locked
            .stdout
            .contains("OpenClaw's store skipped: cannot read")
            && locked.stdout.contains("locked"),
        "{locked}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    writer.execute_batch("ROLLBACK;").unwrap();
    drop(writer);

    // Not a database at all.
    std::fs::write(
        &database,
        b"this is not a SQLite database, but it is long enough",
    )
    .unwrap();
    let _ = std::fs::remove_file(database.with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(database.with_extension("sqlite-shm"));
    let broken = host_stub(&home, &plugins, &[], &["auth", "status"]);
    assert_eq!(broken.code, Some(0), "{broken}");
    assert!(
        broken
            .stdout
            .contains("OpenClaw's store skipped: cannot read")
            && broken.stdout.contains("not a database"),
        "{broken}"
    );

    // Gone.
    std::fs::remove_file(&database).unwrap();
    let missing = host_stub(&home, &plugins, &[], &["auth", "status"]);
    assert!(
        missing
            .stdout
            .contains("OpenClaw's store skipped: no OpenClaw state database"),
        "{missing}"
    );
}
