//! Release archives of a synthetic plugin folder: npm's layout with one platform's binaries,
//! the fixed headers that make two packs of one folder byte-identical whatever the files' times
//! and modes, the checksum file, and what is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::Read,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use sha2::Digest;
use xtask::archive::{CHECKSUMS, NPM_EPOCH, epoch_from, pack, sha256_file};

const BIN: &str = "node_modules/openclaw-native/bin";

/// A folder shaped like `cargo xtask dist`'s, with binaries for two platforms; with `reverse`,
/// its files are created in the opposite order (directory order is the file system's business).
fn folder(dir: &Path, reverse: bool) -> PathBuf {
    let folder = dir.join("huggingface");
    let mut files: Vec<(String, &[u8], u32)> = vec![
        (
            "openclaw.plugin.json".into(),
            br#"{"id":"huggingface","version":"1.2.3","native":{"library":"openclaw_huggingface","interface":"1.1.0","binaries":"node_modules/openclaw-native/bin"}}"#,
            0o644,
        ),
        ("package.json".into(), b"{}", 0o644),
        ("index.js".into(), b"export default {};", 0o600),
        ("LICENSE-MIT".into(), b"MIT", 0o664),
    ];
    for platform in ["darwin-arm64", "linux-x64"] {
        files.push((
            format!("{BIN}/{platform}/libopenclaw_huggingface.so"),
            b"library",
            0o755,
        ));
        files.push((
            format!("{BIN}/{platform}/openclaw-provider-bridge"),
            b"bridge",
            0o700,
        ));
    }
    if reverse {
        files.reverse();
    }
    for (name, bytes, mode) in files {
        let path = folder.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    folder
}

/// Each entry's name, type, mode, owner, group, names and mtime, read back with the tar crate.
fn entries(archive: &Path) -> Vec<(String, tar::EntryType, u32, u64, u64, String, u64)> {
    let file = std::fs::File::open(archive).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let header = entry.header();
            assert!(header.as_ustar().is_some(), "not a ustar header");
            let names = format!(
                "{}:{}",
                header.username().unwrap().unwrap_or_default(),
                header.groupname().unwrap().unwrap_or_default()
            );
            (
                entry.path().unwrap().to_string_lossy().into_owned(),
                header.entry_type(),
                header.mode().unwrap(),
                header.uid().unwrap(),
                header.gid().unwrap(),
                names,
                header.mtime().unwrap(),
            )
        })
        .collect()
}

#[test]
fn each_platform_gets_an_archive_in_npms_layout() {
    let dir = tempfile::tempdir().unwrap();
    let folder = folder(dir.path(), false);
    let packed = pack(&folder, &dir.path().join("out"), 1_700_000_000).unwrap();
    let names: Vec<String> = packed
        .archives
        .iter()
        .map(|a| a.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "openclaw-huggingface-1.2.3-darwin-arm64.tgz",
            "openclaw-huggingface-1.2.3-linux-x64.tgz"
        ]
    );

    let linux = entries(&packed.archives[1]);
    let listed: Vec<(&str, u32)> = linux.iter().map(|e| (e.0.as_str(), e.2)).collect();
    assert_eq!(
        listed,
        [
            ("package", 0o755),
            ("package/LICENSE-MIT", 0o644),
            ("package/index.js", 0o644),
            ("package/node_modules", 0o755),
            ("package/node_modules/openclaw-native", 0o755),
            ("package/node_modules/openclaw-native/bin", 0o755),
            ("package/node_modules/openclaw-native/bin/linux-x64", 0o755),
            (
                "package/node_modules/openclaw-native/bin/linux-x64/libopenclaw_huggingface.so",
                0o755
            ),
            (
                "package/node_modules/openclaw-native/bin/linux-x64/openclaw-provider-bridge",
                0o755
            ),
            ("package/openclaw.plugin.json", 0o644),
            ("package/package.json", 0o644),
        ],
        "sorted by name, only this platform's binaries, modes 0755 or 0644"
    );
    for (name, kind, _, uid, gid, names, mtime) in &linux {
        assert!(
            matches!(kind, tar::EntryType::Regular | tar::EntryType::Directory),
            "{name}: {kind:?}"
        );
        assert_eq!(
            (*uid, *gid, names.as_str(), *mtime),
            (0, 0, ":", 1_700_000_000),
            "{name}"
        );
    }
    let darwin = entries(&packed.archives[0]);
    assert!(
        darwin
            .iter()
            .any(|e| e.0.ends_with("darwin-arm64/openclaw-provider-bridge"))
    );
    assert!(!darwin.iter().any(|e| e.0.contains("linux-x64")));

    // gzip: no file name, no time, level 9, OS "unknown".
    let bytes = std::fs::read(&packed.archives[1]).unwrap();
    assert_eq!(bytes[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff]);
}

