//! The Now.cn API family (`dns.name: nowcn`, and `eranet`/`tnethk` which share it): signed GET
//! requests to `/api/Dns/DescribeRecordIndex`, `AddDomainRecord` and `UpdateDomainRecord`
//! (ddns-go-behaviour.md §4.3). The three registrars run the same software at different hosts;
//! a [`Flavor`] names one of them.
//!
//! Answers must be exactly HTTP 200 and carry an empty `error` field. The custom param `Id`
//! picks a record when a name has several; other custom params are not sent (the API takes
//! none).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;
use serde_json::Value;

use super::sign::nowcn as sign;
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
    default_plan,
};
use crate::config::Domain;
use crate::timefmt;

/// One registrar of the family: its config key, display name and production base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flavor {
    /// Config key (`nowcn`, `eranet`, `tnethk`).
    pub key: &'static str,
    /// Name used in error messages.
    pub name: &'static str,
    /// Scheme and host of the real API (the `/api/Dns/…` paths are appended).
    pub production: &'static str,
}

/// Now.cn (时代互联).
pub const FLAVOR: Flavor = Flavor {
    key: "nowcn",
    name: "Now.cn",
    production: "https://api.now.cn",
};

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "nowcn",
    name: "Nowcn (时代互联)",
    id_label: "auth-userid",
    secret_label: "api-key",
    extparam_label: "",
    help_url: "https://www.now.cn/",
    help: "The account's auth-userid and api-key from the member centre's API settings. Param: Id.",
    default_ttl: "600",
    change_only: false,
};

const DEFAULT_TTL: u32 = 600;

/// An account at one registrar of the family (`id` = auth-userid, `secret` = api-key).
pub struct Nowcn {
    s: ProviderSettings,
    flavor: Flavor,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(rename = "Data", default)]
    data: Option<Vec<Record>>,
}

#[derive(Deserialize)]
struct Record {
    /// A number in the answers seen so far; a string is accepted too.
    id: Value,
    #[serde(default)]
    host: String,
    #[serde(rename = "type", default)]
    rtype: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct ErrorField {
    #[serde(default)]
    error: String,
}

impl Nowcn {
    /// Builds the provider for `flavor` from its settings.
    pub fn new(s: ProviderSettings, flavor: Flavor) -> Self {
        Nowcn { s, flavor }
    }

    /// Signs `params` and GETs `/api/Dns/<action>`; returns the body of an HTTP 200 answer.
    async fn call(
        &self,
        action: &str,
        zone: &str,
        params: &[(&str, String)],
    ) -> Result<String, ProviderError> {
        answer_body(self.flavor.name, self.send(action, params).await?, zone)
    }

    /// Signs `params` and GETs `/api/Dns/<action>`.
    async fn send(
        &self,
        action: &str,
        params: &[(&str, String)],
    ) -> Result<super::Answer, ProviderError> {
        let own: BTreeMap<String, String> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let timestamp = timefmt::civil_from_unix(timefmt::unix_now()).iso8601();
        let all = sign::with_common(&own, &self.s.id, &nonce(), &timestamp);
        let url = format!(
            "{}/api/Dns/{action}?{}",
            self.s.base(self.flavor.production).trim_end_matches('/'),
            sign::signed_query(&all, &self.s.secret)
        );
        super::send(self.s.http.get(url)).await
    }

