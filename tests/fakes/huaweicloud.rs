//! A fake Huawei Cloud DNS API (`https://dns.myhuaweicloud.com`).
//!
//! Like the real APIG gateway it recomputes the SDK-HMAC-SHA256 signature of every request from
//! the documented algorithm (independently of the client's signer), insists that `host` and
//! `x-sdk-date` are signed, checks the Host header and a 15-minute clock window, and answers
//! 401 `APIG.0301` otherwise. It serves `GET /v2.1/recordsets` (fuzzy name search, as the real
//! one), `GET /v2/zones`, `GET|PUT /v2.1/zones/{zid}/recordsets/{rid}` and
//! `POST /v2.1/zones/{zid}/recordsets` from an in-memory account.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::Seen;
use super::p1_common::{self as c, Faults};

/// The production host name.
pub const HOST: &str = "dns.myhuaweicloud.com";

/// One record set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HwRecordSet {
    /// Record set id.
    pub id: String,
    /// Zone id.
    pub zone_id: String,
    /// FQDN with a trailing dot.
    pub name: String,
    /// `A`, `AAAA`, …
    pub rtype: String,
    /// Values.
    pub records: Vec<String>,
    /// TTL.
    pub ttl: u64,
}

#[derive(Default)]
struct Inner {
    expected_host: String,
    zones: Vec<(String, String)>,
    sets: Vec<HwRecordSet>,
    seen: Vec<Seen>,
    faults: Faults,
    next_id: u64,
}

/// The fake service.
pub struct FakeHuawei {
    ak: String,
    sk: String,
    inner: Mutex<Inner>,
}

type Answer = (u16, Value);

fn apig(status: u16, code: &str, msg: &str) -> Answer {
    (
        status,
        json!({"error_code": code, "error_msg": msg, "request_id": "fake-req"}),
    )
}

fn dns_err(status: u16, code: &str, msg: &str) -> Answer {
    (status, json!({"code": code, "message": msg}))
}

fn set_json(s: &HwRecordSet, zone_name: &str, status: &str) -> Value {
    json!({"id": s.id, "name": s.name, "type": s.rtype, "ttl": s.ttl, "records": s.records,
           "zone_id": s.zone_id, "zone_name": zone_name, "status": status, "default": false,
           "description": null, "links": {"self": "https://dns.myhuaweicloud.com/..."}})
}

impl FakeHuawei {
    /// A fake accepting `ak`/`sk` and requests whose Host header is `expected_host`.
    pub fn new(ak: &str, sk: &str, expected_host: &str) -> Arc<Self> {
        let inner = Inner {
            expected_host: expected_host.into(),
            next_id: 1000,
            ..Default::default()
        };
        Arc::new(FakeHuawei {
            ak: ak.into(),
            sk: sk.into(),
            inner: Mutex::new(inner),
        })
    }

    /// The router (every path goes to one handler, like a gateway).
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Changes the Host header the fake insists on.
    pub fn set_expected_host(&self, host: &str) {
        self.inner.lock().unwrap().expected_host = host.into();
    }

    /// Adds a zone (`example.com`); returns its id.
    pub fn add_zone(&self, name: &str) -> String {
        let mut s = self.inner.lock().unwrap();
        let want = format!("{name}.");
        if let Some((id, _)) = s.zones.iter().find(|(_, n)| *n == want) {
            return id.clone();
        }
        s.next_id += 1;
        let id = format!("ff8080825b8fc86c{:016x}", s.next_id);
        s.zones.push((id.clone(), want));
        id
    }

    /// Seeds a record set `fqdn.` in zone `zone` (adding the zone); returns its id.
    pub fn add_record(&self, zone: &str, fqdn: &str, rtype: &str, value: &str, ttl: u64) -> String {
        let zone_id = self.add_zone(zone);
        let mut s = self.inner.lock().unwrap();
        s.next_id += 1;
        let id = format!("ff80808275f5fc0f{:016x}", s.next_id);
        s.sets.push(HwRecordSet {
            id: id.clone(),
            zone_id,
            name: format!("{fqdn}."),
            rtype: rtype.into(),
            records: vec![value.into()],
            ttl,
        });
        id
    }

