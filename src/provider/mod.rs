//! DNS providers: one file per provider, all behind the [`Provider`] trait, built by name from
//! the registry in [`build`].
//!
//! A provider receives plain values (domain, record type, address, TTL, credentials, extra
//! params) and talks to one API. It knows nothing about detection, caches or the config file.
//! Every sync is split in two so that `-dryRun` can show a plan without writing:
//! [`Provider::lookup`] reads what the provider holds, [`Provider::plan`] decides, and
//! [`Provider::apply`] writes.

pub mod alidns;
pub mod aliesa;
pub mod baiducloud;
pub mod callback;
pub mod cloudflare;
pub mod cloudns;
pub mod desec;
pub mod dnsla;
pub mod dnspod;
pub mod duckdns;
pub mod dynadot;
pub mod dyndns2;
pub mod dynv6;
pub mod edgeone;
pub mod eranet;
#[doc(hidden)]
pub mod fuzzing;
pub mod gcore;
pub mod godaddy;
pub mod hipmdnsmgr;
pub mod huaweicloud;
pub mod name_com;
pub mod namecheap;
pub mod namesilo;
pub mod nowcn;
pub mod nsone;
pub mod porkbun;
pub mod powerdns;
pub mod rainyun;
pub mod registrar;
pub mod rfc2136;
pub mod sign;
pub mod spaceship;
pub mod tencentcloud;
pub mod tnethk;
pub mod trafficroute;
pub mod vercel;
pub mod xmltext;

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use crate::config::Domain;

/// A boxed future, so the trait stays object-safe (`Box<dyn Provider>` in the registry).
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// DNS record type handled by ddns-rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    /// IPv4 address record.
    A,
    /// IPv6 address record.
    Aaaa,
}

impl RecordType {
    /// "A" or "AAAA".
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
        }
    }
    /// The record type that holds `addr`.
    pub fn of(addr: IpAddr) -> RecordType {
        if addr.is_ipv4() {
            RecordType::A
        } else {
            RecordType::Aaaa
        }
    }
}

/// Everything a provider needs to be built: credentials, TTL, the HTTP client to use, and an
/// optional endpoint override (tests point providers at local fakes with it).
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// `dns.id` from the config.
    pub id: String,
    /// `dns.secret` from the config.
    pub secret: String,
    /// `dns.extparam` from the config.
    pub extparam: String,
    /// Raw `ttl` from the config ("" = the provider's default).
    pub ttl: String,
    /// Client built by `crate::http` (proxy, -skipVerify, interface binding, timeouts).
    pub http: reqwest::Client,
    /// Base URL replacing the provider's production URL (scheme://host:port, no trailing
    /// slash). `None` in production.
    pub endpoint: Option<String>,
}

impl ProviderSettings {
    /// The TTL as a number, or `default` when empty or not numeric (ddns-go's rule for
    /// integer providers).
    pub fn ttl_or(&self, default: u32) -> u32 {
        self.ttl.trim().parse().unwrap_or(default)
    }
    /// The endpoint override, or the production base URL.
    pub fn base<'a>(&'a self, production: &'a str) -> &'a str {
        self.endpoint.as_deref().unwrap_or(production)
    }
}

/// A record as the provider holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Existing {
    /// The provider's record id.
    pub id: String,
    /// Current value (address text as the provider returned it).
    pub value: String,
    /// TTL, where the provider reports one.
    pub ttl: Option<u32>,
    /// Cloudflare's proxy flag, where the provider has one.
    pub proxied: Option<bool>,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The provider's current records of that name and type (possibly none), and the zone id
    /// where the API needs one for writes.
    Found {
        /// Zone identifier (Cloudflare zone id, …), if the API uses one.
        zone: Option<String>,
        /// Matching records, in the provider's order.
        records: Vec<Existing>,
    },
    /// The provider cannot be asked (change-only providers: callback, GoDaddy, …). The sync
    /// layer then compares with what it published last.
    Unknown,
}

