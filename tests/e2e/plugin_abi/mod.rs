//! The provider interface itself, with the plugins loaded in process through host-stub's loader:
//! panics caught at the boundary ([`panics`]), capabilities a plugin serves or predates
//! ([`capabilities`]), the ABI's pull handle for a streamed chat ([`stream_handle`]), and one
//! loaded plugin serving many threads at once ([`concurrency`]).

mod capabilities;
mod concurrency;
mod panics;
mod stream_handle;
