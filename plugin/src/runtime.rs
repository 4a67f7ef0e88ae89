//! The plugin's own async runtime and HTTP clients.
//!
//! A `cdylib` carries its own copy of tokio, so the host's runtime (if it has one) is invisible
//! here: the plugin starts a small multi-threaded runtime on first use and never shuts it down
//! (the library is never unloaded). Every entry point is blocking for the host and runs its work
//! through [`block_on`]. Nothing here starts at load time.

use std::{collections::HashMap, path::Path, sync::Mutex, time::Duration};

use once_cell::sync::OnceCell;
use openclaw_provider_abi::{Cancellation, ErrorCode, ProviderError};
use reqwest::redirect;
use tokio::runtime::Runtime;

static RUNTIME: OnceCell<Runtime> = OnceCell::new();
/// Clients by connect timeout (ms), plain HTTP or not, and pool.
type Clients = HashMap<(u64, bool, Pool), reqwest::Client>;
static CLIENTS: Mutex<Option<Clients>> = Mutex::new(None);

/// Which connection pool a request uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pool {
    /// The calls a host waits for: chat, discovery, validation (and `prepare`'s warm-up).
    Calls,
    /// Work nobody waits for (a catalog fetched in the background): its own pool, so it never
    /// takes the warm connection a call was about to use, nor leaves one behind in its place.
    Background,
}

/// Connect timeout when the caller sets none.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most redirects followed within one origin.
const MAX_REDIRECTS: usize = 5;
/// How long an unused connection stays in the pool: under the 60 s after which common front
/// ends (load balancers, CDNs) drop idle connections, so the client lets go first and a call
/// rarely meets a connection closed under it.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(50);
/// TCP keep-alive probes on pooled connections, so a dead path is noticed while idle.
const TCP_KEEPALIVE: Duration = Duration::from_secs(30);
/// The variable naming a PEM bundle of CAs Node trusts beyond its own list.
pub const EXTRA_CA_VARIABLE: &str = "NODE_EXTRA_CA_CERTS";
/// Largest CA bundle read from it (the system's whole bundle is ~200 KiB).
const MAX_CA_BUNDLE_BYTES: u64 = 4 << 20;

/// The plugin's runtime, started on first use.
pub fn runtime() -> Result<&'static Runtime, ProviderError> {
    RUNTIME.get_or_try_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("openclaw-hf")
            .enable_all()
            .build()
            .map_err(|err| {
                ProviderError::new(
                    ErrorCode::INTERNAL,
                    format!("cannot start the plugin's async runtime: {err}"),
                )
            })
    })
}

/// Runs a future to completion on the plugin's runtime, blocking the calling (host) thread.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, ProviderError> {
    Ok(runtime()?.block_on(future))
}

/// How often a waiting call looks at its host's cancellation flag: well under the 100 ms in
/// which a cancelled request's connection must be seen to close.
const CANCEL_POLL: Duration = Duration::from_millis(10);

/// [`block_on`], giving up with a `CANCELLED` error soon after `cancel` is set: the future is
/// dropped then, which closes its connections.
pub fn block_on_cancellable<F: std::future::Future>(
    future: F,
    cancel: &Cancellation,
) -> Result<F::Output, ProviderError> {
    let cancelled = async {
        while !cancel.is_cancelled() {
            tokio::time::sleep(CANCEL_POLL).await;
        }
    };
    block_on(async {
        tokio::select! {
            output = future => Ok(output),
            () = cancelled => Err(ProviderError::new(
                ErrorCode::CANCELLED,
                "the host cancelled the request",
            )),
        }
    })?
}

