//! Namecheap dynamic DNS (`dns.name: namecheap`,
//! `https://dynamicdns.park-your-domain.com/update`): one GET per host with the domain's
//! Dynamic DNS password, answered in XML with HTTP 200 even on failure.
//!
//! Change-only: the endpoint cannot be read, so [`Provider::lookup`] answers
//! [`Lookup::Unknown`] and the sync layer compares with what it published last. IPv4 only:
//! the endpoint sets A records and has no AAAA form. The host must already exist in
//! Namecheap's Advanced DNS as an "A + Dynamic DNS" record.

use std::net::IpAddr;

use super::registrar::AsciiName;
use super::xmltext;
use super::{BoxFut, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "namecheap",
    name: "Namecheap",
    id_label: "",
    secret_label: "Dynamic DNS password",
    extparam_label: "",
    help_url: "https://ap.www.namecheap.com/Domains/DomainControlPanel/",
    help: "The domain's Dynamic DNS password (Advanced DNS → Dynamic DNS); IPv4 only, hosts must exist as A + Dynamic DNS records. No params.",
    default_ttl: "",
    change_only: true,
};

const PRODUCTION: &str = "https://dynamicdns.park-your-domain.com";

/// A Namecheap domain reached with its Dynamic DNS password (`secret`; `id` is unused).
pub struct Namecheap {
    s: ProviderSettings,
}

impl Namecheap {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Namecheap { s }
    }
}

impl Provider for Namecheap {
    fn key(&self) -> &'static str {
        "namecheap"
    }

    fn lookup<'a>(
        &'a self,
        _domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            match rtype {
                RecordType::A => Ok(Lookup::Unknown),
                RecordType::Aaaa => Err(unsupported()),
            }
        })
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
            if addr.is_ipv6() {
                return Err(unsupported());
            }
            let ip = addr.to_string();
            let n = AsciiName::of(domain);
            // `query` URL-escapes every value; ddns-go pasted them in raw, so a password
            // with `&` or `#` broke the request.
            let query = [
                ("host", n.sub_or_at()),
                ("domain", n.root.as_str()),
                ("password", self.s.secret.as_str()),
                ("ip", ip.as_str()),
            ];
            let url = format!("{}/update", self.s.base(PRODUCTION));
            let a = super::send(self.s.http.get(url).query(&query)).await?;
            check(a.status, &a.body, &domain.root)
        })
    }
}

fn unsupported() -> ProviderError {
    ProviderError::Unsupported(
        "Namecheap dynamic DNS sets IPv4 (A) records only; disable IPv6 for this entry or use \
         a provider with an IPv6 API"
            .into(),
    )
}

/// Reads the XML answer: success only when `ErrCount` is present and 0.
#[doc(hidden)]
pub fn check(status: u16, body: &str, root: &str) -> Result<(), ProviderError> {
    let count = xmltext::text(body, "ErrCount").and_then(|c| c.parse::<u32>().ok());
    match count {
        Some(0) if status < 300 => Ok(()),
        Some(n) if n > 0 => {
            let errors: Vec<String> = (1..=n)
                .filter_map(|i| xmltext::text(body, &format!("Err{i}")))
                .collect();
            let detail = if errors.is_empty() {
                super::truncate(body, 300).to_string()
            } else {
                errors.join("; ")
            };
            Err(classify(&detail, root))
        }
        _ => Err(ProviderError::Api(format!(
            "Namecheap answered HTTP {status} without a readable ErrCount: {}",
            super::truncate(body, 300)
        ))),
    }
}

fn classify(detail: &str, root: &str) -> ProviderError {
    let msg = format!("Namecheap: {detail}");
    let lower = detail.to_ascii_lowercase();
    if lower.contains("password") {
        ProviderError::Auth(format!(
            "{msg}; use the Dynamic DNS password of {root}, not the account password or API key"
        ))
    } else if lower.contains("domain name not found") || lower.contains("invalid domain") {
        ProviderError::ZoneNotFound(root.to_string())
    } else if lower.contains("record not found") || lower.contains("no records updated") {
        ProviderError::Api(format!(
            "{msg}; create the host as an \"A + Dynamic DNS\" record in Advanced DNS first"
        ))
    } else {
        ProviderError::Api(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "<?xml version=\"1.0\"?><interface-response><Command>SETDNSHOST</Command><Language>eng</Language><IP>192.0.2.1</IP><ErrCount>0</ErrCount><ResponseCount>0</ResponseCount><Done>true</Done><debug><![CDATA[]]></debug></interface-response>";

    fn err(msg: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><interface-response><Command>SETDNSHOST</Command><Language>eng</Language><ErrCount>1</ErrCount><errors><Err1>{msg}</Err1></errors><ResponseCount>1</ResponseCount><responses><response><ResponseNumber>304156</ResponseNumber><ResponseString>Validation error; invalid ; password</ResponseString></response></responses><Done>true</Done></interface-response>"
        )
    }

    #[test]
    fn answers_are_read() {
        assert_eq!(check(200, OK, "example.com"), Ok(()));
        assert!(
            matches!(check(200, &err("Passwords do not match"), "example.com"), Err(ProviderError::Auth(m)) if m.contains("Passwords do not match"))
        );
        assert_eq!(
            check(200, &err("Domain name not found"), "example.com"),
            Err(ProviderError::ZoneNotFound("example.com".into()))
        );
        assert!(
            matches!(check(200, &err("No Records updated. A record not Found;"), "example.com"), Err(ProviderError::Api(m)) if m.contains("A + Dynamic DNS"))
        );
        assert!(
            matches!(check(200, &err("Something &amp; else"), "example.com"), Err(ProviderError::Api(m)) if m.contains("Something & else"))
        );
    }

    #[test]
    fn malformed_answers_are_never_success() {
        for body in [
            "",
            "<html>maintenance</html>",
            "<ErrCount>zero</ErrCount>",
            "<ErrCount>0",
            "<ErrCount>-1</ErrCount>",
        ] {
            assert!(
                matches!(check(200, body, "example.com"), Err(ProviderError::Api(_))),
                "{body}"
            );
        }
        // A 5xx is a failure even if the body looks fine.
        assert!(check(503, OK, "example.com").is_err());
        // ErrCount 2 with only one readable message still reports it.
        let two = "<ErrCount>2</ErrCount><errors><Err1>first</Err1></errors>";
        assert!(
            matches!(check(200, two, "example.com"), Err(ProviderError::Api(m)) if m.contains("first"))
        );
    }
}
