//! `gettype: url` against lying echo servers on 127.0.0.1: every kind of bad answer must fall
//! through to the next URL, and when all lie the error must say what each one did.
mod fakes;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use ddns_rs::config::IpConf;
use ddns_rs::detect::{DetectCtx, DetectError, Family, detect, detect_url};
use ddns_rs::http::MAX_BODY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Short per-URL deadline so the hanging servers do not cost 10 s each.
const TEST_TIMEOUT: Duration = Duration::from_millis(500);

const CHALLENGE: &str = "<!DOCTYPE html><html><head><title>Just a moment...</title></head>\
    <body><script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/1.2.1.1/v1\"></script></body></html>";

/// The echo server: records each path asked for, then lies (or not) as the path says.
async fn echo_server() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let hits = Arc::new(Mutex::new(Vec::new()));
    let log = hits.clone();
    let router = Router::new().fallback(move |uri: Uri| {
        let log = log.clone();
        async move {
            let path = uri.path().to_string();
            log.lock().unwrap().push(path.clone());
            answer(&path).await
        }
    });
    (fakes::serve_http(router).await, hits)
}

async fn answer(path: &str) -> Response {
    match path {
        "/challenge" => (StatusCode::FORBIDDEN, Html(CHALLENGE)).into_response(),
        "/challenge200" => Html(CHALLENGE).into_response(),
        "/private" => "10.0.0.1\n".into_response(),
        "/doc" => "Your IP: 203.0.113.9".into_response(),
        "/empty" => "".into_response(),
        "/hang" => std::future::pending::<Response>().await,
        "/big" => format!("8.8.4.4 {}", "x".repeat(MAX_BODY)).into_response(),
        "/html" => {
            Html("<html><body><h1>What is my IP</h1>Current IP Address: 8.8.8.8</body></html>")
                .into_response()
        }
        "/json" => r#"{"ip":"1.1.1.1","country":"X"}"#.into_response(),
        "/v6" => "2606:4700:4700::1111\n".into_response(),
        "/ula" => "fd12:3456::1\n".into_response(),
        "/mapped" => "::ffff:8.8.8.8\n".into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A raw TCP server that reads the request and then runs `respond` on the socket.
async fn raw_server<F, Fut>(respond: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                continue;
            };
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                respond(sock).await;
            });
        }
    });
    addr
}

/// Closes the connection right after the request: no response at all.
async fn reset_server() -> SocketAddr {
    raw_server(|sock| async move { drop(sock) }).await
}

