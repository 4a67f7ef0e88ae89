//! `plugins install`: a plugin folder copied into the state directory's extensions (plugin files
//! only, the bridge included), refused as the host would refuse it, replaced only with
//! `--force`.

use openclaw_e2e::{Sandbox, stage_echo, stage_hf};

use super::edit_manifest;
use crate::support::bridge::folder_of;

#[test]
fn install_copies_the_plugin_into_extensions() {
    let sandbox = Sandbox::new();
    let source = sandbox.root().join("build/huggingface");
    stage_hf(&source);
    std::fs::write(
        source.join("unrelated-build-output.o"),
        b"not part of the plugin",
    )
    .unwrap();

    let installed = sandbox
        .run(["plugins", "install", source.to_str().unwrap(), "--json"])
        .json();
    let target = sandbox.state_dir().join("extensions/huggingface");
    assert_eq!(installed["path"], target.display().to_string());
    assert_eq!(installed["replaced"], false);
    assert!(target.join("openclaw.plugin.json").is_file());
    assert!(
        !target.join("unrelated-build-output.o").exists(),
        "only plugin files are copied"
    );

    // Found through the state dir, without any flag.
    let listing = sandbox.run(["plugins", "list", "--json"]).json();
    let plugin = &listing["plugins"][0];
    assert_eq!(plugin["id"], "huggingface");
    assert_eq!(plugin["origin"], "state-dir");

    let again = sandbox.run(["plugins", "install", source.to_str().unwrap()]);
    again.code(1);
    assert!(again.stderr.contains("--force"), "{again}");
    let forced = sandbox.run(["plugins", "install", source.to_str().unwrap(), "--force"]);
    assert!(forced.ok().contains("replaced huggingface"), "{forced}");
}

#[test]
fn install_refuses_what_the_host_would_refuse() {
    let sandbox = Sandbox::new();
    let source = sandbox.root().join("build/echo");
    stage_echo(&source);
    edit_manifest(&source, |m| m["version"] = "0.0.1".into());
    let run = sandbox.run(["plugins", "install", source.to_str().unwrap()]);
    run.code(1);
    assert!(run.stderr.contains("manifest/library mismatch"), "{run}");
    assert!(!sandbox.state_dir().join("extensions/echo").exists());
}

#[test]
fn plugins_install_installs_a_complete_folder() {
    let sandbox = Sandbox::new();
    let folder = folder_of(&sandbox.root().join("build/huggingface"), stage_hf);
    let run = sandbox.run(["plugins", "install", folder.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{run}");
    let installed = sandbox.state_dir().join("extensions/huggingface");
    assert!(installed.join("openclaw-provider-bridge").is_file());
    assert!(
        run.stdout
            .contains("openclaw plugins install --force --accept-capabilities"),
        "{run}"
    );
}
