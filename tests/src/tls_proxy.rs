//! An HTTPS proxy on 127.0.0.1 that impersonates one host, for benchmarks that must point a
//! client with a fixed `https://` URL (OpenClaw's bundled Hugging Face plugin discovers models
//! only at `https://router.huggingface.co/v1`) at the loopback mock router.
//!
//! The client is configured with `HTTPS_PROXY=<proxy>` and trusts a throwaway CA
//! (`NODE_EXTRA_CA_CERTS=<ca file>`). The proxy accepts `CONNECT <host>:443` for that host only,
//! terminates TLS with a certificate for it signed by the CA, and relays the plain HTTP to the
//! mock router. Nothing here is used by the product.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self,
        pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    },
};

use crate::loopback::{ServerThread, accept_until_stopped};

/// The running proxy; it stops when dropped.
pub struct TlsProxy {
    server: ServerThread,
    ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsProxy {
    /// Impersonates `host` and relays its traffic to `upstream`.
    pub fn start(host: &str, upstream: SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("proxy dir");
        // The mock router behind speaks HTTP/1.1 only.
        let (acceptor, ca_file) = certified(&[host], &[b"http/1.1"], dir.path());
        let host = host.to_owned();
        let server = ServerThread::start("tls-proxy", move |listener, stopped| {
            serve(listener, acceptor, host, upstream, stopped)
        });
        Self {
            server,
            ca_file,
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:<port>`, for `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The CA certificate (PEM), for `NODE_EXTRA_CA_CERTS`.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }
}

/// A throwaway CA (its PEM written to `dir/ca.pem`) and an acceptor serving a certificate it
/// signed for `names` (host names, or IP addresses as written), offering `alpn` (protocol names
/// in order of preference).
pub(crate) fn certified(names: &[&str], alpn: &[&[u8]], dir: &Path) -> (TlsAcceptor, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "openclaw-huggingface benchmark CA",
    );
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let leaf = rcgen::CertificateParams::new(names)
        .expect("leaf params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf certificate");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).expect("writing the CA");

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .expect("TLS config");
    config.alpn_protocols = alpn.iter().map(|name| name.to_vec()).collect();
    (TlsAcceptor::from(Arc::new(config)), ca_file)
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    host: String,
    upstream: SocketAddr,
    stopped: watch::Receiver<bool>,
) {
    accept_until_stopped(listener, stopped, |socket, _| {
        tokio::spawn(tunnel(socket, acceptor.clone(), host.clone(), upstream));
    })
    .await;
}

/// One `CONNECT`: answers it, terminates TLS, relays to the upstream.
async fn tunnel(mut socket: TcpStream, acceptor: TlsAcceptor, host: String, upstream: SocketAddr) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) if head.len() < 8192 => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or_default();
    if !head.starts_with("CONNECT ") || target != format!("{host}:443") {
        let _ = socket
            .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    }
    if socket
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    let Ok(mut tls) = acceptor.accept(socket).await else {
        return;
    };
    let Ok(mut plain) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
}
