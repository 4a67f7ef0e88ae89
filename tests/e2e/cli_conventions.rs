//! host-stub behaves like an OpenClaw command-line tool: `OPENCLAW_HOME` places the state
//! directory; OpenClaw's onboarding flags are accepted; `--json` answers every command with
//! JSON, failures included; colour only on a terminal and never with `NO_COLOR`; shell
//! completions; plugin settings checked against the manifest's schema.

use openclaw_e2e::{SENTINEL_TOKEN, Sandbox, stage_hf};
use serde_json::Value;

use crate::support::{installed_hf, no_leak, openclaw_onboarding, str_of};

#[test]
fn openclaw_home_places_the_state_directory() {
    let sandbox = Sandbox::new();
    let home = sandbox.root().join("openclaw-home");
    stage_hf(&home.join(".openclaw/extensions/huggingface"));
    let mut command = sandbox.command();
    command
        .env_remove("OPENCLAW_STATE_DIR")
        .env_remove("OPENCLAW_CONFIG_PATH")
        .env("OPENCLAW_HOME", &home)
        .args(["config", "set", "gateway.mode", "local"]);
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(home.join(".openclaw/openclaw.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["gateway"]["mode"], "local");
    // `~` in OPENCLAW_STATE_DIR means OpenClaw's home.
    let mut command = sandbox.command();
    command
        .env("OPENCLAW_HOME", &home)
        .env("OPENCLAW_STATE_DIR", "~/elsewhere")
        .env_remove("OPENCLAW_CONFIG_PATH")
        .args(["config", "set", "gateway.mode", "remote"]);
    assert!(command.output().unwrap().status.success());
    assert!(home.join("elsewhere/openclaw.json").is_file());
}

#[test]
fn openclaws_onboarding_command_works_here() {
    let sandbox = installed_hf();
    let run = sandbox.run(openclaw_onboarding(SENTINEL_TOKEN));
    assert_eq!(no_leak(&run).code, Some(0), "{run}");
    assert!(sandbox.profile_store().is_file());
    assert!(
        !sandbox.agent_dir().join("auth-profiles.json").exists(),
        "host-stub wrote where OpenClaw takes a file for a legacy store"
    );
}

#[test]
fn json_answers_every_command_failures_included() {
    let sandbox = installed_hf();
    // A failure, as JSON on stdout, with the exit code kept.
    let missing = sandbox.run(["--json", "config", "get", "nothing.here"]);
    assert_eq!(missing.code, Some(1), "{missing}");
    let error: Value = serde_json::from_str(missing.stdout.trim()).unwrap();
    assert_eq!(error["ok"], false);
    assert_eq!(error["error"]["code"], "failed");
    assert!(str_of(&error["error"]["message"]).contains("is not set"));
    // A bad command line too.
    let usage = sandbox.run(["models", "set", "--json"]);
    assert_eq!(usage.code, Some(2), "{usage}");
    let error: Value = serde_json::from_str(usage.stdout.trim()).unwrap();
    assert_eq!(error["error"]["code"], "usage");
    // Every command that changes something says what it did.
    for (args, key) in [
        (&["config", "set", "gateway.mode", "local"][..], "changed"),
        (
            &["models", "set", "huggingface/zai-org/GLM-4.7"][..],
            "primary",
        ),
        (
            &["models", "fallbacks", "add", "huggingface/Qwen/Qwen3-8B"][..],
            "fallbacks",
        ),
        (
            &["models", "fallbacks", "remove", "huggingface/Qwen/Qwen3-8B"][..],
            "fallbacks",
        ),
        (
            &[
                "models",
                "aliases",
                "add",
                "glm",
                "huggingface/zai-org/GLM-4.7",
            ][..],
            "alias",
        ),
        (&["models", "aliases", "remove", "glm"][..], "alias"),
    ] {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = sandbox.run(&all);
        assert_eq!(run.code, Some(0), "{run}");
        let answer: Value = serde_json::from_str(run.stdout.trim())
            .unwrap_or_else(|err| panic!("{args:?} printed no JSON ({err}):\n{run}"));
        assert_eq!(answer["ok"], true, "{args:?}: {answer}");
        assert!(answer.get(key).is_some(), "{args:?}: {answer}");
    }
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let sandbox = installed_hf();
    // Piped: log lines carry no colour codes.
    let run = sandbox.run(["-vv", "plugins", "list"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(!run.stderr.is_empty());
    assert!(!run.all_output().contains('\u{1b}'), "{run}");
    // On a terminal: coloured, unless NO_COLOR is set.
    let on_a_terminal = |no_color: bool| {
        let mut command = sandbox.command();
        command.args(["-vv", "plugins", "list"]);
        if !no_color {
            command.env_remove("NO_COLOR");
        }
        let mut session = rexpect::session::spawn_with_options(
            command,
            rexpect::reader::Options::new().timeout_ms(Some(30_000)),
        )
        .unwrap();
        session.exp_eof().unwrap()
    };
    assert!(
        on_a_terminal(false).contains("\u{1b}["),
        "no colour on a terminal"
    );
    assert!(
        !on_a_terminal(true).contains('\u{1b}'),
        "colour despite NO_COLOR"
    );
}

#[test]
fn completions_are_printed_for_a_shell() {
    let sandbox = installed_hf();
    for shell in ["bash", "zsh", "fish"] {
        let run = sandbox.run(["completions", shell]);
        assert_eq!(run.code, Some(0), "{run}");
        assert!(run.stdout.contains("host-stub"), "{shell}: {run}");
        assert!(run.stdout.contains("onboard"), "{shell}: {run}");
    }
    assert_eq!(sandbox.run(["completions", "tcsh"]).code, Some(2));
}

#[test]
fn plugin_settings_are_checked_against_the_manifests_schema() {
    let sandbox = installed_hf();
    let set = sandbox.run([
        "config",
        "set",
        "plugins.entries.huggingface.config.chat.maxRetries",
        "\"4\"",
    ]);
    assert_eq!(set.code, Some(0), "{set}");
    assert!(
        set.stderr.contains(
            "plugins.entries.huggingface.config.chat.maxRetries: \"4\" should be of type integer"
        ),
        "{set}"
    );
    let typo = sandbox.run([
        "config",
        "set",
        "plugins.entries.huggingface.config.chat.maxRetrys",
        "4",
    ]);
    assert!(
        typo.stderr.contains(
            "plugins.entries.huggingface.config.chat: unknown setting maxRetrys (a typo?)"
        ),
        "{typo}"
    );
    // Every command that loads the plugin says so too.
    let list = sandbox.run(["plugins", "list"]);
    assert!(
        list.stderr
            .contains("maxRetries: \"4\" should be of type integer"),
        "{list}"
    );
}
