//! The plugin as the ABI sees it: [`HuggingFace`], a [`Provider`] whose functions hand each entry
//! point to the module that owns it, exported as the library's root module. The ABI crate's glue
//! converts types and catches panics; nothing here holds Hugging Face logic.

use openclaw_provider_abi::{
    AccountInfo, AuthMethod, BlobRef, CallContext, Cancellation, Capabilities, Catalog,
    CatalogRequest, ErrorCode, EventSource, HostContext, MediaAnswer, ModelInfo, OnboardingRequest,
    OnboardingResult, PluginInfo, Provider, ProviderError, ResolvedModel, export_provider,
};

use crate::{
    account, catalog, chat, embeddings, host_log, identity, media, onboarding, refs, warm,
};

/// Hugging Face Inference Providers.
pub struct HuggingFace;

export_provider!(HuggingFace);

impl Provider for HuggingFace {
    fn info() -> PluginInfo {
        identity::plugin_info()
    }

    fn init(host: &HostContext) -> Result<(), ProviderError> {
        host_log::install(host);
        log::debug!(
            "initialised for {} {} (User-Agent: {})",
            host.host_name,
            host.host_version,
            host_log::user_agent()
        );
        Ok(())
    }

    fn auth_methods() -> Vec<AuthMethod> {
        identity::auth_methods()
    }

    fn validate_credential(context: &CallContext) -> Result<AccountInfo, ProviderError> {
        onboarding::validate(context)
    }

    fn onboarding_result(request: &OnboardingRequest) -> Result<OnboardingResult, ProviderError> {
        onboarding::result(request)
    }

    fn list_models(
        request: &CatalogRequest,
        capability: Capabilities,
        cancel: &Cancellation,
    ) -> Result<Catalog, ProviderError> {
        if let Some(task) = catalog::tasks::Task::of(capability) {
            return catalog::tasks::list_models(request, task, cancel);
        }
        if capability != Capabilities::CHAT {
            return Err(ProviderError::new(
                ErrorCode::UNSUPPORTED,
                format!("the Hugging Face plugin lists no {capability} models"),
            ));
        }
        catalog::list_models(request, cancel)
    }

    fn resolve_ref(
        reference: &str,
        known_models: &[ModelInfo],
    ) -> Result<ResolvedModel, ProviderError> {
        refs::resolve_for_host(reference, known_models)
    }

    fn chat(context: &CallContext, request_json: &str) -> Result<String, ProviderError> {
        chat::chat(context, request_json)
    }

    fn chat_stream(
        context: &CallContext,
        request_json: &str,
    ) -> Result<Box<dyn EventSource>, ProviderError> {
        Ok(Box::new(chat::chat_stream(context, request_json)?))
    }

    fn prepare(context: &CallContext) -> Result<(), ProviderError> {
        warm::prepare(context)
    }

    fn embed(
        context: &CallContext,
        request_json: &str,
        cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        embeddings::embed(context, request_json, cancel)
    }

    fn generate_image(
        context: &CallContext,
        request_json: &str,
        cancel: &Cancellation,
    ) -> Result<MediaAnswer, ProviderError> {
        media::images::generate(context, request_json, cancel)
    }

    fn transcribe_audio(
        context: &CallContext,
        request_json: &str,
        audio: BlobRef<'_>,
        cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        media::transcription::transcribe(context, request_json, audio, cancel)
    }

    fn synthesize_speech(
        context: &CallContext,
        request_json: &str,
        cancel: &Cancellation,
    ) -> Result<MediaAnswer, ProviderError> {
        media::speech::synthesize(context, request_json, cancel)
    }

    fn account_usage(
        context: &CallContext,
        cancel: &Cancellation,
    ) -> Result<String, ProviderError> {
        account::account_usage(context, cancel)
    }
}
