//! Rainyun (`dns.name: rainyun`, 雨云): a JSON API with the key in the `x-api-key` header.
//! The config's `id` is the numeric Domain ID of the domain at Rainyun, which names the zone;
//! records are read with `GET /product/domain/<id>/dns/`, created with `POST` and updated with
//! `PATCH` to `/product/domain/<id>/dns` (ddns-go-behaviour.md §4.3). Success is `code == 200`.
//!
//! Differences from ddns-go, for correctness: every page of the record list is read (ddns-go
//! reads the first 100 records only, then creates a duplicate of a record it did not see), and
//! a non-numeric `ttl` means the default 600 rather than 0.

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
    key: "rainyun",
    name: "Rainyun (雨云)",
    id_label: "Domain ID",
    secret_label: "API key",
    extparam_label: "",
    help_url: "https://app.rainyun.com/",
    help: "An API key of the account; the ID is the domain's numeric ID in the Rainyun console.",
    default_ttl: "600",
    change_only: false,
};

const PRODUCTION: &str = "https://api.v2.rainyun.com";
const DEFAULT_TTL: u32 = 600;
/// Records per page of the list.
const PAGE_SIZE: usize = 100;
/// Pages read at most (10,000 records), so a misbehaving API cannot keep the client looping.
const MAX_PAGES: usize = 100;
/// Line and priority of a new record (ddns-go's values).
const DEFAULT_LINE: &str = "DEFAULT";
const DEFAULT_LEVEL: i64 = 10;

/// A Rainyun domain reached with an API key (`id` = Domain ID, `secret` = API key).
pub struct Rainyun {
    s: ProviderSettings,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Value,
}

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "TotalRecords", default)]
    total: usize,
    #[serde(rename = "Records", default)]
    records: Option<Vec<Record>>,
}

#[derive(Deserialize, Clone)]
pub(super) struct Record {
    record_id: i64,
    #[serde(default)]
    host: String,
    #[serde(rename = "type", default)]
    rtype: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    ttl: Option<u32>,
    #[serde(default)]
    line: String,
    #[serde(default)]
    level: Option<i64>,
}

impl Rainyun {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Rainyun { s }
    }

    /// The Domain ID, checked to be a number so it can go into the URL path safely.
    fn domain_id(&self) -> Result<&str, ProviderError> {
        let id = self.s.id.trim();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProviderError::Api(
                "Rainyun needs the numeric Domain ID as the ID (Rainyun console → domain → its ID)"
                    .into(),
            ));
        }
        Ok(id)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.s.base(PRODUCTION).trim_end_matches('/'))
    }

    /// Sends one request with the key and returns `data` of a `code == 200` answer.
    async fn call(&self, req: reqwest::RequestBuilder) -> Result<Value, ProviderError> {
        decode(
            super::send(req.header("x-api-key", &self.s.secret)).await?,
            &self.s.id,
        )
    }

    /// Every record of the domain, page by page.
    async fn list(&self, id: &str) -> Result<Vec<Record>, ProviderError> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let (limit, page_no) = (PAGE_SIZE.to_string(), page.to_string());
            let req = self
                .s
                .http
                .get(self.url(&format!("/product/domain/{id}/dns/")))
                .query(&[("limit", limit.as_str()), ("page_no", page_no.as_str())]);
            let data = self.call(req).await?;
            let (records, total) = read_page(data)?;
            let short = records.len() < PAGE_SIZE;
            all.extend(records);
            if short || all.len() >= total {
                break;
            }
        }
        Ok(all)
    }
}

/// The `data` of a `code == 200` answer, or the error the answer carries (`domain_id`, the
/// account's Domain ID, names the zone in a not-found error).
pub(super) fn decode(answer: super::Answer, domain_id: &str) -> Result<Value, ProviderError> {
    let env: Option<Envelope> = serde_json::from_str(&answer.body).ok();
    match env {
        Some(env) if answer.ok() && env.code == 200 => Ok(env.data),
        env => Err(classify(
            domain_id,
            answer.status,
            answer.retry_after,
            env,
            &answer.body,
        )),
    }
}

