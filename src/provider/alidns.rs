//! Alibaba Cloud DNS (`alidns`): RPC-style GET requests with a signed query
//! (spec/provider-apis.md §1, ddns-go-behaviour.md §4.3).
//!
//! Lookup is `DescribeSubDomainRecords`; writes are `UpdateDomainRecord` and `AddDomainRecord`.
//! Every custom domain parameter (`?Line=telecom`) is copied into all three actions, as ddns-go
//! does. Aliyun rejects an update that does not change the value (`DomainRecordDuplicate`), so
//! the plan never asks for one.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;

use super::sign::aliyun;
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;
use crate::timefmt;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "alidns",
    name: "Alibaba Cloud DNS (阿里云)",
    id_label: "AccessKey ID",
    secret_label: "AccessKey Secret",
    extparam_label: "",
    help_url: "https://ram.console.aliyun.com/manage/ak",
    help: "A RAM user with AliyunDNSFullAccess. Params: Line, RecordId.",
    default_ttl: "600",
    change_only: false,
};

/// The production endpoint.
pub const PRODUCTION: &str = "https://alidns.aliyuncs.com/";
/// API version of the Alidns RPC API.
const VERSION: &str = "2015-01-09";
/// ddns-go's default TTL for Aliyun.
const DEFAULT_TTL: u32 = 600;

