//! A fake Gcore DNS API (`api.gcore.com/dns/v2`): `Authorization: APIKey …`, zones, and
//! RRsets at `/zones/{zone}/{fqdn}/{type}` (GET, POST to create, PUT to replace). Transport-
//! agnostic.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::p3core::{Recorder, fits, json};

/// One RRset held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct GRrSet {
    pub zone: String,
    pub name: String,
    pub rtype: String,
    pub ttl: u32,
    pub contents: Vec<String>,
}

/// The fake Gcore account.
pub struct FakeGcore {
    token: String,
    zones: Mutex<Vec<String>>,
    sets: Mutex<Vec<GRrSet>>,
    /// Request log and faults.
    pub rec: Recorder,
}

fn rrset_json(s: &GRrSet) -> Value {
    let rrs: Vec<Value> = s
        .contents
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"id": i + 1, "content": [c], "enabled": true, "meta": {}}))
        .collect();
    json!({"name": s.name, "type": s.rtype, "ttl": s.ttl, "resource_records": rrs, "meta": {}})
}

impl FakeGcore {
    /// A fake accepting `APIKey <token>`.
    pub fn new(token: &str) -> Arc<Self> {
        Arc::new(FakeGcore {
            token: token.into(),
            zones: Mutex::default(),
            sets: Mutex::default(),
            rec: Recorder::default(),
        })
    }

    /// Adds a zone.
    pub fn add_zone(&self, z: &str) {
        self.zones.lock().unwrap().push(z.into());
    }

    /// Seeds an RRset with TTL 120.
    pub fn seed(&self, zone: &str, name: &str, rtype: &str, contents: &[&str]) {
        self.sets.lock().unwrap().push(GRrSet {
            zone: zone.into(),
            name: name.into(),
            rtype: rtype.into(),
            ttl: 120,
            contents: contents.iter().map(|c| c.to_string()).collect(),
        });
    }

    /// Every RRset.
    pub fn rrsets(&self) -> Vec<GRrSet> {
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
        if auth != Some(&format!("APIKey {}", self.token)) {
            return json(
                401,
                json!({"message": "Invalid authentication credentials"}),
            );
        }
        let Some(rest) = uri.path().strip_prefix("/dns/v2/zones/") else {
            return json(404, json!({"error": "not found"}));
        };
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        let zone = parts[0].to_string();
        if !self.zones.lock().unwrap().contains(&zone) {
            return json(404, json!({"error": "zone is not found"}));
        }
        let mut sets = self.sets.lock().unwrap();
        match (method.as_str(), &parts[1..]) {
            ("GET", []) => json(200, json!({"id": 1, "name": zone, "records": []})),
            (m, [name, t]) => {
                let pos = sets
                    .iter()
                    .position(|s| s.zone == zone && s.name == *name && s.rtype == *t);
                if m == "GET" {
                    return match pos {
                        Some(p) => json(200, rrset_json(&sets[p])),
                        None => json(404, json!({"error": "record is not found"})),
                    };
                }
                if !(*name == zone || name.ends_with(&format!(".{zone}"))) {
                    return json(400, json!({"error": "name is out of the zone"}));
                }
                let Ok(v) = serde_json::from_slice::<Value>(body) else {
                    return json(400, json!({"error": "invalid json"}));
                };
                let contents: Vec<String> = v["resource_records"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|r| r["content"][0].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if contents.is_empty() || !contents.iter().all(|c| fits(t, c)) {
                    return json(400, json!({"error": "invalid resource record content"}));
                }
                let ttl = v["ttl"].as_u64().unwrap_or(0) as u32;
                let set = GRrSet {
                    zone: zone.clone(),
                    name: name.to_string(),
                    rtype: t.to_string(),
                    ttl,
                    contents,
                };
                match (m, pos) {
                    ("POST", None) => {
                        sets.push(set.clone());
                        json(200, rrset_json(&set))
                    }
                    ("POST", Some(_)) => json(409, json!({"error": "rrset is already exists"})),
                    ("PUT", Some(p)) => {
                        sets[p] = set.clone();
                        json(200, rrset_json(&set))
                    }
                    ("PUT", None) => json(404, json!({"error": "record is not found"})),
                    _ => json(405, json!({"error": "method not allowed"})),
                }
            }
            _ => json(404, json!({"error": "not found"})),
        }
    }
}

async fn handle(
    State(fake): State<Arc<FakeGcore>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
