//! Huawei Cloud DNS (`huaweicloud`): REST calls signed with APIG "SDK-HMAC-SHA256"
//! (spec/provider-apis.md §4, ddns-go-behaviour.md §4.3).
//!
//! Lookup is `GET /v2.1/recordsets?name=<fqdn.>&type=<T>` (a fuzzy search, so names are
//! compared exactly here), or `GET /v2.1/zones/<zone_id>/recordsets/<recordset_id>` when both
//! custom params are given. Create finds the zone with `GET /v2/zones?name=<root>` and POSTs
//! the record set; update PUTs it. Unlike ddns-go, ddns-rs signs `content-type;host;x-sdk-date`
//! (§20.3) and never creates a record in a zone whose name is not exactly the root.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::sign::huawei::{self, HuaweiInput};
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;
use crate::timefmt;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "huaweicloud",
    name: "Huawei Cloud (华为云)",
    id_label: "Access Key Id",
    secret_label: "Secret Access Key",
    extparam_label: "",
    help_url: "https://console.huaweicloud.com/iam/?locale=zh-cn#/mine/accessKey",
    help: "An IAM user with DNS FullAccess. Params: zone_id, recordset_id (and any ListRecordSets filter).",
    default_ttl: "300",
    change_only: false,
};

/// The production endpoint.
pub const PRODUCTION: &str = "https://dns.myhuaweicloud.com";
/// ddns-go's default TTL for Huawei Cloud.
const DEFAULT_TTL: u32 = 300;
/// The content type sent and signed.
const CONTENT_TYPE: &str = "application/json";

/// A Huawei Cloud account.
pub struct HuaweiCloud {
    settings: ProviderSettings,
}

#[derive(Deserialize, Clone)]
pub(super) struct RecordSet {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(rename = "type", default)]
    rtype: String,
    #[serde(default)]
    records: Vec<String>,
    ttl: Option<u32>,
    #[serde(default)]
    zone_id: String,
}

#[derive(Deserialize)]
pub(super) struct RecordSets {
    // Required: an error body with a success status must not read as "no record sets", or
    // the next step would create a duplicate.
    pub(super) recordsets: Vec<RecordSet>,
}

#[derive(Deserialize)]
struct Zone {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Zones {
    // Required, for the same reason as `RecordSets::recordsets`.
    zones: Vec<Zone>,
}

#[derive(Serialize)]
struct Write<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    rtype: &'a str,
    records: [String; 1],
    ttl: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<u32>,
}

/// Both error shapes: APIG's `error_code`/`error_msg` and the DNS service's `code`/`message`.
#[derive(Deserialize, Default)]
struct ApiError {
    #[serde(default, alias = "error_code")]
    code: String,
    #[serde(default, alias = "error_msg")]
    message: String,
}

impl HuaweiCloud {
    /// Builds the provider from its settings (`id` = Access Key Id, `secret` = Secret Access
    /// Key).
    pub fn new(settings: ProviderSettings) -> Self {
        HuaweiCloud { settings }
    }

    /// Signs and sends one request; returns the body of a 2xx answer or the classified error.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Vec<u8>>,
        zone: &str,
    ) -> Result<String, ProviderError> {
        let base = self.settings.base(PRODUCTION).trim_end_matches('/');
        let canonical_query = huawei::canonical_query(query);
        let mut text = format!("{base}{path}");
        if !canonical_query.is_empty() {
            text = format!("{text}?{canonical_query}");
        }
        let url = url::Url::parse(&text).map_err(|e| {
            ProviderError::Api(format!("invalid Huawei Cloud endpoint {base}: {e}"))
        })?;
        let host = super::sign::host_header(&url)
            .ok_or_else(|| ProviderError::Api(format!("invalid Huawei Cloud endpoint {base}")))?;
        let date = timefmt::civil_from_unix(timefmt::unix_now()).compact();
        let payload = body.unwrap_or_default();
        let auth = HuaweiInput {
            method: method.as_str(),
            path,
            query,
            headers: &[
                ("Content-Type", CONTENT_TYPE),
                ("Host", &host),
                ("X-Sdk-Date", &date),
            ],
            payload: &payload,
            date: &date,
        }
        .authorization(&self.settings.id, &self.settings.secret);
        let req = self
            .settings
            .http
            .request(method, url)
            .header(reqwest::header::HOST, &host)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("X-Sdk-Date", &date)
            .header(reqwest::header::AUTHORIZATION, auth)
            .body(payload);
        answer_body(super::send(req).await?, zone)
    }

    /// The zone id for writes: the `zone_id` param, else the zone named exactly `root.`.
    async fn zone_id(&self, domain: &Domain) -> Result<String, ProviderError> {
        if let Some(z) = domain.param("zone_id") {
            return Ok(z.to_string());
        }
        let query = [("name".to_string(), domain.root.clone())];
        let body = self
            .call(
                reqwest::Method::GET,
                "/v2/zones",
                &query,
                None,
                &domain.root,
            )
            .await?;
        zone_of(&body, &domain.root)
    }

    /// Checks that a write answer carries the new address, as ddns-go does.
    pub(super) fn confirm(body: &str, domain: &Domain, addr: IpAddr) -> Result<(), ProviderError> {
        let set: RecordSet = parse(body, "write answer")?;
        match set.records.first() {
            Some(v) if super::same_address(v, addr) => Ok(()),
            _ => Err(ProviderError::Api(format!(
                "Huawei Cloud did not confirm the write of {} (the answer does not hold {addr})",
                domain.name()
            ))),
        }
    }
}

