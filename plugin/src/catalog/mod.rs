//! The model catalog: built-in, or discovered live from the router's `GET /models`.
//!
//! Modes (see `DiscoveryMode`): *static* never touches the network; *advisory* (pickers) returns
//! the live list or, on any failure, the built-in list with the reason; *strict* (runtime
//! refresh) returns the live list — an empty one stays empty — or the error, so the caller can
//! tell "no models" from "could not ask" and keep its last good catalog. Without a token there
//! is no request at all: the built-in list, with the reason. Every live list is also kept for a
//! while ([`live`]), for chat's capability routing and advice.

pub mod builtin;
pub mod live;
pub mod policy;
pub mod projection;
pub mod tasks;
pub mod wire;

use std::time::{Duration, Instant};

use openclaw_provider_abi::{
    CallContext, Cancellation, Catalog, CatalogRequest, CatalogSource, DiscoveryMode, ErrorCode,
    ModelInfo, ProviderError, abi_stable::std_types::RString,
};

use crate::{
    environment, errors,
    http::{self, Deadlines},
    runtime,
};

/// Discovery deadlines unless the caller sets others: the list is large and the router slow to
/// build it (OpenClaw's 10 s default was too short for its users).
const DISCOVERY_DEADLINES: Deadlines = Deadlines {
    connect: runtime::DEFAULT_CONNECT_TIMEOUT,
    first_byte: Duration::from_secs(30),
    idle: Duration::from_secs(30),
    overall: Duration::from_secs(30),
};

/// The most bytes of model list read unless the caller sets another cap. A realistic 5,000-model
/// list is about 5 MB; OpenClaw's 4 MiB cap fails it.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Answers `list_models`; setting `cancel` stops a discovery in progress.
pub fn list_models(
    request: &CatalogRequest,
    cancel: &Cancellation,
) -> Result<Catalog, ProviderError> {
    let mode = request.mode;
    if mode == DiscoveryMode::STATIC {
        return Ok(built_in("the built-in catalog was requested"));
    }
    if request.context.credential.is_none() {
        return Ok(built_in(
            "no Hugging Face token is configured, and discovery needs one",
        ));
    }
    if let Some(switch) = environment::offline_switch() {
        let error = ProviderError::new(
            ErrorCode::OFFLINE,
            format!("{switch} is set, so the model list was not fetched"),
        );
        return match mode {
            DiscoveryMode::STRICT => Err(error),
            _ => Ok(built_in(&error.message)),
        };
    }
    let cap = match request.max_body_bytes {
        0 => DEFAULT_MAX_BODY_BYTES,
        cap => cap,
    };
    let context = crate::oauth::fresh_context(&request.context);
    // A cancelled refresh is the caller's decision, not a discovery failure: never advisory.
    let discovered = runtime::block_on_cancellable(discover(&context, cap), cancel)?;
    match (mode, discovered) {
        (DiscoveryMode::STRICT, result) => result.map(|models| Catalog {
            source: CatalogSource::LIVE,
            models: models.into(),
            fallback_reason: RString::new(),
        }),
        (_, Ok(models)) if models.is_empty() => Ok(built_in("the router listed no models")),
        (_, Ok(models)) => Ok(Catalog {
            source: CatalogSource::LIVE,
            models: models.into(),
            fallback_reason: RString::new(),
        }),
        (_, Err(error)) => {
            log::info!("discovery failed, using the built-in catalog: {error}");
            Ok(built_in(&format!("discovery failed: {error}")))
        }
    }
}

fn built_in(reason: &str) -> Catalog {
    Catalog {
        source: CatalogSource::BUILT_IN,
        models: builtin::builtin_catalog().into(),
        fallback_reason: reason.into(),
    }
}

/// `GET {base}/models` with the token, read under the cap, parsed and projected; the result is
/// also kept ([`live::remember`]).
async fn discover(context: &CallContext, cap: u64) -> Result<Vec<ModelInfo>, ProviderError> {
    discover_in(runtime::Pool::Calls, context, cap).await
}

