//! The routes the tests and benchmarks drive, named once.

/// Chat completions, streamed or one-shot.
pub const CHAT: &str = "/v1/chat/completions";
/// The router's model list (also `HEAD`, the bridge warming a connection).
pub const MODELS: &str = "/v1/models";
/// The Hub's account lookup for a token.
pub const WHOAMI: &str = "/api/whoami-v2";
/// The Hub's token endpoint (refresh grants).
pub const OAUTH_TOKEN: &str = "/oauth/token";
/// The Hub's account usage for a billing period (Inference Providers' spend).
pub const BILLING_USAGE: &str = "/api/settings/billing/usage-v2";
/// Embeddings on the router's together route (OpenAI's shape).
pub const TOGETHER_EMBEDDINGS: &str = "/together/v1/embeddings";

/// The Hub's page about a model (its inference-provider mapping among it).
pub fn hub_model(model: &str) -> String {
    format!("/api/models/{model}")
}

/// hf-inference's feature-extraction pipeline for a model.
pub fn hf_inference_embeddings(model: &str) -> String {
    format!("/hf-inference/models/{model}/pipeline/feature-extraction")
}

/// Image generation on the router's together route.
pub const TOGETHER_IMAGES: &str = "/together/v1/images/generations";
/// Image generation on the router's nscale route.
pub const NSCALE_IMAGES: &str = "/nscale/v1/images/generations";
/// Transcription on the router's together route (OpenAI's multipart form).
pub const TOGETHER_TRANSCRIPTIONS: &str = "/together/v1/audio/transcriptions";
/// Speech synthesis on the router's together route.
pub const TOGETHER_SPEECH: &str = "/together/v1/audio/speech";
/// Where a test CDN serves results the upstreams name by URL.
pub const CDN_IMAGE: &str = "/cdn/result.png";
/// Where a test CDN serves audio an upstream names by URL.
pub const CDN_AUDIO: &str = "/cdn/result.mp3";

/// hf-inference's task route for a model (text-to-image, speech recognition, speech synthesis).
pub fn hf_inference_model(model: &str) -> String {
    format!("/hf-inference/models/{model}")
}

/// A fal-ai route for its model id (`fal-ai/flux/dev` → `/fal-ai/fal-ai/flux/dev`).
pub fn fal(provider_id: &str) -> String {
    format!("/fal-ai/{provider_id}")
}

/// A replicate prediction's route.
pub fn replicate_prediction(id: &str) -> String {
    format!("/replicate/v1/predictions/{id}")
}

/// A replicate model's predictions route.
pub fn replicate_model(provider_id: &str) -> String {
    format!("/replicate/v1/models/{provider_id}/predictions")
}
