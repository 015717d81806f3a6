//! The route table (ddns-go's routes and ours under `/api/`, with their guards), the pages and
//! assets, and login/logout including first-run setup. The settings routes are in `settings`,
//! the JSON API in `api`; docs/web-api.md is the contract. Redirects are relative (`./login`)
//! so the UI works under a proxy's sub-path.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::auth::{Refusal, is_lan, session_lifetime};
use super::guard::{self, ApiError, client_ip, no_store};
use super::{ConfigState, MAX_REQUEST_BODY, SETUP_WINDOW, WebState, api, assets, ops, settings};
use crate::config::store;
use crate::sync::schedule::Control;

pub(super) type St = State<Arc<WebState>>;
pub(super) type Conf = Extension<Arc<ConfigState>>;

/// Builds the router over `state`.
pub(super) fn build(state: Arc<WebState>) -> Router {
    let public = Router::new()
        .route("/login", get(login_page))
        .route("/loginFunc", post(login_func))
        .route("/logout", get(logout).post(logout))
        .route("/favicon.ico", get(favicon))
        .route("/static/{*path}", get(static_file))
        .route("/api/session", get(api::api_session))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        // Router push: basic auth of its own, no session (routers have none).
        .route("/nic/update", get(super::push::nic_update))
        .route("/update", get(super::push::nic_update));
    let pages = Router::new()
        .route("/", get(index))
        .route("/save", post(settings::save_settings))
        .route("/setLang", post(settings::set_lang))
        .route("/logs", get(settings::logs))
        .route(
            "/clearLog",
            get(settings::clear_log).post(settings::clear_log),
        )
        .route("/webhookTest", post(settings::webhook_test))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            session_or_redirect,
        ));
    let api = Router::new()
        .route("/api/state", get(api::api_state))
        .route("/api/status", get(api::api_status))
        .route("/api/update", post(api::api_update))
        .route("/api/logs", get(api::api_logs))
        .route("/api/ipv6-preview", post(api::api_ipv6_preview))
        .route("/api/notify-test", post(super::notify_api::notify_test))
        .route("/api/history", get(ops::api_history))
        .route("/api/rollback", post(ops::api_rollback))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            session_or_401,
        ));
    Router::new()
        .merge(public)
        .merge(pages)
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn(guard::csrf_guard))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::wan_guard,
        ))
        .layer(middleware::from_fn(guard::security_headers))
        .with_state(state)
}

// ---------- helpers ----------

/// The `token` cookie's value, if any.
pub(super) fn token_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_string())
}

pub(super) fn has_session(st: &WebState, headers: &HeaderMap) -> bool {
    token_cookie(headers).is_some_and(|t| st.sessions().valid(&t, st.now()))
}

fn redirect(status: StatusCode, to: &'static str) -> Response {
    (status, [(header::LOCATION, HeaderValue::from_static(to))]).into_response()
}

async fn session_or_redirect(State(st): St, req: Request, next: Next) -> Response {
    if has_session(&st, req.headers()) {
        next.run(req).await
    } else {
        redirect(StatusCode::TEMPORARY_REDIRECT, "./login")
    }
}

async fn session_or_401(State(st): St, req: Request, next: Next) -> Response {
    if has_session(&st, req.headers()) {
        next.run(req).await
    } else {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Not logged in or the session expired: log in again",
        )
        .into_response()
    }
}

/// Reads a JSON body of at most [`MAX_REQUEST_BODY`] bytes (Content-Type is not required, as
/// scripts written for ddns-go often omit it).
pub(super) async fn read_json<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_REQUEST_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "The request body is larger than {} KiB",
                    MAX_REQUEST_BODY / 1024
                ),
            )
        })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("The request is not the JSON expected: {e}"),
        )
    })
}

pub(super) fn json_ok(v: Value) -> Response {
    no_store(StatusCode::OK, Json(v))
}

fn page(path: &str, headers: &HeaderMap) -> Response {
    match assets::find(path) {
        Some(a) => assets::respond(a, headers),
        None => not_found_response(),
    }
}

fn not_found_response() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found").into_response()
}

async fn not_found() -> Response {
    not_found_response()
}

pub(super) fn broken(msg: &str) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        msg.to_string(),
    )
}

// ---------- assets and pages ----------

async fn static_file(
    axum::extract::Path(path): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    page(&path, &headers)
}

async fn favicon(headers: HeaderMap) -> Response {
    page("favicon.ico", &headers)
}

async fn login_page(State(st): St, headers: HeaderMap) -> Response {
    if has_session(&st, &headers) {
        return redirect(StatusCode::FOUND, "./");
    }
    page("login.html", &headers)
}

async fn index(headers: HeaderMap) -> Response {
    page("index.html", &headers)
}

// ---------- login / logout ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginRequest {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Password")]
    password: String,
}

fn login_reply(code: u16, msg: impl Into<String>) -> Response {
    json_ok(json!({"Code": code, "Msg": msg.into(), "Data": Value::Null}))
}

