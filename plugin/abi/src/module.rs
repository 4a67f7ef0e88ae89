//! The root module a plugin exports: the table of entry points.

use abi_stable::{
    StableAbi,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RSlice, RStr, RString, RVec},
};

use crate::{
    AccountInfo, AuthMethod, BlobRef, CallContext, Cancellation, Capabilities, Catalog,
    CatalogRequest, ChatStreamBox, HostContext, MediaAnswer, ModelInfo, OnboardingRequest,
    OnboardingResult, PluginInfo, ProviderError, ResolvedModel,
};

/// The entry points of a provider plugin.
///
/// Every function returns `RResult` so that a plugin can report any failure — including a
/// panic it caught — as a [`ProviderError`]. A function whose behaviour a plugin does not offer
/// returns an `UNSUPPORTED` error, never invented data.
///
/// This is an abi_stable *prefix type*: functions may only be appended after the last one, in a
/// minor release (see the crate's evolution rules). `chat_stream` is the last field of the 1.0
/// prefix; `prepare` was added in 1.1; the capability entry points after it in 1.2. Their
/// accessors return `Option`: a plugin built against 1.1 loads (see [`crate::loader`]) and
/// simply lacks them. A host calls a capability's entry point only when the plugin's
/// [`crate::Capabilities`] name it, and never has to write this table by hand: plugins build
/// it from a [`crate::Provider`], hosts call it through their own safe wrapper.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ProviderModuleRef)))]
#[sabi(missing_field(panic))]
pub struct ProviderModule {
    /// Who the plugin is. Cheap; needs no `init`.
    pub info: extern "C" fn() -> RResult<PluginInfo, ProviderError>,

    /// Called once by the host before anything else but `info`: gives the plugin the host's log
    /// sink and user-agent token. Starts nothing expensive.
    pub init: extern "C" fn(&HostContext) -> RResult<(), ProviderError>,

    /// The ways to authenticate, in the order a picker should list them.
    pub auth_methods: extern "C" fn() -> RResult<RVec<AuthMethod>, ProviderError>,

    /// Checks the credential in the context against the service: whose it is and whether it may
    /// make the calls the provider needs. An onboarding hook.
    pub validate_credential: extern "C" fn(&CallContext) -> RResult<AccountInfo, ProviderError>,

    /// What onboarding with a method changes: the profile to store, a config patch, the default
    /// model and notes. An onboarding hook; the host applies the result.
    pub onboarding_result:
        extern "C" fn(&OnboardingRequest) -> RResult<OnboardingResult, ProviderError>,

    /// The model catalog: built-in, or discovered live as the request's mode allows.
    pub list_models: extern "C" fn(&CatalogRequest) -> RResult<Catalog, ProviderError>,

    /// What a model ref means: the id sent on the wire, the policy, and the metadata that applies,
    /// looked up in `known_models` (the host's merged catalog; empty means the built-in one).
    pub resolve_ref: extern "C" fn(
        reference: RStr<'_>,
        known_models: RSlice<'_, ModelInfo>,
    ) -> RResult<ResolvedModel, ProviderError>,

    /// A chat completion in one piece. `request_json` is a
    /// [`crate::documents::ChatRequest`]; the result is a [`crate::documents::ChatResult`] as JSON.
    pub chat: extern "C" fn(
        context: &CallContext,
        request_json: RStr<'_>,
    ) -> RResult<RString, ProviderError>,

    /// A streamed chat completion. Returns at once with a pull handle, so the host can cancel at
    /// any moment; failures of the request itself (refusals, timeouts, retries exhausted) arrive
    /// through the handle. Only a request that cannot be sent at all (malformed JSON) fails here.
    #[sabi(last_prefix_field)]
    pub chat_stream: extern "C" fn(
        context: &CallContext,
        request_json: RStr<'_>,
    ) -> RResult<ChatStreamBox, ProviderError>,

    /// Gets ready for calls like the ones `context` describes (its base URL and deadlines):
    /// opens what they will need — a connection to the service — so the next call does not
    /// wait for it. Returns at once and never sends the credential anywhere a call would not;
    /// the work goes on in the background, and a failure shows in the next real call, not here.
    /// A plugin with nothing to prepare returns `Ok`. (1.1)
    pub prepare: extern "C" fn(context: &CallContext) -> RResult<(), ProviderError>,

    /// The models serving one capability — `CHAT`: the catalog `list_models` gives;
    /// `EMBEDDINGS`: embedding models; … — as the request's mode allows, stopping with a
    /// `CANCELLED` error soon after `cancel` is set. A capability the plugin does not serve is
    /// refused with `UNSUPPORTED`. (1.2)
    #[sabi(missing_field(option))]
    pub list_models_for: extern "C" fn(
        &CatalogRequest,
        capability: Capabilities,
        cancel: &Cancellation,
    ) -> RResult<Catalog, ProviderError>,

    /// Texts to vectors: `request_json` is a [`crate::documents::EmbeddingRequest`], the answer
    /// an [`crate::documents::EmbeddingResult`] as JSON. (1.2, `EMBEDDINGS`)
    #[sabi(missing_field(option))]
    pub embed: extern "C" fn(
        context: &CallContext,
        request_json: RStr<'_>,
        cancel: &Cancellation,
    ) -> RResult<RString, ProviderError>,

    /// A prompt to images: `request_json` is a [`crate::documents::ImageRequest`]; the answer's
    /// document an [`crate::documents::ImageResult`], its blobs the images. (1.2,
    /// `IMAGE_GENERATION`)
    #[sabi(missing_field(option))]
    pub generate_image: extern "C" fn(
        context: &CallContext,
        request_json: RStr<'_>,
        cancel: &Cancellation,
    ) -> RResult<MediaAnswer, ProviderError>,

    /// Speech to text: `audio` is the recording, `request_json` a
    /// [`crate::documents::TranscriptionRequest`], the answer a
    /// [`crate::documents::TranscriptionResult`] as JSON. (1.2, `SPEECH_RECOGNITION`)
    #[sabi(missing_field(option))]
    pub transcribe_audio: extern "C" fn(
        context: &CallContext,
        request_json: RStr<'_>,
        audio: BlobRef<'_>,
        cancel: &Cancellation,
    ) -> RResult<RString, ProviderError>,

    /// Text to speech: `request_json` is a [`crate::documents::SpeechRequest`]; the answer's
    /// document a [`crate::documents::SpeechResult`], its one blob the audio. (1.2,
    /// `SPEECH_SYNTHESIS`)
    #[sabi(missing_field(option))]
    pub synthesize_speech: extern "C" fn(
        context: &CallContext,
        request_json: RStr<'_>,
        cancel: &Cancellation,
    ) -> RResult<MediaAnswer, ProviderError>,

    /// The account's spend and credits for the current period, as a
    /// [`crate::documents::UsageReport`]. (1.2, `ACCOUNT_USAGE`)
    #[sabi(missing_field(option))]
    pub account_usage: extern "C" fn(
        context: &CallContext,
        cancel: &Cancellation,
    ) -> RResult<RString, ProviderError>,
}

impl RootModule for ProviderModuleRef {
    abi_stable::declare_root_module_statics! {ProviderModuleRef}

    const BASE_NAME: &'static str = "openclaw_provider";
    const NAME: &'static str = "OpenClaw provider plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