/// What should be done to make the record hold the new address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The record already holds the address.
    NoChange {
        /// The value found.
        current: String,
    },
    /// No record exists: create one.
    Create,
    /// These records must be changed.
    Update {
        /// The records to rewrite (usually one).
        records: Vec<Existing>,
    },
    /// The provider cannot be read: write blindly (change-only providers).
    Write,
}

impl Plan {
    /// `current → new`, or "no change", for `-dryRun` and logs.
    pub fn describe(&self, addr: IpAddr) -> String {
        match self {
            Plan::NoChange { current } => format!("no change ({current})"),
            Plan::Create => format!("(none) → {addr}"),
            Plan::Update { records } => {
                let cur: Vec<&str> = records.iter().map(|r| r.value.as_str()).collect();
                format!("{} → {addr}", cur.join(", "))
            }
            Plan::Write => format!("(unknown) → {addr}"),
        }
    }
}

/// Provider failures, classified so users get a clear message and the scheduler can back off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Wrong or unknown credentials, or a bad signature.
    #[error("authentication failed ({0}); check the ID and secret")]
    Auth(String),
    /// The zone (root domain) is not in this account.
    #[error("zone {0} was not found in this account")]
    ZoneNotFound(String),
    /// The credentials are valid but lack the permission.
    #[error("permission denied ({0}); the key needs DNS record read/write permission")]
    Permission(String),
    /// Rate limited; retry after the given time when the provider said.
    #[error("rate limited by the provider{}: {msg}", .retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// Retry-After from the provider, if any.
        retry_after: Option<Duration>,
        /// The provider's message.
        msg: String,
    },
    /// Connection, TLS or timeout failure before an answer arrived.
    #[error("request failed: {0}")]
    Transport(String),
    /// Any other error answer from the API.
    #[error("{0}")]
    Api(String),
    /// The provider does not support this (e.g. IPv6 on a v4-only API).
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The provider refused this record for a reason only a config change can fix (dyndns2
    /// `nohost`, `abuse`, …); asking again would count as abuse, so the engine stops trying
    /// until the config changes.
    #[error("refused: {0}; not retried until the configuration changes")]
    Refused(String),
}

/// One DNS provider account.
pub trait Provider: Send + Sync {
    /// Config key (`cloudflare`, `alidns`, …).
    fn key(&self) -> &'static str;

    /// Reads the records of `domain` and `rtype` (or [`Lookup::Unknown`] for change-only
    /// providers).
    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>>;

    /// Decides what to do. The default takes the record named by the `RecordId` param (or the
    /// first) and compares its value; providers with more to compare override it.
    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        default_plan(domain, lookup, addr, "RecordId")
    }

    /// Carries out `plan` (never called with `Plan::NoChange`).
    fn apply<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
        lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>>;
}

/// The common plan: pick the record whose id equals param `id_param` (else the first); equal
/// value → no change, else update it; none → create. Values are compared as addresses, so
/// `2001:db8::1` equals `2001:0db8:0:0::1`.
pub fn default_plan(domain: &Domain, lookup: &Lookup, addr: IpAddr, id_param: &str) -> Plan {
    let records = match lookup {
        Lookup::Unknown => return Plan::Write,
        Lookup::Found { records, .. } => records,
    };
    let chosen = match domain.param(id_param) {
        Some(id) => records.iter().find(|r| r.id == id),
        None => records.first(),
    };
    match chosen {
        None => Plan::Create,
        Some(r) if same_address(&r.value, addr) => Plan::NoChange {
            current: r.value.clone(),
        },
        Some(r) => Plan::Update {
            records: vec![r.clone()],
        },
    }
}

/// True when `value` (as a provider returned it) is the address `addr`.
pub fn same_address(value: &str, addr: IpAddr) -> bool {
    value
        .trim()
        .parse::<IpAddr>()
        .map(|v| v == addr)
        .unwrap_or(false)
}

