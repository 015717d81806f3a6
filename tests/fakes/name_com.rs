//! A fake name.com API (`api.name.com/core/v1`): HTTP Basic `username:token`, records per
//! domain, paginated with `page`/`perPage` (`nextPage`/`lastPage` in the answer), POST to
//! create, PUT by id to update, the 300-second minimum TTL. Transport-agnostic.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};

use super::p3core::{Recorder, fits, get, json, query};

/// One record held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct NcRecord {
    pub id: u64,
    pub domain: String,
    pub host: String,
    pub rtype: String,
    pub answer: String,
    pub ttl: u32,
}

#[derive(Default)]
struct Inner {
    domains: Vec<String>,
    records: Vec<NcRecord>,
    next: u64,
}

/// The fake name.com account.
pub struct FakeNameCom {
    user: String,
    token: String,
    state: Mutex<Inner>,
    /// Request log and faults.
    pub rec: Recorder,
}

fn record_json(r: &NcRecord) -> Value {
    let fqdn = if r.host.is_empty() {
        format!("{}.", r.domain)
    } else {
        format!("{}.{}.", r.host, r.domain)
    };
    let mut v = json!({"id": r.id, "domainName": r.domain, "fqdn": fqdn, "type": r.rtype,
                       "answer": r.answer, "ttl": r.ttl});
    // name.com leaves `host` out for the apex.
    if !r.host.is_empty() {
        v["host"] = Value::from(r.host.clone());
    }
    v
}

impl FakeNameCom {
    /// A fake accepting Basic `user:token`.
    pub fn new(user: &str, token: &str) -> Arc<Self> {
        Arc::new(FakeNameCom {
            user: user.into(),
            token: token.into(),
            state: Mutex::default(),
            rec: Recorder::default(),
        })
    }

    /// Adds a domain.
    pub fn add_domain(&self, d: &str) {
        self.state.lock().unwrap().domains.push(d.into());
    }

    /// Seeds a record with TTL 300; returns its id.
    pub fn seed(&self, domain: &str, host: &str, rtype: &str, answer: &str) -> u64 {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let id = 1000 + st.next;
        st.records.push(NcRecord {
            id,
            domain: domain.into(),
            host: host.into(),
            rtype: rtype.into(),
            answer: answer.into(),
            ttl: 300,
        });
        id
    }

    /// Every record.
    pub fn records(&self) -> Vec<NcRecord> {
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
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.user, self.token))
        );
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
            return json(401, json!({"message": "Unauthenticated"}));
        }
        let Some(rest) = uri.path().strip_prefix("/core/v1/domains/") else {
            return json(404, json!({"message": "Not Found"}));
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let domain = parts[0].to_string();
        let mut st = self.state.lock().unwrap();
        if !st.domains.contains(&domain) {
            return json(
                404,
                json!({"message": "Not Found", "details": "Domain not found"}),
            );
        }
        match (method.as_str(), &parts[1..]) {
            ("GET", ["records"]) => {
                let q = query(uri);
                let per: usize = get(&q, "perPage")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1000);
                let page: usize = get(&q, "page").and_then(|v| v.parse().ok()).unwrap_or(1);
                let all: Vec<&NcRecord> =
                    st.records.iter().filter(|r| r.domain == domain).collect();
                let last = all.len().div_ceil(per).max(1);
                let list: Vec<Value> = all
                    .iter()
                    .skip((page - 1) * per)
                    .take(per)
                    .map(|r| record_json(r))
                    .collect();
                let mut v = json!({"records": list, "totalCount": all.len(), "lastPage": last});
                if page < last {
                    v["nextPage"] = Value::from(page + 1);
                }
                json(200, v)
            }
            (m @ ("POST" | "PUT"), rest) => {
                let Ok(v) = serde_json::from_slice::<Value>(body) else {
                    return json(
                        400,
                        json!({"message": "Invalid Argument", "details": "invalid json"}),
                    );
                };
                let host = v["host"].as_str().unwrap_or_default().to_string();
                let t = v["type"].as_str().unwrap_or_default().to_string();
                let answer = v["answer"].as_str().unwrap_or_default().to_string();
                let ttl = v["ttl"].as_u64().unwrap_or(300) as u32;
                if !fits(&t, &answer) {
                    return json(
                        400,
                        json!({"message": "Invalid Argument", "details": "answer does not fit type"}),
                    );
                }
                if ttl < 300 {
                    return json(
                        400,
                        json!({"message": "Invalid Argument", "details": "TTL must be at least 300"}),
                    );
                }
                match (m, rest) {
                    ("POST", ["records"]) => {
                        st.next += 1;
                        let r = NcRecord {
                            id: 1000 + st.next,
                            domain,
                            host,
                            rtype: t,
                            answer,
                            ttl,
                        };
                        st.records.push(r.clone());
                        json(200, record_json(&r))
                    }
                    ("PUT", ["records", id]) => {
                        let Some(r) = st
                            .records
                            .iter_mut()
                            .find(|r| r.id.to_string() == *id && r.domain == domain)
                        else {
                            return json(
                                404,
                                json!({"message": "Not Found", "details": "Record not found"}),
                            );
                        };
                        *r = NcRecord {
                            id: r.id,
                            domain,
                            host,
                            rtype: t,
                            answer,
                            ttl,
                        };
                        let out = record_json(r);
                        json(200, out)
                    }
                    _ => json(404, json!({"message": "Not Found"})),
                }
            }
            _ => json(404, json!({"message": "Not Found"})),
        }
    }
}

async fn handle(
    State(fake): State<Arc<FakeNameCom>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