/// The body of a successful answer, or the error an error answer carries.
pub(super) fn answer_body(answer: super::Answer, zone: &str) -> Result<String, ProviderError> {
    if answer.ok() {
        return Ok(answer.body);
    }
    let err: ApiError = serde_json::from_str(&answer.body).unwrap_or_default();
    Err(classify(
        answer.status,
        &err,
        &answer.body,
        zone,
        answer.retry_after,
    ))
}

/// The id of the zone named exactly `root.` in a zone search answer.
pub(super) fn zone_of(body: &str, root: &str) -> Result<String, ProviderError> {
    let zones: Zones = parse(body, "zone list")?;
    let want = format!("{root}.");
    // ddns-go falls back to the first zone of the fuzzy search, which may be another
    // domain's zone; only the exact zone is safe to write into.
    zones
        .zones
        .into_iter()
        .find(|z| z.name.eq_ignore_ascii_case(&want))
        .map(|z| z.id)
        .ok_or_else(|| ProviderError::ZoneNotFound(root.to_string()))
}

/// The record sets named exactly `want` (`<fqdn>.`) with the asked type.
pub(super) fn matching(sets: Vec<RecordSet>, want: &str, rtype: RecordType) -> Vec<Existing> {
    sets.into_iter()
        // The search is fuzzy: `www.example.com.` also finds `www.example.com.cn.`.
        .filter(|s| s.name.eq_ignore_ascii_case(want))
        .filter(|s| s.rtype.eq_ignore_ascii_case(rtype.as_str()))
        .map(|s| Existing {
            // The zone travels with the id: the update URL needs both.
            id: format!("{}/{}", s.zone_id, s.id),
            value: s.records.first().cloned().unwrap_or_default(),
            ttl: s.ttl,
            proxied: None,
        })
        .collect()
}

pub(super) fn parse<'a, T: Deserialize<'a>>(body: &'a str, what: &str) -> Result<T, ProviderError> {
    serde_json::from_str(body).map_err(|e| {
        ProviderError::Api(format!(
            "Huawei Cloud sent a {what} that is not understood ({e})"
        ))
    })
}

/// `<fqdn>.` as Huawei names record sets (the apex is the root itself).
fn fqdn(domain: &Domain) -> String {
    format!("{}.", domain.name())
}

/// Maps an error answer to the error a user can act on.
fn classify(
    status: u16,
    err: &ApiError,
    body: &str,
    zone: &str,
    retry_after: Option<std::time::Duration>,
) -> ProviderError {
    let detail = if err.code.is_empty() {
        format!("HTTP {status}: {}", super::truncate(body, 300))
    } else {
        format!("{}: {}", err.code, super::truncate(&err.message, 300))
    };
    match (status, err.code.as_str()) {
        (401, _) | (_, "APIG.0301" | "APIG.0302" | "APIG.0303" | "APIG.0305") => {
            ProviderError::Auth(detail)
        }
        (429, _) | (_, "APIG.0308") => ProviderError::RateLimited {
            retry_after,
            msg: detail,
        },
        (403, _) => ProviderError::Permission(detail),
        (_, "DNS.0101" | "DNS.0302") => ProviderError::ZoneNotFound(zone.to_string()),
        _ => ProviderError::Api(format!("Huawei Cloud error {detail}")),
    }
}