/// What the web UI and the docs show for a provider: labels of the three credential fields
/// (empty = the field is not used and hidden), where keys are made, and behaviour notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ProviderMeta {
    /// Config key (`dns.name`).
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Label of `dns.id` ("" = unused).
    pub id_label: &'static str,
    /// Label of `dns.secret`.
    pub secret_label: &'static str,
    /// Label of `dns.extparam` ("" = unused).
    pub extparam_label: &'static str,
    /// Where the credentials are created.
    pub help_url: &'static str,
    /// One line on the minimal permission the key needs, and custom params.
    pub help: &'static str,
    /// TTL used when the config's `ttl` is empty, as the user would write it.
    pub default_ttl: &'static str,
    /// True when the API cannot be read, so writes happen only on a change.
    pub change_only: bool,
}

/// Every provider, in the order the docs and the web UI list them.
pub const PROVIDERS: &[&ProviderMeta] = &[
    &alidns::META,
    &aliesa::META,
    &tencentcloud::META,
    &dnspod::META,
    &dnsla::META,
    &cloudflare::META,
    &huaweicloud::META,
    &callback::META,
    &baiducloud::META,
    &porkbun::META,
    &godaddy::META,
    &namecheap::META,
    &namesilo::META,
    &vercel::META,
    &dynadot::META,
    &trafficroute::META,
    &dynv6::META,
    &spaceship::META,
    &nowcn::META,
    &eranet::META,
    &tnethk::META,
    &gcore::META,
    &edgeone::META,
    &nsone::META,
    &name_com::META,
    &rainyun::META,
    &hipmdnsmgr::META,
    &cloudns::META,
    &desec::META,
    &rfc2136::META,
    &powerdns::META,
    &dyndns2::META,
    &duckdns::META,
];

/// The metadata of provider `key`, if it exists.
pub fn meta(key: &str) -> Option<&'static ProviderMeta> {
    PROVIDERS.iter().copied().find(|m| m.key == key)
}

/// Builds the provider for config key `name`. An empty name means alidns (ddns-go's fallback);
/// an unknown one is an error rather than a silent alidns, so a typo is reported.
pub fn build(name: &str, settings: ProviderSettings) -> Result<Box<dyn Provider>, String> {
    match name {
        "alidns" | "" => Ok(Box::new(alidns::Alidns::new(settings))),
        "tencentcloud" => Ok(Box::new(tencentcloud::TencentCloud::new(settings))),
        "cloudflare" => Ok(Box::new(cloudflare::Cloudflare::new(settings))),
        "dnspod" => Ok(Box::new(dnspod::Dnspod::new(settings))),
        "callback" => Ok(Box::new(callback::Callback::new(settings))),
        "vercel" => Ok(Box::new(vercel::Vercel::new(settings))),
        "dynv6" => Ok(Box::new(dynv6::Dynv6::new(settings))),
        "gcore" => Ok(Box::new(gcore::Gcore::new(settings))),
        "nsone" => Ok(Box::new(nsone::Nsone::new(settings))),
        "name_com" => Ok(Box::new(name_com::NameCom::new(settings))),
        "cloudns" => Ok(Box::new(cloudns::Cloudns::new(settings))),
        "desec" => Ok(Box::new(desec::Desec::new(settings))),
        "dnsla" => Ok(Box::new(dnsla::Dnsla::new(settings))),
        "nowcn" => Ok(Box::new(nowcn::Nowcn::new(settings, nowcn::FLAVOR))),
        "eranet" => Ok(Box::new(eranet::new(settings))),
        "tnethk" => Ok(Box::new(tnethk::new(settings))),
        "rainyun" => Ok(Box::new(rainyun::Rainyun::new(settings))),
        "hipmdnsmgr" => Ok(Box::new(hipmdnsmgr::HipmDnsMgr::new(settings))),
        "aliesa" => Ok(Box::new(aliesa::AliEsa::new(settings))),
        "huaweicloud" => Ok(Box::new(huaweicloud::HuaweiCloud::new(settings))),
        "baiducloud" => Ok(Box::new(baiducloud::BaiduCloud::new(settings))),
        "trafficroute" => Ok(Box::new(trafficroute::TrafficRoute::new(settings))),
        "edgeone" => Ok(Box::new(edgeone::EdgeOne::new(settings))),
        "porkbun" => Ok(Box::new(porkbun::Porkbun::new(settings))),
        "godaddy" => Ok(Box::new(godaddy::GoDaddy::new(settings))),
        "namecheap" => Ok(Box::new(namecheap::Namecheap::new(settings))),
        "namesilo" => Ok(Box::new(namesilo::NameSilo::new(settings))),
        "dynadot" => Ok(Box::new(dynadot::Dynadot::new(settings))),
        "spaceship" => Ok(Box::new(spaceship::Spaceship::new(settings))),
        "rfc2136" => Ok(Box::new(rfc2136::Rfc2136::new(settings))),
        "powerdns" => Ok(Box::new(powerdns::PowerDns::new(settings))),
        "dyndns2" => Ok(Box::new(dyndns2::Dyndns2::new(settings))),
        "duckdns" => Ok(Box::new(duckdns::DuckDns::new(settings))),
        other => {
            let keys: Vec<&str> = PROVIDERS.iter().map(|m| m.key).collect();
            Err(format!(
                "unknown DNS provider \"{other}\"; known providers: {}",
                keys.join(", ")
            ))
        }
    }
}

