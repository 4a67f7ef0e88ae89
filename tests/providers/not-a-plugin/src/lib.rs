//! A valid shared library that exports a C function but no abi_stable root module.

/// Something to export, so the library is not empty.
#[unsafe(no_mangle)]
pub extern "C" fn not_a_plugin_answer() -> u32 {
    42
}
