//! The live catalogs this process fetched, kept by router base URL for a while: each model's
//! upstreams (status, tools and structured-output support, throughput, price) for capability
//! routing and for advice in errors, and the ids for "did you mean". Every live discovery fills
//! it — `list_models`, and [`refresh_in_background`], which a chat that needs the data starts
//! when there is none or it is old, with that call's credential, without waiting for it: a
//! resident host (the bridge) has it for its later calls.
//!
//! Entries are fresh for [`FRESH_FOR`]; older ones are still used (an upstream's support for
//! tools rarely changes) up to [`USABLE_FOR`] while a refresh is started. A failed refresh is not
//! tried again for [`RETRY_AFTER_FAILURE`]. At most [`MAX_ROUTERS`] base URLs are kept.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use openclaw_provider_abi::{CallContext, ModelInfo, ModelProvider};

use crate::runtime;

/// How long a fetched catalog counts as current.
pub const FRESH_FOR: Duration = Duration::from_secs(15 * 60);
/// How long an older catalog is still used while a newer one is fetched.
pub const USABLE_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// How long after a failed background refresh the next one may start.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);
/// Routers kept at once (a host rarely talks to more than one).
const MAX_ROUTERS: usize = 8;

struct Entry {
    fetched: Instant,
    upstreams: Arc<HashMap<String, Vec<ModelProvider>>>,
    ids: Arc<Vec<String>>,
}

/// A background refresh running, or the last one's failure.
enum Refresh {
    Running,
    FailedAt(Instant),
}

static CATALOGS: Mutex<Option<HashMap<String, Entry>>> = Mutex::new(None);
static REFRESHES: Mutex<Option<HashMap<String, Refresh>>> = Mutex::new(None);

/// What the kept catalog says about one model.
#[derive(Clone, Debug, PartialEq)]
pub enum Upstreams {
    /// The model's upstreams, from a catalog fetched `age` ago.
    Known {
        providers: Vec<ModelProvider>,
        age: Duration,
    },
    /// A usable catalog is kept, and the model is not in it.
    NotListed { age: Duration },
    /// No usable catalog for this router.
    NoCatalog,
}

/// The key of a router: its base URL without a trailing slash.
pub fn key(base_url: &str) -> String {
    base_url.trim_end_matches('/').to_owned()
}

/// Keeps a freshly fetched catalog of the router at `base_url`.
pub fn remember(base_url: &str, models: &[ModelInfo]) {
    let mut upstreams = HashMap::with_capacity(models.len());
    let mut ids = Vec::with_capacity(models.len());
    for model in models {
        let id = model.id.as_str();
        // Policy variants (`…:cheapest`) are views of their base model.
        if id.contains(':') {
            continue;
        }
        ids.push(id.to_owned());
        if !model.providers.is_empty() {
            upstreams.insert(id.to_owned(), model.providers.to_vec());
        }
    }
    let Ok(mut catalogs) = CATALOGS.lock() else {
        return;
    };
    let catalogs = catalogs.get_or_insert_with(HashMap::new);
    let key = key(base_url);
    if !catalogs.contains_key(&key)
        && catalogs.len() >= MAX_ROUTERS
        && let Some(oldest) = catalogs
            .iter()
            .min_by_key(|(_, entry)| entry.fetched)
            .map(|(key, _)| key.clone())
    {
        catalogs.remove(&oldest);
    }
    catalogs.insert(
        key,
        Entry {
            fetched: Instant::now(),
            upstreams: Arc::new(upstreams),
            ids: Arc::new(ids),
        },
    );
}

/// What the kept catalog of the router at `base_url` says about model `id`.
pub fn upstreams(base_url: &str, id: &str) -> Upstreams {
    let Ok(catalogs) = CATALOGS.lock() else {
        return Upstreams::NoCatalog;
    };
    let Some(entry) = catalogs.as_ref().and_then(|c| c.get(&key(base_url))) else {
        return Upstreams::NoCatalog;
    };
    let age = entry.fetched.elapsed();
    if age > USABLE_FOR {
        return Upstreams::NoCatalog;
    }
    match entry.upstreams.get(id) {
        Some(providers) => Upstreams::Known {
            providers: providers.clone(),
            age,
        },
        None => Upstreams::NotListed { age },
    }
}

/// The model ids of the kept catalog of the router at `base_url`, if one is usable.
pub fn ids(base_url: &str) -> Option<Arc<Vec<String>>> {
    let catalogs = CATALOGS.lock().ok()?;
    let entry = catalogs.as_ref()?.get(&key(base_url))?;
    (entry.fetched.elapsed() <= USABLE_FOR).then(|| entry.ids.clone())
}

/// Starts fetching the catalog of the router `context` names, in the background, unless a
/// fetch is running or failed a moment ago. Returns at once; nothing waits for it.
pub fn refresh_in_background(context: CallContext) {
    let Ok(base_url) = crate::http::base_url(&context) else {
        return;
    };
    let key = key(base_url.as_str());
    {
        let Ok(mut refreshes) = REFRESHES.lock() else {
            return;
        };
        let refreshes = refreshes.get_or_insert_with(HashMap::new);
        match refreshes.get(&key) {
            Some(Refresh::Running) => return,
            Some(Refresh::FailedAt(at)) if at.elapsed() < RETRY_AFTER_FAILURE => return,
            _ => {}
        }
        refreshes.insert(key.clone(), Refresh::Running);
    }
    let Ok(runtime) = runtime::runtime() else {
        settle(&key, false);
        return;
    };
    runtime.spawn(async move {
        // The catalog is kept by `discover` itself when it succeeds.
        let result = super::discover_in(
            runtime::Pool::Background,
            &context,
            super::DEFAULT_MAX_BODY_BYTES,
        )
        .await;
        if let Err(error) = &result {
            log::debug!("refreshing the catalog in the background failed: {error}");
        }
        settle(&key, result.is_ok());
    });
}

fn settle(key: &str, succeeded: bool) {
    if let Ok(mut refreshes) = REFRESHES.lock() {
        let refreshes = refreshes.get_or_insert_with(HashMap::new);
        if succeeded {
            refreshes.remove(key);
        } else {
            refreshes.insert(key.to_owned(), Refresh::FailedAt(Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::policy::tests::provider;

    #[test]
    fn kept_catalogs_answer_by_router_and_model() {
        let mut model = crate::catalog::builtin::builtin("Qwen/Qwen3-8B")
            .unwrap()
            .to_model_info();
        model.providers = vec![provider("together", Some(50.0), Some(1.0))].into();
        let mut variant = model.clone();
        variant.id = "Qwen/Qwen3-8B:cheapest".into();
        remember("http://127.0.0.1:9/v1/", &[model, variant]);
        match upstreams("http://127.0.0.1:9/v1", "Qwen/Qwen3-8B") {
            Upstreams::Known { providers, age } => {
                assert_eq!(providers[0].name.as_str(), "together");
                assert!(age < FRESH_FOR);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            upstreams("http://127.0.0.1:9/v1", "a/b"),
            Upstreams::NotListed { .. }
        ));
        assert_eq!(
            upstreams("http://127.0.0.1:8/v1", "Qwen/Qwen3-8B"),
            Upstreams::NoCatalog
        );
        assert_eq!(
            ids("http://127.0.0.1:9/v1").unwrap().as_slice(),
            ["Qwen/Qwen3-8B"]
        );
    }
}
