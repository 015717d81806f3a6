//! The one place that builds HTTP clients: TLS roots and `-skipVerify`, proxies from the
//! environment, the `-dns` resolver, address-family forcing for detection, `httpinterface`
//! binding, timeouts and bounded bodies (spec §1.2, §5).
//!
//! Two kinds of client exist. [`provider_client`] (provider APIs, webhook, callback) honours
//! `HTTP(S)_PROXY` like ddns-go. [`detect_client`] (echo URLs) never uses a proxy, connects only
//! over the asked address family and keeps no idle connections, so each detection sees the
//! current route. Everything a client depends on comes in through [`HttpOptions`]: nothing
//! here reads the process environment except [`ProxyEnv::from_env`] / [`OsRoots::load`],
//! which `main` calls once.

mod bind;
mod dns;
mod proxy;
mod tls;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

pub use dns::{
    Answer, DNS_TIMEOUT, DnsError, DnsServer, decode_answer, encode_query, lookup, parse_dns_flag,
};
pub use proxy::{ProxyEnv, redact};
pub use tls::OsRoots;

use crate::detect::Family;

/// Options from the command line and environment that apply to every client.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// -skipVerify: accept any certificate.
    pub skip_verify: bool,
    /// -dns: resolve through this server instead of the system resolver.
    pub dns: Option<DnsServer>,
    /// Proxy variables, read once at start-up; used by provider clients only.
    pub proxy: ProxyEnv,
    /// The OS trust store, added to the bundled roots (empty = bundled roots only).
    pub os_roots: OsRoots,
    /// Overall timeout of provider and webhook requests; `None` = [`PROVIDER_TIMEOUT`]. Tests
    /// shorten it to exercise a provider that never answers.
    pub provider_timeout: Option<Duration>,
}

/// Largest response body read from any server (ddns-go's limit).
pub const MAX_BODY: usize = 1_024_000;

/// Timeout of provider and webhook requests (ddns-go: 30 s).
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(30);

/// Time allowed to open a connection (TCP and TLS) for provider and webhook requests.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Timeout of one detection URL.
pub const DETECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Most redirects followed before a request fails.
pub const MAX_REDIRECTS: usize = 5;

/// User-Agent of every request (DNSPod rejects requests without a non-browser agent).
pub const USER_AGENT: &str = concat!("ddns-rs/", env!("CARGO_PKG_VERSION"));

/// A client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct HttpError(pub String);

fn builder(
    opts: &HttpOptions,
    family: Option<Family>,
) -> Result<reqwest::ClientBuilder, HttpError> {
    let mut b = reqwest::Client::builder()
        .tls_backend_preconfigured(tls::client_config(opts.skip_verify, &opts.os_roots)?)
        .http1_only()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        // reqwest would otherwise read the proxy variables itself on every build.
        .no_proxy();
    if opts.dns.is_some() || family.is_some() {
        b = b.dns_resolver(Arc::new(dns::FamilyResolver {
            server: opts.dns,
            family,
        }));
    }
    Ok(b)
}

/// Client for provider API calls, webhooks and callbacks: proxy from [`HttpOptions::proxy`],
/// 30 s timeout, optionally bound to `interface` (its first global-unicast address of either
/// family, and the device itself on Linux).
pub fn provider_client(
    opts: &HttpOptions,
    interface: Option<&str>,
) -> Result<reqwest::Client, HttpError> {
    let rules = opts.proxy.rules()?;
    let mut b = builder(opts, None)?
        .timeout(opts.provider_timeout.unwrap_or(PROVIDER_TIMEOUT))
        .connect_timeout(CONNECT_TIMEOUT);
    if !rules.is_empty() {
        b = b.proxy(rules.into_reqwest());
    }
    b = bind_interface(b, interface, None);
    b.build().map_err(|e| HttpError(e.to_string()))
}

/// Client for echo-URL detection: no proxy, only `family` (resolver filtered, source address of
/// that family, so other-family peers are never tried), 10 s timeout, no idle connections, optionally
/// bound to `interface` (its first global-unicast address of `family`).
pub fn detect_client(
    opts: &HttpOptions,
    family: Family,
    interface: Option<&str>,
) -> Result<reqwest::Client, HttpError> {
    let unspecified: IpAddr = match family {
        Family::V4 => Ipv4Addr::UNSPECIFIED.into(),
        Family::V6 => Ipv6Addr::UNSPECIFIED.into(),
    };
    let mut b = builder(opts, Some(family))?
        .timeout(DETECT_TIMEOUT)
        .connect_timeout(DETECT_TIMEOUT)
        .pool_max_idle_per_host(0)
        // With a single local address of one family, hyper-util drops every peer address of
        // the other family, IP literals in the URL included: the connection cannot leave
        // over the wrong family (tests/http_dns.rs pins this).
        .local_address(unspecified);
    b = bind_interface(b, interface, Some(family));
    b.build().map_err(|e| HttpError(e.to_string()))
}

/// Applies `httpinterface`; an unusable interface is logged and the client left unbound, as
/// ddns-go does, so a renamed NIC degrades to the default route instead of stopping updates.
fn bind_interface(
    b: reqwest::ClientBuilder,
    interface: Option<&str>,
    family: Option<Family>,
) -> reqwest::ClientBuilder {
    let Some(name) = interface.map(str::trim).filter(|n| !n.is_empty()) else {
        return b;
    };
    match bind::binding(name, family) {
        Ok(binding) => {
            let b = b.local_address(binding.local);
            match binding.device {
                #[cfg(any(
                    target_os = "android",
                    target_os = "fuchsia",
                    target_os = "illumos",
                    target_os = "ios",
                    target_os = "linux",
                    target_os = "macos",
                    target_os = "solaris",
                    target_os = "tvos",
                    target_os = "visionos",
                    target_os = "watchos",
                ))]
                Some(device) => b.interface(&device),
                _ => b,
            }
        }
        Err(reason) => {
            tracing::warn!("cannot bind to interface {name}: {reason}; using the default route");
            b
        }
    }
}

/// Resolves `host` exactly as the clients do (the `-dns` server or the system resolver,
/// filtered to `family` when given), e.g. to wait until DNS works at start-up (spec §5.3).
pub async fn resolve(
    opts: &HttpOptions,
    host: &str,
    family: Option<Family>,
) -> Result<Vec<IpAddr>, DnsError> {
    dns::FamilyResolver {
        server: opts.dns,
        family,
    }
    .resolve_host(host.to_string())
    .await
}

/// Reads at most `limit` bytes of a response body as text (lossy UTF-8), with its status.
/// The rest of a longer body is never read, so a hostile server cannot make us buffer more.
pub async fn read_body(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<(u16, String), reqwest::Error> {
    let status = resp.status().as_u16();
    let mut buf = Vec::new();
    while buf.len() < limit {
        let Some(chunk) = resp.chunk().await? else {
            break;
        };
        let room = limit - buf.len();
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok((status, String::from_utf8_lossy(&buf).into_owned()))
}