    async fn write(
        &self,
        action: &str,
        domain: &Domain,
        params: &[(&str, String)],
    ) -> Result<(), ProviderError> {
        let body = self.call(action, &domain.root, params).await?;
        // `call` already rejected a non-empty `error`; the body must still be the API's JSON.
        serde_json::from_str::<ErrorField>(&body).map_err(|e| {
            ProviderError::Api(format!(
                "{} sent an answer to {action} that is not understood ({e})",
                self.flavor.name
            ))
        })?;
        Ok(())
    }
}

/// The body of an HTTP 200 answer without an `error` text, or the error the answer carries
/// (`name`: the provider's name for messages).
pub(super) fn answer_body(
    name: &str,
    answer: super::Answer,
    zone: &str,
) -> Result<String, ProviderError> {
    // ddns-go requires exactly 200 here; anything else is an error whatever the body says.
    let detail = |max| super::truncate(&answer.body, max).to_string();
    match answer.status {
        200 => {}
        429 => {
            return Err(ProviderError::RateLimited {
                retry_after: answer.retry_after,
                msg: detail(200),
            });
        }
        401 => return Err(ProviderError::Auth(format!("{name} answered HTTP 401"))),
        403 => {
            return Err(ProviderError::Permission(format!(
                "{name} answered HTTP 403: {}",
                detail(200)
            )));
        }
        status => {
            return Err(ProviderError::Api(format!(
                "{name} answered HTTP {status}: {}",
                detail(300)
            )));
        }
    }
    // Every action reports failure the same way: a non-empty `error` text.
    let error = serde_json::from_str::<ErrorField>(&answer.body)
        .map(|w| w.error)
        .unwrap_or_default();
    if !error.is_empty() {
        return Err(classify(name, &error, zone, answer.retry_after));
    }
    Ok(answer.body)
}

/// The records of `host` (`apex`: the name is the zone itself) with the asked type in a
/// `DescribeRecordIndex` answer (`name`: the provider's name for messages).
pub(super) fn read_records(
    body: &str,
    name: &str,
    rtype: RecordType,
    host: &str,
    apex: bool,
) -> Result<Vec<Existing>, ProviderError> {
    let resp: ListResponse = serde_json::from_str(body).map_err(|e| {
        ProviderError::Api(format!(
            "{} sent a record list that is not understood ({e})",
            name
        ))
    })?;
    // The query filters by host and type already; checking again keeps other records
    // (a differently typed one, another host) from ever being rewritten.
    Ok(resp
        .data
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.rtype.eq_ignore_ascii_case(rtype.as_str()))
        // ddns-go checks neither; an apex listed with an empty host is still the apex.
        .filter(|r| r.host.eq_ignore_ascii_case(host) || (apex && r.host.is_empty()))
        .map(|r| Existing {
            id: id_text(&r.id),
            value: r.value,
            ttl: None,
            proxied: None,
        })
        .collect())
}

/// Maps the API's `error` text to an error a user can act on. The API has no error codes, so
/// the text is matched on the words its (Chinese or English) messages use.
fn classify(
    name: &str,
    error: &str,
    zone: &str,
    retry_after: Option<std::time::Duration>,
) -> ProviderError {
    let lower = error.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let detail = format!("{name}: {}", super::truncate(error, 300));
    if has(&[
        "签名",
        "signature",
        "accessinstanceid",
        "密钥",
        "api-key",
        "apikey",
        "未授权",
        "unauthor",
        "认证",
    ]) {
        ProviderError::Auth(detail)
    } else if has(&[
        "域名不存在",
        "domain not exist",
        "domain does not exist",
        "domain not found",
        "不属于",
    ]) {
        ProviderError::ZoneNotFound(zone.to_string())
    } else if has(&["权限", "permission", "forbidden"]) {
        ProviderError::Permission(detail)
    } else if has(&["频繁", "too many", "rate limit", "限流"]) {
        ProviderError::RateLimited {
            retry_after,
            msg: detail,
        }
    } else {
        ProviderError::Api(detail)
    }
}

/// The body of a `DescribeRecordIndex` answer, or `None` when the API says the name has no
/// records yet. That error text counts only in an HTTP 200 answer: a proxy's or a failing
/// gateway's page that happens to say "no record" must not make the engine create a second
/// record.
pub(super) fn list_body(
    name: &str,
    answer: super::Answer,
    zone: &str,
) -> Result<Option<String>, ProviderError> {
    let ok = answer.status == 200;
    match answer_body(name, answer, zone) {
        Ok(body) => Ok(Some(body)),
        Err(ProviderError::Api(msg)) if ok && is_no_record(&msg) => Ok(None),
        Err(e) => Err(e),
    }
}

