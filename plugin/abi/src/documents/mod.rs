//! The JSON documents that cross the boundary as text: chat's requests, results and event
//! payloads ([`chat`]), the capabilities' requests and answers ([`embeddings`], [`media`],
//! [`usage`]), what a plugin's info carries beyond its typed fields ([`metadata`]) and the
//! provider-config contract ([`config`]).
//!
//! They are OpenAI-compatible where OpenAI has a word for a thing (and so `snake_case`, but for
//! the configuration, which is in OpenClaw's words). Both sides use these serde types, so each
//! schema has one definition. Unknown fields are kept (`extra`) on the way in or ignored, so
//! either side may be newer.

pub mod chat;
pub mod config;
pub mod embeddings;
pub mod media;
pub mod metadata;
pub mod usage;

pub use chat::{
    ChatDone, ChatRequest, ChatResult, Content, ContentPart, FunctionCall, Message, ToolCall,
    ToolCallDelta, TurnCost, Usage,
};
pub use config::{ModelUpstreams, ProviderConfig, UpstreamFacts, UpstreamPricing};
pub use embeddings::{EmbeddingRequest, EmbeddingResult, EmbeddingUsage};
pub use media::{
    GeneratedImage, ImageRequest, ImageResult, SpeechRequest, SpeechResult, TranscriptSegment,
    TranscriptionRequest, TranscriptionResult,
};
pub use metadata::{ModelDefaults, PluginMetadata, RoutingPolicy};
pub use usage::UsageReport;
