//! Images and speech through the plugins: the model (an explicit ref or alias, else the
//! default of the first plugin serving the capability), the plugin's call, and a check of what
//! it answered — a media answer's document must refer to blobs it carries, each within
//! [`MAX_BLOB_BYTES`] — before anything is written anywhere.

use openclaw_provider_abi::{
    BlobRef, Cancellation, Capabilities, ErrorCode, MAX_BLOB_BYTES, MediaAnswer, ProviderError,
    documents::{
        ImageRequest, ImageResult, SpeechRequest, SpeechResult, TranscriptionRequest,
        TranscriptionResult,
    },
};
use serde::de::DeserializeOwned;

use crate::host::Host;

/// Generates images; the answer's blobs are the images, in the document's order.
pub fn generate_image(
    host: &Host,
    model: Option<&str>,
    mut request: ImageRequest,
    cancel: &Cancellation,
) -> Result<(String, ImageResult, Vec<openclaw_provider_abi::Blob>), ProviderError> {
    let (reference, plugin) = host.serving(model, Capabilities::IMAGE_GENERATION)?;
    request.model.clone_from(&reference);
    let context = host.call_context(plugin)?;
    let answer = plugin.generate_image(&context, &to_json(&request)?, cancel)?;
    let (result, blobs): (ImageResult, _) = read_answer(plugin.id(), answer)?;
    let referred: Vec<u32> = result.images.iter().map(|image| image.blob).collect();
    check_references(plugin.id(), &referred, blobs.len())?;
    Ok((reference, result, blobs))
}

/// Transcribes a recording.
pub fn transcribe(
    host: &Host,
    model: Option<&str>,
    mut request: TranscriptionRequest,
    audio: BlobRef<'_>,
    cancel: &Cancellation,
) -> Result<(String, TranscriptionResult), ProviderError> {
    let (reference, plugin) = host.serving(model, Capabilities::SPEECH_RECOGNITION)?;
    request.model.clone_from(&reference);
    let context = host.call_context(plugin)?;
    let answer = plugin.transcribe_audio(&context, &to_json(&request)?, audio, cancel)?;
    let result = serde_json::from_str(&answer).map_err(|err| not_one(plugin.id(), &err))?;
    Ok((reference, result))
}

/// Speaks a text; the answer's one blob is the audio.
pub fn speak(
    host: &Host,
    model: Option<&str>,
    mut request: SpeechRequest,
    cancel: &Cancellation,
) -> Result<(String, SpeechResult, openclaw_provider_abi::Blob), ProviderError> {
    let (reference, plugin) = host.serving(model, Capabilities::SPEECH_SYNTHESIS)?;
    request.model.clone_from(&reference);
    let context = host.call_context(plugin)?;
    let answer = plugin.synthesize_speech(&context, &to_json(&request)?, cancel)?;
    let (result, mut blobs): (SpeechResult, _) = read_answer(plugin.id(), answer)?;
    check_references(plugin.id(), &[0], blobs.len())?;
    Ok((reference, result, blobs.swap_remove(0)))
}

fn to_json<T: serde::Serialize>(request: &T) -> Result<String, ProviderError> {
    serde_json::to_string(request)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
}

fn not_one(provider: &str, err: &serde_json::Error) -> ProviderError {
    ProviderError::new(
        ErrorCode::INVALID_RESPONSE,
        format!("the {provider} plugin's answer is not the document it should be: {err}"),
    )
}

/// A media answer's document and blobs, each blob within the cap.
fn read_answer<T: DeserializeOwned>(
    provider: &str,
    answer: MediaAnswer,
) -> Result<(T, Vec<openclaw_provider_abi::Blob>), ProviderError> {
    let document =
        serde_json::from_str(answer.json.as_str()).map_err(|err| not_one(provider, &err))?;
    let blobs = answer.blobs.into_vec();
    if let Some(large) = blobs.iter().find(|blob| blob.bytes.len() > MAX_BLOB_BYTES) {
        return Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "the {provider} plugin answered a {}-byte payload, over the {MAX_BLOB_BYTES}-byte cap",
                large.bytes.len()
            ),
        ));
    }
    Ok((document, blobs))
}

/// Every index the document refers to names a blob, and every blob is referred to.
fn check_references(provider: &str, referred: &[u32], blobs: usize) -> Result<(), ProviderError> {
    let mut seen = vec![false; blobs];
    for &index in referred {
        match seen.get_mut(index as usize) {
            Some(slot) => *slot = true,
            None => {
                return Err(ProviderError::new(
                    ErrorCode::INVALID_RESPONSE,
                    format!("the {provider} plugin's answer refers to payload {index} of {blobs}"),
                ));
            }
        }
    }
    if referred.is_empty() || seen.contains(&false) {
        return Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!("the {provider} plugin's answer and its {blobs} payloads do not match"),
        ));
    }
    Ok(())
}
