//! Volcengine TrafficRoute DNS (`trafficroute`): OpenAPI calls signed with Volcengine v4
//! (region `cn-north-1`, service `DNS`; spec/provider-apis.md §6, ddns-go-behaviour.md §4.3).
//!
//! Lookup is `ListZones` (the zone id) then `ListRecords` (exact host and type); writes are
//! `UpdateRecord` and `CreateRecord`. Fix over ddns-go: when the zone is not found the sync
//! stops with a clear error instead of carrying on with zone id 0.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::sign::volcengine::{self, VolcInput};
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;
use crate::timefmt;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "trafficroute",
    name: "Volcengine TrafficRoute (火山引擎)",
    id_label: "AccessKey ID",
    secret_label: "Secret Access Key",
    extparam_label: "",
    help_url: "https://console.volcengine.com/iam/keymanage/",
    help: "An IAM user with TrafficRouteDNSFullAccess. No params.",
    default_ttl: "600",
    change_only: false,
};

/// The production endpoint.
pub const PRODUCTION: &str = "https://open.volcengineapi.com";
/// API version.
const VERSION: &str = "2018-08-01";
/// ddns-go's default TTL for TrafficRoute.
const DEFAULT_TTL: u32 = 600;
/// The content type sent and signed.
const CONTENT_TYPE: &str = "application/json";
/// Line of created records.
const DEFAULT_LINE: &str = "default";

/// A Volcengine account.
pub struct TrafficRoute {
    settings: ProviderSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    #[serde(default)]
    response_metadata: Metadata,
    result: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    error: Option<ApiError>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ApiError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Zones {
    #[serde(default)]
    zones: Vec<Zone>,
}

#[derive(Deserialize)]
struct Zone {
    #[serde(rename = "ZID")]
    zid: u64,
    #[serde(rename = "ZoneName", default)]
    zone_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Records {
    #[serde(default)]
    records: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    #[serde(rename = "RecordID")]
    record_id: String,
    #[serde(default)]
    host: String,
    #[serde(rename = "Type", default)]
    rtype: String,
    #[serde(default)]
    value: String,
    #[serde(rename = "TTL")]
    ttl: Option<u32>,
    #[serde(default)]
    line: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Write<'a> {
    #[serde(rename = "ZID", skip_serializing_if = "Option::is_none")]
    zid: Option<u64>,
    #[serde(rename = "RecordID", skip_serializing_if = "Option::is_none")]
    record_id: Option<&'a str>,
    host: &'a str,
    #[serde(rename = "Type")]
    rtype: &'a str,
    value: &'a str,
    #[serde(rename = "TTL")]
    ttl: u32,
    line: &'a str,
}

#[derive(Deserialize)]
struct Created {
    #[serde(rename = "RecordID", default)]
    record_id: String,
}

impl TrafficRoute {
    /// Builds the provider from its settings (`id` = AccessKey ID, `secret` = Secret Access
    /// Key).
    pub fn new(settings: ProviderSettings) -> Self {
        TrafficRoute { settings }
    }

