//! A fake Alibaba Cloud DNS API (`https://alidns.aliyuncs.com/`, RPC style, version 2015-01-09).
//!
//! Like the real service it recomputes the RPC v1 HMAC-SHA1 signature of every request (written
//! here from the documented algorithm, independently of the client's signer), rejects unknown
//! AccessKeyIds, bad signatures, timestamps more than 15 minutes off and reused nonces with
//! Aliyun's own error bodies, and serves `DescribeSubDomainRecords`, `AddDomainRecord` and
//! `UpdateDomainRecord` from an in-memory zone. The router does not care how it is served
//! (plain HTTP in unit-style tests, TLS behind a CONNECT proxy end to end); only the expected
//! `Host` header has to be set to what the client will send.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use super::Seen;
use super::p1_common as c;

/// The production host name.
pub const HOST: &str = "alidns.aliyuncs.com";

/// One record in the fake zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliRecord {
    /// RecordId (Aliyun ids are numeric strings).
    pub id: String,
    /// Zone (`example.com`).
    pub domain: String,
    /// Host part: `www`, `@`, `*`.
    pub rr: String,
    /// `A`, `AAAA`, …
    pub rtype: String,
    /// Record value as stored.
    pub value: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Resolution line (`default`, `telecom`, …).
    pub line: String,
}

/// An injected failure for the next authenticated request.
#[derive(Debug, Clone)]
struct Fault {
    status: u16,
    code: String,
    message: String,
}

#[derive(Default)]
struct Inner {
    expected_host: String,
    zones: Vec<String>,
    records: Vec<AliRecord>,
    seen: Vec<Seen>,
    nonces: HashSet<String>,
    faults: VecDeque<Fault>,
    next_id: u64,
}

/// The fake service: credentials, zone and request log.
pub struct FakeAlidns {
    key_id: String,
    secret: String,
    inner: Mutex<Inner>,
}

type Answer = (StatusCode, Value);

fn error(status: u16, code: &str, message: &str) -> Answer {
    (
        StatusCode::from_u16(status).unwrap(),
        json!({"RequestId": "FAKE-REQ", "HostId": HOST, "Code": code, "Message": message,
               "Recommend": "https://api.aliyun.com/troubleshoot"}),
    )
}

/// All parameters of a request as the fake decodes them (query, plus a form body on POST).
pub fn params(seen: &Seen) -> BTreeMap<String, String> {
    let query = seen.uri.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut out: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if seen.method == "POST" {
        out.extend(form_urlencoded::parse(&seen.body).into_owned());
    }
    out
}

impl FakeAlidns {
    /// A fake accepting `key_id`/`secret` and requests whose Host header is `expected_host`
    /// (call [`Self::set_expected_host`] once an ephemeral port is known).
    pub fn new(key_id: &str, secret: &str, expected_host: &str) -> Arc<Self> {
        let inner = Inner {
            expected_host: expected_host.to_string(),
            next_id: 100_000,
            ..Default::default()
        };
        Arc::new(FakeAlidns {
            key_id: key_id.into(),
            secret: secret.into(),
            inner: Mutex::new(inner),
        })
    }

    /// The axum router answering on `/`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Changes the Host header the fake insists on.
    pub fn set_expected_host(&self, host: &str) {
        self.inner.lock().unwrap().expected_host = host.to_string();
    }

    /// Puts a domain into the account (with no records).
    pub fn add_zone(&self, domain: &str) {
        let mut s = self.inner.lock().unwrap();
        if !s.zones.iter().any(|z| z == domain) {
            s.zones.push(domain.to_string());
        }
    }

    /// Seeds a record (adding its zone); returns its RecordId.
    pub fn add_record(
        &self,
        domain: &str,
        rr: &str,
        rtype: &str,
        value: &str,
        ttl: u32,
        line: &str,
    ) -> String {
        self.add_zone(domain);
        let mut s = self.inner.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id.to_string();
        let rec = AliRecord {
            id: id.clone(),
            domain: domain.into(),
            rr: rr.into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl,
            line: line.into(),
        };
        s.records.push(rec);
        id
    }

    /// Every record of the account, in creation order.
    pub fn records(&self) -> Vec<AliRecord> {
        self.inner.lock().unwrap().records.clone()
    }

