//! The provider bridge: how a host that cannot load a native plugin (real OpenClaw, a Node
//! program) uses one anyway. `openclaw-provider-bridge` sits in the plugin's folder and loads
//! the plugin there through `provider_host`, with the same checks and refusals as host-stub.
//! It knows no provider.
//!
//! It runs in one of two ways:
//!
//! - **resident** (`serve`, `serve`): one long-lived process per host process answers every
//!   request — catalog, resolve, onboarding data, prepare, chat, embeddings, images, speech —
//!   multiplexed as JSON lines over stdio (media payloads as files: `blob_files`), so the plugin's connections to the service stay warm between calls.
//!   It exits when its stdin closes.
//! - **one operation per run** (`info`, `catalog`, `resolve`, `chat`, `embed`, `onboarding`),
//!   for scripts and tests, with the credential in the environment and the outcome in the exit
//!   code (`cli`).
//!
//! The protocol is described once, in `docs/bridge-protocol.md`, and typed in `protocol`. Both
//! modes turn their input into the same `protocol::Request` and run it through the same
//! operations (`ops`), print chat events in `provider_host`'s one JSON-lines schema, and write
//! each line whole (`output`).

mod blob_files;
mod cli;
mod load;
mod ops;
mod output;
mod protocol;
mod serve;

pub use cli::main;
