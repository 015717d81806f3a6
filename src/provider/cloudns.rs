//! ClouDNS (`dns.name: cloudns`, `https://api.cloudns.net/dns/`): form POSTs carrying
//! `auth-id` (or `sub-auth-id`) and `auth-password`, to `records.json`, `add-record.json` and
//! `mod-record.json`. Answers are HTTP 200 with `{"status":"Failed","statusDescription"}` on
//! errors; the record list is an object keyed by record id (`[]` when empty).
//!
//! The apex host is the empty string. TTL must be one of ClouDNS's fixed values, so the
//! configured TTL is rounded up to the next allowed one (default 3600).
//!
//! Custom param `sub-auth=true` sends `id` as `sub-auth-id` (an API sub-user).

use std::net::IpAddr;

use serde_json::Value;

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
    default_plan,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "cloudns",
    name: "ClouDNS",
    id_label: "auth-id",
    secret_label: "auth-password",
    extparam_label: "",
    help_url: "https://www.cloudns.net/api-settings/",
    help: "An API user (or a sub-user limited to the zone) and its password. Params: \
           sub-auth=true for a sub-user id, RecordId.",
    default_ttl: "3600",
    change_only: false,
};

const PRODUCTION: &str = "https://api.cloudns.net";
const DEFAULT_TTL: u32 = 3600;
/// The only TTLs ClouDNS accepts.
const TTLS: &[u32] = &[
    60, 300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 2592000,
];

/// A ClouDNS API user (`id` = auth-id, `secret` = auth-password).
pub struct Cloudns {
    s: ProviderSettings,
}

impl Cloudns {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Cloudns { s }
    }

    /// Posts `fields` plus the credentials to `/dns/<method>` and returns the decoded answer
    /// unless it is a `Failed` status.
    async fn call(
        &self,
        method: &str,
        domain: &Domain,
        fields: &[(&str, &str)],
    ) -> Result<Value, ProviderError> {
        let id_field = if domain.param("sub-auth") == Some("true") {
            "sub-auth-id"
        } else {
            "auth-id"
        };
        let mut form: Vec<(&str, &str)> = vec![
            (id_field, self.s.id.as_str()),
            ("auth-password", self.s.secret.as_str()),
        ];
        form.extend_from_slice(fields);
        let url = format!("{}/dns/{method}", self.s.base(PRODUCTION));
        let a = super::send(self.s.http.post(url).form(&form)).await?;
        decode(method, a, &domain.root_ascii())
    }

    async fn write(
        &self,
        domain: &Domain,
        rtype: RecordType,
        addr: IpAddr,
        record_id: Option<&str>,
    ) -> Result<(), ProviderError> {
        let root = domain.root_ascii();
        let host = host(domain);
        let value = addr.to_string();
        let ttl = allowed_ttl(self.s.ttl_or(DEFAULT_TTL)).to_string();
        let mut fields = vec![
            ("domain-name", root.as_str()),
            ("host", host.as_str()),
            ("record", value.as_str()),
            ("ttl", ttl.as_str()),
        ];
        let method = match record_id {
            Some(id) => {
                fields.push(("record-id", id));
                "mod-record.json"
            }
            None => {
                fields.push(("record-type", rtype.as_str()));
                "add-record.json"
            }
        };
        let v = self.call(method, domain, &fields).await?;
        if v.get("status").and_then(Value::as_str) == Some("Success") {
            Ok(())
        } else {
            Err(ProviderError::Api(format!(
                "ClouDNS {method} did not report success: {}",
                super::truncate(&v.to_string(), 300)
            )))
        }
    }
}

/// The host as ClouDNS names records: ASCII, `""` for the apex.
fn host(domain: &Domain) -> String {
    let full = domain.to_ascii();
    let root = domain.root_ascii();
    full.strip_suffix(&root)
        .map(|s| s.trim_end_matches('.').to_string())
        .unwrap_or_default()
}

/// The smallest allowed TTL not below `ttl` (the largest one for anything above it).
fn allowed_ttl(ttl: u32) -> u32 {
    TTLS.iter()
        .copied()
        .find(|t| *t >= ttl)
        .unwrap_or(TTLS[TTLS.len() - 1])
}

impl Provider for Cloudns {
    fn key(&self) -> &'static str {
        "cloudns"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let root = domain.root_ascii();
            let want = host(domain);
            let fields = [
                ("domain-name", root.as_str()),
                ("host", want.as_str()),
                ("type", rtype.as_str()),
            ];
            let v = self.call("records.json", domain, &fields).await?;
            // The list is an object keyed by id, or `[]` when empty. The host and type are
            // checked again here: an empty host or an unknown type widens ClouDNS's filter.
            let records = read_records(&v, &want, rtype)?;
            Ok(Lookup::Found {
                zone: None,
                records,
            })
        })
    }

    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        default_plan(domain, lookup, addr, "RecordId")
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
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Create | Plan::Write => self.write(domain, rtype, addr, None).await,
                Plan::Update { records } => {
                    for r in records {
                        self.write(domain, rtype, addr, Some(&r.id)).await?;
                    }
                    Ok(())
                }
            }
        })
    }
}

