//! Gcore DNS (`dns.name: gcore`, `https://api.gcore.com/dns/v2`): `Authorization: APIKey
//! <token>`, one RRset per name and type addressed as `/zones/<zone>/<fqdn>/<type>` (the apex
//! is the zone name itself).
//!
//! The RRset is read directly; a 404 there means either "no such RRset" (create it) or "no
//! such zone", which one more read of the zone tells apart, so a typo in the root is reported
//! instead of a failing create.

use std::net::IpAddr;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "gcore",
    name: "Gcore",
    id_label: "",
    secret_label: "API Token",
    extparam_label: "",
    help_url: "https://portal.gcore.com/accounts/profile/api-tokens",
    help: "A permanent API token of a user with the Engineers role (DNS zones read/write).",
    default_ttl: "120",
    change_only: false,
};

const PRODUCTION: &str = "https://api.gcore.com";
const PREFIX: &str = "/dns/v2";
const DEFAULT_TTL: u32 = 120;

/// A Gcore account reached with one permanent API token (`secret`; `id` is unused).
pub struct Gcore {
    s: ProviderSettings,
}

#[derive(Deserialize)]
struct RrSet {
    #[serde(default)]
    ttl: Option<u32>,
    #[serde(default)]
    resource_records: Vec<ResourceRecord>,
}

#[derive(Deserialize)]
struct ResourceRecord {
    #[serde(default)]
    content: Vec<Value>,
}

impl Gcore {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Gcore { s }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{PREFIX}{path}", self.s.base(PRODUCTION))
    }

    fn rrset_path(domain: &Domain, rtype: RecordType) -> String {
        format!(
            "/zones/{}/{}/{}",
            domain.root_ascii(),
            domain.to_ascii(),
            rtype.as_str()
        )
    }

    async fn raw(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<Result<String, super::Answer>, ProviderError> {
        let req = req.header(
            reqwest::header::AUTHORIZATION,
            format!("APIKey {}", self.s.secret),
        );
        Ok(super::send(req).await?.into_result())
    }

    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        root: &str,
    ) -> Result<String, ProviderError> {
        self.raw(req).await?.map_err(|f| classify(&f, root))
    }
}

/// The first record of an RRset answer, with `id` as its id.
pub(super) fn read_rrset(body: &str, id: &str) -> Result<Vec<Existing>, ProviderError> {
    let set: RrSet = serde_json::from_str(body).map_err(|_| {
        ProviderError::Api(format!(
            "Gcore answered an RRset that cannot be read: {}",
            super::truncate(body, 300)
        ))
    })?;
    let ttl = set.ttl;
    Ok(set
        .resource_records
        .iter()
        .filter_map(|r| r.content.first().and_then(Value::as_str))
        .map(|v| Existing {
            id: id.to_string(),
            value: v.to_string(),
            ttl,
            proxied: None,
        })
        .take(1)
        .collect())
}

impl Provider for Gcore {
    fn key(&self) -> &'static str {
        "gcore"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let root = domain.root_ascii();
            let req = self.s.http.get(self.url(&Self::rrset_path(domain, rtype)));
            let body = match self.raw(req).await? {
                Ok(body) => body,
                Err(f) if f.status == 404 => {
                    // Not-found of the RRset means create, unless the zone itself is missing.
                    let zone = self.s.http.get(self.url(&format!("/zones/{root}")));
                    self.call(zone, &root).await?;
                    return Ok(Lookup::Found {
                        zone: None,
                        records: Vec::new(),
                    });
                }
                Err(f) => return Err(classify(&f, &root)),
            };
            let records = read_rrset(&body, &domain.to_ascii())?;
            Ok(Lookup::Found {
                zone: None,
                records,
            })
        })
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
            let url = self.url(&Self::rrset_path(domain, rtype));
            // The whole RRset is replaced by the one address (the set is ours).
            let body = json!({
                "ttl": self.s.ttl_or(DEFAULT_TTL),
                "resource_records": [{"content": [addr.to_string()], "enabled": true}],
            });
            let req = match plan {
                Plan::NoChange { .. } => return Ok(()),
                Plan::Create | Plan::Write => self.s.http.post(url),
                Plan::Update { .. } => self.s.http.put(url),
            };
            self.call(req.json(&body), &root).await.map(|_| ())
        })
    }
}

/// Turns an error answer (`{"error": …}` or `{"message": …}`) into a [`ProviderError`].
pub(super) fn classify(f: &super::Answer, root: &str) -> ProviderError {
    let v: Value = serde_json::from_str(&f.body).unwrap_or(Value::Null);
    let detail = ["error", "message", "detail"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .map(str::to_string)
        .unwrap_or_else(|| super::truncate(&f.body, 300).to_string());
    let msg = format!(
        "Gcore answered HTTP {}: {}",
        f.status,
        super::truncate(&detail, 300)
    );
    match f.status {
        401 => ProviderError::Auth(msg),
        403 => ProviderError::Permission(msg),
        404 => ProviderError::ZoneNotFound(root.to_string()),
        429 => ProviderError::RateLimited {
            retry_after: f.retry_after,
            msg,
        },
        _ => ProviderError::Api(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(status: u16, body: &str) -> super::super::Answer {
        super::super::Answer {
            status,
            retry_after: None,
            body: body.into(),
        }
    }

    #[test]
    fn errors_are_classified() {
        assert!(
            matches!(classify(&fail(401, r#"{"message":"Unauthorized"}"#), "e.com"), ProviderError::Auth(m) if m.contains("Unauthorized"))
        );
        assert!(matches!(
            classify(&fail(403, "{}"), "e.com"),
            ProviderError::Permission(_)
        ));
        assert_eq!(
            classify(&fail(404, r#"{"error":"zone is not found"}"#), "e.com"),
            ProviderError::ZoneNotFound("e.com".into())
        );
        assert!(matches!(
            classify(&fail(429, ""), "e.com"),
            ProviderError::RateLimited { .. }
        ));
        assert!(
            matches!(classify(&fail(400, r#"{"error":"bad content"}"#), "e.com"), ProviderError::Api(m) if m.contains("bad content"))
        );
    }

    #[test]
    fn rrset_path_uses_the_fqdn_and_the_zone_for_the_apex() {
        let d = |sub: &str| Domain {
            sub: sub.into(),
            root: "example.com".into(),
            params: vec![],
        };
        assert_eq!(
            Gcore::rrset_path(&d("www"), RecordType::A),
            "/zones/example.com/www.example.com/A"
        );
        assert_eq!(
            Gcore::rrset_path(&d(""), RecordType::Aaaa),
            "/zones/example.com/example.com/AAAA"
        );
    }
}
