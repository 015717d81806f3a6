//! name.com (`dns.name: name_com`, `https://api.name.com/core/v1`): HTTP Basic
//! `username:token`, records listed per domain (every page), updated by id, created per domain.
//!
//! Every record of the name and type is kept in step with the address, as ddns-go does; one
//! already right is left alone. Fixed ddns-go quirks: ddns-go never reported success (its
//! webhook said "unchanged" after a real update) and read only the first page of records, so a
//! record beyond it was created a second time.

use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
    same_address,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "name_com",
    name: "name.com",
    id_label: "Username",
    secret_label: "API Token",
    extparam_label: "",
    help_url: "https://www.name.com/account/settings/api",
    help: "The account username and a production API token (API access must be enabled).",
    default_ttl: "300",
    change_only: false,
};

const PRODUCTION: &str = "https://api.name.com";
const PREFIX: &str = "/core/v1";
/// name.com's default and minimum TTL.
const MIN_TTL: u32 = 300;
/// Records per page (the API's maximum) and the most pages read.
const PER_PAGE: &str = "1000";
const MAX_PAGES: u32 = 50;

/// A name.com account (`id` = username, `secret` = API token).
pub struct NameCom {
    s: ProviderSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordList {
    #[serde(default)]
    records: Vec<NcRecord>,
    #[serde(default)]
    next_page: Option<u32>,
}

#[derive(Deserialize)]
struct NcRecord {
    id: Value,
    #[serde(default)]
    host: String,
    #[serde(rename = "type")]
    rtype: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    ttl: Option<u32>,
}

impl NameCom {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        NameCom { s }
    }

    fn ttl(&self) -> u32 {
        self.s.ttl_or(MIN_TTL).max(MIN_TTL)
    }

    fn url(&self, root: &str, rest: &str) -> String {
        format!(
            "{}{PREFIX}/domains/{root}/records{rest}",
            self.s.base(PRODUCTION)
        )
    }

    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        root: &str,
    ) -> Result<String, ProviderError> {
        let a = super::send(req.basic_auth(&self.s.id, Some(&self.s.secret))).await?;
        if a.ok() {
            Ok(a.body)
        } else {
            Err(classify(a.status, a.retry_after, &a.body, root))
        }
    }

    fn body(domain: &Domain, rtype: RecordType, addr: IpAddr, ttl: u32) -> Value {
        json!({"host": host(domain), "type": rtype.as_str(), "answer": addr.to_string(), "ttl": ttl})
    }
}

/// The host as name.com names records: ASCII, `""` for the apex.
fn host(domain: &Domain) -> String {
    let full = domain.to_ascii();
    let root = domain.root_ascii();
    full.strip_suffix(&root)
        .map(|s| s.trim_end_matches('.').to_string())
        .unwrap_or_default()
}

/// The records of host `want` with the asked type on one page of a record list, and the
/// next page's number if the API gave one.
pub(super) fn read_page(
    body: &str,
    want: &str,
    rtype: RecordType,
) -> Result<(Vec<Existing>, Option<u32>), ProviderError> {
    let list: RecordList = serde_json::from_str(body).map_err(|_| {
        ProviderError::Api(format!(
            "name.com answered a record list that cannot be read: {}",
            super::truncate(body, 300)
        ))
    })?;
    let found = list
        .records
        .into_iter()
        .filter(|r| r.rtype == rtype.as_str() && r.host.eq_ignore_ascii_case(want))
        .map(|r| Existing {
            id: match r.id {
                Value::String(s) => s,
                other => other.to_string(),
            },
            value: r.answer,
            ttl: r.ttl,
            proxied: None,
        })
        .collect();
    Ok((found, list.next_page))
}

