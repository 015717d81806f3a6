//! IBM NS1 Connect (`dns.name: nsone`, `https://api.nsone.net/v1`): header `X-NSONE-Key`,
//! records addressed as `/zones/<zone>/<fqdn>/<type>`; `PUT` creates, `POST` updates.
//!
//! Fixed ddns-go quirk: ddns-go addressed the apex as `@.<zone>`, a name NS1 does not have, so
//! apex records were never found nor created correctly. Here the apex is the zone name.
//!
//! The record is read directly; a 404 there is "no such record" (create it) unless a read of
//! the zone also says 404, which is then reported as an unknown zone.

use std::net::IpAddr;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "nsone",
    name: "IBM NS1 Connect",
    id_label: "",
    secret_label: "API Key",
    extparam_label: "",
    help_url: "https://my.nsone.net/#/account/settings",
    help: "An API key with DNS → manage zones (view and edit records) on the zone.",
    default_ttl: "60",
    change_only: false,
};

const PRODUCTION: &str = "https://api.nsone.net";
const PREFIX: &str = "/v1";
const DEFAULT_TTL: u32 = 60;
/// ddns-go's fallback when the configured TTL is not a number.
const FALLBACK_TTL: u32 = 3600;

/// An NS1 account reached with one API key (`secret`; `id` is unused).
pub struct Nsone {
    s: ProviderSettings,
}

#[derive(Deserialize)]
struct NsRecord {
    #[serde(default)]
    id: String,
    #[serde(default)]
    ttl: Option<u32>,
    #[serde(default)]
    answers: Vec<Answer>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    answer: Vec<Value>,
}

impl Nsone {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Nsone { s }
    }

    /// Empty → 60; a number → itself; anything else → 3600 (as ddns-go).
    fn ttl(&self) -> u32 {
        let t = self.s.ttl.trim();
        if t.is_empty() {
            DEFAULT_TTL
        } else {
            t.parse().unwrap_or(FALLBACK_TTL)
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{PREFIX}{path}", self.s.base(PRODUCTION))
    }

    fn record_path(domain: &Domain, rtype: RecordType) -> String {
        format!(
            "/zones/{}/{}/{}",
            domain.root_ascii(),
            domain.to_ascii(),
            rtype.as_str()
        )
    }

    async fn raw(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<Result<String, super::Answer>, ProviderError> {
        Ok(super::send(req.header("X-NSONE-Key", &self.s.secret))
            .await?
            .into_result())
    }

    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        root: &str,
    ) -> Result<String, ProviderError> {
        self.raw(req).await?.map_err(|f| classify(&f, root))
    }
}

/// The record of a record answer, its first answer as the value.
pub(super) fn read_record(body: &str) -> Result<Existing, ProviderError> {
    let rec: NsRecord = serde_json::from_str(body).map_err(|_| {
        ProviderError::Api(format!(
            "NS1 answered a record that cannot be read: {}",
            super::truncate(body, 300)
        ))
    })?;
    let value = rec
        .answers
        .first()
        .and_then(|a| a.answer.first())
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // The record exists even with no answer; it is then updated, not created again.
    Ok(Existing {
        id: rec.id,
        value,
        ttl: rec.ttl,
        proxied: None,
    })
}

impl Provider for Nsone {
    fn key(&self) -> &'static str {
        "nsone"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let root = domain.root_ascii();
            let req = self.s.http.get(self.url(&Self::record_path(domain, rtype)));
            let body = match self.raw(req).await? {
                Ok(b) => b,
                Err(f) if f.status == 404 => {
                    let zone = self
                        .s
                        .http
                        .get(self.url(&format!("/zones/{root}")))
                        .query(&[("records", "false")]);
                    self.call(zone, &root).await?;
                    return Ok(Lookup::Found {
                        zone: None,
                        records: Vec::new(),
                    });
                }
                Err(f) => return Err(classify(&f, &root)),
            };
            Ok(Lookup::Found {
                zone: None,
                records: vec![read_record(&body)?],
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
            let root = domain.root_ascii();
            let url = self.url(&Self::record_path(domain, rtype));
            let body = json!({
                "zone": root,
                "domain": domain.to_ascii(),
                "type": rtype.as_str(),
                "ttl": self.ttl(),
                "answers": [{"answer": [addr.to_string()]}],
            });
            // NS1 uses PUT to create and POST to modify.
            let req = match plan {
                Plan::NoChange { .. } => return Ok(()),
                Plan::Create | Plan::Write => self.s.http.put(url),
                Plan::Update { .. } => self.s.http.post(url),
            };
            self.call(req.json(&body), &root).await.map(|_| ())
        })
    }
}

/// Turns an error answer (`{"message": …}`) into a [`ProviderError`].
pub(super) fn classify(f: &super::Answer, root: &str) -> ProviderError {
    let v: Value = serde_json::from_str(&f.body).unwrap_or(Value::Null);
    let detail = v
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| super::truncate(&f.body, 300).to_string());
    let msg = format!(
        "NS1 answered HTTP {}: {}",
        f.status,
        super::truncate(&detail, 300)
    );
    match f.status {
        401 => ProviderError::Auth(msg),
        403 => ProviderError::Permission(msg),
        404 => ProviderError::ZoneNotFound(root.to_string()),
        429 => ProviderError::RateLimited {
            retry_after: f.retry_after,
            msg,
        },
        _ => ProviderError::Api(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified() {
        let f = |status: u16, body: &str| super::super::Answer {
            status,
            retry_after: None,
            body: body.into(),
        };
        assert!(
            matches!(classify(&f(401, r#"{"message":"Unauthorized"}"#), "e.com"), ProviderError::Auth(m) if m.contains("Unauthorized"))
        );
        assert!(matches!(
            classify(&f(403, "{}"), "e.com"),
            ProviderError::Permission(_)
        ));
        assert_eq!(
            classify(&f(404, r#"{"message":"zone not found"}"#), "e.com"),
            ProviderError::ZoneNotFound("e.com".into())
        );
        assert!(matches!(
            classify(&f(429, ""), "e.com"),
            ProviderError::RateLimited { .. }
        ));
        assert!(
            matches!(classify(&f(400, r#"{"message":"invalid answer"}"#), "e.com"), ProviderError::Api(m) if m.contains("invalid answer"))
        );
    }

    #[test]
    fn the_apex_is_the_zone_name() {
        let d = Domain {
            sub: String::new(),
            root: "example.com".into(),
            params: vec![],
        };
        assert_eq!(
            Nsone::record_path(&d, RecordType::A),
            "/zones/example.com/example.com/A"
        );
    }
}
