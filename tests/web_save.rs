//! Settings over HTTP: ddns-go's `/save` contract (masking round-trip, trimming, YAML written
//! atomically with mode 0600, the daemon told at once), `/setLang`, the log routes, the webhook
//! test, our `api/` routes, and a full session in which no secret ever appears in a response or
//! a log line.

mod web_common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use ddns_rs::config::{Config, DnsConfig};
use ddns_rs::provider::RecordType;
use ddns_rs::sync::schedule::Control;
use ddns_rs::sync::status::Observation;
use serde_json::{Value, json};
use web_common::*;

const SECRET: &str = "sk-Very-Secret-Token-4f1b2c";
const KEY_ID: &str = "AKID-Hidden-Key-Id-77";

/// The `lines` of an `/api/logs` answer.
fn log_lines(answer: &serde_json::Value) -> Vec<&str> {
    answer["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

fn config_with_entry() -> Config {
    let mut c = config_with_account(true);
    let mut e = DnsConfig {
        name: "home".into(),
        ..DnsConfig::default()
    };
    e.dns.name = "cloudflare".into();
    e.dns.id = KEY_ID.into();
    e.dns.secret = SECRET.into();
    e.ipv4.enable = true;
    e.ipv4.gettype = "url".into();
    e.ipv4.url = "https://myip.example".into();
    e.ipv4.domains = vec!["a.example.com".into()];
    c.dnsconf.push(e);
    c
}

#[tokio::test]
async fn save_keeps_masked_secrets_writes_0600_atomically_and_wakes_the_daemon() {
    let mut h = Harness::new(Some(&config_with_entry()));
    let token = h.login(LAN).await;
    let state = h.get("/api/state", LAN, Some(&token)).await.json();
    let entry = state["dnsConf"][0].clone();
    assert_eq!(
        entry["DnsSecret"],
        format!("sk-{}", "*".repeat(SECRET.len() - 3))
    );
    assert_eq!(
        entry["DnsID"],
        format!("AKI{}", "*".repeat(KEY_ID.len() - 3))
    );
    assert_eq!(entry["Ipv4Domains"], "a.example.com");
    assert_eq!(entry["Name"], "home");

    // The page sends the masked entry back with edits; a second, new entry with a new secret.
    let mut edited = entry.clone();
    edited["Ipv4Domains"] = json!("a.example.com\r\nb.example.com");
    edited["Ipv4Url"] = json!("  https://ip2.example  ");
    edited["Ipv6Reg"] = json!("  @2 ");
    edited["Ipv6NetInterface"] = json!(" eth0 ");
    let new_entry = json!({"Name": "second", "DnsName": "alidns", "DnsID": " id2 ", "DnsSecret": "newsecret2",
                           "Ipv6Enable": true, "Ipv6GetType": "netInterface", "Ipv6Domains": "v6.example.com\nw.example.com"});
    let body = json!({
        "Username": " admin ", "Password": "", "NotAllowWanAccess": true,
        "WebhookURL": " https://hook.example/x ", "WebhookRequestBody": "", "WebhookHeaders": "",
        "DnsConf": [edited, Value::Null, new_entry],
    });
    h.drain_control();
    let r = h.post("/save", LAN, Some(&token), &body).await;
    assert_eq!(r.status, StatusCode::OK);
    let reply = r.json();
    assert_eq!(reply["result"], "ok", "{reply}");
    // dnsConf is a JSON string holding the masked entries (double-encoded, as ddns-go).
    let conf: Value = serde_json::from_str(reply["dnsConf"].as_str().unwrap()).unwrap();
    assert_eq!(conf.as_array().unwrap().len(), 2);
    assert_eq!(conf[1]["DnsSecret"], "new*******");

    let saved = ddns_rs::config::store::load(&h.path).unwrap().config;
    assert_eq!(saved.dnsconf[0].dns.secret, SECRET);
    assert_eq!(saved.dnsconf[0].dns.id, KEY_ID);
    assert_eq!(
        saved.dnsconf[0].ipv4.domains,
        vec!["a.example.com", "b.example.com"]
    );
    assert_eq!(saved.dnsconf[0].ipv4.url, "https://ip2.example");
    assert_eq!(saved.dnsconf[0].ipv6.ipv6reg, "@2");
    assert_eq!(
        saved.dnsconf[0].ipv6.netinterface, " eth0 ",
        "NetInterface is not trimmed (ddns-go)"
    );
    assert_eq!(saved.dnsconf[1].dns.id, "id2");
    assert_eq!(saved.dnsconf[1].dns.secret, "newsecret2");
    assert_eq!(
        saved.dnsconf[1].ipv6.domains,
        vec!["v6.example.com", "w.example.com"]
    );
    assert_eq!(saved.webhook.webhookurl, "https://hook.example/x");
    assert_eq!(
        saved.user.password,
        good_hash(),
        "an empty password keeps the stored one"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&h.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Atomic: no temporary file left next to it.
    let names: Vec<_> = std::fs::read_dir(h.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("ddns.yaml")]);

    // Save = force update: the daemon got exactly the saved config.
    match h.drain_control().as_slice() {
        [Control::NewConfig(c)] => assert_eq!(**c, saved),
        other => panic!("expected one NewConfig, got {other:?}"),
    }
}

#[tokio::test]
async fn save_refuses_weak_passwords_and_missing_username_without_writing() {
    let mut h = Harness::new(Some(&config_with_entry()));
    let token = h.login(LAN).await;
    let before = std::fs::read(&h.path).unwrap();
    h.drain_control();
    let r = h
        .post(
            "/save",
            LAN,
            Some(&token),
            &json!({"Username": "admin", "Password": "abc", "DnsConf": []}),
        )
        .await;
    assert!(
        r.json()["result"]
            .as_str()
            .unwrap()
            .starts_with("Password is not secure!")
    );
    assert_eq!(r.json()["dnsConf"], "[]");
    let r = h
        .post(
            "/save",
            LAN,
            Some(&token),
            &json!({"Username": "  ", "DnsConf": []}),
        )
        .await;
    assert_eq!(r.json()["result"], "Username/Password is required");
    assert_eq!(std::fs::read(&h.path).unwrap(), before);
    assert!(h.drain_control().is_empty());
}

#[tokio::test]
async fn save_refuses_a_secret_reference_that_cannot_be_resolved() {
    let mut h = Harness::new(Some(&config_with_entry()));
    let token = h.login(LAN).await;
    let before = std::fs::read(&h.path).unwrap();
    h.drain_control();
    let entry = json!({"Name": "ref", "DnsName": "cloudflare", "DnsID": "",
        "DnsSecret": "${env:DDNS_RS_TEST_SURELY_UNSET_VAR}", "Ipv4Enable": true,
        "Ipv4GetType": "url", "Ipv4Domains": "a.example.com"});
    let r = h
        .post(
            "/save",
            LAN,
            Some(&token),
            &json!({"Username": "admin", "DnsConf": [null, entry]}),
        )
        .await;
    let msg = r.json()["result"].as_str().unwrap().to_string();
    assert!(
        msg.contains("${env:DDNS_RS_TEST_SURELY_UNSET_VAR}"),
        "{msg}"
    );
    assert!(msg.contains("dns.secret"), "{msg}");
    assert_eq!(std::fs::read(&h.path).unwrap(), before);
    assert!(h.drain_control().is_empty());
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let h = Harness::new(Some(&config_with_entry()));
    let mine = h.login(LAN).await;
    let other = h.login("10.0.0.8:1").await;
    let r = h
        .post("/save", LAN, Some(&mine), &json!({"Username": "admin", "Password": "An0ther-Strong-Passphrase", "NotAllowWanAccess": true, "DnsConf": []}))
        .await;
    assert_eq!(r.json()["result"], "ok");
    assert_eq!(h.get("/", LAN, Some(&mine)).await.status, StatusCode::OK);
    assert_eq!(
        h.get("/", LAN, Some(&other)).await.status,
        StatusCode::TEMPORARY_REDIRECT
    );
}

#[tokio::test]
async fn set_lang_logs_and_status() {
    let mut h = Harness::new(Some(&config_with_entry()));
    let token = h.login(LAN).await;
    let r = h
        .post("/setLang", LAN, Some(&token), &json!({"Lang": "zh-CN"}))
        .await;
    assert_eq!(r.json(), json!({"result": "ok", "lang": "zh"}));
    assert_eq!(
        ddns_rs::config::store::load(&h.path).unwrap().config.lang,
        "zh"
    );
    assert!(matches!(h.drain_control().as_slice(), [Control::NewConfig(c)] if c.lang == "zh"));

    // Logs: ddns-go's array with trailing newlines, and ours with sequence numbers.
    tracing::info!("web-test marker line");
    let lines: Vec<String> =
        serde_json::from_slice(&h.get("/logs", LAN, Some(&token)).await.body).unwrap();
    assert!(lines.len() <= 50);
    assert!(lines.iter().all(|l| l.ends_with('\n')));
    let all = h.get("/api/logs", LAN, Some(&token)).await.json();
    let total = all["total"].as_u64().unwrap();
    assert!(total >= 1);
    let newer = h
        .get(&format!("/api/logs?after={total}"), LAN, Some(&token))
        .await
        .json();
    // The log is process-wide and the other tests of this file log in parallel (logins), so
    // lines after `total` may already exist; what matters is that the marker is not among them
    // before it is logged, and is after.
    let before = log_lines(&newer);
    assert!(
        !before.iter().any(|l| l.ends_with("web-test second marker")),
        "{before:?}"
    );
    tracing::info!("web-test second marker");
    let newer = h
        .get(&format!("/api/logs?after={total}"), LAN, Some(&token))
        .await
        .json();
    let got = log_lines(&newer);
    assert!(
        got.iter().any(|l| l.ends_with("web-test second marker")),
        "{got:?}"
    );
    assert!(newer["total"].as_u64().unwrap() > total);

    // Status: the board's records, the log total for the badge.
    h.status.record(
        0,
        "a.example.com",
        RecordType::A,
        Observation::updated("203.0.113.7".into()),
        1_700_000_000,
    );
    h.status.record(
        0,
        "a.example.com",
        RecordType::Aaaa,
        Observation::failed("boom".into()),
        1_700_000_100,
    );
    let s = h.get("/api/status", LAN, Some(&token)).await.json();
    assert_eq!(s["records"][0]["domain"], "a.example.com");
    assert_eq!(s["records"][0]["type"], "A");
    assert_eq!(s["records"][0]["published"], "203.0.113.7");
    assert_eq!(s["records"][0]["outcome"], "updated");
    assert_eq!(s["records"][0]["changedAt"], 1_700_000_000);
    assert_eq!(s["records"][0]["entryName"], "home");
    assert_eq!(s["records"][1]["error"], "boom");
    assert_eq!(s["records"][1]["changedAt"], Value::Null);
    assert!(s["logTotal"].as_u64().unwrap() >= total);
    assert_eq!(s["running"], false);

    // Clear (GET as ddns-go's page, POST as ours): the kept lines go, the count stays.
    let r = h.get("/clearLog", LAN, Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn state_lists_providers_and_interfaces_and_preview_reports_errors() {
    let h = Harness::new(Some(&config_with_entry()));
    let token = h.login(LAN).await;
    let s = h.get("/api/state", LAN, Some(&token)).await.json();
    assert_eq!(s["username"], "admin");
    assert_eq!(s["notAllowWanAccess"], true);
    assert_eq!(s["version"], ddns_rs::VERSION);
    let keys: Vec<&str> = s["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = ddns_rs::provider::PROVIDERS.iter().map(|m| m.key).collect();
    assert_eq!(keys, expected);
    assert!(s["providers"][0]["secretLabel"].is_string());
    assert!(s["interfaces"].is_array());
    let r = h
        .post(
            "/api/ipv6-preview",
            LAN,
            Some(&token),
            &json!({"netInterface": "no-such-if0", "ipv6Reg": "@1"}),
        )
        .await
        .json();
    assert_eq!(r["ok"], false);
    assert!(r["error"].as_str().unwrap().contains("no-such-if0"), "{r}");
    // The preview agrees with detection itself.
    let direct = ddns_rs::detect::detect_iface("no-such-if0", ddns_rs::detect::Family::V6, "@1")
        .unwrap_err();
    assert_eq!(r["error"], direct.to_string());
    let r = h
        .post(
            "/api/ipv6-preview",
            LAN,
            Some(&token),
            &json!({"netInterface": "lo", "ipv6Reg": ""}),
        )
        .await
        .json();
    // Loopback has no global IPv6 address: the same error detection would log.
    assert_eq!(r["ok"], false);
}

/// A tiny webhook receiver on 127.0.0.1 recording request bodies.
async fn webhook_receiver() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let s = s.clone();
            async move {
                s.lock().unwrap().push(body);
                "received"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

#[tokio::test]
async fn webhook_test_sends_fake_data_and_reports_in_the_log() {
    let h = Harness::new(Some(&config_with_entry()));
    let token = h.login(LAN).await;
    let (addr, seen) = webhook_receiver().await;
    let url = format!("http://{addr}/hook");
    let r = h
        .post("/webhookTest", LAN, Some(&token), &json!({"URL": url, "RequestBody": "{\"ip\":\"#{ipv4Addr}\",\"r\":\"#{ipv4Result}\",\"d\":\"#{ipv6Domains}\"}", "Headers": ""}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
    // The answer does not wait for the webhook; wait for the receiver (bounded by the test).
    for _ in 0..3000 {
        if !seen.lock().unwrap().is_empty()
            && h.logs
                .lines()
                .iter()
                .any(|l| l.contains("Successfully called Webhook"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["{\"ip\":\"127.0.0.1\",\"r\":\"success\",\"d\":\"test.example.com\"}"]
    );
    assert!(
        h.logs
            .lines()
            .iter()
            .any(|l| l.contains("Successfully called Webhook") && l.contains("received"))
    );
    let r = h
        .post("/webhookTest", LAN, Some(&token), &json!({"URL": "  "}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        h.logs
            .lines()
            .iter()
            .any(|l| l.ends_with("Please enter the Webhook URL"))
    );
}

#[tokio::test]
async fn no_secret_in_any_response_or_log_line_of_a_full_session() {
    let h = Harness::new(Some(&config_with_entry()));
    let mut bodies: Vec<String> = Vec::new();
    let r = h
        .post(
            "/loginFunc",
            LAN,
            None,
            &json!({"Username": "admin", "Password": GOOD_PW}),
        )
        .await;
    bodies.push(r.text());
    let token = r.token().unwrap();
    for path in [
        "/",
        "/login",
        "/api/session",
        "/api/state",
        "/api/status",
        "/logs",
        "/api/logs",
        "/nope",
        "/static/app.js",
    ] {
        let r = h.get(path, LAN, Some(&token)).await;
        bodies.push(r.text());
        bodies.push(format!("{:?}", r.headers));
    }
    let state = h.get("/api/state", LAN, Some(&token)).await.json();
    let body = json!({"Username": "admin", "Password": "", "NotAllowWanAccess": true, "DnsConf": state["dnsConf"]});
    let r = h.post("/save", LAN, Some(&token), &body).await;
    assert_eq!(r.json()["result"], "ok");
    bodies.push(r.text());
    bodies.push(
        h.post("/api/update", LAN, Some(&token), &json!({}))
            .await
            .text(),
    );
    bodies.push(
        h.post("/setLang", LAN, Some(&token), &json!({"Lang": "en"}))
            .await
            .text(),
    );
    bodies.push(h.get("/logs", LAN, Some(&token)).await.text());
    bodies.push(h.get("/api/logs", LAN, Some(&token)).await.text());
    // The secret survived the round-trip on disk...
    let saved = ddns_rs::config::store::load(&h.path).unwrap().config;
    assert_eq!(saved.dnsconf[0].dns.secret, SECRET);
    // ...and was never shown or logged, nor was the password.
    for b in &bodies {
        for s in [SECRET, KEY_ID, GOOD_PW, &saved.user.password] {
            assert!(!b.contains(s), "secret {s:?} in response {b}");
        }
    }
    for l in h.logs.lines() {
        for s in [SECRET, KEY_ID, GOOD_PW] {
            assert!(!l.contains(s), "secret {s:?} in log line {l}");
        }
    }
}

#[tokio::test]
async fn api_update_queues_a_run_and_a_wan_save_is_refused() {
    let mut h = Harness::new(Some(&config_with_entry()));
    let token = h.login(LAN).await;
    h.drain_control();
    let r = h
        .req(
            Method::POST,
            "/api/update",
            LAN,
            &[
                ("cookie", &format!("token={token}")),
                ("sec-fetch-site", "same-origin"),
            ],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(h.drain_control(), vec![Control::RunNow]);
    // Even with a valid token, a WAN client is refused when WAN access is off.
    let r = h.post("/save", WAN, Some(&token), &json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(h.drain_control().is_empty());
}
