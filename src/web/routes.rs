//! The routes: ddns-go's (`/login`, `/loginFunc`, `/`, `/save`, `/setLang`, `/logs`,
//! `/clearLog`, `/webhookTest`, `/logout`) and ours under `/api/`. docs/web-api.md is the
//! contract. Redirects are relative (`./login`) so the UI works under a proxy's sub-path.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Extension, Query, Request, State};
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
use super::save::{self, SaveRequest};
use super::{ConfigState, MAX_REQUEST_BODY, SETUP_WINDOW, WebState, assets};
use crate::config::Config;
use crate::config::store;
use crate::sync::schedule::Control;

type St = State<Arc<WebState>>;
type Conf = Extension<Arc<ConfigState>>;

/// Builds the router over `state`.
pub(super) fn build(state: Arc<WebState>) -> Router {
    let public = Router::new()
        .route("/login", get(login_page))
        .route("/loginFunc", post(login_func))
        .route("/logout", get(logout).post(logout))
        .route("/favicon.ico", get(favicon))
        .route("/static/{*path}", get(static_file))
        .route("/api/session", get(api_session));
    let pages = Router::new()
        .route("/", get(index))
        .route("/save", post(save_settings))
        .route("/setLang", post(set_lang))
        .route("/logs", get(logs))
        .route("/clearLog", get(clear_log).post(clear_log))
        .route("/webhookTest", post(webhook_test))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            session_or_redirect,
        ));
    let api = Router::new()
        .route("/api/state", get(api_state))
        .route("/api/status", get(api_status))
        .route("/api/update", post(api_update))
        .route("/api/logs", get(api_logs))
        .route("/api/ipv6-preview", post(api_ipv6_preview))
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
fn token_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_string())
}

