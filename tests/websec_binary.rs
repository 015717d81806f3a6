//! Web security checks against the real binary: a full session (login, state, status, logs,
//! save with secrets, webhook test, update now, logout) with every response and every line the
//! daemon printed searched for each secret; and a slow client that sends its headers a byte at
//! a time is cut off at the documented header timeout (30 s; this test therefore takes ~30 s).

mod fakes;

use std::time::Duration;

use fakes::cloudflare::FakeCloudflare;
use fakes::daemon::{Daemon, free_port};
use serde_json::json;

const PASSWORD: &str = "Correct-Horse-9-Battery";
const CF_TOKEN: &str = "cfTOKEN-7hQ2xVb9Lm4Rt6Yp";
const HOOK_QUERY_SECRET: &str = "hookQS-3kLp9Wm2Xq";
const HOOK_HEADER_SECRET: &str = "hookHDR-8vBn4Tz6Rc";
const NEW_CF_TOKEN: &str = "cfNEWTOKEN-5gHj8Kl1Mn";

fn yaml(addr_file: &std::path::Path, hash: &str, hook: &str) -> String {
    format!(
        "dnsconf:\n    - name: cf\n      ipv4:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: cat {}\n        domains:\n            - www.example.com\n      ipv6:\n        enable: false\n        gettype: \"\"\n        url: \"\"\n        netinterface: \"\"\n        cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n      dns:\n        name: cloudflare\n        id: \"\"\n        secret: {CF_TOKEN}\n        extparam: \"\"\n      ttl: \"\"\n      httpinterface: \"\"\nuser:\n    username: admin\n    password: '{hash}'\nwebhook:\n    webhookurl: '{hook}'\n    webhookrequestbody: \"\"\n    webhookheaders: 'Authorization: Bearer {HOOK_HEADER_SECRET}'\nnotallowwanaccess: true\nlang: en\n",
        addr_file.display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_in_a_response_or_a_log_line() {
    let cf = FakeCloudflare::new(CF_TOKEN);
    cf.add_zone("example.com");
    let cf_addr = fakes::serve_tls(cf.router(), &["api.cloudflare.com"]).await;
    let hook = fakes::callback::FakeCallback::new();
    let hook_addr = fakes::serve_http(hook.router()).await;
    let proxy =
        fakes::ConnectProxy::start(fakes::routes(&[("api.cloudflare.com:443", cf_addr)])).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ddns.yaml");
    let addr_file = dir.path().join("addr");
    std::fs::write(&addr_file, "9.9.9.9\n").unwrap();
    let hash = ddns_rs::config::store::hash_password(PASSWORD).unwrap();
    let hook_url = format!("http://{hook_addr}/hook?key={HOOK_QUERY_SECRET}&ip=#{{ipv4Addr}}");
    std::fs::write(&cfg, yaml(&addr_file, &hash, &hook_url)).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let d = Daemon::spawn(
        &[
            "-c",
            cfg.to_str().unwrap(),
            "-l",
            &listen,
            "-skipVerify",
            "-f",
            "3600",
        ],
        dir.path(),
        &[("HTTPS_PROXY", format!("http://{}", proxy.addr))],
    );
    let published = || cf.records().iter().any(|r| r.content == "9.9.9.9");
    d.wait_for("first publish", Duration::from_secs(60), published)
        .await;

    let base = format!("http://{listen}");
    // reqwest is built without a default TLS provider; install ring for this process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut seen: Vec<(String, String)> = Vec::new();
    let same_origin = |rb: reqwest::RequestBuilder| {
        rb.header("origin", &base)
            .header("sec-fetch-site", "same-origin")
    };
    // Login (wrong password first: the failure log line must not echo it).
    for pw in ["Wrong-Password-Attempt-1", PASSWORD] {
        let r = same_origin(c.post(format!("{base}/loginFunc")))
            .json(&json!({"Username": "admin", "Password": pw}))
            .send()
            .await
            .unwrap();
        let headers = format!("{:?}", r.headers());
        seen.push(("loginFunc headers".into(), headers));
        seen.push(("loginFunc".into(), r.text().await.unwrap()));
    }
    // The token from the last Set-Cookie.
    let r = same_origin(c.post(format!("{base}/loginFunc")))
        .json(&json!({"Username": "admin", "Password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let get = |path: &'static str| {
        let c = c.clone();
        let token = token.clone();
        let base = base.clone();
        async move {
            let r = c
                .get(format!("{base}{path}"))
                .header("cookie", token)
                .send()
                .await
                .unwrap();
            let h = format!("{:?}", r.headers());
            (
                path.to_string(),
                format!("{h}\n{}", r.text().await.unwrap()),
            )
        }
    };
    for p in [
        "/",
        "/api/state",
        "/api/status",
        "/logs",
        "/api/logs",
        "/api/session",
    ] {
        seen.push(get(p).await);
    }
    // Save: the masked secret sent back keeps the stored one; then a new secret is saved.
    let save = |secret: &str| {
        json!({"Username": "admin", "Password": "", "NotAllowWanAccess": true,
               "WebhookURL": hook_url, "WebhookRequestBody": "",
               "WebhookHeaders": format!("Authorization: Bearer {HOOK_HEADER_SECRET}"),
               "DnsConf": [{"Name": "cf", "DnsName": "cloudflare", "DnsID": "", "DnsSecret": secret,
                 "DnsExtParam": "", "TTL": "", "HttpInterface": "",
                 "Ipv4Enable": true, "Ipv4GetType": "cmd", "Ipv4Url": "", "Ipv4NetInterface": "",
                 "Ipv4Cmd": format!("cat {}", addr_file.display()), "Ipv4Domains": "www.example.com",
                 "Ipv6Enable": false, "Ipv6GetType": "", "Ipv6Url": "", "Ipv6NetInterface": "",
                 "Ipv6Cmd": "", "Ipv6Reg": "", "Ipv6Domains": ""}]})
    };
    let mask = format!("{}{}", &CF_TOKEN[..3], "*".repeat(CF_TOKEN.len() - 3));
    for secret in [mask.as_str(), NEW_CF_TOKEN] {
        let r = same_origin(c.post(format!("{base}/save")))
            .header("cookie", &token)
            .json(&save(secret))
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        assert!(body.contains("\"result\":\"ok\""), "{body}");
        seen.push(("/save".into(), body));
    }
    let on_disk = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        on_disk.contains(NEW_CF_TOKEN),
        "the new secret was not saved"
    );
    // Webhook test and update now.
    let r = same_origin(c.post(format!("{base}/webhookTest")))
        .header("cookie", &token)
        .json(&json!({"URL": hook_url, "RequestBody": "",
                      "Headers": format!("Authorization: Bearer {HOOK_HEADER_SECRET}")}))
        .send()
        .await
        .unwrap();
    seen.push(("/webhookTest".into(), r.text().await.unwrap()));
    let r = same_origin(c.post(format!("{base}/api/update")))
        .header("cookie", &token)
        .send()
        .await
        .unwrap();
    seen.push(("/api/update".into(), r.text().await.unwrap()));
    d.wait_for("the webhook test", Duration::from_secs(30), || {
        d.log().contains("Webhook")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for p in ["/api/state", "/api/status", "/logs", "/api/logs"] {
        seen.push(get(p).await);
    }

    // Every response: no provider secret, no password, no hash. The webhook URL and headers
    // are shown to the logged-in owner by design (the settings form edits them).
    for (what, text) in &seen {
        for s in [
            CF_TOKEN,
            NEW_CF_TOKEN,
            PASSWORD,
            hash.as_str(),
            "Wrong-Password-Attempt-1",
        ] {
            assert!(!text.contains(s), "{what} contains a secret ({s})");
        }
    }
    // Every log line: none of the secrets, including the webhook's.
    let log = d.log();
    assert!(log.contains("logged in successfully"), "{log}");
    for s in [
        CF_TOKEN,
        NEW_CF_TOKEN,
        PASSWORD,
        hash.as_str(),
        "Wrong-Password-Attempt-1",
        HOOK_QUERY_SECRET,
        HOOK_HEADER_SECRET,
        token.trim_start_matches("token="),
    ] {
        for line in log.lines() {
            assert!(
                !line.contains(s),
                "log line contains a secret ({s}): {line}"
            );
        }
    }
}

/// A slow-loris client: headers sent one byte every 2 s never complete; the server must close
/// the connection at its header timeout (30 s, `web::server::HEADER_READ_TIMEOUT`), while a
/// normal client is served meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn slow_client_is_cut_off_at_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ddns.yaml");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let d = Daemon::spawn(
        &["-c", cfg.to_str().unwrap(), "-l", &listen],
        dir.path(),
        &[],
    );
    // reqwest is built without a default TLS provider; install ring for this process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://{listen}/api/session");
    d.wait_for("the UI", Duration::from_secs(30), || {
        std::net::TcpStream::connect(&listen).is_ok()
    })
    .await;
    let mut s = tokio::net::TcpStream::connect(&listen).await.unwrap();
    s.write_all(b"GET /api/session HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let start = std::time::Instant::now();
    let mut closed = false;
    let mut buf = [0u8; 512];
    while start.elapsed() < Duration::from_secs(75) {
        if s.write_all(b"X").await.is_err() {
            closed = true;
            break;
        }
        match tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {
                // A 408 answer is as good as a close: the request was refused.
                closed = true;
                break;
            }
            Err(_) => {}
        }
        // Meanwhile the UI still serves others.
        if start.elapsed() < Duration::from_secs(6) {
            assert!(c.get(&url).send().await.unwrap().status().is_success());
        }
    }
    assert!(
        closed,
        "a client trickling headers kept the connection for 75 s"
    );
    assert!(
        start.elapsed() >= Duration::from_secs(10),
        "cut off suspiciously early ({:?}): the limit is 30 s",
        start.elapsed()
    );
}
