//! The provider bridge: how a host that cannot load a native plugin (real OpenClaw, a Node
//! program) uses one anyway. `openclaw-provider-bridge` sits in the plugin's folder and loads
//! the plugin there through `provider_host`, with the same checks and refusals as host-stub.
//! It knows no provider.
//!
//! It runs in one of two ways:
//!
//! - **resident** (`serve`, [`serve`]): one long-lived process per host process answers every
//!   request — catalog, resolve, onboarding data, prepare, chat — multiplexed as JSON lines
//!   over stdio ([`protocol`]), so the plugin's connections to the service stay warm between
//!   calls. It exits when its stdin closes.
//! - **one operation per run** (`info`, `catalog`, `resolve`, `chat`, `onboarding`), for
//!   scripts and tests, with the credential in the environment and the outcome in the exit
//!   code ([`cli`]).
//!
//! Both run the same operations ([`ops`]), print chat events in `provider_host`'s one JSON-lines
//! schema, and write each line whole ([`output`]).

mod cli;
mod load;
mod ops;
mod output;
mod protocol;
mod serve;

pub use cli::main;