fn has_session(st: &WebState, headers: &HeaderMap) -> bool {
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
async fn read_json<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
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

fn json_ok(v: Value) -> Response {
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

fn broken(msg: &str) -> ApiError {
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

fn setup_deadline(st: &WebState) -> String {
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
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("token=; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    r
}

// ---------- ddns-go's settings routes ----------

fn dns_conf_string(config: &Config) -> String {
    serde_json::to_string(&save::masked_entries(config)).unwrap_or_else(|_| "[]".into())
}

async fn save_settings(State(st): St, req: Request) -> Response {
    let own_token = token_cookie(req.headers());
    let body: SaveRequest = match read_json(req.into_body()).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let _guard = st.save_lock.lock().await;
    // Re-read under the lock: another save may have landed since the guard loaded it.
    let current = match st.load_config() {
        ConfigState::Broken(m) => return save_reply(m, "[]".into()),
        other => other.config_or_default().unwrap_or_default(),
    };
    // Hashing a new password is slow on purpose: keep it off the event loop.
    let applied = match tokio::task::spawn_blocking(move || save::apply(&current, body)).await {
        Ok(Ok(a)) => a,
        Ok(Err(msg)) => return save_reply(msg, "[]".into()),
        Err(_) => return save_reply("internal error; try again".into(), "[]".into()),
    };
    for w in &applied.warnings {
        tracing::warn!("{w}");
    }
    if let Err(e) = store::save(&st.opts.config_path, &applied.config) {
        tracing::error!("{e}");
        return save_reply(e.to_string(), "[]".into());
    }
    if applied.account_changed {
        st.sessions().end_others(own_token.as_deref());
    }
    tracing::info!("Settings saved");
    let dns_conf = dns_conf_string(&applied.config);
    st.send(Control::NewConfig(Box::new(applied.config)));
    save_reply("ok".into(), dns_conf)
}

fn save_reply(result: String, dns_conf: String) -> Response {
    json_ok(json!({"result": result, "dnsConf": dns_conf}))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LangRequest {
    #[serde(rename = "Lang")]
    lang: String,
}

async fn set_lang(State(st): St, body: Body) -> Response {
    let req: LangRequest = match read_json(body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let lang = if req.lang.trim().starts_with("zh") {
        "zh"
    } else {
        "en"
    };
    let _guard = st.save_lock.lock().await;
    let Some(mut config) = st.load_config().config_or_default() else {
        return json_ok(
            json!({"Code": 500, "Msg": "The config file cannot be read; fix it first"}),
        );
    };
    config.lang = lang.to_string();
    if let Err(e) = store::save(&st.opts.config_path, &config) {
        return json_ok(json!({"Code": 500, "Msg": e.to_string()}));
    }
    st.send(Control::NewConfig(Box::new(config)));
    json_ok(json!({"result": "ok", "lang": lang}))
}

/// ddns-go's log panel shows this many lines.
const COMPAT_LOG_LINES: usize = 50;

/// The kept log lines and the sequence number of the newest, read consistently.
fn log_snapshot(st: &WebState) -> (u64, Vec<String>) {
    loop {
        let before = st.opts.logs.total();
        let lines = st.opts.logs.lines();
        if st.opts.logs.total() == before {
            return (before, lines);
        }
    }
}

async fn logs(State(st): St) -> Response {
    let (_, lines) = log_snapshot(&st);
    let skip = lines.len().saturating_sub(COMPAT_LOG_LINES);
    let out: Vec<String> = lines.into_iter().skip(skip).map(|l| l + "\n").collect();
    no_store(StatusCode::OK, Json(out))
}

async fn clear_log(State(st): St) -> Response {
    st.opts.logs.clear();
    StatusCode::OK.into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WebhookTestRequest {
    #[serde(rename = "URL")]
    url: String,
    #[serde(rename = "RequestBody")]
    request_body: String,
    #[serde(rename = "Headers")]
    headers: String,
}

async fn webhook_test(State(st): St, Extension(conf): Conf, body: Body) -> Response {
    let req: WebhookTestRequest = match read_json(body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if req.url.trim().is_empty() {
        tracing::warn!("Please enter the Webhook URL");
        return StatusCode::OK.into_response();
    }
    let hook = crate::config::Webhook {
        webhookurl: req.url.trim().to_string(),
        webhookrequestbody: req.request_body.trim().to_string(),
        webhookheaders: req.headers.trim().to_string(),
    };
    let lang = match &*conf {
        ConfigState::Loaded(c) => store::effective_lang(c),
        _ => "en",
    };
    let report = crate::notify::RunReport::test_sample();
    let http = st.opts.http.clone();
    let built = crate::notify::build_request(&hook, &report, lang, crate::timefmt::unix_now());
    // Answer at once, as ddns-go does; the outcome goes to the log.
    tokio::spawn(async move {
        let req = match built {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("Failed to call Webhook! Exception: {e}");
                return;
            }
        };
        for w in &req.warnings {
            tracing::warn!("{w}");
        }
        let target = crate::notify::redact_url(req.url.as_str());
        let client = match crate::http::provider_client(&http, None) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("Failed to call Webhook {target}! Exception: {e}");
                return;
            }
        };
        match crate::notify::send(&client, &req).await {
            Ok(body) => {
                tracing::info!("Successfully called Webhook {target}! Response body: {body}")
            }
            Err(e) => tracing::error!("Failed to call Webhook {target}! Exception: {e}"),
        }
    });
    StatusCode::OK.into_response()
}

// ---------- our JSON API ----------

async fn api_session(State(st): St, Extension(conf): Conf, headers: HeaderMap) -> Response {
    let setup = conf.needs_setup();
    let lang = match &*conf {
        ConfigState::Loaded(c) if !c.lang.is_empty() => store::effective_lang(c),
        _ => "",
    };
    json_ok(json!({
        "version": crate::VERSION,
        "lang": lang,
        "loggedIn": has_session(&st, &headers),
        "setup": setup,
        "setupOpen": setup && st.uptime() <= SETUP_WINDOW,
        "setupDeadline": if setup { Value::String(setup_deadline(&st)) } else { Value::Null },
    }))
}

async fn api_state(Extension(conf): Conf) -> Response {
    let config = match &*conf {
        ConfigState::Broken(m) => return broken(m).into_response(),
        other => other.config_or_default().unwrap_or_default(),
    };
    let providers: Vec<Value> = crate::provider::PROVIDERS
        .iter()
        .map(|m| {
            json!({
                "key": m.key, "name": m.name, "idLabel": m.id_label,
                "secretLabel": m.secret_label, "extParamLabel": m.extparam_label,
                "helpUrl": m.help_url, "help": m.help, "defaultTtl": m.default_ttl,
                "changeOnly": m.change_only,
            })
        })
        .collect();
    let (interfaces, interfaces_error) = match crate::detect::list_interfaces() {
        Ok(list) => (
            list.iter()
                .map(|i| {
                    json!({
                        "name": i.name,
                        "ipv4": i.ipv4.iter().map(|a| a.ip.to_string()).collect::<Vec<_>>(),
                        "ipv6": i.ipv6.iter().map(|a| json!({
                            "address": a.ip.to_string(),
                            "temporary": a.flags.temporary,
                            "deprecated": a.flags.deprecated,
                            "tentative": a.flags.tentative,
                            "dadfailed": a.flags.dadfailed,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect::<Vec<_>>(),
            Value::Null,
        ),
        Err(e) => (Vec::new(), Value::String(e.to_string())),
    };
    json_ok(json!({
        "version": crate::VERSION,
        "lang": if config.lang.is_empty() { "" } else { store::effective_lang(&config) },
        "username": config.user.username,
        "notAllowWanAccess": config.notallowwanaccess,
        "webhookURL": config.webhook.webhookurl,
        "webhookRequestBody": config.webhook.webhookrequestbody,
        "webhookHeaders": config.webhook.webhookheaders,
        "dnsConf": save::masked_entries(&config),
        "providers": providers,
        "interfaces": interfaces,
        "interfacesError": interfaces_error,
    }))
}

async fn api_status(State(st): St, Extension(conf): Conf) -> Response {
    let names: Vec<String> = match &*conf {
        ConfigState::Loaded(c) => c.dnsconf.iter().map(|d| d.name.clone()).collect(),
        _ => Vec::new(),
    };
    let records: Vec<Value> = st
        .opts
        .status
        .snapshot()
        .into_iter()
        .map(|r| {
            json!({
                "entry": r.entry,
                "entryName": names.get(r.entry).cloned().unwrap_or_default(),
                "domain": r.domain,
                "type": r.rtype.as_str(),
                "published": r.published,
                "outcome": r.outcome.label(),
                "changedAt": r.changed_at,
                "checkedAt": r.checked_at,
                "error": r.error,
            })
        })
        .collect();
    json_ok(json!({
        "records": records,
        "logTotal": st.opts.logs.total(),
        "running": st.opts.control.is_running(),
    }))
}

async fn api_update(State(st): St) -> Response {
    st.send(Control::RunNow);
    no_store(StatusCode::ACCEPTED, Json(json!({"queued": true})))
}

#[derive(Deserialize)]
struct LogsQuery {
    after: Option<u64>,
}

async fn api_logs(State(st): St, Query(q): Query<LogsQuery>) -> Response {
    let (total, lines) = log_snapshot(&st);
    let first = total + 1 - lines.len() as u64; // sequence number of lines[0]
    let after = q.after.unwrap_or(0);
    let skip = after.saturating_sub(first - 1).min(lines.len() as u64) as usize;
    let lines: Vec<String> = lines.into_iter().skip(skip).collect();
    json_ok(json!({"total": total, "lines": lines}))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PreviewRequest {
    net_interface: String,
    ipv6_reg: String,
}

async fn api_ipv6_preview(body: Body) -> Response {
    let req: PreviewRequest = match read_json(body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    // The same function detection uses, so the preview is what would be published.
    match crate::detect::detect_iface(
        &req.net_interface,
        crate::detect::Family::V6,
        req.ipv6_reg.trim(),
    ) {
        Ok(a) => json_ok(json!({"ok": true, "address": a.to_string(), "error": Value::Null})),
        Err(e) => json_ok(json!({"ok": false, "address": Value::Null, "error": e.to_string()})),
    }
}
