//! ddns-go's settings routes: `/save` (save semantics in `save`), `/setLang`, `/logs`,
//! `/clearLog`, `/webhookTest`. Same paths, methods and JSON field names as ddns-go.

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::guard::no_store;
use super::routes::{Conf, St, json_ok, read_json, token_cookie};
use super::save::{self, SaveRequest};
use super::{ConfigState, WebState};
use crate::config::Config;
use crate::config::store;
use crate::sync::schedule::Control;

fn dns_conf_string(config: &Config) -> String {
    serde_json::to_string(&save::masked_entries(config)).unwrap_or_else(|_| "[]".into())
}

pub(super) async fn save_settings(State(st): St, req: Request) -> Response {
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
    // A `${env:…}`/`${file:…}` reference the daemon cannot resolve would make the next load
    // fail: refuse it now, with the entry and the reference named, and write nothing.
    if let Err(e) =
        crate::config::secrets::check_config(&applied.config, &|n| std::env::var(n).ok())
    {
        return save_reply(e.to_string(), "[]".into());
    }
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

pub(super) async fn set_lang(State(st): St, body: Body) -> Response {
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
pub(super) fn log_snapshot(st: &WebState) -> (u64, Vec<String>) {
    loop {
        let before = st.opts.logs.total();
        let lines = st.opts.logs.lines();
        if st.opts.logs.total() == before {
            return (before, lines);
        }
    }
}

pub(super) async fn logs(State(st): St) -> Response {
    let (_, lines) = log_snapshot(&st);
    let skip = lines.len().saturating_sub(COMPAT_LOG_LINES);
    let out: Vec<String> = lines.into_iter().skip(skip).map(|l| l + "\n").collect();
    no_store(StatusCode::OK, Json(out))
}

pub(super) async fn clear_log(State(st): St) -> Response {
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

pub(super) async fn webhook_test(State(st): St, Extension(conf): Conf, body: Body) -> Response {
    let req: WebhookTestRequest = match read_json(body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if req.url.trim().is_empty() {
        tracing::warn!("Please enter the Webhook URL");
        return StatusCode::OK.into_response();
    }
    // `${env:…}`/`${file:…}` references are resolved for the test as for a real send.
    let resolve = |key, v: &str| crate::config::secrets::resolve(key, v.trim());
    let hook = match (
        resolve("webhook.webhookurl", &req.url),
        resolve("webhook.webhookheaders", &req.headers),
    ) {
        (Ok(url), Ok(headers)) => crate::config::Webhook {
            webhookurl: url,
            webhookrequestbody: req.request_body.trim().to_string(),
            webhookheaders: headers,
        },
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!("Failed to call Webhook! {e}");
            return StatusCode::OK.into_response();
        }
    };
    let lang = match &*conf {
        ConfigState::Loaded(c) => store::effective_lang(c),
        _ => "en",
    };
    // With a reference in the URL, the log shows the URL as written, not the secret.
    let shown = crate::config::secrets::has_reference(&req.url)
        .then(|| crate::notify::redact_url(req.url.trim()));
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
        let target = shown.unwrap_or_else(|| crate::notify::redact_url(req.url.as_str()));
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
