//! A fake legacy DNSPod API (`/Record.List`, `/Record.Create`, `/Record.Modify` as on
//! dnsapi.cn): form POSTs only, strict about `login_token`, `format=json` and the User-Agent,
//! string status codes in HTTP 200 bodies, an in-memory zone, a request log and fault
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

/// One record held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct DpRecord {
    pub id: String,
    pub domain: String,
    /// Sub-domain as DNSPod names it: `@` for the apex.
    pub sub: String,
    pub rtype: String,
    pub line: String,
    pub value: String,
    pub ttl: u32,
}

/// What the next request gets instead of a normal answer.
#[derive(Debug, Clone)]
pub enum DpFault {
    /// HTTP 200 with `status.code` = `code` and `status.message` = `message`.
    Code { code: String, message: String },
    /// A bare HTTP status with a text body (e.g. 502 from a gateway).
    Http { status: u16, body: String },
}

#[derive(Default)]
struct Inner {
    domains: Vec<String>,
    records: Vec<DpRecord>,
    seen: Vec<Seen>,
    faults: VecDeque<DpFault>,
    next_id: u64,
}

/// The fake DNSPod account.
pub struct FakeDnspod {
    login_token: String,
    state: Mutex<Inner>,
}

/// Lines the fake knows (a subset of DNSPod's).
const LINES: &[&str] = &["默认", "电信", "联通", "移动", "境外"];

fn status(code: &str, message: &str) -> Response {
    axum::Json(json!({"status": {"code": code, "message": message,
                                  "created_at": "2024-01-01 00:00:00"}}))
    .into_response()
}

impl FakeDnspod {
    /// A fake account accepting exactly `login_token=<id>,<token>`.
    pub fn new(id: &str, token: &str) -> Arc<Self> {
        Arc::new(FakeDnspod {
            login_token: format!("{id},{token}"),
            state: Mutex::default(),
        })
    }

    /// Adds a domain (zone) to the account.
    pub fn add_domain(&self, name: &str) {
        self.state.lock().unwrap().domains.push(name.to_string());
    }

    /// Seeds a record (TTL 600) and returns its id; `sub` is `@` for the apex.
    pub fn seed(&self, domain: &str, sub: &str, rtype: &str, value: &str, line: &str) -> String {
        let mut st = self.state.lock().unwrap();
        st.next_id += 1;
        let id = (16_000_000 + st.next_id).to_string();
        st.records.push(DpRecord {
            id: id.clone(),
            domain: domain.to_string(),
            sub: sub.to_string(),
            rtype: rtype.to_string(),
            line: line.to_string(),
            value: value.to_string(),
            ttl: 600,
        });
        id
    }

    /// Every record, in creation order.
    pub fn records(&self) -> Vec<DpRecord> {
        self.state.lock().unwrap().records.clone()
    }