impl Provider for NameCom {
    fn key(&self) -> &'static str {
        "name_com"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let root = domain.root_ascii();
            let want = host(domain);
            let mut records = Vec::new();
            let mut page = 1;
            for _ in 0..MAX_PAGES {
                let req = self
                    .s
                    .http
                    .get(self.url(&root, ""))
                    .query(&[("perPage", PER_PAGE), ("page", &page.to_string())]);
                let body = self.call(req, &root).await?;
                let (found, next_page) = read_page(&body, &want, rtype)?;
                records.extend(found);
                match next_page {
                    Some(n) if n > page => page = n,
                    _ => break,
                }
            }
            Ok(Lookup::Found {
                zone: None,
                records,
            })
        })
    }

    fn plan(&self, _domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        let records = match lookup {
            Lookup::Unknown => return Plan::Write,
            Lookup::Found { records, .. } => records,
        };
        let Some(first) = records.first() else {
            return Plan::Create;
        };
        let stale: Vec<Existing> = records
            .iter()
            .filter(|r| !same_address(&r.value, addr))
            .cloned()
            .collect();
        if stale.is_empty() {
            Plan::NoChange {
                current: first.value.clone(),
            }
        } else {
            Plan::Update { records: stale }
        }
    }

    fn apply<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
        _lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let root = domain.root_ascii();
            let body = Self::body(domain, rtype, addr, self.ttl());
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Create | Plan::Write => {
                    let req = self.s.http.post(self.url(&root, "")).json(&body);
                    self.call(req, &root).await.map(|_| ())
                }
                Plan::Update { records } => {
                    for r in records {
                        let req = self
                            .s
                            .http
                            .put(self.url(&root, &format!("/{}", r.id)))
                            .json(&body);
                        self.call(req, &root).await.map_err(|e| gone(e, &r.id))?;
                    }
                    Ok(())
                }
            }
        })
    }
}

/// A 404 on a record written by id means the record was deleted since the lookup, not that
/// the zone is missing.
fn gone(e: ProviderError, id: &str) -> ProviderError {
    match e {
        ProviderError::ZoneNotFound(_) => ProviderError::Api(format!(
            "name.com record {id} no longer exists; the next sync creates it again"
        )),
        other => other,
    }
}

/// Turns an error answer (`{"message", "details"?}`) into a [`ProviderError`].
#[doc(hidden)]
pub fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    root: &str,
) -> ProviderError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let message = v["message"].as_str().unwrap_or_default();
    let details = v["details"].as_str().unwrap_or_default();
    let msg = match (message, details) {
        ("", "") => format!(
            "name.com answered HTTP {status}: {}",
            super::truncate(body, 300)
        ),
        (m, "") => format!(
            "name.com answered HTTP {status}: {}",
            super::truncate(m, 300)
        ),
        (m, d) => format!(
            "name.com answered HTTP {status}: {m}: {}",
            super::truncate(d, 300)
        ),
    };
    match status {
        401 => ProviderError::Auth(msg),
        403 => ProviderError::Permission(msg),
        404 => ProviderError::ZoneNotFound(root.to_string()),
        429 => ProviderError::RateLimited { retry_after, msg },
        _ => ProviderError::Api(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified() {
        assert!(
            matches!(classify(401, None, r#"{"message":"Unauthenticated"}"#, "e.com"), ProviderError::Auth(m) if m.contains("Unauthenticated"))
        );
        assert!(matches!(
            classify(403, None, r#"{"message":"Permission Denied"}"#, "e.com"),
            ProviderError::Permission(_)
        ));
        assert_eq!(
            classify(404, None, r#"{"message":"Not Found"}"#, "e.com"),
            ProviderError::ZoneNotFound("e.com".into())
        );
        assert!(matches!(
            classify(429, None, "", "e.com"),
            ProviderError::RateLimited { .. }
        ));
        assert!(
            matches!(classify(400, None, r#"{"message":"Invalid Argument","details":"ttl"}"#, "e.com"), ProviderError::Api(m) if m.contains("Invalid Argument: ttl"))
        );
    }

    #[test]
    fn hosts_are_relative_and_empty_at_the_apex() {
        let d = |sub: &str| Domain {
            sub: sub.into(),
            root: "example.com".into(),
            params: vec![],
        };
        assert_eq!(host(&d("")), "");
        assert_eq!(host(&d("*.x")), "*.x");
    }
}
