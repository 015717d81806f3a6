//! Pieces shared by the fakes of provider group 4 (DNS.LA, the Now.cn family, Rainyun, HiPM
//! DNSMgr): an in-memory zone of address records, a request log, and injected faults.

use std::collections::{BTreeMap, VecDeque};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Seen;

/// One record held by a fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    /// Numeric id (each API shows it as a number or a string).
    pub id: u64,
    /// Zone (`example.com`).
    pub zone: String,
    /// Host below the zone: `www`, `@`, `*`.
    pub host: String,
    /// `A` or `AAAA`.
    pub rtype: String,
    /// Value as stored.
    pub value: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Line (Rainyun `DEFAULT`/`LTEL`…, DNSMgr `0`; empty where the API has none).
    pub line: String,
    /// Priority (Rainyun `level`; 0 where the API has none).
    pub level: i64,
}

/// What the next authenticated request gets instead of a normal answer.
#[derive(Debug, Clone)]
pub struct Fault {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After` seconds, if any.
    pub retry_after: Option<u64>,
    /// JSON body.
    pub body: Value,
}

impl Fault {
    /// The fault as an HTTP response.
    pub fn response(&self) -> Response {
        let mut r = (
            StatusCode::from_u16(self.status).unwrap(),
            axum::Json(self.body.clone()),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert("retry-after", s.to_string().parse().unwrap());
        }
        r
    }
}

/// A fake's state: zones, records, requests seen, pending faults.
#[derive(Default)]
pub struct Store {
    /// Zones of the account, with their numeric ids (Rainyun and DNSMgr show them).
    pub zones: Vec<(u64, String)>,
    /// Every record.
    pub records: Vec<Rec>,
    /// Every request, accepted or not.
    pub seen: Vec<Seen>,
    /// Faults for the next authenticated requests.
    pub faults: VecDeque<Fault>,
    next_id: u64,
}

impl Store {
    /// Adds zone `name` if missing; returns its id.
    pub fn add_zone(&mut self, name: &str) -> u64 {
        if let Some((id, _)) = self.zones.iter().find(|(_, z)| z == name) {
            return *id;
        }
        self.next_id += 1;
        self.zones.push((self.next_id + 10_000, name.to_string()));
        self.next_id + 10_000
    }

    /// The zone called `name` (case-insensitive).
    pub fn zone(&self, name: &str) -> Option<(u64, String)> {
        self.zones
            .iter()
            .find(|(_, z)| z.eq_ignore_ascii_case(name))
            .cloned()
    }

    /// Inserts a record (adding its zone) and returns its id.
    pub fn insert(&mut self, mut rec: Rec) -> u64 {
        self.add_zone(&rec.zone.clone());
        self.next_id += 1;
        rec.id = self.next_id + 500_000;
        let id = rec.id;
        self.records.push(rec);
        id
    }
}

pub use super::p1_common::{same_value, valid_for};

/// The decoded query parameters of a request.
pub fn query(seen: &Seen) -> BTreeMap<String, String> {
    let q = seen.uri.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// The path of a request, without the query.
pub fn path(seen: &Seen) -> &str {
    seen.uri.split('?').next().unwrap_or("")
}
