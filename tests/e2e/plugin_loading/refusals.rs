//! Plugins the host refuses, each on one line naming the file and the reason, while a good plugin
//! beside it still loads: a missing, corrupt or foreign library, a manifest that is malformed,
//! declares another interface or disagrees with its library, a duplicate provider id, a library
//! others may write.

use std::{os::unix::fs::PermissionsExt, path::Path};

use openclaw_e2e::{
    Sandbox, artifacts, fixtures::echo_built_against_interface_v2, library_file, stage_echo,
    stage_hf,
};

use super::edit_manifest;
use crate::support::{list_json, loaded_ids, plugins_dir_arg};

/// One broken plugin folder next to a good one: the good one loads, the broken one is refused
/// with a single line naming the file and the reason.
fn assert_refused(name: &str, build: impl FnOnce(&Path), expected_file: &str, reason: &str) {
    let sandbox = Sandbox::new();
    stage_hf(&sandbox.plugins_dir().join("huggingface"));
    let broken = sandbox.plugins_dir().join(name);
    build(&broken);

    let mut args = plugins_dir_arg(&sandbox).to_vec();
    args.extend(["plugins", "list"].map(String::from));
    let run = sandbox.run(&args);
    assert!(
        run.ok().contains("huggingface"),
        "{name}: the good plugin must still load:\n{run}"
    );
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.contains("plugin refused"))
        .collect();
    assert_eq!(lines.len(), 1, "{name}: one refusal line expected:\n{run}");
    let line = lines[0];
    assert!(
        line.contains(&broken.join(expected_file).display().to_string()),
        "{name}: the line must name {expected_file}: {line}"
    );
    assert!(
        line.contains(reason),
        "{name}: expected {reason:?} in: {line}"
    );
    // The JSON form carries the same refusal.
    let listing = list_json(&sandbox);
    assert_eq!(loaded_ids(&listing), ["huggingface"]);
    assert_eq!(listing["refused"].as_array().unwrap().len(), 1, "{name}");
}

fn echo_library_name() -> String {
    library_file("openclaw_echo_provider")
}

/// Where the last loadable segment of a 64-bit little-endian ELF image ends in the file (what
/// follows, debug information and section headers, is never mapped).
fn loaded_end(image: &[u8]) -> usize {
    let number = |at: usize, width: usize| {
        let mut bytes = [0u8; 8];
        bytes[..width].copy_from_slice(&image[at..at + width]);
        u64::from_le_bytes(bytes) as usize
    };
    let (table, entry_size, entries) = (number(0x20, 8), number(0x36, 2), number(0x38, 2));
    (0..entries)
        .map(|index| table + index * entry_size)
        .filter(|&header| number(header, 4) == 1) // PT_LOAD
        .map(|header| number(header + 8, 8) + number(header + 32, 8)) // p_offset + p_filesz
        .max()
        .expect("a loadable segment")
}

#[test]
fn refuses_a_plugin_whose_library_is_missing() {
    assert_refused(
        "missing",
        |dir| {
            stage_echo(dir);
            std::fs::remove_file(dir.join(echo_library_name())).unwrap();
        },
        &echo_library_name(),
        "missing",
    );
}

#[test]
fn refuses_a_file_that_is_not_a_shared_library() {
    assert_refused(
        "garbage",
        |dir| {
            stage_echo(dir);
            std::fs::write(dir.join(echo_library_name()), b"\x7fELF? no, just bytes").unwrap();
        },
        &echo_library_name(),
        "not a shared library",
    );
}

