//! Writing state files safely: whole-file atomic replacement (temporary file in the same
//! directory, fsync, rename, fsync of the directory) with a chosen mode, and an advisory lock so
//! two host processes editing the same file never lose each other's changes. A reader sees the
//! old file or the new one, never a torn mix, even if the writer is killed mid-write.

use std::{
    fs::{File, OpenOptions},
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

/// Replaces `path` with `contents` atomically; the new file gets `mode` (e.g. `0o600`).
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    write_atomic_with(path, mode, |writer| writer.write_all(contents))
}

/// Like [`write_atomic`], with the contents written by `write` into a buffered writer (large
/// files need not be held in memory).
pub fn write_atomic_with(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut std::io::BufWriter<&mut File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(TEMP_SUFFIX)
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(&dir)?;
    {
        let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, temp.as_file_mut());
        write(&mut buffered)?;
        buffered.flush()?;
    }
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| err.error)?;
    // The rename itself must reach the disk too.
    File::open(&dir)?.sync_all()?;
    Ok(())
}

const TEMP_SUFFIX: &str = ".tmp";

/// Where writing to `path` should go: the file a symbolic link at `path` points to (so the
/// link stays a link), else `path` itself.
pub fn link_target(path: &Path) -> PathBuf {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return path.to_path_buf();
    }
    match std::fs::canonicalize(path) {
        Ok(target) => target,
        // A dangling link: write where it points, relative to the link's directory.
        Err(_) => match std::fs::read_link(path) {
            Ok(target) => parent_dir(path).join(target),
            Err(_) => path.to_path_buf(),
        },
    }
}

/// Makes a file that holds a secret private again: a mode that lets the group or others read or
/// write it is put back to 0600. Returns a warning saying so; `None` when the file was private
/// (or is missing).
pub fn keep_private(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    let mode = metadata.permissions().mode() & 0o777;
    if !metadata.is_file() || mode & 0o077 == 0 {
        return None;
    }
    let restored = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    Some(match restored {
        Ok(()) => format!(
            "{} holds a credential but was open to others (mode {mode:o}); restored to 600",
            path.display()
        ),
        Err(err) => format!(
            "{} holds a credential but is open to others (mode {mode:o}), and could not be \
             made private: {err}; run chmod 600 on it",
            path.display()
        ),
    })
}

/// Temporary files for `path` are named `.<file name>.<random>.tmp`, beside it.
fn temp_prefix(path: &Path) -> String {
    format!(
        ".{}.",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("state")
    )
}

/// An exclusive advisory lock on `<path>.lock`, held until dropped. Every writer of a state file
/// holds its lock, so a temporary file of `path` found while holding it was left by a writer
/// that was killed; acquiring the lock removes those (a profile store's may hold a key).
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Blocks until the lock for `path` is ours, then waits out a write OpenClaw has under way
    /// on the same file (see [`wait_for_openclaw`]) and removes temporary files killed writers
    /// of `path` left behind.
    pub fn acquire(path: &Path) -> std::io::Result<Self> {
        let lock_path = lock_path(path);
        std::fs::create_dir_all(parent_dir(&lock_path))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)?;
        file.lock()?;
        wait_for_openclaw(path)?;
        remove_stale_temps(path);
        Ok(Self { _file: file })
    }
}

/// How long OpenClaw's own lock on a file is honoured before it counts as left by a crash (its
/// own rule: a sidecar lock older than 30 seconds is stale).
const OPENCLAW_LOCK_STALE: Duration = Duration::from_secs(30);
/// How long to wait for OpenClaw to finish a write before giving up.
const OPENCLAW_LOCK_WAIT: Duration = Duration::from_secs(10);

/// OpenClaw locks a file it writes with a sidecar `<file>.lock`, created exclusively and
/// removed when done (and it waits while one exists). host-stub's own lock is a different file,
/// so the two never block each other for good; but host-stub does not write while OpenClaw's
/// lock is fresh. An empty `<file>.lock` is what earlier host-stub releases left behind (their
/// lock file's name): it is removed, since OpenClaw would wait on it.
fn wait_for_openclaw(path: &Path) -> std::io::Result<()> {
    let sidecar = openclaw_lock_path(path);
    let started = Instant::now();
    loop {
        let Ok(metadata) = std::fs::symlink_metadata(&sidecar) else {
            return Ok(());
        };
        if metadata.is_file() && metadata.len() == 0 {
            let _ = std::fs::remove_file(&sidecar);
            return Ok(());
        }
        let age = metadata
            .modified()
            .ok()
            .and_then(|at| at.elapsed().ok())
            .unwrap_or_default();
        if age > OPENCLAW_LOCK_STALE {
            return Ok(());
        }
        if started.elapsed() > OPENCLAW_LOCK_WAIT {
            return Err(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!(
                    "OpenClaw is writing {} (its lock {} is held); try again",
                    path.display(),
                    sidecar.display()
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Best effort: a temporary file that cannot be removed is left for the next writer.
fn remove_stale_temps(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = std::fs::read_dir(parent_dir(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(TEMP_SUFFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// host-stub's lock file for `path`: `.<file name>.host-stub.lock`, a name OpenClaw gives no
/// meaning to.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".host-stub.lock");
    path.with_file_name(name)
}

/// OpenClaw's sidecar lock for `path`: `<file name>.lock`.
fn openclaw_lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_with_the_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nested/state.json");
        write_atomic(&path, b"one", 0o600).unwrap();
        write_atomic(&path, b"two", 0o600).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn taking_the_lock_removes_temporary_files_of_killed_writers() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state.json");
        let stale = tmp.path().join(".state.json.a1b2c3.tmp");
        let other = tmp.path().join(".other.json.a1b2c3.tmp");
        std::fs::write(&stale, b"half a fil").unwrap();
        std::fs::write(&other, b"another file's").unwrap();
        let _lock = FileLock::acquire(&path).unwrap();
        assert!(!stale.exists());
        assert!(
            other.exists(),
            "only the locked file's temporaries are its to remove"
        );
    }

    #[test]
    fn openclaws_lock_is_honoured_until_stale_and_our_old_empty_ones_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("openclaw.json");
        let sidecar = tmp.path().join("openclaw.json.lock");
        // What an earlier host-stub left: empty, removed at once.
        std::fs::write(&sidecar, b"").unwrap();
        drop(FileLock::acquire(&path).unwrap());
        assert!(!sidecar.exists());
        // OpenClaw's, left by a crash long ago: stale, not waited for.
        std::fs::write(&sidecar, b"{\"pid\":1}").unwrap();
        let long_ago = std::time::SystemTime::now() - Duration::from_secs(120);
        std::fs::File::options()
            .write(true)
            .open(&sidecar)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        let started = Instant::now();
        drop(FileLock::acquire(&path).unwrap());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(sidecar.exists(), "OpenClaw's lock is OpenClaw's to remove");
        // Fresh: waited for while it is there.
        std::fs::write(&sidecar, b"{\"pid\":1}").unwrap();
        let remover = {
            let sidecar = sidecar.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                std::fs::remove_file(sidecar).unwrap();
            })
        };
        drop(FileLock::acquire(&path).unwrap());
        assert!(
            !sidecar.exists(),
            "the lock was taken while OpenClaw's was held"
        );
        remover.join().unwrap();
    }

    #[test]
    fn locks_exclude_each_other() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.json");
        let held = FileLock::acquire(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let _second = FileLock::acquire(&path).unwrap();
                tx.send(()).unwrap();
            })
        };
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(150))
                .is_err()
        );
        drop(held);
        rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        waiter.join().unwrap();
    }
}
