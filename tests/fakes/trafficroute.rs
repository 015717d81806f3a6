//! A fake Volcengine TrafficRoute DNS OpenAPI (`https://open.volcengineapi.com`, version
//! 2018-08-01).
//!
//! Like the real gateway it recomputes the v4 HMAC-SHA256 signature of every request from the
//! documented algorithm (independently of the client's signer) with region `cn-north-1` and
//! service `DNS`, accepts only the SDK's header family as signed headers, checks that
//! `X-Content-Sha256` matches the body, the Host header and a 15-minute clock window, and
//! answers with `ResponseMetadata.Error`. It serves `ListZones`, `ListRecords` (GET),
//! `CreateRecord` and `UpdateRecord` (POST JSON) from an in-memory account.

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
pub const HOST: &str = "open.volcengineapi.com";

/// One record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VeRecord {
    /// RecordID (a numeric string).
    pub id: String,
    /// Zone id.
    pub zid: u64,
    /// Host part (`www`, `@`, `*`).
    pub host: String,
    /// `A`, `AAAA`, …
    pub rtype: String,
    /// Value.
    pub value: String,
    /// TTL.
    pub ttl: u64,
    /// Line.
    pub line: String,
}

#[derive(Default)]
struct Inner {
    expected_host: String,
    zones: Vec<(u64, String)>,
    records: Vec<VeRecord>,
    seen: Vec<Seen>,
    faults: Faults,
    next_id: u64,
}

/// The fake service.
pub struct FakeVolc {
    ak: String,
    sk: String,
    inner: Mutex<Inner>,
}

type Answer = (u16, Value);

fn meta(action: &str) -> Value {
    json!({"RequestId": "fake-req", "Action": action, "Version": "2018-08-01",
           "Service": "DNS", "Region": "cn-north-1"})
}

fn error(status: u16, action: &str, code: &str, message: &str) -> Answer {
    let mut m = meta(action);
    m["Error"] = json!({"CodeN": 100_009, "Code": code, "Message": message});
    (status, json!({"ResponseMetadata": m}))
}

fn ok(action: &str, result: Value) -> Answer {
    (
        200,
        json!({"ResponseMetadata": meta(action), "Result": result}),
    )
}

impl FakeVolc {
    /// A fake accepting `ak`/`sk` and requests whose Host header is `expected_host`.
    pub fn new(ak: &str, sk: &str, expected_host: &str) -> Arc<Self> {
        let inner = Inner {
            expected_host: expected_host.into(),
            next_id: 5000,
            ..Default::default()
        };
        Arc::new(FakeVolc {
            ak: ak.into(),
            sk: sk.into(),
            inner: Mutex::new(inner),
        })
    }

    /// The router.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Changes the Host header the fake insists on.
    pub fn set_expected_host(&self, host: &str) {
        self.inner.lock().unwrap().expected_host = host.into();
    }

    /// Adds a zone; returns its ZID.
    pub fn add_zone(&self, name: &str) -> u64 {
        let mut s = self.inner.lock().unwrap();
        if let Some((z, _)) = s.zones.iter().find(|(_, n)| n == name) {
            return *z;
        }
        s.next_id += 1;
        let zid = s.next_id;
        s.zones.push((zid, name.into()));
        zid
    }

    /// Seeds a record (adding its zone); returns its RecordID.
    pub fn add_record(&self, zone: &str, host: &str, rtype: &str, value: &str, ttl: u64) -> String {
        let zid = self.add_zone(zone);
        let mut s = self.inner.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id.to_string();
        s.records.push(VeRecord {
            id: id.clone(),
            zid,
            host: host.into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl,
            line: "default".into(),
        });
        id
    }

