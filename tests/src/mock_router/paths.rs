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
