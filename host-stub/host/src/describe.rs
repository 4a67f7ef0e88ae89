//! The manifest a plugin implies: everything `openclaw.plugin.json` says, generated from what
//! the library says about itself — its info and metadata, its auth methods and its built-in
//! catalog — so a plugin's facts live in its code alone. Packaging writes the result beside the
//! library; hosts then read it without loading anything.

use std::path::Path;

use openclaw_provider_abi::{
    AuthMethod, CallContext, Capabilities, CatalogRequest, DiscoveryMode, ModelInfo, PluginInfo,
    documents::{ModelDefaults, PluginMetadata},
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    host_identity::HostIdentity,
    loader::load_module,
    plugin::{LoadedPlugin, module_info, module_init},
};

/// A generated manifest, in the order OpenClaw's own manifests list their fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    version: &'a str,
    enabled_by_default: bool,
    providers: [&'a str; 1],
    provider_auth_choices: Vec<Value>,
    setup: Value,
    model_catalog: Value,
    model_id_normalization: Value,
    config_schema: Value,
    /// OpenClaw's capability contracts for what the plugin serves beyond chat
    /// (`embeddingProviders`, `imageGenerationProviders`, `mediaUnderstandingProviders`,
    /// `speechProviders`, `usageProviders`), which OpenClaw reads before loading the plugin's
    /// code.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    contracts: serde_json::Map<String, Value>,
    /// What OpenClaw may know of a contract's provider before loading it
    /// (`mediaUnderstandingProviderMetadata`, `imageGenerationProviderMetadata`), top-level keys.
    #[serde(flatten)]
    contract_metadata: serde_json::Map<String, Value>,
    native: Native<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Native<'a> {
    library: &'a str,
    interface: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    binaries: Option<&'a str>,
    /// The model onboarding makes the default, for the folder's OpenClaw entry.
    default_model: &'a str,
    /// What the plugin serves (`chat`, `embeddings`, …), so a host knows without loading it.
    capabilities: Vec<&'static str>,
    /// What the plugin assumes of an unknown model, for the folder's OpenClaw entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    model_defaults: Option<ModelDefaults>,
    /// The model each capability beyond chat uses by default (`embeddings` → a model ref).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    default_models: std::collections::BTreeMap<String, String>,
}

