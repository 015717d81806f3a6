//! A fake NS1 API (`api.nsone.net/v1`): header `X-NSONE-Key`, zones, and records at
//! `/zones/{zone}/{domain}/{type}` (GET; PUT creates, POST updates), strict about the domain
//! being a valid name inside the zone (so `@.zone` is refused). Transport-agnostic.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::p3core::{Recorder, fits, json};

/// One record held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct NRecord {
    pub id: String,
    pub zone: String,
    pub domain: String,
    pub rtype: String,
    pub ttl: u32,
    pub answers: Vec<String>,
}

#[derive(Default)]
struct Inner {
    zones: Vec<String>,
    records: Vec<NRecord>,
    next: u64,
}

/// The fake NS1 account.
pub struct FakeNsone {
    key: String,
    state: Mutex<Inner>,
    /// Request log and faults.
    pub rec: Recorder,
}

fn record_json(r: &NRecord) -> Value {
    let answers: Vec<Value> = r
        .answers
        .iter()
        .map(|a| json!({"answer": [a], "id": format!("{}-a", r.id), "meta": {}}))
        .collect();
    json!({"id": r.id, "zone": r.zone, "domain": r.domain, "type": r.rtype, "ttl": r.ttl,
           "answers": answers, "filters": [], "meta": {}, "use_client_subnet": true})
}

/// A DNS name NS1 accepts: LDH labels, `*` allowed as the first label.
fn valid_name(name: &str) -> bool {
    name.split('.').enumerate().all(|(i, l)| {
        (i == 0 && l == "*")
            || (!l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    })
}

impl FakeNsone {
    /// A fake accepting `X-NSONE-Key: <key>`.
    pub fn new(key: &str) -> Arc<Self> {
        Arc::new(FakeNsone {
            key: key.into(),
            state: Mutex::default(),
            rec: Recorder::default(),
        })
    }

    /// Adds a zone.
    pub fn add_zone(&self, z: &str) {
        self.state.lock().unwrap().zones.push(z.into());
    }

    /// Seeds a record with TTL 60.
    pub fn seed(&self, zone: &str, domain: &str, rtype: &str, answer: &str) {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let id = format!("{:024x}", st.next);
        st.records.push(NRecord {
            id,
            zone: zone.into(),
            domain: domain.into(),
            rtype: rtype.into(),
            ttl: 60,
            answers: vec![answer.into()],
        });
    }

    /// Every record.
    pub fn records(&self) -> Vec<NRecord> {
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
        if headers.get("x-nsone-key").and_then(|v| v.to_str().ok()) != Some(self.key.as_str()) {
            return json(401, json!({"message": "Unauthorized"}));
        }
        let Some(rest) = uri.path().strip_prefix("/v1/zones/") else {
            return json(404, json!({"message": "Not Found"}));
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let zone = parts[0].to_string();
        let mut st = self.state.lock().unwrap();
        if !st.zones.contains(&zone) {
            return json(404, json!({"message": "zone not found"}));
        }
        match (method.as_str(), &parts[1..]) {
            ("GET", []) => json(
                200,
                json!({"zone": zone, "id": "z1", "ttl": 3600, "records": []}),
            ),
            (m, [domain, t]) => {
                let pos = st
                    .records
                    .iter()
                    .position(|r| r.zone == zone && r.domain == *domain && r.rtype == *t);
                if m == "GET" {
                    return match pos {
                        Some(p) => json(200, record_json(&st.records[p])),
                        None => json(404, json!({"message": "record not found"})),
                    };
                }
                if !valid_name(domain)
                    || !(*domain == zone || domain.ends_with(&format!(".{zone}")))
                {
                    return json(
                        400,
                        json!({"message": format!("invalid domain name {domain}")}),
                    );
                }
                let Ok(v) = serde_json::from_slice::<Value>(body) else {
                    return json(400, json!({"message": "invalid json"}));
                };
                let answers: Vec<String> = v["answers"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x["answer"][0].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if answers.is_empty() || !answers.iter().all(|a| fits(t, a)) {
                    return json(400, json!({"message": "invalid answer"}));
                }
                let ttl = v["ttl"].as_u64().map(|t| t as u32);
                match (m, pos) {
                    ("PUT", None) => {
                        st.next += 1;
                        let r = NRecord {
                            id: format!("{:024x}", st.next),
                            zone: zone.clone(),
                            domain: domain.to_string(),
                            rtype: t.to_string(),
                            ttl: ttl.unwrap_or(3600),
                            answers,
                        };
                        st.records.push(r.clone());
                        json(200, record_json(&r))
                    }
                    ("PUT", Some(_)) => json(400, json!({"message": "record already exists"})),
                    ("POST", Some(p)) => {
                        let r = &mut st.records[p];
                        r.answers = answers;
                        if let Some(t) = ttl {
                            r.ttl = t;
                        }
                        let out = record_json(r);
                        json(200, out)
                    }
                    ("POST", None) => json(404, json!({"message": "record not found"})),
                    _ => json(405, json!({"message": "method not allowed"})),
                }
            }
            _ => json(404, json!({"message": "Not Found"})),
        }
    }
}

async fn handle(
    State(fake): State<Arc<FakeNsone>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
