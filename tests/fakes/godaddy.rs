//! A fake GoDaddy Domains API v1 (`GET|PUT /v1/domains/{d}/records/{type}/{name}` as on
//! api.godaddy.com): `Authorization: sso-key key:secret`, `{code,message}` errors, the
//! account-level API gate (403 ACCESS_DENIED), PUT replacing the record set, a request log
//! and fault injection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::p2zone::{Core, family_ok, full, seg};

pub const HOST: &str = "api.godaddy.com";

/// The fake GoDaddy account.
pub struct FakeGoDaddy {
    auth: String,
    core: Core,
    /// False models an account below GoDaddy's API threshold.
    api_allowed: AtomicBool,
}

fn error(status: u16, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({"code": code, "message": message})),
    )
        .into_response()
}

/// The shared account (zones, records, request log, faults) is reached through the fake.
impl std::ops::Deref for FakeGoDaddy {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl FakeGoDaddy {
    /// An account accepting exactly `sso-key <key>:<secret>`.
    pub fn new(key: &str, secret: &str) -> Arc<Self> {
        Arc::new(FakeGoDaddy {
            auth: format!("sso-key {key}:{secret}"),
            core: Core::default(),
            api_allowed: AtomicBool::new(true),
        })
    }
    /// Closes the API to this account (fewer than 10 domains, no Pro plan).
    pub fn deny_api(&self) {
        self.api_allowed.store(false, Ordering::SeqCst);
    }
    pub fn seed(&self, zone: &str, name: &str, rtype: &str, value: &str) -> String {
        self.core.seed(zone, name, rtype, value, 600)
    }
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        let mut st = match self.core.begin(method, uri, headers, body) {
            Ok(st) => st,
            Err(fault) => return *fault,
        };
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            None => {
                return error(
                    401,
                    "MISSING_CREDENTIALS",
                    "Unauthorized : Credentials must be specified",
                );
            }
            Some(a) if a != self.auth => {
                return error(
                    401,
                    "UNABLE_TO_AUTHENTICATE",
                    "Unauthorized : Could not authenticate API key/secret",
                );
            }
            Some(_) => {}
        }
        if !self.api_allowed.load(Ordering::SeqCst) {
            return error(
                403,
                "ACCESS_DENIED",
                "Authenticated user is not allowed access",
            );
        }
        let parts: Vec<String> = uri
            .path()
            .trim_start_matches('/')
            .split('/')
            .map(seg)
            .collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let ["v1", "domains", zone, "records", rtype, sub] = parts.as_slice() else {
            return error(404, "NOT_FOUND", "The requested resource was not found");
        };
        let (zone, rtype, sub) = (zone.to_string(), rtype.to_string(), sub.to_string());
        if !st.has_zone(&zone) {
            return error(
                404,
                "UNKNOWN_DOMAIN",
                "The given domain is not registered, or does not have a zone file",
            );
        }
        if sub.is_empty() || !matches!(rtype.as_str(), "A" | "AAAA") {
            return error(422, "INVALID_BODY", "Request body doesn't fulfill schema");
        }
        let name = full(&sub, &zone);
        match method.as_str() {
            "GET" => {
                let list: Vec<Value> = st
                    .records
                    .iter()
                    .filter(|r| r.name == name && r.rtype == rtype)
                    .map(|r| json!({"data": r.value, "name": sub, "ttl": r.ttl, "type": r.rtype}))
                    .collect();
                axum::Json(Value::Array(list)).into_response()
            }
            "PUT" => {
                let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(body) else {
                    return error(422, "INVALID_BODY", "Request body doesn't fulfill schema");
                };
                let mut new = Vec::new();
                for it in &items {
                    let data = it["data"].as_str().unwrap_or_default();
                    let ttl = it["ttl"].as_u64().unwrap_or(3600);
                    if !family_ok(&rtype, data) || ttl < 600 {
                        return error(422, "INVALID_VALUE", "data or ttl is invalid");
                    }
                    new.push((data.to_string(), ttl as u32));
                }
                if new.is_empty() {
                    return error(422, "INVALID_BODY", "Request body doesn't fulfill schema");
                }
                st.records.retain(|r| !(r.name == name && r.rtype == rtype));
                for (data, ttl) in new {
                    st.add(&zone, &name, &rtype, &data, ttl);
                }
                StatusCode::OK.into_response()
            }
            _ => error(405, "METHOD_NOT_ALLOWED", "Method not allowed"),
        }
    }
}

async fn handle(
    State(fake): State<Arc<FakeGoDaddy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
