//! Files survive concurrency and kills: concurrent writers of the configuration lose no update,
//! two onboardings at once both land, and a `host-stub` killed at any moment while it writes the
//! configuration or `models.json` leaves the old or the new version, never a torn one, nor
//! temporary files once the next writer has run.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use openclaw_e2e::{MockRouter, Reply, SENTINEL_TOKEN, Sandbox, models_body, stage_echo};
use serde_json::{Value, json};

use crate::support::{
    MODELS, R1, config_file, installed_hf, read_config, read_profiles, seed, with,
};

/// Runs `command`, kills it `after` that long, and says whether the kill interrupted it (it had
/// not finished successfully by then).
fn killed_after(mut command: Command, after: Duration) -> bool {
    let mut child = command.spawn().unwrap();
    std::thread::sleep(after);
    let _ = child.kill();
    !child.wait().unwrap().success()
}

#[test]
fn two_onboardings_at_once_both_land() {
    for _ in 0..6 {
        let mut sandbox = installed_hf();
        stage_echo(&sandbox.state_dir().join("extensions/echo"));
        sandbox.set_env("ECHO_API_KEY", "echo-ok");
        let mut hf = sandbox.command();
        hf.args(seed(SENTINEL_TOKEN))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut echo = sandbox.command();
        echo.args([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "echo-api-key",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        let (hf, echo) = (hf.spawn().unwrap(), echo.spawn().unwrap());
        let (hf, echo) = (
            hf.wait_with_output().unwrap(),
            echo.wait_with_output().unwrap(),
        );
        assert!(
            hf.status.success(),
            "{}",
            String::from_utf8_lossy(&hf.stderr)
        );
        assert!(
            echo.status.success(),
            "{}",
            String::from_utf8_lossy(&echo.stderr)
        );
        let stored = read_profiles(&sandbox);
        assert_eq!(
            stored["profiles"]["huggingface:default"]["key"],
            SENTINEL_TOKEN
        );
        assert_eq!(stored["profiles"]["echo:default"]["key"], "echo-ok");
        let config = read_config(&sandbox);
        assert_eq!(config["plugins"]["entries"]["huggingface"]["enabled"], true);
        assert_eq!(config["plugins"]["entries"]["echo"]["enabled"], true);
        assert_eq!(config["agents"]["defaults"]["model"]["primary"], R1);
    }
}

#[test]
fn a_kill_during_a_config_write_leaves_the_old_or_the_new_config() {
    let sandbox = installed_hf();
    // A large config makes the write long enough to be interrupted.
    let filler: Vec<String> = (0..150_000)
        .map(|i| format!("entry-{i:08}-{}", "x".repeat(40)))
        .collect();
    let mut base = json!({"notes": filler});
    base["agents"] = json!({"defaults": {"model": {"primary": "huggingface/m/start"}}});
    sandbox.write_config(&base);
    let size = std::fs::metadata(config_file(&sandbox)).unwrap().len();
    assert!(size > 8_000_000, "{size}");

    let onboard = |model: &str| {
        let mut command = sandbox.command();
        command
            .args(with(seed(SENTINEL_TOKEN), &["--model", model]))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    // An uninterrupted run times the kills: from 40% to 160% of it, so they land while the
    // configuration is written, whatever the machine's speed.
    let started = std::time::Instant::now();
    assert!(onboard("huggingface/m/start").status().unwrap().success());
    let took = started.elapsed();

    let mut previous = "huggingface/m/start".to_owned();
    let (mut interrupted, mut changed) = (0, 0);
    let rounds = 16u32;
    for round in 0..rounds {
        let model = format!("huggingface/m/round-{round}");
        let after = took.mul_f64(0.4 + 1.2 * f64::from(round) / f64::from(rounds - 1));
        interrupted += usize::from(killed_after(onboard(&model), after));
        let config = read_config(&sandbox);
        let primary = config["agents"]["defaults"]["model"]["primary"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            primary == previous || primary == model,
            "round {round}: primary {primary}, expected {previous} or {model}"
        );
        assert_eq!(config["notes"].as_array().unwrap().len(), 150_000);
        changed += usize::from(primary != previous);
        previous = primary;
    }
    assert!(
        interrupted > 0 && changed > 0,
        "the kills must interrupt some runs and let others finish, or the test proves nothing"
    );
}

#[test]
fn concurrent_config_writers_lose_nothing() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&json!({"kept": {"by": "everyone"}}));
    let children: Vec<_> = (0..24)
        .map(|n| {
            sandbox
                .command()
                .args(["config", "set", &format!("writers.w{n}"), &n.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.state_dir().join("openclaw.json")).unwrap(),
    )
    .unwrap();
    for n in 0..24 {
        assert_eq!(config["writers"][format!("w{n}")], n, "w{n} lost: {config}");
    }
    assert_eq!(config["kept"]["by"], "everyone");
}

/// Kills `host-stub` at varying moments while it writes `models.json` (about 8 MB for 5,000
/// models) and the configuration (about 4 MB): each file is always the old or the new valid
/// version. The kills are spread from 40% to 160% of how long an uninterrupted run takes here,
/// so they land in the late phase where the files are written, whatever the machine's speed.
#[test]
fn kills_during_writes_leave_old_or_new_files() {
    let router = MockRouter::start();
    let mut sandbox = installed_hf();
    sandbox.write_config(&json!({
        "models": {"providers": {"huggingface": {"baseUrl": router.base_url()}}},
        "filler": (0..60_000).map(|i| format!("entry-{i:06}-{}", "y".repeat(40))).collect::<Vec<_>>()
    }));
    sandbox.set_env("HF_TOKEN", SENTINEL_TOKEN);
    let models_json = sandbox.agent_dir().join("models.json");
    let count_in = |path: &std::path::Path| -> Option<usize> {
        let text = std::fs::read_to_string(path).ok()?;
        let document: Value = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{} is torn: {err}", path.display()));
        Some(
            document["providers"]["huggingface"]["models"]
                .as_array()?
                .len(),
        )
    };
    let round_in = |sandbox: &Sandbox| -> Option<u64> {
        let text = std::fs::read_to_string(sandbox.state_dir().join("openclaw.json")).unwrap();
        let config: Value = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("the configuration is torn: {err}"));
        assert_eq!(config["filler"].as_array().unwrap().len(), 60_000);
        config["round"].as_u64()
    };
    let refresh = |sandbox: &Sandbox| {
        let mut command = sandbox.command();
        command
            .args(["models", "list", "--refresh", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    let set_round = |sandbox: &Sandbox, round: u64| {
        let mut command = sandbox.command();
        command
            .args(["config", "set", "round", &round.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    // One uninterrupted run of each: how long they take here, and the files they leave.
    router.on("GET", MODELS, Reply::json(200, models_body(3_000)));
    let started = Instant::now();
    assert!(refresh(&sandbox).status().unwrap().success());
    let refresh_time = started.elapsed();
    let started = Instant::now();
    assert!(set_round(&sandbox, 1_000).status().unwrap().success());
    let set_time = started.elapsed();
    let (mut models, mut round_written) = (count_in(&models_json), round_in(&sandbox));
    assert_eq!((models, round_written), (Some(3_000), Some(1_000)));

    let (mut interrupted, mut models_changed, mut config_changed) = (0, 0, 0);
    let rounds = 14u32;
    for round in 0..rounds {
        let at =
            |took: Duration| took.mul_f64(0.4 + 1.2 * f64::from(round) / f64::from(rounds - 1));
        let count = if round % 2 == 0 { 5_000 } else { 4_000 };
        router.on("GET", MODELS, Reply::json(200, models_body(count)));
        interrupted += usize::from(killed_after(refresh(&sandbox), at(refresh_time)));
        let now = count_in(&models_json);
        assert!(
            now == models || now == Some(count),
            "round {round}: {now:?} models, expected {models:?} or {count}"
        );
        models_changed += usize::from(now != models);
        models = now;

        let set = set_round(&sandbox, u64::from(round));
        interrupted += usize::from(killed_after(set, at(set_time)));
        let now = round_in(&sandbox);
        assert!(
            now == round_written || now == Some(u64::from(round)),
            "round {round}: the configuration says {now:?}, expected {round_written:?} or {round}"
        );
        config_changed += usize::from(now != round_written);
        round_written = now;
    }
    eprintln!(
        "{interrupted} runs killed; models.json replaced {models_changed} times, the configuration {config_changed} times"
    );
    assert!(
        interrupted > 0 && models_changed + config_changed > 0,
        "the kills must interrupt some runs and let others finish, or the test proves nothing"
    );
    // The next writer of each file removes what killed writers left.
    let temporaries = || -> Vec<_> {
        sandbox
            .all_files()
            .into_iter()
            .map(|(path, _)| path)
            .filter(|path| path.to_string_lossy().ends_with(".tmp"))
            .collect()
    };
    eprintln!("temporary files left by the kills: {}", temporaries().len());
    assert!(refresh(&sandbox).status().unwrap().success());
    assert!(set_round(&sandbox, 2_000).status().unwrap().success());
    assert_eq!(temporaries(), Vec::<std::path::PathBuf>::new());
}
