//! A fake of the Now.cn API family (Now.cn `api.now.cn`, Eranet `www.eranet.com`, TNet HK
//! `www.tnet.hk`): `GET /api/Dns/DescribeRecordIndex`, `AddDomainRecord` and
//! `UpdateDomainRecord` with the Aliyun-style HMAC-SHA1 query signature keyed by
//! `AccessInstanceID`.
//!
//! The signature is recomputed here from the documented algorithm (sorted, strictly encoded
//! `k=v` pairs, `GET&%2F&<enc(canonical)>`, Base64 HMAC-SHA1 with `secret&`), independently of
//! the client's signer. Unknown ids, bad signatures, stale timestamps, reused nonces and an
//! unexpected Host are refused. Errors are HTTP 200 with a non-empty `error` text, as the real
//! API answers.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use super::Seen;
use super::p1_common as c;
use super::p4common::{Fault, Rec, Store, path, query, same_value, valid_for};

/// Production host names of the three registrars.
pub const NOWCN_HOST: &str = "api.now.cn";
pub const ERANET_HOST: &str = "www.eranet.com";
pub const TNETHK_HOST: &str = "www.tnet.hk";

/// The error text for an unknown AccessInstanceID.
pub const BAD_ID: &str = "AccessInstanceID 不存在";
/// The error text for a wrong signature.
pub const BAD_SIGNATURE: &str = "签名错误 (Signature does not match)";
/// The error text for a domain that is not in the account.
pub const NO_DOMAIN: &str = "域名不存在";

/// The fake account.
pub struct FakeNowcn {
    id: String,
    secret: String,
    expected_host: Mutex<String>,
    nonces: Mutex<HashSet<String>>,
    store: Mutex<Store>,
}

fn ok(v: Value) -> Response {
    axum::Json(v).into_response()
}

fn err(msg: &str) -> Response {
    ok(json!({"RequestId": "FAKE-REQ", "error": msg}))
}

impl FakeNowcn {
    /// A fake accepting `id`/`secret`, requests addressed to `expected_host`.
    pub fn new(id: &str, secret: &str, expected_host: &str) -> Arc<Self> {
        Arc::new(FakeNowcn {
            id: id.into(),
            secret: secret.into(),
            expected_host: Mutex::new(expected_host.into()),
            nonces: Mutex::default(),
            store: Mutex::default(),
        })
    }

    /// The router serving `/api/Dns/*`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Changes the Host header the fake insists on.
    pub fn set_expected_host(&self, host: &str) {
        *self.expected_host.lock().unwrap() = host.to_string();
    }

    /// Adds a domain to the account.
    pub fn add_zone(&self, zone: &str) {
        self.store.lock().unwrap().add_zone(zone);
    }

    /// Seeds a record; returns its id.
    pub fn seed(&self, zone: &str, host: &str, rtype: &str, value: &str) -> u64 {
        self.store.lock().unwrap().insert(Rec {
            id: 0,
            zone: zone.into(),
            host: host.into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl: 600,
            line: String::new(),
            level: 0,
        })
    }

    /// Every record.
    pub fn records(&self) -> Vec<Rec> {
        self.store.lock().unwrap().records.clone()
    }

    /// Every request received.
    pub fn seen(&self) -> Vec<Seen> {
        self.store.lock().unwrap().seen.clone()
    }

