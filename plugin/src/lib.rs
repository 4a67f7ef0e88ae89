//! Hugging Face Inference Providers as an OpenClaw provider plugin.
//!
//! The crate builds a `cdylib` that exports the root module of `openclaw-provider-abi`
//! ([`ffi`]). Everything behind the FFI shell is ordinary Rust with ordinary unit tests:
//! who the provider is ([`identity`]), logging through the host ([`host_log`]), and the
//! Hugging Face specifics in the modules that follow. The same code is also an `rlib`, so
//! benchmarks and fuzz targets can call it in-process, without the ABI.

pub mod ffi;
pub mod host_log;
pub mod identity;
