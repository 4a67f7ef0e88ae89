//! Release archives: one `openclaw-huggingface-<version>-<os>-<arch>.tgz` per platform of an
//! assembled folder, in the layout `openclaw plugins install <archive>` takes (npm's: every
//! file under `package/`), and a `SHA256SUMS` file naming them.
//!
//! An archive holds the folder's files with only its own platform's binaries, so a download
//! carries what runs on that machine. The bytes depend on the folder's contents alone, so two
//! builds of one commit give identical archives: entries in byte order of their names, each
//! with the same mtime (`SOURCE_DATE_EPOCH` when set, else npm's fixed 1985-10-26), owner and
//! group 0 with no names, mode 0755 for directories and executables and 0644 otherwise; ustar
//! headers only; gzip without a name or time at a fixed level. Only regular files and
//! directories go in: OpenClaw refuses a whole archive for one link or special file, and for
//! going past its extraction limits, so those are refused here first.

use std::{
    ffi::OsString,
    fs::File,
    io::{BufWriter, Read, Write},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};

/// What every archive's name starts with.
pub const NAME_PREFIX: &str = "openclaw-huggingface";

/// The checksum file written beside the archives (`sha256sum -c SHA256SUMS` checks them).
pub const CHECKSUMS: &str = "SHA256SUMS";

/// The entry mtime without `SOURCE_DATE_EPOCH`: 1985-10-26T08:15:00Z, what `npm pack` writes
/// (some tools mistrust a zero time).
pub const NPM_EPOCH: u64 = 499_162_500;

/// The directory every entry sits in, where OpenClaw (like npm) looks for the package.
const ROOT: &str = "package";

/// OpenClaw's extraction limits (`@openclaw/fs-safe`'s archive limits, which a plugin install
/// cannot raise): entries, bytes per entry, bytes in all.
const MAX_ENTRIES: usize = 50_000;
const MAX_ENTRY_BYTES: u64 = 256 << 20;
const MAX_TOTAL_BYTES: u64 = 512 << 20;

/// The archive name for a version and a platform.
pub fn archive_name(version: &str, platform: &str) -> String {
    format!("{NAME_PREFIX}-{version}-{platform}.tgz")
}

/// The mtime every entry gets: `SOURCE_DATE_EPOCH` when set (see [`epoch_from`]).
pub fn entry_mtime() -> Result<u64, String> {
    match std::env::var_os("SOURCE_DATE_EPOCH") {
        None => epoch_from(None),
        Some(value) => epoch_from(Some(
            value.to_str().ok_or("SOURCE_DATE_EPOCH is not UTF-8")?,
        )),
    }
}

/// The entry mtime a `SOURCE_DATE_EPOCH` value (seconds since 1970) gives; unset or empty,
/// [`NPM_EPOCH`].
pub fn epoch_from(value: Option<&str>) -> Result<u64, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(NPM_EPOCH),
        Some(seconds) => seconds
            .parse()
            .map_err(|_| format!("SOURCE_DATE_EPOCH={seconds:?} is not a number of seconds")),
    }
}

/// What [`pack`] wrote.
#[derive(Debug)]
pub struct Packed {
    /// One archive per platform, in platform order.
    pub archives: Vec<PathBuf>,
    /// The checksum file.
    pub checksums: PathBuf,
}

/// Writes an archive per platform of the assembled `folder` into `out_dir`, and
/// [`CHECKSUMS`] for them.
pub fn pack(folder: &Path, out_dir: &Path, mtime: u64) -> Result<Packed, String> {
    let manifest = provider_host::manifest::read_manifest(folder)
        .map_err(|err| format!("{}: {err}", folder.display()))?;
    let version = manifest
        .version
        .as_deref()
        .ok_or_else(|| format!("{}: the manifest names no version", folder.display()))?;
    let binaries = manifest
        .native
        .as_ref()
        .and_then(|native| native.binaries.as_deref())
        .ok_or_else(|| {
            format!(
                "{}: the manifest names no per-platform binaries directory",
                folder.display()
            )
        })?;
    let platforms = manifest
        .native
        .as_ref()
        .map(|native| native.platforms(folder))
        .unwrap_or_default();
    if platforms.is_empty() {
        return Err(format!(
            "{}: no binaries under {binaries}",
            folder.display()
        ));
    }
    std::fs::create_dir_all(out_dir)
        .map_err(|err| format!("cannot create {}: {err}", out_dir.display()))?;
    let mut archives = Vec::new();
    for platform in &platforms {
        let archive = out_dir.join(archive_name(version, platform));
        write_archive(folder, binaries, platform, &archive, mtime)?;
        archives.push(archive);
    }
    let checksums = out_dir.join(CHECKSUMS);
    write_checksums(&archives, &checksums)?;
    Ok(Packed {
        archives,
        checksums,
    })
}

/// One entry: its name under [`ROOT`] and what it is.
struct Entry {
    name: String,
    path: PathBuf,
    file: Option<FileEntry>,
}

struct FileEntry {
    size: u64,
    executable: bool,
}

/// Writes the archive of `folder` for `platform` (its binaries being in
/// `binaries/<platform>/`; other platforms' directories are left out) to `out`.
pub fn write_archive(
    folder: &Path,
    binaries: &str,
    platform: &str,
    out: &Path,
    mtime: u64,
) -> Result<(), String> {
    if !folder.join(binaries).join(platform).is_dir() {
        return Err(format!("{}: no binaries for {platform}", folder.display()));
    }
    let other_platform = |name: &str| {
        name.strip_prefix(binaries)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| !rest.contains('/') && rest != platform)
    };
    let mut entries = Vec::new();
    collect(folder, "", &other_platform, &mut entries)?;
    check_limits(&entries)?;

    let partial = partial_path(out);
    let result = write_entries(&entries, &partial, mtime)
        .and_then(|()| std::fs::rename(&partial, out).map_err(|err| err.to_string()));
    if let Err(err) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(format!("cannot write {}: {err}", out.display()));
    }
    Ok(())
}