/// True when an `error` text only says that the name has no records yet (which means create).
fn is_no_record(error: &str) -> bool {
    let lower = error.to_lowercase();
    [
        "记录不存在",
        "没有记录",
        "no record",
        "record not found",
        "record not exist",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// A nonce unique per request: nanoseconds plus 64 random bits.
fn nonce() -> String {
    let mut rnd = [0u8; 8];
    // Without randomness the nanosecond clock alone still makes a usable nonce.
    let _ = getrandom::fill(&mut rnd);
    format!("{}{}", timefmt::unix_nanos(), u64::from_le_bytes(rnd))
}

/// A record id as text, whether the API sent it as a number or a string.
fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Provider for Nowcn {
    fn key(&self) -> &'static str {
        self.flavor.key
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let params = [
                ("Domain", domain.root.clone()),
                ("Type", rtype.as_str().to_string()),
                ("Host", domain.sub_or_at().to_string()),
            ];
            let answer = self.send("DescribeRecordIndex", &params).await?;
            let Some(body) = list_body(self.flavor.name, answer, &domain.root)? else {
                return Ok(Lookup::Found {
                    zone: None,
                    records: Vec::new(),
                });
            };
            let records = read_records(
                &body,
                self.flavor.name,
                rtype,
                domain.sub_or_at(),
                domain.sub.is_empty(),
            )?;
            Ok(Lookup::Found {
                zone: None,
                records,
            })
        })
    }

    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        default_plan(domain, lookup, addr, "Id")
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
            let common = [
                ("Domain", domain.root.clone()),
                ("Host", domain.sub_or_at().to_string()),
                ("Type", rtype.as_str().to_string()),
                ("Value", addr.to_string()),
                ("Ttl", self.s.ttl_or(DEFAULT_TTL).to_string()),
            ];
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Write => Err(ProviderError::Unsupported(format!(
                    "writing without a lookup; {} always reads the record first",
                    self.flavor.key
                ))),
                Plan::Create => self.write("AddDomainRecord", domain, &common).await,
                Plan::Update { records } => {
                    for record in records {
                        let mut params = vec![("Id", record.id.clone())];
                        params.extend(common.iter().cloned());
                        self.write("UpdateDomainRecord", domain, &params).await?;
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

    #[test]
    fn no_record_counts_only_in_an_http_200_answer() {
        let body = r#"{"error":"解析记录不存在 (no record)"}"#;
        assert_eq!(
            list_body("Now.cn", answer(200, body), "example.com").unwrap(),
            None
        );
        for status in [500, 502, 503] {
            let r = list_body("Now.cn", answer(status, body), "example.com");
            assert!(
                matches!(&r, Err(ProviderError::Api(m)) if m.contains(&format!("HTTP {status}"))),
                "{status}: {r:?}"
            );
        }
        let listed = r#"{"Data":[{"id":1,"host":"www","type":"A","value":"192.0.2.1"}]}"#;
        assert_eq!(
            list_body("Now.cn", answer(200, listed), "example.com").unwrap(),
            Some(listed.to_string())
        );
        assert!(matches!(
            list_body(
                "Now.cn",
                answer(200, r#"{"error":"签名错误"}"#),
                "example.com"
            ),
            Err(ProviderError::Auth(_) | ProviderError::Api(_))
        ));
    }

    #[test]
    fn error_texts_are_classified() {
        let c = |e| classify("Now.cn", e, "example.com", None);
        assert!(matches!(c("签名错误"), ProviderError::Auth(m) if m.contains("签名错误")));
        assert!(matches!(
            c("Signature does not match"),
            ProviderError::Auth(_)
        ));
        assert!(matches!(c("AccessInstanceID 无效"), ProviderError::Auth(_)));
        assert_eq!(
            c("域名不存在"),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert!(matches!(c("没有操作权限"), ProviderError::Permission(_)));
        assert!(matches!(
            c("请求过于频繁"),
            ProviderError::RateLimited { .. }
        ));
        assert_eq!(c("参数错误"), ProviderError::Api("Now.cn: 参数错误".into()));
    }

    #[test]
    fn no_record_texts_mean_empty() {
        assert!(is_no_record("Now.cn: 解析记录不存在"));
        assert!(is_no_record("No record found"));
        assert!(!is_no_record("域名不存在"));
    }

    #[test]
    fn ids_are_text_whatever_their_json_type() {
        assert_eq!(id_text(&serde_json::json!(42)), "42");
        assert_eq!(id_text(&serde_json::json!("42")), "42");
    }
}
