//! ESA origin-pool mode: a name `<pool>.origin-pool.<root>` with param `Name=<origin>`
//! publishes the address as the origin(s) of that name in origin pool `<pool>`
//! (ddns-go-behaviour.md §4.3).
//!
//! The pool is read with `ListOriginPools` (exact name) and rewritten with `UpdateOriginPool`,
//! whose `Origins` is the JSON list of every origin, sent back as the API returned it with only
//! the addresses changed. An origin belongs to the IPv6 sync when its address is IPv6, to the
//! IPv4 sync otherwise. Origins are never added: a pool without an origin of that name is an
//! error, as in ddns-go.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use super::{AliEsa, parse};
use crate::config::Domain;
use crate::provider::{Existing, Lookup, Plan, ProviderError};

/// The pool name when `domain` is an origin-pool name.
pub(super) fn pool_name(domain: &Domain) -> Option<&str> {
    domain
        .sub
        .strip_suffix(".origin-pool")
        .filter(|p| !p.is_empty())
}

/// True when the origin is synced by the family of `addr`.
fn same_family(origin: &Value, addr: IpAddr) -> bool {
    let v6 = origin["Address"]
        .as_str()
        .and_then(|a| a.trim().parse::<IpAddr>().ok())
        .is_some_and(|a| a.is_ipv6());
    v6 == addr.is_ipv6()
}

fn origin_of(e: &Existing) -> Value {
    serde_json::from_str(&e.id).unwrap_or(Value::Null)
}

fn target(domain: &Domain) -> Result<&str, ProviderError> {
    domain.param("Name").ok_or_else(|| {
        ProviderError::Api(format!(
            "{}: an origin-pool name needs the Name parameter (the origin to update)",
            domain.name()
        ))
    })
}