/// An HTTP client for requests to `target` with the given connect timeout, shared by every call
/// that asks for the same kind: its pool keeps connections warm between calls (HTTP/2 where the
/// router offers it through ALPN, else HTTP/1.1 keep-alive), and its TLS configuration keeps
/// sessions, so a new connection resumes instead of a full handshake. Certificates are checked
/// against the system's store and the CAs [`EXTRA_CA_VARIABLE`] names. Redirects are followed only
/// within the same origin, so a bearer token never travels to another host. The system's proxy
/// settings apply to `https://` targets only: through a proxy, TLS keeps the token from it, while
/// a plain `http://` request (allowed to loopback addresses only) would hand the token over in
/// clear, so those go direct.
pub fn http_client(
    connect_timeout: Duration,
    target: &url::Url,
) -> Result<reqwest::Client, ProviderError> {
    http_client_in(Pool::Calls, connect_timeout, target)
}

/// [`http_client`] from the given pool.
pub fn http_client_in(
    pool: Pool,
    connect_timeout: Duration,
    target: &url::Url,
) -> Result<reqwest::Client, ProviderError> {
    let plaintext = target.scheme() != "https";
    let key = (connect_timeout.as_millis() as u64, plaintext, pool);
    let mut clients = CLIENTS.lock().map_err(|_| {
        ProviderError::new(ErrorCode::INTERNAL, "the HTTP client cache is poisoned")
    })?;
    let clients = clients.get_or_insert_with(HashMap::new);
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let build = |roots: &[reqwest::Certificate]| {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .tcp_keepalive(TCP_KEEPALIVE);
        for root in roots {
            builder = builder.add_root_certificate(root.clone());
        }
        if plaintext {
            builder = builder.no_proxy();
        }
        builder
            .redirect(redirect::Policy::custom(|attempt| {
                let same_origin = attempt.previous().first().is_some_and(|first| {
                    first.scheme() == attempt.url().scheme()
                        && first.host_str() == attempt.url().host_str()
                        && first.port_or_known_default() == attempt.url().port_or_known_default()
                });
                if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
    };
    let client = match build(extra_roots()) {
        // A certificate framed as PEM but not one rustls accepts fails the build; the system's
        // store alone still serves, as Node goes on without an extra CA it cannot use.
        Err(err) if !extra_roots().is_empty() => {
            log::warn!(
                "the CAs {EXTRA_CA_VARIABLE} names cannot be used ({}); trusting the system's store alone",
                crate::http::error_text(&err)
            );
            build(&[])
        }
        built => built,
    }
    .map_err(|err| {
        ProviderError::new(
            ErrorCode::INTERNAL,
            format!(
                "cannot build the HTTP client: {}",
                crate::http::error_text(&err)
            ),
        )
    })?;
    clients.insert(key, client.clone());
    Ok(client)
}

/// The CAs of the bundle [`EXTRA_CA_VARIABLE`] names, trusted on top of the system's store. Inside
/// OpenClaw, behind a TLS-intercepting proxy, that is where the proxy's CA is named, and OpenClaw's
/// own transport trusts it; so does the plugin. Read once per process, bounded, never blocking (a
/// FIFO or device is refused); a bundle that cannot be used is logged and left out, so the
/// system's store still applies.
fn extra_roots() -> &'static [reqwest::Certificate] {
    static ROOTS: OnceCell<Vec<reqwest::Certificate>> = OnceCell::new();
    ROOTS.get_or_init(|| {
        let Some(path) = std::env::var_os(EXTRA_CA_VARIABLE) else {
            return Vec::new();
        };
        let shown = crate::outside_text::quote(&Path::new(&path).display().to_string(), None);
        let pem = match crate::oauth::files::read_bounded(Path::new(&path), MAX_CA_BUNDLE_BYTES) {
            Ok(Some(pem)) => pem,
            Ok(None) => {
                log::warn!("{EXTRA_CA_VARIABLE} names {shown}, which does not exist");
                return Vec::new();
            }
            Err(err) => {
                log::warn!("cannot read {EXTRA_CA_VARIABLE} ({shown}): {err}");
                return Vec::new();
            }
        };
        match reqwest::Certificate::from_pem_bundle(&pem) {
            Ok(roots) => roots,
            Err(err) => {
                log::warn!(
                    "{EXTRA_CA_VARIABLE} ({shown}) holds no usable PEM certificates: {}",
                    crate::http::error_text(&err)
                );
                Vec::new()
            }
        }
    })
}
