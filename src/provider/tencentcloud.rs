//! Tencent Cloud DNSPod API 3.0 (`tencentcloud`): JSON POSTs signed with TC3-HMAC-SHA256
//! (spec/provider-apis.md §2, ddns-go-behaviour.md §4.3).
//!
//! Lookup is `DescribeRecordList`; writes are `ModifyRecord` and `CreateRecord`. The line comes
//! from the custom parameter `RecordLine` (default `默认`, the default line). Errors arrive in an
//! HTTP 200 body, so every answer is inspected.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::sign::tc3::Tc3Input;
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;
use crate::timefmt;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "tencentcloud",
    name: "Tencent Cloud DNSPod (腾讯云)",
    id_label: "SecretId",
    secret_label: "SecretKey",
    extparam_label: "",
    help_url: "https://console.cloud.tencent.com/cam/capi",
    help: "A CAM key with QcloudDNSPodFullAccess. Params: RecordLine, RecordId.",
    default_ttl: "600",
    change_only: false,
};

/// The production endpoint.
pub const PRODUCTION: &str = "https://dnspod.tencentcloudapi.com";
/// API version sent in `X-TC-Version`.
const VERSION: &str = "2021-03-23";
/// Service name of the credential scope; stays `dnspod` even when the endpoint is overridden.
const SERVICE: &str = "dnspod";
/// The content type, byte for byte as the official SDKs send and sign it.
const CONTENT_TYPE: &str = "application/json";
/// ddns-go's default TTL for Tencent Cloud.
const DEFAULT_TTL: u32 = 600;
/// The default line's name.
const DEFAULT_LINE: &str = "默认";

