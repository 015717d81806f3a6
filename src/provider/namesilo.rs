//! NameSilo API (`dns.name: namesilo`, `https://www.namesilo.com/api/…`): GETs with the API key
//! in the query, answered in XML (`reply/code` 300 = success, HTTP 200 either way).
//!
//! `dnsListRecords` reports each record's `host` as the full name (`www.example.com`, or
//! `example.com` for the apex). ddns-go compared it with the bare sub-domain, never found the
//! record and added a duplicate on every change (ddns-go #1713); ddns-rs compares full names.
//!
//! TTL: NameSilo's minimum is 3600 s (its docs: at least 3600, below 2592001); ddns-go always
//! sends 3600 whatever the config says, and so does ddns-rs, so a `ttl` shared with other
//! providers (often 600) cannot make every NameSilo write fail.

use std::net::IpAddr;

use super::registrar::AsciiName;
use super::xmltext;
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "namesilo",
    name: "NameSilo",
    id_label: "",
    secret_label: "API Key",
    extparam_label: "",
    help_url: "https://www.namesilo.com/account/api-manager",
    help: "An API key from the API Manager (leave \"generate key for read-only access\" unticked). No params; TTL is always 3600.",
    default_ttl: "3600",
    change_only: false,
};

const PRODUCTION: &str = "https://www.namesilo.com";
/// The TTL every write uses (NameSilo's minimum; ddns-go's fixed value).
const TTL: &str = "3600";

/// A NameSilo account reached with an API key (`secret`; `id` is unused).
pub struct NameSilo {
    s: ProviderSettings,
}

impl NameSilo {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        NameSilo { s }
    }

    /// Calls `operation` with `fields` and returns the `<reply>` element's content when its
    /// code is 300.
    async fn call(
        &self,
        operation: &str,
        root: &str,
        fields: &[(&str, &str)],
    ) -> Result<String, ProviderError> {
        let mut query = vec![
            ("version", "1"),
            ("type", "xml"),
            ("key", self.s.secret.as_str()),
            ("domain", root),
        ];
        query.extend_from_slice(fields);
        let url = format!("{}/api/{operation}", self.s.base(PRODUCTION));
        // `send` strips the URL from transport errors: the key is in the query.
        let a = super::send(self.s.http.get(url).query(&query)).await?;
        if a.status == 429 {
            return Err(ProviderError::RateLimited {
                retry_after: a.retry_after,
                msg: format!("NameSilo {operation} answered HTTP 429"),
            });
        }
        let reply = xmltext::elements(&a.body, "reply").into_iter().next();
        let code = reply.and_then(|r| xmltext::text(r, "code"));
        match (reply, code.as_deref()) {
            (Some(r), Some("300")) if a.status < 300 => Ok(r.to_string()),
            (Some(r), Some(code)) => {
                let detail = xmltext::text(r, "detail").unwrap_or_default();
                Err(classify(operation, code, &detail, root))
            }
            _ => Err(ProviderError::Api(format!(
                "NameSilo {operation} answered HTTP {} without a readable reply code: {}",
                a.status,
                super::truncate(&a.body, 300)
            ))),
        }
    }
}

/// The records of `reply` whose full host name is `name` and type is `rtype`.
#[doc(hidden)]
pub fn matching(reply: &str, name: &str, rtype: RecordType) -> Vec<Existing> {
    xmltext::elements(reply, "resource_record")
        .into_iter()
        .filter(|rr| {
            let host = xmltext::text(rr, "host").unwrap_or_default();
            let t = xmltext::text(rr, "type").unwrap_or_default();
            host.trim_end_matches('.').eq_ignore_ascii_case(name) && t == rtype.as_str()
        })
        .map(|rr| Existing {
            id: xmltext::text(rr, "record_id").unwrap_or_default(),
            value: xmltext::text(rr, "value").unwrap_or_default(),
            ttl: xmltext::text(rr, "ttl").and_then(|t| t.parse().ok()),
            proxied: None,
        })
        .collect()
}

