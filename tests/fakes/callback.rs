//! A generic HTTP recorder for the callback provider (and webhooks): logs every request,
//! answers with queued responses (default 200 "ok"), and can reject requests that do not match
//! an expectation so a mismatch shows up as a failed call. Transport-agnostic.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::Seen;

/// What every request must look like; `None` fields are not checked.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub method: Option<String>,
    /// Path and query exactly as sent (not re-encoded).
    pub uri: Option<String>,
    pub content_type: Option<String>,
    pub body: Option<String>,
}

#[derive(Default)]
struct Inner {
    seen: Vec<Seen>,
    responses: VecDeque<(u16, String)>,
    expect: Option<Expect>,
}

/// The fake callback endpoint.
pub struct FakeCallback {
    state: Mutex<Inner>,
}

impl FakeCallback {
    /// A recorder answering 200 "ok" to everything.
    pub fn new() -> Arc<Self> {
        Arc::new(FakeCallback {
            state: Mutex::default(),
        })
    }

    /// Answers the next request with `status` and `body` (queued).
    pub fn respond_next(&self, status: u16, body: &str) {
        self.state
            .lock()
            .unwrap()
            .responses
            .push_back((status, body.to_string()));
    }

    /// Rejects (400, with the reason) every request that does not match `e`.
    pub fn expect(&self, e: Expect) {
        self.state.lock().unwrap().expect = Some(e);
    }

    /// Every request seen, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The router (any method, any path).
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        let mut st = self.state.lock().unwrap();
        let seen = super::seen(method, uri, headers, body);
        let mismatch = st.expect.as_ref().and_then(|e| mismatch(e, &seen));
        st.seen.push(seen);
        if let Some(why) = mismatch {
            return (StatusCode::BAD_REQUEST, why).into_response();
        }
        let (code, text) = st.responses.pop_front().unwrap_or((200, "ok".to_string()));
        (StatusCode::from_u16(code).unwrap(), text).into_response()
    }
}

fn mismatch(e: &Expect, s: &Seen) -> Option<String> {
    let body = String::from_utf8_lossy(&s.body);
    let checks = [
        ("method", e.method.as_deref(), Some(s.method.as_str())),
        ("uri", e.uri.as_deref(), Some(s.uri.as_str())),
        (
            "content-type",
            e.content_type.as_deref(),
            s.header("content-type"),
        ),
        ("body", e.body.as_deref(), Some(body.as_ref())),
    ];
    checks
        .iter()
        .find(|(_, want, got)| want.is_some() && want != got)
        .map(|(what, want, got)| format!("{what}: expected {want:?}, got {got:?}"))
}

async fn handle(
    State(fake): State<Arc<FakeCallback>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
