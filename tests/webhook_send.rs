//! Sending webhooks to a local server: what arrives on the wire, and how errors look.

mod fakes;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use ddns_rs::config::Webhook;
use ddns_rs::notify::{FamilyResult, RunReport, WebhookError, build_request, send};
use fakes::Seen;

/// A server that records every request; `/fail*` answers 500, `/big` a long body, else 200.
async fn recorder() -> (std::net::SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let state = log.clone();
    let router = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                state
                    .lock()
                    .unwrap()
                    .push(fakes::seen(&method, &uri, &headers, &body));
                match uri.path() {
                    p if p.starts_with("/fail") => (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "boom: database down".to_string(),
                    ),
                    "/big" => (StatusCode::OK, "x".repeat(5000)),
                    _ => (StatusCode::OK, "received".to_string()),
                }
            }
        },
    );
    (fakes::serve_http(router).await, log)
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn report() -> RunReport {
    RunReport {
        ipv4_addr: "198.51.100.4".into(),
        ipv6_result: FamilyResult::Unchanged,
        ipv4_result: FamilyResult::Success,
        ipv4_domains: vec!["home.example.org".into()],
        ..RunReport::default()
    }
}

#[tokio::test]
async fn get_arrives_with_query_and_headers() {
    let (addr, log) = recorder().await;
    let w = Webhook {
        webhookurl: format!("http://{addr}/notify?z=#{{ipv4Domains}}&ip=#{{ipv4Addr}}&msg=new ip"),
        webhookrequestbody: String::new(),
        webhookheaders: "X-Token: s3cret\r\nX-Multi: a\nX-Multi: b".into(),
    };
    let req = build_request(&w, &report(), "en", 7).unwrap();
    let body = send(&client(), &req).await.unwrap();
    assert_eq!(body, "received");
    let seen = log.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(s.method, "GET");
    assert_eq!(
        s.uri,
        "/notify?ip=198.51.100.4&msg=new+ip&z=home.example.org"
    );
    assert_eq!(s.header("x-token"), Some("s3cret"));
    let multi: Vec<_> = s
        .headers
        .iter()
        .filter(|(k, _)| k == "x-multi")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(multi, ["a", "b"]);
    assert_eq!(s.header("content-type"), None);
    assert!(s.body.is_empty());
}

#[tokio::test]
async fn post_arrives_with_json_body_and_one_content_type() {
    let (addr, log) = recorder().await;
    let w = Webhook {
        webhookurl: format!("http://{addr}/hook/#{{ipv4Result}}"),
        webhookrequestbody: r##"{"text":"#{ipv4Addr} #{ipv4Result} #{ipv6Result} #{timestamp}"}"##
            .into(),
        webhookheaders: String::new(),
    };
    let req = build_request(&w, &report(), "zh", 1_700_000_123).unwrap();
    send(&client(), &req).await.unwrap();
    let s = log.lock().unwrap()[0].clone();
    assert_eq!(s.method, "POST");
    assert_eq!(s.uri, "/hook/%E6%88%90%E5%8A%9F"); // 成功, percent-encoded in the path
    let cts: Vec<_> = s
        .headers
        .iter()
        .filter(|(k, _)| k == "content-type")
        .collect();
    assert_eq!(cts.len(), 1);
    assert_eq!(cts[0].1, "application/json");
    assert_eq!(
        String::from_utf8(s.body).unwrap(),
        r#"{"text":"198.51.100.4 成功 未改变 1700000123"}"#
    );
}

#[tokio::test]
async fn user_content_type_is_the_only_one_on_the_wire() {
    let (addr, log) = recorder().await;
    let w = Webhook {
        webhookurl: format!("http://{addr}/ct"),
        webhookrequestbody: "{\"a\":1}".into(),
        webhookheaders: "Content-Type: application/vnd.custom+json".into(),
    };
    send(&client(), &build_request(&w, &report(), "en", 0).unwrap())
        .await
        .unwrap();
    let s = log.lock().unwrap()[0].clone();
    let cts: Vec<_> = s
        .headers
        .iter()
        .filter(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone())
        .collect();
    assert_eq!(cts, ["application/vnd.custom+json"]);
    assert_eq!(s.body, b"{\"a\":1}");
}

#[tokio::test]
async fn form_body_is_sent_verbatim() {
    let (addr, log) = recorder().await;
    let w = Webhook {
        webhookurl: format!("http://{addr}/form"),
        webhookrequestbody: "ip=#{ipv4Addr}&d=#{ipv4Domains}".into(),
        webhookheaders: String::new(),
    };
    send(&client(), &build_request(&w, &report(), "en", 0).unwrap())
        .await
        .unwrap();
    let s = log.lock().unwrap()[0].clone();
    assert_eq!(
        s.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(s.body, b"ip=198.51.100.4&d=home.example.org");
}

#[tokio::test]
async fn server_error_is_reported_with_status_and_body_but_no_token() {
    let (addr, log) = recorder().await;
    let w = Webhook {
        webhookurl: format!("http://{addr}/fail/abcdef123456?token=topsecret"),
        webhookrequestbody: String::new(),
        webhookheaders: String::new(),
    };
    let err = send(&client(), &build_request(&w, &report(), "en", 0).unwrap())
        .await
        .unwrap_err();
    match &err {
        WebhookError::Status { status, body, .. } => {
            assert_eq!(*status, 500);
            assert_eq!(body, "boom: database down");
        }
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("HTTP 500")
            && msg.contains(&format!("http://127.0.0.1:{}/fail/***", addr.port())),
        "{msg}"
    );
    assert!(
        !msg.contains("topsecret") && !msg.contains("abcdef123456"),
        "{msg}"
    );
    assert_eq!(log.lock().unwrap().len(), 1, "no retry");
}

#[tokio::test]
async fn long_response_body_is_truncated() {
    let (addr, _log) = recorder().await;
    let w = Webhook {
        webhookurl: format!("http://{addr}/big"),
        ..Webhook::default()
    };
    let body = send(&client(), &build_request(&w, &report(), "en", 0).unwrap())
        .await
        .unwrap();
    assert!(body.len() < 5000 && body.len() >= 1000, "{}", body.len());
    assert!(body.ends_with('…'));
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error_without_token() {
    // Bind then drop a listener to get a local port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let w = Webhook {
        webhookurl: format!("http://127.0.0.1:{port}/x?key=topsecret"),
        ..Webhook::default()
    };
    let err = send(&client(), &build_request(&w, &report(), "en", 0).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, WebhookError::Transport { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(!msg.contains("topsecret"), "{msg}");
    assert!(msg.contains(&format!("http://127.0.0.1:{port}/x")), "{msg}");
}
