//! Router push: a dyndns2 server (`GET /nic/update`, `GET /update`) for routers that can only
//! send their WAN address to a dyndns2 URL (Fritz!Box, UniFi, Synology, OpenWrt, ddclient,
//! inadyn). The request carries HTTP basic auth (the config's `push` credentials, never the web
//! login), `hostname` (a comma-separated list) and `myip` (else the client's socket address);
//! the address is checked like a detected one and handed to the daemon, which publishes it
//! through every entry with `gettype: push` listing the hostname (`sync::push`).
//!
//! Answers are dyndns2's, one line per hostname, text/plain: `good <ip>`, `nochg <ip>`,
//! `nohost`, `notfqdn`, `numhost`, `abuse`, `dnserr`, `911`; `badauth` with HTTP 401. Every
//! client address has a token bucket; wrong credentials cost extra tokens, so guessing a
//! password runs into `abuse` quickly. No session and no CSRF token are needed (a GET with
//! basic auth, as routers send it); the WAN rule applies as to every route.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::guard::client_ip;
use super::routes::{Conf, St};
use super::{ConfigState, WebState};
use crate::sync::push::{PushAnswer, PushRequest};

/// Tokens a client starts with (requests in a burst).
pub const BURST: u32 = 10;
/// One token comes back this often (sustained: 3 requests a minute).
pub const REFILL: Duration = Duration::from_secs(20);
/// Extra tokens a request with wrong credentials costs.
pub const AUTH_FAILURE_COST: u32 = 3;
/// Most hostnames in one request (`numhost` beyond).
pub const MAX_HOSTS: usize = 20;
/// How long a push may wait for the daemon (it finishes a running sync first).
pub const DAEMON_WAIT: Duration = Duration::from_secs(120);
/// Clients tracked at most; full buckets are forgotten first.
const MAX_CLIENTS: usize = 4096;

/// Per-client token buckets.
#[derive(Debug, Default)]
pub struct PushLimiter {
    buckets: HashMap<IpAddr, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u32,
    /// When the last token was counted back in.
    at: Instant,
}

impl PushLimiter {
    fn refill(b: &mut Bucket, now: Instant) {
        let gained = now.saturating_duration_since(b.at).as_secs() / REFILL.as_secs();
        if gained > 0 {
            b.tokens = b
                .tokens
                .saturating_add(u32::try_from(gained).unwrap_or(u32::MAX))
                .min(BURST);
            b.at += REFILL * u32::try_from(gained).unwrap_or(u32::MAX).min(BURST);
            if b.tokens == BURST {
                b.at = now;
            }
        }
    }

    /// Takes one token for a request from `ip`; false when there is none left (`abuse`).
    pub fn take(&mut self, ip: IpAddr, now: Instant) -> bool {
        if !self.buckets.contains_key(&ip) && self.buckets.len() >= MAX_CLIENTS {
            self.forget_idle(now);
        }
        let b = self.buckets.entry(ip).or_insert(Bucket {
            tokens: BURST,
            at: now,
        });
        Self::refill(b, now);
        if b.tokens == 0 {
            return false;
        }
        b.tokens -= 1;
        true
    }

    /// Charges a request with wrong credentials.
    pub fn failed_auth(&mut self, ip: IpAddr) {
        if let Some(b) = self.buckets.get_mut(&ip) {
            b.tokens = b.tokens.saturating_sub(AUTH_FAILURE_COST);
        }
    }

    /// Drops clients whose bucket is full again; if none is, the one idle longest.
    fn forget_idle(&mut self, now: Instant) {
        for b in self.buckets.values_mut() {
            Self::refill(b, now);
        }
        self.buckets.retain(|_, b| b.tokens < BURST);
        if self.buckets.len() >= MAX_CLIENTS
            && let Some(oldest) = self
                .buckets
                .iter()
                .min_by_key(|(_, b)| b.at)
                .map(|(k, _)| *k)
        {
            self.buckets.remove(&oldest);
        }
    }
}

/// A dyndns2 answer as plain text.
fn text(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn badauth() -> Response {
    let mut r = text(StatusCode::UNAUTHORIZED, "badauth".into());
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"ddns-rs router push\", charset=\"UTF-8\""),
    );
    r
}

/// The basic-auth user and password of a request.
fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// Compares without an early exit on the first differing byte: both sides are hashed, so the
/// time taken says nothing about the stored value (not even its length).
fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// Whether `host` is a fully qualified name: dot-separated labels of letters, digits,
/// hyphens (and `_`/`*` as some records use), at least two labels.
fn is_fqdn(host: &str) -> bool {
    let h = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = h.split('.').collect();
    h.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*'))
        })
}

