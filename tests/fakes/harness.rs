//! The pieces every provider test needs around its fake: a provider built against the fake's
//! endpoint, domains, addresses, and one sync driven through the `Provider` trait exactly as the
//! sync layer drives it. One copy here instead of one per test file. Reached as
//! `fakes::harness`, or on its own with `#[path = "fakes/harness.rs"] mod harness;` by tests
//! that talk to real servers instead of fakes (it needs nothing else from `fakes`).

#![allow(dead_code)]

use std::net::IpAddr;
use std::sync::Arc;

use ddns_rs::config::Domain;
use ddns_rs::http::{HttpOptions, provider_client};
use ddns_rs::provider::{Plan, Provider, ProviderError, ProviderSettings, RecordType, build};

/// A running fake, the provider pointed at it, and the `host:port` it listens on.
pub struct Env<F> {
    /// The fake's state (records, requests seen, faults).
    pub fake: Arc<F>,
    /// The provider under test, its endpoint set to the fake.
    pub provider: Box<dyn Provider>,
    /// `127.0.0.1:port` of the fake (what signed requests name as their host).
    pub host: String,
}

impl<F> Env<F> {
    /// Provider `key` built with `creds` against the fake served at `host` over plain HTTP.
    pub fn new(fake: Arc<F>, host: impl ToString, key: &str, creds: Creds<'_>) -> Env<F> {
        let host = host.to_string();
        let provider = creds.build(key, &format!("http://{host}"));
        Env {
            fake,
            provider,
            host,
        }
    }

    /// One sync of `d` to `addr` through this provider, as the sync layer does it.
    pub async fn sync(&self, d: &Domain, addr: impl ToIp) -> Result<Plan, ProviderError> {
        sync(&*self.provider, d, addr).await
    }
}

/// What a user types into the provider's form: id, secret, extra parameter, TTL.
#[derive(Debug, Clone, Copy, Default)]
pub struct Creds<'a> {
    /// `id` (access key, user name…; empty for token-only providers).
    pub id: &'a str,
    /// `secret` (key, token, password).
    pub secret: &'a str,
    /// `extparam`.
    pub extparam: &'a str,
    /// `ttl` as configured (empty: the provider's default).
    pub ttl: &'a str,
}

impl<'a> Creds<'a> {
    /// Id and secret, no extra parameter, default TTL.
    pub fn new(id: &'a str, secret: &'a str) -> Creds<'a> {
        Creds {
            id,
            secret,
            ..Creds::default()
        }
    }

    /// The same with the configured TTL.
    pub fn ttl(self, ttl: &'a str) -> Creds<'a> {
        Creds { ttl, ..self }
    }

    /// The same with the extra parameter.
    pub fn extparam(self, extparam: &'a str) -> Creds<'a> {
        Creds { extparam, ..self }
    }

    /// Provider settings with these credentials and `endpoint` as the API base (None: the
    /// provider's own address, for providers that take their URL from the settings).
    pub fn settings(&self, endpoint: Option<&str>) -> ProviderSettings {
        ProviderSettings {
            id: self.id.into(),
            secret: self.secret.into(),
            extparam: self.extparam.into(),
            ttl: self.ttl.into(),
            http: provider_client(&HttpOptions::default(), None).unwrap(),
            endpoint: endpoint.map(str::to_string),
        }
    }

    /// Provider `key` with these credentials, talking to `endpoint`.
    pub fn build(&self, key: &str, endpoint: &str) -> Box<dyn Provider> {
        self.build_at(key, Some(endpoint))
    }

    /// Provider `key` with these credentials and an optional endpoint override.
    pub fn build_at(&self, key: &str, endpoint: Option<&str>) -> Box<dyn Provider> {
        build(key, self.settings(endpoint)).unwrap()
    }
}

/// Builds provider `key` pointed at `base`.
pub fn provider(
    key: &str,
    base: &str,
    id: &str,
    secret: &str,
    extparam: &str,
    ttl: &str,
) -> Box<dyn Provider> {
    Creds {
        id,
        secret,
        extparam,
        ttl,
    }
    .build(key, base)
}

/// A domain `sub` . `root` with custom params.
pub fn dom(sub: &str, root: &str, params: &[(&str, &str)]) -> Domain {
    Domain {
        sub: sub.into(),
        root: root.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Parses an address.
pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An address given either parsed or as text, so tests can write whichever reads better.
pub trait ToIp {
    /// The address.
    fn to_ip(&self) -> IpAddr;
}

impl ToIp for IpAddr {
    fn to_ip(&self) -> IpAddr {
        *self
    }
}

impl ToIp for &str {
    fn to_ip(&self) -> IpAddr {
        ip(self)
    }
}

impl ToIp for &String {
    fn to_ip(&self) -> IpAddr {
        ip(self)
    }
}

/// One sync of one domain, as the sync layer does it: lookup, plan, apply unless no change.
pub async fn sync(p: &dyn Provider, d: &Domain, addr: impl ToIp) -> Result<Plan, ProviderError> {
    let addr = addr.to_ip();
    let t = RecordType::of(addr);
    let l = p.lookup(d, t).await?;
    let plan = p.plan(d, &l, addr);
    if !matches!(plan, Plan::NoChange { .. }) {
        p.apply(d, t, &l, &plan, addr).await?;
    }
    Ok(plan)
}

/// Syncs `www.<root>`, a name in a zone the account lacks, to `addr` and asserts the answer is
/// ZoneNotFound naming exactly that zone.
pub async fn assert_zone_not_found(p: &dyn Provider, root: &str, addr: impl ToIp) {
    let err = sync(p, &dom("www", root, &[]), addr).await.unwrap_err();
    assert_eq!(err, ProviderError::ZoneNotFound(root.into()));
}