/// The entries under `folder/relative`, depth first, each directory before its contents,
/// siblings in byte order of their names.
fn collect(
    folder: &Path,
    relative: &str,
    skip: &dyn Fn(&str) -> bool,
    entries: &mut Vec<Entry>,
) -> Result<(), String> {
    let dir = folder.join(relative);
    let mut names = std::fs::read_dir(&dir)
        .and_then(|read| {
            read.map(|entry| entry.map(|entry| entry.file_name()))
                .collect::<Result<Vec<OsString>, _>>()
        })
        .map_err(|err| format!("cannot read {}: {err}", dir.display()))?;
    names.sort();
    for name in names {
        let name = name.into_string().map_err(|name| {
            format!("{}: a file name that is not UTF-8: {name:?}", dir.display())
        })?;
        let relative = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        if skip(&relative) {
            continue;
        }
        let path = folder.join(&relative);
        let metadata =
            std::fs::symlink_metadata(&path).map_err(|err| format!("{}: {err}", path.display()))?;
        let kind = metadata.file_type();
        let file = if kind.is_dir() {
            None
        } else if kind.is_file() {
            Some(FileEntry {
                size: metadata.len(),
                executable: metadata.permissions().mode() & 0o100 != 0,
            })
        } else {
            return Err(format!(
                "{}: only regular files and directories go into an archive (OpenClaw refuses \
                 the whole archive for a link or a special file)",
                path.display()
            ));
        };
        entries.push(Entry {
            name: format!("{ROOT}/{relative}"),
            path: path.clone(),
            file,
        });
        if kind.is_dir() {
            collect(folder, &relative, skip, entries)?;
        }
    }
    Ok(())
}

fn check_limits(entries: &[Entry]) -> Result<(), String> {
    if entries.len() + 1 > MAX_ENTRIES {
        return Err(format!(
            "{} entries; OpenClaw extracts at most {MAX_ENTRIES}",
            entries.len() + 1
        ));
    }
    let mut total = 0u64;
    for entry in entries {
        let Some(file) = &entry.file else { continue };
        if file.size > MAX_ENTRY_BYTES {
            return Err(format!(
                "{} is {} bytes; OpenClaw extracts at most {MAX_ENTRY_BYTES} per file",
                entry.path.display(),
                file.size
            ));
        }
        total = total.saturating_add(file.size);
    }
    if total > MAX_TOTAL_BYTES {
        return Err(format!(
            "the files add up to {total} bytes; OpenClaw extracts at most {MAX_TOTAL_BYTES}"
        ));
    }
    Ok(())
}

fn write_entries(entries: &[Entry], out: &Path, mtime: u64) -> Result<(), String> {
    let file = File::create(out).map_err(|err| err.to_string())?;
    // No file name, mtime 0 and OS "unknown" (255) in the gzip header: nothing of this machine
    // or this moment. Level 9, as npm packs.
    let gzip = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(BufWriter::new(file), Compression::best());
    let mut tar = tar::Builder::new(gzip);
    let root = Entry {
        name: ROOT.to_owned(),
        path: PathBuf::new(),
        file: None,
    };
    for entry in std::iter::once(&root).chain(entries) {
        let mut header = tar::Header::new_ustar();
        // set_path splits a long name between ustar's prefix and name fields, or fails: never
        // a GNU long-name record.
        header
            .set_path(&entry.name)
            .map_err(|err| format!("{}: {err}", entry.name))?;
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        match &entry.file {
            None => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                header.set_cksum();
                tar.append(&header, std::io::empty())
            }
            Some(file) => {
                let data = read_bounded(&entry.path, file.size)?;
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(if file.executable { 0o755 } else { 0o644 });
                header.set_size(data.len() as u64);
                header.set_cksum();
                tar.append(&header, data.as_slice())
            }
        }
        .map_err(|err| format!("{}: {err}", entry.name))?;
    }
    let gzip = tar.into_inner().map_err(|err| err.to_string())?;
    let writer = gzip.finish().map_err(|err| err.to_string())?;
    let file = writer.into_inner().map_err(|err| err.to_string())?;
    file.sync_all().map_err(|err| err.to_string())
}

/// The file's bytes, refusing one that grew past its expected size since it was listed.
fn read_bounded(path: &Path, expected: u64) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|err| format!("{}: {err}", path.display()))?;
    let mut data = Vec::new();
    file.take(expected.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    if data.len() as u64 != expected {
        return Err(format!("{} changed while it was archived", path.display()));
    }
    Ok(data)
}

/// The lower-case hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String, String> {
    let mut file = File::open(path).map_err(|err| format!("{}: {err}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|err| format!("{}: {err}", path.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// Writes `out` in `sha256sum`'s format (`<hex>  <name>`, one line each, sorted by name) for
/// `files`, which sit in the same directory as `out`.
pub fn write_checksums(files: &[PathBuf], out: &Path) -> Result<(), String> {
    let mut sums = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| format!("{}: no file name", file.display()))?;
        sums.push((name, sha256_file(file)?));
    }
    sums.sort();
    let text: String = sums
        .iter()
        .map(|(name, hash)| format!("{hash}  {name}\n"))
        .collect();
    let partial = partial_path(out);
    let written = std::fs::File::create(&partial)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&partial, out));
    written.map_err(|err| {
        let _ = std::fs::remove_file(&partial);
        format!("cannot write {}: {err}", out.display())
    })
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}