impl Provider for NameSilo {
    fn key(&self) -> &'static str {
        "namesilo"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let n = AsciiName::of(domain);
            let reply = self.call("dnsListRecords", &n.root, &[]).await?;
            Ok(Lookup::Found {
                zone: None,
                records: matching(&reply, &n.full(), rtype),
            })
        })
    }

    fn plan(&self, _domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        // Duplicates left behind by ddns-go are brought in line too.
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
            let value = addr.to_string();
            // `rrhost` is the part before the domain: empty for the apex.
            let n = AsciiName::of(domain);
            let host = n.sub.as_str();
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Create | Plan::Write => {
                    let fields = [
                        ("rrtype", rtype.as_str()),
                        ("rrhost", host),
                        ("rrvalue", value.as_str()),
                        ("rrttl", TTL),
                    ];
                    self.call("dnsAddRecord", &n.root, &fields)
                        .await
                        .map(|_| ())
                }
                Plan::Update { records } => {
                    for r in records {
                        let fields = [
                            ("rrid", r.id.as_str()),
                            ("rrhost", host),
                            ("rrvalue", value.as_str()),
                            ("rrttl", TTL),
                        ];
                        self.call("dnsUpdateRecord", &n.root, &fields).await?;
                    }
                    Ok(())
                }
            }
        })
    }
}

/// Maps a reply code other than 300 to a [`ProviderError`] (codes from NameSilo's API
/// reference).
fn classify(operation: &str, code: &str, detail: &str, root: &str) -> ProviderError {
    let msg = format!("NameSilo {operation} code {code}: {detail}");
    match code {
        "109" | "110" | "111" => ProviderError::Auth(msg),
        "112" | "113" => ProviderError::Permission(format!(
            "{msg}; use a key of the main account, without an IP restriction that excludes this \
             machine, and not read-only"
        )),
        "200" => ProviderError::ZoneNotFound(root.to_string()),
        // "Existing API request is still processing": come back later.
        "400" => ProviderError::RateLimited {
            retry_after: None,
            msg,
        },
        _ => ProviderError::Api(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "<?xml version=\"1.0\"?><namesilo><request><operation>dnsListRecords</operation><ip>192.0.2.99</ip></request><reply><code>300</code><detail>success</detail>\
        <resource_record><record_id>r1</record_id><type>A</type><host>example.com</host><value>192.0.2.1</value><ttl>7207</ttl><distance>0</distance></resource_record>\
        <resource_record><record_id>r2</record_id><type>A</type><host>www.example.com</host><value>192.0.2.2</value><ttl>3600</ttl><distance>0</distance></resource_record>\
        <resource_record><record_id>r3</record_id><type>AAAA</type><host>www.example.com</host><value>2001:db8::1</value><ttl>3600</ttl><distance>0</distance></resource_record>\
        <resource_record><record_id>r4</record_id><type>A</type><host>www.www.example.com</host><value>192.0.2.4</value><ttl>3600</ttl><distance>0</distance></resource_record>\
        </reply></namesilo>";

    #[test]
    fn records_match_by_full_name_and_type() {
        let ids = |name, t| -> Vec<String> {
            matching(LIST, name, t).into_iter().map(|r| r.id).collect()
        };
        assert_eq!(ids("www.example.com", RecordType::A), vec!["r2"]);
        assert_eq!(ids("WWW.example.com", RecordType::Aaaa), vec!["r3"]);
        assert_eq!(ids("example.com", RecordType::A), vec!["r1"]);
        assert!(
            ids("www", RecordType::A).is_empty(),
            "a bare label is not a host"
        );
        assert_eq!(
            matching(LIST, "example.com", RecordType::A)[0].ttl,
            Some(7207)
        );
    }

    #[test]
    fn codes_are_classified() {
        let c = |code| classify("dnsListRecords", code, "x", "example.com");
        assert!(matches!(c("110"), ProviderError::Auth(m) if m.contains("code 110")));
        assert!(matches!(c("113"), ProviderError::Permission(_)));
        assert_eq!(c("200"), ProviderError::ZoneNotFound("example.com".into()));
        assert!(matches!(c("400"), ProviderError::RateLimited { .. }));
        assert!(matches!(c("280"), ProviderError::Api(m) if m.contains("code 280: x")));
    }
}
