//! Cloudflare API v4 (`dns.name: cloudflare`): bearer-token auth, zone looked up by name, every
//! record of the name and type kept in step with the address and the `proxied` param.
//!
//! Custom params: `proxied=true|false` sets the orange cloud (absent: each record keeps its
//! own state), `comment=…` restricts the records to those with that comment and labels new ones.

use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
    same_address,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "cloudflare",
    name: "Cloudflare",
    id_label: "",
    secret_label: "API Token",
    extparam_label: "",
    help_url: "https://dash.cloudflare.com/profile/api-tokens",
    help: "A token with Zone → DNS → Edit on the zone. Params: proxied=true/false, comment.",
    default_ttl: "1",
    change_only: false,
};

/// Scheme and host of the real API; the `/client/v4` prefix is added to every path so that an
/// endpoint override (scheme://host:port) reaches a fake serving the production paths.
const PRODUCTION: &str = "https://api.cloudflare.com";
const PREFIX: &str = "/client/v4";
/// TTL 1 means "automatic" at Cloudflare.
const DEFAULT_TTL: u32 = 1;
/// Error codes that mean the token itself is wrong (10000 Authentication error, 9109 Invalid
/// access token, 6003/6111 malformed Authorization header).
const AUTH_CODES: &[i64] = &[10000, 9109, 6003, 6111];

/// A Cloudflare account reached with one API token (`secret`; `id` is unused).
pub struct Cloudflare {
    s: ProviderSettings,
}

/// The `{success, errors, result}` envelope of every answer.
#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    success: bool,
    result: Option<T>,
}

#[derive(Deserialize)]
pub(super) struct Zone {
    id: String,
}

#[derive(Deserialize)]
pub(super) struct Record {
    id: String,
    content: String,
    #[serde(default)]
    proxied: Option<bool>,
    #[serde(default)]
    ttl: Option<u32>,
}

impl Cloudflare {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Cloudflare { s }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{PREFIX}{path}", self.s.base(PRODUCTION))
    }

    /// Sends one request and decodes `result`, mapping every failure to a [`ProviderError`].
    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ProviderError> {
        decode(super::send(req.bearer_auth(&self.s.secret)).await?)
    }

    async fn zone_id(&self, root: &str) -> Result<String, ProviderError> {
        let req = self.s.http.get(self.url("/zones")).query(&[
            ("name", root),
            ("status", "active"),
            ("per_page", "50"),
        ]);
        first_zone(self.call(req).await?, root)
    }

    /// The JSON body of a create or a full (PUT) update.
    fn record_body(
        &self,
        domain: &Domain,
        rtype: RecordType,
        addr: IpAddr,
        proxied: bool,
    ) -> Value {
        let mut body = json!({
            "type": rtype.as_str(),
            "name": domain.to_ascii(),
            "content": addr.to_string(),
            "proxied": proxied,
            "ttl": self.s.ttl_or(DEFAULT_TTL),
        });
        if let Some(c) = domain.param("comment") {
            body["comment"] = Value::from(c);
        }
        body
    }
}

/// Decodes `result` of a successful answer; anything else is classified as an error.
pub(super) fn decode<T: for<'de> Deserialize<'de>>(
    answer: super::Answer,
) -> Result<T, ProviderError> {
    let super::Answer {
        status,
        body,
        retry_after,
    } = answer;
    let env: Option<Envelope<T>> = serde_json::from_str(&body).ok();
    match env {
        Some(Envelope {
            success: true,
            result: Some(result),
        }) if status < 300 => Ok(result),
        _ => Err(classify(status, retry_after, &body)),
    }
}

/// The id of the first zone a zone search returned.
pub(super) fn first_zone(zones: Vec<Zone>, root: &str) -> Result<String, ProviderError> {
    zones
        .into_iter()
        .next()
        .map(|z| z.id)
        .ok_or_else(|| ProviderError::ZoneNotFound(root.to_string()))
}

/// The records of a record search.
pub(super) fn existing(found: Vec<Record>) -> Vec<Existing> {
    found
        .into_iter()
        .map(|r| Existing {
            id: r.id,
            value: r.content,
            ttl: r.ttl,
            proxied: r.proxied,
        })
        .collect()
}

/// The `proxied` param as a wish, or `None` when absent (keep each record's state).
fn wanted_proxied(domain: &Domain) -> Option<bool> {
    domain.param("proxied").map(|v| v == "true")
}

