//! A fake Baidu AI Cloud domain service (BCD, `https://bcd.baidubce.com`).
//!
//! Like the real gateway it recomputes the `bce-auth-v1` signature of every request from the
//! documented algorithm (independently of the client's signer), insists that `host` is signed
//! and that a signed `x-bce-content-sha256` matches the body, checks the Host header and the
//! expiry window, and answers with BCE's error bodies. It serves
//! `POST /v1/domain/resolve/list|add|edit` from an in-memory account.

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
pub const HOST: &str = "bcd.baidubce.com";

/// One record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BdRecord {
    /// Record id.
    pub id: u64,
    /// Zone (`example.com`).
    pub zone: String,
    /// Host part (`www`, `@`, `*`).
    pub domain: String,
    /// `A`, `AAAA`, …
    pub rdtype: String,
    /// Value.
    pub rdata: String,
    /// TTL.
    pub ttl: u64,
    /// Resolution view.
    pub view: String,
}

#[derive(Default)]
struct Inner {
    expected_host: String,
    zones: Vec<String>,
    records: Vec<BdRecord>,
    seen: Vec<Seen>,
    faults: Faults,
    next_id: u64,
}

/// The fake service.
pub struct FakeBaidu {
    ak: String,
    sk: String,
    inner: Mutex<Inner>,
}

type Answer = (u16, Value);

fn error(status: u16, code: &str, message: &str) -> Answer {
    (
        status,
        json!({"requestId": "fake-req", "code": code, "message": message}),
    )
}

