//! Deciding whether a plugin library may be opened at all, then opening it: the file's owner
//! and permissions, its headers ([`image`]: ELF or Mach-O, this CPU's, whole) — then the ABI
//! crate's loader, which owns `dlopen` and every check of the contract (abi_stable's header,
//! version and layout checks, and which older interface versions still load).

mod image;

use std::path::Path;

use openclaw_provider_abi::{ProviderModuleRef, loader};

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
    #[error("{0}")]
    Contract(loader::LoadError),
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

/// Loads the library at `path` and returns its checked root module, never to be unloaded.
pub fn load_module(path: &Path) -> Result<ProviderModuleRef, LoadError> {
    if !path.exists() {
        return Err(LoadError::Missing(path.display().to_string()));
    }
    check_image(path)?;
    // SAFETY: opening a library runs its initialisers. We only open files a plugin manifest
    // names, after the registry's ownership and permission checks and the header check above.
    unsafe { loader::open(path) }.map_err(|err| {
        if !err.report().is_empty() {
            tracing::debug!("abi_stable layout report:\n{}", err.report());
        }
        LoadError::Contract(err)
    })
}

/// The shared libraries in `dir` that export a provider plugin's root module and that no
/// manifest in `dir` names: plugins a host would find there but for the manifest (what a plain
/// `cargo build` leaves beside the host binary). Read without loading anything.
pub fn plugin_libraries_without_manifest(dir: &Path) -> Vec<std::path::PathBuf> {
    let named = crate::manifest::read_manifest(dir)
        .ok()
        .and_then(|manifest| manifest.native)
        .map(|native| native.library_file_name());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            name.starts_with(std::env::consts::DLL_PREFIX)
                && name.ends_with(std::env::consts::DLL_SUFFIX)
                && Some(name) != named.as_deref()
        })
        .filter(|path| path.is_file() && image::exports_root_module(path))
        .collect();
    found.sort();
    found
}

/// Refuses, before `dlopen` maps it, a file that is not a whole shared library for this machine
/// (see [`image`]).
fn check_image(path: &Path) -> Result<(), LoadError> {
    image::check(path, image::Machine::this())
        .map_err(|why| LoadError::NotALibrary(format!("{}: {why}", path.display())))
}
