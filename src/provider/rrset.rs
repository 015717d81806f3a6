//! The plan for providers whose write covers every record of a name and type (an RRset):
//! GoDaddy's PUT, Porkbun's editByNameType, Spaceship's add-then-delete, and NameSilo where
//! duplicates left by ddns-go are brought in line.
//!
//! Not here: providers that pick one record by id (see [`super::default_plan`]).

use std::net::IpAddr;

use super::{Existing, Lookup, Plan, same_address};

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
