//! EdgeOne origin-group mode: a domain with param `GroupId` or `OriginGroupName` publishes the
//! address as an origin of that group instead of a DNS record (ddns-go-behaviour.md §4.3).
//!
//! The group is read with `DescribeOriginGroup` and rewritten with `ModifyOriginGroup`. Each
//! address family is synced on its own: the group's IP origins of this family are replaced by
//! one `IP_DOMAIN` origin holding the address (weight from param `Weight`, default 100); the
//! other family's origins and every non-IP origin (domains, COS, S3) are kept as they are.
//! ddns-go rebuilt the whole list from the families it was configured for, dropping the rest.

use std::net::IpAddr;

use serde::Serialize;
use serde_json::{Value, json};

use super::{Body, EdgeOne, Filter};
use crate::config::Domain;
use crate::provider::{Existing, Lookup, Plan, ProviderError};

/// Weight of the published origin when the `Weight` param is absent.
const DEFAULT_WEIGHT: u64 = 100;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeGroup<'a> {
    zone_id: &'a str,
    filters: [Filter<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ModifyGroup<'a> {
    zone_id: &'a str,
    group_id: &'a str,
    records: Vec<Value>,
}

/// True when the domain asks for origin-group mode.
pub(super) fn wanted(domain: &Domain) -> bool {
    domain.param("GroupId").is_some() || domain.param("OriginGroupName").is_some()
}

fn weight(domain: &Domain) -> u64 {
    domain
        .param("Weight")
        .and_then(|w| w.trim().parse().ok())
        .unwrap_or(DEFAULT_WEIGHT)
}

/// The origin's address, when it is an IP origin.
fn ip_of(origin: &Value) -> Option<IpAddr> {
    origin["Record"].as_str()?.trim().parse().ok()
}

fn origin_of(e: &Existing) -> Value {
    serde_json::from_str(&e.id).unwrap_or(Value::Null)
}

/// The id of the origin group `want` (an id or a name) in a `DescribeOriginGroup` response and
/// its origins (each whole, as JSON in `Existing::id`; `zone_id` names the site in errors).
pub(in crate::provider) fn read_group(
    body: Body,
    want: &str,
    zone_id: &str,
) -> Result<(String, Vec<Existing>), ProviderError> {
    let group = body
        .origin_groups
        .into_iter()
        .find(|g| g["GroupId"].as_str() == Some(want) || g["Name"].as_str() == Some(want))
        .ok_or_else(|| {
            ProviderError::Api(format!(
                "EdgeOne origin group {want} was not found in site {zone_id}; check the \
                 GroupId / OriginGroupName parameter"
            ))
        })?;
    let group_id = group["GroupId"].as_str().unwrap_or(want).to_string();
    let records = group["Records"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|o| Existing {
            id: o.to_string(),
            value: o["Record"].as_str().unwrap_or("").to_string(),
            ttl: None,
            proxied: None,
        })
        .collect();
    Ok((group_id, records))
}

/// Reads the group. Each origin travels whole (as JSON in `Existing::id`) so a rewrite keeps
/// every field the API returned; the zone and group ids travel in `Lookup::Found::zone`.
pub(super) async fn lookup(eo: &EdgeOne, domain: &Domain) -> Result<Lookup, ProviderError> {
    let root = domain.root_ascii();
    let zone_id = match domain.param("ZoneId") {
        Some(z) => z.to_string(),
        None => eo.zone_id(&root).await?,
    };
    let (filter, want) = match (domain.param("GroupId"), domain.param("OriginGroupName")) {
        (Some(id), _) => ("origin-group-id", id),
        (None, Some(name)) => ("origin-group-name", name),
        (None, None) => {
            return Err(ProviderError::Api(
                "origin-group mode needs the GroupId or OriginGroupName parameter".into(),
            ));
        }
    };
    let req = DescribeGroup {
        zone_id: &zone_id,
        filters: [Filter {
            name: filter,
            values: [want],
        }],
    };
    let body = eo.call(&root, "DescribeOriginGroup", &req).await?;
    let (group_id, records) = read_group(body, want, &zone_id)?;
    Ok(Lookup::Found {
        zone: Some(format!("{zone_id}/{group_id}")),
        records,
    })
}

