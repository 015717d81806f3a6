//! Helpers shared by the registrar APIs (Porkbun, GoDaddy, Namecheap, NameSilo, Dynadot,
//! Spaceship): names in the ASCII form those APIs expect, and the plan for providers whose
//! write covers every record of a name and type (an RRset).
//!
//! Not here: providers that pick one record by id (see [`super::default_plan`]).

use std::net::IpAddr;

use super::{Existing, Lookup, Plan, same_address};
use crate::config::Domain;

/// A domain's sub-domain and root in ASCII (IDNA/punycode) form. Registrar APIs only know
/// names as they are registered (`xn--bcher-kva.de`); ddns-go sent them as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsciiName {
    /// Below the root: "" for the apex, "*" for a wildcard.
    pub sub: String,
    /// The registrable root (zone).
    pub root: String,
}

impl AsciiName {
    /// The ASCII form of `domain` (ASCII names are unchanged).
    pub fn of(domain: &Domain) -> AsciiName {
        let root = domain.root_ascii();
        let sub = if domain.sub.is_empty() {
            String::new()
        } else {
            // The sub converted on its own, by the same rule as the full name.
            Domain {
                sub: String::new(),
                root: domain.sub.clone(),
                params: Vec::new(),
            }
            .root_ascii()
        };
        AsciiName { sub, root }
    }

    /// The sub-domain, or `@` for the apex.
    pub fn sub_or_at(&self) -> &str {
        if self.sub.is_empty() { "@" } else { &self.sub }
    }

    /// `sub.root`, or `root` for the apex.
    pub fn full(&self) -> String {
        if self.sub.is_empty() {
            self.root.clone()
        } else {
            format!("{}.{}", self.sub, self.root)
        }
    }
}

/// No records → create; every record already `addr` → no change; else update the records
/// that differ (in the provider's order).
pub fn plan_every(lookup: &Lookup, addr: IpAddr) -> Plan {
    let records = match lookup {
        Lookup::Unknown => return Plan::Write,
        Lookup::Found { records, .. } => records,
    };
    let Some(first) = records.first() else {
        return Plan::Create;
    };
    let stale: Vec<Existing> = records
        .iter()
        .filter(|r| !same_address(&r.value, addr))
        .cloned()
        .collect();
    if stale.is_empty() {
        Plan::NoChange {
            current: first.value.clone(),
        }
    } else {
        Plan::Update { records: stale }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, value: &str) -> Existing {
        Existing {
            id: id.into(),
            value: value.into(),
            ..Default::default()
        }
    }

    fn found(records: Vec<Existing>) -> Lookup {
        Lookup::Found {
            zone: None,
            records,
        }
    }

    #[test]
    fn names_become_ascii() {
        let d = |sub: &str, root: &str| Domain {
            sub: sub.into(),
            root: root.into(),
            params: vec![],
        };
        let n = AsciiName::of(&d("bücher.www", "bücher.de"));
        assert_eq!(
            (n.sub.as_str(), n.root.as_str()),
            ("xn--bcher-kva.www", "xn--bcher-kva.de")
        );
        assert_eq!(n.full(), d("bücher.www", "bücher.de").to_ascii());
        let apex = AsciiName::of(&d("", "example.com"));
        assert_eq!(
            (apex.sub_or_at(), apex.full().as_str()),
            ("@", "example.com")
        );
        let wild = AsciiName::of(&d("*", "example.com"));
        assert_eq!(
            (wild.sub_or_at(), wild.full().as_str()),
            ("*", "*.example.com")
        );
        assert_eq!(AsciiName::of(&d("www", "example.com")).sub, "www");
    }

    #[test]
    fn plans() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(plan_every(&Lookup::Unknown, a), Plan::Write);
        assert_eq!(plan_every(&found(vec![]), a), Plan::Create);
        assert_eq!(
            plan_every(
                &found(vec![rec("1", "2001:0db8::0001"), rec("2", "2001:db8::1")]),
                a
            ),
            Plan::NoChange {
                current: "2001:0db8::0001".into()
            }
        );
        assert_eq!(
            plan_every(
                &found(vec![
                    rec("1", "2001:db8::1"),
                    rec("2", "192.0.2.1"),
                    rec("3", "junk")
                ]),
                a
            ),
            Plan::Update {
                records: vec![rec("2", "192.0.2.1"), rec("3", "junk")]
            }
        );
    }
}
