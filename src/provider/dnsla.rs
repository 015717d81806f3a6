//! DNS.LA (`dns.name: dnsla`): a JSON API with HTTP Basic auth (`APIID:API secret`);
//! `GET /api/recordList`, `POST /api/record` (create) and `PUT /api/record` (update)
//! (ddns-go-behaviour.md §4.3).
//!
//! ddns-go talks to `http://api.dns.la`, sending the credentials in clear text; the API is
//! served over HTTPS as well (the go-acme/lego client uses `https://api.dns.la`), so ddns-rs
//! uses HTTPS. Record types are numbers (A = 1, AAAA = 28). Answers must be exactly HTTP 200
//! with `code == 200` inside. Custom params are added to the record-list query, as ddns-go
//! does; the param `id` picks a record when a name has several.

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
    key: "dnsla",
    name: "Dnsla",
    id_label: "APIID",
    secret_label: "API secret",
    extparam_label: "",
    help_url: "https://www.dns.la/",
    help: "The APIID and API secret from the console's API settings. Param: id.",
    default_ttl: "600",
    change_only: false,
};

/// Scheme and host of the real API (HTTPS, unlike ddns-go's plain HTTP).
const PRODUCTION: &str = "https://api.dns.la";
const DEFAULT_TTL: u32 = 600;

/// A DNS.LA account (`id` = APIID, `secret` = API secret).
pub struct Dnsla {
    s: ProviderSettings,
}

/// The `{code, msg, data}` envelope of every answer.
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
struct RecordList {
    #[serde(default)]
    results: Option<Vec<Record>>,
}

#[derive(Deserialize)]
struct Record {
    id: Value,
    #[serde(default)]
    host: String,
    #[serde(rename = "type", default)]
    rtype: i64,
    #[serde(default)]
    data: String,
    #[serde(default)]
    ttl: Option<u32>,
}

/// DNS.LA's number for a record type.
fn type_code(rtype: RecordType) -> i64 {
    match rtype {
        RecordType::A => 1,
        RecordType::Aaaa => 28,
    }
}

impl Dnsla {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Dnsla { s }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.s.base(PRODUCTION).trim_end_matches('/'))
    }

    /// Sends one request with the credentials and returns `data` of a `code == 200` answer.
    async fn call(&self, req: reqwest::RequestBuilder, zone: &str) -> Result<Value, ProviderError> {
        decode(
            super::send(req.basic_auth(&self.s.id, Some(&self.s.secret))).await?,
            zone,
        )
    }
}

/// The records of `host` (`apex`: the name is the zone itself) with the asked type in a
/// record list's `data`.
pub(super) fn read_records(
    data: Value,
    rtype: RecordType,
    host: &str,
    apex: bool,
) -> Result<Vec<Existing>, ProviderError> {
    let list: RecordList = serde_json::from_value(data).map_err(|e| {
        ProviderError::Api(format!(
            "DNS.LA sent a record list that is not understood ({e})"
        ))
    })?;
    // The query filters by host and type already; checking again means a record of
    // another type or host is never rewritten.
    Ok(list
        .results
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.rtype == type_code(rtype))
        // ddns-go checks neither; an apex listed with an empty host is still the apex.
        .filter(|r| r.host.eq_ignore_ascii_case(host) || (apex && r.host.is_empty()))
        .map(|r| Existing {
            id: id_text(&r.id),
            value: r.data,
            ttl: r.ttl,
            proxied: None,
        })
        .collect())
}

/// The `data` of a successful answer, or the error an answer carries.
pub(super) fn decode(answer: super::Answer, zone: &str) -> Result<Value, ProviderError> {
    let env: Option<Envelope> = serde_json::from_str(&answer.body).ok();
    match env {
        Some(env) if answer.status == 200 && env.code == 200 => Ok(env.data),
        env => Err(classify(
            answer.status,
            answer.retry_after,
            env,
            &answer.body,
            zone,
        )),
    }
}

