//! HiPM DNSMgr (`dns.name: hipmdnsmgr`): a self-hosted DNS management panel. The config's `id`
//! is the panel's base URL, `secret` an API token sent as `Authorization: Bearer`
//! (ddns-go-behaviour.md §4.3). Calls go to `<base>/api/…` and answer `{code, msg, data}` with
//! `code == 0` on success.
//!
//! ddns-go treats this provider as change-only and writes whenever the address changed since
//! its previous run. The API can list records, so ddns-rs reads the record first like any other
//! provider and writes only when the value differs — no write after a restart when nothing
//! changed. It also names the apex `@` (ddns-go sends an empty name) and checks HTTP statuses.

use std::net::IpAddr;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
    default_plan,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "hipmdnsmgr",
    name: "HiPM DNSMgr",
    id_label: "Base URL",
    secret_label: "API token",
    extparam_label: "",
    help_url: "https://github.com/WUHINS/DNSMgr",
    help: "The panel's address (https://dnsmgr.example.com) and an API token with access to the domain.",
    default_ttl: "600",
    change_only: false,
};

const DEFAULT_TTL: u32 = 600;
const PAGE_SIZE: usize = 100;
/// Pages read at most when paging (ddns-go's limit: 1000 domains or records).
const MAX_PAGES: usize = 10;
/// The panel's line id of the default line.
const DEFAULT_LINE: &str = "0";

/// One panel account (`id` = base URL, `secret` = API token).
pub struct HipmDnsMgr {
    s: ProviderSettings,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    data: Value,
}

#[derive(Deserialize)]
struct DomainEntry {
    id: Value,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
pub(super) struct Record {
    id: Value,
    #[serde(default)]
    name: String,
    #[serde(rename = "type", default)]
    rtype: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    ttl: Option<u32>,
}

/// An id as text, whether sent as a number or a string.
fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The items of a list answer: `data` is either the array itself or `{total, list}`.
fn items<T: for<'de> Deserialize<'de>>(data: Value) -> Result<(Vec<T>, Option<usize>), String> {
    match data {
        Value::Array(_) => serde_json::from_value(data)
            .map(|v| (v, None))
            .map_err(|e| e.to_string()),
        Value::Object(mut o) => {
            let total = o.get("total").and_then(Value::as_u64).map(|t| t as usize);
            let list = o.remove("list").unwrap_or(Value::Array(Vec::new()));
            serde_json::from_value(list)
                .map(|v| (v, total))
                .map_err(|e| e.to_string())
        }
        Value::Null => Ok((Vec::new(), None)),
        other => Err(format!("unexpected {other}")),
    }
}

impl HipmDnsMgr {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        HipmDnsMgr { s }
    }

    /// `<base>/api<path>`, the base being the configured URL without a trailing `/` or `/api`.
    fn url(&self, path: &str) -> Result<String, ProviderError> {
        let base = self.s.endpoint.as_deref().unwrap_or(self.s.id.trim());
        let base = base.trim_end_matches('/');
        let base = base.strip_suffix("/api").unwrap_or(base);
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ProviderError::Api(
                "HiPM DNSMgr needs the panel's address as the ID, e.g. https://dnsmgr.example.com"
                    .into(),
            ));
        }
        Ok(format!("{base}/api{path}"))
    }

    /// Sends one request with the token and returns `data` of a `code == 0` answer.
    async fn call(&self, req: reqwest::RequestBuilder, zone: &str) -> Result<Value, ProviderError> {
        decode(super::send(req.bearer_auth(&self.s.secret)).await?, zone)
    }

    /// The panel's id of domain `root`: a keyword search first, then the domain list page by
    /// page (some panel versions ignore the keyword).
    async fn domain_id(&self, root: &str) -> Result<String, ProviderError> {
        let find = |list: Vec<DomainEntry>| {
            list.into_iter()
                .find(|d| d.name.eq_ignore_ascii_case(root))
                .map(|d| id_text(&d.id))
        };
        let req = self.s.http.get(self.url("/domains")?).query(&[
            ("page", "1"),
            ("pageSize", "1"),
            ("keyword", root),
        ]);
        let (list, _) =
            items(self.call(req, "").await?).map_err(|e| not_understood("domain list", &e))?;
        if let Some(id) = find(list) {
            return Ok(id);
        }
        for page in 1..=MAX_PAGES {
            let (size, n) = (PAGE_SIZE.to_string(), page.to_string());
            let req = self
                .s
                .http
                .get(self.url("/domains")?)
                .query(&[("page", n.as_str()), ("pageSize", size.as_str())]);
            let (list, total) =
                items(self.call(req, "").await?).map_err(|e| not_understood("domain list", &e))?;
            let short = list.len() < PAGE_SIZE;
            if let Some(id) = find(list) {
                return Ok(id);
            }
            if short || total.is_some_and(|t| page * PAGE_SIZE >= t) {
                break;
            }
        }
        Err(ProviderError::ZoneNotFound(root.to_string()))
    }
}

/// One page of a record list's `data` and the total the panel reports.
pub(super) fn record_page(data: Value) -> Result<(Vec<Record>, Option<usize>), ProviderError> {
    items::<Record>(data).map_err(|e| not_understood("record list", &e))
}