    /// Signs and sends `action` (GET with `params` in the query, or POST with `body`); returns
    /// the `Result` object of a successful answer or the classified error.
    async fn call(
        &self,
        action: &str,
        params: &[(&str, String)],
        body: Option<Vec<u8>>,
        zone: &str,
    ) -> Result<serde_json::Value, ProviderError> {
        let mut query: Vec<(String, String)> = vec![
            ("Action".into(), action.into()),
            ("Version".into(), VERSION.into()),
        ];
        query.extend(params.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let base = self.settings.base(PRODUCTION).trim_end_matches('/');
        let text = format!("{base}/?{}", volcengine::canonical_query(&query));
        let url = url::Url::parse(&text)
            .map_err(|e| ProviderError::Api(format!("invalid Volcengine endpoint {base}: {e}")))?;
        let host = super::sign::host_header(&url)
            .ok_or_else(|| ProviderError::Api(format!("invalid Volcengine endpoint {base}")))?;
        let method = if body.is_some() { "POST" } else { "GET" };
        let payload = body.unwrap_or_default();
        let date = timefmt::civil_from_unix(timefmt::unix_now()).compact();
        let sha = volcengine::content_sha256(&payload);
        let auth = VolcInput {
            method,
            query: &query,
            headers: &[
                ("Content-Type", CONTENT_TYPE),
                ("Host", &host),
                ("X-Content-Sha256", &sha),
                ("X-Date", &date),
            ],
            payload: &payload,
            date: &date,
            region: volcengine::REGION,
            service: volcengine::SERVICE,
        }
        .authorization(&self.settings.id, &self.settings.secret);
        let builder = if method == "POST" {
            self.settings.http.post(url)
        } else {
            self.settings.http.get(url)
        };
        let req = builder
            .header(reqwest::header::HOST, &host)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("X-Date", &date)
            .header("X-Content-Sha256", &sha)
            .header(reqwest::header::AUTHORIZATION, auth)
            .body(payload);
        decode(super::send(req).await?, zone)
    }

    /// The ZID of the zone named exactly `root`.
    async fn zone_id(&self, domain: &Domain) -> Result<u64, ProviderError> {
        let result = self
            .call(
                "ListZones",
                &[("Key", domain.root.clone())],
                None,
                &domain.root,
            )
            .await?;
        zone_of(result, &domain.root)
    }
}

/// The `Result` of a successful answer, or the error the answer carries.
pub(super) fn decode(
    answer: super::Answer,
    zone: &str,
) -> Result<serde_json::Value, ProviderError> {
    let env: Option<Envelope> = serde_json::from_str(&answer.body).ok();
    match env {
        Some(Envelope {
            response_metadata: Metadata {
                error: Some(err), ..
            },
            ..
        }) if !err.code.is_empty() => Err(classify(answer.status, &err, zone, answer.retry_after)),
        Some(Envelope {
            result: Some(result),
            ..
        }) if answer.ok() => Ok(result),
        _ if answer.status == 429 => Err(ProviderError::RateLimited {
            retry_after: answer.retry_after,
            msg: format!("HTTP 429: {}", super::truncate(&answer.body, 300)),
        }),
        _ => Err(ProviderError::Api(format!(
            "Volcengine answered HTTP {}: {}",
            answer.status,
            super::truncate(&answer.body, 300)
        ))),
    }
}

/// The ZID of the zone named exactly `root` in a `ListZones` result.
pub(super) fn zone_of(result: serde_json::Value, root: &str) -> Result<u64, ProviderError> {
    let zones: Zones = parse(result, "zone list")?;
    zones
        .zones
        .into_iter()
        .find(|z| z.zone_name.eq_ignore_ascii_case(root))
        .map(|z| z.zid)
        // ddns-go went on with ZID 0 here; stopping is the only safe answer.
        .ok_or_else(|| ProviderError::ZoneNotFound(root.to_string()))
}

/// The records of `host` with the asked type in a `ListRecords` result.
pub(super) fn read_records(
    result: serde_json::Value,
    host: &str,
    rtype: RecordType,
) -> Result<Vec<Existing>, ProviderError> {
    let list: Records = parse(result, "record list")?;
    Ok(list
        .records
        .into_iter()
        .filter(|r| r.host.eq_ignore_ascii_case(host))
        .filter(|r| r.rtype.eq_ignore_ascii_case(rtype.as_str()))
        .map(|r| Existing {
            // The line travels with the id: the update must keep it.
            id: format!("{}/{}", r.record_id, r.line),
            value: r.value,
            ttl: r.ttl,
            proxied: None,
        })
        .collect())
}

fn parse<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
    what: &str,
) -> Result<T, ProviderError> {
    serde_json::from_value(v).map_err(|e| {
        ProviderError::Api(format!(
            "Volcengine sent a {what} that is not understood ({e})"
        ))
    })
}

/// Maps a Volcengine error to the error a user can act on.
fn classify(
    status: u16,
    err: &ApiError,
    zone: &str,
    retry_after: Option<std::time::Duration>,
) -> ProviderError {
    let detail = format!("{}: {}", err.code, super::truncate(&err.message, 300));
    match err.code.as_str() {
        "InvalidAccessKey"
        | "SignatureDoesNotMatch"
        | "InvalidCredential"
        | "InvalidAuthorization"
        | "InvalidTimestamp"
        | "MissingSignature" => ProviderError::Auth(detail),
        "AccessDenied" | "Forbidden" => ProviderError::Permission(detail),
        "ZoneNotFound" | "InvalidParameter.ZoneNotFound" => {
            ProviderError::ZoneNotFound(zone.to_string())
        }
        c if status == 429 || c.contains("LimitExceeded") || c.contains("Throttl") => {
            ProviderError::RateLimited {
                retry_after,
                msg: detail,
            }
        }
        _ if status == 401 => ProviderError::Auth(detail),
        _ if status == 403 => ProviderError::Permission(detail),
        _ => ProviderError::Api(format!("Volcengine error {detail}")),
    }
}

impl Provider for TrafficRoute {
    fn key(&self) -> &'static str {
        "trafficroute"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let zid = self.zone_id(domain).await?;
            let host = domain.sub_or_at();
            let params = [
                ("ZID", zid.to_string()),
                ("Host", host.to_string()),
                ("Type", rtype.as_str().to_string()),
                ("SearchMode", "exact".to_string()),
                ("PageNumber", "1".to_string()),
                ("PageSize", "500".to_string()),
            ];
            let result = self
                .call("ListRecords", &params, None, &domain.root)
                .await?;
            let records = read_records(result, host, rtype)?;
            Ok(Lookup::Found {
                zone: Some(zid.to_string()),
                records,
            })
        })
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
            let value = addr.to_string();
            let ttl = self.settings.ttl_or(DEFAULT_TTL);
            let encode = |w: &Write| {
                serde_json::to_vec(w)
                    .map_err(|e| ProviderError::Api(format!("cannot encode the request: {e}")))
            };
            match plan {
                Plan::NoChange { .. } => Ok(()),
                // Lookup always reads the zone, so a blind write would be a caller bug; refuse
                // rather than risk a duplicate record.
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; trafficroute always reads the record first".into(),
                )),
                Plan::Create => {
                    let zid = match lookup {
                        Lookup::Found { zone: Some(z), .. } => z.parse::<u64>().ok(),
                        _ => None,
                    };
                    let zid = match zid {
                        Some(z) => z,
                        None => self.zone_id(domain).await?,
                    };
                    let body = encode(&Write {
                        zid: Some(zid),
                        record_id: None,
                        host: domain.sub_or_at(),
                        rtype: rtype.as_str(),
                        value: &value,
                        ttl,
                        line: DEFAULT_LINE,
                    })?;
                    let result = self
                        .call("CreateRecord", &[], Some(body), &domain.root)
                        .await?;
                    let created: Created = parse(result, "create answer")?;
                    if created.record_id.is_empty() {
                        return Err(ProviderError::Api(format!(
                            "Volcengine did not confirm the creation of {} (no RecordID)",
                            domain.name()
                        )));
                    }
                    Ok(())
                }
                Plan::Update { records } => {
                    for record in records {
                        let (id, line) = record.id.split_once('/').unwrap_or((&record.id, ""));
                        let body = encode(&Write {
                            zid: None,
                            record_id: Some(id),
                            host: domain.sub_or_at(),
                            rtype: rtype.as_str(),
                            value: &value,
                            ttl,
                            line: if line.is_empty() { DEFAULT_LINE } else { line },
                        })?;
                        self.call("UpdateRecord", &[], Some(body), &domain.root)
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
            classify(status, &e, "example.com", None)
        };
        assert!(
            matches!(c(401, "InvalidAccessKey"), ProviderError::Auth(m) if m.contains("InvalidAccessKey"))
        );
        assert!(matches!(
            c(403, "SignatureDoesNotMatch"),
            ProviderError::Auth(_)
        ));
        assert!(matches!(
            c(403, "AccessDenied"),
            ProviderError::Permission(_)
        ));
        assert!(matches!(
            c(429, "FlowLimitExceeded"),
            ProviderError::RateLimited { .. }
        ));
        assert_eq!(
            c(404, "ZoneNotFound"),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert_eq!(
            c(500, "InternalError"),
            ProviderError::Api("Volcengine error InternalError: m".into())
        );
    }

    #[test]
    fn write_bodies_use_the_api_field_names() {
        let w = Write {
            zid: Some(5),
            record_id: None,
            host: "@",
            rtype: "A",
            value: "192.0.2.1",
            ttl: 600,
            line: "default",
        };
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"ZID":5,"Host":"@","Type":"A","Value":"192.0.2.1","TTL":600,"Line":"default"}"#
        );
    }
}