    /// Every request received (accepted or not), in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// The `Action` parameter of every request received, in order.
    pub fn actions(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| params(s).get("Action").cloned().unwrap_or_default())
            .collect()
    }

    /// Makes the next authenticated request fail with HTTP `status` and Aliyun error `code`.
    pub fn fail_next(&self, status: u16, code: &str, message: &str) {
        let f = Fault {
            status,
            code: code.into(),
            message: message.into(),
        };
        self.inner.lock().unwrap().faults.push_back(f);
    }

    /// Checks Host, common parameters, key, timestamp, signature and nonce, in that order.
    fn authenticate(
        &self,
        s: &mut Inner,
        seen: &Seen,
        p: &BTreeMap<String, String>,
    ) -> Result<(), Answer> {
        let host = seen.header("host").unwrap_or("");
        if host != s.expected_host {
            let msg = format!(
                "Host header {host:?} is not the served host {:?}",
                s.expected_host
            );
            return Err(error(400, "FakeHostMismatch", &msg));
        }
        for key in [
            "Action",
            "Version",
            "Format",
            "AccessKeyId",
            "SignatureMethod",
            "SignatureVersion",
            "SignatureNonce",
            "Timestamp",
            "Signature",
        ] {
            if p.get(key).is_none_or(|v| v.is_empty()) {
                return Err(error(
                    400,
                    "MissingParameter",
                    &format!("{key} is mandatory for this action."),
                ));
            }
        }
        let fixed = [
            ("Version", "2015-01-09"),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
        ];
        for (key, want) in fixed {
            if p[key] != want {
                return Err(error(
                    400,
                    "InvalidParameter",
                    &format!("{key} must be {want}."),
                ));
            }
        }
        if p["AccessKeyId"] != self.key_id {
            return Err(error(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            ));
        }
        let Some(ts) = c::parse_iso(&p["Timestamp"]) else {
            return Err(error(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp is not valid.",
            ));
        };
        if (c::now() - ts).abs() > 15 * 60 {
            return Err(error(
                400,
                "InvalidTimeStamp.Expired",
                "Specified time stamp or date header is expired.",
            ));
        }
        let canonical = p
            .iter()
            .filter(|(k, _)| k.as_str() != "Signature")
            .map(|(k, v)| format!("{}={}", c::pct(k), c::pct(v)))
            .collect::<Vec<_>>()
            .join("&");
        let to_sign = format!("{}&%2F&{}", seen.method, c::pct(&canonical));
        let mut mac =
            Hmac::<sha1::Sha1>::new_from_slice(format!("{}&", self.secret).as_bytes()).unwrap();
        mac.update(to_sign.as_bytes());
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        if p["Signature"] != expected {
            let msg = format!(
                "Specified signature is not matched with our calculation. server string to sign is:{to_sign}"
            );
            return Err(error(400, "SignatureDoesNotMatch", &msg));
        }
        if !s.nonces.insert(p["SignatureNonce"].clone()) {
            return Err(error(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ));
        }
        Ok(())
    }
}

async fn handle(
    State(fake): State<Arc<FakeAlidns>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let p = params(&seen);
    let mut s = fake.inner.lock().unwrap();
    s.seen.push(seen.clone());
    let (status, value) = if uri.path() != "/" || !(method == Method::GET || method == Method::POST)
    {
        error(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    } else {
        match fake.authenticate(&mut s, &seen, &p) {
            Err(answer) => answer,
            Ok(()) => match s.faults.pop_front() {
                Some(f) => error(f.status, &f.code, &f.message),
                None => dispatch(&mut s, &p),
            },
        }
    };
    (status, axum::Json(value)).into_response()
}

fn zone_of(s: &Inner, domain: &str) -> Result<String, Answer> {
    s.zones
        .iter()
        .find(|z| z.eq_ignore_ascii_case(domain))
        .cloned()
        .ok_or_else(|| {
            error(
                400,
                "InvalidDomainName.NoExist",
                "The specified domain name does not exist. Refresh the page and try again.",
            )
        })
}

fn require<'a>(p: &'a BTreeMap<String, String>, key: &str) -> Result<&'a str, Answer> {
    p.get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            error(
                400,
                "MissingParameter",
                &format!("{key} is mandatory for this action."),
            )
        })
}

/// Checks a value fits its type and that no identical record exists (the record being updated
/// included: Aliyun refuses an update that changes nothing).
fn check_write(s: &Inner, rec: &AliRecord) -> Result<(), Answer> {
    let ok = match rec.rtype.as_str() {
        "A" => rec.value.parse::<std::net::Ipv4Addr>().is_ok(),
        "AAAA" => rec.value.parse::<std::net::Ipv6Addr>().is_ok(),
        _ => true,
    };
    if !ok {
        return Err(error(
            400,
            "IllegalParameter",
            "The value of the record is not valid for its type.",
        ));
    }
    let duplicate = s.records.iter().any(|r| {
        r.domain == rec.domain
            && r.rr.eq_ignore_ascii_case(&rec.rr)
            && r.rtype == rec.rtype
            && r.line == rec.line
            && c::same_value(&r.value, &rec.value)
    });
    if duplicate {
        return Err(error(
            400,
            "DomainRecordDuplicate",
            "The DNS record already exists.",
        ));
    }
    Ok(())
}

