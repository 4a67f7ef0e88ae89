//! The files `hf auth login` (huggingface_hub ≥ 1.20) leaves behind, read and written as
//! huggingface_hub reads and writes them: the token file (the active token, no newline), and
//! `stored_tokens` beside it — Python `configparser` INI, one section per token
//! (`[oauth-<user>]` for a browser login) with `hf_token`, `refresh_token` and `expires_at`
//! (unix seconds) — guarded by an exclusive `flock` on `stored_tokens.lock`.
//!
//! Reads are bounded and never block (regular files only, opened `O_NONBLOCK`); writes go to a
//! temporary file beside the target (mode 0600), synced and renamed over it, so a reader never
//! sees half a token. The INI dialect is the small part of `configparser` huggingface_hub uses
//! (no interpolation, `=` or `:` delimiters, full-line `#`/`;` comments, keys lower-cased), read
//! and written by hand: no crate reads and writes exactly that dialect.

use std::{
    fs::{File, OpenOptions},
    io::{Read, Write},
    os::unix::fs::{MetadataExt, OpenOptionsExt},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

/// The most bytes read from the token file.
pub const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;
/// The most bytes read from `stored_tokens` (a few hundred bytes per login).
pub const MAX_STORED_TOKENS_BYTES: u64 = 1024 * 1024;
/// The most sections read from `stored_tokens`.
const MAX_SECTIONS: usize = 1024;

/// Where huggingface_hub keeps the login: the token file, `stored_tokens` beside it (in the
/// token file's directory, not `HF_HOME`'s) and its lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginFiles {
    pub token: PathBuf,
    pub stored: PathBuf,
    pub lock: PathBuf,
}

impl LoginFiles {
    /// The files as huggingface_hub locates them: `$HF_TOKEN_PATH`, else `$HF_HOME/token`, else
    /// `$XDG_CACHE_HOME/huggingface/token`, else `~/.cache/huggingface/token`.
    pub fn locate(env: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let set = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let token = if let Some(path) = set("HF_TOKEN_PATH") {
            PathBuf::from(path)
        } else if let Some(home) = set("HF_HOME") {
            PathBuf::from(home).join("token")
        } else if let Some(cache) = set("XDG_CACHE_HOME") {
            PathBuf::from(cache).join("huggingface/token")
        } else {
            PathBuf::from(set("HOME")?).join(".cache/huggingface/token")
        };
        let dir = token.parent().unwrap_or(Path::new(".")).to_path_buf();
        Some(Self {
            stored: dir.join("stored_tokens"),
            lock: dir.join("stored_tokens.lock"),
            token,
        })
    }

    /// The token the token file holds, trimmed; `None` when there is no usable file.
    pub fn active_token(&self) -> Option<String> {
        let bytes = read_bounded(&self.token, MAX_TOKEN_FILE_BYTES).ok()??;
        let text = String::from_utf8(bytes).ok()?;
        let token = text.trim();
        (!token.is_empty()).then(|| token.to_owned())
    }

    /// The sections of `stored_tokens`; empty when there is no usable file.
    pub fn stored_tokens(&self) -> Vec<Section> {
        read_bounded(&self.stored, MAX_STORED_TOKENS_BYTES)
            .ok()
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map(|text| parse_ini(&text))
            .unwrap_or_default()
    }
}

/// One INI section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

impl Section {
    /// A key's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads an INI text as Python's `configparser` does for the files huggingface_hub writes. A
/// line that is neither a header, an option nor a comment is skipped, never fatal.
pub fn parse_ini(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut current: Option<usize> = None;
    let mut last_key: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            last_key = None;
            continue;
        }
        // An indented line continues the previous value, as configparser reads it.
        if line.starts_with([' ', '\t'])
            && let (Some(section), Some(index)) = (current, last_key)
            && let Some((_, value)) = sections[section].entries.get_mut(index)
        {
            value.push('\n');
            value.push_str(trimmed);
            continue;
        }
        if let Some(name) = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            if sections.len() == MAX_SECTIONS {
                break;
            }
            last_key = None;
            let name = name.to_owned();
            // A repeated section continues the first, as configparser (non-strict) merges.
            current = Some(match sections.iter().position(|s| s.name == name) {
                Some(index) => index,
                None => {
                    sections.push(Section {
                        name,
                        entries: Vec::new(),
                    });
                    sections.len() - 1
                }
            });
            continue;
        }
        let Some(at) = trimmed.find(['=', ':']) else {
            continue;
        };
        let key = trimmed[..at].trim().to_lowercase();
        let value = trimmed[at + 1..].trim().to_owned();
        let Some(section) = current.map(|index| &mut sections[index]) else {
            continue; // an option before any section: configparser refuses the file
        };
        match section.entries.iter().position(|(k, _)| *k == key) {
            Some(index) => {
                section.entries[index].1 = value;
                last_key = Some(index);
            }
            None => {
                section.entries.push((key, value));
                last_key = Some(section.entries.len() - 1);
            }
        }
    }
    sections
}

