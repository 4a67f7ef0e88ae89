//! What the capabilities beyond chat (1.2) pass besides JSON documents: binary payloads with
//! their media type, and the host's cancellation flag.
//!
//! Images and audio cross the boundary as bytes, never as base64 inside JSON: a
//! [`BlobRef`] borrowed from the host on the way in, owned [`Blob`]s inside a [`MediaAnswer`] on
//! the way out. Both sides bound them at [`MAX_BLOB_BYTES`].

use std::sync::atomic::{AtomicBool, Ordering};

use abi_stable::{
    StableAbi,
    std_types::{RSlice, RStr, RString, RVec},
};

/// The most bytes of one blob either side accepts: a 4K PNG or half an hour of compressed
/// speech fits; a plugin refuses a larger answer from its service, a host a larger input.
pub const MAX_BLOB_BYTES: usize = 64 * 1024 * 1024;

/// Bytes a plugin hands back (an image, audio), with their media type.
#[repr(C)]
#[derive(StableAbi, Clone, PartialEq, Eq)]
pub struct Blob {
    /// What the bytes are (`image/png`, `audio/mpeg`), as the plugin determined it from the
    /// bytes themselves where it could, not merely from a header.
    pub media_type: RString,
    /// The bytes.
    pub bytes: RVec<u8>,
}

impl Blob {
    /// A blob of `bytes` of type `media_type`.
    pub fn new(media_type: impl Into<RString>, bytes: Vec<u8>) -> Self {
        Self {
            media_type: media_type.into(),
            bytes: RVec::from(bytes),
        }
    }

    /// The same blob, borrowed.
    pub fn as_ref(&self) -> BlobRef<'_> {
        BlobRef {
            media_type: self.media_type.as_rstr(),
            bytes: self.bytes.as_rslice(),
        }
    }
}

/// Bytes and their length, never the bytes: a blob may be megabytes of binary.
impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_ref().fmt(f)
    }
}

/// The usual file extension of a media type (`png` for `image/png`; `bin` when unknown), for
/// hosts writing a blob to a file and plugins naming one in an upload.
pub fn file_extension(media_type: &str) -> &'static str {
    match media_type {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "audio/mpeg" => "mp3",
        "audio/x-wav" | "audio/wav" => "wav",
        "audio/x-flac" | "audio/flac" => "flac",
        "audio/ogg" | "audio/opus" => "ogg",
        "video/webm" | "audio/webm" => "webm",
        "audio/m4a" | "audio/mp4" | "video/mp4" => "m4a",
        _ => "bin",
    }
}

/// Bytes a host lends a plugin for one call (audio to transcribe), with their media type.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct BlobRef<'a> {
    /// What the bytes are, as the host knows it (`audio/wav`); may be empty when unknown.
    pub media_type: RStr<'a>,
    /// The bytes.
    pub bytes: RSlice<'a, u8>,
}

impl<'a> BlobRef<'a> {
    /// Borrows `bytes` of type `media_type`.
    pub fn new(media_type: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            media_type: RStr::from_str(media_type),
            bytes: RSlice::from_slice(bytes),
        }
    }
}

impl std::fmt::Debug for BlobRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({}, {} bytes)", self.media_type, self.bytes.len())
    }
}

/// The answer of an operation that produces media: a JSON document describing it (which
/// document depends on the operation) and the blobs the document refers to by index.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct MediaAnswer {
    /// The answer document as JSON text.
    pub json: RString,
    /// The payloads, in the order the document's indexes count them.
    pub blobs: RVec<Blob>,
}

/// A flag the host sets to stop an operation in progress; the plugin looks at it while it
/// waits (on the network, on a queue) and stops with a `CANCELLED` error soon after it is set.
///
/// The host owns it and keeps it alive for the whole call; setting it is the only write.
#[repr(transparent)]
#[derive(StableAbi, Debug, Default)]
pub struct Cancellation(AtomicBool);

impl Cancellation {
    /// A flag not set yet.
    pub const fn new() -> Self {
        Self(AtomicBool::new(false))
    }

    /// Asks the operation to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the host asked the operation to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A flag that is never set, for calls nobody can cancel.
pub static NEVER_CANCELLED: Cancellation = Cancellation::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_print_their_size_not_their_bytes() {
        let blob = Blob::new("image/png", vec![0x89, b'P', b'N', b'G']);
        assert_eq!(format!("{blob:?}"), "Blob(image/png, 4 bytes)");
        assert_eq!(blob.as_ref().bytes.len(), 4);
        assert_eq!(file_extension("image/jpeg"), "jpg");
        assert_eq!(file_extension("application/x-unknown"), "bin");
        let flag = Cancellation::new();
        assert!(!flag.is_cancelled());
        flag.cancel();
        assert!(flag.is_cancelled());
        assert!(!NEVER_CANCELLED.is_cancelled());
    }
}
