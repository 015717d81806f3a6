//! Tencent EdgeOne (`edgeone`): DNS records of an EdgeOne site, through the `teo` API 3.0
//! (version 2022-09-01) signed with TC3-HMAC-SHA256, service `teo` (ddns-go-behaviour.md §4.3).
//!
//! Lookup is `DescribeZones` (the site id of the punycode root) then `DescribeDnsRecords`
//! filtered by punycode name and type; writes are `ModifyDnsRecords` and `CreateDnsRecord`.
//! Custom params: `RecordId` (which record), `Location` (resolution line, default `Default`).
//! With `GroupId` or `OriginGroupName` the address goes into an origin group instead
//! (module `origin`).

pub(super) mod origin;

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
    key: "edgeone",
    name: "Tencent EdgeOne",
    id_label: "SecretId",
    secret_label: "SecretKey",
    extparam_label: "",
    help_url: "https://console.cloud.tencent.com/cam/capi",
    help: "A CAM key with QcloudTEOFullAccess. Params: RecordId, Location; GroupId or OriginGroupName (+ ZoneId, Weight) for an origin group.",
    default_ttl: "600",
    change_only: false,
};

/// The production endpoint.
pub const PRODUCTION: &str = "https://teo.tencentcloudapi.com";
/// API version sent in `X-TC-Version`.
const VERSION: &str = "2022-09-01";
/// Service name of the credential scope.
const SERVICE: &str = "teo";
/// The content type, byte for byte as the official SDKs send and sign it.
const CONTENT_TYPE: &str = "application/json";
/// ddns-go's default TTL for EdgeOne.
const DEFAULT_TTL: u32 = 600;
/// The default resolution line.
const DEFAULT_LOCATION: &str = "Default";