/// Maps an error answer (HTTP status, and `code`/`message` when the body is the API's JSON).
fn classify(
    domain_id: &str,
    status: u16,
    retry_after: Option<std::time::Duration>,
    env: Option<Envelope>,
    body: &str,
) -> ProviderError {
    let (code, msg) = match &env {
        Some(e) => (e.code, e.message.clone()),
        None => (0, super::truncate(body, 300).to_string()),
    };
    let detail = format!("Rainyun answered HTTP {status}, code {code}: {msg}");
    if status == 429 || code == 429 {
        ProviderError::RateLimited {
            retry_after,
            msg: detail,
        }
    } else if status == 401 || code == 401 {
        ProviderError::Auth(detail)
    } else if status == 403 || code == 403 {
        ProviderError::Permission(detail)
    } else if status == 404 || code == 404 {
        ProviderError::ZoneNotFound(format!("with Domain ID {}", domain_id.trim()))
    } else {
        ProviderError::Api(detail)
    }
}

/// One page of a record list's `data` and the total the API reports.
pub(super) fn read_page(data: Value) -> Result<(Vec<Record>, usize), ProviderError> {
    let p: Page = serde_json::from_value(data).map_err(|e| {
        ProviderError::Api(format!(
            "Rainyun sent a record list that is not understood ({e})"
        ))
    })?;
    Ok((p.records.unwrap_or_default(), p.total))
}

/// True when `r` is the record of `domain` and `rtype` (`@` is the apex; hosts compare without
/// case, as DNS names do).
pub(super) fn matches(r: &Record, domain: &Domain, rtype: RecordType) -> bool {
    r.rtype.eq_ignore_ascii_case(rtype.as_str()) && r.host.eq_ignore_ascii_case(domain.sub_or_at())
}

/// A listed record as the engine sees it.
pub(super) fn existing(r: Record) -> Existing {
    Existing {
        id: r.record_id.to_string(),
        value: r.value,
        ttl: r.ttl,
        proxied: None,
    }
}

impl Provider for Rainyun {
    fn key(&self) -> &'static str {
        "rainyun"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let id = self.domain_id()?;
            let records = self
                .list(id)
                .await?
                .into_iter()
                .filter(|r| matches(r, domain, rtype))
                .map(existing)
                .collect();
            Ok(Lookup::Found {
                zone: Some(id.to_string()),
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
        _lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let id = self.domain_id()?;
            let url = self.url(&format!("/product/domain/{id}/dns"));
            let ttl = self.s.ttl_or(DEFAULT_TTL);
            let host = domain.sub_or_at();
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; rainyun always reads the record first".into(),
                )),
                Plan::Create => {
                    let body = json!({"host": host, "line": DEFAULT_LINE, "level": DEFAULT_LEVEL,
                        "ttl": ttl, "type": rtype.as_str(), "value": addr.to_string(),
                        "record_id": 0});
                    self.call(self.s.http.post(url).json(&body)).await.map(drop)
                }
                Plan::Update { records } => {
                    // The update rewrites line and priority too, so they are read back and kept
                    // (the lookup result carries only id and value).
                    let current = self.list(id).await?;
                    for r in records {
                        let old = current.iter().find(|c| c.record_id.to_string() == r.id);
                        let line = old
                            .map(|c| c.line.as_str())
                            .filter(|l| !l.is_empty())
                            .unwrap_or(DEFAULT_LINE);
                        let level = old.and_then(|c| c.level).unwrap_or(DEFAULT_LEVEL);
                        let record_id: i64 = r.id.parse().map_err(|_| {
                            ProviderError::Api(format!(
                                "Rainyun record id {:?} is not a number",
                                r.id
                            ))
                        })?;
                        let body = json!({"host": host, "line": line, "level": level, "ttl": ttl,
                            "type": rtype.as_str(), "value": addr.to_string(),
                            "record_id": record_id});
                        self.call(self.s.http.patch(&url).json(&body)).await?;
                    }
                    Ok(())
                }
            }
        })
    }
}
