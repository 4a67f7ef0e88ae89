//! Opening a plugin library and checking that it speaks this contract: `dlopen`, abi_stable's
//! header, version and layout checks, and the root module. The contract's own crate owns this,
//! because only it knows every root-module layout it has released and which of them a host of
//! this version can still drive.
//!
//! abi_stable's checked loading accepts a library whose root module has *more* fields than the
//! host's (a newer minor) and refuses one with fewer. That alone would make every host built
//! against 1.2 refuse plugins built against 1.1, so a library the current layout refuses is
//! checked once more against the frozen 1.1 layout ([`v1_1`]); when that one passes, the module
//! is used through the current type, whose 1.2 accessors read the library's own field table and
//! answer `None`. Plugins older than 1.1 stay refused.
//!
//! abi_stable's `RootModule::load_from_file` is not used: it caches one module per interface
//! type for the whole process, so a second plugin file would silently yield the first plugin.

use std::path::Path;

use abi_stable::{
    library::{AbiHeaderRef, LibraryError, ROOT_MODULE_LOADER_NAME_WITH_NUL},
    prefix_type::PrefixRefTrait,
};

use crate::{INTERFACE_VERSION, ProviderModuleRef, parse_major_minor};

/// The oldest interface version whose plugins a host of this version loads.
pub const OLDEST_LOADABLE_INTERFACE: &str = "1.1.0";

/// Why a library could not be used as a provider plugin. Each renders as one line; the full
/// abi_stable report of a layout mismatch is kept apart ([`LoadError::report`]), for a host's
/// debug log.
#[derive(Debug)]
pub enum LoadError {
    /// `dlopen` refused the file.
    NotALibrary(String),
    /// The library exports no abi_stable root module.
    NoRootModule,
    /// It was built with an abi_stable this host cannot talk to.
    AbiHeader(String),
    /// It was built against an interface version this host does not load.
    IncompatibleInterface { plugin: String },
    /// Its root module's layout matches no layout this host knows; the first lines of
    /// abi_stable's report, and the report itself.
    LayoutMismatch { summary: String, report: String },
    /// Its root-module constructor failed or panicked.
    Constructor(String),
    /// Anything else abi_stable reported.
    Other(String),
}