/// The manifest for a plugin whose library's base name is `library` (`openclaw_huggingface`),
/// with its binaries in per-platform directories under `binaries` (see
/// [`crate::manifest::NativeBlock::binaries`]) or beside the manifest.
pub fn manifest_for(
    info: &PluginInfo,
    methods: &[AuthMethod],
    models: &[ModelInfo],
    library: &str,
    binaries: Option<&str>,
) -> Value {
    let id = info.id.as_str();
    let metadata: PluginMetadata = serde_json::from_str(&info.metadata_json).unwrap_or_default();
    let env_vars: Vec<&str> = methods
        .iter()
        .flat_map(|method| method.env_vars.iter().map(|name| name.as_str()))
        .fold(Vec::new(), |mut names, name| {
            if !names.contains(&name) {
                names.push(name);
            }
            names
        });
    let choices = methods
        .iter()
        .map(|method| {
            json!({
                "provider": method.provider_id.as_str(),
                "method": method.method_id.as_str(),
                "choiceId": method.choice_id.as_str(),
                "choiceLabel": method.label.as_str(),
                "choiceHint": method.hint.as_str(),
                "groupId": method.group_id.as_str(),
                "groupLabel": method.group_label.as_str(),
                "groupHint": method.group_hint.as_str(),
                "optionKey": method.option_key.as_str(),
                "cliFlag": method.cli_flag.as_str(),
                "cliOption": method.cli_option.as_str(),
                "cliDescription": method.cli_description.as_str(),
            })
        })
        .collect();
    let rows: Vec<crate::model_row::ModelRow<'_>> = models.iter().map(Into::into).collect();
    let mut catalog = json!({
        "providers": {id: {
            "baseUrl": info.default_base_url.as_str(),
            "api": info.api.as_str(),
            "models": rows,
        }},
    });
    if info.capabilities.contains(Capabilities::DISCOVERY) {
        catalog["discovery"] = json!({id: "refreshable"});
    }
    let serving = info.capabilities.serving(info.interface_version.as_str());
    let mut contracts = serde_json::Map::new();
    if serving.contains(Capabilities::EMBEDDINGS) {
        contracts.insert("embeddingProviders".into(), json!([id]));
    }
    let mut contract_metadata = serde_json::Map::new();
    if serving.contains(Capabilities::IMAGE_GENERATION) {
        contracts.insert("imageGenerationProviders".into(), json!([id]));
        contract_metadata.insert(
            "imageGenerationProviderMetadata".into(),
            json!({id: {"authProviders": [id]}}),
        );
    }
    if serving.contains(Capabilities::SPEECH_RECOGNITION) {
        contracts.insert("mediaUnderstandingProviders".into(), json!([id]));
        let prefix = format!("{id}/");
        let audio = metadata
            .default_models
            .get(&Capabilities::SPEECH_RECOGNITION.to_string())
            .map(|model| model.strip_prefix(&prefix).unwrap_or(model).to_owned());
        contract_metadata.insert(
            "mediaUnderstandingProviderMetadata".into(),
            json!({id: {
                "capabilities": ["audio"],
                "defaultModels": audio.map(|model| json!({"audio": model})).unwrap_or(json!({})),
            }}),
        );
    }
    if serving.contains(Capabilities::SPEECH_SYNTHESIS) {
        contracts.insert("speechProviders".into(), json!([id]));
    }
    if serving.contains(Capabilities::ACCOUNT_USAGE) {
        contracts.insert("usageProviders".into(), json!([id]));
    }
    let manifest = Manifest {
        id,
        name: info.display_name.as_str(),
        description: info.description.as_str(),
        version: info.plugin_version.as_str(),
        enabled_by_default: true,
        providers: [id],
        provider_auth_choices: choices,
        setup: json!({"providers": [{"id": id, "envVars": env_vars}]}),
        model_catalog: catalog,
        model_id_normalization: json!({"providers": {id: {"stripPrefixes": [format!("{id}/")]}}}),
        config_schema: metadata
            .config_schema
            .unwrap_or_else(|| json!({"type": "object"})),
        contracts,
        contract_metadata,
        native: Native {
            library,
            interface: info.interface_version.as_str(),
            binaries,
            default_model: info.default_model.as_str(),
            capabilities: serving.names(),
            model_defaults: metadata.model_defaults,
            default_models: metadata.default_models,
        },
    };
    serde_json::to_value(&manifest).unwrap_or(Value::Null)
}

/// Loads the library at `path` (with the loader's checks, but without a manifest) and returns
/// the manifest it implies for a folder with its binaries under `binaries` (or beside it).
pub fn describe_library(
    path: &Path,
    host: &HostIdentity,
    binaries: Option<&str>,
) -> Result<Value, String> {
    let fail =
        |what: &str, err: &dyn std::fmt::Display| format!("{}: {what}: {err}", path.display());
    let module = load_module(path).map_err(|err| fail("cannot load it", &err))?;
    let info = module_info(module).map_err(|err| fail("its info() failed", &err))?;
    module_init(module, &host.host_context()).map_err(|err| fail("its init() failed", &err))?;
    let methods = LoadedPlugin::auth_methods_of(module)
        .map_err(|err| fail("its auth_methods() failed", &err))?;
    let models = LoadedPlugin::static_catalog_of(module)
        .map_err(|err| fail("its built-in catalog failed", &err))?;
    let library = library_base_name(path)
        .ok_or_else(|| format!("{}: not a library file name", path.display()))?;
    Ok(manifest_for(&info, &methods, &models, &library, binaries))
}

/// `libopenclaw_huggingface.so` → `openclaw_huggingface`, with this platform's prefix and
/// suffix.
pub fn library_base_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let base = name
        .strip_prefix(std::env::consts::DLL_PREFIX)?
        .strip_suffix(std::env::consts::DLL_SUFFIX)?;
    (!base.is_empty()).then(|| base.to_owned())
}

/// The static catalog request: no credential, no network.
pub(crate) fn static_catalog_request() -> CatalogRequest {
    CatalogRequest {
        context: CallContext::anonymous(),
        mode: DiscoveryMode::STATIC,
        max_body_bytes: 0,
    }
}