/// An Alidns account.
pub struct Alidns {
    settings: ProviderSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeResponse {
    // Required: an answer without it is not a record list, and must not read as an empty one.
    domain_records: DomainRecords,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct DomainRecords {
    #[serde(default)]
    record: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    record_id: String,
    #[serde(rename = "Type", default)]
    rtype: String,
    #[serde(default)]
    value: String,
    #[serde(rename = "TTL")]
    ttl: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WriteResponse {
    #[serde(default)]
    record_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ErrorResponse {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

impl Alidns {
    /// Builds the provider from its settings (`id` = AccessKey ID, `secret` = AccessKey Secret).
    pub fn new(settings: ProviderSettings) -> Self {
        Alidns { settings }
    }

    /// Signs `params` (an action's own parameters plus the custom ones) and sends them; returns
    /// the body of a successful answer or the classified error.
    async fn call(
        &self,
        zone: &str,
        params: BTreeMap<String, String>,
    ) -> Result<String, ProviderError> {
        let mut params = params;
        let common = [
            ("Version", VERSION.to_string()),
            ("Format", "JSON".to_string()),
            ("AccessKeyId", self.settings.id.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_string()),
            ("SignatureVersion", "1.0".to_string()),
            ("SignatureNonce", nonce()),
            (
                "Timestamp",
                timefmt::civil_from_unix(timefmt::unix_now()).iso8601(),
            ),
        ];
        params.extend(common.into_iter().map(|(k, v)| (k.to_string(), v)));
        let query = aliyun::signed_query("GET", &params, &self.settings.secret);
        let url = format!(
            "{}/?{query}",
            self.settings.base(PRODUCTION).trim_end_matches('/')
        );

        let answer = super::send(self.settings.http.get(url)).await?;
        answer_body(answer, zone)
    }

    /// The custom parameters plus `own`, which win over a custom parameter of the same name.
    fn params(domain: &Domain, own: &[(&str, String)]) -> BTreeMap<String, String> {
        let mut p: BTreeMap<String, String> = domain.params.iter().cloned().collect();
        p.extend(own.iter().map(|(k, v)| (k.to_string(), v.clone())));
        p
    }

    async fn write(
        &self,
        domain: &Domain,
        params: BTreeMap<String, String>,
    ) -> Result<(), ProviderError> {
        let body = self.call(&domain.root, params).await?;
        write_confirmed(&body, &domain.name())
    }
}

/// The body of a successful answer, or the error an answer carries (in its status or its
/// `Code`, which a gateway may send with a success status).
pub(super) fn answer_body(answer: super::Answer, zone: &str) -> Result<String, ProviderError> {
    let err: ErrorResponse = serde_json::from_str(&answer.body).unwrap_or_default();
    // A success status with an error body (seen behind proxies and gateways) must not
    // read as "no records", or the next step would create a duplicate.
    if answer.ok() && err.code.is_empty() {
        return Ok(answer.body);
    }
    if err.code.is_empty() {
        return Err(ProviderError::Api(format!(
            "Alidns answered HTTP {}: {}",
            answer.status,
            super::truncate(&answer.body, 300)
        )));
    }
    Err(classify(&err.code, &err.message, zone, answer.retry_after))
}

/// The records of a `DescribeSubDomainRecords` answer that have the asked type.
pub(super) fn read_records(body: &str, rtype: RecordType) -> Result<Vec<Existing>, ProviderError> {
    let resp: DescribeResponse = serde_json::from_str(body).map_err(|e| {
        ProviderError::Api(format!(
            "Alidns sent a record list that is not understood ({e})"
        ))
    })?;
    let records = resp
        .domain_records
        .record
        .into_iter()
        // The query already filters by type; checking again keeps other records safe.
        .filter(|r| r.rtype.eq_ignore_ascii_case(rtype.as_str()))
        .map(|r| Existing {
            id: r.record_id,
            value: r.value,
            ttl: r.ttl,
            proxied: None,
        })
        .collect();
    Ok(records)
}

/// Checks that a write's answer confirms it with a `RecordId`.
pub(super) fn write_confirmed(body: &str, name: &str) -> Result<(), ProviderError> {
    let resp: WriteResponse = serde_json::from_str(body).map_err(|e| {
        ProviderError::Api(format!(
            "Alidns sent an answer that is not understood ({e})"
        ))
    })?;
    if resp.record_id.is_empty() {
        return Err(ProviderError::Api(format!(
            "Alidns did not confirm the write of {} (no RecordId in the answer)",
            name
        )));
    }
    Ok(())
}

/// Maps an Aliyun error code to the error a user can act on.
fn classify(code: &str, message: &str, zone: &str, retry_after: Option<Duration>) -> ProviderError {
    let detail = format!("{code}: {message}");
    match code {
        "InvalidAccessKeyId.NotFound"
        | "InvalidAccessKeyId"
        | "InvalidAccessKeyId.Inactive"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature" => ProviderError::Auth(detail),
        "InvalidDomainName.NoExist" | "DomainRecordNotBelongToUser" => {
            ProviderError::ZoneNotFound(zone.to_string())
        }
        c if c.starts_with("Forbidden") => ProviderError::Permission(detail),
        c if c.starts_with("Throttling") => ProviderError::RateLimited {
            retry_after,
            msg: detail,
        },
        _ => ProviderError::Api(format!("Alidns error {detail}")),
    }
}

/// A nonce unique per request: nanoseconds plus 64 random bits, so two requests in the same
/// nanosecond (or clocks that tick coarsely) still differ.
fn nonce() -> String {
    let mut rnd = [0u8; 8];
    // Without randomness the nanosecond clock alone still makes a usable nonce.
    let _ = getrandom::fill(&mut rnd);
    format!("{}{}", timefmt::unix_nanos(), u64::from_le_bytes(rnd))
}

impl Provider for Alidns {
    fn key(&self) -> &'static str {
        "alidns"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let params = Self::params(
                domain,
                &[
                    ("Action", "DescribeSubDomainRecords".into()),
                    ("DomainName", domain.root.clone()),
                    ("SubDomain", domain.full_at()),
                    ("Type", rtype.as_str().into()),
                ],
            );
            let body = self.call(&domain.root, params).await?;
            let records = read_records(&body, rtype)?;
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
            let ttl = self.settings.ttl_or(DEFAULT_TTL).to_string();
            let common = [
                ("RR", domain.sub_or_at().to_string()),
                ("Type", rtype.as_str().to_string()),
                ("Value", addr.to_string()),
                ("TTL", ttl),
            ];
            match plan {
                Plan::NoChange { .. } => Ok(()),
                // Lookup always reads the zone, so a blind write would be a caller bug; refuse
                // rather than risk a duplicate record.
                Plan::Write => Err(ProviderError::Unsupported(
                    "writing without a lookup; alidns always reads the record first".into(),
                )),
                Plan::Create => {
                    let mut own = vec![
                        ("Action", "AddDomainRecord".to_string()),
                        ("DomainName", domain.root.clone()),
                    ];
                    own.extend(common.iter().cloned());
                    self.write(domain, Self::params(domain, &own)).await
                }
                Plan::Update { records } => {
                    for record in records {
                        let mut own = vec![
                            ("Action", "UpdateDomainRecord".to_string()),
                            ("RecordId", record.id.clone()),
                        ];
                        own.extend(common.iter().cloned());
                        self.write(domain, Self::params(domain, &own)).await?;
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
    fn error_codes_are_classified() {
        let c = |code| classify(code, "m", "example.com", None);
        assert!(
            matches!(c("InvalidAccessKeyId.NotFound"), ProviderError::Auth(m) if m.contains("InvalidAccessKeyId.NotFound"))
        );
        assert!(matches!(c("SignatureDoesNotMatch"), ProviderError::Auth(_)));
        assert!(matches!(c("IncompleteSignature"), ProviderError::Auth(_)));
        assert!(matches!(c("Forbidden.RAM"), ProviderError::Permission(_)));
        assert!(matches!(c("Forbidden"), ProviderError::Permission(_)));
        assert_eq!(
            c("InvalidDomainName.NoExist"),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert_eq!(
            c("DomainRecordNotBelongToUser"),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert!(matches!(
            c("Throttling.User"),
            ProviderError::RateLimited { .. }
        ));
        assert_eq!(
            c("DomainRecordDuplicate"),
            ProviderError::Api("Alidns error DomainRecordDuplicate: m".into())
        );
    }

    #[test]
    fn own_params_override_custom_ones() {
        let d = Domain {
            sub: "www".into(),
            root: "example.com".into(),
            params: vec![
                ("Line".into(), "telecom".into()),
                ("Type".into(), "TXT".into()),
            ],
        };
        let p = Alidns::params(&d, &[("Type", "A".into())]);
        assert_eq!(p.get("Line").map(String::as_str), Some("telecom"));
        assert_eq!(p.get("Type").map(String::as_str), Some("A"));
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(nonce(), nonce());
    }
}
