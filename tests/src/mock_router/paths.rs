//! The routes the tests and benchmarks drive, named once.

/// Chat completions, streamed or one-shot.
pub const CHAT: &str = "/v1/chat/completions";
/// The router's model list (also `HEAD`, the bridge warming a connection).
pub const MODELS: &str = "/v1/models";
/// The Hub's account lookup for a token.
pub const WHOAMI: &str = "/api/whoami-v2";
/// The Hub's token endpoint (refresh grants).
pub const OAUTH_TOKEN: &str = "/oauth/token";
