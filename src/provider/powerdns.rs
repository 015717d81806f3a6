//! PowerDNS Authoritative HTTP API (`dns.name: powerdns`): a self-hosted server's zone, read
//! with `GET …/zones/<zone>.` and written with one `PATCH` of the RRset (`changetype:
//! REPLACE`), as the PowerDNS docs describe.
//!
//! `id` is the API base URL (`http://127.0.0.1:8081`), `secret` the API key (`X-API-Key`),
//! `extparam` the server id (`localhost` when empty). The zone is the domain's root.

use std::net::IpAddr;

use serde::Deserialize;
use serde_json::json;

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "powerdns",
    name: "PowerDNS",
    id_label: "API URL",
    secret_label: "API key",
    extparam_label: "Server id (default localhost)",
    help_url: "https://doc.powerdns.com/authoritative/http-api/index.html",
    help: "Enable the API in pdns.conf (api=yes, api-key=…, webserver=yes, webserver-allow-from); the zone must exist; ID = http://host:8081.",
    default_ttl: "300",
    change_only: false,
};

const DEFAULT_TTL: u32 = 300;
const DEFAULT_SERVER: &str = "localhost";

/// A PowerDNS server reached through its HTTP API.
pub struct PowerDns {
    s: ProviderSettings,
}

#[derive(Deserialize)]
struct Zone {
    #[serde(default)]
    rrsets: Vec<RrSet>,
}

#[derive(Deserialize)]
struct RrSet {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    #[serde(default)]
    ttl: Option<u32>,
    #[serde(default)]
    records: Vec<Content>,
}

#[derive(Deserialize)]
struct Content {
    content: String,
    #[serde(default)]
    disabled: bool,
}

/// `name` with exactly one trailing dot, lower-cased (PowerDNS names are canonical).
fn canonical(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.').to_ascii_lowercase())
}

/// The records of `name`/`rtype` in a zone document (enabled ones only).
pub(super) fn records_of(
    zone_json: &str,
    name: &str,
    rtype: RecordType,
) -> Result<Vec<Existing>, ProviderError> {
    let zone: Zone = serde_json::from_str(zone_json).map_err(|e| {
        ProviderError::Api(format!("unexpected answer from the PowerDNS API ({e})"))
    })?;
    let name = canonical(name);
    Ok(zone
        .rrsets
        .into_iter()
        .filter(|r| canonical(&r.name) == name && r.rtype.eq_ignore_ascii_case(rtype.as_str()))
        .flat_map(|r| {
            let ttl = r.ttl;
            r.records
                .into_iter()
                .filter(|c| !c.disabled)
                .map(move |c| Existing {
                    id: String::new(),
                    value: c.content,
                    ttl,
                    proxied: None,
                })
        })
        .collect())
}

/// An error answer as a [`ProviderError`].
fn classify(a: &super::Answer, zone: &str) -> ProviderError {
    let msg = serde_json::from_str::<serde_json::Value>(&a.body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| a.body.trim().to_string());
    let msg = super::truncate(&msg, 300).to_string();
    match a.status {
        401 => ProviderError::Auth(format!(
            "PowerDNS refused the API key: {msg}; use the api-key from pdns.conf"
        )),
        403 => ProviderError::Permission(format!(
            "PowerDNS answered 403 ({msg}); check webserver-allow-from in pdns.conf"
        )),
        404 => ProviderError::ZoneNotFound(format!(
            "{zone} (PowerDNS: {msg}; create the zone or check the server id)"
        )),
        429 => ProviderError::RateLimited {
            retry_after: a.retry_after,
            msg,
        },
        s => ProviderError::Api(format!("PowerDNS answered HTTP {s}: {msg}")),
    }
}

impl PowerDns {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        PowerDns { s }
    }

    /// `…/api/v1/servers/<server>/zones/<zone>.`
    fn zone_url(&self, zone: &str) -> Result<String, ProviderError> {
        let base = self
            .s
            .endpoint
            .as_deref()
            .unwrap_or(self.s.id.trim())
            .trim_end_matches('/');
        let base = base.strip_suffix("/api/v1").unwrap_or(base);
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ProviderError::Api(
                "the PowerDNS API URL must start with http:// or https:// (e.g. \
                 http://127.0.0.1:8081); put it in the ID field"
                    .into(),
            ));
        }
        let server = match self.s.extparam.trim() {
            "" => DEFAULT_SERVER,
            s => s,
        };
        Ok(format!(
            "{base}/api/v1/servers/{server}/zones/{}",
            canonical(zone)
        ))
    }

    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        zone: &str,
    ) -> Result<String, ProviderError> {
        let a = super::send(
            req.header("X-API-Key", self.s.secret.trim())
                .header(reqwest::header::ACCEPT, "application/json"),
        )
        .await?;
        answer_body(a, zone)
    }
}

/// The body of a successful answer, or the error an error answer carries.
pub(super) fn answer_body(a: super::Answer, zone: &str) -> Result<String, ProviderError> {
    if a.ok() {
        Ok(a.body)
    } else {
        Err(classify(&a, zone))
    }
}

impl Provider for PowerDns {
    fn key(&self) -> &'static str {
        "powerdns"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let zone = domain.root_ascii();
            let name = canonical(&domain.to_ascii());
            // PowerDNS 4.8+ returns only that RRset; older servers ignore the filter and send
            // the whole zone, which `records_of` filters anyway.
            let req = self.s.http.get(self.zone_url(&zone)?).query(&[
                ("rrset_name", name.as_str()),
                ("rrset_type", rtype.as_str()),
            ]);
            let body = self.call(req, &zone).await?;
            Ok(Lookup::Found {
                zone: Some(canonical(&zone)),
                records: records_of(&body, &domain.to_ascii(), rtype)?,
            })
        })
    }

    fn plan(&self, _domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        super::rfc2136::rrset_plan(lookup, addr)
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
            if matches!(plan, Plan::NoChange { .. }) {
                return Ok(());
            }
            let zone = domain.root_ascii();
            let body = json!({"rrsets": [{
                "name": canonical(&domain.to_ascii()),
                "type": rtype.as_str(),
                "ttl": self.s.ttl_or(DEFAULT_TTL),
                "changetype": "REPLACE",
                "records": [{"content": addr.to_string(), "disabled": false}],
            }]});
            self.call(self.s.http.patch(self.zone_url(&zone)?).json(&body), &zone)
                .await
                .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_the_enabled_records_of_the_name_and_type() {
        let z = r#"{"name":"example.com.","rrsets":[
            {"name":"www.example.com.","type":"A","ttl":60,"records":[{"content":"192.0.2.1","disabled":false},{"content":"192.0.2.2","disabled":true}]},
            {"name":"WWW.example.com.","type":"AAAA","ttl":60,"records":[{"content":"2001:db8::1","disabled":false}]},
            {"name":"www2.example.com.","type":"A","ttl":60,"records":[{"content":"192.0.2.9","disabled":false}]}]}"#;
        let r = records_of(z, "www.example.com", RecordType::A).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].value.as_str(), r[0].ttl), ("192.0.2.1", Some(60)));
        let r = records_of(z, "www.example.com.", RecordType::Aaaa).unwrap();
        assert_eq!(r[0].value, "2001:db8::1");
        assert!(
            records_of(z, "x.example.com", RecordType::A)
                .unwrap()
                .is_empty()
        );
        assert!(records_of("<html>", "x", RecordType::A).is_err());
    }
}
