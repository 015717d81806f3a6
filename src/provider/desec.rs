//! deSEC (`dns.name: desec`, `https://desec.io/api/v1`): `Authorization: Token <token>`, one
//! RRset per name and type, read with the filtered rrset list and written through the rrset
//! API (POST to create, PATCH of that one RRset to update).
//!
//! The apex is the empty subname; the PATCH path spells it `@`. TTL: default 3600, clamped to
//! [3600, 86400], deSEC's usual minimum and its maximum.

use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "desec",
    name: "deSEC",
    id_label: "",
    secret_label: "Token",
    extparam_label: "",
    help_url: "https://desec.io/tokens",
    help: "A token allowed to manage the domain's RRsets (a token policy may limit it to the \
           names and types you publish). TTL 3600–86400.",
    default_ttl: "3600",
    change_only: false,
};

const PRODUCTION: &str = "https://desec.io";
const PREFIX: &str = "/api/v1";
const MIN_TTL: u32 = 3600;
const MAX_TTL: u32 = 86400;

/// A deSEC account reached with one token (`secret`; `id` is unused).
pub struct Desec {
    s: ProviderSettings,
}

#[derive(Deserialize)]
struct RrSet {
    #[serde(default)]
    subname: String,
    #[serde(rename = "type", default)]
    rtype: String,
    #[serde(default)]
    records: Vec<String>,
    #[serde(default)]
    ttl: Option<u32>,
}

impl Desec {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Desec { s }
    }

    fn ttl(&self) -> u32 {
        clamp_ttl(self.s.ttl_or(MIN_TTL))
    }

    fn url(&self, root: &str, rest: &str) -> String {
        format!(
            "{}{PREFIX}/domains/{root}/rrsets/{rest}",
            self.s.base(PRODUCTION)
        )
    }

    /// Sends `req` with the token and returns the body of a 2xx answer.
    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        root: &str,
    ) -> Result<String, ProviderError> {
        let req = req.header(
            reqwest::header::AUTHORIZATION,
            format!("Token {}", self.s.secret),
        );
        let a = super::send(req).await?;
        if a.ok() {
            Ok(a.body)
        } else {
            Err(classify(a.status, a.retry_after, &a.body, root))
        }
    }
}

/// deSEC refuses TTLs below the domain's minimum (3600 on ordinary accounts) and above a day.
fn clamp_ttl(ttl: u32) -> u32 {
    ttl.clamp(MIN_TTL, MAX_TTL)
}

/// The subname as deSEC names RRsets: ASCII, `""` for the apex.
fn subname(domain: &Domain) -> String {
    let full = domain.to_ascii();
    let root = domain.root_ascii();
    full.strip_suffix(&root)
        .map(|s| s.trim_end_matches('.').to_string())
        .unwrap_or_default()
}

/// The first record of the RRset of `sub` with the asked type in an RRset list.
pub(super) fn read_records(
    body: &str,
    sub: &str,
    rtype: RecordType,
) -> Result<Vec<Existing>, ProviderError> {
    let sets: Vec<RrSet> = serde_json::from_str(body).map_err(|_| {
        ProviderError::Api(format!(
            "deSEC answered an RRset list that cannot be read: {}",
            super::truncate(body, 300)
        ))
    })?;
    // One RRset per name and type; its first record is the one compared (the update
    // replaces the whole set with the one address).
    // The filter is checked again here, so an ignored query parameter cannot make
    // another name's RRset look like ours.
    Ok(sets
        .into_iter()
        .filter(|s| s.subname == sub && s.rtype == rtype.as_str())
        .filter_map(|s| {
            let ttl = s.ttl;
            s.records.into_iter().next().map(|value| Existing {
                id: format!(
                    "{}/{}",
                    if sub.is_empty() { "@" } else { sub },
                    rtype.as_str()
                ),
                value,
                ttl,
                proxied: None,
            })
        })
        .collect())
}

impl Provider for Desec {
    fn key(&self) -> &'static str {
        "desec"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let root = domain.root_ascii();
            let sub = subname(domain);
            let req = self
                .s
                .http
                .get(self.url(&root, ""))
                .query(&[("subname", sub.as_str()), ("type", rtype.as_str())]);
            let body = self.call(req, &root).await?;
            let records = read_records(&body, &sub, rtype)?;
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
            let sub = subname(domain);
            let records = [addr.to_string()];
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Create | Plan::Write => {
                    let body = json!({"subname": sub, "type": rtype.as_str(),
                                      "records": records, "ttl": self.ttl()});
                    let req = self.s.http.post(self.url(&root, "")).json(&body);
                    self.call(req, &root).await.map(|_| ())
                }
                Plan::Update { .. } => {
                    let at = if sub.is_empty() { "@" } else { sub.as_str() };
                    let path = format!("{at}/{}/", rtype.as_str());
                    let body = json!({"records": records, "ttl": self.ttl()});
                    let req = self.s.http.patch(self.url(&root, &path)).json(&body);
                    self.call(req, &root).await.map(|_| ())
                }
            }
        })
    }
}

/// Turns an error answer (`{"detail": …}` or field errors) into a [`ProviderError`].
#[doc(hidden)]
pub fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    root: &str,
) -> ProviderError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let detail = match v.get("detail").and_then(Value::as_str) {
        Some(d) => d.to_string(),
        None => super::truncate(body, 300).to_string(),
    };
    let msg = format!("deSEC answered HTTP {status}: {detail}");
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
            matches!(classify(401, None, r#"{"detail":"Invalid token."}"#, "e.com"), ProviderError::Auth(m) if m.contains("Invalid token."))
        );
        assert!(matches!(
            classify(403, None, "{}", "e.com"),
            ProviderError::Permission(_)
        ));
        assert_eq!(
            classify(404, None, r#"{"detail":"Not found."}"#, "e.com"),
            ProviderError::ZoneNotFound("e.com".into())
        );
        assert!(matches!(
            classify(429, Some(Duration::from_secs(2)), "{}", "e.com"),
            ProviderError::RateLimited {
                retry_after: Some(_),
                ..
            }
        ));
        assert!(
            matches!(classify(400, None, r#"{"ttl":["Ensure this value is greater than or equal to 3600."]}"#, "e.com"), ProviderError::Api(m) if m.contains("3600"))
        );
    }

    #[test]
    fn ttl_is_clamped() {
        assert_eq!(clamp_ttl(60), 3600);
        assert_eq!(clamp_ttl(7200), 7200);
        assert_eq!(clamp_ttl(999_999), 86400);
    }
}
