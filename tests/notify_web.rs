//! The notification channels through the web UI: `/save` carries them (masked credentials come
//! back as the stored ones, bad channels are refused), `api/state` shows them masked, a
//! ddns-go-style save without the key keeps them, and `api/notify-test` sends a sample to a
//! saved channel and answers whether the service accepted it.

mod fakes;
mod web_common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use ddns_rs::config::NotifyChannel;
use serde_json::{Value, json};
use web_common::{Harness, LAN, config_with_account};

const TOKEN: &str = "123456:SECRET-bot-token";

fn with_channel(url: String) -> ddns_rs::config::Config {
    let mut c = config_with_account(true);
    c.notify.push(NotifyChannel {
        kind: "telegram".into(),
        url,
        token: TOKEN.into(),
        to: "42".into(),
        events: vec!["failure".into()],
        ..NotifyChannel::default()
    });
    c
}

#[tokio::test]
async fn state_masks_and_save_keeps_the_stored_token() {
    let h = Harness::new(Some(&with_channel("http://127.0.0.1:9".into())));
    let token = h.login(LAN).await;
    let state = h.get("/api/state", LAN, Some(&token)).await.json();
    let page = state["notify"].clone();
    assert_eq!(page[0]["type"], "telegram");
    assert_eq!(
        page[0]["token"],
        format!("123{}", "*".repeat(TOKEN.len() - 3))
    );
    assert!(!state.to_string().contains("SECRET-bot-token"));
    assert!(
        state["notifyTypes"]
            .as_array()
            .unwrap()
            .contains(&json!("dingtalk"))
    );

    // The page sends the masked token back, adds a second channel.
    let mut list = page.as_array().unwrap().clone();
    list.push(json!({"type": "Discord", "url": " http://127.0.0.1:9/api/webhooks/1/x ", "events": ["success"]}));
    let r = h
        .post(
            "/save",
            LAN,
            Some(&token),
            &json!({"Username": "admin", "DnsConf": [], "Notify": list}),
        )
        .await;
    assert_eq!(r.json()["result"], "ok", "{}", r.text());
    let saved = ddns_rs::config::store::load(&h.path).unwrap().config;
    assert_eq!(saved.notify.len(), 2);
    assert_eq!(saved.notify[0].token, TOKEN);
    assert_eq!(saved.notify[0].events, ["failure"]);
    assert_eq!(saved.notify[1].kind, "discord");
    assert_eq!(saved.notify[1].url, "http://127.0.0.1:9/api/webhooks/1/x");

    // A save without the key (ddns-go's page, scripts) keeps the channels.
    let r = h
        .post(
            "/save",
            LAN,
            Some(&token),
            &json!({"Username": "admin", "DnsConf": []}),
        )
        .await;
    assert_eq!(r.json()["result"], "ok");
    let again = ddns_rs::config::store::load(&h.path).unwrap().config;
    assert_eq!(again.notify, saved.notify);

    // A broken channel is refused by number and nothing is written.
    let before = std::fs::read(&h.path).unwrap();
    let r = h
        .post(
            "/save",
            LAN,
            Some(&token),
            &json!({"Username": "admin", "DnsConf": [], "Notify": [{"type": "gotify", "url": "http://x"}]}),
        )
        .await;
    let msg = r.json()["result"].as_str().unwrap().to_string();
    assert!(
        msg.starts_with("Notification 1:") && msg.contains("`token`"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&h.path).unwrap(), before);

    // An empty list removes them all, and the key leaves the file.
    let r = h
        .post(
            "/save",
            LAN,
            Some(&token),
            &json!({"Username": "admin", "DnsConf": [], "Notify": []}),
        )
        .await;
    assert_eq!(r.json()["result"], "ok");
    assert!(!std::fs::read_to_string(&h.path).unwrap().contains("notify"));
}

#[tokio::test]
async fn try_it_sends_a_sample_to_the_saved_channel() {
    let seen: Arc<Mutex<Vec<fakes::Seen>>> = Arc::default();
    let s2 = seen.clone();
    let router = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let s2 = s2.clone();
            async move {
                s2.lock()
                    .unwrap()
                    .push(fakes::seen(&method, &uri, &headers, &body));
                if uri.path().starts_with("/bad") {
                    (StatusCode::UNAUTHORIZED, r#"{"ok":false}"#)
                } else {
                    (StatusCode::OK, r#"{"ok":true}"#)
                }
            }
        },
    );
    let addr = fakes::serve_http(router).await;
    let mut config = with_channel(format!("http://{addr}"));
    config.notify.push(NotifyChannel {
        url: format!("http://{addr}/bad"),
        ..config.notify[0].clone()
    });
    let h = Harness::new(Some(&config));
    let token = h.login(LAN).await;

    let r = h
        .post("/api/notify-test", LAN, Some(&token), &json!({"index": 0}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"ok": true, "error": null}));
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].uri, format!("/bot{TOKEN}/sendMessage"));
        let b: Value = serde_json::from_slice(&seen[0].body).unwrap();
        assert_eq!(b["chat_id"], "42");
        // The sample is sent even though the channel only subscribed to failures.
        assert!(b["text"].as_str().unwrap().contains("test.example.com"));
    }

    let r = h
        .post("/api/notify-test", LAN, Some(&token), &json!({"index": 1}))
        .await;
    let v = r.json();
    assert_eq!(v["ok"], false);
    let err = v["error"].as_str().unwrap();
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(!err.contains("SECRET"), "no token in the error: {err}");

    let r = h
        .post("/api/notify-test", LAN, Some(&token), &json!({"index": 7}))
        .await;
    assert_eq!(r.json()["ok"], false);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("save the settings first")
    );
    assert_eq!(seen.lock().unwrap().len(), 2);

    // Not logged in: 401, nothing sent.
    let r = h
        .post("/api/notify-test", LAN, None, &json!({"index": 0}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = h
        .post("/api/notify-test", LAN, Some(&token), &json!({"nope": 0}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(seen.lock().unwrap().len(), 2);
}
