//! Shared pieces of the fakes and tests of the "p3" providers (vercel, dynv6, gcore, nsone,
//! name_com, cloudns, desec): a request log with fault injection, JSON answers, and the
//! trait-driven sync the tests use.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use ddns_rs::config::Domain;
use ddns_rs::http::{HttpOptions, provider_client};
use ddns_rs::provider::{Plan, Provider, ProviderError, ProviderSettings, RecordType, build};
use serde_json::Value;

use super::Seen;

/// What the next request gets instead of a normal answer.
#[derive(Debug, Clone)]
pub struct Fault {
    /// HTTP status.
    pub status: u16,
    /// Body, in the provider's own error shape.
    pub body: String,
    /// `Retry-After` seconds, if any.
    pub retry_after: Option<u64>,
}

impl Fault {
    /// An answer with `status` and a JSON `body`.
    pub fn json(status: u16, body: Value) -> Fault {
        Fault {
            status,
            body: body.to_string(),
            retry_after: None,
        }
    }

    /// A 429 with `Retry-After: secs` and a JSON `body`.
    pub fn rate_limit(secs: u64, body: Value) -> Fault {
        Fault {
            status: 429,
            body: body.to_string(),
            retry_after: Some(secs),
        }
    }

    fn response(self) -> Response {
        let mut r = (
            StatusCode::from_u16(self.status).unwrap(),
            [("content-type", "application/json")],
            self.body,
        )
            .into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert("retry-after", s.to_string().parse().unwrap());
        }
        r
    }
}

/// Request log and fault queue of one fake.
#[derive(Default)]
pub struct Recorder {
    seen: Mutex<Vec<Seen>>,
    faults: Mutex<VecDeque<Fault>>,
}

impl Recorder {
    /// Logs the request; returns the queued fault's answer if there is one.
    pub fn record(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<Response> {
        self.seen
            .lock()
            .unwrap()
            .push(super::seen(method, uri, headers, body));
        self.faults.lock().unwrap().pop_front().map(Fault::response)
    }

    /// Queues a fault for the next request.
    pub fn fail_next(&self, f: Fault) {
        self.faults.lock().unwrap().push_back(f);
    }

    /// Every request seen, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests other than GET.
    pub fn writes(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.method != "GET")
            .collect()
    }
}

/// A JSON answer.
pub fn json(status: u16, v: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), axum::Json(v)).into_response()
}

/// The query of a request URI as pairs.
pub fn query(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The first value of `key` in `pairs`.
pub fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// True when `value` is an address of the family `rtype` names.
pub fn fits(rtype: &str, value: &str) -> bool {
    match (rtype, value.parse::<IpAddr>()) {
        ("A", Ok(ip)) => ip.is_ipv4(),
        ("AAAA", Ok(ip)) => ip.is_ipv6(),
        _ => false,
    }
}

// ---- helpers for the provider tests ----

/// Builds provider `key` pointed at `base`.
pub fn provider(
    key: &str,
    base: &str,
    id: &str,
    secret: &str,
    extparam: &str,
    ttl: &str,
) -> Box<dyn Provider> {
    let settings = ProviderSettings {
        id: id.into(),
        secret: secret.into(),
        extparam: extparam.into(),
        ttl: ttl.into(),
        http: provider_client(&HttpOptions::default(), None).unwrap(),
        endpoint: Some(base.to_string()),
    };
    build(key, settings).unwrap()
}

/// A domain `sub` . `root` with custom params.
pub fn dom(sub: &str, root: &str, params: &[(&str, &str)]) -> Domain {
    Domain {
        sub: sub.into(),
        root: root.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Parses an address.
pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// One sync of one domain, as the sync layer does it: lookup, plan, apply unless no change.
pub async fn sync(p: &dyn Provider, d: &Domain, addr: IpAddr) -> Result<Plan, ProviderError> {
    let t = RecordType::of(addr);
    let l = p.lookup(d, t).await?;
    let plan = p.plan(d, &l, addr);
    if !matches!(plan, Plan::NoChange { .. }) {
        p.apply(d, t, &l, &plan, addr).await?;
    }
    Ok(plan)
}

/// The JSON body of a request.
pub fn body_json(s: &Seen) -> Value {
    serde_json::from_slice(&s.body).unwrap()
}

/// The form body of a request as pairs.
pub fn body_form(s: &Seen) -> Vec<(String, String)> {
    form_urlencoded::parse(&s.body).into_owned().collect()
}

/// `METHOD /path` of every request (query stripped).
pub fn lines(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .map(|s| format!("{} {}", s.method, s.uri.split('?').next().unwrap()))
        .collect()
}

/// The query of a recorded request as pairs.
pub fn query_of(s: &Seen) -> Vec<(String, String)> {
    let q = s.uri.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}
