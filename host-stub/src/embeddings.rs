//! Embeddings through the plugins: which model (an explicit ref or alias, else the default
//! embedding model of the first plugin that serves embeddings), which plugin, its credential and
//! settings, and the call. The answer is the plugin's `EmbeddingResult`.

use openclaw_provider_abi::{
    Cancellation, Capabilities, ErrorCode, ProviderError,
    documents::{EmbeddingRequest, EmbeddingResult},
};

use crate::host::Host;

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct EmbedOptions {
    /// A model ref or alias; the default embedding model when absent.
    pub model: Option<String>,
    pub texts: Vec<String>,
    pub dimensions: Option<u32>,
    pub input_type: Option<String>,
}

/// Embeds the texts; setting `cancel` stops the call.
pub fn embed(
    host: &Host,
    options: &EmbedOptions,
    cancel: &Cancellation,
) -> Result<(String, EmbeddingResult), ProviderError> {
    let (reference, plugin) = host.serving(options.model.as_deref(), Capabilities::EMBEDDINGS)?;
    let provider = plugin.id().to_owned();
    let context = host.call_context(plugin)?;
    let request = EmbeddingRequest {
        model: reference.clone(),
        input: options.texts.clone(),
        dimensions: options.dimensions,
        input_type: options.input_type.clone(),
        ..EmbeddingRequest::default()
    };
    let request_json = serde_json::to_string(&request)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))?;
    let answer = plugin.embed(&context, &request_json, cancel)?;
    let result = serde_json::from_str(&answer).map_err(|err| {
        ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!("the {provider} plugin's embedding result is not one: {err}"),
        )
    })?;
    Ok((reference, result))
}
