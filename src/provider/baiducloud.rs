//! Baidu AI Cloud domain service (`baiducloud`, BCD): JSON POSTs signed with `bce-auth-v1`
//! (spec/provider-apis.md §5, ddns-go-behaviour.md §4.3).
//!
//! Lookup is `/v1/domain/resolve/list` (the whole zone, paged); writes are
//! `/v1/domain/resolve/edit` and `/v1/domain/resolve/add`. Fixes over ddns-go: records are
//! matched on host **and** type (ddns-go took the first record of the host, whatever its
//! type, so an AAAA sync could overwrite an A record); the real Host (with its port), the date
//! and the body hash are signed (ddns-go signed a hard-coded `host:bcd.baidubce.com` only).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::sign::bce::BceInput;
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;
use crate::timefmt;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "baiducloud",
    name: "Baidu AI Cloud (百度云)",
    id_label: "AccessKey ID",
    secret_label: "Secret Access Key",
    extparam_label: "",
    help_url: "https://console.bce.baidu.com/iam/#/iam/accesslist",
    help: "An IAM key allowed to manage the domain's resolution (BCD). No params.",
    default_ttl: "300",
    change_only: false,
};

/// The production endpoint.
pub const PRODUCTION: &str = "https://bcd.baidubce.com";
/// ddns-go's default TTL for Baidu.
const DEFAULT_TTL: u32 = 300;
/// Records asked for per page (the API's maximum used by ddns-go).
const PAGE_SIZE: u64 = 1000;
/// Pages read at most, so a broken `totalCount` cannot loop forever.
const MAX_PAGES: u64 = 20;
/// The content type sent (not signed; the body is covered by `x-bce-content-sha256`).
const CONTENT_TYPE: &str = "application/json";

