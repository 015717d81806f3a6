//! Shared core of the registrar fakes (Porkbun, GoDaddy, Namecheap, NameSilo, Dynadot,
//! Spaceship): an in-memory account of zones and records named by full host name, the
//! request log, and a queue of raw HTTP faults. Each fake adds its own API on top.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::Seen;

/// One record held by a fake. `name` is the full host name, lower-case, without a final dot
/// (`www.example.com`, or `example.com` for the apex).
#[derive(Debug, Clone, PartialEq)]
pub struct Rec {
    pub id: String,
    pub zone: String,
    pub name: String,
    pub rtype: String,
    pub value: String,
    pub ttl: u32,
}

/// A raw answer served instead of the normal one (one per request, in order).
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub retry_after: Option<u64>,
}

impl Fault {
    /// A JSON fault.
    pub fn json(status: u16, body: &str) -> Fault {
        Fault {
            status,
            content_type: "application/json",
            body: body.to_string(),
            retry_after: None,
        }
    }
    /// An XML fault (served with HTTP 200 by the XML APIs).
    pub fn xml(status: u16, body: &str) -> Fault {
        Fault {
            status,
            content_type: "text/xml",
            body: body.to_string(),
            retry_after: None,
        }
    }
    /// A 429 with `Retry-After`.
    pub fn rate_limit(body: &str, secs: u64) -> Fault {
        Fault {
            status: 429,
            content_type: "application/json",
            body: body.to_string(),
            retry_after: Some(secs),
        }
    }
}

/// Mutable state of a fake account.
#[derive(Default)]
pub struct Inner {
    pub zones: Vec<String>,
    pub records: Vec<Rec>,
    pub seen: Vec<Seen>,
    pub faults: VecDeque<Fault>,
    pub next_id: u64,
}

impl Inner {
    /// A fresh record id.
    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        (70_000_000 + self.next_id).to_string()
    }

    /// True when `zone` is in the account (case-insensitive).
    pub fn has_zone(&self, zone: &str) -> bool {
        self.zones.iter().any(|z| z.eq_ignore_ascii_case(zone))
    }

    /// Adds a record and returns its id.
    pub fn add(&mut self, zone: &str, name: &str, rtype: &str, value: &str, ttl: u32) -> String {
        let id = self.new_id();
        self.records.push(Rec {
            id: id.clone(),
            zone: zone.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
            rtype: rtype.to_string(),
            value: value.to_string(),
            ttl,
        });
        id
    }

    /// Records of `name` (full) and `rtype`, mutable.
    pub fn matching_mut(&mut self, name: &str, rtype: &str) -> Vec<&mut Rec> {
        let name = name.to_ascii_lowercase();
        self.records
            .iter_mut()
            .filter(|r| r.name == name && r.rtype == rtype)
            .collect()
    }
}

/// The account core: state behind a mutex.
#[derive(Default)]
pub struct Core {
    state: Mutex<Inner>,
}

impl Core {
    /// Locks the state.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.state.lock().unwrap()
    }

    /// Logs the request and returns the state, or the queued fault to serve instead.
    pub fn begin(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<MutexGuard<'_, Inner>, Box<Response>> {
        let mut st = self.lock();
        st.seen.push(super::seen(method, uri, headers, body));
        match st.faults.pop_front() {
            Some(f) => Err(Box::new(raw(f))),
            None => Ok(st),
        }
    }

    pub fn add_zone(&self, zone: &str) {
        self.lock().zones.push(zone.to_ascii_lowercase());
    }
    pub fn seed(&self, zone: &str, name: &str, rtype: &str, value: &str, ttl: u32) -> String {
        self.lock().add(zone, name, rtype, value, ttl)
    }
    pub fn records(&self) -> Vec<Rec> {
        self.lock().records.clone()
    }
    pub fn requests(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }
    /// The requests other than GET.
    pub fn writes(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.method != "GET")
            .collect()
    }
    pub fn fail_next(&self, f: Fault) {
        self.lock().faults.push_back(f);
    }
    /// Values of `name`/`rtype`, sorted.
    pub fn values(&self, name: &str, rtype: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .lock()
            .records
            .iter()
            .filter(|r| r.name == name.to_ascii_lowercase() && r.rtype == rtype)
            .map(|r| r.value.clone())
            .collect();
        v.sort();
        v
    }
}

/// Serves a [`Fault`].
pub fn raw(f: Fault) -> Response {
    let mut r = (
        StatusCode::from_u16(f.status).unwrap(),
        [("content-type", f.content_type)],
        f.body,
    )
        .into_response();
    if let Some(s) = f.retry_after {
        r.headers_mut()
            .insert("retry-after", s.to_string().parse().unwrap());
    }
    r
}

/// True when `value` is an address of the family `rtype` asks for.
pub fn family_ok(rtype: &str, value: &str) -> bool {
    match (rtype, value.parse::<IpAddr>()) {
        ("A", Ok(ip)) => ip.is_ipv4(),
        ("AAAA", Ok(ip)) => ip.is_ipv6(),
        _ => false,
    }
}

/// `sub.zone`, or `zone` when `sub` is empty or `@`.
pub fn full(sub: &str, zone: &str) -> String {
    if sub.is_empty() || sub == "@" {
        zone.to_ascii_lowercase()
    } else {
        format!("{sub}.{zone}").to_ascii_lowercase()
    }
}

/// The query pairs of `uri`, decoded.
pub fn query(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The single value of `key` in `pairs` (`None` when absent or repeated).
pub fn one(pairs: &[(String, String)], key: &str) -> Option<String> {
    let mut it = pairs.iter().filter(|(k, _)| k == key);
    match (it.next(), it.next()) {
        (Some((_, v)), None) => Some(v.clone()),
        _ => None,
    }
}

/// A path segment, percent-decoded.
pub fn seg(s: &str) -> String {
    percent_decode(s)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

// ---- Client-side helpers shared by the tests of these providers ----

#[allow(unused_imports)] // each test file uses its own subset
pub use super::harness::{dom, sync};

/// Builds provider `key` pointed at `addr` with these credentials and TTL.
pub fn provider(
    key: &str,
    addr: std::net::SocketAddr,
    id: &str,
    secret: &str,
    ttl: &str,
) -> Box<dyn ddns_rs::provider::Provider> {
    super::harness::Creds::new(id, secret)
        .ttl(ttl)
        .build(key, &format!("http://{addr}"))
}