/// An EdgeOne account.
pub struct EdgeOne {
    settings: ProviderSettings,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Filter<'a> {
    name: &'a str,
    values: [&'a str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeZones<'a> {
    filters: [Filter<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRecords<'a> {
    zone_id: &'a str,
    filters: [Filter<'a>; 2],
    limit: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordWrite<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    record_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    zone_id: Option<&'a str>,
    name: &'a str,
    #[serde(rename = "Type")]
    rtype: &'a str,
    content: &'a str,
    location: &'a str,
    #[serde(rename = "TTL")]
    ttl: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ModifyRecords<'a> {
    zone_id: &'a str,
    dns_records: [RecordWrite<'a>; 1],
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
    #[serde(default)]
    zones: Vec<Zone>,
    /// Present in every `DescribeDnsRecords` success (Tencent Cloud API 3.0 answers an empty
    /// list as `[]`); missing, the lookup is an error rather than "no records".
    dns_records: Option<Vec<Record>>,
    record_id: Option<String>,
    request_id: Option<String>,
    /// Kept as JSON so a rewrite can send every origin field back unchanged.
    #[serde(default)]
    origin_groups: Vec<serde_json::Value>,
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
struct Zone {
    zone_id: String,
    #[serde(default)]
    zone_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    record_id: String,
    #[serde(default)]
    name: String,
    #[serde(rename = "Type", default)]
    rtype: String,
    #[serde(default)]
    content: String,
    #[serde(rename = "TTL")]
    ttl: Option<u32>,
    #[serde(default)]
    status: String,
}

impl EdgeOne {
    /// Builds the provider from its settings (`id` = SecretId, `secret` = SecretKey).
    pub fn new(settings: ProviderSettings) -> Self {
        EdgeOne { settings }
    }

    /// Signs and posts `body` as `action`; returns the `Response` object of a successful
    /// answer, or the classified error.
    async fn call(
        &self,
        zone: &str,
        action: &str,
        body: &impl Serialize,
    ) -> Result<Body, ProviderError> {
        let payload = serde_json::to_vec(body)
            .map_err(|e| ProviderError::Api(format!("cannot encode the request: {e}")))?;
        let base = self.settings.base(PRODUCTION).trim_end_matches('/');
        let url = url::Url::parse(&format!("{base}/"))
            .map_err(|e| ProviderError::Api(format!("invalid EdgeOne endpoint {base}: {e}")))?;
        let host = super::sign::host_header(&url)
            .ok_or_else(|| ProviderError::Api(format!("invalid EdgeOne endpoint {base}")))?;
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
        decode(super::send(req).await?, zone)
    }

    /// The site (zone) id of the punycode root, which must match exactly.
    async fn zone_id(&self, root: &str) -> Result<String, ProviderError> {
        let req = DescribeZones {
            filters: [Filter {
                name: "zone-name",
                values: [root],
            }],
        };
        let body = self.call(root, "DescribeZones", &req).await?;
        zone_of(body, root)
    }
}

/// The `Response` of a successful answer, or the error the answer carries.
pub(super) fn decode(answer: super::Answer, zone: &str) -> Result<Body, ProviderError> {
    match serde_json::from_str::<Envelope>(&answer.body).ok() {
        Some(Envelope {
            response: Body {
                error: Some(err), ..
            },
        }) => Err(classify(&err.code, &err.message, zone, answer.retry_after)),
        Some(Envelope { response }) if answer.ok() => Ok(response),
        _ if answer.status == 429 => Err(ProviderError::RateLimited {
            retry_after: answer.retry_after,
            msg: format!("HTTP 429: {}", super::truncate(&answer.body, 300)),
        }),
        _ => Err(ProviderError::Api(format!(
            "EdgeOne answered HTTP {}: {}",
            answer.status,
            super::truncate(&answer.body, 300)
        ))),
    }
}

/// The id of the site named exactly `root` in a `DescribeZones` response.
pub(super) fn zone_of(body: Body, root: &str) -> Result<String, ProviderError> {
    body.zones
        .into_iter()
        .find(|z| z.zone_name.eq_ignore_ascii_case(root))
        .map(|z| z.zone_id)
        .ok_or_else(|| ProviderError::ZoneNotFound(root.to_string()))
}

/// The records named `name` with the asked type in a `DescribeDnsRecords` response. A
/// success without `DnsRecords` is an error: read as "no records" it would make the engine
/// create a second record next to the existing one.
pub(super) fn read_records(
    body: Body,
    name: &str,
    rtype: RecordType,
) -> Result<Vec<Existing>, ProviderError> {
    let Some(list) = body.dns_records else {
        return Err(ProviderError::Api(format!(
            "EdgeOne DescribeDnsRecords answered success without DnsRecords (request {}); \
             nothing was changed, the next sync asks again",
            body.request_id.as_deref().unwrap_or("without an id")
        )));
    };
    Ok(list
        .into_iter()
        .filter(|r| r.name.eq_ignore_ascii_case(name))
        .filter(|r| r.rtype.eq_ignore_ascii_case(rtype.as_str()))
        .map(|r| Existing {
            // The status travels with the id: the plan prefers enabled records.
            id: format!("{}/{}", r.record_id, r.status),
            value: r.content,
            ttl: r.ttl,
            proxied: None,
        })
        .collect())
}

/// Maps a Tencent Cloud error code to the error a user can act on.
fn classify(
    code: &str,
    message: &str,
    zone: &str,
    retry_after: Option<std::time::Duration>,
) -> ProviderError {
    let detail = format!("{code}: {}", super::truncate(message, 300));
    match code {
        c if c.starts_with("AuthFailure") => ProviderError::Auth(detail),
        c if c.starts_with("UnauthorizedOperation") || c.starts_with("OperationDenied") => {
            ProviderError::Permission(detail)
        }
        "ResourceNotFound" | "InvalidParameter.ZoneNotFound" | "ResourceNotFound.ZoneNotFound" => {
            ProviderError::ZoneNotFound(zone.to_string())
        }
        c if c.starts_with("RequestLimitExceeded") || c.starts_with("LimitExceeded.RateLimit") => {
            ProviderError::RateLimited {
                retry_after,
                msg: detail,
            }
        }
        _ => ProviderError::Api(format!("EdgeOne error {detail}")),
    }
}

impl Provider for EdgeOne {
    fn key(&self) -> &'static str {
        "edgeone"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            if origin::wanted(domain) {
                return origin::lookup(self, domain).await;
            }
            let root = domain.root_ascii();
            let zone_id = self.zone_id(&root).await?;
            let name = domain.to_ascii();
            let req = DescribeRecords {
                zone_id: &zone_id,
                filters: [
                    Filter {
                        name: "name",
                        values: [&name],
                    },
                    Filter {
                        name: "type",
                        values: [rtype.as_str()],
                    },
                ],
                limit: 1000,
            };
            let body = self.call(&root, "DescribeDnsRecords", &req).await?;
            let records = read_records(body, &name, rtype)?;
            Ok(Lookup::Found {
                zone: Some(zone_id),
                records,
            })
        })
    }

    /// ddns-go's choice: the `RecordId` record; else the first enabled record, or a disabled
    /// one that already holds the address (left as it is).
    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        if origin::wanted(domain) {
            return origin::plan(domain, lookup, addr);
        }
        let Lookup::Found { records, .. } = lookup else {
            return Plan::Write;
        };
        let id_of = |r: &Existing| r.id.split('/').next().unwrap_or("").to_string();
        let status_of = |r: &Existing| r.id.rsplit('/').next().unwrap_or("").to_string();
        let chosen = match domain.param("RecordId") {
            Some(id) => records.iter().find(|r| id_of(r) == id),
            None => records.iter().find(|r| {
                status_of(r) == "enable"
                    || (status_of(r) == "disable" && super::same_address(&r.value, addr))
            }),
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
        lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            if origin::wanted(domain) {
                return origin::apply(self, domain, lookup, plan, addr).await;
            }
            let root = domain.root_ascii();
            let zone_id = match lookup {
                Lookup::Found { zone: Some(z), .. } => z.clone(),
                _ => self.zone_id(&root).await?,
            };
            let name = domain.to_ascii();
            let value = addr.to_string();
            let location = domain.param("Location").unwrap_or(DEFAULT_LOCATION);
            let ttl = self.settings.ttl_or(DEFAULT_TTL);
            match plan {
                Plan::NoChange { .. } => Ok(()),
                // Lookup always reads the zone, so a blind write would be a caller bug; refuse
                // rather than risk a duplicate record.
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; edgeone always reads the record first".into(),
                )),
                Plan::Create => {
                    let req = RecordWrite {
                        record_id: None,
                        zone_id: Some(&zone_id),
                        name: &name,
                        rtype: rtype.as_str(),
                        content: &value,
                        location,
                        ttl,
                    };
                    let body = self.call(&root, "CreateDnsRecord", &req).await?;
                    match body.record_id {
                        Some(id) if !id.is_empty() => Ok(()),
                        _ => Err(ProviderError::Api(format!(
                            "EdgeOne did not confirm the creation of {} (no RecordId)",
                            domain.name()
                        ))),
                    }
                }
                Plan::Update { records } => {
                    for record in records {
                        let id = record.id.split('/').next().unwrap_or("");
                        let req = ModifyRecords {
                            zone_id: &zone_id,
                            dns_records: [RecordWrite {
                                record_id: Some(id),
                                zone_id: None,
                                name: &name,
                                rtype: rtype.as_str(),
                                content: &value,
                                location,
                                ttl,
                            }],
                        };
                        let body = self.call(&root, "ModifyDnsRecords", &req).await?;
                        if body.request_id.is_none() {
                            return Err(ProviderError::Api(format!(
                                "EdgeOne did not confirm the update of {}",
                                domain.name()
                            )));
                        }
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

    fn lookup(body: &str) -> Result<Vec<Existing>, ProviderError> {
        let a = super::super::Answer {
            status: 200,
            body: body.into(),
            retry_after: None,
        };
        read_records(decode(a, "example.com")?, "www.example.com", RecordType::A)
    }

    #[test]
    fn a_success_without_dns_records_is_an_error() {
        let r = lookup(r#"{"Response":{"TotalCount":0,"RequestId":"req-9"}}"#);
        assert!(
            matches!(&r, Err(ProviderError::Api(m)) if m.contains("without DnsRecords") && m.contains("req-9")),
            "{r:?}"
        );
        assert!(matches!(
            lookup(r#"{"Response":{"DnsRecords":null,"RequestId":"r"}}"#),
            Err(ProviderError::Api(_))
        ));
        assert!(
            lookup(r#"{"Response":{"TotalCount":0,"DnsRecords":[],"RequestId":"r"}}"#)
                .unwrap()
                .is_empty()
        );
        let found = lookup(
            r#"{"Response":{"TotalCount":1,"DnsRecords":[{"RecordId":"rec-1","Name":"www.example.com","Type":"A","Content":"192.0.2.1","TTL":300,"Status":"enable"}],"RequestId":"r"}}"#,
        )
        .unwrap();
        assert_eq!(
            (found[0].id.as_str(), found[0].value.as_str(), found[0].ttl),
            ("rec-1/enable", "192.0.2.1", Some(300))
        );
    }

    #[test]
    fn error_codes_are_classified() {
        let c = |code| classify(code, "m", "example.com", None);
        assert!(matches!(
            c("AuthFailure.SignatureFailure"),
            ProviderError::Auth(_)
        ));
        assert!(matches!(
            c("UnauthorizedOperation.CamUnauthorized"),
            ProviderError::Permission(_)
        ));
        assert_eq!(
            c("ResourceNotFound"),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert!(matches!(
            c("RequestLimitExceeded"),
            ProviderError::RateLimited { .. }
        ));
        assert_eq!(
            c("InternalError"),
            ProviderError::Api("EdgeOne error InternalError: m".into())
        );
    }

    #[test]
    fn bodies_use_the_api_field_names() {
        let m = ModifyRecords {
            zone_id: "zone-1",
            dns_records: [RecordWrite {
                record_id: Some("record-2"),
                zone_id: None,
                name: "www.example.com",
                rtype: "A",
                content: "192.0.2.1",
                location: "Default",
                ttl: 600,
            }],
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"ZoneId":"zone-1","DnsRecords":[{"RecordId":"record-2","Name":"www.example.com","Type":"A","Content":"192.0.2.1","Location":"Default","TTL":600}]}"#
        );
        let z = DescribeZones {
            filters: [Filter {
                name: "zone-name",
                values: ["example.com"],
            }],
        };
        assert_eq!(
            serde_json::to_string(&z).unwrap(),
            r#"{"Filters":[{"Name":"zone-name","Values":["example.com"]}]}"#
        );
    }
}
