//! A fake Vercel DNS API (`api.vercel.com`): bearer token, optional team (`?teamId=`),
//! `GET /v4/domains/{d}/records` (paginated with `limit`/`until`), `POST
//! /v2/domains/{d}/records`, `PATCH /v1/domains/records/{id}`; strict about types, values and
//! the 60-second minimum TTL. Transport-agnostic.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::p3core::{Fault, Recorder, fits, get, json, query};

/// One record held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct VRecord {
    pub id: String,
    pub domain: String,
    pub name: String,
    pub rtype: String,
    pub value: String,
    pub ttl: u32,
    /// Creation time (ms); the list is paginated on it.
    pub created: i64,
}

#[derive(Default)]
struct Inner {
    domains: Vec<String>,
    records: Vec<VRecord>,
    next: i64,
}

/// The fake Vercel account (or team).
pub struct FakeVercel {
    token: String,
    team: Option<String>,
    state: Mutex<Inner>,
    /// Request log and faults.
    pub rec: Recorder,
}

fn err(status: u16, code: &str, message: &str) -> Response {
    json(status, json!({"error": {"code": code, "message": message}}))
}

impl FakeVercel {
    /// A fake accepting `Bearer <token>`; with `team`, every request must carry that teamId.
    pub fn new(token: &str, team: Option<&str>) -> Arc<Self> {
        Arc::new(FakeVercel {
            token: token.into(),
            team: team.map(str::to_string),
            state: Mutex::default(),
            rec: Recorder::default(),
        })
    }

    /// Adds a domain.
    pub fn add_domain(&self, d: &str) {
        self.state.lock().unwrap().domains.push(d.into());
    }

    /// Seeds a record (TTL 60) and returns its id.
    pub fn seed(&self, domain: &str, name: &str, rtype: &str, value: &str) -> String {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let id = format!("rec_{:08}", st.next);
        let created = st.next;
        st.records.push(VRecord {
            id: id.clone(),
            domain: domain.into(),
            name: name.into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl: 60,
            created,
        });
        id
    }

    /// Every record.
    pub fn records(&self) -> Vec<VRecord> {
        self.state.lock().unwrap().records.clone()
    }

    /// A 403 error as Vercel answers a bad token.
    pub fn bad_token_fault() -> Fault {
        Fault::json(
            403,
            json!({"error": {"code": "forbidden", "message": "Not authorized", "invalidToken": true}}),
        )
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
            return json(
                403,
                json!({"error": {"code": "forbidden", "message": "Not authorized", "invalidToken": true}}),
            );
        }
        let q = query(uri);
        if let Some(team) = &self.team
            && get(&q, "teamId") != Some(team.as_str())
        {
            return err(
                403,
                "forbidden",
                "You don't have permission to access this scope",
            );
        }
        let parts: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
        let mut st = self.state.lock().unwrap();
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["v4", "domains", d, "records"]) => {
                if !st.domains.iter().any(|x| x == d) {
                    return err(404, "not_found", "The domain was not found");
                }
                let limit: usize = get(&q, "limit").and_then(|l| l.parse().ok()).unwrap_or(20);
                let until: Option<i64> = get(&q, "until").and_then(|u| u.parse().ok());
                let mut list: Vec<&VRecord> = st
                    .records
                    .iter()
                    .filter(|r| r.domain == *d && until.is_none_or(|u| r.created < u))
                    .collect();
                list.sort_by_key(|r| std::cmp::Reverse(r.created));
                let more = list.len() > limit;
                list.truncate(limit);
                let next = if more {
                    list.last().map(|r| r.created)
                } else {
                    None
                };
                let recs: Vec<Value> = list
                    .iter()
                    .map(|r| {
                        json!({"id": r.id, "slug": format!("{}-{}", r.name, r.rtype), "name": r.name,
                               "type": r.rtype, "value": r.value, "creator": "user", "created": r.created,
                               "updated": r.created, "createdAt": r.created, "updatedAt": r.created, "ttl": r.ttl})
                    })
                    .collect();
                json(
                    200,
                    json!({"records": recs, "pagination": {"count": recs.len(), "next": next, "prev": null}}),
                )
            }
            ("POST", ["v2", "domains", d, "records"]) => {
                if !st.domains.iter().any(|x| x == d) {
                    return err(404, "not_found", "The domain was not found");
                }
                let Ok(v) = serde_json::from_slice::<Value>(body) else {
                    return err(400, "bad_request", "Invalid JSON");
                };
                let (Some(name), Some(t), Some(val)) =
                    (v["name"].as_str(), v["type"].as_str(), v["value"].as_str())
                else {
                    return err(400, "bad_request", "name, type and value are required");
                };
                if !fits(t, val) {
                    return err(400, "invalid_value", "The value is not valid for the type");
                }
                let ttl = v["ttl"].as_u64().unwrap_or(60) as u32;
                if ttl < 60 {
                    return err(400, "invalid_ttl", "TTL must be at least 60");
                }
                st.next += 1;
                let id = format!("rec_{:08}", st.next);
                let created = st.next;
                st.records.push(VRecord {
                    id: id.clone(),
                    domain: d.to_string(),
                    name: name.into(),
                    rtype: t.into(),
                    value: val.into(),
                    ttl,
                    created,
                });
                json(200, json!({"uid": id, "updated": created}))
            }
            ("PATCH", ["v1", "domains", "records", id]) => {
                let Some(pos) = st.records.iter().position(|r| r.id == *id) else {
                    return err(404, "not_found", "The DNS record was not found");
                };
                let Ok(v) = serde_json::from_slice::<Value>(body) else {
                    return err(400, "bad_request", "Invalid JSON");
                };
                let mut r = st.records[pos].clone();
                if let Some(t) = v["type"].as_str() {
                    r.rtype = t.into();
                }
                if let Some(val) = v["value"].as_str() {
                    r.value = val.into();
                }
                if let Some(ttl) = v["ttl"].as_u64() {
                    r.ttl = ttl as u32;
                }
                if !fits(&r.rtype, &r.value) {
                    return err(400, "invalid_value", "The value is not valid for the type");
                }
                if r.ttl < 60 {
                    return err(400, "invalid_ttl", "TTL must be at least 60");
                }
                st.records[pos] = r.clone();
                json(
                    200,
                    json!({"id": r.id, "name": r.name, "type": r.rtype, "value": r.value, "ttl": r.ttl}),
                )
            }
            _ => err(404, "not_found", "The requested endpoint was not found"),
        }
    }
}

async fn handle(
    State(fake): State<Arc<FakeVercel>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
