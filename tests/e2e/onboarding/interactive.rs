//! Interactive onboarding in a pseudo-terminal, as a person at a terminal: the auth picker, the
//! token in the environment or the token file offered (masked), the masked key prompt,
//! validation, and the model picker filled from the live catalog — or the built-in one, saying
//! why — filtered by typing; cancelling changes nothing.

use std::{process::Stdio, time::Duration};

use openclaw_e2e::{MockRouter, Reply, SENTINEL_TOKEN, Sandbox, artifacts, models_body};
use serde_json::{Value, json};

use super::validating_sandbox;
use crate::support::{
    MODELS, R1, WHOAMI, config_file, installed_hf, read_config, read_profiles, router_config,
};

/// Interactive onboarding in a pseudo-terminal: the auth picker, the environment token
/// offer, the masked key prompt, validation, and the model picker filled from the live
/// catalog with policy variants, filtered by typing.
#[test]
fn interactive_onboarding_in_a_terminal() {
    let (router, sandbox) = terminal_sandbox();
    let body = models_body(40);
    let listed: Value = serde_json::from_slice(&body).unwrap();
    let id = listed["data"][7]["id"].as_str().unwrap().to_owned();
    router.on("GET", MODELS, Reply::json(200, body));
    let mut term = Terminal::start(&sandbox, &["onboard"], &[("HF_TOKEN", SENTINEL_TOKEN)]);
    term.expect("How do you want to authenticate?");
    term.expect("Hugging Face › Hugging Face API key");
    term.answer(SELECT_END, "\r");
    // The token in the environment is offered, masked.
    term.expect("Use existing HF_TOKEN (hf_…s0Ty)?");
    term.answer(CONFIRM_END, "n\r");
    term.expect("Create a token at https://huggingface.co/settings/tokens");
    term.expect("Hugging Face API key:");
    // What is typed shows as asterisks only.
    term.answer("", "hf_fineWithInference02");
    term.expect("**********************");
    term.send("\r");
    term.expect("carol");
    // The model picker: the live catalog, each model with its policy variants, filtered by
    // typing.
    term.expect("Default Hugging Face model");
    term.expect("(cheapest)");
    term.answer(SELECT_END, &format!("{id}:cheapest"));
    term.expect("> ");
    term.expect(&format!("{id}:cheapest"));
    term.answer(SELECT_END, "\r");
    term.expect("configuration updated");
    let transcript = term.finish();
    assert!(
        !transcript.contains("hf_fineWithInference02"),
        "{transcript}"
    );
    assert!(!transcript.contains(SENTINEL_TOKEN), "{transcript}");

    let config = read_config(&sandbox);
    let primary = config["agents"]["defaults"]["model"]["primary"]
        .as_str()
        .unwrap();
    assert_eq!(primary, format!("huggingface/{id}:cheapest"));
    assert_eq!(
        read_profiles(&sandbox)["profiles"]["huggingface:default"]["key"],
        "hf_fineWithInference02"
    );
    assert_eq!(router.requests_to(WHOAMI).len(), 1);
    assert_eq!(router.requests_to(MODELS).len(), 1);
}