/// The JSON of a successful answer, or the error an answer carries (HTTP status or
/// `"status": "Failed"`).
pub(super) fn decode(method: &str, a: super::Answer, root: &str) -> Result<Value, ProviderError> {
    if a.status == 429 {
        return Err(ProviderError::RateLimited {
            retry_after: a.retry_after,
            msg: format!("ClouDNS {method} answered HTTP 429"),
        });
    }
    if !a.ok() {
        return Err(ProviderError::Api(format!(
            "ClouDNS {method} answered HTTP {}: {}",
            a.status,
            super::truncate(&a.body, 300)
        )));
    }
    let v: Value = serde_json::from_str(&a.body).map_err(|_| {
        ProviderError::Api(format!(
            "ClouDNS {method} answered something that is not JSON: {}",
            super::truncate(&a.body, 300)
        ))
    })?;
    if v.get("status").and_then(Value::as_str) == Some("Failed") {
        let desc = v["statusDescription"].as_str().unwrap_or_default();
        return Err(classify(method, desc, root));
    }
    Ok(v)
}

/// The records of `want` with the asked type in a `records.json` answer: an object keyed by
/// record id, or an empty array (or object) when the zone has none. Any other shape is an
/// error: read as "no records" it would make the engine create a second record.
pub(super) fn read_records(
    v: &Value,
    want: &str,
    rtype: RecordType,
) -> Result<Vec<Existing>, ProviderError> {
    let records = match v {
        Value::Object(o) => o,
        // PHP's encoding of an empty list; `null` is kept as empty for the same reason.
        Value::Array(a) if a.is_empty() => return Ok(Vec::new()),
        Value::Null => return Ok(Vec::new()),
        other => {
            return Err(ProviderError::Api(format!(
                "ClouDNS records.json answered something that is not a record list: {}",
                super::truncate(&other.to_string(), 300)
            )));
        }
    };
    Ok(records
        .values()
        .filter(|r| {
            r["type"].as_str() == Some(rtype.as_str())
                && r["host"]
                    .as_str()
                    .is_some_and(|h| h.eq_ignore_ascii_case(want))
        })
        .map(|r| Existing {
            id: text(&r["id"]),
            value: text(&r["record"]),
            ttl: text(&r["ttl"]).parse().ok(),
            proxied: None,
        })
        .collect())
}

/// ClouDNS sends ids and TTLs as strings, but tolerate numbers.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Maps a `Failed` status description to a [`ProviderError`].
fn classify(method: &str, desc: &str, root: &str) -> ProviderError {
    let msg = format!("ClouDNS {method}: {}", super::truncate(desc, 300));
    let d = desc.to_ascii_lowercase();
    if d.contains("invalid authentication") {
        ProviderError::Auth(msg)
    } else if d.contains("missing domain-name")
        || d.contains("zone not found")
        || d.contains("don't have this zone")
    {
        ProviderError::ZoneNotFound(root.to_string())
    } else if d.contains("permission") || d.contains("not allowed") {
        ProviderError::Permission(msg)
    } else if d.contains("too many requests") {
        ProviderError::RateLimited {
            retry_after: None,
            msg,
        }
    } else {
        ProviderError::Api(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_records_answer_that_is_not_a_record_list_is_an_error() {
        for body in [
            r#""ok""#,
            "1",
            "true",
            r#"[{"id":"1","type":"A","host":"www"}]"#,
        ] {
            let v: Value = serde_json::from_str(body).unwrap();
            assert!(
                matches!(read_records(&v, "www", RecordType::A), Err(ProviderError::Api(m)) if m.contains("not a record list")),
                "{body}"
            );
        }
        for empty in ["[]", "{}", "null"] {
            let v: Value = serde_json::from_str(empty).unwrap();
            assert!(
                read_records(&v, "www", RecordType::A).unwrap().is_empty(),
                "{empty}"
            );
        }
        let v: Value = serde_json::from_str(
            r#"{"9":{"id":"9","type":"A","host":"www","record":"192.0.2.1","ttl":"3600"},
                "10":{"id":"10","type":"AAAA","host":"www","record":"2001:db8::1","ttl":"3600"}}"#,
        )
        .unwrap();
        let found = read_records(&v, "www", RecordType::A).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].id.as_str(), found[0].ttl), ("9", Some(3600)));
    }

    #[test]
    fn ttl_is_rounded_up_to_an_allowed_value() {
        assert_eq!(allowed_ttl(1), 60);
        assert_eq!(allowed_ttl(600), 900);
        assert_eq!(allowed_ttl(3600), 3600);
        assert_eq!(allowed_ttl(u32::MAX), 2_592_000);
    }

    #[test]
    fn failures_are_classified() {
        let auth = "Invalid authentication, incorrect auth-id or auth-password.";
        assert!(
            matches!(classify("records.json", auth, "e.com"), ProviderError::Auth(m) if m.contains("incorrect auth-id"))
        );
        assert_eq!(
            classify("records.json", "Missing domain-name", "e.com"),
            ProviderError::ZoneNotFound("e.com".into())
        );
        assert!(matches!(
            classify("add-record.json", "Invalid TTL", "e.com"),
            ProviderError::Api(_)
        ));
    }
}
