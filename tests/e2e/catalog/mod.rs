//! The model catalog end to end: `host-stub models list` ([`listing`]), what a failed refresh
//! keeps ([`failures`]) and `gateway run` ([`gateway`]), driving the real Hugging Face plugin
//! against the loopback mock router (`/v1/models`).

mod failures;
mod gateway;
mod listing;

use openclaw_e2e::Sandbox;
use serde_json::Value;

fn ids(provider: &Value) -> Vec<String> {
    provider["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

fn models_json(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.agent_dir().join("models.json")
}