impl LoadError {
    /// abi_stable's whole layout report, for a debug log (hundreds of lines); empty for the
    /// other errors.
    pub fn report(&self) -> &str {
        match self {
            Self::LayoutMismatch { report, .. } => report,
            _ => "",
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotALibrary(why) => write!(f, "not a shared library: {why}"),
            Self::NoRootModule => {
                f.write_str("not a provider plugin: the library exports no abi_stable root module")
            }
            Self::AbiHeader(why) => write!(f, "built with an incompatible abi_stable: {why}"),
            Self::IncompatibleInterface { plugin } => write!(
                f,
                "built against provider interface {plugin}, but this host speaks \
                 {INTERFACE_VERSION} and loads plugins of {OLDEST_LOADABLE_INTERFACE} and later \
                 within the same major version; rebuild the plugin"
            ),
            Self::LayoutMismatch { summary, .. } => write!(
                f,
                "its provider interface layout differs from this host's ({summary}); rebuild \
                 the plugin against openclaw-provider-abi {INTERFACE_VERSION}"
            ),
            Self::Constructor(why) => {
                write!(f, "the plugin failed while building its root module: {why}")
            }
            Self::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for LoadError {}

/// Opens the library at `path` and returns its checked root module. The library is never
/// unloaded: the module and everything it hands out hold `'static` references into it, and a
/// library whose threads have started cannot be unmapped safely anyway.
///
/// # Safety
///
/// Opening a library runs its initialisers, which may do anything: call this only on a file the
/// host has decided to trust (its owner, its permissions, its headers).
pub unsafe fn open(path: &Path) -> Result<ProviderModuleRef, LoadError> {
    let flags = libc_flags();
    // SAFETY: the caller vouches for the file (see above); RTLD_NOW makes unresolved symbols
    // fail here instead of at the first call.
    let library = unsafe { libloading::os::unix::Library::open(Some(path), flags) }
        .map_err(|err| LoadError::NotALibrary(error_chain(&err)))?;
    // SAFETY: the symbol, if present, is abi_stable's exported header static, whose address is
    // the `AbiHeaderRef` value. The library is leaked below, so the reference stays valid.
    let header: AbiHeaderRef =
        match unsafe { library.get::<AbiHeaderRef>(ROOT_MODULE_LOADER_NAME_WITH_NUL.as_bytes()) } {
            Ok(symbol) => *symbol,
            Err(_) => return Err(LoadError::NoRootModule),
        };
    // Leak before any check can fail: once the header was looked at, static data of the library
    // may be referenced (for example from an error report).
    std::mem::forget(library);
    let header = header.upgrade().map_err(describe)?;
    let plugin_version = header.version_strings().to_string();
    if !loadable(&plugin_version) {
        return Err(LoadError::IncompatibleInterface {
            plugin: plugin_version,
        });
    }
    match header.init_root_module::<ProviderModuleRef>() {
        Ok(module) => Ok(module),
        Err(current) => match header.init_root_module::<v1_1::ProviderModuleRef>() {
            Ok(legacy) => {
                // SAFETY: the library's root module passed the check against the 1.1 layout,
                // which is the current layout's prefix field for field; every accessor of a
                // field past it reads the library's own field table (abi_stable's prefix
                // metadata) and answers `None` for the fields a 1.1 library lacks.
                let erased = unsafe { legacy.to_prefix_ref().cast() };
                Ok(ProviderModuleRef::from_prefix_ref(erased))
            }
            // The current layout's complaint is the one worth reading.
            Err(_) => Err(describe(current)),
        },
    }
}

#[cfg(unix)]
fn libc_flags() -> std::os::raw::c_int {
    libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL
}

/// Whether a plugin built against interface `plugin_version` loads into a host of this version:
/// the same major, and a minor no older than [`OLDEST_LOADABLE_INTERFACE`]. (A newer minor loads:
/// its additions are appended, and this host never asks for them.)
pub fn loadable(plugin_version: &str) -> bool {
    match (
        parse_major_minor(plugin_version),
        parse_major_minor(OLDEST_LOADABLE_INTERFACE),
    ) {
        (Some(plugin), Some(oldest)) => plugin.0 == oldest.0 && plugin >= oldest,
        _ => false,
    }
}

fn describe(err: LibraryError) -> LoadError {
    match err {
        LibraryError::IncompatibleVersionNumber { actual_version, .. } => {
            LoadError::IncompatibleInterface {
                plugin: actual_version.to_string(),
            }
        }
        LibraryError::AbiInstability(report) => {
            let report = report.to_string();
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
            LoadError::LayoutMismatch { summary, report }
        }
        LibraryError::InvalidAbiHeader(header) => LoadError::AbiHeader(format!("{header:?}")),
        LibraryError::InvalidCAbi { .. } => {
            LoadError::AbiHeader("its C ABI self-test disagrees with this host's".into())
        }
        LibraryError::RootModule { err, .. } => LoadError::Constructor(err.to_string()),
        LibraryError::Many(errors) => match errors.into_iter().next() {
            Some(first) => describe(first),
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

/// The root module as interface 1.1 released it, frozen: the same type name and fields as the
/// current [`crate::ProviderModule`] up to `prepare`, so abi_stable's layout check of a 1.1
/// library passes against it. Never built by a plugin; only checked against.
// Its accessors are never called: the module is used through the current type.
#[allow(dead_code)]
mod v1_1 {
    use abi_stable::{
        StableAbi,
        library::RootModule,
        sabi_types::VersionStrings,
        std_types::{RResult, RSlice, RStr, RString, RVec},
    };

    use crate::{
        AccountInfo, AuthMethod, CallContext, Catalog, CatalogRequest, ChatStreamBox, HostContext,
        ModelInfo, OnboardingRequest, OnboardingResult, PluginInfo, ProviderError, ResolvedModel,
    };

    #[repr(C)]
    #[derive(StableAbi)]
    #[sabi(kind(Prefix(prefix_ref = ProviderModuleRef)))]
    #[sabi(missing_field(panic))]
    pub struct ProviderModule {
        pub info: extern "C" fn() -> RResult<PluginInfo, ProviderError>,
        pub init: extern "C" fn(&HostContext) -> RResult<(), ProviderError>,
        pub auth_methods: extern "C" fn() -> RResult<RVec<AuthMethod>, ProviderError>,
        pub validate_credential: extern "C" fn(&CallContext) -> RResult<AccountInfo, ProviderError>,
        pub onboarding_result:
            extern "C" fn(&OnboardingRequest) -> RResult<OnboardingResult, ProviderError>,
        pub list_models: extern "C" fn(&CatalogRequest) -> RResult<Catalog, ProviderError>,
        pub resolve_ref: extern "C" fn(
            reference: RStr<'_>,
            known_models: RSlice<'_, ModelInfo>,
        ) -> RResult<ResolvedModel, ProviderError>,
        pub chat: extern "C" fn(
            context: &CallContext,
            request_json: RStr<'_>,
        ) -> RResult<RString, ProviderError>,
        #[sabi(last_prefix_field)]
        pub chat_stream: extern "C" fn(
            context: &CallContext,
            request_json: RStr<'_>,
        ) -> RResult<ChatStreamBox, ProviderError>,
        pub prepare: extern "C" fn(context: &CallContext) -> RResult<(), ProviderError>,
    }

    impl RootModule for ProviderModuleRef {
        abi_stable::declare_root_module_statics! {ProviderModuleRef}

        const BASE_NAME: &'static str = "openclaw_provider";
        const NAME: &'static str = "OpenClaw provider plugin (interface 1.1)";
        const VERSION_STRINGS: VersionStrings = VersionStrings::new("1.1.0");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_minors_down_to_the_oldest_and_newer_ones_load() {
        for version in ["1.1.0", "1.1.7", "1.2.0", "1.9.0"] {
            assert!(loadable(version), "{version}");
        }
        for version in ["1.0.0", "0.9.0", "2.0.0", "garbage", ""] {
            assert!(!loadable(version), "{version}");
        }
        assert!(loadable(INTERFACE_VERSION));
    }
}
