//! DuckDNS (`dns.name: duckdns`): its own protocol, `GET
//! https://www.duckdns.org/update?domains=<name>&token=<token>&ip=<v4>` (or `ipv6=`), answered
//! with `OK` or `KO`.
//!
//! `secret` is the account token; `id` and `extparam` are unused. The domain line is
//! `<name>.duckdns.org` (deeper names resolve through DuckDNS's wildcard, so they update
//! `<name>`). Change-only: the API cannot be read. The token travels in the query, so nothing
//! here ever prints the URL (and [`super::send`] strips it from transport errors).

use std::net::IpAddr;

use super::{BoxFut, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "duckdns",
    name: "DuckDNS",
    id_label: "",
    secret_label: "Token",
    extparam_label: "",
    help_url: "https://www.duckdns.org/",
    help: "The account token shown on duckdns.org; domains are written name.duckdns.org.",
    default_ttl: "",
    change_only: true,
};

const PRODUCTION: &str = "https://www.duckdns.org";
const SUFFIX: &str = ".duckdns.org";

/// One DuckDNS account.
pub struct DuckDns {
    s: ProviderSettings,
}

/// The DuckDNS name (`home` for `home.duckdns.org` or `www.home.duckdns.org`).
pub fn duck_name(domain: &Domain) -> Result<String, ProviderError> {
    let full = domain.to_ascii().to_ascii_lowercase();
    full.strip_suffix(SUFFIX)
        .and_then(|rest| rest.rsplit('.').next())
        .filter(|n| !n.is_empty() && *n != "*")
        .map(str::to_string)
        .ok_or_else(|| {
            ProviderError::Api(format!(
                "{} is not a DuckDNS name; write the domain as <name>.duckdns.org",
                domain.name()
            ))
        })
}

impl DuckDns {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        DuckDns { s }
    }
}

impl Provider for DuckDns {
    fn key(&self) -> &'static str {
        "duckdns"
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
        _rtype: RecordType,
        _lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            if matches!(plan, Plan::NoChange { .. }) {
                return Ok(());
            }
            let token = self.s.secret.trim();
            if token.is_empty() {
                return Err(ProviderError::Auth(
                    "no token; copy the token from duckdns.org into the secret field".into(),
                ));
            }
            let name = duck_name(domain)?;
            let family = if addr.is_ipv4() { "ip" } else { "ipv6" };
            let req = self
                .s
                .http
                .get(format!("{}/update", self.s.base(PRODUCTION)))
                .query(&[
                    ("domains", name.as_str()),
                    ("token", token),
                    (family, &addr.to_string()),
                ]);
            let a = super::send(req).await?;
            let first = a.body.lines().next().unwrap_or("").trim();
            match (a.status, first) {
                (200..=299, "OK") => Ok(()),
                (200..=299, "KO") => Err(ProviderError::Auth(format!(
                    "DuckDNS answered KO: the token is wrong or {name}.duckdns.org is not in \
                     this account"
                ))),
                (429, _) => Err(ProviderError::RateLimited {
                    retry_after: a.retry_after,
                    msg: "DuckDNS asked to slow down".into(),
                }),
                (s, _) => Err(ProviderError::Api(format!(
                    "DuckDNS answered HTTP {s}: {}",
                    super::truncate(first, 100)
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(sub: &str, root: &str) -> Domain {
        Domain {
            sub: sub.into(),
            root: root.into(),
            params: vec![],
        }
    }

    #[test]
    fn names_are_the_label_before_duckdns_org() {
        assert_eq!(duck_name(&d("", "home.duckdns.org")).unwrap(), "home");
        assert_eq!(duck_name(&d("www", "Home.duckdns.org")).unwrap(), "home");
        assert_eq!(duck_name(&d("home", "duckdns.org")).unwrap(), "home");
        assert!(duck_name(&d("", "duckdns.org")).is_err());
        assert!(duck_name(&d("www", "example.com")).is_err());
    }
}
