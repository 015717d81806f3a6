//! A fake Cloudflare API v4 at the production paths (`/client/v4/...`), strict about the
//! bearer token and the record fields, with an in-memory zone, a request log and fault
//! injection. Transport-agnostic: serve `router()` over HTTP or TLS.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Seen;

/// One DNS record held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct CfRecord {
    pub id: String,
    pub zone_id: String,
    pub rtype: String,
    pub name: String,
    pub content: String,
    pub proxied: bool,
    pub ttl: u32,
    pub comment: Option<String>,
}

/// What the next request gets instead of a normal answer.
#[derive(Debug, Clone)]
pub enum CfFault {
    /// HTTP `status` with `{"success":false,"errors":[{code,message}]}`.
    Error {
        status: u16,
        code: i64,
        message: String,
    },
    /// 429 with a `Retry-After` header of that many seconds.
    RateLimit { retry_after: u64 },
}

#[derive(Default)]
struct Inner {
    zones: Vec<(String, String)>,
    records: Vec<CfRecord>,
    seen: Vec<Seen>,
    faults: VecDeque<CfFault>,
    next_id: u64,
}

/// The fake Cloudflare account.
pub struct FakeCloudflare {
    token: String,
    state: Mutex<Inner>,
}

fn envelope_err(status: u16, code: i64, message: &str) -> Response {
    let body = json!({"success": false, "errors": [{"code": code, "message": message}],
                      "messages": [], "result": null});
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

fn ok(result: Value, count: Option<usize>) -> Response {
    let mut body = json!({"success": true, "errors": [], "messages": [], "result": result});
    if let Some(n) = count {
        body["result_info"] = json!({"page": 1, "per_page": 50, "count": n, "total_count": n});
    }
    axum::Json(body).into_response()
}

fn record_json(r: &CfRecord, zone_name: &str) -> Value {
    json!({"id": r.id, "zone_id": r.zone_id, "zone_name": zone_name, "name": r.name,
           "type": r.rtype, "content": r.content, "proxiable": true, "proxied": r.proxied,
           "ttl": r.ttl, "comment": r.comment, "tags": [],
           "created_on": "2024-01-01T00:00:00Z", "modified_on": "2024-01-01T00:00:00Z"})
}

impl FakeCloudflare {
    /// A fake account accepting exactly `Authorization: Bearer <token>`.
    pub fn new(token: &str) -> Arc<Self> {
        Arc::new(FakeCloudflare {
            token: token.to_string(),
            state: Mutex::default(),
        })
    }

    fn new_id(st: &mut Inner) -> String {
        st.next_id += 1;
        format!("{:032x}", 0x00c0_ffee_0000_0000_u64 + st.next_id)
    }

    /// Adds an active zone `name` (ASCII) and returns its id.
    pub fn add_zone(&self, name: &str) -> String {
        let mut st = self.state.lock().unwrap();
        let id = Self::new_id(&mut st);
        st.zones.push((id.clone(), name.to_string()));
        id
    }

    /// Seeds a record (TTL 1, no comment) in zone `zone_id`; returns the record id.
    pub fn seed(
        &self,
        zone_id: &str,
        rtype: &str,
        name: &str,
        content: &str,
        proxied: bool,
    ) -> String {
        let mut st = self.state.lock().unwrap();
        let id = Self::new_id(&mut st);
        st.records.push(CfRecord {
            id: id.clone(),
            zone_id: zone_id.to_string(),
            rtype: rtype.to_string(),
            name: name.to_string(),
            content: content.to_string(),
            proxied,
            ttl: 1,
            comment: None,
        });
        id
    }

    /// Sets the comment of a seeded record.
    pub fn set_comment(&self, record_id: &str, comment: &str) {
        let mut st = self.state.lock().unwrap();
        let r = st.records.iter_mut().find(|r| r.id == record_id).unwrap();
        r.comment = Some(comment.to_string());
    }

    /// Every record, in creation order.
    pub fn records(&self) -> Vec<CfRecord> {
        self.state.lock().unwrap().records.clone()
    }

    /// Every request seen, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Requests other than GET (the writes).
    pub fn writes(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.method != "GET")
            .collect()
    }

    /// Makes the next request fail with `fault` (queued: one fault per request).
    pub fn fail_next(&self, fault: CfFault) {
        self.state.lock().unwrap().faults.push_back(fault);
    }

    /// The API router (serves `/client/v4/...`; every request is logged).
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        let mut st = self.state.lock().unwrap();
        st.seen.push(super::seen(method, uri, headers, body));
        if let Some(f) = st.faults.pop_front() {
            return match f {
                CfFault::Error {
                    status,
                    code,
                    message,
                } => envelope_err(status, code, &message),
                CfFault::RateLimit { retry_after } => {
                    let mut r = envelope_err(
                        429,
                        971,
                        "Please wait and consider throttling your request speed",
                    );
                    r.headers_mut()
                        .insert("retry-after", retry_after.to_string().parse().unwrap());
                    r
                }
            };
        }
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            None => return envelope_err(400, 6003, "Invalid request headers"),
            Some(v) if !v.starts_with("Bearer ") => {
                return envelope_err(400, 6111, "Invalid format for Authorization header");
            }
            Some(v) if v != format!("Bearer {}", self.token) => {
                return envelope_err(403, 10000, "Authentication error");
            }
            Some(_) => {}
        }
        let Some(path) = uri.path().strip_prefix("/client/v4") else {
            return envelope_err(404, 7000, "No route for that URI");
        };
        let q: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["zones"]) => {
                let zones: Vec<Value> = st
                    .zones
                    .iter()
                    .filter(|(_, n)| get("name").is_none_or(|want| want.eq_ignore_ascii_case(n)))
                    .map(|(id, n)| json!({"id": id, "name": n, "status": "active"}))
                    .collect();
                let n = zones.len();
                ok(Value::Array(zones), Some(n))
            }
            (m, ["zones", zone, "dns_records", rest @ ..]) => {
                let Some(zone_name) = st
                    .zones
                    .iter()
                    .find(|(id, _)| id == zone)
                    .map(|(_, n)| n.clone())
                else {
                    return envelope_err(
                        400,
                        7003,
                        "Could not route to /zones, perhaps your object identifier is invalid?",
                    );
                };
                match (m, rest) {
                    ("GET", []) => {
                        let list: Vec<Value> = st
                            .records
                            .iter()
                            .filter(|r| r.zone_id == *zone)
                            .filter(|r| get("type").is_none_or(|t| t == r.rtype))
                            .filter(|r| get("name").is_none_or(|n| n.eq_ignore_ascii_case(&r.name)))
                            .filter(|r| get("comment").is_none_or(|c| Some(c) == r.comment))
                            .map(|r| record_json(r, &zone_name))
                            .collect();
                        let n = list.len();
                        ok(Value::Array(list), Some(n))
                    }
                    ("POST", []) => {
                        let id = Self::new_id(&mut st);
                        let rec = match validate(body, zone, &zone_name, &id, None) {
                            Ok(r) => r,
                            Err((s, c, m)) => return envelope_err(s, c, m),
                        };
                        if st.records.iter().any(|r| {
                            r.zone_id == rec.zone_id
                                && r.rtype == rec.rtype
                                && r.name == rec.name
                                && r.content == rec.content
                        }) {
                            return envelope_err(400, 81058, "An identical record already exists.");
                        }
                        st.records.push(rec.clone());
                        ok(record_json(&rec, &zone_name), None)
                    }
                    ("PUT" | "PATCH", [id]) => {
                        let Some(pos) = st
                            .records
                            .iter()
                            .position(|r| r.id == *id && r.zone_id == *zone)
                        else {
                            return envelope_err(404, 81044, "Record does not exist.");
                        };
                        let base = (m == "PATCH").then(|| st.records[pos].clone());
                        let rec = match validate(body, zone, &zone_name, id, base) {
                            Ok(r) => r,
                            Err((s, c, m)) => return envelope_err(s, c, m),
                        };
                        st.records[pos] = rec.clone();
                        ok(record_json(&rec, &zone_name), None)
                    }
                    _ => envelope_err(405, 10405, "Method not allowed for this endpoint"),
                }
            }
            _ => envelope_err(404, 7000, "No route for that URI"),
        }
    }
}

