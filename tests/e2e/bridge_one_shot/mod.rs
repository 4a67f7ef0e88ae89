//! The provider bridge one operation per run (`openclaw-provider-bridge <op>` in a plugin folder,
//! loading the real plugin, against the mock router): each operation ([`operations`]), and each
//! way a run can go wrong — a typed error line and a non-zero exit, never a hang or a
//! half-written line ([`failures`]).

mod failures;
mod operations;
