//! HTTPS for `gate serve --tls-cert FILE --tls-key FILE`: rustls on aws-lc-rs (both already in
//! the tree for reqwest and PostgreSQL) in front of the same axum router.
//!
//! The handshake runs in a task per connection, not in the accept loop, so a client that opens
//! a socket and never says hello (or speaks plain HTTP) holds up nobody else.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::error::{Error, IoContext, Result};

/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's certificate chain and key, checked to belong together. Read before the gate
/// binds its port, so a bad file is a start-up error, not a failure on the first request.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>> {
    let unreadable = |e: Error, flag: &str| {
        e.hint(format!(
            "{flag} names a PEM file the gate's user can read (under systemd: LoadCredential=)"
        ))
    };
    let cert_pem = std::fs::read(cert)
        .io_context("reading the TLS certificate", cert)
        .map_err(|e| unreadable(e, "--tls-cert"))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad_pem("certificate", cert, &e.to_string()))?;
    if chain.is_empty() {
        return Err(bad_pem("certificate", cert, "no CERTIFICATE block"));
    }
    let key_pem = std::fs::read(key)
        .io_context("reading the TLS key", key)
        .map_err(|e| unreadable(e, "--tls-key"))?;
    crate::private_files::check_owner_only("the TLS key", key)?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| bad_pem("private key", key, &e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::runtime(format!("TLS set-up: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            Error::input(format!(
                "the TLS key `{}` does not fit the certificate `{}`: {e}",
                key.display(),
                cert.display()
            ))
            .hint("give the certificate chain and the private key it was issued for")
        })?;
    // The router speaks HTTP/1.1 only (axum's http1 feature).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn bad_pem(what: &str, path: &Path, why: &str) -> Error {
    Error::input(format!(
        "the TLS {what} `{}` is not usable PEM: {why}",
        path.display()
    ))
    .hint("give PEM files: the certificate chain (leaf first) and its PKCS#8, PKCS#1 or SEC1 key")
}

/// Connections whose TLS handshake has completed, for `axum::serve`.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `tcp`; the accept task ends when the listener is dropped.
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(TlsListener { ready, local })
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            // axum::serve stopped accepting (graceful shutdown): stop listening too.
            _ = tx.closed() => return,
            accepted = tcp.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(pair) => pair,
            // The accept task only ends once this receiver is gone, so this cannot happen
            // while `self` exists; waiting forever is the Listener contract's "no more".
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