    /// Every record set.
    pub fn records(&self) -> Vec<HwRecordSet> {
        self.inner.lock().unwrap().sets.clone()
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// `METHOD path` of every request, in order.
    pub fn calls(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.uri.split('?').next().unwrap_or("")))
            .collect()
    }

    /// Requests that change something (POST, PUT).
    pub fn writes(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method != "GET")
            .collect()
    }

    /// Makes the next authenticated request fail.
    pub fn fail_next(&self, status: u16, code: &str, message: &str, retry_after: Option<u64>) {
        self.inner
            .lock()
            .unwrap()
            .faults
            .push(status, code, message, retry_after);
    }

    fn authenticate(&self, s: &Inner, seen: &Seen, path: &str, query: &str) -> Result<(), Answer> {
        let fail = |why: &str| {
            apig(
                401,
                "APIG.0301",
                &format!("Incorrect IAM authentication information: {why}"),
            )
        };
        let host = seen.header("host").unwrap_or("");
        if host != s.expected_host {
            return Err(fail(&format!("host {host:?} is not {:?}", s.expected_host)));
        }
        let auth = seen.header("authorization").unwrap_or("");
        let Some(rest) = auth.strip_prefix("SDK-HMAC-SHA256 ") else {
            return Err(fail("unsupported algorithm"));
        };
        let field = |n: &str| {
            rest.split(", ")
                .find_map(|p| p.strip_prefix(n).and_then(|v| v.strip_prefix('=')))
        };
        let (Some(access), Some(signed), Some(sig)) =
            (field("Access"), field("SignedHeaders"), field("Signature"))
        else {
            return Err(fail("malformed Authorization"));
        };
        if access != self.ak {
            return Err(fail("verify aksk signature fail"));
        }
        let names: Vec<&str> = signed.split(';').collect();
        if !names.contains(&"host") || !names.contains(&"x-sdk-date") {
            return Err(fail("host and x-sdk-date must be signed"));
        }
        let date = seen.header("x-sdk-date").unwrap_or("");
        let Some(t) = c::parse_compact(date) else {
            return Err(fail("bad x-sdk-date"));
        };
        if (c::now() - t).abs() > 15 * 60 {
            return Err(fail("signature expired"));
        }
        let mut lines = String::new();
        for n in &names {
            let Some(v) = seen.header(n) else {
                return Err(fail(&format!("signed header {n} is missing")));
            };
            lines.push_str(&format!("{n}:{}\n", v.trim()));
        }
        let mut uri: String = path.split('/').map(c::pct).collect::<Vec<_>>().join("/");
        if !uri.ends_with('/') {
            uri.push('/');
        }
        let mut pairs: Vec<(String, String)> = c::query_pairs(query)
            .into_iter()
            .map(|(k, v)| (c::pct(&k), c::pct(&v)))
            .collect();
        pairs.sort();
        let cq: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let canonical = format!(
            "{}\n{uri}\n{}\n{lines}\n{signed}\n{}",
            seen.method,
            cq.join("&"),
            c::sha256_hex(&seen.body)
        );
        let sts = format!(
            "SDK-HMAC-SHA256\n{date}\n{}",
            c::sha256_hex(canonical.as_bytes())
        );
        if hex::encode(c::hmac256(self.sk.as_bytes(), sts.as_bytes())) != sig {
            return Err(fail("verify aksk signature fail"));
        }
        Ok(())
    }
}

async fn handle(
    State(fake): State<Arc<FakeHuawei>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut s = fake.inner.lock().unwrap();
    s.seen.push(seen.clone());
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    if let Err((st, v)) = fake.authenticate(&s, &seen, &path, &query) {
        return c::respond(st, v, None);
    }
    if let Some(f) = s.faults.pop() {
        let (st, v) = if f.code.starts_with("APIG") {
            apig(f.status, &f.code, &f.message)
        } else {
            dns_err(f.status, &f.code, &f.message)
        };
        return c::respond(st, v, f.retry_after);
    }
    let q = c::query_pairs(&query);
    let (st, v) = route(&mut s, method.as_str(), &path, &q, &body);
    c::respond(st, v, None)
}

