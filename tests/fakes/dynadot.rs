//! A fake Dynadot dynamic DNS endpoint (`GET /set_ddns?domain&subDomain&type&ip&pwd&ttl&
//! containRoot` as on www.dynadot.com): one DDNS password per domain, JSON answers with
//! `error_code` −1 on failure, names created or updated, a request log and fault injection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::p2zone::{Core, family_ok, full, one, query};

pub const HOST: &str = "www.dynadot.com";

/// The fake Dynadot service.
pub struct FakeDynadot {
    passwords: Mutex<HashMap<String, String>>,
    core: Core,
}

fn failed(msg: &str) -> Response {
    axum::Json(json!({"status": "failed", "error_code": -1, "content": msg})).into_response()
}

/// The shared account (zones, records, request log, faults) is reached through the fake.
impl std::ops::Deref for FakeDynadot {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl FakeDynadot {
    pub fn new() -> Arc<Self> {
        Arc::new(FakeDynadot {
            passwords: Mutex::default(),
            core: Core::default(),
        })
    }
    /// Adds a domain with its DDNS password.
    pub fn add_domain(&self, zone: &str, password: &str) {
        self.core.add_zone(zone);
        self.passwords
            .lock()
            .unwrap()
            .insert(zone.to_string(), password.to_string());
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
        if method != Method::GET || uri.path() != "/set_ddns" {
            return failed("invalid request");
        }
        let q = query(uri);
        let get = |k: &str| one(&q, k);
        let (Some(zone), Some(subs), Some(rtype), Some(ip), Some(pwd)) = (
            get("domain"),
            get("subDomain"),
            get("type"),
            get("ip"),
            get("pwd"),
        ) else {
            return failed("missing parameter");
        };
        if !st.has_zone(&zone) {
            return failed("domain not found");
        }
        if self.passwords.lock().unwrap().get(&zone) != Some(&pwd) {
            return failed("invalid password");
        }
        if !family_ok(&rtype, &ip) {
            return failed("invalid ip");
        }
        let ttl = match get("ttl").map(|t| t.parse::<u32>()) {
            None => 600,
            Some(Ok(t)) => t,
            Some(Err(_)) => return failed("invalid ttl"),
        };
        let contain_root = match get("containRoot").as_deref() {
            Some("true") => true,
            Some("false") | None => false,
            Some(_) => return failed("invalid containRoot"),
        };
        let mut names: Vec<String> = subs
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| full(s, &zone))
            .collect();
        if contain_root && !names.contains(&zone) {
            names.push(zone.clone());
        }
        for name in &names {
            let mut found = st.matching_mut(name, &rtype);
            if found.is_empty() {
                drop(found);
                st.add(&zone, name, &rtype, &ip, ttl);
            } else {
                for r in found.iter_mut() {
                    r.value = ip.clone();
                    r.ttl = ttl;
                }
            }
        }
        axum::Json(json!({"status": "success", "error_code": 0, "content": names})).into_response()
    }
}

async fn handle(
    State(fake): State<Arc<FakeDynadot>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
