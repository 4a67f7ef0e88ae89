//! A loopback server on a thread of its own: a listener on 127.0.0.1 with a free port, served by
//! a current-thread tokio runtime until the handle is dropped, accepting connections until then.
//! The mock router and the TLS front and proxy each run on one.

use std::{future::Future, net::SocketAddr, thread::JoinHandle};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// A running server; it stops (and its thread is joined) when dropped.
pub struct ServerThread {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Binds 127.0.0.1 on a free port and runs `serve(listener, stopped)` on a thread named
    /// `name`; `stopped` changes when the handle is dropped, and `serve` should return then.
    pub fn start<F, Fut>(name: &str, serve: F) -> Self
    where
        F: FnOnce(TcpListener, watch::Receiver<bool>) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let (stop, stopped) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind 127.0.0.1");
                    let _ = ready_tx.send(listener.local_addr().expect("local address"));
                    serve(listener, stopped).await;
                });
            })
            .expect("server thread");
        let addr = ready_rx.recv().expect("server address");
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until `stopped` changes, handing each, with its peer's address, to
/// `handle` (which spawns what serves it).
pub async fn accept_until_stopped(
    listener: TcpListener,
    mut stopped: watch::Receiver<bool>,
    mut handle: impl FnMut(TcpStream, SocketAddr),
) {
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => {
                let Ok((socket, peer)) = accepted else { continue };
                handle(socket, peer);
            }
        }
    }
}