#[test]
fn interactive_onboarding_falls_back_to_the_built_in_catalog_and_says_why() {
    let (router, sandbox) = terminal_sandbox();
    router.on("GET", MODELS, Reply::json(503, r#"{"error":"busy"}"#));
    let mut term = Terminal::start(
        &sandbox,
        &["onboard", "--auth-choice", "huggingface-api-key"],
        &[("HF_TOKEN", SENTINEL_TOKEN)],
    );
    term.expect("Use existing HF_TOKEN");
    term.answer(CONFIRM_END, "\r");
    term.expect("alice");
    term.expect("Showing the built-in model list");
    term.expect("503");
    // The current default (R1) is pre-selected.
    term.expect("Default Hugging Face model");
    term.expect("> DeepSeek R1");
    term.answer(SELECT_END, "\r");
    term.expect("in profile huggingface:default");
    let transcript = term.finish();
    assert!(!transcript.contains(SENTINEL_TOKEN), "{transcript}");
    assert_eq!(
        read_config(&sandbox)["agents"]["defaults"]["model"]["primary"],
        R1
    );
}

#[test]
fn interactive_onboarding_offers_the_token_file_after_the_environment() {
    let (router, sandbox) = terminal_sandbox();
    router.on("GET", MODELS, Reply::json(503, r#"{"error":"busy"}"#));
    // What `hf auth login` leaves: the token file under $HF_HOME.
    let hf_home = sandbox.root().join("hf-home");
    std::fs::create_dir_all(&hf_home).unwrap();
    std::fs::write(hf_home.join("token"), SENTINEL_TOKEN).unwrap();
    let token_file = hf_home.join("token").display().to_string();
    let mut term = Terminal::start(
        &sandbox,
        &["onboard", "--auth-choice", "huggingface-api-key"],
        &[("HF_HOME", hf_home.to_str().unwrap())],
    );
    term.expect(&format!("Use the token in {token_file} (hf_…s0Ty)?"));
    term.answer(CONFIRM_END, "\r");
    term.expect("alice");
    term.expect("Default Hugging Face model");
    term.answer(SELECT_END, "\r");
    term.expect("not copied into a profile");
    term.expect(&format!("(key from the token file {token_file})"));
    let transcript = term.finish();
    assert!(!transcript.contains(SENTINEL_TOKEN), "{transcript}");
    assert_eq!(
        read_config(&sandbox)["agents"]["defaults"]["model"]["primary"],
        R1
    );
    // Used from its file: no profile store holds it.
    assert!(!sandbox.profile_store().exists());
}

#[test]
fn interactive_onboarding_can_be_cancelled_without_changes() {
    let sandbox = installed_hf();
    let mut term = Terminal::start(&sandbox, &["onboard"], &[]);
    term.expect("How do you want to authenticate?");
    term.answer(SELECT_END, "\x1b");
    term.expect("onboarding cancelled; nothing was changed");
    term.finish();
    assert!(!config_file(&sandbox).exists());
    assert!(!sandbox.profile_store().exists());
}

#[test]
fn interactive_mode_needs_a_terminal() {
    let sandbox = installed_hf();
    let run = sandbox.run(["onboard"]);
    run.code(2);
    assert!(run.stderr.contains("--non-interactive"), "{run}");
}

/// A validating sandbox (see [`validating_sandbox`]) whose configuration points at its router.
fn terminal_sandbox() -> (MockRouter, Sandbox) {
    let router = MockRouter::start();
    let sandbox = validating_sandbox(&router);
    sandbox.write_config(&router_config(&router, json!({})));
    (router, sandbox)
}

/// How a select prompt's first drawing ends (its help line).
const SELECT_END: &str = "type to filter]";

/// How a yes/no prompt's drawing ends.
const CONFIRM_END: &str = "/n)";

/// `host-stub args…` in the sandbox on a 120×40 pseudo-terminal, read with ANSI sequences
/// stripped; everything read is kept as the transcript.
struct Terminal {
    session: rexpect::session::PtySession,
    transcript: String,
}

impl Terminal {
    fn start(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = sandbox.command_for("sh");
        command
            .arg("-c")
            .arg("stty rows 40 cols 120 && exec \"$0\" \"$@\"")
            .arg(&artifacts().host_stub)
            .args(args)
            .env("TERM", "xterm-256color")
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let session = rexpect::session::spawn_with_options(
            command,
            rexpect::reader::Options::new()
                .timeout_ms(Some(20_000))
                .strip_ansi_escape_codes(true),
        )
        .unwrap();
        Self {
            session,
            transcript: String::new(),
        }
    }

    /// Waits for `text`. (rexpect hands over bytes one per `char`; UTF-8 is matched and kept
    /// in that form, and decoded for the transcript.)
    fn expect(&mut self, text: &str) {
        let needle: String = text.bytes().map(char::from).collect();
        match self.session.exp_string(&needle) {
            Ok(before) => {
                self.keep(&before);
                self.keep(&needle);
            }
            Err(err) => panic!(
                "waiting for {text:?}: {err}\n--- so far:\n{}",
                self.transcript
            ),
        }
    }

    /// Waits for the end of a prompt's drawing, lets the prompt start reading, then types.
    fn answer(&mut self, drawn: &str, keys: &str) {
        if !drawn.is_empty() {
            self.expect(drawn);
        }
        std::thread::sleep(Duration::from_millis(150));
        self.send(keys);
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).unwrap();
        self.session.flush().unwrap();
    }

    /// Waits for the program to end; returns the whole transcript.
    fn finish(mut self) -> String {
        match self.session.exp_eof() {
            Ok(rest) => self.keep(&rest),
            Err(err) => panic!(
                "waiting for the end: {err}\n--- so far:\n{}",
                self.transcript
            ),
        }
        self.transcript
    }

    fn keep(&mut self, bytes_as_chars: &str) {
        let bytes: Vec<u8> = bytes_as_chars.chars().map(|c| c as u32 as u8).collect();
        self.transcript.push_str(&String::from_utf8_lossy(&bytes));
    }
}