fn dispatch(s: &mut Inner, p: &BTreeMap<String, String>) -> Answer {
    let result = match p["Action"].as_str() {
        "DescribeSubDomainRecords" => describe(s, p),
        "AddDomainRecord" => add(s, p),
        "UpdateDomainRecord" => update(s, p),
        _ => Err(error(
            400,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )),
    };
    result.unwrap_or_else(|e| e)
}

fn describe(s: &Inner, p: &BTreeMap<String, String>) -> Result<Answer, Answer> {
    let sub = require(p, "SubDomain")?;
    let zone = match p.get("DomainName") {
        Some(d) => zone_of(s, d)?,
        None => s
            .zones
            .iter()
            .find(|z| {
                sub.to_ascii_lowercase()
                    .ends_with(&format!(".{}", z.to_ascii_lowercase()))
            })
            .cloned()
            .ok_or_else(|| {
                error(
                    400,
                    "InvalidDomainName.NoExist",
                    "The specified domain name does not exist.",
                )
            })?,
    };
    let Some(rr) = sub
        .len()
        .checked_sub(zone.len() + 1)
        .and_then(|n| sub.get(..n))
    else {
        return Err(error(
            400,
            "InvalidParameter",
            "SubDomain does not belong to DomainName.",
        ));
    };
    let list: Vec<Value> = s
        .records
        .iter()
        .filter(|r| r.domain == zone && r.rr.eq_ignore_ascii_case(rr))
        .filter(|r| p.get("Type").is_none_or(|t| *t == r.rtype))
        .filter(|r| p.get("Line").is_none_or(|l| *l == r.line))
        .map(|r| {
            json!({"RecordId": r.id, "RR": r.rr, "Type": r.rtype, "Value": r.value, "TTL": r.ttl,
                   "Line": r.line, "Status": "ENABLE", "Locked": false, "DomainName": r.domain,
                   "Weight": 1})
        })
        .collect();
    Ok((
        StatusCode::OK,
        json!({"RequestId": "FAKE-REQ", "TotalCount": list.len(), "PageNumber": 1, "PageSize": 20,
               "DomainRecords": {"Record": list}}),
    ))
}

fn ttl(p: &BTreeMap<String, String>, default: u32) -> Result<u32, Answer> {
    match p.get("TTL") {
        None => Ok(default),
        Some(t) => t
            .parse()
            .map_err(|_| error(400, "InvalidTTL", "The TTL is not valid.")),
    }
}

fn add(s: &mut Inner, p: &BTreeMap<String, String>) -> Result<Answer, Answer> {
    let zone = zone_of(s, require(p, "DomainName")?)?;
    let rec = AliRecord {
        id: (s.next_id + 1).to_string(),
        domain: zone,
        rr: require(p, "RR")?.to_string(),
        rtype: require(p, "Type")?.to_string(),
        value: require(p, "Value")?.to_string(),
        ttl: ttl(p, 600)?,
        line: p.get("Line").cloned().unwrap_or_else(|| "default".into()),
    };
    check_write(s, &rec)?;
    s.next_id += 1;
    let id = rec.id.clone();
    s.records.push(rec);
    Ok((
        StatusCode::OK,
        json!({"RequestId": "FAKE-REQ", "RecordId": id}),
    ))
}

fn update(s: &mut Inner, p: &BTreeMap<String, String>) -> Result<Answer, Answer> {
    let id = require(p, "RecordId")?;
    let Some(pos) = s.records.iter().position(|r| r.id == id) else {
        return Err(error(
            400,
            "DomainRecordNotBelongToUser",
            "The DNS record does not belong to you.",
        ));
    };
    let mut rec = s.records[pos].clone();
    rec.rr = require(p, "RR")?.to_string();
    rec.rtype = require(p, "Type")?.to_string();
    rec.value = require(p, "Value")?.to_string();
    rec.ttl = ttl(p, rec.ttl)?;
    if let Some(line) = p.get("Line") {
        rec.line = line.clone();
    }
    check_write(s, &rec)?;
    s.records[pos] = rec;
    Ok((
        StatusCode::OK,
        json!({"RequestId": "FAKE-REQ", "RecordId": id}),
    ))
}
