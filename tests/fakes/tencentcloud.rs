//! A fake Tencent Cloud DNSPod API 3.0 (`https://dnspod.tencentcloudapi.com`, version
//! 2021-03-23).
//!
//! Like the real service it recomputes the TC3-HMAC-SHA256 signature of every request (written
//! here from the documented algorithm, independently of the client's signer; only the SDK form
//! `SignedHeaders=content-type;host` is accepted), rejects unknown SecretIds, bad signatures and
//! timestamps more than 5 minutes off with Tencent's own error bodies (HTTP 200), and serves
//! `DescribeRecordList` (empty → `ResourceNotFound.NoDataOfRecord`), `CreateRecord` and
//! `ModifyRecord` from an in-memory zone. The router does not care how it is served; only the
//! expected `Host` header has to be set to what the client will send.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Seen;
use super::p1_common as c;

/// The production host name.
pub const HOST: &str = "dnspod.tencentcloudapi.com";

/// One record in the fake zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcRecord {
    /// RecordId (an integer in this API).
    pub id: u64,
    /// Zone (`example.com`).
    pub domain: String,
    /// Host part: `www`, `@`, `*`.
    pub name: String,
    /// `A`, `AAAA`, …
    pub rtype: String,
    /// Record value as stored.
    pub value: String,
    /// TTL in seconds.
    pub ttl: u64,
    /// Resolution line (`默认`, `电信`, …).
    pub line: String,
}

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
    records: Vec<TcRecord>,
    seen: Vec<Seen>,
    faults: VecDeque<Fault>,
    next_id: u64,
}

/// The fake service: credentials, zone and request log.
pub struct FakeTencent {
    secret_id: String,
    secret_key: String,
    inner: Mutex<Inner>,
}

type Answer = (StatusCode, Value);

fn error(code: &str, message: &str) -> Answer {
    error_with(200, code, message)
}

fn error_with(status: u16, code: &str, message: &str) -> Answer {
    (
        StatusCode::from_u16(status).unwrap(),
        json!({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "fake-req"}}),
    )
}

fn ok(mut fields: Value) -> Answer {
    fields["RequestId"] = json!("fake-req");
    (StatusCode::OK, json!({ "Response": fields }))
}

/// The request body as JSON (Null when it is not JSON).
pub fn json_body(seen: &Seen) -> Value {
    serde_json::from_slice(&seen.body).unwrap_or(Value::Null)
}

