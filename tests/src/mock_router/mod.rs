//! A loopback stand-in for the Hugging Face router and Hub, for tests and benchmarks.
//!
//! It is a small HTTP/1.1 server written directly on tokio sockets rather than a web framework,
//! because the faults it must produce live below what frameworks expose: a connection reset
//! before the headers, a body shorter than its `Content-Length`, a stream that stalls or drips,
//! a client disconnect to observe, an idle keep-alive connection closed under the client. Each
//! route answers with scripted one-shot replies (in order) and then its default reply; every
//! request is recorded (method, path, headers, body, and the client's port, which tells
//! connections apart). By default each connection carries one request; [`Connections`] turns on
//! keep-alive.
//!
//! This module is the router's API; the rest is split by concern: [`paths`] (the routes tests
//! use), `reply` (what a route answers, and its builders), `bodies` (canned bodies: chat chunks,
//! model lists, captured fixtures), [`hub`] (the Hub's `whoami-v2` and token answers),
//! [`hostile`] (the answers of a hostile service: absurd numbers, endless lines, pages that are
//! not streams, escape sequences), `recorded` (requests and disconnects as the server saw them),
//! `server` (the accept loop and connections) and `wire` (HTTP framing and status text).

mod bodies;
pub mod hostile;
pub mod hub;
pub mod paths;
mod recorded;
mod reply;
mod server;
mod wire;

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::loopback::ServerThread;

pub use bodies::{chat_chunks, embedding_of, embeddings_of, fixture, models_body, stream_body};
pub use hub::{
    OrgMembership, TokenKind, billing_usage, inference_mapping, oauth_token, oauth_token_refused,
    whoami, whoami_body, whoami_body_with_orgs,
};
pub use recorded::{Disconnect, Recorded};
pub use reply::{Reply, StreamEnd};

/// What the server does with a connection after answering on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Connections {
    /// Closes it (one request per connection; faults stay per request).
    #[default]
    CloseAfterReply,
    /// Keeps it open for the next request (streams are sent chunked); a connection idle for
    /// `idle_close` is closed by the server, as real servers do (`None`: never).
    KeepAlive { idle_close: Option<Duration> },
}

#[derive(Default)]
pub(crate) struct Routes {
    pub(crate) scripted: HashMap<(String, String), VecDeque<Reply>>,
    pub(crate) defaults: HashMap<(String, String), Reply>,
    pub(crate) requests: Vec<Recorded>,
    pub(crate) disconnects: Vec<Disconnect>,
}

/// The running server; it stops when dropped.
pub struct MockRouter {
    server: ServerThread,
    routes: Arc<Mutex<Routes>>,
}

impl MockRouter {
    /// Starts a server on 127.0.0.1 with a free port, one request per connection.
    pub fn start() -> Self {
        Self::start_with(Connections::CloseAfterReply)
    }

    /// Starts a server that treats connections as `connections` says.
    pub fn start_with(connections: Connections) -> Self {
        let routes = Arc::new(Mutex::new(Routes::default()));
        let served = routes.clone();
        let server = ServerThread::start("mock-router", move |listener, stopped| {
            server::serve(listener, served, stopped, connections)
        });
        Self { server, routes }
    }

    /// `http://127.0.0.1:<port>/v1` — what a base URL override points at.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.origin())
    }

    /// `http://127.0.0.1:<port>` — what `HF_ENDPOINT` points at.
    pub fn origin(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The reply to every request to `method path` not answered by a scripted reply.
    pub fn on(&self, method: &str, path: &str, reply: Reply) -> &Self {
        self.lock()
            .defaults
            .insert((method.to_owned(), path.to_owned()), reply);
        self
    }

    /// A reply for the next request to `method path` only (queued in order).
    pub fn then(&self, method: &str, path: &str, reply: Reply) -> &Self {
        self.lock()
            .scripted
            .entry((method.to_owned(), path.to_owned()))
            .or_default()
            .push_back(reply);
        self
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Requests to one path, whatever their query (as routes match them).
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path.split('?').next() == Some(path))
            .cloned()
            .collect()
    }

    /// Client disconnects noticed during streamed replies.
    pub fn disconnects(&self) -> Vec<Disconnect> {
        self.lock().disconnects.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }
}