/// The id of pool `pool` in a `ListOriginPools` answer and its origins (each whole, as JSON
/// in `Existing::id`); `name` must be one of them (`site_id` names the site in errors).
pub(in crate::provider) fn read_pool(
    body: &str,
    pool: &str,
    name: &str,
    site_id: &str,
) -> Result<(String, Vec<Existing>), ProviderError> {
    let list: Value = parse(body, "origin pool list")?;
    let found = list["OriginPools"]
        .as_array()
        .and_then(|pools| pools.iter().find(|x| x["Name"].as_str() == Some(pool)));
    let Some(found) = found else {
        return Err(ProviderError::Api(format!(
            "ESA origin pool {pool} was not found in site {site_id}; create it first"
        )));
    };
    let origins = found["Origins"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !origins.iter().any(|o| o["Name"].as_str() == Some(name)) {
        return Err(ProviderError::Api(format!(
            "ESA origin pool {pool} has no origin named {name}; ddns-rs updates origins but \
             does not add them"
        )));
    }
    let pool_id = match &found["Id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let records = origins
        .iter()
        .map(|o| Existing {
            id: o.to_string(),
            value: o["Address"].as_str().unwrap_or("").to_string(),
            ttl: None,
            proxied: None,
        })
        .collect();
    Ok((pool_id, records))
}

/// Reads the pool; every origin travels whole (as JSON in `Existing::id`), the site and pool
/// ids in `Lookup::Found::zone`.
pub(super) async fn lookup(
    esa: &AliEsa,
    domain: &Domain,
    pool: &str,
) -> Result<Lookup, ProviderError> {
    let name = target(domain)?;
    let (site_id, _) = esa.site(domain).await?;
    let mut p = BTreeMap::new();
    p.insert("Action".to_string(), "ListOriginPools".to_string());
    p.insert("SiteId".to_string(), site_id.clone());
    p.insert("Name".to_string(), pool.to_string());
    p.insert("MatchType".to_string(), "exact".to_string());
    let body = esa.call("GET", &domain.root, p).await?;
    let (pool_id, records) = read_pool(&body, pool, name, &site_id)?;
    Ok(Lookup::Found {
        zone: Some(format!("{site_id}/{pool_id}")),
        records,
    })
}

/// No change when every origin of that name and family holds the address.
pub(super) fn plan(domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
    let Lookup::Found { records, .. } = lookup else {
        return Plan::Write;
    };
    let name = domain.param("Name").unwrap_or("");
    let mine: Vec<Value> = records
        .iter()
        .map(origin_of)
        .filter(|o| o["Name"].as_str() == Some(name) && same_family(o, addr))
        .collect();
    let done = !mine.is_empty()
        && mine.iter().all(|o| {
            o["Address"]
                .as_str()
                .is_some_and(|a| crate::provider::same_address(a, addr))
        });
    if done {
        Plan::NoChange {
            current: addr.to_string(),
        }
    } else {
        Plan::Update {
            records: records.clone(),
        }
    }
}

/// Every origin, with this name's and family's addresses replaced.
fn new_origins(domain: &Domain, records: &[Existing], addr: IpAddr) -> Value {
    let name = domain.param("Name").unwrap_or("");
    let list: Vec<Value> = records
        .iter()
        .map(origin_of)
        .filter(|o| !o.is_null())
        .map(|mut o| {
            if o["Name"].as_str() == Some(name) && same_family(&o, addr) {
                o["Address"] = Value::String(addr.to_string());
            }
            o
        })
        .collect();
    Value::Array(list)
}

/// Rewrites the pool with `UpdateOriginPool`.
pub(super) async fn apply(
    esa: &AliEsa,
    domain: &Domain,
    lookup: &Lookup,
    plan: &Plan,
    addr: IpAddr,
) -> Result<(), ProviderError> {
    let Plan::Update { records } = plan else {
        return Ok(());
    };
    let ids = match lookup {
        Lookup::Found { zone: Some(z), .. } => z.split_once('/'),
        _ => None,
    };
    let Some((site_id, pool_id)) = ids else {
        return Err(ProviderError::Unsupported(
            "writing an origin pool without a lookup".into(),
        ));
    };
    let mut p = BTreeMap::new();
    p.insert("Action".to_string(), "UpdateOriginPool".to_string());
    p.insert("SiteId".to_string(), site_id.to_string());
    p.insert("Id".to_string(), pool_id.to_string());
    p.insert(
        "Origins".to_string(),
        new_origins(domain, records, addr).to_string(),
    );
    esa.call("POST", &domain.root, p).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn domain(sub: &str) -> Domain {
        Domain {
            sub: sub.into(),
            root: "example.com".into(),
            params: vec![("Name".into(), "home".into())],
        }
    }

    fn found(origins: &[Value]) -> Lookup {
        Lookup::Found {
            zone: Some("1/2".into()),
            records: origins
                .iter()
                .map(|o| Existing {
                    id: o.to_string(),
                    value: String::new(),
                    ttl: None,
                    proxied: None,
                })
                .collect(),
        }
    }

    #[test]
    fn pool_names() {
        assert_eq!(pool_name(&domain("pool1.origin-pool")), Some("pool1"));
        assert_eq!(pool_name(&domain("origin-pool")), None);
        assert_eq!(pool_name(&domain("www")), None);
    }

    #[test]
    fn only_the_named_origin_of_this_family_changes() {
        let d = domain("pool1.origin-pool");
        let origins = [
            json!({"Id": 1, "Name": "home", "Address": "192.0.2.1", "Type": "ip_domain", "Weight": 50}),
            json!({"Id": 2, "Name": "home", "Address": "2001:db8::1", "Type": "ip_domain", "Weight": 50}),
            json!({"Id": 3, "Name": "office", "Address": "192.0.2.9", "Type": "ip_domain", "Weight": 50}),
        ];
        let l = found(&origins);
        let v4: IpAddr = "198.51.100.7".parse().unwrap();
        assert!(matches!(
            plan(&d, &l, "192.0.2.1".parse().unwrap()),
            Plan::NoChange { .. }
        ));
        assert!(matches!(
            plan(&d, &l, "2001:db8::1".parse().unwrap()),
            Plan::NoChange { .. }
        ));
        let Plan::Update { records } = plan(&d, &l, v4) else {
            panic!("expected an update")
        };
        let out = new_origins(&d, &records, v4);
        assert_eq!(out[0]["Address"], "198.51.100.7");
        assert_eq!(out[0]["Weight"], 50);
        assert_eq!(out[1]["Address"], "2001:db8::1");
        assert_eq!(out[2]["Address"], "192.0.2.9");
    }
}
