//! Spaceship DNS API (`dns.name: spaceship`, `https://spaceship.dev/api/v1/dns/records/<root>`):
//! the zone's records are listed with a GET, added with a PUT (`force: true`) and removed
//! with a DELETE carrying the records to remove, authenticated by `X-API-Key`/`X-API-Secret`.
//!
//! Records have no id: a record is its (type, name, address). The apex is named `@`.
//! ddns-go matched the apex as the empty name (so it never found it) and then deleted and
//! re-added records; ddns-rs matches the type and the `@`/sub name, adds the new address
//! first and removes the stale ones after, so the name never resolves to nothing.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::{Value, json};

use super::registrar::AsciiName;
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
    same_address,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "spaceship",
    name: "Spaceship",
    id_label: "API Key",
    secret_label: "API Secret",
    extparam_label: "",
    help_url: "https://www.spaceship.com/application/api-manager/",
    help: "An API key with dnsrecords:read and dnsrecords:write. No params.",
    default_ttl: "600",
    change_only: false,
};

const PRODUCTION: &str = "https://spaceship.dev";
const DEFAULT_TTL: u32 = 600;
/// Largest page the list call accepts.
const PAGE: usize = 500;
/// Pages read at most (10,000 records), so a misbehaving server cannot loop us forever.
const MAX_PAGES: usize = 20;

/// A Spaceship account reached with an API key (`id`) and secret (`secret`).
pub struct Spaceship {
    s: ProviderSettings,
}

impl Spaceship {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Spaceship { s }
    }

    fn url(&self, root: &str) -> String {
        format!("{}/api/v1/dns/records/{root}", self.s.base(PRODUCTION))
    }

    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        root: &str,
    ) -> Result<String, ProviderError> {
        let req = req
            .header("X-API-Key", &self.s.id)
            .header("X-API-Secret", &self.s.secret);
        let a = super::send(req).await?;
        if a.ok() {
            Ok(a.body)
        } else {
            Err(classify(a.status, a.retry_after, &a.body, root))
        }
    }
}

/// The records named `name` with the asked type on one page of a record list, with the
/// number of items on the page and the total the API reports.
pub(super) fn read_page(
    body: &str,
    name: &str,
    rtype: RecordType,
) -> Result<(Vec<Existing>, usize, usize), ProviderError> {
    let v: Value = serde_json::from_str(body).map_err(|_| {
        ProviderError::Api(format!(
            "Spaceship answered a record list that is not JSON: {}",
            super::truncate(body, 300)
        ))
    })?;
    let mut found = Vec::new();
    let items = v["items"].as_array().map(Vec::as_slice).unwrap_or_default();
    for r in items {
        let same_type = r["type"].as_str() == Some(rtype.as_str());
        let same_name = r["name"]
            .as_str()
            .is_some_and(|found| found.eq_ignore_ascii_case(name));
        if same_type && same_name {
            found.push(Existing {
                id: String::new(),
                value: r["address"].as_str().unwrap_or_default().to_string(),
                ttl: r["ttl"].as_u64().and_then(|t| u32::try_from(t).ok()),
                proxied: None,
            });
        }
    }
    let total = v["total"].as_u64().unwrap_or(0) as usize;
    Ok((found, items.len(), total))
}

impl Provider for Spaceship {
    fn key(&self) -> &'static str {
        "spaceship"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let n = AsciiName::of(domain);
            // Spaceship names the apex `@`.
            let name = n.sub_or_at();
            let mut records = Vec::new();
            let mut skip = 0usize;
            for _ in 0..MAX_PAGES {
                let req = self
                    .s
                    .http
                    .get(self.url(&n.root))
                    .query(&[("take", PAGE.to_string()), ("skip", skip.to_string())]);
                let body = self.call(req, &n.root).await?;
                let (found, listed, total) = read_page(&body, name, rtype)?;
                records.extend(found);
                skip += listed;
                if listed == 0 || skip >= total {
                    return Ok(Lookup::Found {
                        zone: None,
                        records,
                    });
                }
            }
            Err(ProviderError::Api(format!(
                "Spaceship zone {} has more than {} records; ddns-rs stopped reading",
                domain.root,
                PAGE * MAX_PAGES
            )))
        })
    }

    fn plan(&self, _domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        super::registrar::plan_every(lookup, addr)
    }

    fn apply<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
        lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let n = AsciiName::of(domain);
            let name = n.sub_or_at();
            let stale: &[Existing] = match plan {
                Plan::NoChange { .. } => return Ok(()),
                Plan::Create | Plan::Write => &[],
                Plan::Update { records } => records,
            };
            let present = matches!(lookup, Lookup::Found { records, .. }
                if records.iter().any(|r| same_address(&r.value, addr)));
            if !present {
                let body = json!({"force": true, "items": [{"type": rtype.as_str(), "name": name,
                    "address": addr.to_string(), "ttl": self.s.ttl_or(DEFAULT_TTL)}]});
                let req = self.s.http.put(self.url(&n.root)).json(&body);
                self.call(req, &n.root).await?;
            }
            if !stale.is_empty() {
                let body: Vec<Value> = stale
                    .iter()
                    .map(|r| json!({"type": rtype.as_str(), "name": name, "address": r.value}))
                    .collect();
                let req = self.s.http.delete(self.url(&n.root)).json(&body);
                self.call(req, &n.root).await?;
            }
            Ok(())
        })
    }
}

/// Turns an error answer (`{"detail": …}`) into a [`ProviderError`].
#[doc(hidden)]
pub fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    root: &str,
) -> ProviderError {
    let detail = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_string))
        .unwrap_or_else(|| super::truncate(body, 300).to_string());
    let msg = format!("Spaceship answered HTTP {status}: {detail}");
    match status {
        401 => ProviderError::Auth(msg),
        403 => ProviderError::Permission(format!(
            "{msg}; the key needs dnsrecords:read and dnsrecords:write"
        )),
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
        let c = |s, b| classify(s, None, b, "example.com");
        assert!(
            matches!(c(401, r#"{"detail":"Unauthorized"}"#), ProviderError::Auth(m) if m.contains("Unauthorized"))
        );
        assert!(
            matches!(c(403, r#"{"detail":"Forbidden"}"#), ProviderError::Permission(m) if m.contains("dnsrecords:write"))
        );
        assert_eq!(
            c(404, r#"{"detail":"Domain not found"}"#),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert!(matches!(
            classify(429, Some(Duration::from_secs(9)), "{}", "example.com"),
            ProviderError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(9)
        ));
        assert!(
            matches!(c(422, r#"{"detail":"Invalid address","data":[]}"#), ProviderError::Api(m) if m.contains("422: Invalid address"))
        );
        assert!(matches!(c(502, "gateway"), ProviderError::Api(m) if m.contains("502: gateway")));
    }
}
