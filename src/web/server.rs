//! Serving the router: the listening socket (`-l`, dual stack for `:port`), optional HTTPS from
//! PEM files (`-tlsCert`/`-tlsKey`), and limits — a cap on concurrent connections, a header
//! read timeout (slow-loris), a TLS handshake timeout. The body limit is in the routes.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::ClientAddr;

/// Connections served at once; more wait in the kernel's accept queue.
pub const MAX_CONNECTIONS: usize = 64;
/// Time a client has to send a request's headers (also bounds idle keep-alive connections).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Time a client has to finish the TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why HTTPS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The certificate file is unreadable or holds no PEM certificate.
    #[error("cannot read the TLS certificate {path}: {reason}; give a PEM file with -tlsCert")]
    Cert {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The key file is unreadable or holds no PEM private key.
    #[error(
        "cannot read the TLS private key {path}: {reason}; give a PEM file (PKCS#8, PKCS#1 or SEC1) with -tlsKey"
    )]
    Key {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The key does not fit the certificate, or rustls refused them.
    #[error("the TLS certificate and key cannot be used together: {0}")]
    Config(String),
}

/// An HTTPS acceptor from a PEM certificate chain and a PEM private key.
pub fn load_tls(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsSetupError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsSetupError::Cert {
            path: cert.display().to_string(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::Cert {
            path: cert.display().to_string(),
            reason: "no certificate in the file".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsSetupError::Key {
        path: key.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsSetupError::Config(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A listener for `-l`: `:port` listens on every interface, IPv6 and IPv4 on one socket
/// (`[::]` with IPV6_V6ONLY off), or IPv4 only where IPv6 is unavailable; `host:port` listens
/// on that host's first address that binds.
pub fn bind(listen: &str) -> io::Result<TcpListener> {
    if let Some(port) = listen.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad port"))?;
        return match bind_one(SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)), true) {
            Ok(l) => Ok(l),
            Err(_) => bind_one(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)), false),
        };
    }
    let mut last = io::Error::new(
        io::ErrorKind::InvalidInput,
        "the address resolves to nothing",
    );
    for addr in listen.to_socket_addrs()? {
        match bind_one(addr, false) {
            Ok(l) => return Ok(l),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn bind_one(addr: SocketAddr, dual_stack: bool) -> io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if dual_stack {
        socket.set_only_v6(false)?;
    }
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    TcpListener::from_std(socket.into())
}

/// Serves `router` on `listener` forever (HTTPS when `tls` is given), at most
/// [`MAX_CONNECTIONS`] connections at once.
pub async fn serve(listener: TcpListener, router: Router, tls: Option<TlsAcceptor>) {
    serve_limited(listener, router, tls, MAX_CONNECTIONS).await
}

/// [`serve`] with another connection cap (at least 1).
pub async fn serve_limited(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    max_connections: usize,
) {
    let permits = Arc::new(Semaphore::new(max_connections.max(1)));
    loop {
        // Take a permit before accepting, so excess clients wait in the accept queue.
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!("web UI: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let router = router.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            serve_conn(tcp, peer, router, tls).await;
        });
    }
}

async fn serve_conn(tcp: TcpStream, peer: SocketAddr, router: Router, tls: Option<TlsAcceptor>) {
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ClientAddr(peer));
        router.clone().oneshot(req.map(Body::new))
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(64 * 1024);
    let result = match tls {
        None => http.serve_connection(TokioIo::new(tcp), service).await,
        Some(acceptor) => {
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => http.serve_connection(TokioIo::new(stream), service).await,
                _ => return, // failed or slow handshake: nothing to answer
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!("web UI connection from {peer}: {e}");
    }
}