/// No change when this family's IP origins are exactly one `IP_DOMAIN` origin with the
/// address and the wanted weight; otherwise the whole group is rewritten.
pub(super) fn plan(domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
    let Lookup::Found { records, .. } = lookup else {
        return Plan::Write;
    };
    let mine: Vec<Value> = records
        .iter()
        .map(origin_of)
        .filter(|o| ip_of(o).is_some_and(|ip| ip.is_ipv4() == addr.is_ipv4()))
        .collect();
    let exact = matches!(mine.as_slice(), [o] if ip_of(o) == Some(addr)
        && o["Type"] == "IP_DOMAIN"
        && o["Weight"].as_u64() == Some(weight(domain)));
    if exact {
        Plan::NoChange {
            current: addr.to_string(),
        }
    } else {
        Plan::Update {
            records: records.clone(),
        }
    }
}

/// The group's new origin list: the kept origins plus this family's one.
fn new_records(domain: &Domain, records: &[Existing], addr: IpAddr) -> Vec<Value> {
    let mut out: Vec<Value> = records
        .iter()
        .map(origin_of)
        .filter(|o| !o.is_null())
        .filter(|o| ip_of(o).is_none_or(|ip| ip.is_ipv4() != addr.is_ipv4()))
        .collect();
    out.push(json!({"Record": addr.to_string(), "Type": "IP_DOMAIN", "Weight": weight(domain)}));
    out
}

/// Rewrites the group with `ModifyOriginGroup`.
pub(super) async fn apply(
    eo: &EdgeOne,
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
    let Some((zone_id, group_id)) = ids else {
        return Err(ProviderError::Unsupported(
            "writing an origin group without a lookup".into(),
        ));
    };
    let req = ModifyGroup {
        zone_id,
        group_id,
        records: new_records(domain, records, addr),
    };
    eo.call(&domain.root_ascii(), "ModifyOriginGroup", &req)
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(params: &[(&str, &str)]) -> Domain {
        Domain {
            sub: "www".into(),
            root: "example.com".into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn found(origins: &[Value]) -> Lookup {
        Lookup::Found {
            zone: Some("zone-1/og-1".into()),
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
    fn plan_compares_only_this_family() {
        let d = domain(&[("GroupId", "og-1")]);
        let l = found(&[
            json!({"Record": "192.0.2.1", "Type": "IP_DOMAIN", "Weight": 100}),
            json!({"Record": "2001:db8::1", "Type": "IP_DOMAIN", "Weight": 100}),
        ]);
        assert!(matches!(
            plan(&d, &l, "192.0.2.1".parse().unwrap()),
            Plan::NoChange { .. }
        ));
        assert!(matches!(
            plan(&d, &l, "2001:db8::1".parse().unwrap()),
            Plan::NoChange { .. }
        ));
        assert!(matches!(
            plan(&d, &l, "192.0.2.2".parse().unwrap()),
            Plan::Update { .. }
        ));
        let heavy = domain(&[("GroupId", "og-1"), ("Weight", "50")]);
        assert!(matches!(
            plan(&heavy, &l, "192.0.2.1".parse().unwrap()),
            Plan::Update { .. }
        ));
    }

    #[test]
    fn rewrite_keeps_other_family_and_non_ip_origins() {
        let d = domain(&[("GroupId", "og-1")]);
        let Lookup::Found { records, .. } = found(&[
            json!({"Record": "192.0.2.1", "Type": "IP_DOMAIN", "Weight": 100, "RecordId": "r1"}),
            json!({"Record": "origin.example.net", "Type": "IP_DOMAIN", "Weight": 10}),
            json!({"Record": "2001:db8::1", "Type": "IP_DOMAIN", "Weight": 100}),
        ]) else {
            unreachable!()
        };
        assert_eq!(
            new_records(&d, &records, "198.51.100.7".parse().unwrap()),
            vec![
                json!({"Record": "origin.example.net", "Type": "IP_DOMAIN", "Weight": 10}),
                json!({"Record": "2001:db8::1", "Type": "IP_DOMAIN", "Weight": 100}),
                json!({"Record": "198.51.100.7", "Type": "IP_DOMAIN", "Weight": 100}),
            ]
        );
    }
}
