//! Shared pieces of the fakes and tests of the "p3" providers (vercel, dynv6, gcore, nsone,
//! name_com, cloudns, desec): a request log with fault injection, JSON answers, and the
//! trait-driven sync the tests use.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
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

#[allow(unused_imports)] // each test file uses its own subset
pub use super::harness::{dom, ip, provider, sync};
#[allow(unused_imports)]
pub use super::{body_form, body_json, lines, query_of};

/// The error answers the p3 APIs share, each ending in its own error class with nothing written:
/// a wrong credential is Auth (its message passing `auth_says`); on the right account a zone it
/// lacks (`example.net`) is ZoneNotFound, a 403 with `forbidden` is Permission, and a 429 with
/// `limited = (secs, body)` is RateLimited carrying that Retry-After.
pub async fn error_answers_are_classified(
    wrong: (&Recorder, &dyn ddns_rs::provider::Provider),
    right: (&Recorder, &dyn ddns_rs::provider::Provider),
    auth_says: impl Fn(&str) -> bool,
    forbidden: Value,
    limited: (u64, Value),
) {
    use ddns_rs::provider::ProviderError;
    let www = dom("www", "example.com", &[]);
    let (rec, p) = wrong;
    let err = sync(p, &www, ip("192.0.2.1")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if auth_says(m)),
        "{err:?}"
    );
    assert!(rec.writes().is_empty());

    let (rec, p) = right;
    super::harness::assert_zone_not_found(p, "example.net", ip("192.0.2.1")).await;
    rec.fail_next(Fault::json(403, forbidden));
    let err = sync(p, &www, ip("192.0.2.1")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    let (secs, body) = limited;
    rec.fail_next(Fault::rate_limit(secs, body));
    let err = sync(p, &www, ip("192.0.2.1")).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d == std::time::Duration::from_secs(secs)),
        "{err:?}"
    );
    assert!(rec.writes().is_empty());
}
