//! A loaded plugin and safe Rust methods over its entry points.
//!
//! The methods convert abi_stable's `RResult` into `Result` and normalise error codes a newer
//! plugin may send (unknown codes count as `internal`). Nothing here knows which provider the
//! plugin serves.

use std::path::PathBuf;

use openclaw_provider_abi::{
    AccountInfo, AuthMethod, BlobRef, CallContext, Cancellation, Capabilities, Catalog,
    CatalogRequest, ChatStreamBox, ErrorCode, MediaAnswer, ModelInfo, OnboardingRequest,
    OnboardingResult, PluginInfo, ProviderError, ProviderModuleRef, ResolvedModel,
    abi_stable::std_types::{RResult, RSlice, RStr},
    documents::PluginMetadata,
};

use crate::{
    describe::static_catalog_request, discovery::Origin, events::EventStream,
    manifest::PluginManifest,
};

/// A plugin that passed every check and was initialised.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// Its manifest, as read before loading.
    pub manifest: PluginManifest,
    /// Its own account of itself, cross-checked against the manifest.
    pub info: PluginInfo,
    /// The plugin directory.
    pub dir: PathBuf,
    /// The library file.
    pub library: PathBuf,
    /// Which search-path entry it came from.
    pub origin: Origin,
    /// Its auth methods, read once at load.
    pub auth_methods: Vec<AuthMethod>,
    /// What its info's metadata says (routing policies, settings schema); empty when it says
    /// nothing readable.
    pub metadata: PluginMetadata,
    module: ProviderModuleRef,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("id", &self.info.id)
            .field("library", &self.library)
            .finish_non_exhaustive()
    }
}

fn into_result<T>(result: RResult<T, ProviderError>) -> Result<T, ProviderError> {
    result.into_result().map_err(|mut err| {
        err.code = err.code.normalized();
        err
    })
}

impl LoadedPlugin {
    pub(crate) fn new(
        manifest: PluginManifest,
        info: PluginInfo,
        dir: PathBuf,
        library: PathBuf,
        origin: Origin,
        module: ProviderModuleRef,
    ) -> Result<Self, ProviderError> {
        let auth_methods = Self::auth_methods_of(module)?;
        let metadata = if info.metadata_json.trim().is_empty() {
            PluginMetadata::default()
        } else {
            serde_json::from_str(&info.metadata_json).unwrap_or_else(|err| {
                tracing::debug!("{}: unreadable metadata in its info: {err}", info.id);
                PluginMetadata::default()
            })
        };
        Ok(Self {
            manifest,
            info,
            dir,
            library,
            origin,
            auth_methods,
            metadata,
            module,
        })
    }

    /// The auth methods of a module.
    pub(crate) fn auth_methods_of(
        module: ProviderModuleRef,
    ) -> Result<Vec<AuthMethod>, ProviderError> {
        into_result((module.auth_methods())()).map(|methods| methods.into_vec())
    }

    /// The built-in catalog of a module (no credential, no network).
    pub(crate) fn static_catalog_of(
        module: ProviderModuleRef,
    ) -> Result<Vec<ModelInfo>, ProviderError> {
        into_result((module.list_models())(&static_catalog_request()))
            .map(|catalog| catalog.models.into_vec())
    }

    /// The plugin's built-in catalog (no credential, no network).
    pub fn static_catalog(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        Self::static_catalog_of(self.module)
    }

    /// The provider id.
    pub fn id(&self) -> &str {
        self.info.id.as_str()
    }

    /// The auth method whose id or choice id is `id`, or the first one.
    pub fn auth_method(&self, id: Option<&str>) -> Option<&AuthMethod> {
        match id {
            Some(id) => self
                .auth_methods
                .iter()
                .find(|m| m.method_id.as_str() == id || m.choice_id.as_str() == id),
            None => self.auth_methods.first(),
        }
    }

    /// Checks a credential against the service.
    pub fn validate_credential(&self, context: &CallContext) -> Result<AccountInfo, ProviderError> {
        into_result((self.module.validate_credential())(context))
    }

    /// What onboarding with a method changes.
    pub fn onboarding_result(
        &self,
        request: &OnboardingRequest,
    ) -> Result<OnboardingResult, ProviderError> {
        into_result((self.module.onboarding_result())(request))
    }

    /// What the plugin serves (`CHAT`, `EMBEDDINGS`, …): its serving capabilities, or chat
    /// alone for a plugin built before they were declared.
    pub fn serving(&self) -> Capabilities {
        self.info
            .capabilities
            .serving(self.info.interface_version.as_str())
    }

    /// Whether the plugin serves `capability` (one serving bit).
    pub fn serves(&self, capability: Capabilities) -> bool {
        self.serving().contains(capability)
    }

    /// The (chat) model catalog.
    pub fn list_models(&self, request: &CatalogRequest) -> Result<Catalog, ProviderError> {
        self.list_models_for(
            request,
            Capabilities::CHAT,
            &openclaw_provider_abi::NEVER_CANCELLED,
        )
    }

