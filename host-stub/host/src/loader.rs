//! Opening a plugin library: file safety checks, `dlopen` through libloading, and abi_stable's
//! header, version and layout checks. This and the plugin's FFI shell are the only places that
//! touch abi_stable's loading machinery.
//!
//! Before `dlopen`, the file's headers are checked ([`image`]): ELF or Mach-O, this CPU's, whole.
//!
//! abi_stable's own `RootModule::load_from_file` is not used: it caches one module per interface
//! type for the whole process, so a second plugin file would silently yield the first plugin.

mod image;

use std::path::Path;

use openclaw_provider_abi::{
    ProviderModuleRef,
    abi_stable::library::{AbiHeaderRef, LibraryError, ROOT_MODULE_LOADER_NAME_WITH_NUL},
};

/// Why a library could not be loaded. Each renders as one line; the full abi_stable report of a
/// layout mismatch goes to the debug log only.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the library {0} is missing")]
    Missing(String),
    #[error("{0}")]
    Unsafe(String),
    #[error("not a shared library: {0}")]
    NotALibrary(String),
    #[error("not a provider plugin: the library exports no abi_stable root module")]
    NoRootModule,
    #[error("built with an incompatible abi_stable: {0}")]
    AbiHeader(String),
    #[error(
        "built against provider interface {plugin}, but this host speaks {host} (same major, plugin minor at least the host's); rebuild the plugin"
    )]
    IncompatibleInterface { plugin: String, host: String },
    #[error("its provider interface layout differs from this host's ({0}); rebuild the plugin against openclaw-provider-abi {host}", host = openclaw_provider_abi::INTERFACE_VERSION)]
    LayoutMismatch(String),
    #[error("the plugin failed while building its root module: {0}")]
    Constructor(String),
    #[error("{0}")]
    Other(String),
}

/// Refuses files a hostile user could have swapped: world-writable, or owned by someone other
/// than the current user or root (the rules OpenClaw applies to its plugins).
pub fn check_file_safety(path: &Path) -> Result<(), LoadError> {
    use std::os::unix::fs::MetadataExt;

    let metadata = std::fs::metadata(path)
        .map_err(|err| LoadError::Missing(format!("{} ({err})", path.display())))?;
    if metadata.mode() & 0o002 != 0 {
        return Err(LoadError::Unsafe(format!(
            "{} is world-writable; run `chmod o-w` on it",
            path.display()
        )));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if metadata.uid() != me && metadata.uid() != 0 {
        return Err(LoadError::Unsafe(format!(
            "{} is owned by uid {}, not by you (uid {me}) or root",
            path.display(),
            metadata.uid()
        )));
    }
    Ok(())
}

/// Loads the library at `path` and returns its checked root module. The library is never
/// unloaded: the module and everything it hands out hold `'static` references into it, and a
/// library whose threads have started cannot be unmapped safely anyway.
pub fn load_module(path: &Path) -> Result<ProviderModuleRef, LoadError> {
    if !path.exists() {
        return Err(LoadError::Missing(path.display().to_string()));
    }
    check_image(path)?;
    let flags = libc::RTLD_NOW | libc::RTLD_LOCAL;
    // SAFETY: opening a library runs its initialisers. We only open files a plugin manifest
    // names, after the registry's ownership and permission checks and the header check above;
    // RTLD_NOW makes unresolved symbols fail here instead of at the first call.
    let library = unsafe { libloading::os::unix::Library::open(Some(path), flags) }
        .map_err(|err| LoadError::NotALibrary(error_chain(&err)))?;
    // SAFETY: the symbol, if present, is abi_stable's exported header static, whose address is the
    // `AbiHeaderRef` value. The library is leaked below, so the reference stays valid.
    let header: AbiHeaderRef =
        match unsafe { library.get::<AbiHeaderRef>(ROOT_MODULE_LOADER_NAME_WITH_NUL.as_bytes()) } {
            Ok(symbol) => *symbol,
            Err(_) => return Err(LoadError::NoRootModule),
        };
    // Leak before any check can fail: once the header was looked at, static data of the library
    // may be referenced (for example from an error report).
    std::mem::forget(library);
    let module = header
        .upgrade()
        .and_then(|header| header.init_root_module::<ProviderModuleRef>())
        .map_err(describe_library_error)?;
    Ok(module)
}

/// Refuses, before `dlopen` maps it, a file that is not a whole shared library for this machine
/// (see [`image`]).
fn check_image(path: &Path) -> Result<(), LoadError> {
    image::check(path, image::Machine::this())
        .map_err(|why| LoadError::NotALibrary(format!("{}: {why}", path.display())))
}

fn describe_library_error(err: LibraryError) -> LoadError {
    match err {
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => LoadError::IncompatibleInterface {
            plugin: actual_version.to_string(),
            host: expected_version.to_string(),
        },
        LibraryError::AbiInstability(report) => {
            let report = report.to_string();
            tracing::debug!("abi_stable layout report:\n{report}");
            let first_errors: Vec<&str> = report
                .lines()
                .map(str::trim)
                .filter(|line| line.starts_with("Error:"))
                .take(2)
                .collect();
            let summary = if first_errors.is_empty() {
                "no detail reported".to_owned()
            } else {
                first_errors.join("; ")
            };
            LoadError::LayoutMismatch(summary)
        }
        LibraryError::InvalidAbiHeader(header) => LoadError::AbiHeader(format!("{header:?}")),
        LibraryError::InvalidCAbi { .. } => {
            LoadError::AbiHeader("its C ABI self-test disagrees with this host's".into())
        }
        LibraryError::RootModule { err, .. } => LoadError::Constructor(err.to_string()),
        LibraryError::Many(errors) => match errors.into_iter().next() {
            Some(first) => describe_library_error(first),
            None => LoadError::Other("unknown abi_stable error".into()),
        },
        other => LoadError::Other(first_line(&other.to_string())),
    }
}

/// `Display` of an error and its sources on one line (libloading's own `Display` is only
/// "dlopen failed"; the reason is in `source()`).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    first_line(&text)
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}
