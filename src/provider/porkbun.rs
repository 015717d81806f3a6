//! Porkbun API v3 (`dns.name: porkbun`, `https://api.porkbun.com/api/json/v3`): every call is a
//! JSON POST whose body carries the API key pair; records are addressed by name and type.
//!
//! Keys go in the body, never the URL, so no request line can leak them. The domain must
//! have "API ACCESS" switched on in Porkbun's domain management, or every call is refused.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::{Value, json};

use super::registrar::AsciiName;
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "porkbun",
    name: "Porkbun",
    id_label: "API Key",
    secret_label: "Secret Key",
    extparam_label: "",
    help_url: "https://porkbun.com/account/api",
    help: "An API key pair; switch on API ACCESS for the domain in Domain Management. No params.",
    default_ttl: "600",
    change_only: false,
};

const PRODUCTION: &str = "https://api.porkbun.com";
const PREFIX: &str = "/api/json/v3/dns";
/// Porkbun's default and minimum TTL.
const DEFAULT_TTL: u32 = 600;

/// A Porkbun account reached with an API key (`id`) and secret key (`secret`).
pub struct Porkbun {
    s: ProviderSettings,
}

impl Porkbun {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Porkbun { s }
    }

    /// Posts `fields` plus the keys to `path` and returns the decoded answer when `status` is
    /// `SUCCESS`.
    async fn call(&self, path: &str, fields: Value, root: &str) -> Result<Value, ProviderError> {
        let mut body = fields;
        body["apikey"] = Value::from(self.s.id.as_str());
        body["secretapikey"] = Value::from(self.s.secret.as_str());
        let url = format!("{}{PREFIX}{path}", self.s.base(PRODUCTION));
        decode(super::send(self.s.http.post(url).json(&body)).await?, root)
    }

    /// `/<root>/<type>/<sub>` with the sub empty for the apex (Porkbun's convention).
    fn by_name_type(n: &AsciiName, rtype: RecordType) -> String {
        format!("/{}/{}/{}", n.root, rtype.as_str(), n.sub)
    }
}

/// The JSON of a `"status": "SUCCESS"` answer, or the error the answer carries.
pub(super) fn decode(answer: super::Answer, root: &str) -> Result<Value, ProviderError> {
    let super::Answer {
        status,
        body,
        retry_after,
    } = answer;
    let v: Option<Value> = serde_json::from_str(&body).ok();
    match &v {
        Some(v) if status < 300 && v["status"] == "SUCCESS" => Ok(v.clone()),
        _ => Err(classify(status, retry_after, &body, v.as_ref(), root)),
    }
}

/// The records of a `retrieveByNameType` answer.
pub(super) fn read_records(v: &Value) -> Vec<Existing> {
    v["records"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| Existing {
            id: text(&r["id"]),
            value: text(&r["content"]),
            ttl: text(&r["ttl"]).parse().ok(),
            proxied: None,
        })
        .collect()
}

impl Provider for Porkbun {
    fn key(&self) -> &'static str {
        "porkbun"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let n = AsciiName::of(domain);
            let path = format!("/retrieveByNameType{}", Self::by_name_type(&n, rtype));
            let v = self.call(&path, json!({}), &domain.root).await?;
            let records = read_records(&v);
            Ok(Lookup::Found {
                zone: None,
                records,
            })
        })
    }

    fn plan(&self, _domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        // editByNameType rewrites every record of the name and type, so all of them are ours;
        // ddns-go looked only at the first and left a stale second one behind.
        super::registrar::plan_every(lookup, addr)
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
            // Porkbun takes the TTL as a string.
            let ttl = self.s.ttl_or(DEFAULT_TTL).to_string();
            let n = AsciiName::of(domain);
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Create | Plan::Write => {
                    let body = json!({"name": n.sub, "type": rtype.as_str(),
                                      "content": addr.to_string(), "ttl": ttl});
                    let path = format!("/create/{}", n.root);
                    self.call(&path, body, &domain.root).await.map(|_| ())
                }
                Plan::Update { .. } => {
                    let body = json!({"content": addr.to_string(), "ttl": ttl});
                    let path = format!("/editByNameType{}", Self::by_name_type(&n, rtype));
                    self.call(&path, body, &domain.root).await.map(|_| ())
                }
            }
        })
    }
}

/// Porkbun sends ids and TTLs as strings, but tolerate numbers.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Turns an error answer (`{"status":"ERROR","message":…}` or anything else) into a
/// [`ProviderError`] the user can act on.
fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    v: Option<&Value>,
    root: &str,
) -> ProviderError {
    let message = v
        .and_then(|v| v["message"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| super::truncate(body, 300).to_string());
    let msg = format!("Porkbun answered HTTP {status}: {message}");
    let lower = message.to_ascii_lowercase();
    if status == 429 || lower.contains("rate limit") {
        ProviderError::RateLimited { retry_after, msg }
    } else if lower.contains("api key") || lower.contains("apikey") || status == 401 {
        ProviderError::Auth(msg)
    } else if lower.contains("opted in to api access") || status == 403 {
        ProviderError::Permission(format!(
            "{msg}; switch on API ACCESS for {root} in Porkbun's domain management"
        ))
    } else if lower.contains("invalid domain") || lower.contains("domain not found") {
        ProviderError::ZoneNotFound(root.to_string())
    } else {
        ProviderError::Api(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(status: u16, body: &str) -> ProviderError {
        classify(
            status,
            None,
            body,
            serde_json::from_str(body).ok().as_ref(),
            "example.com",
        )
    }

    #[test]
    fn errors_are_classified() {
        let auth = r#"{"status":"ERROR","message":"Invalid API key. (002)"}"#;
        assert!(matches!(c(400, auth), ProviderError::Auth(m) if m.contains("Invalid API key")));
        let opt = r#"{"status":"ERROR","message":"Domain is not opted in to API access."}"#;
        assert!(matches!(c(400, opt), ProviderError::Permission(m) if m.contains("API ACCESS")));
        let zone = r#"{"status":"ERROR","message":"Invalid domain."}"#;
        assert_eq!(
            c(400, zone),
            ProviderError::ZoneNotFound("example.com".into())
        );
        assert!(matches!(
            classify(429, Some(Duration::from_secs(5)), "{}", None, "example.com"),
            ProviderError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(5)
        ));
        assert!(
            matches!(c(502, "<html>bad gateway</html>"), ProviderError::Api(m) if m.contains("502") && m.contains("bad gateway"))
        );
        // A 200 that is not SUCCESS is still an error.
        let other = r#"{"status":"ERROR","message":"Could not edit record."}"#;
        assert!(matches!(c(200, other), ProviderError::Api(m) if m.contains("Could not edit")));
    }
}