#[test]
fn two_packs_of_one_folder_are_byte_identical() {
    let first_dir = tempfile::tempdir().unwrap();
    let first = pack(
        &folder(first_dir.path(), false),
        &first_dir.path().join("out"),
        NPM_EPOCH,
    )
    .unwrap();

    // The same contents, written in the other order, an hour later, with other modes.
    let second_dir = tempfile::tempdir().unwrap();
    let second_folder = folder(second_dir.path(), true);
    let later = SystemTime::now() + Duration::from_secs(3600);
    for file in ["index.js", "package.json", BIN] {
        let file = std::fs::File::open(second_folder.join(file)).unwrap();
        file.set_modified(later).unwrap();
    }
    std::fs::set_permissions(
        second_folder.join("package.json"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let second = pack(&second_folder, &second_dir.path().join("out"), NPM_EPOCH).unwrap();

    for (a, b) in first.archives.iter().zip(&second.archives) {
        assert_eq!(
            std::fs::read(a).unwrap(),
            std::fs::read(b).unwrap(),
            "{}",
            a.display()
        );
    }
    assert_eq!(
        std::fs::read(&first.checksums).unwrap(),
        std::fs::read(&second.checksums).unwrap()
    );

    // SOURCE_DATE_EPOCH moves every entry's time, and so the bytes.
    let third_dir = tempfile::tempdir().unwrap();
    let third = pack(
        &folder(third_dir.path(), false),
        &third_dir.path().join("out"),
        0,
    )
    .unwrap();
    assert_ne!(
        std::fs::read(&first.archives[0]).unwrap(),
        std::fs::read(&third.archives[0]).unwrap()
    );
    assert!(entries(&third.archives[0]).iter().all(|e| e.6 == 0));
}

#[test]
fn the_checksum_file_names_every_archive_in_sha256sums_format() {
    let dir = tempfile::tempdir().unwrap();
    let packed = pack(
        &folder(dir.path(), false),
        &dir.path().join("out"),
        NPM_EPOCH,
    )
    .unwrap();
    assert_eq!(packed.checksums.file_name().unwrap(), CHECKSUMS);
    let text = std::fs::read_to_string(&packed.checksums).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), packed.archives.len());
    for (line, archive) in lines.iter().zip(&packed.archives) {
        let (hash, name) = line.split_once("  ").unwrap();
        assert_eq!(name, archive.file_name().unwrap().to_str().unwrap());
        let mut bytes = Vec::new();
        std::fs::File::open(archive)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        let expected: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hash, expected);
    }
    // The hex of a known vector (FIPS 180-2's "abc").
    let abc = dir.path().join("abc");
    std::fs::write(&abc, "abc").unwrap();
    assert_eq!(
        sha256_file(&abc).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn links_and_folders_without_binaries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let folder = folder(dir.path(), false);
    std::os::unix::fs::symlink("index.js", folder.join("entry.js")).unwrap();
    let err = pack(&folder, &dir.path().join("out"), NPM_EPOCH).unwrap_err();
    assert!(
        err.contains("entry.js") && err.contains("only regular files and directories"),
        "{err}"
    );
    std::fs::remove_file(folder.join("entry.js")).unwrap();

    std::fs::remove_dir_all(folder.join(BIN)).unwrap();
    let err = pack(&folder, &dir.path().join("out"), NPM_EPOCH).unwrap_err();
    assert!(err.contains("no binaries"), "{err}");
    assert!(
        !dir.path().join("out").join(CHECKSUMS).exists(),
        "nothing written"
    );
}

#[test]
fn source_date_epoch_sets_the_entry_time() {
    assert_eq!(epoch_from(None), Ok(NPM_EPOCH));
    assert_eq!(epoch_from(Some(" ")), Ok(NPM_EPOCH));
    assert_eq!(epoch_from(Some("1700000000")), Ok(1_700_000_000));
    let err = epoch_from(Some("yesterday")).unwrap_err();
    assert!(err.contains("SOURCE_DATE_EPOCH"), "{err}");
}
