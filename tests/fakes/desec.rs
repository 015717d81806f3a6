//! A fake deSEC API (`desec.io/api/v1`): `Authorization: Token …`, RRsets per domain, the
//! filtered list, POST to create, PATCH of one RRset (`/{subname|@}/{type}/`), deSEC's TTL
//! bounds and error shapes. Transport-agnostic.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::p3core::{Recorder, fits, get, json, query};

/// One RRset held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct DRrSet {
    pub domain: String,
    pub subname: String,
    pub rtype: String,
    pub records: Vec<String>,
    pub ttl: u32,
}

/// The fake deSEC account.
pub struct FakeDesec {
    token: String,
    domains: Mutex<Vec<String>>,
    sets: Mutex<Vec<DRrSet>>,
    /// Request log and faults.
    pub rec: Recorder,
}

fn rrset_json(s: &DRrSet) -> Value {
    let name = if s.subname.is_empty() {
        format!("{}.", s.domain)
    } else {
        format!("{}.{}.", s.subname, s.domain)
    };
    json!({"created": "2024-01-01T00:00:00Z", "domain": s.domain, "subname": s.subname, "name": name,
           "type": s.rtype, "records": s.records, "ttl": s.ttl, "touched": "2024-01-01T00:00:00Z"})
}

/// Checks records and TTL as deSEC does; the error body on failure.
fn validate(rtype: &str, records: &[String], ttl: u32) -> Result<(), Value> {
    if !(3600..=86400).contains(&ttl) {
        return Err(json!({"ttl": ["Ensure this value is greater than or equal to 3600."]}));
    }
    if records.is_empty() || !records.iter().all(|r| fits(rtype, r)) {
        return Err(json!({"records": ["Invalid record content."]}));
    }
    Ok(())
}

impl FakeDesec {
    /// A fake accepting `Token <token>`.
    pub fn new(token: &str) -> Arc<Self> {
        Arc::new(FakeDesec {
            token: token.into(),
            domains: Mutex::default(),
            sets: Mutex::default(),
            rec: Recorder::default(),
        })
    }

    /// Adds a domain.
    pub fn add_domain(&self, d: &str) {
        self.domains.lock().unwrap().push(d.into());
    }

    /// Seeds an RRset with one record and TTL 3600.
    pub fn seed(&self, domain: &str, subname: &str, rtype: &str, value: &str) {
        self.sets.lock().unwrap().push(DRrSet {
            domain: domain.into(),
            subname: subname.into(),
            rtype: rtype.into(),
            records: vec![value.into()],
            ttl: 3600,
        });
    }

    /// Every RRset.
    pub fn rrsets(&self) -> Vec<DRrSet> {
        self.sets.lock().unwrap().clone()
    }

    /// The router.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        if let Some(r) = self.rec.record(method, uri, headers, body) {
            return r;
        }
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Token {}", self.token)) {
            return json(401, json!({"detail": "Invalid token."}));
        }
        let Some(rest) = uri.path().strip_prefix("/api/v1/domains/") else {
            return json(404, json!({"detail": "Not found."}));
        };
        if !rest.ends_with('/') {
            // deSEC's URLs end in a slash; without it the route does not match.
            return json(404, json!({"detail": "Not found."}));
        }
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        let (domain, tail) = match parts.as_slice() {
            [d, "rrsets", tail @ ..] => (d.to_string(), tail.to_vec()),
            _ => return json(404, json!({"detail": "Not found."})),
        };
        if !self.domains.lock().unwrap().contains(&domain) {
            return json(404, json!({"detail": "Not found."}));
        }
        let mut sets = self.sets.lock().unwrap();
        match (method.as_str(), tail.as_slice()) {
            ("GET", []) => {
                let q = query(uri);
                let list: Vec<Value> = sets
                    .iter()
                    .filter(|s| s.domain == domain)
                    .filter(|s| get(&q, "subname").is_none_or(|n| n == s.subname))
                    .filter(|s| get(&q, "type").is_none_or(|t| t == s.rtype))
                    .map(rrset_json)
                    .collect();
                json(200, Value::Array(list))
            }
            ("POST", []) => {
                let Ok(v) = serde_json::from_slice::<Value>(body) else {
                    return json(400, json!({"non_field_errors": ["Invalid data."]}));
                };
                let sub = v["subname"].as_str().unwrap_or_default().to_string();
                let t = v["type"].as_str().unwrap_or_default().to_string();
                let records: Vec<String> = v["records"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let ttl = v["ttl"].as_u64().unwrap_or(0) as u32;
                if let Err(e) = validate(&t, &records, ttl) {
                    return json(400, e);
                }
                if sets
                    .iter()
                    .any(|s| s.domain == domain && s.subname == sub && s.rtype == t)
                {
                    return json(
                        400,
                        json!({"non_field_errors": ["Another RRset with the same subdomain and type exists for this domain."]}),
                    );
                }
                let set = DRrSet {
                    domain,
                    subname: sub,
                    rtype: t,
                    records,
                    ttl,
                };
                sets.push(set.clone());
                json(201, rrset_json(&set))
            }
            ("PATCH" | "PUT", [sub, t]) => {
                let sub = if *sub == "@" { "" } else { sub };
                let Some(pos) = sets
                    .iter()
                    .position(|s| s.domain == domain && s.subname == sub && s.rtype == *t)
                else {
                    return json(404, json!({"detail": "Not found."}));
                };
                let Ok(v) = serde_json::from_slice::<Value>(body) else {
                    return json(400, json!({"non_field_errors": ["Invalid data."]}));
                };
                let mut set = sets[pos].clone();
                if let Some(a) = v["records"].as_array() {
                    set.records = a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect();
                }
                if let Some(ttl) = v["ttl"].as_u64() {
                    set.ttl = ttl as u32;
                }
                if let Err(e) = validate(&set.rtype, &set.records, set.ttl) {
                    return json(400, e);
                }
                sets[pos] = set.clone();
                json(200, rrset_json(&set))
            }
            _ => json(
                405,
                json!({"detail": format!("Method \"{method}\" not allowed.")}),
            ),
        }
    }
}

async fn handle(
    State(fake): State<Arc<FakeDesec>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
