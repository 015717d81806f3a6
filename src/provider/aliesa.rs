//! Aliyun Edge Security Acceleration (`aliesa`, ESA): RPC-style calls with the Aliyun v1
//! signature, version 2024-09-10, everything in the query (POST with an empty body for writes)
//! (ddns-go-behaviour.md §4.3).
//!
//! ESA keeps IPv4 and IPv6 in one record of type `A/AAAA` whose `Data` is
//! `{"Value":"<ip4>,<ip6>"}`. ddns-rs syncs one family at a time, so a write replaces only the
//! addresses of its own family and keeps the other family's (ddns-go rewrote the whole value
//! from the names in its two lists, dropping an address it was not configured for).
//! Lookup is `ListSites` (the site id; param `SiteId` skips it) then `ListRecords`; writes are
//! `UpdateRecord` and `CreateRecord`, with every custom param copied in. Names ending in
//! `.origin-pool` update an origin pool instead (module `pool`). The custom param `IpAddrPool`
//! is a value template (`{ipv4Addr}`, `{ipv6Addr}`, fixed addresses) for the record's value.

pub(super) mod pool;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;

use super::sign::aliyun;
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;
use crate::timefmt;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "aliesa",
    name: "Alibaba Cloud ESA (阿里云 ESA)",
    id_label: "AccessKey ID",
    secret_label: "AccessKey Secret",
    extparam_label: "",
    help_url: "https://ram.console.aliyun.com/manage/ak",
    help: "A RAM user with AliyunESAFullAccess. Params: SiteId, RecordId, Proxied, BizName (any CreateRecord field); Name for <pool>.origin-pool names.",
    default_ttl: "600",
    change_only: false,
};

/// The production endpoint.
pub const PRODUCTION: &str = "https://esa.cn-hangzhou.aliyuncs.com/";
/// API version of the ESA RPC API.
const VERSION: &str = "2024-09-10";
/// ddns-go's default TTL for ESA.
const DEFAULT_TTL: u32 = 600;
/// The one record type ESA uses for addresses.
const ESA_TYPE: &str = "A/AAAA";
/// Params that steer ddns-rs itself and are never sent to the API.
const CONTROL_PARAMS: &[&str] = &["SiteId", "IpAddrPool", "Name"];