/// A provider API's answer: status, body (bounded by [`crate::http::MAX_BODY`]) and the
/// Retry-After delay if the server gave one in seconds.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// Body text (lossy UTF-8).
    pub body: String,
    /// `Retry-After` in seconds, when present and numeric.
    pub retry_after: Option<Duration>,
}

impl Answer {
    /// True for a 2xx status.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body of a 2xx answer, or the whole answer for the caller to classify.
    pub fn into_result(self) -> Result<String, Answer> {
        if self.ok() { Ok(self.body) } else { Err(self) }
    }
}

/// Sends a provider request and reads the answer; a 429 is returned as
/// [`ProviderError::RateLimited`]. Transport errors never carry the URL: a signed query or a
/// callback URL may hold credentials.
pub async fn send(req: reqwest::RequestBuilder) -> Result<Answer, ProviderError> {
    let resp = req.send().await.map_err(transport)?;
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let (status, body) = crate::http::read_body(resp, crate::http::MAX_BODY)
        .await
        .map_err(transport)?;
    if status == 429 {
        // Every API means the same by 429, whatever its body says; classifying it here lets
        // the engine hold the account (Retry-After or 60 s) for providers that do not check.
        return Err(ProviderError::RateLimited {
            retry_after,
            msg: format!("HTTP 429: {}", truncate(body.trim(), 200)),
        });
    }
    Ok(Answer {
        status,
        body,
        retry_after,
    })
}

/// A transport error as a [`ProviderError`], with its cause chain and without the URL.
pub fn transport(e: reqwest::Error) -> ProviderError {
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    ProviderError::Transport(msg)
}

/// At most `max` characters of `s`, for quoting answers in error messages.
pub fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    #[test]
    fn every_listed_provider_builds_and_keys_are_unique() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = crate::http::provider_client(&Default::default(), None).unwrap();
        let mut seen = std::collections::HashSet::new();
        for m in PROVIDERS {
            assert!(seen.insert(m.key), "duplicate key {}", m.key);
            assert!(!m.name.is_empty() && !m.secret_label.is_empty(), "{m:?}");
            let s = ProviderSettings {
                id: String::new(),
                secret: String::new(),
                extparam: String::new(),
                ttl: String::new(),
                http: http.clone(),
                endpoint: None,
            };
            let p = build(m.key, s).unwrap_or_else(|e| panic!("{}: {e}", m.key));
            assert_eq!(p.key(), m.key);
            assert_eq!(meta(m.key), Some(*m));
        }
        assert!(
            build(
                "nope",
                ProviderSettings {
                    id: String::new(),
                    secret: String::new(),
                    extparam: String::new(),
                    ttl: String::new(),
                    http,
                    endpoint: None,
                }
            )
            .is_err()
        );
    }
}
