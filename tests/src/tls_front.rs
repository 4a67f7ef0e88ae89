//! The mock router as a client far away meets it, on loopback: a TLS front (a throwaway CA,
//! trusted through `SSL_CERT_FILE` or `NODE_EXTRA_CA_CERTS`) whose every byte takes half a
//! round-trip time to arrive, for benchmarks of what handshakes and warm connections cost.
//!
//! Each accepted connection is relayed through two delaying pumps into an in-memory pipe, where
//! TLS is terminated and the plain HTTP passed to the router. A byte read from either side is
//! written to the other `rtt / 2` after it was read, in order; the client's first bytes also
//! wait out the round trip a TCP handshake would have cost (loopback connects at once). The front
//! speaks HTTP/1.1, or, like the real router, offers HTTP/2 as well ([`TlsFront::start_http2`]):
//! a client that takes it is served HTTP/2 by hyper, each of its requests sent on to the router
//! (which speaks HTTP/1.1 only) on a loopback connection of its own. Nothing here is used by the
//! product.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::{mpsc, watch},
    time::Instant,
};
use tokio_rustls::TlsAcceptor;

use crate::loopback::{ServerThread, accept_until_stopped};

/// The running front; it stops when dropped.
pub struct TlsFront {
    server: ServerThread,
    ca_file: PathBuf,
    counts: Arc<Counts>,
    _dir: tempfile::TempDir,
}

/// Connections clients have opened, and how many of them speak HTTP/2.
#[derive(Default)]
struct Counts {
    opened: AtomicUsize,
    http2: AtomicUsize,
}

impl TlsFront {
    /// Serves `https://127.0.0.1:<port>` in front of `upstream`, each round trip costing `rtt`,
    /// over HTTP/1.1.
    pub fn start(upstream: SocketAddr, rtt: Duration) -> Self {
        Self::offering(upstream, rtt, &[b"http/1.1"])
    }

    /// As [`TlsFront::start`], offering HTTP/2 first and HTTP/1.1 to clients without it.
    pub fn start_http2(upstream: SocketAddr, rtt: Duration) -> Self {
        Self::offering(upstream, rtt, &[b"h2", b"http/1.1"])
    }

    fn offering(upstream: SocketAddr, rtt: Duration, alpn: &[&[u8]]) -> Self {
        let dir = tempfile::tempdir().expect("front dir");
        let (acceptor, ca_file) = crate::tls_proxy::certified(&["127.0.0.1"], alpn, dir.path());
        let counts = Arc::new(Counts::default());
        let counting = counts.clone();
        let server = ServerThread::start("tls-front", move |listener, stopped| {
            serve(listener, acceptor, upstream, rtt, counting, stopped)
        });
        Self {
            server,
            ca_file,
            counts,
            _dir: dir,
        }
    }

    /// `https://127.0.0.1:<port>/v1`, the router's base URL through the front.
    pub fn base_url(&self) -> String {
        format!("https://{}/v1", self.server.addr())
    }

    /// The CA certificate (PEM).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// How many connections clients have opened so far.
    pub fn connections(&self) -> usize {
        self.counts.opened.load(Ordering::SeqCst)
    }

    /// How many of them took HTTP/2.
    pub fn http2_connections(&self) -> usize {
        self.counts.http2.load(Ordering::SeqCst)
    }
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    upstream: SocketAddr,
    rtt: Duration,
    counts: Arc<Counts>,
    stopped: watch::Receiver<bool>,
) {
    accept_until_stopped(listener, stopped, |socket, _| {
        counts.opened.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(connection(
            socket,
            acceptor.clone(),
            upstream,
            rtt,
            counts.clone(),
        ));
    })
    .await;
}

/// One client connection: delayed both ways, TLS terminated, relayed to the router.
async fn connection(
    socket: TcpStream,
    acceptor: TlsAcceptor,
    upstream: SocketAddr,
    rtt: Duration,
    counts: Arc<Counts>,
) {
    let accepted = Instant::now();
    let _ = socket.set_nodelay(true);
    let (near, far) = tokio::io::duplex(256 * 1024);
    let (socket_read, socket_write) = socket.into_split();
    let (far_read, far_write) = tokio::io::split(far);
    let one_way = rtt / 2;
    tokio::spawn(delayed(socket_read, far_write, one_way, accepted + rtt));
    tokio::spawn(delayed(far_read, socket_write, one_way, accepted));
    let Ok(mut tls) = acceptor.accept(near).await else {
        return;
    };
    if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
        counts.http2.fetch_add(1, Ordering::SeqCst);
        let service = hyper::service::service_fn(move |request| forward(request, upstream));
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(tls), service)
            .await;
        return;
    }
    let Ok(mut plain) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = plain.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
}

/// Sends one HTTP/2 request on to the router over a new HTTP/1.1 connection and streams its
/// answer back.
async fn forward(
    request: hyper::Request<Incoming>,
    upstream: SocketAddr,
) -> Result<hyper::Response<Incoming>, Box<dyn std::error::Error + Send + Sync>> {
    let socket = TcpStream::connect(upstream).await?;
    let _ = socket.set_nodelay(true);
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(socket)).await?;
    tokio::spawn(connection);
    let (mut parts, body) = request.into_parts();
    if let Some(path) = parts.uri.path_and_query() {
        parts.uri = path.as_str().parse()?;
    }
    parts
        .headers
        .insert(hyper::header::HOST, upstream.to_string().parse()?);
    let mut answer = sender
        .send_request(hyper::Request::from_parts(parts, body))
        .await?;
    // Connection-specific headers have no meaning in HTTP/2.
    for name in ["connection", "keep-alive", "transfer-encoding"] {
        answer.headers_mut().remove(name);
    }
    Ok(answer)
}

/// Copies `from` to `to`, each read written `delay` after it was read (and none sent before
/// `not_before`), in order; shuts `to` down when `from` ends.
async fn delayed<R, W>(mut from: R, mut to: W, delay: Duration, not_before: Instant)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (queue, mut due) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, bytes)) = due.recv().await {
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                let sent = Instant::now().max(not_before);
                if queue.send((sent + delay, buffer[..read].to_vec())).is_err() {
                    break;
                }
            }
        }
    }
    drop(queue);
    let _ = writer.await;
}
