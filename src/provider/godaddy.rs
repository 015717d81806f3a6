//! GoDaddy Domains API v1 (`dns.name: godaddy`, `https://api.godaddy.com/v1`): the records of a
//! name and type are read with a GET and replaced as a set with a PUT on the same path.
//!
//! ddns-go never reads GoDaddy (change-only: it PUTs whenever its own cache says the address
//! changed). The API does have the GET, so ddns-rs looks records up like any other provider:
//! an unchanged address costs one read and no write, and a record edited by hand is noticed.
//! GoDaddy only opens the API to accounts with 10+ domains or a Domain Pro plan; others get
//! 403 ACCESS_DENIED, reported as a permission error saying so.

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
    key: "godaddy",
    name: "GoDaddy",
    id_label: "Key",
    secret_label: "Secret",
    extparam_label: "",
    help_url: "https://developer.godaddy.com/keys",
    help: "A Production API key; GoDaddy opens the API only to accounts with 10+ domains or a Domain Pro plan. No params.",
    default_ttl: "600",
    change_only: false,
};

const PRODUCTION: &str = "https://api.godaddy.com";
/// GoDaddy's minimum TTL, also ddns-go's default.
const DEFAULT_TTL: u32 = 600;

/// A GoDaddy account reached with an API key (`id`) and secret (`secret`).
pub struct GoDaddy {
    s: ProviderSettings,
}

impl GoDaddy {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        GoDaddy { s }
    }

    /// `/v1/domains/<root>/records/<type>/<sub or @>`.
    fn url(&self, domain: &Domain, rtype: RecordType) -> String {
        let n = AsciiName::of(domain);
        format!(
            "{}/v1/domains/{}/records/{}/{}",
            self.s.base(PRODUCTION),
            n.root,
            rtype.as_str(),
            n.sub_or_at()
        )
    }

    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        root: &str,
    ) -> Result<String, ProviderError> {
        let auth = format!("sso-key {}:{}", self.s.id, self.s.secret);
        let req = req
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::ACCEPT, "application/json");
        let a = super::send(req).await?;
        if a.ok() {
            Ok(a.body)
        } else {
            Err(classify(a.status, a.retry_after, &a.body, root))
        }
    }
}

/// The records of a record set answer (a JSON array).
pub(super) fn read_records(body: &str) -> Result<Vec<Existing>, ProviderError> {
    let list: Vec<Value> = serde_json::from_str(body).map_err(|_| {
        ProviderError::Api(format!(
            "GoDaddy answered a record list that is not a JSON array: {}",
            super::truncate(body, 300)
        ))
    })?;
    Ok(list
        .iter()
        .map(|r| Existing {
            id: String::new(),
            value: r["data"].as_str().unwrap_or_default().to_string(),
            ttl: r["ttl"].as_u64().and_then(|t| u32::try_from(t).ok()),
            proxied: None,
        })
        .collect())
}

impl Provider for GoDaddy {
    fn key(&self) -> &'static str {
        "godaddy"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let body = self
                .call(self.s.http.get(self.url(domain, rtype)), &domain.root)
                .await?;
            let records = read_records(&body)?;
            Ok(Lookup::Found {
                zone: None,
                records,
            })
        })
    }

    fn plan(&self, _domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        // The PUT replaces the whole set, so the set is right only when every record is.
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
            if matches!(plan, Plan::NoChange { .. }) {
                return Ok(());
            }
            // One PUT creates or replaces the record set of this name and type.
            let body = json!([{"data": addr.to_string(), "ttl": self.s.ttl_or(DEFAULT_TTL)}]);
            let req = self.s.http.put(self.url(domain, rtype)).json(&body);
            self.call(req, &domain.root).await.map(|_| ())
        })
    }
}

/// Turns an error answer (`{"code","message"}`) into a [`ProviderError`].
#[doc(hidden)]
pub fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    root: &str,
) -> ProviderError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let code = v["code"].as_str().unwrap_or_default();
    let message = v["message"].as_str().unwrap_or_default();
    let msg = if code.is_empty() && message.is_empty() {
        format!(
            "GoDaddy answered HTTP {status}: {}",
            super::truncate(body, 300)
        )
    } else {
        format!("GoDaddy answered HTTP {status} {code}: {message}")
    };
    match (status, code) {
        (429, _) | (_, "TOO_MANY_REQUESTS") => ProviderError::RateLimited {
            // The body says how long to wait when the header does not.
            retry_after: retry_after
                .or_else(|| v["retryAfterSec"].as_u64().map(Duration::from_secs)),
            msg,
        },
        (401, _) | (_, "UNABLE_TO_AUTHENTICATE" | "MISSING_CREDENTIALS") => {
            ProviderError::Auth(msg)
        }
        (403, _) | (_, "ACCESS_DENIED") => ProviderError::Permission(format!(
            "{msg}; GoDaddy opens the API only to accounts with 10 or more domains or a Domain Pro \
             plan, and the key must be a Production key"
        )),
        (404, _) | (_, "UNKNOWN_DOMAIN") => ProviderError::ZoneNotFound(root.to_string()),
        _ => ProviderError::Api(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified() {
        let c = |s, b| classify(s, None, b, "example.com");
        let auth = r#"{"code":"UNABLE_TO_AUTHENTICATE","message":"Unauthorized : Could not authenticate API key/secret"}"#;
        assert!(
            matches!(c(401, auth), ProviderError::Auth(m) if m.contains("UNABLE_TO_AUTHENTICATE"))
        );
        let denied =
            r#"{"code":"ACCESS_DENIED","message":"Authenticated user is not allowed access"}"#;
        assert!(
            matches!(c(403, denied), ProviderError::Permission(m) if m.contains("10 or more domains"))
        );
        let unknown = r#"{"code":"UNKNOWN_DOMAIN","message":"The given domain is not registered, or does not have a zone file"}"#;
        assert_eq!(
            c(404, unknown),
            ProviderError::ZoneNotFound("example.com".into())
        );
        let rl = r#"{"code":"TOO_MANY_REQUESTS","message":"Too many requests","retryAfterSec":42}"#;
        assert!(
            matches!(c(429, rl), ProviderError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(42))
        );
        assert!(matches!(
            classify(429, Some(Duration::from_secs(7)), rl, "example.com"),
            ProviderError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(7)
        ));
        let invalid = r#"{"code":"INVALID_VALUE_ENUM","message":"type not any of: A, AAAA"}"#;
        assert!(
            matches!(c(422, invalid), ProviderError::Api(m) if m.contains("422 INVALID_VALUE_ENUM"))
        );
        assert!(matches!(c(500, "oops"), ProviderError::Api(m) if m.contains("500: oops")));
    }
}
