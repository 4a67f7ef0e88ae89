//! What a payload is, read from its first bytes (magic numbers), never taken from a header or a
//! field an upstream wrote: an answer that says `image/png` over an HTML error page is not an
//! image. Only the kinds a caller asked for pass.

use infer::MatcherType;

/// The media type of `bytes` if they are an image.
pub fn image(bytes: &[u8]) -> Option<&'static str> {
    infer::get(bytes)
        .filter(|kind| kind.matcher_type() == MatcherType::Image)
        .map(|kind| kind.mime_type())
}

/// The media type of `bytes` if they are audio (or a container audio travels in: WebM, Ogg,
/// MP4).
pub fn audio(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    match kind.matcher_type() {
        MatcherType::Audio => Some(kind.mime_type()),
        MatcherType::Video if matches!(kind.mime_type(), "video/webm" | "video/mp4") => {
            Some(kind.mime_type())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_audio_are_told_by_their_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(image(png), Some("image/png"));
        assert_eq!(image(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), Some("image/jpeg"));
        assert_eq!(image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image(b"<!doctype html><p>busy"), None);
        assert_eq!(image(b""), None);
        assert_eq!(audio(png), None);
        assert_eq!(audio(b"fLaC\0\0\0\x22"), Some("audio/x-flac"));
        assert_eq!(audio(b"RIFF\x24\0\0\0WAVEfmt "), Some("audio/x-wav"));
        assert_eq!(audio(b"ID3\x04\0\0\0\0\0\0"), Some("audio/mpeg"));
        assert_eq!(image(b"ID3\x04\0\0\0\0\0\0"), None);
    }
}
