//! The mock router as a client far away meets it, on loopback: a TLS front (a throwaway CA,
//! trusted through `SSL_CERT_FILE` or `NODE_EXTRA_CA_CERTS`) whose every byte takes half a
//! round-trip time to arrive, for benchmarks of what handshakes and warm connections cost.
//!
//! Each accepted connection is relayed through two delaying pumps into an in-memory pipe, where
//! TLS is terminated and the plain HTTP passed to the router. A byte read from either side is
//! written to the other `rtt / 2` after it was read, in order; the client's first bytes also
//! wait out the round trip a TCP handshake would have cost (loopback connects at once). Nothing
//! here is used by the product.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

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
    connections: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl TlsFront {
    /// Serves `https://127.0.0.1:<port>` in front of `upstream`, each round trip costing `rtt`.
    pub fn start(upstream: SocketAddr, rtt: Duration) -> Self {
        let dir = tempfile::tempdir().expect("front dir");
        let (acceptor, ca_file) = crate::tls_proxy::certified(&["127.0.0.1"], dir.path());
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let server = ServerThread::start("tls-front", move |listener, stopped| {
            serve(listener, acceptor, upstream, rtt, counter, stopped)
        });
        Self {
            server,
            ca_file,
            connections,
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
        self.connections.load(Ordering::SeqCst)
    }
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    upstream: SocketAddr,
    rtt: Duration,
    connections: Arc<AtomicUsize>,
    stopped: watch::Receiver<bool>,
) {
    accept_until_stopped(listener, stopped, |socket, _| {
        connections.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(connection(socket, acceptor.clone(), upstream, rtt));
    })
    .await;
}

/// One client connection: delayed both ways, TLS terminated, relayed to the router.
async fn connection(socket: TcpStream, acceptor: TlsAcceptor, upstream: SocketAddr, rtt: Duration) {
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
    let Ok(mut plain) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = plain.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
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
