//! Callback (`dns.name: callback`): calls a user-defined URL for each domain whose address
//! changed. `id` is the URL template, `secret` the request-body template (empty: GET).
//!
//! Change-only: the URL cannot be asked what it holds, so [`Provider::lookup`] answers
//! [`Lookup::Unknown`] and the sync layer compares with what it published last.
//!
//! Variables: `#{ip}`, `#{domain}`, `#{recordType}`, `#{ttl}`, `#{ipv4Addr}`, `#{ipv6Addr}`,
//! `#{timestamp}` and every custom param `k` (given once) as `#{k}`. Only the address of the
//! record being written is known here, so the other family's variable is empty.

use std::net::IpAddr;

use super::{BoxFut, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "callback",
    name: "Callback",
    id_label: "URL",
    secret_label: "Request body",
    extparam_label: "",
    help_url: "https://github.com/jeessy2/ddns-go/wiki/Callback",
    help: "GET when the body is empty, else POST; variables #{ip}, #{domain}, #{recordType}, #{ttl}, #{ipv4Addr}, #{ipv6Addr}, #{timestamp}.",
    default_ttl: "600",
    change_only: true,
};

/// TTL shown in `#{ttl}` when the config leaves it empty (ddns-go's default).
const DEFAULT_TTL: &str = "600";

/// A user-defined HTTP callback.
pub struct Callback {
    s: ProviderSettings,
}

impl Callback {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Callback { s }
    }

    /// The substituted URL and body for one domain.
    fn render(
        &self,
        domain: &Domain,
        rtype: RecordType,
        addr: IpAddr,
        now: i64,
    ) -> (String, String) {
        let ip = addr.to_string();
        let name = domain.name();
        let ttl = if self.s.ttl.trim().is_empty() {
            DEFAULT_TTL
        } else {
            self.s.ttl.trim()
        };
        let timestamp = now.to_string();
        let (v4, v6) = if addr.is_ipv4() {
            (ip.as_str(), "")
        } else {
            ("", ip.as_str())
        };
        let mut vars: Vec<(&str, &str)> = vec![
            ("ip", ip.as_str()),
            ("domain", name.as_str()),
            ("recordType", rtype.as_str()),
            ("ttl", ttl),
            ("ipv4Addr", v4),
            ("ipv6Addr", v6),
            ("timestamp", timestamp.as_str()),
        ];
        // A param given twice has no single value, so (as in ddns-go) it is not a variable.
        for (k, v) in &domain.params {
            if domain.params.iter().filter(|(o, _)| o == k).count() == 1 {
                vars.push((k.as_str(), v.as_str()));
            }
        }
        (
            crate::template::expand(&self.s.id, &vars),
            crate::template::expand(&self.s.secret, &vars),
        )
    }
}

impl Provider for Callback {
    fn key(&self) -> &'static str {
        "callback"
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
            let (url, body) = self.render(domain, rtype, addr, crate::timefmt::unix_now());
            let parsed = reqwest::Url::parse(&url).map_err(|e| {
                ProviderError::Api(format!(
                    "the callback URL \"{url}\" is invalid ({e}); put a full http:// or https:// \
                     URL in the ID field"
                ))
            })?;
            let req = if self.s.secret.is_empty() {
                self.s.http.get(parsed)
            } else {
                let kind = if serde_json::from_str::<serde_json::Value>(&body).is_ok() {
                    "application/json"
                } else {
                    "application/x-www-form-urlencoded"
                };
                self.s
                    .http
                    .post(parsed)
                    .header(reqwest::header::CONTENT_TYPE, kind)
                    .body(body)
            };
            let super::Answer {
                status, body: text, ..
            } = super::send(req).await?;
            if status < 300 {
                Ok(())
            } else {
                Err(ProviderError::Api(format!(
                    "the callback answered HTTP {status}: {}",
                    super::truncate(&text, 300)
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, body: &str, ttl: &str) -> ProviderSettings {
        ProviderSettings {
            id: url.into(),
            secret: body.into(),
            extparam: String::new(),
            ttl: ttl.into(),
            http: crate::http::provider_client(&Default::default(), None).unwrap(),
            endpoint: None,
        }
    }

    #[test]
    fn renders_every_variable() {
        let cb = Callback::new(settings(
            "https://h/u?d=#{domain}&t=#{recordType}&ttl=#{ttl}&k=#{key}&dup=#{dup}",
            "#{ip}|#{ipv4Addr}|#{ipv6Addr}|#{timestamp}",
            "",
        ));
        let d = Domain {
            sub: "www".into(),
            root: "example.com".into(),
            params: vec![
                ("dup".into(), "1".into()),
                ("dup".into(), "2".into()),
                ("key".into(), "v".into()),
            ],
        };
        let (url, body) = cb.render(&d, RecordType::A, "192.0.2.7".parse().unwrap(), 1700000000);
        assert_eq!(
            url,
            "https://h/u?d=www.example.com&t=A&ttl=600&k=v&dup=#{dup}"
        );
        assert_eq!(body, "192.0.2.7|192.0.2.7||1700000000");
        let cb = Callback::new(settings("#{ttl}", "#{ipv4Addr}|#{ipv6Addr}", " 120 "));
        let (url, body) = cb.render(&d, RecordType::Aaaa, "2001:db8::1".parse().unwrap(), 0);
        assert_eq!(url, "120");
        assert_eq!(body, "|2001:db8::1");
    }
}