/// Sends headers and then one byte of body every 50 ms, forever.
async fn trickle_server() -> SocketAddr {
    raw_server(|mut sock| async move {
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n8.8.8")
            .await;
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if sock.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
    .await
}

/// A chunked body (no Content-Length) much larger than the limit, starting with an honest answer.
async fn chunked_big_server() -> SocketAddr {
    raw_server(|mut sock| async move {
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n8.8.4.4 \r\n")
            .await;
        let chunk = format!("{:x}\r\n{}\r\n", 65536, "y".repeat(65536));
        for _ in 0..(MAX_BODY / 65536 + 4) {
            if sock.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = sock.write_all(b"0\r\n\r\n").await;
    })
    .await
}

/// A port nothing listens on.
async fn refused_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A plain client: these servers speak HTTP on 127.0.0.1, whatever family the answer is for.
fn client() -> reqwest::Client {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .build()
        .unwrap()
}

fn reason(err: DetectError) -> String {
    let DetectError::Failed { reason, .. } = err;
    reason
}

/// Every liar in order, each with the fragment its failure reason must contain.
async fn liars() -> (Vec<(String, &'static str)>, Arc<Mutex<Vec<String>>>) {
    let (echo, hits) = echo_server().await;
    let list = vec![
        (format!("http://{echo}/challenge"), "HTTP 403"),
        (
            format!("http://{echo}/challenge200"),
            "no IPv4 address in the answer",
        ),
        (
            format!("http://{echo}/private"),
            "answer 10.0.0.1 is a private address",
        ),
        (
            format!("http://{echo}/doc"),
            "answer 203.0.113.9 is a documentation address",
        ),
        (
            format!("http://{echo}/empty"),
            "no IPv4 address in the answer",
        ),
        (format!("http://{echo}/hang"), "timed out after 0.5s"),
        (
            format!("http://{}/", reset_server().await),
            "request failed",
        ),
        (
            format!("http://{}/", trickle_server().await),
            "timed out after 0.5s",
        ),
        (
            format!("http://{echo}/big"),
            "answer larger than 1024000 bytes",
        ),
        (
            format!("http://{}/", chunked_big_server().await),
            "answer larger than 1024000 bytes",
        ),
        (
            format!("http://{}/", refused_port().await),
            "cannot connect",
        ),
        (format!("http://{echo}/nothere"), "HTTP 404"),
    ];
    (list, hits)
}

#[tokio::test]
async fn every_liar_falls_through_to_the_honest_url() {
    let (liars, hits) = liars().await;
    let (echo, _) = echo_server().await;
    let mut urls: Vec<String> = liars.iter().map(|(u, _)| u.clone()).collect();
    urls.push(format!("http://{echo}/json"));
    let got = detect_url(&urls.join(", "), Family::V4, &client(), TEST_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(got, "1.1.1.1".parse::<IpAddr>().unwrap());
    // The liars on the echo server were all asked, in order.
    let asked = hits.lock().unwrap().clone();
    assert_eq!(
        asked,
        [
            "/challenge",
            "/challenge200",
            "/private",
            "/doc",
            "/empty",
            "/hang",
            "/big",
            "/nothere"
        ]
    );
}

#[tokio::test]
async fn when_all_lie_the_reason_names_each_in_order() {
    let (liars, _) = liars().await;
    let urls: Vec<String> = liars.iter().map(|(u, _)| u.clone()).collect();
    let err = detect_url(&urls.join(","), Family::V4, &client(), TEST_TIMEOUT)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("no IPv4 address: "), "{text}");
    let why = reason(err);
    let parts: Vec<&str> = why.split("; ").collect();
    assert_eq!(parts.len(), liars.len(), "{parts:#?}");
    for ((url, why), part) in liars.iter().zip(&parts) {
        assert!(
            part.starts_with(&format!("{url}: ")),
            "{part} should start with {url}"
        );
        assert!(part.contains(why), "{part} should say {why}");
    }
    // The challenge page's bogus 1.2.1.1 never appears as an answer.
    assert!(!parts[0].contains("1.2.1.1"), "{}", parts[0]);
}

#[tokio::test]
async fn html_and_json_pages() {
    let (echo, _) = echo_server().await;
    let html = detect_url(
        &format!("http://{echo}/html"),
        Family::V4,
        &client(),
        TEST_TIMEOUT,
    )
    .await;
    assert_eq!(html.unwrap(), "8.8.8.8".parse::<IpAddr>().unwrap());
    let json = detect_url(
        &format!("http://{echo}/json"),
        Family::V4,
        &client(),
        TEST_TIMEOUT,
    )
    .await;
    assert_eq!(json.unwrap(), "1.1.1.1".parse::<IpAddr>().unwrap());
}

#[tokio::test]
async fn ipv6_skips_ula_and_mapped() {
    let (echo, _) = echo_server().await;
    let urls =
        format!("http://{echo}/ula, http://{echo}/mapped, http://{echo}/v4only, http://{echo}/v6");
    let got = detect_url(&urls, Family::V6, &client(), TEST_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(got, "2606:4700:4700::1111".parse::<IpAddr>().unwrap());

    let urls = format!("http://{echo}/ula, http://{echo}/mapped, http://{echo}/json");
    let why = reason(
        detect_url(&urls, Family::V6, &client(), TEST_TIMEOUT)
            .await
            .unwrap_err(),
    );
    assert!(
        why.contains("answer fd12:3456::1 is a unique local address"),
        "{why}"
    );
    assert!(
        why.contains("/mapped: no IPv6 address in the answer"),
        "{why}"
    );
    assert!(
        why.contains("/json: no IPv6 address in the answer"),
        "{why}"
    );
}

#[tokio::test]
async fn malformed_urls_fail_cleanly() {
    let why = reason(
        detect_url("", Family::V4, &client(), TEST_TIMEOUT)
            .await
            .unwrap_err(),
    );
    assert_eq!(why, "(empty URL): no URL given");
    let why = reason(
        detect_url(
            " , ftp://example.test/ip, file:///etc/hosts, not a url",
            Family::V4,
            &client(),
            TEST_TIMEOUT,
        )
        .await
        .unwrap_err(),
    );
    let parts: Vec<&str> = why.split("; ").collect();
    assert_eq!(parts[0], "(empty URL): no URL given");
    assert_eq!(
        parts[1],
        "ftp://example.test/ip: only http and https URLs can be used, not ftp:"
    );
    assert_eq!(
        parts[2],
        "file:///etc/hosts: only http and https URLs can be used, not file:"
    );
    assert!(
        parts[3].starts_with("not a url: not a valid URL"),
        "{}",
        parts[3]
    );
}

#[tokio::test]
async fn detect_dispatches_on_gettype() {
    let (echo, _) = echo_server().await;
    let conf = IpConf {
        enable: true,
        gettype: "url".into(),
        url: format!("http://{echo}/private,http://{echo}/html"),
        ..IpConf::default()
    };
    let ip = detect(&conf, Family::V4, &DetectCtx::default())
        .await
        .unwrap();
    assert_eq!(ip, "8.8.8.8".parse::<IpAddr>().unwrap());

    let wrong = IpConf {
        gettype: "URL".into(),
        ..conf
    };
    let why = reason(
        detect(&wrong, Family::V4, &DetectCtx::default())
            .await
            .unwrap_err(),
    );
    assert!(why.contains("unknown gettype \"URL\""), "{why}");
    assert!(why.contains("netInterface"), "{why}");
}
