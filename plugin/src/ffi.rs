//! The FFI shell: the exported root module and one thin `extern "C"` function per entry point.
//!
//! Each function converts arguments, calls ordinary Rust, and converts the result — inside
//! [`guard`], so a panic becomes an `INTERNAL` error instead of ending the host process. Nothing
//! here holds Hugging Face logic.

use openclaw_provider_abi::{
    AccountInfo, AuthMethod, CallContext, Catalog, CatalogRequest, ChatStreamBox, HostContext,
    ModelInfo, OnboardingRequest, OnboardingResult, PluginInfo, ProviderError, ProviderModule,
    ProviderModuleRef, ResolvedModel,
    abi_stable::{
        export_root_module,
        prefix_type::PrefixTypeTrait,
        std_types::{RResult, RSlice, RStr, RString, RVec},
    },
    catch_panics as guard,
};

use crate::{catalog, chat, host_log, identity, onboarding, refs, warm};

/// The root module abi_stable's loader looks up. Building it is cheap: no threads, no I/O.
#[export_root_module]
pub fn root_module() -> ProviderModuleRef {
    ProviderModule {
        info,
        init,
        auth_methods,
        validate_credential,
        onboarding_result,
        list_models,
        resolve_ref,
        chat,
        chat_stream,
        prepare,
    }
    .leak_into_prefix()
}

extern "C" fn info() -> RResult<PluginInfo, ProviderError> {
    guard("info", || Ok(identity::plugin_info()))
}

extern "C" fn init(context: &HostContext) -> RResult<(), ProviderError> {
    guard("init", || {
        host_log::install(context);
        log::debug!(
            "initialised for {} {} (User-Agent: {})",
            context.host_name,
            context.host_version,
            host_log::user_agent()
        );
        Ok(())
    })
}

extern "C" fn auth_methods() -> RResult<RVec<AuthMethod>, ProviderError> {
    guard("auth_methods", || Ok(identity::auth_methods().into()))
}

extern "C" fn validate_credential(context: &CallContext) -> RResult<AccountInfo, ProviderError> {
    guard("validate_credential", || onboarding::validate(context))
}

extern "C" fn onboarding_result(
    request: &OnboardingRequest,
) -> RResult<OnboardingResult, ProviderError> {
    guard("onboarding_result", || onboarding::result(request))
}

extern "C" fn list_models(request: &CatalogRequest) -> RResult<Catalog, ProviderError> {
    guard("list_models", || catalog::list_models(request))
}

extern "C" fn resolve_ref(
    reference: RStr<'_>,
    known_models: RSlice<'_, ModelInfo>,
) -> RResult<ResolvedModel, ProviderError> {
    guard("resolve_ref", || {
        refs::resolve_for_host(reference.as_str(), known_models.as_slice())
    })
}

extern "C" fn chat(context: &CallContext, request: RStr<'_>) -> RResult<RString, ProviderError> {
    guard("chat", || chat::chat(context, request.as_str()))
}

extern "C" fn chat_stream(
    context: &CallContext,
    request: RStr<'_>,
) -> RResult<ChatStreamBox, ProviderError> {
    guard("chat_stream", || {
        chat::chat_stream(context, request.as_str())
    })
}

extern "C" fn prepare(context: &CallContext) -> RResult<(), ProviderError> {
    guard("prepare", || warm::prepare(context))
}
