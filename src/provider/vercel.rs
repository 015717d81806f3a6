//! Vercel DNS (`dns.name: vercel`, `https://api.vercel.com`): bearer token, records listed
//! per domain, updated by record id, created per domain.
//!
//! `extparam` is the team id: every request then carries `?teamId=<extparam>`, as a token of a
//! team member needs it to reach the team's domains.
//!
//! Fixed ddns-go quirk: ddns-go matched the record by name only, so an A update could rewrite
//! the AAAA record of the same name (and the apex never matched). Here a record matches when its
//! name is the sub-domain (`""` for the apex, as Vercel lists it) and its type is the type
//! being published.

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
    key: "vercel",
    name: "Vercel",
    id_label: "",
    secret_label: "Token",
    extparam_label: "Team ID",
    help_url: "https://vercel.com/account/tokens",
    help: "A token scoped to the team that owns the domain; put the team id (team_…) in Team ID \
           when the domain belongs to a team.",
    default_ttl: "60",
    change_only: false,
};

const PRODUCTION: &str = "https://api.vercel.com";
/// Vercel's default and minimum TTL.
const MIN_TTL: u32 = 60;
/// Records asked for per page (Vercel's maximum), and the most pages read, so a huge zone
/// cannot keep a sync busy forever.
const PAGE: &str = "100";
const MAX_PAGES: usize = 50;

/// A Vercel account or team reached with one token (`secret`; `extparam` = team id).
pub struct Vercel {
    s: ProviderSettings,
}

#[derive(Deserialize)]
struct RecordList {
    /// Required: Vercel's API reference lists `records` as a required field of the answer
    /// (an empty zone gives `[]`). Missing, it is an error, never "no records", which would
    /// make the engine create a second record next to the existing one.
    records: Option<Vec<VRecord>>,
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    /// Timestamp to pass as `until` for the next page; null on the last one.
    next: Option<i64>,
}

#[derive(Deserialize)]
struct VRecord {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    ttl: Option<u32>,
}

impl Vercel {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Vercel { s }
    }

    fn ttl(&self) -> u32 {
        self.s.ttl_or(MIN_TTL).max(MIN_TTL)
    }

    /// A request to `path` with the bearer token and, when set, the team id.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", self.s.base(PRODUCTION));
        let mut req = self.s.http.request(method, url).bearer_auth(&self.s.secret);
        let team = self.s.extparam.trim();
        if !team.is_empty() {
            req = req.query(&[("teamId", team)]);
        }
        req
    }

    /// Sends `req` and returns the body of a 2xx answer.
    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        root: &str,
    ) -> Result<String, ProviderError> {
        let a = super::send(req).await?;
        if a.ok() {
            Ok(a.body)
        } else {
            Err(classify(a.status, a.retry_after, &a.body, root))
        }
    }
}

/// The records named `sub` with the asked type on one page of a record list, and the
/// `until` mark of the next page if there is one.
pub(super) fn read_page(
    body: &str,
    sub: &str,
    rtype: RecordType,
) -> Result<(Vec<Existing>, Option<i64>), ProviderError> {
    let page: RecordList = serde_json::from_str(body).map_err(|_| {
        ProviderError::Api(format!(
            "Vercel answered a record list that cannot be read: {}",
            super::truncate(body, 300)
        ))
    })?;
    let Some(records) = page.records else {
        return Err(ProviderError::Api(format!(
            "Vercel answered a record list without its `records` field: {}",
            super::truncate(body, 300)
        )));
    };
    let found = records
        .into_iter()
        .filter(|r| r.rtype == rtype.as_str() && r.name.eq_ignore_ascii_case(sub))
        .map(|r| Existing {
            id: r.id,
            value: r.value,
            ttl: r.ttl,
            proxied: None,
        })
        .collect();
    Ok((found, page.pagination.and_then(|p| p.next)))
}

impl Provider for Vercel {
    fn key(&self) -> &'static str {
        "vercel"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let root = domain.root_ascii();
            let sub = sub_ascii(domain);
            let path = format!("/v4/domains/{root}/records");
            let mut records = Vec::new();
            let mut until: Option<i64> = None;
            for _ in 0..MAX_PAGES {
                let mut req = self
                    .request(reqwest::Method::GET, &path)
                    .query(&[("limit", PAGE)]);
                if let Some(u) = until {
                    req = req.query(&[("until", u)]);
                }
                let body = self.call(req, &root).await?;
                let (found, next) = read_page(&body, &sub, rtype)?;
                records.extend(found);
                match next {
                    Some(next) => until = Some(next),
                    None => break,
                }
            }
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
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Create | Plan::Write => {
                    let body = json!({
                        "name": sub_ascii(domain),
                        "type": rtype.as_str(),
                        "value": addr.to_string(),
                        "ttl": self.ttl(),
                        "comment": "Created by ddns-rs",
                    });
                    let path = format!("/v2/domains/{root}/records");
                    let req = self.request(reqwest::Method::POST, &path).json(&body);
                    self.call(req, &root).await.map(|_| ())
                }
                Plan::Update { records } => {
                    let body = json!({"value": addr.to_string(), "ttl": self.ttl()});
                    for r in records {
                        let path = format!("/v1/domains/records/{}", r.id);
                        let req = self.request(reqwest::Method::PATCH, &path).json(&body);
                        self.call(req, &root).await.map_err(|e| gone(e, &r.id))?;
                    }
                    Ok(())
                }
            }
        })
    }
}