    /// The action (last path segment) of every request, in order.
    pub fn actions(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| path(s).rsplit('/').next().unwrap_or("").to_string())
            .collect()
    }

    /// The next authenticated request gets HTTP 200 with this `error` text.
    pub fn fail_next(&self, error: &str) {
        self.fail_next_with(Fault {
            status: 200,
            retry_after: None,
            body: json!({"RequestId": "FAKE-REQ", "error": error}),
        });
    }

    /// The next authenticated request gets `fault`.
    pub fn fail_next_with(&self, fault: Fault) {
        self.store.lock().unwrap().faults.push_back(fault);
    }

    /// Host, common parameters, id, timestamp, signature and nonce, in that order.
    fn authenticate(&self, seen: &Seen, p: &BTreeMap<String, String>) -> Result<(), String> {
        let host = seen.header("host").unwrap_or("");
        let want = self.expected_host.lock().unwrap().clone();
        if host != want {
            return Err(String::from(&format!("Host {host:?} is not {want:?}")));
        }
        for key in [
            "AccessInstanceID",
            "SignatureMethod",
            "SignatureNonce",
            "Timestamp",
            "Signature",
        ] {
            if p.get(key).is_none_or(|v| v.is_empty()) {
                return Err(String::from(&format!("缺少参数 {key}")));
            }
        }
        if p["SignatureMethod"] != "HMAC-SHA1" {
            return Err(String::from("SignatureMethod 错误"));
        }
        if p["AccessInstanceID"] != self.id {
            return Err(String::from(BAD_ID));
        }
        match c::parse_iso(&p["Timestamp"]) {
            Some(ts) if (c::now() - ts).abs() <= 15 * 60 => {}
            _ => return Err(String::from("Timestamp 无效或已过期")),
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
            return Err(String::from(BAD_SIGNATURE));
        }
        if !self
            .nonces
            .lock()
            .unwrap()
            .insert(p["SignatureNonce"].clone())
        {
            return Err(String::from("SignatureNonce 已使用"));
        }
        Ok(())
    }
}

async fn handle(
    State(fake): State<Arc<FakeNowcn>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    fake.store.lock().unwrap().seen.push(seen.clone());
    let p = query(&seen);
    let action = match uri.path().strip_prefix("/api/Dns/") {
        Some(a) if method == Method::GET => a.to_string(),
        _ => return (axum::http::StatusCode::NOT_FOUND, "Not Found").into_response(),
    };
    if let Err(msg) = fake.authenticate(&seen, &p) {
        return err(&msg);
    }
    let mut st = fake.store.lock().unwrap();
    if let Some(f) = st.faults.pop_front() {
        return f.response();
    }
    let need = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
    let (Some(domain), Some(rtype)) = (need("Domain"), need("Type")) else {
        return err("缺少参数 Domain/Type");
    };
    let Some((_, zone)) = st.zone(&domain) else {
        return err(NO_DOMAIN);
    };
    match action.as_str() {
        "DescribeRecordIndex" => {
            let host = p.get("Host").cloned().unwrap_or_default();
            let data: Vec<Value> = st
                .records
                .iter()
                .filter(|r| r.zone == zone && r.rtype == rtype)
                .filter(|r| host.is_empty() || r.host.eq_ignore_ascii_case(&host))
                .map(|r| {
                    json!({"id": r.id, "domain": r.zone, "host": r.host, "type": r.rtype,
                                "value": r.value, "state": 1})
                })
                .collect();
            ok(json!({"RequestId": "FAKE-REQ", "Data": data, "error": ""}))
        }
        "AddDomainRecord" | "UpdateDomainRecord" => {
            let (Some(host), Some(value), Some(ttl)) = (need("Host"), need("Value"), need("Ttl"))
            else {
                return err("缺少参数 Host/Value/Ttl");
            };
            let Ok(ttl) = ttl.parse::<u32>() else {
                return err("Ttl 无效");
            };
            if !valid_for(&rtype, &value) {
                return err("记录值无效");
            }
            let dup = st.records.iter().any(|r| {
                r.zone == zone
                    && r.host.eq_ignore_ascii_case(&host)
                    && r.rtype == rtype
                    && same_value(&r.value, &value)
            });
            if dup {
                return err("记录已存在");
            }
            if action == "AddDomainRecord" {
                let id = st.insert(Rec {
                    id: 0,
                    zone,
                    host,
                    rtype,
                    value,
                    ttl,
                    line: String::new(),
                    level: 0,
                });
                return ok(json!({"RequestId": "FAKE-REQ", "Id": id, "error": ""}));
            }
            let id = need("Id").and_then(|i| i.parse::<u64>().ok()).unwrap_or(0);
            let Some(r) = st.records.iter_mut().find(|r| r.id == id && r.zone == zone) else {
                return err("解析记录不存在");
            };
            (r.host, r.rtype, r.value, r.ttl) = (host, rtype, value, ttl);
            ok(json!({"RequestId": "FAKE-REQ", "Id": id, "error": ""}))
        }
        _ => (axum::http::StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
