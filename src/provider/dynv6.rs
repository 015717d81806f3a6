//! dynv6 (`dns.name: dynv6`, `https://dynv6.com/api/v2`): bearer token; the zone holding the
//! name is found in the zone list, the zone's own address (`ipv4address` / `ipv6prefix`) is the
//! apex, and other names are records of the zone.
//!
//! Fixed ddns-go quirks: ddns-go's apex PATCH sent the whole zone struct, blanking the other
//! address family (and the name); here the PATCH carries only the one field being published.
//! ddns-go picked the zone by a plain string suffix (`myexample.dynv6.net` matched zone
//! `example.dynv6.net`); here the zone must end on a label boundary and the longest one wins.
//! TTL is never sent (dynv6 has none per record).

use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "dynv6",
    name: "Dynv6",
    id_label: "",
    secret_label: "HTTP Token",
    extparam_label: "",
    help_url: "https://dynv6.com/keys",
    help: "The account's HTTP token (zones and records read/write).",
    default_ttl: "",
    change_only: false,
};

const PRODUCTION: &str = "https://dynv6.com";
const PREFIX: &str = "/api/v2";

/// A dynv6 account reached with its HTTP token (`secret`; `id` is unused).
pub struct Dynv6 {
    s: ProviderSettings,
}

#[derive(Deserialize)]
pub(super) struct Zone {
    id: Value,
    name: String,
    #[serde(default)]
    ipv4address: Option<String>,
    #[serde(default)]
    ipv6prefix: Option<String>,
}

#[derive(Deserialize)]
struct DRecord {
    id: Value,
    #[serde(default)]
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    #[serde(default)]
    data: String,
}

/// Where the name lives: the zone, and the record name relative to it ("" = the apex).
struct Target {
    zone_id: String,
    rel: String,
}

fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The zone field holding the apex address of `rtype`.
fn zone_field(rtype: RecordType) -> &'static str {
    match rtype {
        RecordType::A => "ipv4address",
        RecordType::Aaaa => "ipv6prefix",
    }
}

impl Dynv6 {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Dynv6 { s }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{PREFIX}{path}", self.s.base(PRODUCTION))
    }

    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        name: &str,
    ) -> Result<String, ProviderError> {
        let a = super::send(req.bearer_auth(&self.s.secret)).await?;
        if a.ok() {
            Ok(a.body)
        } else {
            Err(classify(a.status, a.retry_after, &a.body, name))
        }
    }

    /// Lists the zones and picks the one holding `fqdn` (`root` names it in errors).
    async fn zones(&self, fqdn: &str, root: &str) -> Result<(Zone, String), ProviderError> {
        let body = self.call(self.s.http.get(self.url("/zones")), root).await?;
        pick_listed_zone(&body, fqdn, root)
    }

    async fn target(&self, domain: &Domain) -> Result<(Zone, Target), ProviderError> {
        let (zone, rel) = self.zones(&domain.to_ascii(), &domain.root_ascii()).await?;
        let t = Target {
            zone_id: id_text(&zone.id),
            rel,
        };
        Ok((zone, t))
    }
}

/// The zone of a zone list holding `fqdn`, with the name relative to it.
pub(super) fn pick_listed_zone(
    body: &str,
    fqdn: &str,
    root: &str,
) -> Result<(Zone, String), ProviderError> {
    let zones: Vec<Zone> = serde_json::from_str(body).map_err(|_| {
        ProviderError::Api(format!(
            "dynv6 answered a zone list that cannot be read: {}",
            super::truncate(body, 300)
        ))
    })?;
    pick_zone(zones, fqdn).ok_or_else(|| ProviderError::ZoneNotFound(root.to_string()))
}

/// The zone whose name is `fqdn` or a parent of it on a label boundary (the longest such),
/// with the name relative to it.
fn pick_zone(zones: Vec<Zone>, fqdn: &str) -> Option<(Zone, String)> {
    let fqdn = fqdn.to_ascii_lowercase();
    zones
        .into_iter()
        .filter_map(|z| {
            let name = z.name.trim_end_matches('.').to_ascii_lowercase();
            let rel = if fqdn == name {
                Some(String::new())
            } else {
                fqdn.strip_suffix(&format!(".{name}")).map(str::to_string)
            };
            rel.map(|r| (name.len(), z, r))
        })
        .max_by_key(|(len, _, _)| *len)
        .map(|(_, z, r)| (z, r))
}

/// The records named `rel` with the asked type in a zone's record list.
pub(super) fn read_records(
    body: &str,
    rel: &str,
    rtype: RecordType,
) -> Result<Vec<Existing>, ProviderError> {
    let list: Vec<DRecord> = serde_json::from_str(body).map_err(|_| {
        ProviderError::Api(format!(
            "dynv6 answered a record list that cannot be read: {}",
            super::truncate(body, 300)
        ))
    })?;
    Ok(list
        .into_iter()
        .filter(|r| r.rtype == rtype.as_str() && r.name.eq_ignore_ascii_case(rel))
        .map(|r| Existing {
            id: id_text(&r.id),
            value: r.data,
            ttl: None,
            proxied: None,
        })
        .collect())
}

