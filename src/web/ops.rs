//! Routes for running ddns-rs unattended: `/healthz` and `/metrics` (no login, for monitoring;
//! the WAN rule still applies), and the history API with rollback (`/api/history`,
//! `/api/rollback`, logged-in users only). See docs/monitoring.md and docs/web-api.md.

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::ConfigState;
use super::guard::{ApiError, no_store};
use super::routes::{Conf, St, broken, json_ok, read_json};
use crate::history::HistoryLog;
use crate::provider::RecordType;
use crate::sync::{Engine, RollbackError, RollbackRequest};

pub(super) async fn healthz(State(st): St, Extension(conf): Conf) -> Response {
    let config = match &*conf {
        ConfigState::Loaded(c) => Ok(c.clone()),
        ConfigState::Missing => Err("no config file yet".to_string()),
        ConfigState::Broken(m) => Err(format!("the config file cannot be used: {m}")),
    };
    let fallback = st.opts.engine.http.dns.map(|d| d.addr);
    let report = st
        .health
        .get(config, &st.opts.engine.metrics, &st.opts.health, fallback)
        .await;
    let status = if report.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    no_store(status, Json(report))
}

pub(super) async fn metrics(State(st): St) -> Response {
    let body = st.opts.engine.metrics.render(crate::VERSION);
    let mut r = no_store(StatusCode::OK, body);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct HistoryQuery {
    domain: Option<String>,
    #[serde(rename = "type")]
    rtype: Option<String>,
}

pub(super) async fn api_history(State(st): St, Query(q): Query<HistoryQuery>) -> Response {
    let log = HistoryLog::beside(&st.opts.config_path);
    let domain = q.domain.filter(|d| !d.is_empty());
    let rtype = q.rtype.filter(|t| !t.is_empty());
    // Reading up to 2 MiB of JSON lines is file I/O: keep it off the event loop.
    let read = tokio::task::spawn_blocking(move || log.read(domain.as_deref(), rtype.as_deref()));
    match read.await {
        Ok(entries) => json_ok(json!({ "entries": entries })),
        Err(_) => broken("reading the history failed").into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RollbackBody {
    entry: Option<String>,
    domain: String,
    #[serde(rename = "type")]
    rtype: String,
    value: Option<String>,
}

fn bad_request(msg: impl Into<String>) -> Response {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", msg).into_response()
}

pub(super) async fn api_rollback(State(st): St, Extension(conf): Conf, body: Body) -> Response {
    let b: RollbackBody = match read_json(body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let rtype = match b.rtype.to_ascii_uppercase().as_str() {
        "A" => RecordType::A,
        "AAAA" => RecordType::Aaaa,
        _ => return bad_request("type must be A or AAAA"),
    };
    if b.domain.trim().is_empty() {
        return bad_request("domain is required");
    }
    let config = match &*conf {
        ConfigState::Loaded(c) => c.clone(),
        ConfigState::Missing => return bad_request("there is no config file yet"),
        ConfigState::Broken(m) => return broken(m).into_response(),
    };
    let req = RollbackRequest {
        entry: b.entry.filter(|e| !e.is_empty()),
        domain: b.domain.trim().to_string(),
        rtype,
        value: b.value.filter(|v| !v.trim().is_empty()),
    };
    // One rollback at a time; a one-off engine over the saved config writes the record, with
    // the daemon's status board, history and metrics.
    let _guard = st.save_lock.lock().await;
    let mut opts = st.opts.engine.clone();
    opts.history = Some(HistoryLog::beside(&st.opts.config_path));
    let mut engine = Engine::new(config, opts, st.opts.status.clone());
    match engine.rollback(&req).await {
        Ok(o) => json_ok(json!({
            "entry": o.entry,
            "domain": req.domain,
            "type": rtype.as_str(),
            "value": o.value.to_string(),
            "written": o.written,
        })),
        Err(e @ RollbackError::Provider(_)) | Err(e @ RollbackError::Setup(_)) => {
            tracing::error!("Rollback of {} failed: {e}", req.domain);
            ApiError::new(StatusCode::BAD_GATEWAY, "provider", e.to_string()).into_response()
        }
        Err(e) => bad_request(e.to_string()),
    }
}
