//! A fake Porkbun API v3 (`POST /api/json/v3/dns/...` as on api.porkbun.com): JSON bodies
//! carrying `apikey`/`secretapikey`, `{"status":"SUCCESS"|"ERROR"}` answers, per-domain API
//! access, an in-memory zone, a request log and fault injection.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Seen;
use super::p2zone::{Core, family_ok, full, seg};

pub const HOST: &str = "api.porkbun.com";
const PREFIX: &str = "/api/json/v3/dns/";

/// The fake Porkbun account.
pub struct FakePorkbun {
    key: String,
    secret: String,
    core: Core,
    /// Zones whose "API ACCESS" switch is off.
    no_api: std::sync::Mutex<Vec<String>>,
}

fn error(status: u16, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({"status": "ERROR", "message": message})),
    )
        .into_response()
}

fn success(mut v: Value) -> Response {
    v["status"] = Value::from("SUCCESS");
    axum::Json(v).into_response()
}

/// The shared account (zones, records, request log, faults) is reached through the fake.
impl std::ops::Deref for FakePorkbun {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl FakePorkbun {
    /// An account accepting exactly this key pair.
    pub fn new(key: &str, secret: &str) -> Arc<Self> {
        Arc::new(FakePorkbun {
            key: key.into(),
            secret: secret.into(),
            core: Core::default(),
            no_api: Default::default(),
        })
    }
    /// Turns API access off for `zone`.
    pub fn deny_api(&self, zone: &str) {
        self.no_api.lock().unwrap().push(zone.into());
    }
    /// Seeds a record; `name` is the full host name.
    pub fn seed(&self, zone: &str, name: &str, rtype: &str, value: &str) -> String {
        self.core.seed(zone, name, rtype, value, 600)
    }
    /// Requests other than lookups.
    pub fn writes(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| !s.uri.contains("/retrieveByNameType/"))
            .collect()
    }
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        let mut st = match self.core.begin(method, uri, headers, body) {
            Ok(st) => st,
            Err(fault) => return *fault,
        };
        if method != Method::POST {
            return error(405, "Method not allowed.");
        }
        let Ok(b) = serde_json::from_slice::<Value>(body) else {
            return error(400, "Invalid JSON.");
        };
        if b["apikey"] != self.key.as_str() || b["secretapikey"] != self.secret.as_str() {
            return error(400, "Invalid API key. (002)");
        }
        let Some(rest) = uri.path().strip_prefix(PREFIX) else {
            return error(404, "Invalid endpoint.");
        };
        let parts: Vec<String> = rest.split('/').map(seg).collect();
        let zone = parts.get(1).cloned().unwrap_or_default();
        if !st.has_zone(&zone) {
            return error(400, "Invalid domain.");
        }
        if self.no_api.lock().unwrap().contains(&zone) {
            return error(400, "Domain is not opted in to API access.");
        }
        let (rtype, sub) = (
            parts.get(2).cloned().unwrap_or_default(),
            parts.get(3).cloned().unwrap_or_default(),
        );
        match parts[0].as_str() {
            "retrieveByNameType" if parts.len() <= 4 => {
                let name = full(&sub, &zone);
                let list: Vec<Value> = st
                    .records
                    .iter()
                    .filter(|r| r.name == name && r.rtype == rtype)
                    .map(|r| {
                        json!({"id": r.id, "name": r.name, "type": r.rtype,
                                    "content": r.value, "ttl": r.ttl.to_string(),
                                    "prio": "0", "notes": ""})
                    })
                    .collect();
                success(json!({"records": list}))
            }
            "create" if parts.len() == 2 => {
                let rtype = b["type"].as_str().unwrap_or_default();
                let content = b["content"].as_str().unwrap_or_default();
                let Some(sub) = b["name"].as_str() else {
                    return error(400, "Name is required.");
                };
                if !family_ok(rtype, content) {
                    return error(400, "Invalid record content.");
                }
                let Some(ttl) = ttl_of(&b) else {
                    return error(400, "TTL must be a string of at least 600.");
                };
                let name = full(sub, &zone);
                if st
                    .records
                    .iter()
                    .any(|r| r.name == name && r.rtype == rtype && r.value == content)
                {
                    return error(
                        400,
                        "Create error: We were unable to create the DNS record.",
                    );
                }
                let id = st.add(&zone, &name, rtype, content, ttl);
                success(json!({"id": id.parse::<u64>().unwrap()}))
            }
            "editByNameType" if parts.len() <= 4 => {
                let content = b["content"].as_str().unwrap_or_default();
                if !family_ok(&rtype, content) {
                    return error(400, "Invalid record content.");
                }
                let Some(ttl) = ttl_of(&b) else {
                    return error(400, "TTL must be a string of at least 600.");
                };
                let name = full(&sub, &zone);
                let mut found = st.matching_mut(&name, &rtype);
                if found.is_empty() {
                    return error(400, "Edit error: We were unable to edit the DNS record.");
                }
                for r in found.iter_mut() {
                    r.value = content.to_string();
                    r.ttl = ttl;
                }
                success(json!({}))
            }
            _ => error(404, "Invalid endpoint."),
        }
    }
}

/// Porkbun takes `ttl` as a string, minimum 600 (absent: 600).
fn ttl_of(b: &Value) -> Option<u32> {
    match &b["ttl"] {
        Value::Null => Some(600),
        Value::String(s) => s.parse().ok().filter(|t| *t >= 600),
        _ => None,
    }
}

async fn handle(
    State(fake): State<Arc<FakePorkbun>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
