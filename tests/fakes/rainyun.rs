//! A fake Rainyun API (`api.v2.rainyun.com`): `GET /product/domain/<id>/dns/?limit&page_no`,
//! `POST` (create) and `PATCH` (update) to `/product/domain/<id>/dns`, key in `x-api-key`,
//! answers `{code, message, data}` with `code == 200` on success. The record list is paged.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Seen;
use super::p4common::{Fault, Rec, Store, query, same_value, valid_for};

/// The production host name.
pub const HOST: &str = "api.v2.rainyun.com";

/// The fake account.
pub struct FakeRainyun {
    key: String,
    store: Mutex<Store>,
}

fn answer(status: u16, code: i64, message: &str, data: Value) -> Response {
    let body = json!({"code": code, "message": message, "data": data});
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

impl FakeRainyun {
    /// A fake accepting exactly `x-api-key: <key>`.
    pub fn new(key: &str) -> Arc<Self> {
        Arc::new(FakeRainyun {
            key: key.into(),
            store: Mutex::default(),
        })
    }

    /// The router serving `/product/domain/*`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Adds a domain; returns its Domain ID.
    pub fn add_zone(&self, zone: &str) -> u64 {
        self.store.lock().unwrap().add_zone(zone)
    }

    /// Seeds a record with its line and level; returns its record_id.
    pub fn seed(
        &self,
        zone: &str,
        host: &str,
        rtype: &str,
        value: &str,
        line: &str,
        level: i64,
    ) -> u64 {
        self.store.lock().unwrap().insert(Rec {
            id: 0,
            zone: zone.into(),
            host: host.into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl: 600,
            line: line.into(),
            level,
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

    /// The methods of every request, in order.
    pub fn methods(&self) -> Vec<String> {
        self.seen().iter().map(|s| s.method.clone()).collect()
    }

    /// The next authenticated request gets `fault`.
    pub fn fail_next(&self, fault: Fault) {
        self.store.lock().unwrap().faults.push_back(fault);
    }
}

async fn handle(
    State(fake): State<Arc<FakeRainyun>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut st = fake.store.lock().unwrap();
    st.seen.push(seen.clone());
    if seen.header("x-api-key") != Some(fake.key.as_str()) {
        return answer(401, 401, "unauthorized: invalid api key", Value::Null);
    }
    if let Some(f) = st.faults.pop_front() {
        return f.response();
    }
    let rest = uri.path().strip_prefix("/product/domain/").unwrap_or("");
    let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let zone = id.parse::<u64>().ok().and_then(|id| {
        st.zones
            .iter()
            .find(|(z, _)| *z == id)
            .map(|(_, n)| n.clone())
    });
    let Some(zone) = zone else {
        return answer(404, 404, "domain not found", Value::Null);
    };
    match (method.as_str(), tail) {
        ("GET", "dns/") => {
            let q = query(&seen);
            let limit: usize = q
                .get("limit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(20)
                .max(1);
            let page: usize = q
                .get("page_no")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1)
                .max(1);
            let all: Vec<&Rec> = st.records.iter().filter(|r| r.zone == zone).collect();
            let list: Vec<Value> = all
                .iter()
                .skip((page - 1) * limit)
                .take(limit)
                .map(|r| {
                    json!({"record_id": r.id, "host": r.host, "type": r.rtype,
                                "value": r.value, "ttl": r.ttl, "line": r.line,
                                "level": r.level, "status": 1})
                })
                .collect();
            answer(
                200,
                200,
                "",
                json!({"TotalRecords": all.len(), "Records": list}),
            )
        }
        (m @ ("POST" | "PATCH"), "dns") => {
            let Ok(v) = serde_json::from_slice::<Value>(&body) else {
                return answer(400, 400, "bad json", Value::Null);
            };
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            let n = |k: &str| v.get(k).and_then(Value::as_i64);
            let (
                Some(host),
                Some(rtype),
                Some(value),
                Some(line),
                Some(ttl),
                Some(level),
                Some(rid),
            ) = (
                s("host"),
                s("type"),
                s("value"),
                s("line"),
                n("ttl"),
                n("level"),
                n("record_id"),
            )
            else {
                return answer(
                    400,
                    400,
                    "missing host/type/value/line/ttl/level/record_id",
                    Value::Null,
                );
            };
            if !valid_for(&rtype, &value) || ttl <= 0 {
                return answer(400, 400, "invalid value or ttl", Value::Null);
            }
            let dup = st.records.iter().any(|r| {
                r.zone == zone
                    && r.host.eq_ignore_ascii_case(&host)
                    && r.rtype == rtype
                    && r.line == line
                    && same_value(&r.value, &value)
            });
            if dup {
                return answer(400, 400, "record already exists", Value::Null);
            }
            if m == "POST" {
                let id = st.insert(Rec {
                    id: 0,
                    zone,
                    host,
                    rtype,
                    value,
                    ttl: ttl as u32,
                    line,
                    level,
                });
                return answer(200, 200, "", json!(id));
            }
            let Some(r) = st
                .records
                .iter_mut()
                .find(|r| r.id as i64 == rid && r.zone == zone)
            else {
                return answer(400, 400, "record not found", Value::Null);
            };
            (r.host, r.rtype, r.value, r.ttl, r.line, r.level) =
                (host, rtype, value, ttl as u32, line, level);
            answer(200, 200, "", Value::Null)
        }
        _ => answer(404, 404, "not found", Value::Null),
    }
}
