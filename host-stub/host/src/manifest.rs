//! The plugin manifest (`openclaw.plugin.json`), read without loading any library.
//!
//! The manifest is OpenClaw's format (the fields that matter to providers) plus a `native` block
//! naming the library, the interface version it was built against and, for a folder shipped
//! for several platforms, the directory holding one subdirectory of binaries per platform
//! (`<binaries>/linux-x64/`, named as Node names platforms). A manifest without a `native` block
//! belongs to another host (real OpenClaw's pure-JS plugins share the extensions directory) and
//! is not ours to load.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// The manifest's file name inside a plugin directory.
pub const MANIFEST_FILE: &str = "openclaw.plugin.json";

/// What the host needs from a manifest. Everything else stays in [`PluginManifest::document`].
#[derive(Clone, Debug)]
pub struct PluginManifest {
    /// Where the manifest was read from.
    pub path: PathBuf,
    /// The plugin id (for provider plugins, the provider id).
    pub id: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    /// Provider ids the plugin owns.
    pub providers: Vec<String>,
    /// Auth choices offered during onboarding (flags come from here).
    pub auth_choices: Vec<AuthChoice>,
    /// The native block; `None` for another host's plugin.
    pub native: Option<NativeBlock>,
    /// The whole document, for fields read elsewhere (`modelCatalog`, `configSchema`).
    pub document: Value,
}

/// One entry of `providerAuthChoices`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthChoice {
    pub provider: String,
    pub method: String,
    pub choice_id: String,
    pub choice_label: String,
    pub choice_hint: String,
    pub group_id: String,
    pub group_label: String,
    pub group_hint: String,
    pub option_key: String,
    pub cli_flag: String,
    pub cli_option: String,
    pub cli_description: String,
}

/// The block that makes a plugin loadable by this host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeBlock {
    /// The library's base name; the platform's prefix and suffix are added
    /// (`openclaw_huggingface` → `libopenclaw_huggingface.so`).
    pub library: String,
    /// The provider-interface version the library was built against.
    pub interface: String,
    /// Where the per-platform binaries are, relative to the plugin directory (each platform in
    /// its own subdirectory, see [`platform`]); `None`: the library sits beside the manifest.
    pub binaries: Option<String>,
}

impl NativeBlock {
    /// The library's file name on this platform.
    pub fn library_file_name(&self) -> String {
        format!(
            "{}{}{}",
            std::env::consts::DLL_PREFIX,
            self.library,
            std::env::consts::DLL_SUFFIX
        )
    }

    /// The directory holding this platform's binaries in the plugin directory `dir`.
    pub fn binaries_dir(&self, dir: &Path) -> PathBuf {
        match &self.binaries {
            Some(binaries) => dir.join(binaries).join(platform()),
            None => dir.to_path_buf(),
        }
    }

    /// The library for this platform in the plugin directory `dir`.
    pub fn library_path(&self, dir: &Path) -> PathBuf {
        self.binaries_dir(dir).join(self.library_file_name())
    }

    /// The platforms a multi-platform folder has binaries for (empty for a single-platform one).
    pub fn platforms(&self, dir: &Path) -> Vec<String> {
        let Some(binaries) = &self.binaries else {
            return Vec::new();
        };
        let mut names: Vec<String> = std::fs::read_dir(dir.join(binaries))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.path().is_dir())
                    .filter_map(|entry| entry.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// This platform as Node names it (`process.platform`-`process.arch`): `linux-x64`,
/// `darwin-arm64`, … — the name of its binaries' directory.
pub fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        "x86" => "ia32",
        "powerpc64" => "ppc64",
        other => other,
    };
    format!("{os}-{arch}")
}

/// The most bytes of a manifest read (real ones are a few kilobytes; the built-in catalog of a
/// provider may add some).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// Why a manifest could not be used. Each renders as one line.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read the manifest: {0}")]
    Unreadable(crate::bounded::ReadError),
    #[error("the manifest is not valid JSON5: {0}")]
    Syntax(String),
    #[error("the manifest is invalid: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    id: Value,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    providers: Vec<String>,
    #[serde(default)]
    provider_auth_choices: Vec<AuthChoice>,
    #[serde(default)]
    native: Option<RawNative>,
}

#[derive(Deserialize)]
struct RawNative {
    library: Option<String>,
    interface: Option<String>,
    binaries: Option<String>,
}

/// Reads and checks the manifest in `dir`.
pub fn read_manifest(dir: &Path) -> Result<PluginManifest, ManifestError> {
    let path = dir.join(MANIFEST_FILE);
    let text =
        crate::bounded::read_text(&path, MAX_MANIFEST_BYTES).map_err(ManifestError::Unreadable)?;
    parse_manifest(&text, path)
}