#[test]
fn refuses_corrupt_libraries_without_crashing() {
    // Each refused on its own line, before `dlopen` sees it: a truncated library would be mapped
    // and kill the host on the first call into its missing part.
    type Corrupt = fn(&[u8]) -> Vec<u8>;
    let corruptions: [(&str, Corrupt, &str); 4] = [
        (
            "truncated",
            |bytes| bytes[..bytes.len() / 2].to_vec(),
            "not a shared library",
        ),
        (
            // Without section headers the ELF parser has nothing past the program headers to
            // trip on; the segment check is what notices the missing half.
            "truncated-without-section-headers",
            |bytes| {
                let mut bytes = bytes[..loaded_end(bytes) / 2].to_vec();
                bytes[0x28..0x30].fill(0); // e_shoff
                bytes[0x3C..0x40].fill(0); // e_shnum, e_shstrndx
                bytes
            },
            "truncated: a segment ends at byte",
        ),
        ("empty", |_| Vec::new(), "not a shared library"),
        (
            "bad-header",
            |bytes| {
                let mut bytes = bytes.to_vec();
                bytes[16..64].fill(0xA5);
                bytes
            },
            "not a shared library",
        ),
    ];
    for (name, corrupt, reason) in corruptions {
        assert_refused(
            name,
            |dir| {
                stage_echo(dir);
                let library = dir.join(echo_library_name());
                let bytes = std::fs::read(&library).unwrap();
                std::fs::write(&library, corrupt(&bytes)).unwrap();
            },
            &echo_library_name(),
            reason,
        );
    }
}

#[test]
fn refuses_a_library_without_the_root_module() {
    assert_refused(
        "no-root",
        |dir| {
            stage_echo(dir);
            std::fs::copy(
                &artifacts().not_a_plugin_library,
                dir.join(echo_library_name()),
            )
            .unwrap();
        },
        &echo_library_name(),
        "exports no abi_stable root module",
    );
}

#[test]
fn refuses_a_manifest_declaring_an_incompatible_interface() {
    assert_refused(
        "declares-v2",
        |dir| {
            stage_echo(dir);
            edit_manifest(dir, |m| m["native"]["interface"] = "2.0.0".into());
        },
        "openclaw.plugin.json",
        "built against provider interface 2.0.0",
    );
}

#[test]
fn refuses_a_library_built_against_an_incompatible_interface() {
    // The manifest claims 1.0.0; the library inside was built against 2.0.0. abi_stable's
    // version check at load catches what the manifest hides.
    let v2_library = echo_built_against_interface_v2();
    assert_refused(
        "built-v2",
        |dir| {
            stage_echo(dir);
            std::fs::copy(v2_library, dir.join(echo_library_name())).unwrap();
        },
        &echo_library_name(),
        "built against provider interface 2.0.0",
    );
}

#[test]
fn refuses_a_manifest_that_disagrees_with_its_library() {
    assert_refused(
        "mismatch",
        |dir| {
            stage_echo(dir);
            edit_manifest(dir, |m| m["version"] = "9.9.9".into());
        },
        &echo_library_name(),
        "manifest/library mismatch: the manifest says version \"9.9.9\"",
    );
    assert_refused(
        "wrong-id",
        |dir| {
            stage_echo(dir);
            edit_manifest(dir, |m| m["id"] = "notecho".into());
        },
        &echo_library_name(),
        "manifest/library mismatch: the manifest says id \"notecho\"",
    );
}

#[test]
fn refuses_a_duplicate_provider_id() {
    assert_refused(
        "zz-second-huggingface",
        stage_hf,
        "openclaw.plugin.json",
        "duplicate provider id 'huggingface'",
    );
}

#[test]
fn refuses_a_world_writable_library() {
    assert_refused(
        "writable",
        |dir| {
            stage_echo(dir);
            let library = dir.join(echo_library_name());
            std::fs::set_permissions(&library, std::fs::Permissions::from_mode(0o666)).unwrap();
        },
        &echo_library_name(),
        "world-writable",
    );
}

#[test]
fn refuses_a_library_owned_by_someone_else() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: only root can give a file to another user");
        return;
    }
    assert_refused(
        "foreign",
        |dir| {
            stage_echo(dir);
            std::os::unix::fs::chown(dir.join(echo_library_name()), Some(4242), Some(4242))
                .unwrap();
        },
        &echo_library_name(),
        "owned by uid 4242",
    );
}

#[test]
fn refuses_a_malformed_manifest() {
    assert_refused(
        "malformed",
        |dir| {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("openclaw.plugin.json"), "{ id: \"x\", native: ").unwrap();
        },
        "openclaw.plugin.json",
        "not valid JSON5",
    );
}
