//! Dynadot dynamic DNS (`dns.name: dynadot`, `https://www.dynadot.com/set_ddns`): one GET per
//! name with the domain's DDNS password, answered in JSON (`error_code` −1 = failure).
//!
//! Change-only: the endpoint cannot be read, so [`Provider::lookup`] answers
//! [`Lookup::Unknown`] and the sync layer compares with what it published last. The password
//! belongs to one domain, so every name of a config entry must be under the same root.
//! ddns-go sends all names of that root in one call (`subDomain=a,b`) and refuses an entry
//! with two roots; ddns-rs sends one call per name, so a second root simply fails with
//! Dynadot's own error for that name while the others are updated.
//!
//! Custom params are copied into the query (e.g. `?containRoot=true`), after the fixed fields
//! so they cannot replace the password or the address.

use std::net::IpAddr;

use serde_json::Value;

use super::registrar::AsciiName;
use super::{BoxFut, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "dynadot",
    name: "Dynadot",
    id_label: "",
    secret_label: "DDNS password",
    extparam_label: "",
    help_url: "https://www.dynadot.com/account/domain/name/list.html",
    help: "The domain's Dynamic DNS password (domain → DNS settings → Dynamic DNS); one root domain per entry. Params are added to the query.",
    default_ttl: "600",
    change_only: true,
};

const PRODUCTION: &str = "https://www.dynadot.com";
const DEFAULT_TTL: u32 = 600;

/// A Dynadot domain reached with its DDNS password (`secret`; `id` is unused).
pub struct Dynadot {
    s: ProviderSettings,
}

impl Dynadot {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Dynadot { s }
    }
}

impl Provider for Dynadot {
    fn key(&self) -> &'static str {
        "dynadot"
    }

    fn lookup<'a>(
        &'a self,
        _domain: &'a Domain,
        _rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async { Ok(Lookup::Unknown) })
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
            let ip = addr.to_string();
            let ttl = self.s.ttl_or(DEFAULT_TTL).to_string();
            let n = AsciiName::of(domain);
            let contain_root = if n.sub.is_empty() { "true" } else { "false" };
            let fixed = [
                ("domain", n.root.as_str()),
                ("subDomain", n.sub_or_at()),
                ("type", rtype.as_str()),
                ("ip", ip.as_str()),
                ("pwd", self.s.secret.as_str()),
                ("ttl", ttl.as_str()),
                ("containRoot", contain_root),
            ];
            let mut query: Vec<(&str, &str)> = fixed.to_vec();
            for (k, v) in &domain.params {
                if !fixed.iter().any(|(f, _)| *f == k) {
                    query.push((k.as_str(), v.as_str()));
                }
            }
            let url = format!("{}/set_ddns", self.s.base(PRODUCTION));
            // `send` strips the URL from transport errors: the password is in the query.
            let a = super::send(self.s.http.get(url).query(&query)).await?;
            check(a.status, a.retry_after, &a.body, &domain.root)
        })
    }
}

/// Reads the JSON answer: success when it decodes and `error_code` is not −1.
pub(super) fn check(
    status: u16,
    retry_after: Option<std::time::Duration>,
    body: &str,
    root: &str,
) -> Result<(), ProviderError> {
    if status == 429 {
        return Err(ProviderError::RateLimited {
            retry_after,
            msg: "Dynadot answered HTTP 429".into(),
        });
    }
    let v: Option<Value> = serde_json::from_str(body).ok();
    let code = v.as_ref().and_then(|v| v["error_code"].as_i64());
    match (status, code) {
        (200..=299, Some(c)) if c != -1 => Ok(()),
        (_, Some(-1)) => {
            let v = v.unwrap_or_default();
            let detail = [&v["content"], &v["status"], &v["error"]]
                .iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            let msg = format!(
                "Dynadot refused the update: {}",
                super::truncate(&detail, 300)
            );
            if detail.to_ascii_lowercase().contains("password") {
                Err(ProviderError::Auth(format!(
                    "{msg}; use the Dynamic DNS password of {root}"
                )))
            } else {
                Err(ProviderError::Api(msg))
            }
        }
        _ => Err(ProviderError::Api(format!(
            "Dynadot answered HTTP {status} without a readable error_code: {}",
            super::truncate(body, 300)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read() {
        let ok = r#"{"status":"success","error_code":0,"content":["www"]}"#;
        assert_eq!(check(200, None, ok, "example.com"), Ok(()));
        let bad = r#"{"status":"failed","error_code":-1,"content":"invalid password"}"#;
        assert!(
            matches!(check(200, None, bad, "example.com"), Err(ProviderError::Auth(m)) if m.contains("invalid password"))
        );
        let other = r#"{"status":"failed","error_code":-1,"content":"sub domain not exist"}"#;
        assert!(
            matches!(check(200, None, other, "example.com"), Err(ProviderError::Api(m)) if m.contains("sub domain not exist"))
        );
    }

    #[test]
    fn malformed_answers_are_never_success() {
        for body in ["", "<html>down</html>", "{}", r#"{"error_code":"0"}"#] {
            assert!(
                matches!(
                    check(200, None, body, "example.com"),
                    Err(ProviderError::Api(_))
                ),
                "{body}"
            );
        }
        assert!(check(500, None, r#"{"error_code":0}"#, "example.com").is_err());
        assert!(matches!(
            check(
                429,
                Some(std::time::Duration::from_secs(3)),
                "",
                "example.com"
            ),
            Err(ProviderError::RateLimited {
                retry_after: Some(_),
                ..
            })
        ));
    }
}