/// A Baidu AI Cloud account.
pub struct BaiduCloud {
    settings: ProviderSettings,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListRequest<'a> {
    domain: &'a str,
    page_num: u64,
    page_size: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListResponse {
    #[serde(default)]
    total_count: u64,
    #[serde(default)]
    pub(super) result: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Record {
    record_id: u64,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    rdtype: String,
    #[serde(default)]
    rdata: String,
    ttl: Option<u32>,
    #[serde(default)]
    view: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WriteRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    record_id: Option<u64>,
    domain: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    view: Option<&'a str>,
    rd_type: &'a str,
    ttl: u32,
    rdata: &'a str,
    zone_name: &'a str,
}

#[derive(Deserialize, Default)]
struct ApiError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

impl BaiduCloud {
    /// Builds the provider from its settings (`id` = AccessKey ID, `secret` = Secret Access
    /// Key).
    pub fn new(settings: ProviderSettings) -> Self {
        BaiduCloud { settings }
    }

    /// Signs and posts `body` to `path`; returns the body of a 2xx answer or the classified
    /// error.
    async fn call(
        &self,
        path: &str,
        body: &impl Serialize,
        zone: &str,
    ) -> Result<String, ProviderError> {
        let payload = serde_json::to_vec(body)
            .map_err(|e| ProviderError::Api(format!("cannot encode the request: {e}")))?;
        let base = self.settings.base(PRODUCTION).trim_end_matches('/');
        let url = url::Url::parse(&format!("{base}{path}"))
            .map_err(|e| ProviderError::Api(format!("invalid Baidu Cloud endpoint {base}: {e}")))?;
        let host = super::sign::host_header(&url)
            .ok_or_else(|| ProviderError::Api(format!("invalid Baidu Cloud endpoint {base}")))?;
        let date = timefmt::civil_from_unix(timefmt::unix_now()).iso8601();
        let sha = hex::encode(Sha256::digest(&payload));
        let auth = BceInput {
            method: "POST",
            path,
            query: &[],
            headers: &[
                ("host", &host),
                ("x-bce-content-sha256", &sha),
                ("x-bce-date", &date),
            ],
            timestamp: &date,
        }
        .authorization(&self.settings.id, &self.settings.secret);
        let req = self
            .settings
            .http
            .post(url)
            .header(reqwest::header::HOST, &host)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("x-bce-date", &date)
            .header("x-bce-content-sha256", &sha)
            .header(reqwest::header::AUTHORIZATION, auth)
            .body(payload);
        answer_body(super::send(req).await?, zone)
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

/// One page of a record list.
pub(super) fn read_page(body: &str) -> Result<ListResponse, ProviderError> {
    serde_json::from_str(body).map_err(|e| {
        ProviderError::Api(format!(
            "Baidu Cloud sent a record list that is not understood ({e})"
        ))
    })
}

/// The records of `host` with the asked type.
pub(super) fn matching(all: Vec<Record>, host: &str, rtype: RecordType) -> Vec<Existing> {
    all.into_iter()
        // ddns-go matched the host only; the type must match too.
        .filter(|r| r.domain.eq_ignore_ascii_case(host))
        .filter(|r| r.rdtype.eq_ignore_ascii_case(rtype.as_str()))
        .map(|r| Existing {
            // The view travels with the id: the edit call needs it back.
            id: format!("{}/{}", r.record_id, r.view),
            value: r.rdata,
            ttl: r.ttl,
            proxied: None,
        })
        .collect()
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
    match err.code.as_str() {
        "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "InvalidHTTPAuthHeader"
        | "RequestExpired" => ProviderError::Auth(detail),
        "AccessDenied" | "AccessDeniedException" => ProviderError::Permission(detail),
        c if status == 429 || c.contains("Throttl") || c.contains("TooManyRequests") => {
            ProviderError::RateLimited {
                retry_after,
                msg: detail,
            }
        }
        c if status == 404
            || (c.contains("Domain") && (c.contains("NotExist") || c.contains("NotFound"))) =>
        {
            ProviderError::ZoneNotFound(zone.to_string())
        }
        _ if status == 401 => ProviderError::Auth(detail),
        _ if status == 403 => ProviderError::Permission(detail),
        _ => ProviderError::Api(format!("Baidu Cloud error {detail}")),
    }
}

impl Provider for BaiduCloud {
    fn key(&self) -> &'static str {
        "baiducloud"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let mut all = Vec::new();
            for page in 1..=MAX_PAGES {
                let req = ListRequest {
                    domain: &domain.root,
                    page_num: page,
                    page_size: PAGE_SIZE,
                };
                let body = self
                    .call("/v1/domain/resolve/list", &req, &domain.root)
                    .await?;
                let resp = read_page(&body)?;
                let got = resp.result.len() as u64;
                all.extend(resp.result);
                if got == 0 || all.len() as u64 >= resp.total_count {
                    break;
                }
            }
            let records = matching(all, domain.sub_or_at(), rtype);
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
            let value = addr.to_string();
            match plan {
                Plan::NoChange { .. } => Ok(()),
                // Lookup always reads the zone, so a blind write would be a caller bug; refuse
                // rather than risk a duplicate record.
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; baiducloud always reads the record first".into(),
                )),
                Plan::Create => {
                    let req = WriteRequest {
                        record_id: None,
                        domain: domain.sub_or_at(),
                        view: None,
                        rd_type: rtype.as_str(),
                        ttl: self.settings.ttl_or(DEFAULT_TTL),
                        rdata: &value,
                        zone_name: &domain.root,
                    };
                    self.call("/v1/domain/resolve/add", &req, &domain.root)
                        .await
                        .map(drop)
                }
                Plan::Update { records } => {
                    for record in records {
                        let (id, view) = record.id.split_once('/').unwrap_or((&record.id, ""));
                        let id = id.parse::<u64>().map_err(|_| {
                            ProviderError::Api(format!("record id \"{id}\" is not a number"))
                        })?;
                        // An empty `ttl` keeps the record's own TTL, as ddns-go does; a
                        // configured one is applied.
                        let ttl = match self.settings.ttl.trim() {
                            "" => record.ttl.unwrap_or(DEFAULT_TTL),
                            _ => self.settings.ttl_or(DEFAULT_TTL),
                        };
                        let req = WriteRequest {
                            record_id: Some(id),
                            domain: domain.sub_or_at(),
                            view: Some(if view.is_empty() { "DEFAULT" } else { view }),
                            rd_type: rtype.as_str(),
                            ttl,
                            rdata: &value,
                            zone_name: &domain.root,
                        };
                        self.call("/v1/domain/resolve/edit", &req, &domain.root)
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

    #[test]
    fn errors_are_classified() {
        let c = |status, code: &str| {
            let e = ApiError {
                code: code.into(),
                message: "m".into(),
            };
            classify(status, &e, "", "example.com", None)
        };
        assert!(
            matches!(c(403, "InvalidAccessKeyId"), ProviderError::Auth(m) if m.contains("InvalidAccessKeyId"))
        );
        assert!(matches!(
            c(400, "SignatureDoesNotMatch"),
            ProviderError::Auth(_)
        ));
        assert!(matches!(
            c(403, "AccessDenied"),
            ProviderError::Permission(_)
        ));
        assert!(matches!(c(429, "x"), ProviderError::RateLimited { .. }));
        assert_eq!(
            c(404, "x"),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert_eq!(
            c(400, "DomainNotExist"),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert_eq!(
            c(500, "InternalError"),
            ProviderError::Api("Baidu Cloud error InternalError: m".into())
        );
    }

    #[test]
    fn write_bodies_use_the_api_field_names() {
        let w = WriteRequest {
            record_id: Some(7),
            domain: "@",
            view: Some("DEFAULT"),
            rd_type: "A",
            ttl: 300,
            rdata: "192.0.2.1",
            zone_name: "example.com",
        };
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"recordId":7,"domain":"@","view":"DEFAULT","rdType":"A","ttl":300,"rdata":"192.0.2.1","zoneName":"example.com"}"#
        );
    }
}