fn session_cookie(st: &WebState, token: &str, lifetime: std::time::Duration) -> HeaderValue {
    // No Path attribute: the browser scopes the cookie to the login URL's directory, which is
    // the UI's root even under a reverse proxy's sub-path.
    let secure = if st.opts.https { "; Secure" } else { "" };
    let v = format!(
        "token={token}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        lifetime.as_secs()
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("token=; Max-Age=0"))
}

fn start_session(st: &WebState, headers: &HeaderMap, not_allow_wan: bool, msg: &str) -> Response {
    let lifetime = session_lifetime(not_allow_wan);
    let Some(token) = st.sessions().create(st.now(), lifetime) else {
        return login_reply(
            500,
            "The system gave no randomness for a session; try again",
        );
    };
    // Scripts without an Origin header get the token in Data as with ddns-go; browser pages
    // never see it (the cookie is HttpOnly).
    let data = if headers.contains_key(header::ORIGIN) {
        Value::Null
    } else {
        Value::String(token.clone())
    };
    let mut r = json_ok(json!({"Code": 200, "Msg": msg, "Data": data}));
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(st, &token, lifetime));
    r
}

async fn login_func(State(st): St, Extension(conf): Conf, req: Request) -> Response {
    let ip = client_ip(req.extensions());
    let headers = req.headers().clone();
    let body: LoginRequest = match read_json(req.into_body()).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let username = body.username.trim().to_string();
    if username.is_empty() || body.password.is_empty() {
        return login_reply(500, "Username/Password is required");
    }
    if conf.needs_setup() {
        return first_run(&st, &conf, &headers, ip, username, body.password).await;
    }
    let ConfigState::Loaded(config) = &*conf else {
        return login_reply(
            500,
            "The config file cannot be read; fix it (see the log) and try again",
        );
    };
    let refusal = st.throttle().check(ip, st.now());
    if let Err(r) = refusal {
        if r == Refusal::Global {
            tracing::warn!(
                "Logins from the internet are paused after too many failures; refused {ip}"
            );
        }
        return login_reply(500, "Too many login failures, please try again later");
    }
    // bcrypt is slow on purpose: keep it off the event loop. The hash is checked even for a
    // wrong username so the answer takes as long either way.
    let hash = config.user.password.clone();
    let pw = body.password;
    let ok_pw = tokio::task::spawn_blocking(move || bcrypt::verify(pw, &hash).unwrap_or(false))
        .await
        .unwrap_or(false);
    if ok_pw && username == config.user.username {
        st.throttle().succeeded(ip);
        tracing::info!("{username:?} logged in successfully");
        start_session(&st, &headers, config.notallowwanaccess, "Login successful")
    } else {
        st.throttle().failed(ip, st.now());
        tracing::warn!("{username:?} username or password is incorrect (from {ip})");
        login_reply(500, "Username or password is incorrect")
    }
}

/// The local time `secs` as `yyyy-MM-dd HH:mm:ss`.
fn local_stamp(secs: i64) -> String {
    let c = crate::timefmt::local_from_unix(secs);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

pub(super) fn setup_deadline(st: &WebState) -> String {
    local_stamp(st.opts.started_unix + SETUP_WINDOW.as_secs() as i64)
}

async fn first_run(
    st: &WebState,
    conf: &ConfigState,
    headers: &HeaderMap,
    ip: IpAddr,
    username: String,
    password: String,
) -> Response {
    if st.uptime() > SETUP_WINDOW {
        return login_reply(
            500,
            format!(
                "Need to complete the username and password setting before {}, please restart ddns-rs",
                setup_deadline(st)
            ),
        );
    }
    // Decided from the socket, never from Referer (a ddns-go quirk let WAN access through).
    let lan_only = is_lan(ip);
    if let Err(e) = crate::config::password::check_strength(&password, lan_only) {
        return login_reply(500, e.to_string());
    }
    let _guard = st.save_lock.lock().await;
    let Some(mut config) = conf.config_or_default() else {
        return login_reply(500, "The config file cannot be read; fix it and try again");
    };
    let hash = match tokio::task::spawn_blocking(move || store::hash_password(&password)).await {
        Ok(Ok(h)) => h,
        _ => return login_reply(500, "Could not hash the password; try again"),
    };
    config.user.username = username.clone();
    config.user.password = hash;
    config.notallowwanaccess = lan_only;
    if let Err(e) = store::save(&st.opts.config_path, &config) {
        tracing::error!("{e}");
        return login_reply(500, e.to_string());
    }
    tracing::info!("Account {username:?} created; {username:?} logged in successfully");
    st.send(Control::NewConfig(Box::new(config)));
    start_session(st, headers, lan_only, "Login successful")
}

async fn logout(State(st): St, headers: HeaderMap) -> Response {
    if let Some(t) = token_cookie(&headers) {
        st.sessions().end(&t);
    }
    let mut r = redirect(StatusCode::FOUND, "./login");
    let clear = if st.opts.https {
        "token=; Max-Age=0; HttpOnly; SameSite=Strict; Secure"
    } else {
        "token=; Max-Age=0; HttpOnly; SameSite=Strict"
    };
    r.headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_static(clear));
    r
}
