//! Images and speech through the plugins: the model (an explicit ref or alias, else the
//! default of the first plugin serving the capability), the plugin's call, and its answer
//! checked ([`media_answers`]) before anything is written anywhere.

use openclaw_provider_abi::{
    Blob, BlobRef, Cancellation, Capabilities, ErrorCode, ProviderError,
    documents::{
        ImageRequest, ImageResult, SpeechRequest, SpeechResult, TranscriptionRequest,
        TranscriptionResult,
    },
};
use provider_host::media_answers;

use crate::host::Host;

/// Generates images; the answer's blobs are the images, in the document's order.
pub fn generate_image(
    host: &Host,
    model: Option<&str>,
    mut request: ImageRequest,
    cancel: &Cancellation,
) -> Result<(String, ImageResult, Vec<Blob>), ProviderError> {
    let (reference, plugin) = host.serving(model, Capabilities::IMAGE_GENERATION)?;
    request.model.clone_from(&reference);
    let context = host.call_context(plugin)?;
    let answer = plugin.generate_image(&context, &to_json(&request)?, cancel)?;
    let (result, blobs) = media_answers::images(plugin.id(), answer)?;
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
    let result =
        serde_json::from_str(&answer).map_err(|err| media_answers::not_one(plugin.id(), err))?;
    Ok((reference, result))
}

/// Speaks a text; the answer's one blob is the audio.
pub fn speak(
    host: &Host,
    model: Option<&str>,
    mut request: SpeechRequest,
    cancel: &Cancellation,
) -> Result<(String, SpeechResult, Blob), ProviderError> {
    let (reference, plugin) = host.serving(model, Capabilities::SPEECH_SYNTHESIS)?;
    request.model.clone_from(&reference);
    let context = host.call_context(plugin)?;
    let answer = plugin.synthesize_speech(&context, &to_json(&request)?, cancel)?;
    let (result, audio) = media_answers::speech(plugin.id(), answer)?;
    Ok((reference, result, audio))
}

fn to_json<T: serde::Serialize>(request: &T) -> Result<String, ProviderError> {
    serde_json::to_string(request)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
}
