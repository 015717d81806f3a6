//! A fake DNS.LA API (`api.dns.la`): `GET /api/recordList`, `POST /api/record` (create) and
//! `PUT /api/record` (update), HTTP Basic auth `APIID:secret`, numeric record types (A = 1,
//! AAAA = 28), answers `{code, msg, data}` with `code == 200` on success. Body field names are
//! matched without case, as the real (ASP.NET) service does.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::Seen;
use super::p4common::{Fault, Rec, Store, query, same_value, valid_for};

/// The production host name.
pub const HOST: &str = "api.dns.la";

/// The fake account.
pub struct FakeDnsla {
    auth: String,
    store: Mutex<Store>,
}

fn answer(status: u16, code: i64, msg: &str, data: Value) -> Response {
    let body = json!({"code": code, "msg": msg, "data": data});
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

fn type_name(code: i64) -> Option<&'static str> {
    match code {
        1 => Some("A"),
        28 => Some("AAAA"),
        _ => None,
    }
}

fn type_code(name: &str) -> i64 {
    if name == "AAAA" { 28 } else { 1 }
}

/// A field of a JSON object, by name without case.
fn field<'a>(o: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

impl FakeDnsla {
    /// A fake accepting exactly `Authorization: Basic base64(api_id:secret)`.
    pub fn new(api_id: &str, secret: &str) -> Arc<Self> {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{api_id}:{secret}"));
        Arc::new(FakeDnsla {
            auth: format!("Basic {auth}"),
            store: Mutex::default(),
        })
    }

    /// The router serving `/api/*`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Adds a domain to the account.
    pub fn add_zone(&self, zone: &str) {
        self.store.lock().unwrap().add_zone(zone);
    }

    /// Seeds a record; returns its id.
    pub fn seed(&self, zone: &str, host: &str, rtype: &str, value: &str) -> u64 {
        self.store.lock().unwrap().insert(Rec {
            id: 0,
            zone: zone.into(),
            host: host.into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl: 600,
            line: String::new(),
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

    /// `METHOD path` of every request, in order.
    pub fn calls(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.uri.split('?').next().unwrap_or("")))
            .collect()
    }

    /// The next authenticated request gets `fault`.
    pub fn fail_next(&self, fault: Fault) {
        self.store.lock().unwrap().faults.push_back(fault);
    }
}

async fn handle(
    State(fake): State<Arc<FakeDnsla>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut st = fake.store.lock().unwrap();
    st.seen.push(seen.clone());
    if seen.header("authorization") != Some(fake.auth.as_str()) {
        return answer(
            401,
            401,
            "Unauthorized: APIID or API secret is wrong",
            Value::Null,
        );
    }
    if let Some(f) = st.faults.pop_front() {
        return f.response();
    }
    match (method.as_str(), uri.path()) {
        ("GET", "/api/recordList") => {
            let q = query(&seen);
            let Some((_, zone)) = q.get("domain").and_then(|d| st.zone(d)) else {
                return answer(200, 400, "域名不存在", Value::Null);
            };
            let code: Option<i64> = q.get("type").and_then(|t| t.parse().ok());
            let list: Vec<Value> = st
                .records
                .iter()
                .filter(|r| r.zone == zone)
                .filter(|r| q.get("host").is_none_or(|h| r.host.eq_ignore_ascii_case(h)))
                .filter(|r| code.is_none_or(|c| type_code(&r.rtype) == c))
                .map(|r| {
                    json!({"id": r.id.to_string(), "domainId": "9000", "host": r.host,
                                "type": type_code(&r.rtype), "data": r.value, "ttl": r.ttl,
                                "lineId": "", "disable": false})
                })
                .collect();
            answer(200, 200, "", json!({"total": list.len(), "results": list}))
        }
        (m @ ("POST" | "PUT"), "/api/record") => {
            let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(&body) else {
                return answer(400, 400, "body is not a JSON object", Value::Null);
            };
            let text = |k: &str| field(&o, k).and_then(Value::as_str).map(str::to_string);
            let num = |k: &str| field(&o, k).and_then(Value::as_i64);
            let (Some(host), Some(rtype), Some(value), Some(ttl)) = (
                text("host"),
                num("type").and_then(type_name),
                text("data"),
                num("ttl"),
            ) else {
                return answer(200, 400, "参数错误: host, type, data, ttl", Value::Null);
            };
            if !valid_for(rtype, &value) || ttl <= 0 {
                return answer(200, 400, "记录值或 TTL 无效", Value::Null);
            }
            if m == "POST" {
                let Some((_, zone)) = text("domain").and_then(|d| st.zone(&d)) else {
                    return answer(200, 400, "域名不存在", Value::Null);
                };
                let dup = st.records.iter().any(|r| {
                    r.zone == zone
                        && r.host.eq_ignore_ascii_case(&host)
                        && r.rtype == rtype
                        && same_value(&r.value, &value)
                });
                if dup {
                    return answer(200, 400, "记录已存在", Value::Null);
                }
                let id = st.insert(Rec {
                    id: 0,
                    zone,
                    host,
                    rtype: rtype.into(),
                    value,
                    ttl: ttl as u32,
                    line: String::new(),
                    level: 0,
                });
                return answer(200, 200, "", json!({"id": id.to_string()}));
            }
            let id = text("id").and_then(|i| i.parse::<u64>().ok()).unwrap_or(0);
            let Some(r) = st.records.iter_mut().find(|r| r.id == id) else {
                return answer(200, 400, "记录不存在", Value::Null);
            };
            (r.host, r.rtype, r.value, r.ttl) = (host, rtype.into(), value, ttl as u32);
            answer(200, 200, "", Value::Null)
        }
        _ => answer(404, 404, "Not Found", Value::Null),
    }
}
