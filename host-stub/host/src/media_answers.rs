//! A plugin's media answers, checked before a host uses them: the document must be the one the
//! operation promises, every payload it refers to must be there (and every payload referred
//! to), and none may exceed [`MAX_BLOB_BYTES`]. A plugin is trusted to run, not to be right.

use openclaw_provider_abi::{
    Blob, ErrorCode, MAX_BLOB_BYTES, MediaAnswer, ProviderError,
    documents::{ImageResult, SpeechResult},
};
use serde::de::DeserializeOwned;

/// `generate_image`'s answer: its document and the images, in the document's order.
pub fn images(
    provider: &str,
    answer: MediaAnswer,
) -> Result<(ImageResult, Vec<Blob>), ProviderError> {
    let (result, blobs): (ImageResult, Vec<Blob>) = read(provider, answer)?;
    let referred: Vec<u32> = result.images.iter().map(|image| image.blob).collect();
    check_references(provider, &referred, blobs.len())?;
    // In the document's order, so image n is blob n.
    let mut slots: Vec<Option<Blob>> = blobs.into_iter().map(Some).collect();
    let ordered = referred
        .iter()
        .filter_map(|&index| slots.get_mut(index as usize).and_then(Option::take))
        .collect();
    let mut result = result;
    for (index, image) in result.images.iter_mut().enumerate() {
        image.blob = index as u32;
    }
    Ok((result, ordered))
}

/// `synthesize_speech`'s answer: its document and the one audio payload.
pub fn speech(provider: &str, answer: MediaAnswer) -> Result<(SpeechResult, Blob), ProviderError> {
    let (result, mut blobs): (SpeechResult, Vec<Blob>) = read(provider, answer)?;
    check_references(provider, &[0], blobs.len())?;
    Ok((result, blobs.swap_remove(0)))
}

/// The error for an answer that is not what the operation promises.
pub fn not_one(provider: &str, why: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(
        ErrorCode::INVALID_RESPONSE,
        format!("the {provider} plugin's answer is not the document it should be: {why}"),
    )
}

fn read<T: DeserializeOwned>(
    provider: &str,
    answer: MediaAnswer,
) -> Result<(T, Vec<Blob>), ProviderError> {
    let document =
        serde_json::from_str(answer.json.as_str()).map_err(|err| not_one(provider, err))?;
    let blobs = answer.blobs.into_vec();
    if let Some(large) = blobs.iter().find(|blob| blob.bytes.len() > MAX_BLOB_BYTES) {
        return Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "the {provider} plugin answered a {}-byte payload, over the {MAX_BLOB_BYTES}-byte \
                 cap",
                large.bytes.len()
            ),
        ));
    }
    Ok((document, blobs))
}

/// Every index referred to names a payload, once, and every payload is referred to.
fn check_references(provider: &str, referred: &[u32], blobs: usize) -> Result<(), ProviderError> {
    let mut seen = vec![false; blobs];
    for &index in referred {
        match seen.get_mut(index as usize) {
            Some(slot) if !*slot => *slot = true,
            _ => {
                return Err(ProviderError::new(
                    ErrorCode::INVALID_RESPONSE,
                    format!(
                        "the {provider} plugin's answer refers to payload {index} of {blobs} \
                         wrongly"
                    ),
                ));
            }
        }
    }
    if referred.is_empty() || seen.contains(&false) {
        return Err(not_one(
            provider,
            format!("its {blobs} payloads and its document do not match"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use openclaw_provider_abi::documents::GeneratedImage;

    use super::*;

    fn answer(images: &[u32], blobs: usize) -> MediaAnswer {
        let result = ImageResult {
            model: "m".into(),
            images: images
                .iter()
                .map(|&blob| GeneratedImage {
                    blob,
                    ..GeneratedImage::default()
                })
                .collect(),
            ..ImageResult::default()
        };
        MediaAnswer {
            json: serde_json::to_string(&result).unwrap().into(),
            blobs: (0..blobs)
                .map(|n| Blob::new("image/png", vec![n as u8]))
                .collect::<Vec<_>>()
                .into(),
        }
    }

    #[test]
    fn payloads_and_documents_must_match() {
        let (result, blobs) = images("p", answer(&[1, 0], 2)).unwrap();
        assert_eq!(blobs[0].bytes.as_slice(), [1]);
        assert_eq!(result.images[1].blob, 1);
        for (refs, count) in [
            (&[0u32, 0][..], 2),
            (&[2][..], 2),
            (&[0][..], 2),
            (&[][..], 0),
        ] {
            assert!(
                images("p", answer(refs, count)).is_err(),
                "{refs:?} of {count}"
            );
        }
        let garbage = MediaAnswer {
            json: "[]".into(),
            blobs: Vec::new().into(),
        };
        assert!(speech("p", garbage).is_err());
    }
}
