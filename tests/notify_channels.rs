//! Each ready-made notification channel against a local fake of its service: method, path,
//! headers and body shape as the service documents them, DingTalk's and Feishu's signatures
//! recomputed here independently, answers that report an error in a 200 body, event filtering,
//! several channels at once, and a failing channel not stopping the others.

mod fakes;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ddns_rs::config::NotifyChannel;
use ddns_rs::notify::{Events, NotifyError, RunDetails, notify_all, send_to_channel};
use fakes::Seen;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

type Log = Arc<Mutex<Vec<Seen>>>;

/// A fake of every service at once: it records each request and answers the way the service
/// whose path it is would (paths under `/bad` answer the service's error shape with HTTP 200,
/// `/down` answers 500).
async fn fake() -> (SocketAddr, Log) {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let state = log.clone();
    let router = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                state
                    .lock()
                    .unwrap()
                    .push(fakes::seen(&method, &uri, &headers, &body));
                let p = uri.path();
                let bad = p.starts_with("/bad");
                let (status, text) = if p.starts_with("/down") {
                    (StatusCode::INTERNAL_SERVER_ERROR, "down".to_string())
                } else if p.ends_with("/sendMessage") {
                    (StatusCode::OK, format!(r#"{{"ok":{}}}"#, !bad))
                } else if p.ends_with("/robot/send") || p.ends_with("/cgi-bin/webhook/send") {
                    let code = if bad { 310000 } else { 0 };
                    (
                        StatusCode::OK,
                        format!(r#"{{"errcode":{code},"errmsg":"x"}}"#),
                    )
                } else if p.contains("/open-apis/bot/v2/hook/") || p.ends_with(".send") {
                    let code = if bad { 19021 } else { 0 };
                    (StatusCode::OK, format!(r#"{{"code":{code},"msg":"x"}}"#))
                } else if p.ends_with("/push") {
                    (StatusCode::OK, r#"{"code":200,"message":"success"}"#.into())
                } else if p.starts_with("/api/webhooks/") {
                    (StatusCode::NO_CONTENT, String::new())
                } else {
                    (StatusCode::OK, "ok".to_string())
                };
                (status, text)
            }
        },
    );
    (fakes::serve_http(router).await, log)
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn channel(kind: &str, url: String) -> NotifyChannel {
    NotifyChannel {
        kind: kind.into(),
        url,
        ..NotifyChannel::default()
    }
}

const NOW_MS: i64 = 1_763_700_000_123;

fn failure() -> Events {
    Events {
        failure: true,
        ..Events::default()
    }
}

/// Sends the sample details as a failure to `ch` and returns what the fake saw.
async fn one(ch: &NotifyChannel, log: &Log, lang: &str) -> (Result<(), NotifyError>, Seen) {
    let before = log.lock().unwrap().len();
    let r = send_to_channel(
        &client(),
        ch,
        &RunDetails::test_sample(),
        failure(),
        lang,
        NOW_MS,
    )
    .await;
    let seen = log.lock().unwrap();
    assert_eq!(seen.len(), before + 1, "exactly one request");
    (r, seen[before].clone())
}

fn json(s: &Seen) -> Value {
    serde_json::from_slice(&s.body).unwrap()
}

const TITLE_EN: &str = "DDNS update failed: ddns-rs test";
const BODY_EN: &str =
    "test.example.com A: 192.0.2.1 → 127.0.0.1\ntest.example.com AAAA: failed: example error";

fn assert_json_post(s: &Seen) {
    assert_eq!(s.method, "POST");
    assert!(
        s.header("content-type")
            .unwrap()
            .starts_with("application/json"),
        "{:?}",
        s.headers
    );
}

#[tokio::test]
async fn telegram_send_message() {
    let (addr, log) = fake().await;
    let mut ch = channel("telegram", format!("http://{addr}/"));
    ch.token = "123456:ABC-def".into();
    ch.to = "-1001234".into();
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert_json_post(&s);
    assert_eq!(s.uri, "/bot123456:ABC-def/sendMessage");
    let b = json(&s);
    assert_eq!(b["chat_id"], "-1001234");
    assert_eq!(b["text"], format!("{TITLE_EN}\n{BODY_EN}"));

    // `{"ok":false}` is a refusal even with HTTP 200; the token is not in the message.
    ch.url = format!("http://{addr}/bad");
    let (r, _) = one(&ch, &log, "en").await;
    let e = r.unwrap_err().to_string();
    assert!(e.contains("refused"), "{e}");
    assert!(!e.contains("ABC-def"), "{e}");
}

#[tokio::test]
async fn discord_and_slack_webhooks() {
    let (addr, log) = fake().await;
    let ch = channel("discord", format!("http://{addr}/api/webhooks/1/tok"));
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert_json_post(&s);
    assert_eq!(s.uri, "/api/webhooks/1/tok");
    assert_eq!(
        json(&s),
        serde_json::json!({"content": format!("{TITLE_EN}\n{BODY_EN}")})
    );

    let ch = channel("slack", format!("http://{addr}/services/T0/B0/xyz"));
    let (r, s) = one(&ch, &log, "zh").await;
    r.unwrap();
    assert_json_post(&s);
    assert_eq!(s.uri, "/services/T0/B0/xyz");
    let text = json(&s)["text"].as_str().unwrap().to_string();
    assert!(text.starts_with("DDNS 更新失败: ddns-rs test\n"), "{text}");
    assert!(text.ends_with("AAAA：失败：example error"), "{text}");
}

/// DingTalk's documented signature, computed here without the crate's helper.
fn dingtalk_expected(ts: &str, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}\n{secret}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Feishu's documented signature: the string to sign is the HMAC key, the message is empty.
fn feishu_expected(ts: &str, secret: &str) -> String {
    let mac = Hmac::<Sha256>::new_from_slice(format!("{ts}\n{secret}").as_bytes()).unwrap();
    STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn dingtalk_signed_query() {
    let (addr, log) = fake().await;
    let mut ch = channel(
        "dingtalk",
        format!("http://{addr}/robot/send?access_token=tok123"),
    );
    ch.secret = "SECf00+/bar".into();
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert_json_post(&s);
    let url = reqwest::Url::parse(&format!("http://h{}", s.uri)).unwrap();
    assert_eq!(url.path(), "/robot/send");
    let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("access_token").as_deref(), Some("tok123"));
    let ts = get("timestamp").unwrap();
    assert_eq!(ts, NOW_MS.to_string(), "milliseconds");
    // The raw query must carry the Base64 URL-encoded ('+', '/', '=' escaped).
    let raw_sign = s.uri.split("sign=").nth(1).unwrap();
    assert!(!raw_sign.contains(['+', '/', '=']), "{raw_sign}");
    assert_eq!(get("sign").unwrap(), dingtalk_expected(&ts, "SECf00+/bar"));
    let b = json(&s);
    assert_eq!(b["msgtype"], "text");
    assert_eq!(b["text"]["content"], format!("{TITLE_EN}\n{BODY_EN}"));

    // errcode ≠ 0 in a 200 answer is a failure.
    ch.url = format!("http://{addr}/bad/robot/send?access_token=tok123");
    let (r, _) = one(&ch, &log, "en").await;
    assert!(matches!(r, Err(NotifyError::Refused { status: 200, .. })));

    // Without a secret: no timestamp, no sign.
    ch.url = format!("http://{addr}/robot/send?access_token=tok123");
    ch.secret.clear();
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert_eq!(s.uri, "/robot/send?access_token=tok123");
}

#[tokio::test]
async fn feishu_signed_body() {
    let (addr, log) = fake().await;
    let mut ch = channel(
        "lark",
        format!("http://{addr}/open-apis/bot/v2/hook/abc-uuid"),
    );
    ch.secret = "feishu-secret".into();
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert_json_post(&s);
    assert_eq!(s.uri, "/open-apis/bot/v2/hook/abc-uuid");
    let b = json(&s);
    let ts = b["timestamp"].as_str().unwrap();
    assert_eq!(ts, (NOW_MS / 1000).to_string(), "seconds, as a string");
    assert_eq!(b["sign"], feishu_expected(ts, "feishu-secret"));
    assert_eq!(b["msg_type"], "text");
    assert_eq!(b["content"]["text"], format!("{TITLE_EN}\n{BODY_EN}"));

    ch.url = format!("http://{addr}/bad/open-apis/bot/v2/hook/abc-uuid");
    let (r, _) = one(&ch, &log, "en").await;
    assert!(r.is_err());
    ch.secret.clear();
    ch.url = format!("http://{addr}/open-apis/bot/v2/hook/abc-uuid");
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert!(json(&s).get("sign").is_none());
}

#[tokio::test]
async fn wecom_group_robot() {
    let (addr, log) = fake().await;
    let ch = channel(
        "wecom",
        format!("http://{addr}/cgi-bin/webhook/send?key=k-1"),
    );
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert_json_post(&s);
    assert_eq!(s.uri, "/cgi-bin/webhook/send?key=k-1");
    let b = json(&s);
    assert_eq!(b["msgtype"], "text");
    assert_eq!(b["text"]["content"], format!("{TITLE_EN}\n{BODY_EN}"));
    let bad = channel(
        "wecom",
        format!("http://{addr}/bad/cgi-bin/webhook/send?key=k-1"),
    );
    assert!(one(&bad, &log, "en").await.0.is_err());
}

#[tokio::test]
async fn bark_push() {
    let (addr, log) = fake().await;
    let mut ch = channel("bark", format!("http://{addr}"));
    ch.token = "devkey".into();
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert_json_post(&s);
    assert_eq!(s.uri, "/push");
    let b = json(&s);
    assert_eq!(b["device_key"], "devkey");
    assert_eq!(b["title"], TITLE_EN);
    assert_eq!(b["body"], BODY_EN);
}

#[tokio::test]
async fn serverchan_form() {
    let (addr, log) = fake().await;
    let mut ch = channel("serverchan", format!("http://{addr}"));
    ch.token = "SCT42abc".into();
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert_eq!(s.method, "POST");
    assert_eq!(s.uri, "/SCT42abc.send");
    assert_eq!(
        s.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&s.body).into_owned().collect();
    assert_eq!(
        form,
        [
            ("title".to_string(), TITLE_EN.to_string()),
            ("desp".to_string(), BODY_EN.to_string())
        ]
    );
    ch.url = format!("http://{addr}/bad");
    let (r, _) = one(&ch, &log, "en").await;
    assert!(r.is_err());
}

#[tokio::test]
async fn ntfy_json_publish_with_token() {
    let (addr, log) = fake().await;
    let mut ch = channel("ntfy", format!("http://{addr}/"));
    ch.to = "my-ddns".into();
    ch.token = "tk_secret".into();
    let (r, s) = one(&ch, &log, "zh").await;
    r.unwrap();
    assert_json_post(&s);
    assert_eq!(s.uri, "/");
    assert_eq!(s.header("authorization"), Some("Bearer tk_secret"));
    let b = json(&s);
    assert_eq!(b["topic"], "my-ddns");
    assert_eq!(b["title"], "DDNS 更新失败: ddns-rs test");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("192.0.2.1 → 127.0.0.1")
    );
}

#[tokio::test]
async fn gotify_message_with_key_header() {
    let (addr, log) = fake().await;
    let mut ch = channel("gotify", format!("http://{addr}/gotify/"));
    ch.token = "AppTok".into();
    let (r, s) = one(&ch, &log, "en").await;
    r.unwrap();
    assert_json_post(&s);
    assert_eq!(s.uri, "/gotify/message", "token not in the URL");
    assert_eq!(s.header("x-gotify-key"), Some("AppTok"));
    let b = json(&s);
    assert_eq!(b["title"], TITLE_EN);
    assert_eq!(b["message"], BODY_EN);
    assert!(b["priority"].is_number());
}

#[tokio::test]
async fn events_pick_the_channels_and_a_failing_channel_does_not_stop_the_others() {
    let (addr, log) = fake().await;
    let only = |kind: &str, path: &str, events: &[&str]| NotifyChannel {
        events: events.iter().map(|e| e.to_string()).collect(),
        ..channel(kind, format!("http://{addr}{path}"))
    };
    // A closed port: connection refused.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let channels = vec![
        only("slack", "/down/a", &[]), // all events, answers 500
        NotifyChannel {
            events: vec![],
            ..channel("slack", format!("http://{dead_addr}/b"))
        }, // all events, unreachable
        only("slack", "/c", &["success"]), // success only
        only("discord", "/api/webhooks/d", &["failure", "recovery"]),
        only("slack", "/e", &["recovery"]),
    ];
    let details = RunDetails::test_sample();
    let success = Events {
        success: true,
        ..Events::default()
    };
    let out = notify_all(&client(), &channels, &details, success, "en", NOW_MS).await;
    let idx: Vec<usize> = out.iter().map(|(i, _)| *i).collect();
    assert_eq!(idx, [0, 1, 2]);
    assert!(matches!(
        out[0].1,
        Err(NotifyError::Refused { status: 500, .. })
    ));
    assert!(matches!(out[1].1, Err(NotifyError::Transport { .. })));
    assert!(out[2].1.is_ok());
    let paths: Vec<String> = log.lock().unwrap().iter().map(|s| s.uri.clone()).collect();
    assert_eq!(paths, ["/down/a", "/c"]);

    log.lock().unwrap().clear();
    let out = notify_all(&client(), &channels, &details, failure(), "en", NOW_MS).await;
    assert_eq!(out.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 3]);
    assert!(out[2].1.is_ok());

    // A success that ends a streak: success and recovery subscribers both hear of it, each
    // with the headline of the event it asked for.
    log.lock().unwrap().clear();
    let both = Events {
        success: true,
        recovery: true,
        ..Events::default()
    };
    let out = notify_all(&client(), &channels, &details, both, "en", NOW_MS).await;
    assert_eq!(
        out.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    let seen = log.lock().unwrap();
    let text_of = |path: &str| {
        let s = seen.iter().find(|s| s.uri == path).unwrap();
        let v = json(s);
        v["text"]
            .as_str()
            .or(v["content"].as_str())
            .unwrap()
            .to_string()
    };
    assert!(
        text_of("/c").starts_with("DDNS updated"),
        "it asked for successes only"
    );
    assert!(text_of("/e").starts_with("DDNS recovered"));
    assert!(text_of("/api/webhooks/d").starts_with("DDNS recovered"));
}

#[tokio::test]
async fn a_bad_channel_is_reported_without_sending() {
    let (_addr, log) = fake().await;
    let channels = vec![
        NotifyChannel {
            kind: "telegram".into(),
            ..NotifyChannel::default()
        },
        NotifyChannel {
            kind: "slack".into(),
            url: "http://127.0.0.1:9/x".into(),
            events: vec!["sucess".into()],
            ..NotifyChannel::default()
        },
    ];
    let out = notify_all(
        &client(),
        &channels,
        &RunDetails::default(),
        failure(),
        "en",
        NOW_MS,
    )
    .await;
    assert!(matches!(
        out[0].1,
        Err(NotifyError::Missing { field: "token", .. })
    ));
    assert!(matches!(out[1].1, Err(NotifyError::UnknownEvent(_))));
    assert!(log.lock().unwrap().is_empty());
}