/// The records of `name` (`apex`: the name is the zone itself) with the asked type.
pub(super) fn matching(
    list: Vec<Record>,
    rtype: RecordType,
    name: &str,
    apex: bool,
) -> impl Iterator<Item = Existing> {
    list.into_iter()
        .filter(move |r| r.rtype.eq_ignore_ascii_case(rtype.as_str()))
        // The apex may be listed as "@" or as an empty name.
        .filter(move |r| r.name.eq_ignore_ascii_case(name) || (apex && r.name.is_empty()))
        .map(|r| Existing {
            id: id_text(&r.id),
            value: r.value,
            ttl: r.ttl,
            proxied: None,
        })
}

fn not_understood(what: &str, e: &str) -> ProviderError {
    ProviderError::Api(format!(
        "HiPM DNSMgr sent a {what} that is not understood ({e})"
    ))
}

/// The `data` of a successful answer, or the error an answer carries.
pub(super) fn decode(answer: super::Answer, zone: &str) -> Result<Value, ProviderError> {
    let env: Option<Envelope> = serde_json::from_str(&answer.body).ok();
    let (code, msg) = match env {
        Some(env) if answer.ok() && env.code == 0 => return Ok(env.data),
        Some(env) => (Some(env.code), env.msg),
        None => (None, super::truncate(&answer.body, 300).to_string()),
    };
    let detail = format!(
        "HiPM DNSMgr answered HTTP {}{}: {msg}",
        answer.status,
        code.map(|c| format!(", code {c}")).unwrap_or_default()
    );
    Err(match (answer.status, code) {
        (429, _) => ProviderError::RateLimited {
            retry_after: answer.retry_after,
            msg: detail,
        },
        (401, _) | (_, Some(401)) => ProviderError::Auth(detail),
        (403, _) | (_, Some(403)) => ProviderError::Permission(detail),
        (404, _) | (_, Some(404)) if !zone.is_empty() => {
            ProviderError::ZoneNotFound(zone.to_string())
        }
        _ => ProviderError::Api(detail),
    })
}

impl Provider for HipmDnsMgr {
    fn key(&self) -> &'static str {
        "hipmdnsmgr"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let zone_id = self.domain_id(&domain.root).await?;
            let path = format!("/domains/{}/records", urlencode(&zone_id));
            let mut records = Vec::new();
            for page in 1..=MAX_PAGES {
                let (size, n) = (PAGE_SIZE.to_string(), page.to_string());
                let req = self.s.http.get(self.url(&path)?).query(&[
                    ("page", n.as_str()),
                    ("pageSize", size.as_str()),
                    ("subdomain", domain.sub_or_at()),
                    ("type", rtype.as_str()),
                ]);
                let (list, total) = record_page(self.call(req, &domain.root).await?)?;
                let short = list.len() < PAGE_SIZE;
                records.extend(matching(
                    list,
                    rtype,
                    domain.sub_or_at(),
                    domain.sub.is_empty(),
                ));
                if short || total.is_some_and(|t| page * PAGE_SIZE >= t) {
                    break;
                }
            }
            Ok(Lookup::Found {
                zone: Some(zone_id),
                records,
            })
        })
    }

    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        default_plan(domain, lookup, addr, "RecordId")
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
            let zone_id = match lookup {
                Lookup::Found { zone: Some(z), .. } => z.clone(),
                _ => self.domain_id(&domain.root).await?,
            };
            let path = format!("/domains/{}/records", urlencode(&zone_id));
            let body = json!({"name": domain.sub_or_at(), "type": rtype.as_str(),
                "value": addr.to_string(), "ttl": self.s.ttl_or(DEFAULT_TTL),
                "line": DEFAULT_LINE});
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; hipmdnsmgr always reads the record first".into(),
                )),
                Plan::Create => {
                    let req = self.s.http.post(self.url(&path)?).json(&body);
                    self.call(req, &domain.root).await.map(drop)
                }
                Plan::Update { records } => {
                    for r in records {
                        let url = self.url(&format!("{path}/{}", urlencode(&r.id)))?;
                        self.call(self.s.http.put(url).json(&body), &domain.root)
                            .await?;
                    }
                    Ok(())
                }
            }
        })
    }
}

/// Percent-encodes an id for use as one path segment (ids come from the panel's answers).
fn urlencode(s: &str) -> String {
    super::sign::aliyun::percent_encode(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_answers_in_both_shapes() {
        let (a, t): (Vec<DomainEntry>, _) = items(json!([{"id": 3, "name": "a.com"}])).unwrap();
        assert_eq!((id_text(&a[0].id).as_str(), t), ("3", None));
        let (b, t): (Vec<DomainEntry>, _) =
            items(json!({"total": 7, "list": [{"id": "x", "name": "b.com"}]})).unwrap();
        assert_eq!((b[0].name.as_str(), t), ("b.com", Some(7)));
        assert!(items::<DomainEntry>(json!("nope")).is_err());
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(urlencode("a/b?c"), "a%2Fb%3Fc");
    }
}