/// Parses manifest text (JSON5, as OpenClaw reads manifests).
pub fn parse_manifest(text: &str, path: PathBuf) -> Result<PluginManifest, ManifestError> {
    crate::nesting::check(text, crate::nesting::MAX_DEPTH)
        .map_err(|err| ManifestError::Syntax(err.to_string()))?;
    let document: Value =
        json5::from_str(text).map_err(|err| ManifestError::Syntax(err.to_string()))?;
    let raw: RawManifest = serde_json::from_value(document.clone())
        .map_err(|err| ManifestError::Invalid(err.to_string()))?;
    let id = match &raw.id {
        Value::String(id) if is_valid_id(id) => id.clone(),
        Value::String(id) => {
            return Err(ManifestError::Invalid(format!(
                "\"id\" {id:?} must be lower-case letters, digits, '-' or '_'"
            )));
        }
        _ => return Err(ManifestError::Invalid("\"id\" must be a string".into())),
    };
    let native = raw.native.map(check_native).transpose()?;
    Ok(PluginManifest {
        path,
        id,
        name: raw.name,
        version: raw.version,
        description: raw.description,
        providers: raw.providers,
        auth_choices: raw.provider_auth_choices,
        native,
        document,
    })
}

fn check_native(raw: RawNative) -> Result<NativeBlock, ManifestError> {
    let library = raw
        .library
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| ManifestError::Invalid("\"native.library\" is missing".into()))?;
    // The library must sit inside the plugin directory: a bare base name, nothing that walks.
    if library.contains(['/', '\\']) || library.starts_with('.') {
        return Err(ManifestError::Invalid(format!(
            "\"native.library\" {library:?} must be a bare library name inside the plugin directory"
        )));
    }
    let interface = raw
        .interface
        .ok_or_else(|| ManifestError::Invalid("\"native.interface\" is missing".into()))?;
    if openclaw_provider_abi::parse_major_minor(&interface).is_none() {
        return Err(ManifestError::Invalid(format!(
            "\"native.interface\" {interface:?} is not a version"
        )));
    }
    // The binaries must sit inside the plugin directory too: a relative path that never walks
    // up.
    let binaries = raw.binaries.filter(|path| !path.trim().is_empty());
    if let Some(path) = &binaries {
        let inside = Path::new(path)
            .components()
            .all(|part| matches!(part, std::path::Component::Normal(_)));
        if !inside || path.contains('\\') {
            return Err(ManifestError::Invalid(format!(
                "\"native.binaries\" {path:?} must be a relative path inside the plugin directory"
            )));
        }
    }
    Ok(NativeBlock {
        library,
        interface,
        binaries,
    })
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PluginManifest, ManifestError> {
        parse_manifest(text, PathBuf::from("m.json"))
    }

    #[test]
    fn reads_native_and_foreign_manifests() {
        let manifest = parse(
            r#"{ id: "echo", version: "1.2.3", // JSON5 is fine
                 providers: ["echo"],
                 providerAuthChoices: [{choiceId: "echo-key", cliFlag: "--echo-key", extra: 1}],
                 native: {library: "echo_provider", interface: "1.0.0"}, }"#,
        )
        .unwrap();
        assert_eq!(manifest.id, "echo");
        assert_eq!(manifest.auth_choices[0].cli_flag, "--echo-key");
        let native = manifest.native.unwrap();
        assert_eq!(native.interface, "1.0.0");
        assert!(native.library_file_name().contains("echo_provider"));
        assert_eq!(
            native.library_path(Path::new("/p")).parent(),
            Some(Path::new("/p"))
        );
        let nested = parse(
            r#"{"id":"x","native":{"library":"x","interface":"1.1.0","binaries":"node_modules/n/bin"}}"#,
        )
        .unwrap()
        .native
        .unwrap();
        assert_eq!(
            nested.binaries_dir(Path::new("/p")),
            Path::new("/p/node_modules/n/bin").join(platform())
        );
        assert!(
            parse(r#"{"id":"js-only","configSchema":{}}"#)
                .unwrap()
                .native
                .is_none()
        );
    }

    #[test]
    fn refuses_bad_manifests_with_a_reason() {
        for (text, expected) in [
            ("{", "not valid JSON5"),
            (
                &"[".repeat(50_000),
                "nested deeper than 128 levels at line 1 column 129",
            ),
            ("[]", "invalid"),
            (r#"{"id": 5}"#, "must be a string"),
            (r#"{"id": "Bad Id"}"#, "lower-case"),
            (
                r#"{"id":"x","native":{"interface":"1.0.0"}}"#,
                "native.library",
            ),
            (
                r#"{"id":"x","native":{"library":"../evil","interface":"1.0.0"}}"#,
                "bare library",
            ),
            (
                r#"{"id":"x","native":{"library":"ok"}}"#,
                "native.interface",
            ),
            (
                r#"{"id":"x","native":{"library":"ok","interface":"one"}}"#,
                "not a version",
            ),
            (
                r#"{"id":"x","native":{"library":"ok","interface":"1.1.0","binaries":"../up"}}"#,
                "inside the plugin directory",
            ),
            (
                r#"{"id":"x","native":{"library":"ok","interface":"1.1.0","binaries":"/abs"}}"#,
                "inside the plugin directory",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }
}