impl FakeTencent {
    /// A fake accepting `secret_id`/`secret_key` and requests whose Host header is
    /// `expected_host` (call [`Self::set_expected_host`] once an ephemeral port is known).
    pub fn new(secret_id: &str, secret_key: &str, expected_host: &str) -> Arc<Self> {
        let inner = Inner {
            expected_host: expected_host.to_string(),
            next_id: 556_507_000,
            ..Default::default()
        };
        Arc::new(FakeTencent {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
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
        name: &str,
        rtype: &str,
        value: &str,
        ttl: u64,
        line: &str,
    ) -> u64 {
        self.add_zone(domain);
        let mut s = self.inner.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        let rec = TcRecord {
            id,
            domain: domain.into(),
            name: name.into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl,
            line: line.into(),
        };
        s.records.push(rec);
        id
    }

    /// Every record of the account, in creation order.
    pub fn records(&self) -> Vec<TcRecord> {
        self.inner.lock().unwrap().records.clone()
    }

    /// Every request received (accepted or not), in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// The `X-TC-Action` header of every request received, in order.
    pub fn actions(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| s.header("x-tc-action").unwrap_or("").to_string())
            .collect()
    }

    /// Makes the next authenticated request fail with Tencent error `code` (HTTP 200, as the
    /// real API reports errors).
    pub fn fail_next(&self, code: &str, message: &str) {
        self.fail_next_http(200, code, message);
    }

    /// Like [`Self::fail_next`] with another HTTP status (gateway errors).
    pub fn fail_next_http(&self, status: u16, code: &str, message: &str) {
        let f = Fault {
            status,
            code: code.into(),
            message: message.into(),
        };
        self.inner.lock().unwrap().faults.push_back(f);
    }

    /// Checks Host, headers, SecretId, timestamp, scope and signature, in that order.
    fn authenticate(&self, s: &Inner, seen: &Seen, query: &str) -> Result<(), Answer> {
        let host = seen.header("host").unwrap_or("");
        if host != s.expected_host {
            let msg = format!(
                "Host header {host:?} is not the served host {:?}",
                s.expected_host
            );
            return Err(error("FakeHostMismatch", &msg));
        }
        if seen.header("x-tc-version") != Some("2021-03-23") {
            return Err(error(
                "NoSuchVersion",
                "The requested version does not exist or is not supported.",
            ));
        }
        let content_type = seen.header("content-type").unwrap_or("");
        if content_type != "application/json" {
            return Err(error(
                "FakeContentType",
                "Content-Type must be exactly application/json.",
            ));
        }
        let sig_fail = |why: &str| {
            error(
                "AuthFailure.SignatureFailure",
                &format!("The provided credentials could not be validated: {why}."),
            )
        };
        let auth = seen.header("authorization").unwrap_or("");
        let Some(rest) = auth.strip_prefix("TC3-HMAC-SHA256 ") else {
            return Err(sig_fail("the algorithm is not TC3-HMAC-SHA256"));
        };
        let Some((credential, signed, signature)) = c::tc3_fields(rest) else {
            return Err(sig_fail("the Authorization header is malformed"));
        };
        let parts: Vec<&str> = credential.split('/').collect();
        let [id, date, service, "tc3_request"] = parts.as_slice() else {
            return Err(sig_fail("the credential scope is malformed"));
        };
        if *id != self.secret_id {
            return Err(error(
                "AuthFailure.SecretIdNotFound",
                "The SecretId is not found, please ensure that your SecretId is correct.",
            ));
        }
        let Some(ts) = seen
            .header("x-tc-timestamp")
            .and_then(|t| t.parse::<i64>().ok())
        else {
            return Err(error(
                "MissingParameter",
                "The X-TC-Timestamp header is missing or invalid.",
            ));
        };
        if (c::now() - ts).abs() > 5 * 60 {
            return Err(error(
                "AuthFailure.SignatureExpire",
                "Signature expired. Timestamp and server time cannot differ by more than 5 minutes.",
            ));
        }
        if *date != c::utc_date(ts) || *service != "dnspod" || signed != "content-type;host" {
            return Err(sig_fail(
                "the scope date, service or signed headers are wrong",
            ));
        }
        let request = (seen, query, content_type, host);
        if c::tc3_signature(&self.secret_key, "dnspod", date, ts, request) != signature {
            return Err(sig_fail("the signature does not match"));
        }
        Ok(())
    }
}

async fn handle(
    State(fake): State<Arc<FakeTencent>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut s = fake.inner.lock().unwrap();
    s.seen.push(seen.clone());
    let (status, value) = if uri.path() != "/" || method != Method::POST {
        error_with(404, "UnsupportedOperation", "The fake serves POST / only.")
    } else {
        match fake.authenticate(&s, &seen, uri.query().unwrap_or("")) {
            Err(answer) => answer,
            Ok(()) => match s.faults.pop_front() {
                Some(f) => error_with(f.status, &f.code, &f.message),
                None => dispatch(
                    &mut s,
                    seen.header("x-tc-action").unwrap_or(""),
                    &json_body(&seen),
                ),
            },
        }
    };
    (status, axum::Json(value)).into_response()
}

fn str_field<'a>(b: &'a Value, key: &str) -> Result<&'a str, Answer> {
    b.get(key).and_then(Value::as_str).ok_or_else(|| {
        error(
            "MissingParameter",
            &format!("The request is missing a required parameter `{key}`."),
        )
    })
}

fn zone_of(s: &Inner, b: &Value) -> Result<String, Answer> {
    let domain = str_field(b, "Domain")?;
    s.zones
        .iter()
        .find(|z| z.eq_ignore_ascii_case(domain))
        .cloned()
        .ok_or_else(|| {
            error(
                "InvalidParameterValue.DomainNotExists",
                "当前域名有误，请返回重新操作。",
            )
        })
}