/// Writes sections as huggingface_hub does: sorted by name, `key = value`, a blank line after
/// each section.
pub fn render_ini(sections: &[Section]) -> String {
    let mut sorted: Vec<&Section> = sections.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::new();
    for section in sorted {
        out.push('[');
        out.push_str(&section.name);
        out.push_str("]\n");
        for (key, value) in &section.entries {
            out.push_str(key);
            out.push_str(" = ");
            // A multi-line value continues on indented lines.
            out.push_str(&value.replace('\n', "\n\t"));
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// The file at `path`, at most `cap` bytes: `Ok(None)` when it does not exist; an error for
/// anything but a regular file, or a larger one.
pub fn read_bounded(path: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::with_capacity(metadata.len().min(cap) as usize);
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::other(format!("larger than {cap} bytes")));
    }
    Ok(Some(bytes))
}

/// Replaces the file at `path` with `contents`, mode 0600: a temporary file beside it, synced and
/// renamed over it. A symbolic link is written through (its target is replaced).
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = target.parent().unwrap_or(Path::new("."));
    // tempfile creates the file 0600.
    let mut file = tempfile::Builder::new()
        .prefix(".hf-token-")
        .tempfile_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(&target).map_err(|err| err.error)?;
    Ok(())
}

/// An exclusive lock on `stored_tokens.lock`, taken as the `filelock` package takes it (and
/// released as it releases it: the file is removed, then unlocked).
pub struct StoredTokensLock {
    file: Option<File>,
    path: PathBuf,
}

impl StoredTokensLock {
    /// Takes the lock, waiting at most `budget`.
    pub fn acquire(path: &Path, budget: Duration) -> std::io::Result<Self> {
        let until = Instant::now() + budget;
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path)?;
            match file.try_lock() {
                // A holder that released it removed the file after we opened it: that lock
                // guards nothing any more, so open the path again.
                Ok(()) if file.metadata()?.nlink() == 0 => continue,
                Ok(()) => {
                    return Ok(Self {
                        file: Some(file),
                        path: path.to_path_buf(),
                    });
                }
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(err)) => return Err(err),
            }
            if Instant::now() >= until {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "another process holds stored_tokens.lock",
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for StoredTokensLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_ini_huggingface_hub_writes_reads_back_and_writes_the_same() {
        let text = "[my-classic-token]\nhf_token = hf_classic\n\n[oauth-wauplin]\nhf_token = hf_oauth_x\nrefresh_token = rt_x\nexpires_at = 1752192000\n\n";
        let sections = parse_ini(text);
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[1].get("refresh_token"), Some("rt_x"));
        assert_eq!(render_ini(&sections), text);
        let odd = "# comment\n[B]\nHF_Token: a=b\n  continued\n; note\n[A]\nx=1\n[B]\ny = 2\n";
        let sections = parse_ini(odd);
        assert_eq!(sections[0].name, "B");
        assert_eq!(sections[0].get("hf_token"), Some("a=b\ncontinued"));
        assert_eq!(sections[0].get("y"), Some("2"));
        assert_eq!(
            render_ini(&sections),
            "[A]\nx = 1\n\n[B]\nhf_token = a=b\n\tcontinued\ny = 2\n\n"
        );
    }

    #[test]
    fn the_files_are_where_huggingface_hub_looks() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let files =
            LoginFiles::locate(env(&[("HF_TOKEN_PATH", "/t/tok"), ("HF_HOME", "/h")])).unwrap();
        assert_eq!(files.stored, PathBuf::from("/t/stored_tokens"));
        assert_eq!(files.lock, PathBuf::from("/t/stored_tokens.lock"));
        let files = LoginFiles::locate(env(&[("HF_HOME", "/h"), ("HOME", "/home/u")])).unwrap();
        assert_eq!(files.token, PathBuf::from("/h/token"));
        let files = LoginFiles::locate(env(&[("HOME", "/home/u")])).unwrap();
        assert_eq!(
            files.token,
            PathBuf::from("/home/u/.cache/huggingface/token")
        );
        assert_eq!(LoginFiles::locate(env(&[])), None);
    }

    #[test]
    fn writes_are_private_and_locks_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        write_atomically(&path, b"hf_new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hf_new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            read_bounded(&path, 3).unwrap_err().kind(),
            std::io::ErrorKind::Other
        );
        assert!(
            read_bounded(&dir.path().join("missing"), 3)
                .unwrap()
                .is_none()
        );
        assert!(
            read_bounded(dir.path(), 3).is_err(),
            "a directory is refused"
        );

        let lock_path = dir.path().join("stored_tokens.lock");
        let held = StoredTokensLock::acquire(&lock_path, Duration::from_secs(1)).unwrap();
        let busy = StoredTokensLock::acquire(&lock_path, Duration::from_millis(120));
        assert_eq!(busy.err().unwrap().kind(), std::io::ErrorKind::TimedOut);
        drop(held);
        assert!(!lock_path.exists(), "released as filelock releases it");
        assert!(StoredTokensLock::acquire(&lock_path, Duration::from_secs(1)).is_ok());
    }
}