    /// Every request seen, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The action (path without `/`) of every request seen, in order.
    pub fn actions(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|s| s.uri.trim_start_matches('/').to_string())
            .collect()
    }

    /// Makes the next request fail with `fault` (queued: one fault per request).
    pub fn fail_next(&self, fault: DpFault) {
        self.state.lock().unwrap().faults.push_back(fault);
    }

    /// The API router (serves `/Record.*`; every request is logged).
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        let mut st = self.state.lock().unwrap();
        st.seen.push(super::seen(method, uri, headers, body));
        if let Some(f) = st.faults.pop_front() {
            return match f {
                DpFault::Code { code, message } => status(&code, &message),
                DpFault::Http { status, body } => {
                    (StatusCode::from_u16(status).unwrap(), body).into_response()
                }
            };
        }
        let ua = headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if ua.trim().is_empty() || ua.contains("Mozilla") {
            // DNSPod bans such clients; make the mistake impossible to miss.
            return (
                StatusCode::FORBIDDEN,
                "User-Agent must be 'Program/Version (contact)'",
            )
                .into_response();
        }
        if method != Method::POST {
            return (StatusCode::METHOD_NOT_ALLOWED, "POST only").into_response();
        }
        let ctype = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ctype.starts_with("application/x-www-form-urlencoded") {
            return (StatusCode::BAD_REQUEST, "form body expected").into_response();
        }
        let f: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if get("format").as_deref() != Some("json") {
            return (
                StatusCode::OK,
                "<dnspod><status><code>-1</code></status></dnspod>",
            )
                .into_response();
        }
        if f.iter().filter(|(k, _)| k == "login_token").count() != 1
            || get("login_token").as_deref() != Some(&self.login_token)
        {
            return status("-1", "Login failed");
        }
        let action = uri.path().trim_start_matches('/');
        if !matches!(action, "Record.List" | "Record.Create" | "Record.Modify") {
            return status("-3", "Unknown action");
        }
        let domain = get("domain").unwrap_or_default();
        if !st.domains.contains(&domain) {
            return status("6", "Domain name is invalid or not in this account");
        }
        let sub = get("sub_domain").unwrap_or_else(|| "@".into());
        let rtype = get("record_type").unwrap_or_default();
        if action == "Record.List" {
            let list: Vec<Value> = st
                .records
                .iter()
                .filter(|r| r.domain == domain && r.sub == sub)
                .filter(|r| rtype.is_empty() || r.rtype == rtype)
                .filter(|r| get("record_line").is_none_or(|l| l == r.line))
                .map(|r| {
                    json!({"id": r.id, "name": r.sub, "line": r.line, "type": r.rtype,
                                "ttl": r.ttl.to_string(), "value": r.value, "enabled": "1",
                                "status": "enabled"})
                })
                .collect();
            if list.is_empty() {
                return status("10", "No records");
            }
            return axum::Json(
                json!({"status": {"code": "1", "message": "Action completed successful"},
                                     "domain": {"name": domain},
                                     "info": {"record_total": list.len().to_string()},
                                     "records": list}),
            )
            .into_response();
        }
        let value = get("value").unwrap_or_default();
        let line = get("record_line").unwrap_or_default();
        let family_ok = match (rtype.as_str(), value.parse::<IpAddr>()) {
            ("A", Ok(ip)) => ip.is_ipv4(),
            ("AAAA", Ok(ip)) => ip.is_ipv6(),
            ("A" | "AAAA", Err(_)) => false,
            _ => return status("27", "Record type is invalid"),
        };
        if !family_ok {
            return status("-15", "Record value is invalid");
        }
        if !LINES.contains(&line.as_str()) {
            return status("26", "Record line is invalid");
        }
        let ttl = match get("ttl").map(|t| t.parse::<u32>()) {
            None => 600,
            Some(Ok(t)) if t >= 1 => t,
            _ => return status("29", "TTL is too small"),
        };
        let rec = DpRecord {
            id: String::new(),
            domain,
            sub,
            rtype,
            line,
            value,
            ttl,
        };
        let id = if action == "Record.Create" {
            if st.records.iter().any(|r| {
                r.domain == rec.domain
                    && r.sub == rec.sub
                    && r.rtype == rec.rtype
                    && r.line == rec.line
                    && r.value == rec.value
            }) {
                return status("104", "Record already exists");
            }
            st.next_id += 1;
            let id = (16_000_000 + st.next_id).to_string();
            st.records.push(DpRecord {
                id: id.clone(),
                ..rec
            });
            id
        } else {
            let id = get("record_id").unwrap_or_default();
            let Some(r) = st
                .records
                .iter_mut()
                .find(|r| r.id == id && r.domain == rec.domain)
            else {
                return status("8", "Record id is invalid");
            };
            *r = DpRecord {
                id: id.clone(),
                ..rec
            };
            id
        };
        axum::Json(
            json!({"status": {"code": "1", "message": "Action completed successful"},
                          "record": {"id": id, "name": get("sub_domain"), "status": "enable"}}),
        )
        .into_response()
    }
}

async fn handle(
    State(fake): State<Arc<FakeDnspod>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
