//! A fake HiPM DNSMgr panel: `GET /api/domains`, `GET|POST /api/domains/<id>/records`,
//! `PUT /api/domains/<id>/records/<rid>`, `Authorization: Bearer <token>`, answers
//! `{code, msg, data}` with `code == 0` on success. The domain list's `data` is a bare array
//! (as the panel sends it); the record list's is `{total, list}`. Both are paged; the keyword
//! filter can be switched off to model panels that ignore it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Seen;
use super::p4common::{Fault, Rec, Store, query, same_value, valid_for};

/// The host name the tests give the panel.
pub const HOST: &str = "dnsmgr.example.test";

/// The fake panel.
pub struct FakeDnsMgr {
    token: String,
    ignore_keyword: AtomicBool,
    store: Mutex<Store>,
}

fn answer(status: u16, code: i64, msg: &str, data: Value) -> Response {
    let body = json!({"code": code, "msg": msg, "data": data});
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

fn page<T: Clone>(items: &[T], q: &std::collections::BTreeMap<String, String>) -> Vec<T> {
    let size: usize = q
        .get("pageSize")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .max(1);
    let n: usize = q
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    items
        .iter()
        .skip((n - 1) * size)
        .take(size)
        .cloned()
        .collect()
}

impl FakeDnsMgr {
    /// A fake accepting exactly `Authorization: Bearer <token>`.
    pub fn new(token: &str) -> Arc<Self> {
        Arc::new(FakeDnsMgr {
            token: token.into(),
            ignore_keyword: AtomicBool::new(false),
            store: Mutex::default(),
        })
    }

    /// The router serving `/api/*`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Makes the domain list ignore `keyword` (older panels).
    pub fn ignore_keyword(&self) {
        self.ignore_keyword.store(true, Ordering::SeqCst);
    }

    /// Adds a domain; returns its id.
    pub fn add_zone(&self, zone: &str) -> u64 {
        self.store.lock().unwrap().add_zone(zone)
    }

    /// Seeds a record; returns its id.
    pub fn seed(&self, zone: &str, name: &str, rtype: &str, value: &str) -> u64 {
        self.store.lock().unwrap().insert(Rec {
            id: 0,
            zone: zone.into(),
            host: name.into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl: 600,
            line: "0".into(),
            level: 0,
        })
    }

    /// Every record.
    pub fn records(&self) -> Vec<Rec> {
        self.store.lock().unwrap().records.clone()
    }

    /// Every request received.
    pub fn seen(&self) -> Vec<Seen> {
        self.store.lock().unwrap().seen.clone()
    }

    /// The write requests (POST, PUT) received.
    pub fn writes(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method != "GET")
            .collect()
    }

    /// The next authenticated request gets `fault`.
    pub fn fail_next(&self, fault: Fault) {
        self.store.lock().unwrap().faults.push_back(fault);
    }
}

async fn handle(
    State(fake): State<Arc<FakeDnsMgr>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut st = fake.store.lock().unwrap();
    st.seen.push(seen.clone());
    if seen.header("authorization") != Some(format!("Bearer {}", fake.token).as_str()) {
        return answer(401, 401, "Unauthorized", Value::Null);
    }
    if let Some(f) = st.faults.pop_front() {
        return f.response();
    }
    let q = query(&seen);
    let parts: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["api", "domains"]) => {
            let keyword = q
                .get("keyword")
                .filter(|_| !fake.ignore_keyword.load(Ordering::SeqCst));
            let list: Vec<Value> = st
                .zones
                .iter()
                .filter(|(_, z)| keyword.is_none_or(|k| z.contains(k.as_str())))
                .map(|(id, z)| {
                    json!({"id": id, "name": z, "account_id": 1, "third_id": "",
                                      "record_count": 0})
                })
                .collect();
            answer(200, 0, "success", Value::Array(page(&list, &q)))
        }
        (m, ["api", "domains", id, "records", rest @ ..]) => {
            let zone = id.parse::<u64>().ok().and_then(|id| {
                st.zones
                    .iter()
                    .find(|(z, _)| *z == id)
                    .map(|(_, n)| n.clone())
            });
            let Some(zone) = zone else {
                return answer(200, 404, "域名不存在", Value::Null);
            };
            if m == "GET" && rest.is_empty() {
                let all: Vec<Value> = st
                    .records
                    .iter()
                    .filter(|r| r.zone == zone)
                    .filter(|r| {
                        q.get("subdomain")
                            .is_none_or(|s| r.host.eq_ignore_ascii_case(s))
                    })
                    .filter(|r| q.get("type").is_none_or(|t| r.rtype == *t))
                    .map(|r| {
                        json!({"id": r.id.to_string(), "name": r.host, "type": r.rtype,
                                    "value": r.value, "line": r.line, "ttl": r.ttl, "mx": 0,
                                    "weight": 0, "status": 1, "remark": ""})
                    })
                    .collect();
                return answer(
                    200,
                    0,
                    "success",
                    json!({"total": all.len(), "list": page(&all, &q)}),
                );
            }
            let Ok(v) = serde_json::from_slice::<Value>(&body) else {
                return answer(400, 400, "bad json", Value::Null);
            };
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            let (Some(name), Some(rtype), Some(value), Some(line), Some(ttl)) = (
                s("name"),
                s("type"),
                s("value"),
                s("line"),
                v.get("ttl").and_then(Value::as_i64),
            ) else {
                return answer(200, 400, "missing name/type/value/line/ttl", Value::Null);
            };
            if name.is_empty() || !valid_for(&rtype, &value) || ttl <= 0 {
                return answer(200, 400, "invalid name, value or ttl", Value::Null);
            }
            let dup = st.records.iter().any(|r| {
                r.zone == zone
                    && r.host.eq_ignore_ascii_case(&name)
                    && r.rtype == rtype
                    && same_value(&r.value, &value)
            });
            if dup {
                return answer(200, 400, "record already exists", Value::Null);
            }
            match (m, rest) {
                ("POST", []) => {
                    let id = st.insert(Rec {
                        id: 0,
                        zone,
                        host: name,
                        rtype,
                        value,
                        ttl: ttl as u32,
                        line,
                        level: 0,
                    });
                    answer(200, 0, "success", json!({"id": id.to_string()}))
                }
                ("PUT", [rid]) => {
                    let rid: u64 = rid.parse().unwrap_or(0);
                    let Some(r) = st
                        .records
                        .iter_mut()
                        .find(|r| r.id == rid && r.zone == zone)
                    else {
                        return answer(200, 404, "记录不存在", Value::Null);
                    };
                    (r.host, r.rtype, r.value, r.ttl, r.line) =
                        (name, rtype, value, ttl as u32, line);
                    answer(200, 0, "success", Value::Null)
                }
                _ => answer(404, 404, "not found", Value::Null),
            }
        }
        _ => answer(404, 404, "not found", Value::Null),
    }
}