/// The addresses of a push: `myip` (may list an IPv4 and an IPv6 address, comma-separated)
/// and `myipv6`; neither given = the client's own address. Err = the value that is not one.
fn addresses(query: &HashMap<String, String>, client: IpAddr) -> Result<Vec<IpAddr>, String> {
    let mut raw: Vec<&str> = Vec::new();
    for key in ["myip", "myipv6"] {
        if let Some(v) = query.get(key) {
            raw.extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()));
        }
    }
    if raw.is_empty() {
        // A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d.
        let ip = match client {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
            v4 => v4,
        };
        return Ok(vec![ip]);
    }
    let mut out: Vec<IpAddr> = Vec::new();
    for r in raw {
        let ip: IpAddr = r.parse().map_err(|_| r.to_string())?;
        // One address per family: the first wins.
        if !out.iter().any(|o| o.is_ipv4() == ip.is_ipv4()) {
            out.push(ip);
        }
    }
    Ok(out)
}

/// `GET /nic/update` and `GET /update`.
pub(super) async fn nic_update(State(st): St, Extension(conf): Conf, req: Request) -> Response {
    // axum answers HEAD with the GET handler; a link checker's HEAD must not publish anything.
    if req.method() == Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, String::new());
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return r;
    }
    let ip = client_ip(req.extensions());
    if !st.push_limiter().take(ip, st.now()) {
        tracing::warn!("Router push from {ip} refused: too many requests (abuse)");
        let mut r = text(StatusCode::OK, "abuse".into());
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(REFILL.as_secs()));
        return r;
    }
    let ConfigState::Loaded(config) = &*conf else {
        // No config: push is not set up.
        return badauth();
    };
    let push = &config.push;
    if push.username.is_empty() || push.password.is_empty() {
        tracing::warn!(
            "Router push from {ip} refused: set push.username and push.password in the config \
             to accept pushes"
        );
        st.push_limiter().failed_auth(ip);
        return badauth();
    }
    let password = match crate::config::secrets::resolve("push.password", &push.password) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("Router push from {ip} cannot be checked: {e}");
            return text(StatusCode::OK, "911".into());
        }
    };
    let given = basic_auth(req.headers()).unwrap_or_default();
    // Both compared every time (no short-circuit), so timing does not tell which was wrong.
    let user_ok = same_secret(&given.0, &push.username);
    let pass_ok = same_secret(&given.1, &password);
    if !(user_ok & pass_ok) {
        tracing::warn!("Router push from {ip} refused: wrong or missing credentials (badauth)");
        st.push_limiter().failed_auth(ip);
        return badauth();
    }
    let query: HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let hosts: Vec<String> = query
        .get("hostname")
        .map(|h| {
            h.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if hosts.is_empty() {
        return text(StatusCode::OK, "notfqdn".into());
    }
    if hosts.len() > MAX_HOSTS {
        return text(StatusCode::OK, "numhost".into());
    }
    let addrs = match addresses(&query, ip) {
        Ok(a) => a,
        Err(bad) => {
            tracing::warn!("Router push from {ip}: {bad:?} is not an IP address (dnserr)");
            return text(StatusCode::OK, lines(hosts.len(), "dnserr"));
        }
    };
    for a in &addrs {
        if let Err(r) = crate::detect::check_public(*a) {
            tracing::warn!("Router push from {ip} not published: {r} (dnserr)");
            return text(StatusCode::OK, lines(hosts.len(), "dnserr"));
        }
    }
    let good: Vec<String> = hosts.iter().filter(|h| is_fqdn(h)).cloned().collect();
    // One request per family; each answers per hostname.
    let mut per_family: Vec<(IpAddr, Vec<PushAnswer>)> = Vec::new();
    if !good.is_empty() {
        for a in &addrs {
            let request = PushRequest {
                hostnames: good.clone(),
                addr: *a,
            };
            let answers = tokio::time::timeout(DAEMON_WAIT, st.opts.control.push(request))
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| vec![PushAnswer::ServerError; good.len()]);
            per_family.push((*a, answers));
        }
    }
    let mut out = Vec::with_capacity(hosts.len());
    for h in &hosts {
        let line = match good.iter().position(|g| g == h) {
            None => "notfqdn".to_string(),
            Some(k) => host_line(&per_family, k),
        };
        tracing::info!("Router push from {ip}: {h:?} → {line}");
        out.push(line);
    }
    text(StatusCode::OK, out.join("\n"))
}

/// `n` lines of `word`.
fn lines(n: usize, word: &str) -> String {
    vec![word; n].join("\n")
}