impl Provider for HuaweiCloud {
    fn key(&self) -> &'static str {
        "huaweicloud"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let sets: Vec<RecordSet> = match (domain.param("zone_id"), domain.param("recordset_id"))
            {
                (Some(zone), Some(id)) => {
                    let path = format!("/v2.1/zones/{zone}/recordsets/{id}");
                    let body = self
                        .call(reqwest::Method::GET, &path, &[], None, &domain.root)
                        .await?;
                    vec![parse(&body, "record set")?]
                }
                _ => {
                    // Every custom param is a ListRecordSets filter; `recordset_id` is spelled
                    // `id` there.
                    let mut query: Vec<(String, String)> = domain
                        .params
                        .iter()
                        .map(|(k, v)| {
                            let k = if k == "recordset_id" { "id" } else { k };
                            (k.to_string(), v.clone())
                        })
                        .filter(|(k, _)| k != "name" && k != "type")
                        .collect();
                    query.push(("name".into(), fqdn(domain)));
                    query.push(("type".into(), rtype.as_str().into()));
                    let body = self
                        .call(
                            reqwest::Method::GET,
                            "/v2.1/recordsets",
                            &query,
                            None,
                            &domain.root,
                        )
                        .await?;
                    parse::<RecordSets>(&body, "record set list")?.recordsets
                }
            };
            let records = matching(sets, &fqdn(domain), rtype);
            if records.is_empty()
                && let Some(id) = domain.param("recordset_id")
            {
                return Err(ProviderError::Api(format!(
                    "record set {id} of {} was not found; remove the recordset_id parameter to \
                     let ddns-rs create the record",
                    domain.name()
                )));
            }
            Ok(Lookup::Found {
                zone: None,
                records,
            })
        })
    }

    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        let Lookup::Found { records, .. } = lookup else {
            return Plan::Write;
        };
        let chosen = match domain.param("recordset_id") {
            Some(id) => records.iter().find(|r| r.id.rsplit('/').next() == Some(id)),
            None => records.first(),
        };
        match chosen {
            None => Plan::Create,
            Some(r) if super::same_address(&r.value, addr) => Plan::NoChange {
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
        rtype: RecordType,
        _lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let name = fqdn(domain);
            let write = |weight| {
                serde_json::to_vec(&Write {
                    name: &name,
                    rtype: rtype.as_str(),
                    records: [addr.to_string()],
                    ttl: self.settings.ttl_or(DEFAULT_TTL),
                    weight,
                })
                .map_err(|e| ProviderError::Api(format!("cannot encode the request: {e}")))
            };
            match plan {
                Plan::NoChange { .. } => Ok(()),
                // Lookup always reads the zone, so a blind write would be a caller bug; refuse
                // rather than risk a duplicate record.
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; huaweicloud always reads the record first".into(),
                )),
                Plan::Create => {
                    let zone = self.zone_id(domain).await?;
                    let path = format!("/v2.1/zones/{zone}/recordsets");
                    let body = self
                        .call(
                            reqwest::Method::POST,
                            &path,
                            &[],
                            Some(write(Some(1))?),
                            &domain.root,
                        )
                        .await?;
                    Self::confirm(&body, domain, addr)
                }
                Plan::Update { records } => {
                    for record in records {
                        let (zone, id) = record.id.rsplit_once('/').unwrap_or(("", &record.id));
                        let zone = match zone {
                            "" => self.zone_id(domain).await?,
                            z => z.to_string(),
                        };
                        let path = format!("/v2.1/zones/{zone}/recordsets/{id}");
                        let body = self
                            .call(
                                reqwest::Method::PUT,
                                &path,
                                &[],
                                Some(write(None)?),
                                &domain.root,
                            )
                            .await?;
                        Self::confirm(&body, domain, addr)?;
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

    fn err(code: &str) -> ApiError {
        ApiError {
            code: code.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn errors_are_classified() {
        let c = |status, code| classify(status, &err(code), "", "example.com", None);
        assert!(matches!(c(401, "APIG.0301"), ProviderError::Auth(m) if m.contains("APIG.0301")));
        assert!(matches!(c(400, "APIG.0303"), ProviderError::Auth(_)));
        assert!(matches!(c(403, "DNS.0030"), ProviderError::Permission(_)));
        assert!(matches!(
            c(429, "APIG.0308"),
            ProviderError::RateLimited { .. }
        ));
        assert_eq!(
            c(404, "DNS.0101"),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert_eq!(
            c(500, "DNS.0001"),
            ProviderError::Api("Huawei Cloud error DNS.0001: m".into())
        );
        let raw = classify(502, &ApiError::default(), "bad gateway", "z", None);
        assert_eq!(
            raw,
            ProviderError::Api("Huawei Cloud error HTTP 502: bad gateway".into())
        );
    }

    #[test]
    fn both_error_shapes_parse() {
        let a: ApiError =
            serde_json::from_str(r#"{"error_code":"APIG.0301","error_msg":"x","request_id":"r"}"#)
                .unwrap();
        assert_eq!((a.code.as_str(), a.message.as_str()), ("APIG.0301", "x"));
        let b: ApiError = serde_json::from_str(r#"{"code":"DNS.0302","message":"y"}"#).unwrap();
        assert_eq!((b.code.as_str(), b.message.as_str()), ("DNS.0302", "y"));
    }

    #[test]
    fn names_are_fqdns_with_a_dot() {
        let d = Domain {
            sub: String::new(),
            root: "example.com".into(),
            params: vec![],
        };
        assert_eq!(fqdn(&d), "example.com.");
    }
}
