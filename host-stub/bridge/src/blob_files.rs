//! Media payloads between the bridge and its host travel as files, never as text in a line: a
//! recording the host wrote is read once (bounded, a FIFO or device refused), and images and
//! audio the plugin made are written once, each to a new private file (0600, created
//! exclusively) in a directory the host names, which it reads and removes. A line stays small,
//! and a payload is never held as base64 and bytes at once.

use std::{io::Write, path::PathBuf};

use openclaw_provider_abi::{Blob, MAX_BLOB_BYTES, file_extension};
use provider_host::bounded;

use crate::protocol::{Exit, Stop, WrittenBlob};

/// The directory a request names for its answer's files: absolute, existing, a directory (not a
/// link to one).
pub fn directory(text: &str) -> Result<PathBuf, Stop> {
    let path = PathBuf::from(text);
    let usable = path.is_absolute()
        && std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_dir());
    if usable {
        Ok(path)
    } else {
        Err(Stop::invalid(format!(
            "blobDir {} is not an absolute path to an existing directory",
            provider_host::display::one_line(text)
        )))
    }
}

/// A recording the host wrote, at most [`MAX_BLOB_BYTES`].
pub fn read(path: &str) -> Result<Vec<u8>, Stop> {
    let path = PathBuf::from(path);
    if !path.is_absolute() {
        return Err(Stop::invalid("the audio file's path must be absolute"));
    }
    bounded::read(&path, MAX_BLOB_BYTES as u64).map_err(|err| Stop::invalid(err.to_string()))
}

/// Writes each blob to a new file named `<stem>…<ext>` in `dir`, consuming them; on a failure,
/// the files already written are removed.
pub fn write_all(
    dir: &std::path::Path,
    stem: &str,
    blobs: Vec<Blob>,
) -> Result<Vec<WrittenBlob>, Stop> {
    let mut written: Vec<WrittenBlob> = Vec::with_capacity(blobs.len());
    for blob in blobs {
        match write_one(dir, stem, &blob) {
            Ok(file) => written.push(file),
            Err(err) => {
                for file in &written {
                    let _ = std::fs::remove_file(&file.path);
                }
                return Err(Stop::new(
                    Exit::Failed,
                    "internal",
                    format!("cannot write the answer's file in {}: {err}", dir.display()),
                ));
            }
        }
        // Each payload is freed as soon as it is on disk.
        drop(blob);
    }
    Ok(written)
}

fn write_one(dir: &std::path::Path, stem: &str, blob: &Blob) -> std::io::Result<WrittenBlob> {
    let suffix = format!(".{}", file_extension(blob.media_type.as_str()));
    let mut file = tempfile::Builder::new()
        .prefix(&format!("{stem}-"))
        .suffix(&suffix)
        .tempfile_in(dir)?;
    file.write_all(blob.bytes.as_slice())?;
    file.flush()?;
    let (_, path) = file.keep().map_err(|err| err.error)?;
    Ok(WrittenBlob {
        path: path.display().to_string(),
        media_type: blob.media_type.to_string(),
        bytes: blob.bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn blobs_become_private_files_and_directories_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_all(
            dir.path(),
            "image",
            vec![
                Blob::new("image/png", vec![1, 2, 3]),
                Blob::new("image/jpeg", vec![4]),
            ],
        )
        .unwrap();
        assert_eq!(files.len(), 2);
        assert!(files[0].path.ends_with(".png") && files[1].path.ends_with(".jpg"));
        assert_eq!(std::fs::read(&files[0].path).unwrap(), [1, 2, 3]);
        let mode = std::fs::metadata(&files[1].path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(directory(&dir.path().display().to_string()).is_ok());
        assert!(directory("relative/dir").is_err());
        assert!(directory(&files[0].path).is_err());
        assert!(read("relative.wav").is_err());
        assert_eq!(read(&files[0].path).unwrap(), [1, 2, 3]);
    }
}