impl Provider for Dynv6 {
    fn key(&self) -> &'static str {
        "dynv6"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let (zone, t) = self.target(domain).await?;
            let records = if t.rel.is_empty() {
                let value = match rtype {
                    RecordType::A => zone.ipv4address,
                    RecordType::Aaaa => zone.ipv6prefix,
                };
                value
                    .filter(|v| !v.is_empty())
                    .map(|v| Existing {
                        id: t.zone_id.clone(),
                        value: v,
                        ttl: None,
                        proxied: None,
                    })
                    .into_iter()
                    .collect()
            } else {
                let path = format!("/zones/{}/records", t.zone_id);
                let body = self
                    .call(self.s.http.get(self.url(&path)), &domain.root_ascii())
                    .await?;
                read_records(&body, &t.rel, rtype)?
            };
            Ok(Lookup::Found {
                zone: Some(format!("{}/{}", t.zone_id, t.rel)),
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
            if matches!(plan, Plan::NoChange { .. }) {
                return Ok(());
            }
            let name = domain.root_ascii();
            // The lookup carries "<zone id>/<relative name>" (ids are numbers, names hold no
            // '/'); without it the zone is looked up again.
            let t = match lookup {
                Lookup::Found { zone: Some(z), .. } => match z.split_once('/') {
                    Some((id, rel)) => Target {
                        zone_id: id.to_string(),
                        rel: rel.to_string(),
                    },
                    None => self.target(domain).await?.1,
                },
                _ => self.target(domain).await?.1,
            };
            let value = addr.to_string();
            if t.rel.is_empty() {
                // Only the one family's field: the other address of the zone is left as is.
                let body = json!({ zone_field(rtype): value });
                let path = format!("/zones/{}", t.zone_id);
                return self
                    .call(self.s.http.patch(self.url(&path)).json(&body), &name)
                    .await
                    .map(|_| ());
            }
            match plan {
                Plan::Update { records } => {
                    for r in records {
                        let path = format!("/zones/{}/records/{}", t.zone_id, r.id);
                        let req = self
                            .s
                            .http
                            .patch(self.url(&path))
                            .json(&json!({"data": value}));
                        self.call(req, &name).await?;
                    }
                    Ok(())
                }
                _ => {
                    let path = format!("/zones/{}/records", t.zone_id);
                    let body = json!({"name": t.rel, "type": rtype.as_str(), "data": value});
                    self.call(self.s.http.post(self.url(&path)).json(&body), &name)
                        .await
                        .map(|_| ())
                }
            }
        })
    }
}

/// Turns an error answer into a [`ProviderError`].
#[doc(hidden)]
pub fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    name: &str,
) -> ProviderError {
    let msg = format!(
        "dynv6 answered HTTP {status}: {}",
        super::truncate(body.trim(), 300)
    );
    match status {
        401 => ProviderError::Auth(msg),
        403 => ProviderError::Permission(msg),
        404 => ProviderError::ZoneNotFound(name.to_string()),
        429 => ProviderError::RateLimited { retry_after, msg },
        _ => ProviderError::Api(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(id: u64, name: &str) -> Zone {
        Zone {
            id: Value::from(id),
            name: name.into(),
            ipv4address: None,
            ipv6prefix: None,
        }
    }

    #[test]
    fn the_zone_must_end_on_a_label_boundary_and_the_longest_wins() {
        let zones = || {
            vec![
                zone(1, "example.dynv6.net"),
                zone(2, "sub.example.dynv6.net"),
            ]
        };
        let pick = |fqdn: &str| pick_zone(zones(), fqdn).map(|(z, r)| (id_text(&z.id), r));
        assert_eq!(pick("example.dynv6.net"), Some(("1".into(), String::new())));
        assert_eq!(
            pick("www.example.dynv6.net"),
            Some(("1".into(), "www".into()))
        );
        assert_eq!(
            pick("a.sub.example.dynv6.net"),
            Some(("2".into(), "a".into()))
        );
        assert_eq!(pick("myexample.dynv6.net"), None);
    }

    #[test]
    fn errors_are_classified() {
        assert!(matches!(
            classify(401, None, "Unauthorized", "x"),
            ProviderError::Auth(_)
        ));
        assert_eq!(
            classify(404, None, "", "x"),
            ProviderError::ZoneNotFound("x".into())
        );
        assert!(matches!(
            classify(429, None, "", "x"),
            ProviderError::RateLimited { .. }
        ));
        assert!(
            matches!(classify(422, None, "bad data", "x"), ProviderError::Api(m) if m.contains("bad data"))
        );
    }
}