impl Provider for Cloudflare {
    fn key(&self) -> &'static str {
        "cloudflare"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let zone = self.zone_id(&domain.root_ascii()).await?;
            let name = domain.to_ascii();
            let mut query = vec![
                ("type", rtype.as_str()),
                ("name", name.as_str()),
                ("per_page", "50"),
            ];
            if let Some(c) = domain.param("comment") {
                query.push(("comment", c));
            }
            let path = format!("/zones/{zone}/dns_records");
            let req = self.s.http.get(self.url(&path)).query(&query);
            let records = existing(self.call(req).await?);
            Ok(Lookup::Found {
                zone: Some(zone),
                records,
            })
        })
    }

    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        let records = match lookup {
            Lookup::Unknown => return Plan::Write,
            Lookup::Found { records, .. } => records,
        };
        let Some(first) = records.first() else {
            return Plan::Create;
        };
        let want = wanted_proxied(domain);
        // Every record of the name is ours (ddns-go updates them all); one that is right is left
        // alone so an unchanged address costs no write.
        let stale: Vec<Existing> = records
            .iter()
            .filter(|r| !same_address(&r.value, addr) || want.is_some_and(|p| r.proxied != Some(p)))
            .cloned()
            .collect();
        if stale.is_empty() {
            Plan::NoChange {
                current: first.value.clone(),
            }
        } else {
            Plan::Update { records: stale }
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
            let zone = match lookup {
                Lookup::Found { zone: Some(z), .. } => z.clone(),
                _ => self.zone_id(&domain.root_ascii()).await?,
            };
            let want = wanted_proxied(domain);
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Create | Plan::Write => {
                    let body = self.record_body(domain, rtype, addr, want.unwrap_or(false));
                    let url = self.url(&format!("/zones/{zone}/dns_records"));
                    self.call::<Value>(self.s.http.post(url).json(&body))
                        .await?;
                    Ok(())
                }
                Plan::Update { records } => {
                    // PATCH, not PUT: a PUT replaces the whole record and would drop the
                    // comment and tags the user set in Cloudflare's dashboard. Only what we
                    // own is sent: the address, the TTL, and `proxied`/`comment` when the
                    // domain line asks for them.
                    let mut body = json!({
                        "content": addr.to_string(),
                        "ttl": self.s.ttl_or(DEFAULT_TTL),
                    });
                    if let Some(p) = want {
                        body["proxied"] = Value::from(p);
                    }
                    if let Some(c) = domain.param("comment") {
                        body["comment"] = Value::from(c);
                    }
                    for r in records {
                        let url = self.url(&format!("/zones/{zone}/dns_records/{}", r.id));
                        self.call::<Value>(self.s.http.patch(url).json(&body))
                            .await?;
                    }
                    Ok(())
                }
            }
        })
    }
}

/// Turns an error answer into a [`ProviderError`] the user can act on.
#[doc(hidden)]
pub fn classify(status: u16, retry_after: Option<Duration>, body: &str) -> ProviderError {
    let errors: Vec<(i64, String)> = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("errors").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .map(|e| match e {
            Value::Object(o) => (
                o.get("code").and_then(Value::as_i64).unwrap_or(0),
                o.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ),
            other => (0, other.as_str().unwrap_or_default().to_string()),
        })
        .collect();
    let msg = if errors.is_empty() {
        format!("HTTP {status}: {}", super::truncate(body, 300))
    } else {
        let list: Vec<String> = errors.iter().map(|(c, m)| format!("{c}: {m}")).collect();
        format!("HTTP {status}: {}", list.join("; "))
    };
    let permission = errors.iter().any(|(_, m)| {
        let m = m.to_ascii_lowercase();
        m.contains("permission") || m.contains("unauthorized to access")
    });
    if status == 429 {
        ProviderError::RateLimited { retry_after, msg }
    } else if status >= 500 {
        // An outage at Cloudflare's edge can come with any error code in the body (10000
        // included); it says nothing about the token, so it must stay a retryable failure.
        ProviderError::Api(format!("Cloudflare answered {msg}"))
    } else if permission {
        ProviderError::Permission(msg)
    } else if status == 401 || status == 403 || errors.iter().any(|(c, _)| AUTH_CODES.contains(c)) {
        ProviderError::Auth(msg)
    } else {
        ProviderError::Api(format!("Cloudflare answered {msg}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idna_names_become_punycode_and_wildcards_survive() {
        let d = |sub: &str, root: &str| Domain {
            sub: sub.into(),
            root: root.into(),
            params: vec![],
        };
        assert_eq!(
            d("bücher", "example.com").to_ascii(),
            "xn--bcher-kva.example.com"
        );
        assert_eq!(d("*", "example.com").to_ascii(), "*.example.com");
        assert_eq!(d("www", "bücher.de").root_ascii(), "xn--bcher-kva.de");
    }

    #[test]
    fn errors_are_classified() {
        let auth =
            r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#;
        assert!(matches!(classify(403, None, auth), ProviderError::Auth(m) if m.contains("10000")));
        let hdr =
            r#"{"success":false,"errors":[{"code":6003,"message":"Invalid request headers"}]}"#;
        assert!(matches!(classify(400, None, hdr), ProviderError::Auth(_)));
        let outage =
            r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#;
        assert!(matches!(classify(502, None, outage), ProviderError::Api(m) if m.contains("502")));
        let perm = r#"{"success":false,"errors":[{"code":9109,"message":"Unauthorized to access requested resource"}]}"#;
        assert!(matches!(
            classify(403, None, perm),
            ProviderError::Permission(_)
        ));
        let rl = classify(429, Some(Duration::from_secs(7)), "{}");
        assert_eq!(
            rl,
            ProviderError::RateLimited {
                retry_after: Some(Duration::from_secs(7)),
                msg: "HTTP 429: {}".into()
            }
        );
        let other = r#"{"success":false,"errors":[{"code":81058,"message":"An identical record already exists."}]}"#;
        assert!(
            matches!(classify(400, None, other), ProviderError::Api(m) if m.contains("81058: An identical"))
        );
        assert!(
            matches!(classify(502, None, "<html>bad gateway</html>"), ProviderError::Api(m) if m.contains("502") && m.contains("bad gateway"))
        );
    }
}
