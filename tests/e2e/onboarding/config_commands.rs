//! The commands that choose models and edit the configuration after onboarding: `models set`,
//! `models fallbacks …`, `models aliases …`, `config get|set` with dotted and bracketed paths.

use openclaw_e2e::SENTINEL_TOKEN;
use serde_json::{Value, json};

use crate::support::{R1, config_file, installed_hf, mode, read_config, seed};

#[test]
fn models_set_fallbacks_and_aliases_edit_the_configuration() {
    let sandbox = installed_hf();
    sandbox.run(seed(SENTINEL_TOKEN)).ok();

    let set = sandbox.run(["models", "set", "huggingface/zai-org/GLM-4.7:cheapest"]);
    assert!(
        set.ok().contains(&format!(
            "primary model: huggingface/zai-org/GLM-4.7:cheapest (was {R1})"
        )),
        "{set}"
    );
    sandbox.run(["models", "set", "foo"]).code(2);

    sandbox
        .run(["models", "fallbacks", "add", "huggingface/Qwen/Qwen3-8B"])
        .ok();
    let unknown = sandbox.run(["models", "fallbacks", "add", "huggingface/acme/unknown-7b"]);
    assert!(unknown.stderr.contains("not in the catalog"), "{unknown}");
    let again = sandbox.run(["models", "fallbacks", "add", "huggingface/Qwen/Qwen3-8B"]);
    assert!(again.ok().contains("already is a fallback"));
    let listed = sandbox
        .run(["models", "fallbacks", "list", "--json"])
        .json();
    assert_eq!(
        listed["fallbacks"],
        json!(["huggingface/Qwen/Qwen3-8B", "huggingface/acme/unknown-7b"])
    );

    sandbox
        .run([
            "models",
            "aliases",
            "add",
            "glm",
            "huggingface/Qwen/Qwen3-8B",
        ])
        .ok();
    // An alias moves when given to another model.
    let moved = sandbox.run([
        "models",
        "aliases",
        "add",
        "GLM",
        "huggingface/zai-org/GLM-4.7",
    ]);
    let text = moved.ok();
    assert!(
        text.contains("alias GLM → huggingface/zai-org/GLM-4.7"),
        "{moved}"
    );
    assert!(
        text.contains("it named huggingface/Qwen/Qwen3-8B before"),
        "{moved}"
    );
    let aliases = sandbox.run(["models", "aliases", "list", "--json"]).json();
    assert_eq!(aliases["aliases"]["GLM"], "huggingface/zai-org/GLM-4.7");
    assert_eq!(aliases["aliases"]["glm"], Value::Null);
    // Hugging Face, set by onboarding, is still R1's.
    assert_eq!(aliases["aliases"]["Hugging Face"], R1);

    // Aliases work wherever a ref is taken.
    sandbox
        .run(["models", "fallbacks", "remove", "huggingface/Qwen/Qwen3-8B"])
        .ok();
    sandbox.run(["models", "fallbacks", "add", "glm"]).ok();
    sandbox
        .run(["models", "fallbacks", "remove", "nope/none"])
        .code(1);
    sandbox
        .run(["models", "aliases", "remove", "nothing-here"])
        .code(1);
    sandbox
        .run(["models", "aliases", "add", "a/b", "huggingface/x/y"])
        .code(2);

    let config = read_config(&sandbox);
    assert_eq!(
        config["agents"]["defaults"]["model"],
        json!({
            "primary": "huggingface/zai-org/GLM-4.7:cheapest",
            "fallbacks": ["huggingface/acme/unknown-7b", "huggingface/zai-org/GLM-4.7"]
        })
    );
    assert_eq!(
        config["agents"]["defaults"]["models"]["huggingface/zai-org/GLM-4.7"]["alias"],
        "GLM"
    );
    assert_eq!(mode(&config_file(&sandbox)), 0o600);
}

#[test]
fn config_get_and_set_take_dotted_and_bracketed_paths() {
    let sandbox = installed_hf();
    sandbox.run(["config", "set", "gateway.port", "18789"]).ok();
    sandbox
        .run([
            "config",
            "set",
            "agents.defaults.models[\"huggingface/zai-org/GLM-4.7\"].alias",
            "GLM",
        ])
        .ok();
    sandbox
        .run(["config", "set", "plugins.load.paths", "['~/plugins']"])
        .ok();
    let port = sandbox.run(["config", "get", "gateway.port"]);
    assert_eq!(port.ok().trim(), "18789");
    let alias = sandbox.run([
        "config",
        "get",
        "agents.defaults.models[\"huggingface/zai-org/GLM-4.7\"].alias",
    ]);
    assert_eq!(alias.ok().trim(), "GLM");
    let paths = sandbox.run(["config", "get", "plugins.load.paths"]).json();
    assert_eq!(paths, json!(["~/plugins"]));
    let unchanged = sandbox.run(["config", "set", "gateway.port", "18789"]);
    assert!(unchanged.ok().contains("already had that value"));
    sandbox.run(["config", "get", "no.such.key"]).code(1);
    // Refuses to replace a value that is not an object on the way.
    sandbox
        .run(["config", "set", "gateway.port.x", "1"])
        .code(1);
    assert_eq!(read_config(&sandbox)["gateway"]["port"], 18789);
}