fn route(s: &mut Inner, method: &str, path: &str, q: &[(String, String)], body: &[u8]) -> Answer {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    match (method, parts.as_slice()) {
        ("GET", ["v2" | "v2.1", "recordsets"]) => {
            let list: Vec<Value> = s
                .sets
                .iter()
                // The real search is fuzzy on the name.
                .filter(|r| get("name").is_none_or(|n| r.name.contains(n.trim_end_matches('.'))))
                .filter(|r| get("type").is_none_or(|t| r.rtype == t))
                .filter(|r| get("id").is_none_or(|i| r.id == i))
                .filter(|r| get("zone_id").is_none_or(|z| r.zone_id == z))
                .map(|r| set_json(r, &zone_name(s, &r.zone_id), "ACTIVE"))
                .collect();
            let n = list.len();
            (
                200,
                json!({"links": {}, "recordsets": list, "metadata": {"total_count": n}}),
            )
        }
        ("GET", ["v2", "zones"]) => {
            let list: Vec<Value> = s
                .zones
                .iter()
                .filter(|(_, n)| get("name").is_none_or(|want| n.contains(want)))
                .map(|(id, n)| json!({"id": id, "name": n, "zone_type": "public", "status": "ACTIVE"}))
                .collect();
            let n = list.len();
            (
                200,
                json!({"links": {}, "zones": list, "metadata": {"total_count": n}}),
            )
        }
        ("GET", ["v2" | "v2.1", "zones", zid, "recordsets", rid]) => {
            match s.sets.iter().find(|r| r.id == *rid && r.zone_id == *zid) {
                Some(r) => (200, set_json(r, &zone_name(s, zid), "ACTIVE")),
                None => dns_err(404, "DNS.0304", "The record set does not exist."),
            }
        }
        ("POST", ["v2" | "v2.1", "zones", zid, "recordsets"]) => write(s, zid, None, body),
        ("PUT", ["v2" | "v2.1", "zones", zid, "recordsets", rid]) => write(s, zid, Some(rid), body),
        _ => dns_err(
            404,
            "APIG.0101",
            "The API does not exist or has not been published.",
        ),
    }
}

fn zone_name(s: &Inner, zid: &str) -> String {
    s.zones
        .iter()
        .find(|(id, _)| id == zid)
        .map(|(_, n)| n.clone())
        .unwrap_or_default()
}

fn write(s: &mut Inner, zid: &str, rid: Option<&str>, body: &[u8]) -> Answer {
    let Ok(b) = serde_json::from_slice::<Value>(body) else {
        return dns_err(400, "DNS.0137", "The request body is not valid JSON.");
    };
    let zname = zone_name(s, zid);
    if zname.is_empty() {
        return dns_err(404, "DNS.0101", "The zone does not exist.");
    }
    let name = b["name"].as_str().unwrap_or("").to_string();
    let rtype = b["type"].as_str().unwrap_or("").to_string();
    let records: Vec<String> = b["records"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if !name.ends_with(&zname) || records.is_empty() {
        return dns_err(
            400,
            "DNS.0303",
            "The record set name or records are invalid.",
        );
    }
    if records.iter().any(|r| !c::valid_for(&rtype, r)) {
        return dns_err(400, "DNS.0308", "The record value is invalid.");
    }
    let ttl = b["ttl"].as_u64().unwrap_or(300);
    match rid {
        None => {
            if s.sets.iter().any(|r| r.name == name && r.rtype == rtype) {
                return dns_err(400, "DNS.0312", "The record set already exists.");
            }
            s.next_id += 1;
            let set = HwRecordSet {
                id: format!("ff80808275f5fc0f{:016x}", s.next_id),
                zone_id: zid.into(),
                name,
                rtype,
                records,
                ttl,
            };
            s.sets.push(set.clone());
            (202, set_json(&set, &zname, "PENDING_CREATE"))
        }
        Some(rid) => {
            let Some(slot) = s.sets.iter_mut().find(|r| r.id == rid && r.zone_id == zid) else {
                return dns_err(404, "DNS.0304", "The record set does not exist.");
            };
            slot.records = records;
            slot.ttl = ttl;
            let set = slot.clone();
            (202, set_json(&set, &zname, "PENDING_UPDATE"))
        }
    }
}
