//! The notification channels as the page sees them (tokens and secrets masked), the save rule
//! that keeps a stored credential whose mask came back, and `POST api/notify-test {index}`,
//! which sends a sample message to one saved channel and answers whether it was accepted.

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ConfigState;
use super::routes::{Conf, St, json_ok, read_json};
use super::save::mask;
use crate::config::{Config, NotifyChannel, store};
use crate::notify::{Events, RunDetails};

/// One channel in the page's shape (same field names as the YAML).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct NotifyJs {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub token: String,
    pub to: String,
    pub secret: String,
    pub events: Vec<String>,
}

/// Every channel with its token and secret masked (ddns-go's mask: first 3 bytes shown).
pub fn masked_channels(config: &Config) -> Vec<NotifyJs> {
    config
        .notify
        .iter()
        .map(|c| NotifyJs {
            kind: c.kind.clone(),
            url: c.url.clone(),
            token: mask(&c.token, ""),
            to: c.to.clone(),
            secret: mask(&c.secret, ""),
            events: c.events.clone(),
        })
        .collect()
}

/// The page's channels turned back into config, checked: a channel with an unknown type or
/// event, or a missing required field, is refused with a message naming it. A token or secret
/// equal to the mask of the stored one at the same position (same type) keeps the stored value.
pub fn apply_channels(current: &Config, page: Vec<NotifyJs>) -> Result<Vec<NotifyChannel>, String> {
    let mut out = Vec::with_capacity(page.len());
    for (k, v) in page.into_iter().enumerate() {
        let mut ch = NotifyChannel {
            kind: v.kind.trim().to_ascii_lowercase(),
            url: v.url.trim().to_string(),
            token: v.token.trim().to_string(),
            to: v.to.trim().to_string(),
            secret: v.secret.trim().to_string(),
            events: v
                .events
                .iter()
                .map(|e| e.trim().to_ascii_lowercase())
                .filter(|e| !e.is_empty())
                .collect(),
        };
        if let Some(old) = current.notify.get(k).filter(|o| o.kind == ch.kind) {
            if !old.token.is_empty() && ch.token == mask(&old.token, "") {
                ch.token = old.token.clone();
            }
            if !old.secret.is_empty() && ch.secret == mask(&old.secret, "") {
                ch.secret = old.secret.clone();
            }
        }
        crate::notify::validate_channel(&ch).map_err(|e| format!("Notification {}: {e}", k + 1))?;
        out.push(ch);
    }
    Ok(out)
}

#[derive(Deserialize)]
struct TestRequest {
    index: usize,
}

/// `POST api/notify-test {index}`: `{ok, error}` once the channel answered.
pub(super) async fn notify_test(State(st): St, Extension(conf): Conf, body: Body) -> Response {
    let req: TestRequest = match read_json(body).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let ConfigState::Loaded(config) = &*conf else {
        return json_ok(json!({"ok": false, "error": "Save the settings first"}));
    };
    let Some(channel) = config.notify.get(req.index) else {
        return json_ok(json!({
            "ok": false,
            "error": format!("There is no saved notification {}; save the settings first", req.index + 1),
        }));
    };
    let client = match crate::http::provider_client(&st.opts.http, None) {
        Ok(c) => c,
        Err(e) => return json_ok(json!({"ok": false, "error": e.to_string()})),
    };
    let events = Events {
        success: true,
        ..Events::default()
    };
    let now_ms = crate::timefmt::unix_now().saturating_mul(1000);
    let lang = store::effective_lang(config);
    let result = crate::notify::send_to_channel(
        &client,
        channel,
        &RunDetails::test_sample(),
        events,
        lang,
        now_ms,
    )
    .await;
    match result {
        Ok(()) => {
            tracing::info!(
                "Notification {} ({}) test sent",
                req.index + 1,
                channel.kind
            );
            json_ok(json!({"ok": true, "error": Value::Null}))
        }
        Err(e) => {
            tracing::error!("Notification {} test failed: {e}", req.index + 1);
            json_ok(json!({"ok": false, "error": e.to_string()}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Config {
        Config {
            notify: vec![NotifyChannel {
                kind: "dingtalk".into(),
                url: "https://oapi.dingtalk.com/robot/send?access_token=x".into(),
                secret: "SECabcdef".into(),
                ..NotifyChannel::default()
            }],
            ..Config::default()
        }
    }

    #[test]
    fn masked_secret_round_trips_to_the_stored_value() {
        let current = stored();
        let page = masked_channels(&current);
        assert_eq!(page[0].secret, "SEC******");
        let back = apply_channels(&current, page).unwrap();
        assert_eq!(back, current.notify);
    }

    #[test]
    fn a_new_type_does_not_inherit_the_old_secret() {
        let current = stored();
        let mut page = masked_channels(&current);
        page[0].kind = "feishu".into();
        page[0].url = "https://open.feishu.cn/open-apis/bot/v2/hook/x".into();
        let back = apply_channels(&current, page).unwrap();
        assert_eq!(back[0].secret, "SEC******");
    }

    #[test]
    fn invalid_channels_are_refused_by_number() {
        let page = vec![NotifyJs {
            kind: "pager".into(),
            ..NotifyJs::default()
        }];
        let err = apply_channels(&Config::default(), page).unwrap_err();
        assert!(
            err.starts_with("Notification 1: unknown notification type"),
            "{err}"
        );
    }
}
