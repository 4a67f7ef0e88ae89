//! The resident bridge (`openclaw-provider-bridge serve` in a plugin folder, loading the real
//! plugin, against the mock router): requests multiplexed over one process ([`multiplexing`]),
//! warm connections kept across calls and a connection the router closed ([`connections`]; the
//! mock tells connections apart by the client's port), and the process's own life — hello,
//! garbage on stdin, stdin closing, the parent killed ([`lifecycle`]), and images and speech
//! whose payloads travel as files ([`media`]).

mod connections;
mod lifecycle;
mod media;
mod multiplexing;