/// An error answer as (HTTP status, Cloudflare code, message).
type CfErr = (u16, i64, &'static str);

fn cf_err(status: u16, code: i64, message: &'static str) -> CfErr {
    (status, code, message)
}

/// Checks a create (`base` None), PUT (`base` None: a full record) or PATCH body as
/// Cloudflare does, and returns the resulting record.
fn validate(
    body: &[u8],
    zone: &str,
    zone_name: &str,
    id: &str,
    base: Option<CfRecord>,
) -> Result<CfRecord, CfErr> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| cf_err(400, 9207, "Request body is invalid."))?;
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let partial = base.is_some();
    let b = base.unwrap_or(CfRecord {
        id: id.to_string(),
        zone_id: zone.to_string(),
        rtype: String::new(),
        name: String::new(),
        content: String::new(),
        proxied: false,
        ttl: 1,
        comment: None,
    });
    let rec = CfRecord {
        rtype: field("type").unwrap_or(b.rtype),
        name: field("name").unwrap_or(b.name),
        content: field("content").unwrap_or(b.content),
        proxied: v
            .get("proxied")
            .and_then(Value::as_bool)
            .unwrap_or(if partial { b.proxied } else { false }),
        ttl: match v.get("ttl") {
            Some(t) => t.as_u64().ok_or_else(|| cf_err(400, 9021, "Invalid TTL"))? as u32,
            None if partial => b.ttl,
            None => 1,
        },
        comment: match v.get("comment") {
            Some(c) => c.as_str().map(str::to_string),
            None if partial => b.comment,
            None => None,
        },
        ..b
    };
    if rec.rtype.is_empty() || rec.name.is_empty() || rec.content.is_empty() {
        return Err(cf_err(
            400,
            9000,
            "DNS name, type and content are required.",
        ));
    }
    if !rec.name.is_ascii()
        || !(rec.name == zone_name || rec.name.ends_with(&format!(".{zone_name}")))
    {
        return Err(cf_err(
            400,
            9005,
            "Content for name is invalid or outside the zone.",
        ));
    }
    let ip_ok = match (rec.rtype.as_str(), rec.content.parse::<IpAddr>()) {
        ("A", Ok(ip)) => ip.is_ipv4(),
        ("AAAA", Ok(ip)) => ip.is_ipv6(),
        _ => false,
    };
    if !ip_ok {
        return Err(cf_err(
            400,
            9006,
            "Content for the record type is not a valid address.",
        ));
    }
    if rec.ttl != 1 && !(60..=86400).contains(&rec.ttl) {
        return Err(cf_err(
            400,
            9021,
            "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.",
        ));
    }
    Ok(rec)
}

async fn handle(
    State(fake): State<Arc<FakeCloudflare>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