/// A Tencent Cloud account.
pub struct TencentCloud {
    settings: ProviderSettings,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Describe<'a> {
    domain: &'a str,
    /// The API spells this one field with a lower-case `d`.
    #[serde(rename = "Subdomain")]
    subdomain: &'a str,
    record_type: &'a str,
    record_line: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Write<'a> {
    domain: &'a str,
    sub_domain: &'a str,
    record_type: &'a str,
    record_line: &'a str,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    record_id: Option<u64>,
    #[serde(rename = "TTL")]
    ttl: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    response: Body,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Body {
    error: Option<ApiError>,
    /// Present in every `DescribeRecordList` success: without `ErrorOnEmpty` (never sent) an
    /// empty result is the `ResourceNotFound.NoDataOfRecord` error, not a success.
    record_list: Option<Vec<Record>>,
    record_id: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ApiError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Record {
    record_id: u64,
    #[serde(rename = "Type", default)]
    rtype: String,
    #[serde(default)]
    value: String,
    #[serde(rename = "TTL")]
    ttl: Option<u32>,
}

impl TencentCloud {
    /// Builds the provider from its settings (`id` = SecretId, `secret` = SecretKey).
    pub fn new(settings: ProviderSettings) -> Self {
        TencentCloud { settings }
    }

    /// Signs and posts `body` as `action`; returns the `Response` object of a successful
    /// answer, or the classified error.
    async fn call(
        &self,
        zone: &str,
        action: &str,
        body: &impl Serialize,
    ) -> Result<Body, ProviderError> {
        self.call_raw(action, body)
            .await?
            .map_err(|e| classify(&e.code, &e.message, zone))
    }

    /// Like [`Self::call`], but hands back the API's own error (outer error: no usable answer).
    async fn call_raw(
        &self,
        action: &str,
        body: &impl Serialize,
    ) -> Result<Result<Body, ApiError>, ProviderError> {
        let payload = serde_json::to_vec(body)
            .map_err(|e| ProviderError::Api(format!("cannot encode the request: {e}")))?;
        let base = self.settings.base(PRODUCTION).trim_end_matches('/');
        let url = url::Url::parse(&format!("{base}/")).map_err(|e| {
            ProviderError::Api(format!("invalid Tencent Cloud endpoint {base}: {e}"))
        })?;
        // Sign the Host exactly as it is sent: with the port only when it is not the default.
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => {
                return Err(ProviderError::Api(format!(
                    "invalid Tencent Cloud endpoint {base}"
                )));
            }
        };
        let timestamp = timefmt::unix_now();
        let auth = Tc3Input {
            method: "POST",
            query: "",
            content_type: CONTENT_TYPE,
            host: &host,
            payload: &payload,
            timestamp,
            service: SERVICE,
        }
        .authorization(&self.settings.id, &self.settings.secret);

        let req = self
            .settings
            .http
            .post(url)
            .header(reqwest::header::HOST, &host)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(reqwest::header::AUTHORIZATION, auth)
            .header("X-TC-Action", action)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Version", VERSION)
            .body(payload);
        decode(super::send(req).await?)
    }

    fn line(domain: &Domain) -> &str {
        domain.param("RecordLine").unwrap_or(DEFAULT_LINE)
    }
}

/// The `Response` of an answer: its body, or the API's own error (outer error: no usable
/// answer).
pub(super) fn decode(answer: super::Answer) -> Result<Result<Body, ApiError>, ProviderError> {
    let super::Answer {
        status, body: text, ..
    } = answer;
    let parsed: Option<Envelope> = serde_json::from_str(&text).ok();
    let success = (200..300).contains(&status);
    match parsed {
        // "No records" counts only in a 2xx answer: a proxy's or a failing gateway's page that
        // happens to carry the code must not make the engine create a second record.
        Some(Envelope {
            response: Body {
                error: Some(err), ..
            },
        }) if success || err.code != NO_DATA => Ok(Err(err)),
        Some(Envelope { response }) if success => Ok(Ok(response)),
        _ => Err(ProviderError::Api(format!(
            "Tencent Cloud answered HTTP {status}: {}",
            super::truncate(&text, 300)
        ))),
    }
}

/// The error code `DescribeRecordList` answers when no record matches.
const NO_DATA: &str = "ResourceNotFound.NoDataOfRecord";

/// The records with the asked type of a `DescribeRecordList` answer (the "no data" error is
/// an empty list).
pub(super) fn read_records(
    answer: Result<Body, ApiError>,
    rtype: RecordType,
    zone: &str,
) -> Result<Vec<Existing>, ProviderError> {
    let list = match answer {
        Ok(Body {
            record_list: Some(list),
            ..
        }) => list,
        // A success without its list would read as "no records" and create a duplicate.
        Ok(_) => {
            return Err(ProviderError::Api(
                "Tencent Cloud DescribeRecordList answered success without a RecordList; \
                 nothing was changed, the next sync asks again"
                    .into(),
            ));
        }
        // The API reports an empty list as an error; it only means "create".
        Err(e) if e.code == NO_DATA => Vec::new(),
        Err(e) => return Err(classify(&e.code, &e.message, zone)),
    };
    Ok(list
        .into_iter()
        // The query already filters by type; checking again keeps other records safe.
        .filter(|r| r.rtype.eq_ignore_ascii_case(rtype.as_str()))
        .map(|r| Existing {
            id: r.record_id.to_string(),
            value: r.value,
            ttl: r.ttl,
            proxied: None,
        })
        .collect())
}

/// Maps a Tencent Cloud error code to the error a user can act on.
fn classify(code: &str, message: &str, zone: &str) -> ProviderError {
    let detail = format!("{code}: {message}");
    match code {
        c if c.starts_with("AuthFailure") => ProviderError::Auth(detail),
        c if c.starts_with("UnauthorizedOperation") => ProviderError::Permission(detail),
        "ResourceNotFound.NoDataOfDomain"
        | "InvalidParameter.DomainInvalid"
        | "InvalidParameterValue.DomainNotExists" => ProviderError::ZoneNotFound(zone.to_string()),
        "LimitExceeded.RequestLimitExceeded" | "RequestLimitExceeded" => {
            ProviderError::RateLimited {
                retry_after: None,
                msg: detail,
            }
        }
        _ => ProviderError::Api(format!("Tencent Cloud error {detail}")),
    }
}

impl Provider for TencentCloud {
    fn key(&self) -> &'static str {
        "tencentcloud"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let body = Describe {
                domain: &domain.root,
                subdomain: domain.sub_or_at(),
                record_type: rtype.as_str(),
                record_line: Self::line(domain),
            };
            let records = read_records(
                self.call_raw("DescribeRecordList", &body).await?,
                rtype,
                &domain.root,
            )?;
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
            let write = |record_id| Write {
                domain: &domain.root,
                sub_domain: domain.sub_or_at(),
                record_type: rtype.as_str(),
                record_line: Self::line(domain),
                value: &value,
                record_id,
                ttl: self.settings.ttl_or(DEFAULT_TTL),
            };
            let confirm = |resp: Body| match resp.record_id {
                Some(_) => Ok(()),
                None => Err(ProviderError::Api(format!(
                    "Tencent Cloud did not confirm the write of {} (no RecordId in the answer)",
                    domain.name()
                ))),
            };
            match plan {
                Plan::NoChange { .. } => Ok(()),
                // Lookup always reads the zone, so a blind write would be a caller bug; refuse
                // rather than risk a duplicate record.
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; tencentcloud always reads the record first".into(),
                )),
                Plan::Create => confirm(
                    self.call(&domain.root, "CreateRecord", &write(None))
                        .await?,
                ),
                Plan::Update { records } => {
                    for record in records {
                        let id = record.id.parse::<u64>().map_err(|_| {
                            ProviderError::Api(format!(
                                "record id \"{}\" is not a number; check the RecordId parameter",
                                record.id
                            ))
                        })?;
                        confirm(
                            self.call(&domain.root, "ModifyRecord", &write(Some(id)))
                                .await?,
                        )?;
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

    fn answer(status: u16, body: &str) -> super::super::Answer {
        super::super::Answer {
            status,
            body: body.into(),
            retry_after: None,
        }
    }

    fn lookup(status: u16, body: &str) -> Result<Vec<Existing>, ProviderError> {
        read_records(decode(answer(status, body))?, RecordType::A, "example.com")
    }

    #[test]
    fn a_success_without_a_record_list_is_an_error() {
        let r = lookup(200, r#"{"Response":{"RequestId":"r"}}"#);
        assert!(
            matches!(&r, Err(ProviderError::Api(m)) if m.contains("without a RecordList")),
            "{r:?}"
        );
        assert!(matches!(
            lookup(200, r#"{"Response":{"RecordList":null,"RequestId":"r"}}"#),
            Err(ProviderError::Api(_))
        ));
        assert!(
            lookup(200, r#"{"Response":{"RecordList":[],"RequestId":"r"}}"#)
                .unwrap()
                .is_empty()
        );
        let found = lookup(
            200,
            r#"{"Response":{"RecordList":[{"RecordId":5,"Type":"A","Value":"192.0.2.1","TTL":600}],"RequestId":"r"}}"#,
        )
        .unwrap();
        assert_eq!((found[0].id.as_str(), found[0].ttl), ("5", Some(600)));
    }

    #[test]
    fn no_data_means_no_records_only_in_a_success_answer() {
        let body = r#"{"Response":{"Error":{"Code":"ResourceNotFound.NoDataOfRecord","Message":"empty"},"RequestId":"r"}}"#;
        assert!(lookup(200, body).unwrap().is_empty());
        for status in [500, 502, 404] {
            let r = lookup(status, body);
            assert!(
                matches!(&r, Err(ProviderError::Api(m)) if m.contains(&format!("HTTP {status}"))),
                "{status}: {r:?}"
            );
        }
        // Other error codes keep their meaning whatever the status.
        let auth =
            r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"m"}}}"#;
        assert!(matches!(lookup(500, auth), Err(ProviderError::Auth(_))));
    }

    #[test]
    fn error_codes_are_classified() {
        let c = |code| classify(code, "m", "example.com");
        assert!(
            matches!(c("AuthFailure.SecretIdNotFound"), ProviderError::Auth(m) if m.contains("SecretIdNotFound"))
        );
        assert!(matches!(
            c("AuthFailure.SignatureFailure"),
            ProviderError::Auth(_)
        ));
        assert!(matches!(
            c("UnauthorizedOperation.NotLogin"),
            ProviderError::Permission(_)
        ));
        for z in [
            "ResourceNotFound.NoDataOfDomain",
            "InvalidParameter.DomainInvalid",
            "InvalidParameterValue.DomainNotExists",
        ] {
            assert_eq!(c(z), ProviderError::ZoneNotFound("example.com".into()));
        }
        assert!(matches!(
            c("LimitExceeded.RequestLimitExceeded"),
            ProviderError::RateLimited { .. }
        ));
        assert!(matches!(
            c("RequestLimitExceeded"),
            ProviderError::RateLimited { .. }
        ));
        assert_eq!(
            c("InternalError"),
            ProviderError::Api("Tencent Cloud error InternalError: m".into())
        );
    }

    #[test]
    fn bodies_use_the_api_field_names() {
        let d = Describe {
            domain: "example.com",
            subdomain: "@",
            record_type: "A",
            record_line: "默认",
        };
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"Domain":"example.com","Subdomain":"@","RecordType":"A","RecordLine":"默认"}"#
        );
        let w = Write {
            domain: "example.com",
            sub_domain: "*",
            record_type: "AAAA",
            record_line: "电信",
            value: "2001:db8::1",
            record_id: Some(7),
            ttl: 600,
        };
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"Domain":"example.com","SubDomain":"*","RecordType":"AAAA","RecordLine":"电信","Value":"2001:db8::1","RecordId":7,"TTL":600}"#
        );
    }
}