/// The answer line for hostname `k` over every family pushed: `nohost` if no family has it;
/// else `911`, then `dnserr`, win; else `good`/`nochg` with the addresses published.
fn host_line(per_family: &[(IpAddr, Vec<PushAnswer>)], k: usize) -> String {
    let found: Vec<(IpAddr, PushAnswer)> = per_family
        .iter()
        .filter_map(|(a, ans)| ans.get(k).map(|x| (*a, *x)))
        .filter(|(_, x)| *x != PushAnswer::NoHost)
        .collect();
    if found.is_empty() {
        return "nohost".into();
    }
    if found.iter().any(|(_, x)| *x == PushAnswer::ServerError) {
        return "911".into();
    }
    if found.iter().any(|(_, x)| *x == PushAnswer::DnsError) {
        return "dnserr".into();
    }
    let ips: Vec<String> = found.iter().map(|(a, _)| a.to_string()).collect();
    let word = if found.iter().any(|(_, x)| matches!(x, PushAnswer::Good(_))) {
        "good"
    } else {
        "nochg"
    };
    format!("{word} {}", ips.join(","))
}

impl WebState {
    fn push_limiter(&self) -> std::sync::MutexGuard<'_, PushLimiter> {
        self.push_limiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn bucket_allows_a_burst_then_refills_one_token_per_interval() {
        let mut l = PushLimiter::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t0 = Instant::now();
        for _ in 0..BURST {
            assert!(l.take(ip, t0));
        }
        assert!(!l.take(ip, t0));
        assert!(!l.take(ip, t0 + REFILL / 2));
        assert!(l.take(ip, t0 + REFILL));
        assert!(!l.take(ip, t0 + REFILL));
        // Another client has its own bucket.
        assert!(l.take(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), t0));
        // A long pause refills to the burst, not beyond.
        let later = t0 + REFILL * 1000;
        for _ in 0..BURST {
            assert!(l.take(ip, later));
        }
        assert!(!l.take(ip, later));
    }

    #[test]
    fn wrong_credentials_cost_extra_tokens() {
        let mut l = PushLimiter::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t0 = Instant::now();
        let mut allowed = 0;
        while l.take(ip, t0) {
            l.failed_auth(ip);
            allowed += 1;
        }
        assert_eq!(allowed, BURST.div_ceil(1 + AUTH_FAILURE_COST));
    }

    #[test]
    fn basic_auth_and_compare() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic cm91dGVyOnM6ZWNyZXQ="),
        );
        assert_eq!(
            basic_auth(&h),
            Some(("router".to_string(), "s:ecret".to_string()))
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_auth(&h), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn fqdn_rule() {
        assert!(is_fqdn("home.example.com"));
        assert!(is_fqdn("home.example.com."));
        assert!(is_fqdn("*.example.com"));
        assert!(!is_fqdn("localhost"));
        assert!(!is_fqdn("a..b"));
        assert!(!is_fqdn("-a.example.com"));
        assert!(!is_fqdn("a b.example.com"));
    }

    #[test]
    fn addresses_from_myip_myipv6_or_the_socket() {
        let q = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let client = IpAddr::V6(Ipv4Addr::new(1, 2, 3, 4).to_ipv6_mapped());
        assert_eq!(
            addresses(&q(&[]), client).unwrap(),
            vec![IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))]
        );
        let v6: Ipv6Addr = "2a01:4f8::1".parse().unwrap();
        assert_eq!(
            addresses(&q(&[("myip", "5.6.7.8,2a01:4f8::1")]), client).unwrap(),
            vec![IpAddr::V4(Ipv4Addr::new(5, 6, 7, 8)), IpAddr::V6(v6)]
        );
        assert_eq!(
            addresses(&q(&[("myipv6", "2a01:4f8::1")]), client).unwrap(),
            vec![IpAddr::V6(v6)]
        );
        assert_eq!(
            addresses(&q(&[("myip", "nonsense")]), client).unwrap_err(),
            "nonsense"
        );
    }

    #[test]
    fn host_lines() {
        let a = IpAddr::V4(Ipv4Addr::new(5, 6, 7, 8));
        let b: IpAddr = "2a01:4f8::1".parse().unwrap();
        use PushAnswer::*;
        assert_eq!(host_line(&[(a, vec![NoHost])], 0), "nohost");
        assert_eq!(host_line(&[(a, vec![Good(a)])], 0), "good 5.6.7.8");
        assert_eq!(
            host_line(&[(a, vec![NoChange(a)]), (b, vec![Good(b)])], 0),
            "good 5.6.7.8,2a01:4f8::1"
        );
        assert_eq!(
            host_line(&[(a, vec![NoChange(a)]), (b, vec![NoHost])], 0),
            "nochg 5.6.7.8"
        );
        assert_eq!(
            host_line(&[(a, vec![DnsError]), (b, vec![ServerError])], 0),
            "911"
        );
    }
}
