//! Native TLS on the main listener (`TLS_CERT_FILE` and `TLS_KEY_FILE`), for deployments
//! without a reverse proxy: rustls with the ring provider, TLS 1.2 and 1.3 only.
//!
//! [`TlsListener`] plugs into `axum::serve` like the plain listener, so graceful shutdown,
//! connection counting and `ConnectInfo<SocketAddr>` work the same on both paths. Handshakes
//! run in their own tasks with a time limit: a client that stalls or fails its handshake
//! never holds up the accept loop.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use formula_web::metrics::connections::{CountedStream, CountingListener};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client may take to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Finished handshakes waiting for the server to pick them up.
const QUEUE: usize = 64;

/// Why the certificate or key cannot be used; `variable` names the setting to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError {
    pub variable: &'static str,
    pub message: String,
}

/// Builds the rustls server configuration from PEM text: the certificate chain (leaf first)
/// and its private key (PKCS#8, PKCS#1 or SEC1). Only TLS 1.2 and 1.3 are offered.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_error = |message: String| TlsError {
        variable: "TLS_CERT_FILE",
        message,
    };
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(format!("is not a valid PEM certificate file: {e}")))?;
    if chain.is_empty() {
        return Err(cert_error(
            "holds no certificate (expected a PEM file with -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    // The key's content never appears in a message, only what is wrong with it.
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError {
        variable: "TLS_KEY_FILE",
        message: match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "holds no private key (expected a PEM file with -----BEGIN PRIVATE KEY-----)"
                    .to_owned()
            }
            _ => "is not a valid PEM private key file".to_owned(),
        },
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| cert_error(format!("cannot set up TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError {
            variable: "TLS_KEY_FILE",
            message: format!(
                "does not match the certificate in TLS_CERT_FILE, or is unusable: {e}"
            ),
        })?;
    Ok(Arc::new(config))
}

/// A listener yielding finished TLS connections. A background task accepts TCP connections
/// until `stop` turns true (then the port closes) and runs each handshake in its own task.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<CountedStream>, SocketAddr)>,
    local_addr: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `listener` with `config`.
    pub fn spawn(
        listener: CountingListener,
        config: Arc<ServerConfig>,
        mut stop: watch::Receiver<bool>,
    ) -> io::Result<TlsListener> {
        let local_addr = axum::serve::Listener::local_addr(&listener)?;
        let (tx, ready) = mpsc::channel(QUEUE);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            let mut listener = listener;
            loop {
                let (stream, peer) = tokio::select! {
                    // Also ends when the sender is gone: nobody could signal a stop any more.
                    _ = stop.wait_for(|s| *s) => break,
                    accepted = axum::serve::Listener::accept(&mut listener) => accepted,
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            // Fails only when the server no longer accepts: the connection closes.
                            let _ = tx.send((tls, peer)).await;
                        }
                        // Scanners and clients with old TLS versions are routine: debug only.
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
            // Dropping the listener here closes the port: new connections are refused.
        });
        Ok(TlsListener { ready, local_addr })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<CountedStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept task stopped at the shutdown signal; axum stops accepting then too.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pem_names_the_variable() {
        let e = server_config(b"not a certificate", b"").unwrap_err();
        assert_eq!(e.variable, "TLS_CERT_FILE");
        assert!(e.message.contains("no certificate"), "{}", e.message);
        let cert = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let e = server_config(cert, b"secret material").unwrap_err();
        assert_eq!(e.variable, "TLS_KEY_FILE");
        assert!(!e.message.contains("secret material"), "{}", e.message);
    }
}