fn dispatch(s: &mut Inner, action: &str, b: &Value) -> Answer {
    if !b.is_object() {
        return error("InvalidParameter", "The request body is not a JSON object.");
    }
    let result = match action {
        "DescribeRecordList" => describe(s, b),
        "CreateRecord" => write(s, b, None),
        "ModifyRecord" => match b.get("RecordId").map(Value::as_u64) {
            Some(Some(id)) => write(s, b, Some(id)),
            Some(None) => Err(error("InvalidParameter", "RecordId must be an integer.")),
            None => Err(error(
                "MissingParameter",
                "The request is missing a required parameter `RecordId`.",
            )),
        },
        _ => Err(error(
            "InvalidAction",
            "The requested action does not exist.",
        )),
    };
    result.unwrap_or_else(|e| e)
}

fn describe(s: &Inner, b: &Value) -> Result<Answer, Answer> {
    let zone = zone_of(s, b)?;
    let opt = |k: &str| b.get(k).and_then(Value::as_str);
    let list: Vec<Value> = s
        .records
        .iter()
        .filter(|r| r.domain == zone)
        .filter(|r| opt("Subdomain").is_none_or(|n| r.name.eq_ignore_ascii_case(n)))
        .filter(|r| opt("RecordType").is_none_or(|t| r.rtype == t))
        .filter(|r| opt("RecordLine").is_none_or(|l| r.line == l))
        .map(|r| {
            json!({"RecordId": r.id, "Name": r.name, "Type": r.rtype, "Line": r.line, "LineId": "0",
                   "Value": r.value, "TTL": r.ttl, "Status": "ENABLE", "MX": 0, "Weight": null,
                   "Remark": "", "UpdatedOn": "2024-01-01 00:00:00", "MonitorStatus": ""})
        })
        .collect();
    if list.is_empty() && opt("ErrorOnEmpty") != Some("no") {
        return Err(error("ResourceNotFound.NoDataOfRecord", "记录列表为空。"));
    }
    let n = list.len();
    Ok(ok(
        json!({"RecordCountInfo": {"SubdomainCount": n, "ListCount": n, "TotalCount": n}, "RecordList": list}),
    ))
}

/// CreateRecord (`id` None) or ModifyRecord.
fn write(s: &mut Inner, b: &Value, id: Option<u64>) -> Result<Answer, Answer> {
    let zone = zone_of(s, b)?;
    let ttl = match b.get("TTL") {
        None => 600,
        Some(t) => t
            .as_u64()
            .ok_or_else(|| error("InvalidParameter", "TTL must be an integer."))?,
    };
    let rec = TcRecord {
        id: id.unwrap_or(s.next_id + 1),
        domain: zone,
        name: b
            .get("SubDomain")
            .and_then(Value::as_str)
            .unwrap_or("@")
            .to_string(),
        rtype: str_field(b, "RecordType")?.to_string(),
        value: str_field(b, "Value")?.to_string(),
        ttl,
        line: str_field(b, "RecordLine")?.to_string(),
    };
    let valid = match rec.rtype.as_str() {
        "A" => rec.value.parse::<std::net::Ipv4Addr>().is_ok(),
        "AAAA" => rec.value.parse::<std::net::Ipv6Addr>().is_ok(),
        _ => true,
    };
    if !valid {
        return Err(error(
            "InvalidParameter.IPAddressInvalid",
            "The IP address is invalid.",
        ));
    }
    let duplicate = s.records.iter().any(|r| {
        Some(r.id) != id
            && r.domain == rec.domain
            && r.name.eq_ignore_ascii_case(&rec.name)
            && r.rtype == rec.rtype
            && r.line == rec.line
            && c::same_value(&r.value, &rec.value)
    });
    if duplicate {
        return Err(error(
            "InvalidParameter.DomainRecordExist",
            "记录已经存在，无需再次添加。",
        ));
    }
    match id {
        None => {
            s.next_id += 1;
            s.records.push(rec.clone());
        }
        Some(id) => {
            let Some(slot) = s
                .records
                .iter_mut()
                .find(|r| r.id == id && r.domain == rec.domain)
            else {
                return Err(error("InvalidParameter.RecordIdInvalid", "记录编号错误。"));
            };
            *slot = rec.clone();
        }
    }
    Ok(ok(json!({"RecordId": rec.id})))
}
