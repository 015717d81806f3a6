//! A fake ClouDNS API (`api.cloudns.net/dns/`): form POSTs (or GET queries) with `auth-id` /
//! `sub-auth-id` and `auth-password`, `records.json` (an object keyed by id, `[]` when empty),
//! `add-record.json`, `mod-record.json`; answers are HTTP 200 with `status`/`statusDescription`
//! on errors; only ClouDNS's fixed TTLs are accepted. Transport-agnostic.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::p3core::{Recorder, fits, get, json, query};

/// TTLs ClouDNS accepts.
pub const TTLS: &[u32] = &[
    60, 300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 2592000,
];

/// One record held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct CRecord {
    pub id: u64,
    pub zone: String,
    pub host: String,
    pub rtype: String,
    pub record: String,
    pub ttl: u32,
}

#[derive(Default)]
struct Inner {
    zones: Vec<String>,
    records: Vec<CRecord>,
    next: u64,
}

/// The fake ClouDNS API user.
pub struct FakeCloudns {
    auth_id: String,
    password: String,
    state: Mutex<Inner>,
    /// Request log and faults.
    pub rec: Recorder,
}

fn failed(desc: &str) -> Response {
    json(200, json!({"status": "Failed", "statusDescription": desc}))
}

impl FakeCloudns {
    /// A fake accepting `auth-id` (or `sub-auth-id`) and `auth-password`.
    pub fn new(auth_id: &str, password: &str) -> Arc<Self> {
        Arc::new(FakeCloudns {
            auth_id: auth_id.into(),
            password: password.into(),
            state: Mutex::default(),
            rec: Recorder::default(),
        })
    }

    /// Adds a zone.
    pub fn add_zone(&self, z: &str) {
        self.state.lock().unwrap().zones.push(z.into());
    }

    /// Seeds a record with TTL 3600; returns its id.
    pub fn seed(&self, zone: &str, host: &str, rtype: &str, record: &str) -> u64 {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let id = 500 + st.next;
        st.records.push(CRecord {
            id,
            zone: zone.into(),
            host: host.into(),
            rtype: rtype.into(),
            record: record.into(),
            ttl: 3600,
        });
        id
    }

    /// Every record.
    pub fn records(&self) -> Vec<CRecord> {
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
        let mut p = query(uri);
        if method == Method::POST {
            p.extend(form_urlencoded::parse(body).into_owned());
        }
        let f = |k: &str| get(&p, k).map(str::to_string);
        let id_ok = f("auth-id").or(f("sub-auth-id")).as_deref() == Some(self.auth_id.as_str());
        if !id_ok || f("auth-password").as_deref() != Some(self.password.as_str()) {
            return failed("Invalid authentication, incorrect auth-id or auth-password.");
        }
        let mut st = self.state.lock().unwrap();
        let zone = f("domain-name").unwrap_or_default();
        if !st.zones.contains(&zone) {
            return failed("Missing domain-name");
        }
        let ttl_ok = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| t.parse::<u32>().ok())
                .is_some_and(|t| TTLS.contains(&t))
        };
        match uri.path() {
            "/dns/records.json" => {
                let mut out = Map::new();
                for r in st.records.iter().filter(|r| r.zone == zone) {
                    // An empty or absent host and an absent type do not filter.
                    if f("host").is_some_and(|h| !h.is_empty() && h != r.host) {
                        continue;
                    }
                    if f("type").is_some_and(|t| !t.eq_ignore_ascii_case(&r.rtype)) {
                        continue;
                    }
                    out.insert(
                        r.id.to_string(),
                        json!({"id": r.id.to_string(), "type": r.rtype, "host": r.host, "record": r.record,
                               "failover": "0", "ttl": r.ttl.to_string(), "status": 1}),
                    );
                }
                if out.is_empty() {
                    json(200, json!([]))
                } else {
                    json(200, Value::Object(out))
                }
            }
            "/dns/add-record.json" => {
                let (Some(t), Some(host), Some(rec), ttl) =
                    (f("record-type"), f("host"), f("record"), f("ttl"))
                else {
                    return failed("Missing record-type, host or record.");
                };
                if !ttl_ok(&ttl) {
                    return failed("Invalid TTL. Choose from the list of the values we support.");
                }
                if !fits(&t, &rec) {
                    return failed("Invalid record.");
                }
                if st
                    .records
                    .iter()
                    .any(|r| r.zone == zone && r.host == host && r.rtype == t && r.record == rec)
                {
                    return failed("The record already exists.");
                }
                st.next += 1;
                let id = 500 + st.next;
                let ttl = ttl.unwrap_or_default().parse().unwrap_or(0);
                st.records.push(CRecord {
                    id,
                    zone,
                    host,
                    rtype: t,
                    record: rec,
                    ttl,
                });
                json(
                    200,
                    json!({"status": "Success", "statusDescription": "The record was added successfully.", "data": {"id": id}}),
                )
            }
            "/dns/mod-record.json" => {
                let (Some(id), Some(host), Some(rec), ttl) =
                    (f("record-id"), f("host"), f("record"), f("ttl"))
                else {
                    return failed("Missing record-id, host or record.");
                };
                if !ttl_ok(&ttl) {
                    return failed("Invalid TTL. Choose from the list of the values we support.");
                }
                let Some(r) = st
                    .records
                    .iter_mut()
                    .find(|r| r.id.to_string() == id && r.zone == zone)
                else {
                    return failed("Invalid record-id.");
                };
                if !fits(&r.rtype, &rec) {
                    return failed("Invalid record.");
                }
                r.host = host;
                r.record = rec;
                r.ttl = ttl.unwrap_or_default().parse().unwrap_or(0);
                json(
                    200,
                    json!({"status": "Success", "statusDescription": "The record was modified successfully."}),
                )
            }
            _ => failed("Invalid method."),
        }
    }
}

async fn handle(
    State(fake): State<Arc<FakeCloudns>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
