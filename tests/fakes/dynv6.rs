//! A fake dynv6 REST API (`dynv6.com/api/v2`): bearer token, `GET /zones`, `PATCH
//! /zones/{id}` (only the fields sent change, like the real PATCH), `GET|POST
//! /zones/{id}/records`, `PATCH /zones/{id}/records/{rid}`. Transport-agnostic.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::p3core::{Recorder, fits, json};

/// One zone held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct DZone {
    pub id: u64,
    pub name: String,
    pub ipv4address: String,
    pub ipv6prefix: String,
}

/// One record held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct DRecord {
    pub id: u64,
    pub zone_id: u64,
    pub name: String,
    pub rtype: String,
    pub data: String,
}

#[derive(Default)]
struct Inner {
    zones: Vec<DZone>,
    records: Vec<DRecord>,
    next: u64,
}

/// The fake dynv6 account.
pub struct FakeDynv6 {
    token: String,
    state: Mutex<Inner>,
    /// Request log and faults.
    pub rec: Recorder,
}

fn zone_json(z: &DZone) -> Value {
    json!({"id": z.id, "name": z.name, "ipv4address": z.ipv4address, "ipv6prefix": z.ipv6prefix,
           "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"})
}

fn record_json(r: &DRecord) -> Value {
    json!({"id": r.id, "zoneID": r.zone_id, "type": r.rtype, "name": r.name, "data": r.data,
           "priority": null, "flags": null, "tag": null, "weight": null, "port": null,
           "expandedData": r.data})
}

impl FakeDynv6 {
    /// A fake accepting `Bearer <token>`.
    pub fn new(token: &str) -> Arc<Self> {
        Arc::new(FakeDynv6 {
            token: token.into(),
            state: Mutex::default(),
            rec: Recorder::default(),
        })
    }

    /// Adds a zone with its apex addresses ("" = none); returns its id.
    pub fn add_zone(&self, name: &str, v4: &str, v6: &str) -> u64 {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let id = st.next;
        st.zones.push(DZone {
            id,
            name: name.into(),
            ipv4address: v4.into(),
            ipv6prefix: v6.into(),
        });
        id
    }

    /// Seeds a record; returns its id.
    pub fn seed(&self, zone_id: u64, name: &str, rtype: &str, data: &str) -> u64 {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let id = st.next;
        st.records.push(DRecord {
            id,
            zone_id,
            name: name.into(),
            rtype: rtype.into(),
            data: data.into(),
        });
        id
    }

    /// Every zone.
    pub fn zones(&self) -> Vec<DZone> {
        self.state.lock().unwrap().zones.clone()
    }

    /// Every record.
    pub fn records(&self) -> Vec<DRecord> {
        self.state.lock().unwrap().records.clone()
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
        if auth != Some(&format!("Bearer {}", self.token)) {
            return json(401, json!({"error": "Unauthorized"}));
        }
        let Some(rest) = uri.path().strip_prefix("/api/v2/zones") else {
            return json(404, json!({"error": "Not Found"}));
        };
        let parts: Vec<&str> = rest
            .trim_matches('/')
            .split('/')
            .filter(|p| !p.is_empty())
            .collect();
        let mut st = self.state.lock().unwrap();
        if parts.is_empty() {
            return match method.as_str() {
                "GET" => json(200, Value::Array(st.zones.iter().map(zone_json).collect())),
                _ => json(405, json!({"error": "Method Not Allowed"})),
            };
        }
        let Some(zpos) = st.zones.iter().position(|z| z.id.to_string() == parts[0]) else {
            return json(404, json!({"error": "Zone not found"}));
        };
        let zid = st.zones[zpos].id;
        let v: Value = if body.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(_) => return json(400, json!({"error": "invalid JSON"})),
            }
        };
        match (method.as_str(), &parts[1..]) {
            ("GET", []) => json(200, zone_json(&st.zones[zpos])),
            ("PATCH", []) => {
                let z = &mut st.zones[zpos];
                if let Some(a) = v.get("ipv4address").and_then(Value::as_str) {
                    if !a.is_empty() && !fits("A", a) {
                        return json(422, json!({"error": "ipv4address is invalid"}));
                    }
                    z.ipv4address = a.into();
                }
                if let Some(a) = v.get("ipv6prefix").and_then(Value::as_str) {
                    z.ipv6prefix = a.into();
                }
                let out = zone_json(z);
                json(200, out)
            }
            ("GET", ["records"]) => {
                let list: Vec<Value> = st
                    .records
                    .iter()
                    .filter(|r| r.zone_id == zid)
                    .map(record_json)
                    .collect();
                json(200, Value::Array(list))
            }
            ("POST", ["records"]) => {
                let (Some(name), Some(t), Some(data)) =
                    (v["name"].as_str(), v["type"].as_str(), v["data"].as_str())
                else {
                    return json(422, json!({"error": "name, type and data are required"}));
                };
                if !fits(t, data) {
                    return json(422, json!({"error": "data is invalid"}));
                }
                st.next += 1;
                let r = DRecord {
                    id: st.next,
                    zone_id: zid,
                    name: name.into(),
                    rtype: t.into(),
                    data: data.into(),
                };
                st.records.push(r.clone());
                json(200, record_json(&r))
            }
            ("PATCH", ["records", rid]) => {
                let Some(r) = st
                    .records
                    .iter_mut()
                    .find(|r| r.zone_id == zid && r.id.to_string() == *rid)
                else {
                    return json(404, json!({"error": "Record not found"}));
                };
                if let Some(d) = v["data"].as_str() {
                    if !fits(&r.rtype, d) {
                        return json(422, json!({"error": "data is invalid"}));
                    }
                    r.data = d.into();
                }
                let out = record_json(r);
                json(200, out)
            }
            _ => json(404, json!({"error": "Not Found"})),
        }
    }
}

async fn handle(
    State(fake): State<Arc<FakeDynv6>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