impl FakeBaidu {
    /// A fake accepting `ak`/`sk` and requests whose Host header is `expected_host`.
    pub fn new(ak: &str, sk: &str, expected_host: &str) -> Arc<Self> {
        let inner = Inner {
            expected_host: expected_host.into(),
            next_id: 1000,
            ..Default::default()
        };
        Arc::new(FakeBaidu {
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

    /// Adds a domain to the account.
    pub fn add_zone(&self, zone: &str) {
        let mut s = self.inner.lock().unwrap();
        if !s.zones.iter().any(|z| z == zone) {
            s.zones.push(zone.into());
        }
    }

    /// Seeds a record (adding its zone); returns its id.
    pub fn add_record(&self, zone: &str, domain: &str, rdtype: &str, rdata: &str, ttl: u64) -> u64 {
        self.add_zone(zone);
        let mut s = self.inner.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        s.records.push(BdRecord {
            id,
            zone: zone.into(),
            domain: domain.into(),
            rdtype: rdtype.into(),
            rdata: rdata.into(),
            ttl,
            view: "DEFAULT".into(),
        });
        id
    }

    /// Every record.
    pub fn records(&self) -> Vec<BdRecord> {
        self.inner.lock().unwrap().records.clone()
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// The last path segment (`list`, `add`, `edit`) of every request, in order.
    pub fn actions(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| s.uri.rsplit('/').next().unwrap_or("").to_string())
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

    fn authenticate(&self, s: &Inner, seen: &Seen, path: &str) -> Result<(), Answer> {
        let host = seen.header("host").unwrap_or("");
        if host != s.expected_host {
            return Err(error(
                400,
                "InvalidHTTPRequest",
                "The Host header is wrong.",
            ));
        }
        let auth = seen.header("authorization").unwrap_or("");
        let parts: Vec<&str> = auth.split('/').collect();
        let ["bce-auth-v1", ak, ts, exp, signed, sig] = parts.as_slice() else {
            return Err(error(
                400,
                "InvalidHTTPAuthHeader",
                "The Authorization header is invalid.",
            ));
        };
        if *ak != self.ak {
            return Err(error(
                403,
                "InvalidAccessKeyId",
                "The access key id does not exist.",
            ));
        }
        let (Some(t), Ok(exp)) = (c::parse_iso(ts), exp.parse::<i64>()) else {
            return Err(error(
                400,
                "InvalidHTTPAuthHeader",
                "The timestamp is invalid.",
            ));
        };
        if c::now() > t + exp || t - c::now() > 15 * 60 {
            return Err(error(400, "RequestExpired", "The request has expired."));
        }
        // An empty list means the default set; ddns-rs must name its headers.
        let names: Vec<&str> = signed.split(';').filter(|n| !n.is_empty()).collect();
        if !names.contains(&"host") {
            return Err(error(400, "InvalidHTTPAuthHeader", "host must be signed."));
        }
        if names.contains(&"x-bce-content-sha256")
            && seen.header("x-bce-content-sha256") != Some(&c::sha256_hex(&seen.body))
        {
            return Err(error(
                400,
                "BadDigest",
                "The body does not match x-bce-content-sha256.",
            ));
        }
        let mut lines: Vec<String> = Vec::new();
        for n in &names {
            let v = seen.header(n).unwrap_or("").trim();
            if !v.is_empty() {
                lines.push(format!("{}:{}", c::pct(n), c::pct(v)));
            }
        }
        lines.sort();
        let uri: Vec<String> = path.split('/').map(c::pct).collect();
        let canonical = format!("{}\n{}\n\n{}", seen.method, uri.join("/"), lines.join("\n"));
        let prefix = format!("bce-auth-v1/{ak}/{ts}/{exp}");
        let key = hex::encode(c::hmac256(self.sk.as_bytes(), prefix.as_bytes()));
        if hex::encode(c::hmac256(key.as_bytes(), canonical.as_bytes())) != *sig {
            return Err(error(
                400,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            ));
        }
        Ok(())
    }
}

async fn handle(
    State(fake): State<Arc<FakeBaidu>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut s = fake.inner.lock().unwrap();
    s.seen.push(seen.clone());
    if let Err((st, v)) = fake.authenticate(&s, &seen, uri.path()) {
        return c::respond(st, v, None);
    }
    if let Some(f) = s.faults.pop() {
        let (st, v) = error(f.status, &f.code, &f.message);
        return c::respond(st, v, f.retry_after);
    }
    let Ok(b) = serde_json::from_slice::<Value>(&body) else {
        return c::respond(
            400,
            error(400, "MalformedJSON", "The JSON is malformed.").1,
            None,
        );
    };
    let (st, v) = match (method.as_str(), uri.path()) {
        ("POST", "/v1/domain/resolve/list") => list(&s, &b),
        ("POST", "/v1/domain/resolve/add") => add(&mut s, &b),
        ("POST", "/v1/domain/resolve/edit") => edit(&mut s, &b),
        _ => error(404, "NoSuchAction", "The action does not exist."),
    };
    c::respond(st, v, None)
}

fn zone_exists(s: &Inner, zone: &str) -> bool {
    s.zones.iter().any(|z| z == zone)
}

fn list(s: &Inner, b: &Value) -> Answer {
    let zone = b["domain"].as_str().unwrap_or("");
    if !zone_exists(s, zone) {
        return error(
            404,
            "DomainNotExist",
            "The domain does not exist in this account.",
        );
    }
    let page = b["pageNum"].as_u64().unwrap_or(1).max(1);
    let size = b["pageSize"].as_u64().unwrap_or(10).clamp(1, 1000);
    let all: Vec<&BdRecord> = s.records.iter().filter(|r| r.zone == zone).collect();
    let result: Vec<Value> = all
        .iter()
        .skip(((page - 1) * size) as usize)
        .take(size as usize)
        .map(|r| {
            json!({"recordId": r.id, "domain": r.domain, "view": r.view, "rdtype": r.rdtype,
                   "ttl": r.ttl, "rdata": r.rdata, "zoneName": r.zone, "status": "RUNNING"})
        })
        .collect();
    (
        200,
        json!({"orderBy": "", "order": "", "pageNo": page, "pageSize": size,
               "totalCount": all.len(), "result": result}),
    )
}

fn fields(b: &Value) -> Result<(String, String, String, String, u64), Answer> {
    let get = |k: &str| b[k].as_str().map(String::from);
    match (get("domain"), get("rdType"), get("rdata"), get("zoneName")) {
        (Some(d), Some(t), Some(v), Some(z)) => {
            if !c::valid_for(&t, &v) {
                return Err(error(400, "InvalidRdata", "The record value is invalid."));
            }
            Ok((d, t, v, z, b["ttl"].as_u64().unwrap_or(300)))
        }
        _ => Err(error(
            400,
            "InvalidParameter",
            "A required field is missing.",
        )),
    }
}

fn add(s: &mut Inner, b: &Value) -> Answer {
    let (domain, rdtype, rdata, zone, ttl) = match fields(b) {
        Ok(f) => f,
        Err(e) => return e,
    };
    if !zone_exists(s, &zone) {
        return error(
            404,
            "DomainNotExist",
            "The domain does not exist in this account.",
        );
    }
    if s.records
        .iter()
        .any(|r| r.zone == zone && r.domain == domain && r.rdtype == rdtype && r.rdata == rdata)
    {
        return error(400, "RecordExist", "The record already exists.");
    }
    s.next_id += 1;
    let id = s.next_id;
    s.records.push(BdRecord {
        id,
        zone,
        domain,
        rdtype,
        rdata,
        ttl,
        view: "DEFAULT".into(),
    });
    (200, json!({}))
}

fn edit(s: &mut Inner, b: &Value) -> Answer {
    let (domain, rdtype, rdata, zone, ttl) = match fields(b) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let (Some(id), Some(view)) = (b["recordId"].as_u64(), b["view"].as_str()) else {
        return error(400, "InvalidParameter", "recordId and view are required.");
    };
    let Some(r) = s.records.iter_mut().find(|r| r.id == id && r.zone == zone) else {
        return error(404, "RecordNotExist", "The record does not exist.");
    };
    r.domain = domain;
    r.rdtype = rdtype;
    r.rdata = rdata;
    r.ttl = ttl;
    r.view = view.into();
    (200, json!({}))
}
