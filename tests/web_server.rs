//! The web UI on a real socket: embedded assets (gzip or plain, ETag), start-up on `-l`
//! addresses (dual stack, occupied port), built-in HTTPS with a generated certificate
//! (`Secure` cookie), and a save through HTTP reaching a running daemon, which runs at once.

mod web_common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ddns_rs::config::DnsConfig;
use ddns_rs::logging::LogRing;
use ddns_rs::sync::EngineOptions;
use ddns_rs::sync::schedule::{Daemon, control_channel};
use ddns_rs::sync::status::StatusBoard;
use ddns_rs::web::{WebOptions, start};
use serde_json::json;
use web_common::*;

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn options(path: std::path::PathBuf) -> (WebOptions, ddns_rs::sync::schedule::ControlReceiver) {
    let (tx, rx) = control_channel();
    (
        WebOptions::new(path, StatusBoard::default(), LogRing::new(), tx),
        rx,
    )
}

#[tokio::test]
async fn assets_are_served_gzipped_or_plain_with_etags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    ddns_rs::config::store::save(&path, &config_with_account(true)).unwrap();
    let (opts, _rx) = options(path);
    let addr = start("127.0.0.1:0", None, opts).unwrap();
    let c = client();
    let login_html = std::fs::read("web/login.html").unwrap();
    let r = c.get(format!("http://{addr}/login")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert!(r.headers().get("content-encoding").is_none());
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(r.bytes().await.unwrap().as_ref(), login_html.as_slice());
    // gzip when accepted: inflates to the same bytes.
    let r = c
        .get(format!("http://{addr}/login"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let gz = r.bytes().await.unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_ref()), &mut raw).unwrap();
    assert_eq!(raw, login_html);
    // Revalidation.
    let r = c
        .get(format!("http://{addr}/login"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    // Every file of web/ except the pages is under static/, with its type.
    for entry in std::fs::read_dir("web").unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if std::path::Path::new("web").join(&name).is_dir() {
            continue;
        }
        let r = c
            .get(format!("http://{addr}/static/{name}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{name}");
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            std::fs::read(format!("web/{name}")).unwrap().as_slice(),
            "{name}"
        );
    }
    let r = c
        .get(format!("http://{addr}/static/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        c.get(format!("http://{addr}/static/"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        c.get(format!("http://{addr}/static/nope.css"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn occupied_port_is_reported_and_all_interfaces_listen_dual_stack() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let (opts, _rx) = options(dir.path().join("c.yaml"));
    let err = start(&format!("127.0.0.1:{port}"), None, opts).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Port listening failed, please check if the port is occupied!"),
        "{err}"
    );

    let (opts, _rx) = options(dir.path().join("c.yaml"));
    let addr = start(":0", None, opts).unwrap();
    let c = client();
    let r = c
        .get(format!("http://127.0.0.1:{}/login", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "IPv4 through the all-interfaces socket");
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let r = c
            .get(format!("http://[::1]:{}/login", addr.port()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "IPv6 through the all-interfaces socket");
    }
}

#[tokio::test]
async fn https_with_pem_files_and_secure_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    ddns_rs::config::store::save(&path, &config_with_account(true)).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();

    // Unusable files are reported before anything listens.
    let (opts, _rx) = options(path.clone());
    let err = start("127.0.0.1:0", Some((&key_path, &key_path)), opts).unwrap_err();
    assert!(err.to_string().contains("TLS certificate"), "{err}");

    let (opts, _rx) = options(path);
    let addr = start("127.0.0.1:0", Some((&cert_path, &key_path)), opts).unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap();
    let c = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([root])
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/loginFunc", addr.port());
    let r = c
        .post(&url)
        .json(&json!({"Username": "admin", "Password": GOOD_PW}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["Code"], 200);
    // Plain HTTP on the TLS port gets nothing useful.
    let plain = client()
        .get(format!("http://127.0.0.1:{}/login", addr.port()))
        .send()
        .await;
    assert!(plain.is_err() || plain.unwrap().status() != 200);
}

/// A local server: `/ip` answers a public IPv4 address; `/cb` records the callback's query.
async fn echo_and_callback() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let app = axum::Router::new()
        .route("/ip", axum::routing::get(|| async { "8.8.4.4" }))
        .route(
            "/cb",
            axum::routing::get(move |q: axum::extract::RawQuery| {
                let s = s.clone();
                async move {
                    s.lock().unwrap().push(q.0.unwrap_or_default());
                    "ok"
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

async fn wait_for(seen: &Arc<Mutex<Vec<String>>>, what: &str) {
    for _ in 0..3000 {
        if seen.lock().unwrap().iter().any(|q| q.contains(what)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{what} never reached the callback: {:?}",
        seen.lock().unwrap()
    );
}

#[tokio::test]
async fn a_save_through_http_reaches_the_running_daemon_at_once() {
    let (srv, seen) = echo_and_callback().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    let mut config = config_with_account(true);
    let mut e = DnsConfig::default();
    e.dns.name = "callback".into();
    e.dns.id = format!("http://{srv}/cb?d=#{{domain}}&ip=#{{ip}}");
    e.ipv4.enable = true;
    e.ipv4.gettype = "url".into();
    e.ipv4.url = format!("http://{srv}/ip");
    e.ipv4.domains = vec!["one.example.com".into()];
    config.dnsconf.push(e);
    ddns_rs::config::store::save(&path, &config).unwrap();

    let status = StatusBoard::default();
    let (tx, rx) = control_channel();
    let addr = start(
        "127.0.0.1:0",
        None,
        WebOptions::new(path.clone(), status.clone(), LogRing::new(), tx),
    )
    .unwrap();
    // An hour between runs: only the control channel can make the second run happen now.
    let daemon = Daemon {
        path: path.clone(),
        opts: EngineOptions::default(),
        interval: Duration::from_secs(3600),
        status: status.clone(),
        control: Some(rx),
    };
    tokio::spawn(daemon.run());
    wait_for(&seen, "d=one.example.com&ip=8.8.4.4").await;

    let c = client();
    let base = format!("http://{addr}");
    let r = c
        .post(format!("{base}/loginFunc"))
        .json(&json!({"Username": "admin", "Password": GOOD_PW}))
        .send()
        .await
        .unwrap();
    let token = r.json::<serde_json::Value>().await.unwrap()["Data"]
        .as_str()
        .unwrap()
        .to_string();
    let cookie = format!("token={token}");
    let state: serde_json::Value = c
        .get(format!("{base}/api/state"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut entry = state["dnsConf"][0].clone();
    entry["Ipv4Domains"] = json!("one.example.com\ntwo.example.com");
    let r = c
        .post(format!("{base}/save"))
        .header("cookie", &cookie)
        .json(&json!({"Username": "admin", "NotAllowWanAccess": true, "DnsConf": [entry]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["result"], "ok");
    wait_for(&seen, "d=two.example.com&ip=8.8.4.4").await;
    // The dashboard sees the new record.
    let st: serde_json::Value = c
        .get(format!("{base}/api/status"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for _ in 0..3000 {
        let st: serde_json::Value = c
            .get(format!("{base}/api/status"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if st["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["domain"] == "two.example.com" && r["published"] == "8.8.4.4")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("status never showed two.example.com: {st}");
}

#[test]
fn tls_flags_are_parsed_together() {
    let cwd = std::path::Path::new("/srv");
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let f =
        ddns_rs::cli::parse(&args(&["-tlsCert", "c.pem", "-tlsKey=/k.pem"]), None, cwd).unwrap();
    assert_eq!(
        f.tls_cert.as_deref(),
        Some(std::path::Path::new("/srv/c.pem"))
    );
    assert_eq!(f.tls_key.as_deref(), Some(std::path::Path::new("/k.pem")));
    let err = ddns_rs::cli::parse(&args(&["-tlsCert", "c.pem"]), None, cwd).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("-tlsCert and -tlsKey must be given together"),
        "{err}"
    );
    assert!(ddns_rs::cli::usage().contains("-tlsCert"));
}

/// The real binary: the UI answers on `-l` at start-up, and an occupied port ends the process
/// with ddns-go's message and exit code 1.
#[tokio::test]
async fn the_binary_serves_the_ui_and_fails_on_an_occupied_port() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.yaml");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ddns-rs"))
        .args([
            "-c",
            cfg.to_str().unwrap(),
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Port listening failed, please check if the port is occupied!"),
        "{stderr}"
    );
    drop(taken);

    // A free port: pick one, release it, and let the binary take it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ddns-rs"))
        .args([
            "-c",
            cfg.to_str().unwrap(),
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let c = client();
    let mut answered = None;
    for _ in 0..1000 {
        if let Ok(r) = c
            .get(format!("http://127.0.0.1:{port}/api/session"))
            .send()
            .await
        {
            answered = Some(r.json::<serde_json::Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let session = answered.expect("the web UI never answered");
    assert_eq!(
        session["setup"], true,
        "no config file yet: first-run setup"
    );
    child.kill().await.unwrap();
}

/// With the cap reached, a further connection waits (unanswered) until one closes.
#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (opts, _rx) = options(dir.path().join("c.yaml"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(ddns_rs::web::server::serve_limited(
        listener,
        ddns_rs::web::router(opts),
        None,
        1,
    ));
    let request = b"GET /api/session HTTP/1.1\r\nHost: x\r\n\r\n";
    // The first connection is served and then kept open (keep-alive): it holds the only slot.
    let mut first = tokio::net::TcpStream::connect(addr).await.unwrap();
    first.write_all(request).await.unwrap();
    let mut buf = [0u8; 4096];
    let n = first.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let mut second = tokio::net::TcpStream::connect(addr).await.unwrap();
    second.write_all(request).await.unwrap();
    let early = tokio::time::timeout(Duration::from_millis(300), second.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "the second connection was served while the cap was reached"
    );
    drop(first);
    let n = tokio::time::timeout(Duration::from_secs(30), second.read(&mut buf))
        .await
        .expect("the second connection was never served")
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
}
