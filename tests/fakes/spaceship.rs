//! A fake Spaceship DNS API (`GET|PUT|DELETE /api/v1/dns/records/{domain}` as on
//! spaceship.dev): `X-API-Key`/`X-API-Secret`, `{detail}` errors, paginated listing with
//! required `take` (1..=500) and `skip`, records named `@` for the apex, PUT adding records,
//! DELETE removing the exact (type, name, address) given, a request log and fault injection.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::p2zone::{Core, Rec, family_ok, full, one, query, seg};

pub const HOST: &str = "spaceship.dev";

/// The fake Spaceship account.
pub struct FakeSpaceship {
    key: String,
    secret: String,
    core: Core,
}

fn error(status: u16, detail: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({"detail": detail})),
    )
        .into_response()
}

/// The Spaceship name (`@` or the part before the zone) of a full host name.
fn rel(name: &str, zone: &str) -> String {
    if name == zone {
        "@".into()
    } else {
        name.strip_suffix(&format!(".{zone}"))
            .unwrap_or(name)
            .to_string()
    }
}

/// The shared account (zones, records, request log, faults) is reached through the fake.
impl std::ops::Deref for FakeSpaceship {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl FakeSpaceship {
    pub fn new(key: &str, secret: &str) -> Arc<Self> {
        Arc::new(FakeSpaceship {
            key: key.into(),
            secret: secret.into(),
            core: Core::default(),
        })
    }
    /// Seeds a record; `name` is the full host name.
    pub fn seed(&self, zone: &str, name: &str, rtype: &str, value: &str) -> String {
        self.core.seed(zone, name, rtype, value, 3600)
    }
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        let mut st = match self.core.begin(method, uri, headers, body) {
            Ok(st) => st,
            Err(fault) => return *fault,
        };
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
        if h("x-api-key") != Some(self.key.as_str())
            || h("x-api-secret") != Some(self.secret.as_str())
        {
            return error(401, "Unauthorized");
        }
        let Some(zone) = uri.path().strip_prefix("/api/v1/dns/records/").map(seg) else {
            return error(404, "Not found");
        };
        let zone = zone.to_ascii_lowercase();
        if zone.contains('/') || !st.has_zone(&zone) {
            return error(404, "Domain not found");
        }
        match method.as_str() {
            "GET" => {
                let q = query(uri);
                let take = one(&q, "take").and_then(|t| t.parse::<usize>().ok());
                let skip = one(&q, "skip").and_then(|t| t.parse::<usize>().ok());
                let (Some(take), Some(skip)) = (take, skip) else {
                    return error(422, "take and skip are required");
                };
                if !(1..=500).contains(&take) {
                    return error(422, "take must be between 1 and 500");
                }
                let all: Vec<&Rec> = st.records.iter().filter(|r| r.zone == zone).collect();
                let items: Vec<Value> = all
                    .iter()
                    .skip(skip)
                    .take(take)
                    .map(|r| {
                        json!({"type": r.rtype, "name": rel(&r.name, &zone),
                                    "address": r.value, "ttl": r.ttl,
                                    "group": {"type": "custom"}})
                    })
                    .collect();
                axum::Json(json!({"items": items, "total": all.len()})).into_response()
            }
            "PUT" => {
                let Ok(b) = serde_json::from_slice::<Value>(body) else {
                    return error(422, "Invalid JSON");
                };
                let Some(items) = b["items"].as_array() else {
                    return error(422, "items is required");
                };
                for it in items {
                    let (t, n, a) = (
                        it["type"].as_str().unwrap_or(""),
                        it["name"].as_str().unwrap_or(""),
                        it["address"].as_str().unwrap_or(""),
                    );
                    let ttl = it["ttl"].as_u64().unwrap_or(3600);
                    if n.is_empty() || !family_ok(t, a) || !(60..=3600).contains(&ttl) {
                        return error(422, "Invalid record");
                    }
                    let name = full(n, &zone);
                    let same = st
                        .records
                        .iter_mut()
                        .find(|r| r.name == name && r.rtype == t && r.value == a);
                    match same {
                        Some(r) => r.ttl = ttl as u32,
                        None => {
                            st.add(&zone, &name, t, a, ttl as u32);
                        }
                    }
                }
                StatusCode::NO_CONTENT.into_response()
            }
            "DELETE" => {
                let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(body) else {
                    return error(422, "A list of records is required");
                };
                for it in &items {
                    let (t, n, a) = (
                        it["type"].as_str().unwrap_or(""),
                        it["name"].as_str().unwrap_or(""),
                        it["address"].as_str().unwrap_or(""),
                    );
                    if n.is_empty() {
                        return error(422, "Invalid record");
                    }
                    let name = full(n, &zone);
                    st.records.retain(|r| {
                        !(r.zone == zone && r.name == name && r.rtype == t && r.value == a)
                    });
                }
                StatusCode::NO_CONTENT.into_response()
            }
            _ => error(405, "Method not allowed"),
        }
    }
}

async fn handle(
    State(fake): State<Arc<FakeSpaceship>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