/// Maps an error answer (HTTP status, and `code`/`msg` when the body is the API's JSON).
fn classify(
    status: u16,
    retry_after: Option<std::time::Duration>,
    env: Option<Envelope>,
    body: &str,
    zone: &str,
) -> ProviderError {
    let (code, msg) = match &env {
        Some(e) => (e.code, e.msg.clone()),
        None => (0, super::truncate(body, 300).to_string()),
    };
    let detail = format!("DNS.LA answered HTTP {status}, code {code}: {msg}");
    let lower = msg.to_lowercase();
    if status == 429 || code == 429 {
        ProviderError::RateLimited {
            retry_after,
            msg: detail,
        }
    } else if status == 401 || code == 401 {
        ProviderError::Auth(detail)
    } else if status == 403 || code == 403 {
        ProviderError::Permission(detail)
    } else if lower.contains("域名不存在")
        || lower.contains("domain not found")
        || lower.contains("domain does not exist")
    {
        ProviderError::ZoneNotFound(zone.to_string())
    } else {
        ProviderError::Api(detail)
    }
}

/// A record id as text, whether the API sent it as a string or a number.
fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Provider for Dnsla {
    fn key(&self) -> &'static str {
        "dnsla"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let code = type_code(rtype).to_string();
            let own = [
                ("domain", domain.root.as_str()),
                ("host", domain.sub_or_at()),
                ("type", code.as_str()),
                ("pageIndex", "1"),
                ("pageSize", "999"),
            ];
            // Custom params go into the query too (ddns-go), but never replace the call's own.
            let mut query: Vec<(&str, &str)> = own.to_vec();
            for (k, v) in &domain.params {
                if !own.iter().any(|(o, _)| o.eq_ignore_ascii_case(k)) {
                    query.push((k.as_str(), v.as_str()));
                }
            }
            let req = self.s.http.get(self.url("/api/recordList")).query(&query);
            let data = self.call(req, &domain.root).await?;
            let records = read_records(data, rtype, domain.sub_or_at(), domain.sub.is_empty())?;
            Ok(Lookup::Found {
                zone: None,
                records,
            })
        })
    }

    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        default_plan(domain, lookup, addr, "id")
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
            // ddns-go sends TTL 0 when `ttl` is not a number; the default is what a user means.
            let ttl = self.s.ttl_or(DEFAULT_TTL);
            let host = domain.sub_or_at();
            let url = self.url("/api/record");
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; dnsla always reads the record first".into(),
                )),
                Plan::Create => {
                    let body = json!({"Domain": domain.root, "Host": host,
                        "Type": type_code(rtype), "Data": addr.to_string(), "TTL": ttl});
                    self.call(self.s.http.post(url).json(&body), &domain.root)
                        .await
                        .map(drop)
                }
                Plan::Update { records } => {
                    for r in records {
                        let body = json!({"Id": r.id, "Host": host, "Type": type_code(rtype),
                            "Data": addr.to_string(), "TTL": ttl});
                        self.call(self.s.http.put(&url).json(&body), &domain.root)
                            .await?;
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

    fn env(code: i64, msg: &str) -> Option<Envelope> {
        Some(Envelope {
            code,
            msg: msg.into(),
            data: Value::Null,
        })
    }

    #[test]
    fn errors_are_classified() {
        let c = |status, e| classify(status, None, e, "", "example.com");
        assert!(matches!(c(401, None), ProviderError::Auth(_)));
        assert!(matches!(c(200, env(401, "bad")), ProviderError::Auth(m) if m.contains("bad")));
        assert!(matches!(
            c(200, env(403, "no")),
            ProviderError::Permission(_)
        ));
        assert!(matches!(c(429, None), ProviderError::RateLimited { .. }));
        assert_eq!(
            c(200, env(400, "域名不存在")),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert!(
            matches!(c(500, env(500, "oops")), ProviderError::Api(m) if m.contains("HTTP 500"))
        );
    }

    #[test]
    fn types_are_numbers() {
        assert_eq!(type_code(RecordType::A), 1);
        assert_eq!(type_code(RecordType::Aaaa), 28);
    }
}
