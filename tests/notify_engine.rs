//! The sync engine firing the notification channels: each channel hears only the events it
//! asked for, with one line per record (old → new, or the error), a channel that fails does
//! not stop the others, and the generic webhook still fires as before. The provider is the
//! real Cloudflare client against a local fake; the address comes from a file the test edits.

mod fakes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf, NotifyChannel};
use ddns_rs::sync::status::StatusBoard;
use ddns_rs::sync::{Engine, EngineOptions};
use fakes::Seen;
use fakes::cloudflare::{CfFault, FakeCloudflare};

type Log = Arc<Mutex<Vec<Seen>>>;

/// Slack-like receiver: paths under `/down` answer 500, others "ok".
async fn receiver() -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let l2 = log.clone();
    let router = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let l2 = l2.clone();
            async move {
                l2.lock()
                    .unwrap()
                    .push(fakes::seen(&method, &uri, &headers, &body));
                if uri.path().starts_with("/down") {
                    (StatusCode::INTERNAL_SERVER_ERROR, "down")
                } else {
                    (StatusCode::OK, "ok")
                }
            }
        },
    );
    (fakes::serve_http(router).await, log)
}

/// Texts received on `path`, in order.
fn texts(log: &Log, path: &str) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|s| s.uri == path)
        .map(|s| {
            let v: serde_json::Value = serde_json::from_slice(&s.body).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test]
async fn channels_hear_their_events_with_record_lines() {
    let cf = FakeCloudflare::new("tok");
    cf.add_zone("example.com");
    let cf_addr = fakes::serve_http(cf.router()).await;
    let (rx, log) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let addr_file = dir.path().join("addr");
    std::fs::write(&addr_file, "8.8.8.8\n").unwrap();

    let slack = |path: &str, events: &[&str]| NotifyChannel {
        kind: "slack".into(),
        url: format!("http://{rx}{path}"),
        events: events.iter().map(|e| e.to_string()).collect(),
        ..NotifyChannel::default()
    };
    let mut config = Config {
        dnsconf: vec![DnsConfig {
            name: "cf".into(),
            ipv4: IpConf {
                enable: true,
                gettype: "cmd".into(),
                cmd: format!("cat {}", addr_file.display()),
                domains: vec!["www.example.com".into()],
                ..Default::default()
            },
            dns: DnsProvider {
                name: "cloudflare".into(),
                secret: "tok".into(),
                ..Default::default()
            },
            ..Default::default()
        }],
        lang: "en".into(),
        notify: vec![
            slack("/down", &[]),
            slack("/ops", &["failure", "recovery"]),
            slack("/changes", &["success"]),
        ],
        ..Default::default()
    };
    config.webhook.webhookurl = format!("http://{rx}/hook?r=#{{ipv4Result}}");
    let opts = EngineOptions {
        endpoints: HashMap::from([("cloudflare".to_string(), format!("http://{cf_addr}"))]),
        ..Default::default()
    };
    let mut e = Engine::new(config, opts, StatusBoard::default());

    e.run_once().await; // created
    std::fs::write(&addr_file, "9.9.9.9\n").unwrap();
    e.run_once().await; // updated
    e.run_once().await; // unchanged: nothing
    cf.fail_next(CfFault::Error {
        status: 502,
        code: 0,
        message: "bad gateway".into(),
    });
    e.run_once().await; // first failure
    cf.fail_next(CfFault::Error {
        status: 502,
        code: 0,
        message: "bad gateway".into(),
    });
    e.run_once().await; // still failing: nothing
    // A second failure in a row arms the entry's error backoff; "Update now" lifts it.
    e.force_compare();
    e.run_once().await; // recovered (record already right)

    assert_eq!(
        texts(&log, "/changes"),
        [
            "DDNS updated: cf\nwww.example.com A: ? → 8.8.8.8",
            "DDNS updated: cf\nwww.example.com A: 8.8.8.8 → 9.9.9.9",
        ]
    );
    let ops = texts(&log, "/ops");
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert!(
        ops[0].starts_with("DDNS update failed: cf\nwww.example.com A: failed: ")
            && ops[0].contains("bad gateway"),
        "{ops:?}"
    );
    assert_eq!(ops[1], "DDNS recovered: cf\nall records are up to date");
    // The failing channel was tried every time and stopped nobody.
    assert_eq!(texts(&log, "/down").len(), 4);
    // The generic webhook is unchanged.
    let hooks: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.uri.starts_with("/hook"))
        .map(|s| s.uri.clone())
        .collect();
    assert_eq!(
        hooks,
        [
            "/hook?r=success",
            "/hook?r=success",
            "/hook?r=failed",
            "/hook?r=unchanged"
        ]
    );
}