    /// The models serving `capability` (`CHAT`: the chat catalog), stopped early when `cancel`
    /// is set — by a plugin that can; one built before 1.2 lists chat models only, and runs to
    /// its own deadline.
    pub fn list_models_for(
        &self,
        request: &CatalogRequest,
        capability: Capabilities,
        cancel: &Cancellation,
    ) -> Result<Catalog, ProviderError> {
        match self.module.list_models_for() {
            Some(list) => into_result(list(request, capability, cancel)),
            None if capability == Capabilities::CHAT => {
                into_result((self.module.list_models())(request))
            }
            None => Err(self.unsupported(capability)),
        }
    }

    /// Texts to vectors: an `EmbeddingRequest` document in, an `EmbeddingResult` out.
    pub fn embed(
        &self,
        context: &CallContext,
        request_json: &str,
        cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        let embed = self.entry(Capabilities::EMBEDDINGS, self.module.embed())?;
        into_result(embed(context, RStr::from_str(request_json), cancel)).map(Into::into)
    }

    /// A prompt to images: an `ImageRequest` in, an `ImageResult` and the images out.
    pub fn generate_image(
        &self,
        context: &CallContext,
        request_json: &str,
        cancel: &Cancellation,
    ) -> Result<MediaAnswer, ProviderError> {
        let generate = self.entry(Capabilities::IMAGE_GENERATION, self.module.generate_image())?;
        into_result(generate(context, RStr::from_str(request_json), cancel))
    }

    /// Speech to text: a `TranscriptionRequest` and the recording in, a `TranscriptionResult`
    /// out.
    pub fn transcribe_audio(
        &self,
        context: &CallContext,
        request_json: &str,
        audio: BlobRef<'_>,
        cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        let transcribe = self.entry(
            Capabilities::SPEECH_RECOGNITION,
            self.module.transcribe_audio(),
        )?;
        into_result(transcribe(
            context,
            RStr::from_str(request_json),
            audio,
            cancel,
        ))
        .map(Into::into)
    }

    /// Text to speech: a `SpeechRequest` in, a `SpeechResult` and the audio out.
    pub fn synthesize_speech(
        &self,
        context: &CallContext,
        request_json: &str,
        cancel: &Cancellation,
    ) -> Result<MediaAnswer, ProviderError> {
        let synthesize = self.entry(
            Capabilities::SPEECH_SYNTHESIS,
            self.module.synthesize_speech(),
        )?;
        into_result(synthesize(context, RStr::from_str(request_json), cancel))
    }

    /// The account's spend and credits: a `UsageReport` document.
    pub fn account_usage(
        &self,
        context: &CallContext,
        cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        let usage = self.entry(Capabilities::ACCOUNT_USAGE, self.module.account_usage())?;
        into_result(usage(context, cancel)).map(Into::into)
    }

    /// A capability's entry point, when the plugin declares the capability and has it.
    fn entry<F>(&self, capability: Capabilities, entry: Option<F>) -> Result<F, ProviderError> {
        match entry {
            Some(entry) if self.serves(capability) => Ok(entry),
            _ => Err(self.unsupported(capability)),
        }
    }

    fn unsupported(&self, capability: Capabilities) -> ProviderError {
        ProviderError::new(
            ErrorCode::UNSUPPORTED,
            format!(
                "the {} plugin ({} {}) does not serve {}",
                self.id(),
                self.info.plugin_version,
                self.info.interface_version,
                capability
            ),
        )
    }

    /// What a model ref means, looked up in `known_models`.
    pub fn resolve_ref(
        &self,
        reference: &str,
        known_models: &[ModelInfo],
    ) -> Result<ResolvedModel, ProviderError> {
        into_result((self.module.resolve_ref())(
            RStr::from_str(reference),
            RSlice::from_slice(known_models),
        ))
    }

    /// A one-shot chat; returns the result document as JSON text.
    pub fn chat(&self, context: &CallContext, request_json: &str) -> Result<String, ProviderError> {
        into_result((self.module.chat())(context, RStr::from_str(request_json)))
            .map(|json| json.into_string())
    }

    /// Warms what calls like `context`'s need (a connection); returns at once.
    pub fn prepare(&self, context: &CallContext) -> Result<(), ProviderError> {
        into_result((self.module.prepare())(context))
    }

    /// A streamed chat as typed events, the way hosts consume it; setting `cancel` stops it.
    pub fn chat_events<'c>(
        &self,
        context: &CallContext,
        request_json: &str,
        cancel: Option<&'c Cancellation>,
    ) -> Result<EventStream<'c>, ProviderError> {
        self.chat_stream(context, request_json)
            .map(|stream| EventStream::new(stream, cancel))
    }

    /// A streamed chat as the ABI's own pull handle (for code that exercises the ABI itself).
    pub fn chat_stream(
        &self,
        context: &CallContext,
        request_json: &str,
    ) -> Result<ChatStreamBox, ProviderError> {
        into_result((self.module.chat_stream())(
            context,
            RStr::from_str(request_json),
        ))
    }
}

/// Calls `info` on a module that is not registered yet (the registry's cross-check).
pub(crate) fn module_info(module: ProviderModuleRef) -> Result<PluginInfo, ProviderError> {
    into_result((module.info())())
}

/// Calls `init` on a module that is not registered yet.
pub(crate) fn module_init(
    module: ProviderModuleRef,
    context: &openclaw_provider_abi::HostContext,
) -> Result<(), ProviderError> {
    into_result((module.init())(context))
}