    /// Every record.
    pub fn records(&self) -> Vec<VeRecord> {
        self.inner.lock().unwrap().records.clone()
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// The `Action` of every request, in order.
    pub fn actions(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| {
                let q = s.uri.split_once('?').map(|x| x.1).unwrap_or("");
                c::query_pairs(q)
                    .into_iter()
                    .find(|(k, _)| k == "Action")
                    .map(|(_, v)| v)
                    .unwrap_or_default()
            })
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

    fn authenticate(
        &self,
        s: &Inner,
        seen: &Seen,
        action: &str,
        query: &str,
    ) -> Result<(), Answer> {
        let fail = |code: &str, msg: &str| error(401, action, code, msg);
        if seen.header("host") != Some(s.expected_host.as_str()) {
            return Err(fail("InvalidHost", "The Host header is wrong."));
        }
        let auth = seen.header("authorization").unwrap_or("");
        let Some(rest) = auth.strip_prefix("HMAC-SHA256 ") else {
            return Err(fail("InvalidAuthorization", "Unsupported algorithm."));
        };
        let field = |n: &str| {
            rest.split(", ")
                .find_map(|p| p.strip_prefix(n).and_then(|v| v.strip_prefix('=')))
        };
        let (Some(cred), Some(signed), Some(sig)) = (
            field("Credential"),
            field("SignedHeaders"),
            field("Signature"),
        ) else {
            return Err(fail("InvalidAuthorization", "Malformed Authorization."));
        };
        let parts: Vec<&str> = cred.split('/').collect();
        let [ak, day, region, service, "request"] = parts.as_slice() else {
            return Err(fail("InvalidCredential", "Malformed credential."));
        };
        if *ak != self.ak {
            return Err(fail("InvalidAccessKey", "The AccessKey is invalid."));
        }
        let date = seen.header("x-date").unwrap_or("");
        let Some(t) = c::parse_compact(date) else {
            return Err(fail("InvalidTimestamp", "X-Date is invalid."));
        };
        if (c::now() - t).abs() > 15 * 60 || !date.starts_with(day) {
            return Err(fail("InvalidTimestamp", "The request has expired."));
        }
        if (*region, *service) != ("cn-north-1", "DNS") {
            return Err(fail("SignatureDoesNotMatch", "Wrong region or service."));
        }
        let names: Vec<&str> = signed.split(';').collect();
        let family =
            |n: &&str| matches!(*n, "content-type" | "content-md5" | "host") || n.starts_with("x-");
        if !names.iter().all(family) || !names.contains(&"host") || !names.contains(&"x-date") {
            return Err(fail("SignatureDoesNotMatch", "Unsupported signed headers."));
        }
        let body_hash = c::sha256_hex(&seen.body);
        if seen
            .header("x-content-sha256")
            .is_some_and(|h| h != body_hash)
        {
            return Err(fail(
                "SignatureDoesNotMatch",
                "X-Content-Sha256 does not match the body.",
            ));
        }
        let mut lines = String::new();
        for n in &names {
            let v = seen.header(n).unwrap_or("");
            let v = if *n == "host" {
                v.strip_suffix(":443")
                    .or_else(|| v.strip_suffix(":80"))
                    .unwrap_or(v)
            } else {
                v
            };
            lines.push_str(&format!("{n}:{v}\n"));
        }
        let mut pairs: Vec<(String, String)> = c::query_pairs(query);
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let cq: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", c::pct(k), c::pct(v)))
            .collect();
        let canonical = format!(
            "{}\n/\n{}\n{lines}\n{signed}\n{body_hash}",
            seen.method,
            cq.join("&")
        );
        let sts = format!(
            "HMAC-SHA256\n{date}\n{day}/cn-north-1/DNS/request\n{}",
            c::sha256_hex(canonical.as_bytes())
        );
        let k = c::hmac256(self.sk.as_bytes(), day.as_bytes());
        let k = c::hmac256(&k, b"cn-north-1");
        let k = c::hmac256(&k, b"DNS");
        let k = c::hmac256(&k, b"request");
        if hex::encode(c::hmac256(&k, sts.as_bytes())) != sig {
            return Err(error(
                403,
                action,
                "SignatureDoesNotMatch",
                "The signature does not match.",
            ));
        }
        Ok(())
    }
}

async fn handle(
    State(fake): State<Arc<FakeVolc>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut s = fake.inner.lock().unwrap();
    s.seen.push(seen.clone());
    let query = uri.query().unwrap_or("").to_string();
    let q = c::query_pairs(&query);
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let action = get("Action").unwrap_or_default();
    if uri.path() != "/" || get("Version").as_deref() != Some("2018-08-01") {
        let (st, v) = error(
            404,
            &action,
            "InvalidActionOrVersion",
            "Unknown action or version.",
        );
        return c::respond(st, v, None);
    }
    if let Err((st, v)) = fake.authenticate(&s, &seen, &action, &query) {
        return c::respond(st, v, None);
    }
    if let Some(f) = s.faults.pop() {
        let (st, v) = error(f.status, &action, &f.code, &f.message);
        return c::respond(st, v, f.retry_after);
    }
    let (st, v) = match (method.as_str(), action.as_str()) {
        ("GET", "ListZones") => {
            let key = get("Key").unwrap_or_default();
            let zones: Vec<Value> = s
                .zones
                .iter()
                // The real Key search is fuzzy.
                .filter(|(_, n)| n.contains(&key))
                .map(|(z, n)| json!({"ZID": z, "ZoneName": n, "RecordCount": 1}))
                .collect();
            let n = zones.len();
            ok(&action, json!({"Zones": zones, "Total": n}))
        }
        ("GET", "ListRecords") => list_records(&s, &action, &get),
        ("POST", "CreateRecord" | "UpdateRecord") => match serde_json::from_slice::<Value>(&body) {
            Ok(b) => write(&mut s, &action, &b),
            Err(_) => error(400, &action, "InvalidParameter", "The body is not JSON."),
        },
        _ => error(
            404,
            &action,
            "InvalidActionOrVersion",
            "Unknown action or method.",
        ),
    };
    c::respond(st, v, None)
}

fn list_records(s: &Inner, action: &str, get: &dyn Fn(&str) -> Option<String>) -> Answer {
    let Some(zid) = get("ZID").and_then(|z| z.parse::<u64>().ok()) else {
        return error(400, action, "InvalidParameter", "ZID is required.");
    };
    if !s.zones.iter().any(|(z, _)| *z == zid) {
        return error(404, action, "ZoneNotFound", "The zone does not exist.");
    }
    let exact = get("SearchMode").as_deref() == Some("exact");
    let host = get("Host");
    let list: Vec<Value> = s
        .records
        .iter()
        .filter(|r| r.zid == zid)
        .filter(|r| match &host {
            None => true,
            Some(h) if exact => &r.host == h,
            Some(h) => r.host.contains(h.as_str()),
        })
        .filter(|r| get("Type").is_none_or(|t| r.rtype == t))
        .map(|r| {
            json!({"RecordID": r.id, "Host": r.host, "Type": r.rtype, "Value": r.value,
                   "TTL": r.ttl, "Line": r.line, "Enable": true, "FQDN": "", "Weight": 1})
        })
        .collect();
    let n = list.len();
    ok(
        action,
        json!({"Records": list, "TotalCount": n, "PageNumber": 1, "PageSize": 500}),
    )
}

fn write(s: &mut Inner, action: &str, b: &Value) -> Answer {
    let get = |k: &str| b[k].as_str().map(String::from);
    let (Some(host), Some(rtype), Some(value)) = (get("Host"), get("Type"), get("Value")) else {
        return error(
            400,
            action,
            "InvalidParameter",
            "Host, Type and Value are required.",
        );
    };
    if !c::valid_for(&rtype, &value) {
        return error(
            400,
            action,
            "InvalidParameter.Value",
            "The value is invalid.",
        );
    }
    let ttl = b["TTL"].as_u64().unwrap_or(600);
    let line = get("Line").unwrap_or_else(|| "default".into());
    if action == "CreateRecord" {
        let Some(zid) = b["ZID"].as_u64() else {
            return error(400, action, "InvalidParameter", "ZID must be an integer.");
        };
        if !s.zones.iter().any(|(z, _)| *z == zid) {
            return error(404, action, "ZoneNotFound", "The zone does not exist.");
        }
        s.next_id += 1;
        let id = s.next_id.to_string();
        s.records.push(VeRecord {
            id: id.clone(),
            zid,
            host,
            rtype,
            value,
            ttl,
            line,
        });
        return ok(action, json!({"RecordID": id, "ZID": zid}));
    }
    let Some(id) = get("RecordID") else {
        return error(
            400,
            action,
            "InvalidParameter",
            "RecordID must be a string.",
        );
    };
    let Some(r) = s.records.iter_mut().find(|r| r.id == id) else {
        return error(404, action, "RecordNotFound", "The record does not exist.");
    };
    r.host = host;
    r.rtype = rtype;
    r.value = value;
    r.ttl = ttl;
    r.line = line;
    let id = r.id.clone();
    ok(action, json!({"RecordID": id}))
}