/// An ESA account.
pub struct AliEsa {
    settings: ProviderSettings,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Sites {
    #[serde(default)]
    sites: Vec<Site>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Site {
    site_id: u64,
    #[serde(default)]
    site_name: String,
    #[serde(default)]
    access_type: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Records {
    #[serde(default)]
    records: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    record_id: u64,
    #[serde(default)]
    record_name: String,
    #[serde(default)]
    record_type: String,
    #[serde(default)]
    data: RecordData,
    ttl: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RecordData {
    #[serde(default)]
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ErrorResponse {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct WriteResponse {
    #[serde(default)]
    request_id: String,
}

impl AliEsa {
    /// Builds the provider from its settings (`id` = AccessKey ID, `secret` = AccessKey Secret).
    pub fn new(settings: ProviderSettings) -> Self {
        AliEsa { settings }
    }

    /// Signs `params` and sends them in the query (`GET` for reads, `POST` with an empty body
    /// for writes, as ddns-go does); returns the body of a successful answer.
    async fn call(
        &self,
        method: &str,
        zone: &str,
        mut params: BTreeMap<String, String>,
    ) -> Result<String, ProviderError> {
        let common = [
            ("Version", VERSION.to_string()),
            ("Format", "JSON".to_string()),
            ("AccessKeyId", self.settings.id.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_string()),
            ("SignatureVersion", "1.0".to_string()),
            ("SignatureNonce", nonce()),
            (
                "Timestamp",
                timefmt::civil_from_unix(timefmt::unix_now()).iso8601(),
            ),
        ];
        params.extend(common.into_iter().map(|(k, v)| (k.to_string(), v)));
        let query = aliyun::signed_query(method, &params, &self.settings.secret);
        let url = format!(
            "{}/?{query}",
            self.settings.base(PRODUCTION).trim_end_matches('/')
        );
        let req = if method == "POST" {
            self.settings.http.post(url)
        } else {
            self.settings.http.get(url)
        };
        answer_body(super::send(req).await?, zone)
    }

    /// The site id and access type (`NS`/`CNAME`) of the root: param `SiteId` (assumed CNAME,
    /// as ddns-go does), else the site of `ListSites` named exactly like the root.
    async fn site(&self, domain: &Domain) -> Result<(String, String), ProviderError> {
        if let Some(id) = domain.param("SiteId") {
            return Ok((id.to_string(), "CNAME".into()));
        }
        let mut p = BTreeMap::new();
        p.insert("Action".to_string(), "ListSites".to_string());
        p.insert("SiteName".to_string(), domain.root.clone());
        let body = self.call("GET", &domain.root, p).await?;
        site_of(&body, &domain.root)
    }

    /// The custom params (minus ddns-rs's own) plus `own`, which win.
    fn params(domain: &Domain, own: &[(&str, String)]) -> BTreeMap<String, String> {
        let mut p: BTreeMap<String, String> = domain
            .params
            .iter()
            .filter(|(k, _)| !CONTROL_PARAMS.contains(&k.as_str()))
            .cloned()
            .collect();
        p.extend(own.iter().map(|(k, v)| (k.to_string(), v.clone())));
        p
    }
}

/// The body of a successful answer, or the error an error answer carries.
pub(super) fn answer_body(answer: super::Answer, zone: &str) -> Result<String, ProviderError> {
    if answer.ok() {
        return Ok(answer.body);
    }
    let err: ErrorResponse = serde_json::from_str(&answer.body).unwrap_or_default();
    if err.code.is_empty() {
        return Err(ProviderError::Api(format!(
            "ESA answered HTTP {}: {}",
            answer.status,
            super::truncate(&answer.body, 300)
        )));
    }
    Err(classify(
        answer.status,
        &err.code,
        &err.message,
        zone,
        answer.retry_after,
    ))
}

/// The id and access type of the site named `root` in a `ListSites` answer.
pub(super) fn site_of(body: &str, root: &str) -> Result<(String, String), ProviderError> {
    let sites: Sites = parse(body, "site list")?;
    sites
        .sites
        .into_iter()
        .find(|s| s.site_name.eq_ignore_ascii_case(root))
        .map(|s| (s.site_id.to_string(), s.access_type))
        .ok_or_else(|| ProviderError::ZoneNotFound(root.to_string()))
}

/// The records of a `ListRecords` answer named `name` with ESA's address type.
pub(super) fn read_records(body: &str, name: &str) -> Result<Vec<Existing>, ProviderError> {
    let list: Records = parse(body, "record list")?;
    Ok(list
        .records
        .into_iter()
        .filter(|r| r.record_name.eq_ignore_ascii_case(name))
        .filter(|r| r.record_type == ESA_TYPE)
        .map(|r| Existing {
            id: r.record_id.to_string(),
            value: r.data.value,
            ttl: r.ttl,
            proxied: None,
        })
        .collect())
}

fn parse<'a, T: Deserialize<'a>>(body: &'a str, what: &str) -> Result<T, ProviderError> {
    serde_json::from_str(body)
        .map_err(|e| ProviderError::Api(format!("ESA sent a {what} that is not understood ({e})")))
}

/// Refuses combinations that have no meaning, before any request is sent: the `IpAddrPool`
/// template shapes a record's value, and an origin pool has no such value.
fn check_supported(domain: &Domain) -> Result<(), ProviderError> {
    if domain.param("IpAddrPool").is_some() && pool::pool_name(domain).is_some() {
        return Err(ProviderError::Unsupported(format!(
            "{}: IpAddrPool applies to records, not to origin pools; remove the parameter",
            domain.name()
        )));
    }
    Ok(())
}

/// The value the record must hold. Without a template: `addr` in place of its family's
/// addresses, the other family kept ([`merged_value`]). With `IpAddrPool`: the template with
/// `{ipv4Addr}`/`{ipv6Addr}` filled in — `addr` for its own family, the other family's address
/// from the current value (a run syncs one family; the other keeps what the record holds) —
/// and empty items dropped, so `{ipv4Addr},{ipv6Addr}` before the first IPv6 run is just the
/// IPv4 address.
fn desired_value(domain: &Domain, current: &str, addr: IpAddr) -> String {
    let Some(template) = domain.param("IpAddrPool") else {
        return merged_value(current, addr);
    };
    let other = current
        .split(',')
        .map(str::trim)
        .find(|v| {
            v.parse::<IpAddr>()
                .is_ok_and(|o| o.is_ipv4() != addr.is_ipv4())
        })
        .unwrap_or("")
        .to_string();
    let (v4, v6) = if addr.is_ipv4() {
        (addr.to_string(), other)
    } else {
        (other, addr.to_string())
    };
    normalized(
        &template
            .replace("{ipv4Addr}", &v4)
            .replace("{ipv6Addr}", &v6),
    )
}

/// A comma list with items trimmed, empty items dropped, and addresses in canonical form.
fn normalized(value: &str) -> String {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<IpAddr>()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| v.to_string())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The value to write: `addr` in place of the addresses of its family, the other family's kept
/// (IPv4 first, as ESA and ddns-go write `ip4,ip6`).
fn merged_value(current: &str, addr: IpAddr) -> String {
    let others = current
        .split(',')
        .map(str::trim)
        .filter(|v| {
            v.parse::<IpAddr>()
                .is_ok_and(|o| o.is_ipv4() != addr.is_ipv4())
        })
        .map(str::to_string);
    let mut all: Vec<String> = std::iter::once(addr.to_string()).chain(others).collect();
    all.sort_by_key(|v| v.contains(':'));
    all.join(",")
}

/// True when the value's only address of `addr`'s family is `addr`.
fn holds(value: &str, addr: IpAddr) -> bool {
    let same_family: Vec<IpAddr> = value
        .split(',')
        .filter_map(|v| v.trim().parse::<IpAddr>().ok())
        .filter(|v| v.is_ipv4() == addr.is_ipv4())
        .collect();
    same_family == [addr]
}

/// Maps an ESA error to the error a user can act on.
fn classify(
    status: u16,
    code: &str,
    message: &str,
    zone: &str,
    retry_after: Option<Duration>,
) -> ProviderError {
    let detail = format!("{code}: {}", super::truncate(message, 300));
    match code {
        "InvalidAccessKeyId.NotFound"
        | "InvalidAccessKeyId"
        | "InvalidAccessKeyId.Inactive"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidTimeStamp.Expired"
        | "SignatureNonceUsed" => ProviderError::Auth(detail),
        c if c.starts_with("Forbidden") || c == "NoPermission" => ProviderError::Permission(detail),
        c if c.starts_with("Throttling") || status == 429 => ProviderError::RateLimited {
            retry_after,
            msg: detail,
        },
        "SiteNotFound" | "InvalidSiteId" | "Site.NotFound" => {
            ProviderError::ZoneNotFound(zone.to_string())
        }
        _ => ProviderError::Api(format!("ESA error {detail}")),
    }
}

/// A nonce unique per request: nanoseconds plus 64 random bits.
fn nonce() -> String {
    let mut rnd = [0u8; 8];
    // Without randomness the nanosecond clock alone still makes a usable nonce.
    let _ = getrandom::fill(&mut rnd);
    format!("{}{}", timefmt::unix_nanos(), u64::from_le_bytes(rnd))
}

impl Provider for AliEsa {
    fn key(&self) -> &'static str {
        "aliesa"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        _rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            check_supported(domain)?;
            if let Some(name) = pool::pool_name(domain) {
                return pool::lookup(self, domain, name).await;
            }
            let (site_id, access) = self.site(domain).await?;
            let name = domain.name();
            let mut p = BTreeMap::new();
            p.insert("Action".to_string(), "ListRecords".to_string());
            p.insert("SiteId".to_string(), site_id.clone());
            p.insert("RecordName".to_string(), name.clone());
            p.insert("Type".to_string(), ESA_TYPE.to_string());
            let body = self.call("GET", &domain.root, p).await?;
            let records = read_records(&body, &name)?;
            // The site's access type rides along: CNAME sites need Proxied on create.
            Ok(Lookup::Found {
                zone: Some(format!("{site_id}/{access}")),
                records,
            })
        })
    }

    /// The record named by `RecordId` (or the first); no change when its only address of this
    /// family is the new one.
    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        if pool::pool_name(domain).is_some() {
            return pool::plan(domain, lookup, addr);
        }
        let Lookup::Found { records, .. } = lookup else {
            return Plan::Write;
        };
        let chosen = match domain.param("RecordId") {
            Some(id) => records.iter().find(|r| r.id == id),
            None => records.first(),
        };
        match chosen {
            None => Plan::Create,
            Some(r) if domain.param("IpAddrPool").is_some() => {
                if normalized(&r.value) == desired_value(domain, &r.value, addr) {
                    Plan::NoChange {
                        current: r.value.clone(),
                    }
                } else {
                    Plan::Update {
                        records: vec![r.clone()],
                    }
                }
            }
            Some(r) if holds(&r.value, addr) => Plan::NoChange {
                current: r.value.clone(),
            },
            Some(r) => Plan::Update {
                records: vec![r.clone()],
            },
        }
    }

    fn apply<'a>(
        &'a self,
        domain: &'a Domain,
        _rtype: RecordType,
        lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            check_supported(domain)?;
            if pool::pool_name(domain).is_some() {
                return pool::apply(self, domain, lookup, plan, addr).await;
            }
            let ttl = self.settings.ttl_or(DEFAULT_TTL).to_string();
            let data = |value: &str| serde_json::json!({ "Value": value }).to_string();
            let confirm = |body: String| -> Result<(), ProviderError> {
                let resp: WriteResponse = parse(&body, "write answer")?;
                if resp.request_id.is_empty() {
                    return Err(ProviderError::Api(format!(
                        "ESA did not confirm the write of {}",
                        domain.name()
                    )));
                }
                Ok(())
            };
            match plan {
                Plan::NoChange { .. } => Ok(()),
                // Lookup always reads the site, so a blind write would be a caller bug; refuse
                // rather than risk a duplicate record.
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; aliesa always reads the record first".into(),
                )),
                Plan::Create => {
                    let (site_id, access) = match lookup {
                        Lookup::Found { zone: Some(z), .. } => match z.split_once('/') {
                            Some((s, a)) => (s.to_string(), a.to_string()),
                            None => (z.clone(), String::new()),
                        },
                        _ => self.site(domain).await?,
                    };
                    let own = [
                        ("Action", "CreateRecord".to_string()),
                        ("SiteId", site_id),
                        ("RecordName", domain.name()),
                        ("Type", ESA_TYPE.to_string()),
                        ("Data", data(&desired_value(domain, "", addr))),
                        ("Ttl", ttl),
                    ];
                    let mut p = Self::params(domain, &own);
                    p.remove("RecordId");
                    // A CNAME-access site serves only proxied records (ddns-go's rule).
                    if access.eq_ignore_ascii_case("CNAME") && !p.contains_key("Proxied") {
                        p.insert("Proxied".into(), "true".into());
                    }
                    if p.contains_key("Proxied") && !p.contains_key("BizName") {
                        p.insert("BizName".into(), "web".into());
                    }
                    confirm(self.call("POST", &domain.root, p).await?)
                }
                Plan::Update { records } => {
                    for record in records {
                        let own = [
                            ("Action", "UpdateRecord".to_string()),
                            ("RecordId", record.id.clone()),
                            ("Type", ESA_TYPE.to_string()),
                            ("Data", data(&desired_value(domain, &record.value, addr))),
                            ("Ttl", ttl.clone()),
                        ];
                        let p = Self::params(domain, &own);
                        confirm(self.call("POST", &domain.root, p).await?)?;
                    }
                    Ok(())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ip_addr_pool_template_fills_both_families() {
        let d = |t: &str| Domain {
            sub: "www".into(),
            root: "example.com".into(),
            params: vec![("IpAddrPool".into(), t.into())],
        };
        let t = d("{ipv4Addr},{ipv6Addr},203.0.113.9");
        // First IPv4 run: no IPv6 yet, the empty item is dropped.
        assert_eq!(
            desired_value(&t, "", ip("198.51.100.7")),
            "198.51.100.7,203.0.113.9"
        );
        // IPv6 run keeps the IPv4 address the record holds.
        assert_eq!(
            desired_value(&t, "198.51.100.7,203.0.113.9", ip("2001:db8::2")),
            "198.51.100.7,2001:db8::2,203.0.113.9"
        );
        // A fixed list with only the v6 placeholder.
        assert_eq!(
            desired_value(&d(" 192.0.2.1 , {ipv6Addr} "), "", ip("2001:0db8::0001")),
            "192.0.2.1,2001:db8::1"
        );
        assert_eq!(normalized("2001:0db8::1, ,1.2.3.4"), "2001:db8::1,1.2.3.4");
    }

    #[test]
    fn values_merge_per_family() {
        assert_eq!(merged_value("", ip("192.0.2.1")), "192.0.2.1");
        assert_eq!(
            merged_value("192.0.2.1,2001:db8::1", ip("198.51.100.7")),
            "198.51.100.7,2001:db8::1"
        );
        assert_eq!(
            merged_value("192.0.2.1,2001:db8::1", ip("2001:db8::2")),
            "192.0.2.1,2001:db8::2"
        );
        assert_eq!(
            merged_value("2001:db8::1", ip("192.0.2.1")),
            "192.0.2.1,2001:db8::1"
        );
        assert!(holds("192.0.2.1, 2001:db8::1", ip("2001:0db8::1")));
        assert!(!holds("192.0.2.1,192.0.2.2", ip("192.0.2.1")));
        assert!(!holds("2001:db8::1", ip("192.0.2.1")));
    }

    #[test]
    fn errors_are_classified() {
        let c = |code| classify(400, code, "m", "example.com", None);
        assert!(matches!(
            c("InvalidAccessKeyId.NotFound"),
            ProviderError::Auth(_)
        ));
        assert!(matches!(c("SignatureDoesNotMatch"), ProviderError::Auth(_)));
        assert!(matches!(c("Forbidden.RAM"), ProviderError::Permission(_)));
        assert!(matches!(
            c("Throttling.User"),
            ProviderError::RateLimited { .. }
        ));
        assert_eq!(
            c("SiteNotFound"),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert_eq!(c("Other"), ProviderError::Api("ESA error Other: m".into()));
    }

    #[test]
    fn unsupported_modes_are_refused() {
        let d = |sub: &str, params: Vec<(String, String)>| Domain {
            sub: sub.into(),
            root: "example.com".into(),
            params,
        };
        let pool = vec![("IpAddrPool".to_string(), "{ipv4Addr}".to_string())];
        assert!(check_supported(&d("www", pool.clone())).is_ok());
        assert!(check_supported(&d("web.origin-pool", pool)).is_err());
        assert!(check_supported(&d("www", vec![])).is_ok());
    }
}