/// [`discover`] over connections of the given pool.
pub(crate) async fn discover_in(
    pool: runtime::Pool,
    context: &CallContext,
    cap: u64,
) -> Result<Vec<ModelInfo>, ProviderError> {
    let deadlines = Deadlines::from_timeouts(&context.timeouts, DISCOVERY_DEADLINES);
    let started = Instant::now();
    let until = started + deadlines.overall;
    let base_url = http::base_url(context)?;
    let url = http::endpoint(&base_url, "models")?;
    let secret = context
        .credential
        .as_ref()
        .map(|s| s.expose())
        .into_option();
    if let Some(secret) = secret {
        http::check_token(secret)?;
    }
    let client = runtime::http_client_in(pool, deadlines.connect, &url)?;
    let mut request = client
        .get(url.clone())
        .header(reqwest::header::USER_AGENT, crate::host_log::user_agent())
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    let work = async {
        let response = http::send(request, &deadlines, &url, "listing models").await?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let headers = response.headers().clone();
            // Read a bounded error body; the message only needs its start.
            let body = http::read_body_capped(response, 64 * 1024, None, &deadlines, until, &url)
                .await
                .unwrap_or_default();
            return Err(errors::from_response_with(
                status,
                &headers,
                &body,
                errors::Operation::Discovery,
                &errors::Known {
                    login_token: secret.is_some_and(crate::oauth::is_login_token),
                    ..errors::Known::default()
                },
                secret,
            ));
        }
        let body = http::read_body_capped(
            response,
            cap,
            Some("discovery.maxBodyBytes"),
            &deadlines,
            until,
            &url,
        )
        .await?;
        let fetched = started.elapsed();
        let mut projector = projection::Projector::default();
        let rows = wire::visit_model_list(&body, &mut |row| projector.push(&row))?;
        let models = projector.finish();
        live::remember(base_url.as_str(), &models);
        log::debug!(
            "discovered {} models ({rows} rows, {} bytes) in {} ms",
            models.len(),
            body.len(),
            fetched.as_millis()
        );
        Ok(models)
    };
    match tokio::time::timeout(deadlines.overall, work).await {
        Ok(result) => result,
        Err(_) => Err(http::deadline_error(
            "the model list",
            deadlines.overall,
            &url,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openclaw_provider_abi::{NEVER_CANCELLED, Secret, Timeouts};

    fn request(mode: DiscoveryMode, credential: Option<&str>) -> CatalogRequest {
        CatalogRequest {
            context: CallContext {
                credential: credential.and_then(Secret::new).into(),
                base_url: Some("http://127.0.0.1:9/v1".into()).into(),
                timeouts: Timeouts::default(),
                provider_config_json: Default::default(),
            },
            mode,
            max_body_bytes: 0,
        }
    }

    #[test]
    fn discovery_defaults_to_thirty_seconds_and_a_64_mib_cap() {
        assert_eq!(DISCOVERY_DEADLINES.overall, Duration::from_secs(30));
        assert_eq!(DEFAULT_MAX_BODY_BYTES, 64 * 1024 * 1024);
    }

    #[test]
    fn without_network_or_token_the_built_in_list_comes_with_a_reason() {
        let catalog = list_models(
            &request(DiscoveryMode::STATIC, Some("hf_whatever_token")),
            &NEVER_CANCELLED,
        )
        .unwrap();
        assert_eq!(catalog.source, CatalogSource::BUILT_IN);
        assert_eq!(catalog.models.len(), builtin::BUILTIN_MODELS.len());
        for mode in [DiscoveryMode::ADVISORY, DiscoveryMode::STRICT] {
            let catalog = list_models(&request(mode, None), &NEVER_CANCELLED).unwrap();
            assert_eq!(catalog.source, CatalogSource::BUILT_IN);
            assert!(catalog.fallback_reason.contains("no Hugging Face token"));
        }
    }
}