/// The sub-domain as Vercel names records: ASCII (punycode) and `""` for the apex.
fn sub_ascii(domain: &Domain) -> String {
    let full = domain.to_ascii();
    let root = domain.root_ascii();
    full.strip_suffix(&root)
        .map(|s| s.trim_end_matches('.').to_string())
        .unwrap_or_default()
}

/// A 404 on a record written by id means the record was deleted since the lookup, not that
/// the zone is missing.
fn gone(e: ProviderError, id: &str) -> ProviderError {
    match e {
        ProviderError::ZoneNotFound(_) => ProviderError::Api(format!(
            "Vercel record {id} no longer exists; the next sync creates it again"
        )),
        other => other,
    }
}

/// Turns an error answer (`{"error":{"code","message","invalidToken"?}}`) into a
/// [`ProviderError`].
pub(super) fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    root: &str,
) -> ProviderError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let err = &v["error"];
    let code = err["code"].as_str().unwrap_or_default();
    let message = err["message"].as_str().unwrap_or_default();
    let msg = if code.is_empty() && message.is_empty() {
        format!(
            "Vercel answered HTTP {status}: {}",
            super::truncate(body, 300)
        )
    } else {
        format!(
            "Vercel answered HTTP {status}: {code}: {}",
            super::truncate(message, 300)
        )
    };
    match status {
        429 => ProviderError::RateLimited { retry_after, msg },
        401 => ProviderError::Auth(msg),
        // A bad or expired token is a 403 flagged `invalidToken`; a valid token without access
        // to the team or domain is a plain 403.
        403 if err["invalidToken"].as_bool() == Some(true) => ProviderError::Auth(msg),
        403 => ProviderError::Permission(msg),
        404 if code == "not_found" || code.is_empty() => {
            ProviderError::ZoneNotFound(root.to_string())
        }
        _ => ProviderError::Api(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_list_without_records_is_an_error() {
        for body in [
            r#"{"pagination":{"count":0,"next":null}}"#,
            r#"{"records":null}"#,
        ] {
            assert!(
                matches!(read_page(body, "www", RecordType::A), Err(ProviderError::Api(m)) if m.contains("without its `records`")),
                "{body}"
            );
        }
        let (found, next) = read_page(
            r#"{"records":[],"pagination":{"count":0,"next":null}}"#,
            "www",
            RecordType::A,
        )
        .unwrap();
        assert!(found.is_empty());
        assert_eq!(next, None);
        let (found, next) = read_page(
            r#"{"records":[{"id":"rec_1","name":"www","type":"A","value":"192.0.2.1","ttl":60}],"pagination":{"next":17}}"#,
            "www",
            RecordType::A,
        )
        .unwrap();
        assert_eq!(
            (found[0].id.as_str(), found[0].value.as_str()),
            ("rec_1", "192.0.2.1")
        );
        assert_eq!(next, Some(17));
    }

    #[test]
    fn sub_names_are_relative_and_empty_at_the_apex() {
        let d = |sub: &str| Domain {
            sub: sub.into(),
            root: "example.com".into(),
            params: vec![],
        };
        assert_eq!(sub_ascii(&d("")), "");
        assert_eq!(sub_ascii(&d("www")), "www");
        assert_eq!(sub_ascii(&d("a.b")), "a.b");
        assert_eq!(sub_ascii(&d("*")), "*");
        assert_eq!(sub_ascii(&d("bücher")), "xn--bcher-kva");
    }

    #[test]
    fn errors_are_classified() {
        let bad =
            r#"{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}"#;
        assert!(
            matches!(classify(403, None, bad, "e.com"), ProviderError::Auth(m) if m.contains("Not authorized"))
        );
        let team = r#"{"error":{"code":"forbidden","message":"You don't have permission"}}"#;
        assert!(matches!(
            classify(403, None, team, "e.com"),
            ProviderError::Permission(_)
        ));
        let nf = r#"{"error":{"code":"not_found","message":"Domain not found"}}"#;
        assert_eq!(
            classify(404, None, nf, "e.com"),
            ProviderError::ZoneNotFound("e.com".into())
        );
        assert!(matches!(
            classify(429, Some(Duration::from_secs(3)), "{}", "e.com"),
            ProviderError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 3
        ));
        let other = r#"{"error":{"code":"invalid_value","message":"bad ttl"}}"#;
        assert!(
            matches!(classify(400, None, other, "e.com"), ProviderError::Api(m) if m.contains("invalid_value: bad ttl"))
        );
    }
}
