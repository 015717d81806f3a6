//! Our JSON API for the new page, under `api/` (see docs/web-api.md): session probe, settings
//! state, record status, "update now", numbered logs and the IPv6 selection preview.

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::guard::no_store;
use super::routes::{Conf, St, broken, has_session, json_ok, read_json, setup_deadline};
use super::save;
use super::settings::log_snapshot;
use super::{ConfigState, SETUP_WINDOW};
use crate::config::store;
use crate::sync::schedule::Control;

pub(super) async fn api_session(
    State(st): St,
    Extension(conf): Conf,
    headers: HeaderMap,
) -> Response {
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

pub(super) async fn api_state(Extension(conf): Conf) -> Response {
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
        "notify": super::notify_api::masked_channels(&config),
        "notifyTypes": crate::notify::KINDS,
        "push": save::masked_push(&config),
        "dyndns2Presets": crate::provider::dyndns2::PRESETS
            .iter()
            .map(|(name, url)| json!({"name": name, "url": url}))
            .collect::<Vec<_>>(),
        "providers": providers,
        "interfaces": interfaces,
        "interfacesError": interfaces_error,
    }))
}

pub(super) async fn api_status(State(st): St, Extension(conf): Conf) -> Response {
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

pub(super) async fn api_update(State(st): St) -> Response {
    st.send(Control::RunNow);
    no_store(StatusCode::ACCEPTED, Json(json!({"queued": true})))
}

#[derive(Deserialize)]
pub(super) struct LogsQuery {
    after: Option<u64>,
}

pub(super) async fn api_logs(State(st): St, Query(q): Query<LogsQuery>) -> Response {
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

pub(super) async fn api_ipv6_preview(body: Body) -> Response {
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
