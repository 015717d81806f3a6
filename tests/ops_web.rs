//! The monitoring and history routes through the real router: `/healthz` against a local DNS
//! server that is both the resolver and the zone's authoritative server, `/metrics` without a
//! login but under the WAN rule, the history API and the rollback button's POST (login and
//! CSRF as other POSTs), and secret references surviving a round trip through `/save`.

mod fakes;
mod web_common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf};
use ddns_rs::metrics::Metrics;
use ddns_rs::sync::EngineOptions;
use ddns_rs::sync::schedule::control_channel;
use ddns_rs::sync::status::StatusBoard;
use ddns_rs::web::health::HealthOptions;
use ddns_rs::web::{ClientAddr, WebOptions, router};
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, NS};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde_json::{Value, json};
use tokio::net::UdpSocket;
use tower::ServiceExt;
use web_common::{GOOD_PW, LAN, WAN, config_with_account};

/// A DNS server on 127.0.0.1 for zone example.com, whose NS is ns1.example.com (127.0.0.1):
/// answers recursive and non-recursive queries alike. Counts the `www` A queries.
struct Dns {
    addr: SocketAddr,
    www: Arc<Mutex<Ipv4Addr>>,
    www_queries: Arc<Mutex<usize>>,
}

fn reply(q: &Message, www: Ipv4Addr) -> Message {
    let mut m = q.clone();
    m.metadata.message_type = MessageType::Response;
    m.metadata.authoritative = true;
    let Some(query) = q.queries.first() else {
        m.metadata.response_code = ResponseCode::FormErr;
        return m;
    };
    let name = query.name().to_ascii().to_ascii_lowercase();
    let rec = |data: RData| Record::from_rdata(query.name().clone(), 60, data);
    match (name.as_str(), query.query_type()) {
        ("example.com.", RecordType::NS) => {
            m.answers.push(rec(RData::NS(NS(
                Name::from_ascii("ns1.example.com.").unwrap()
            ))))
        }
        ("ns1.example.com.", RecordType::A) => {
            m.answers.push(rec(RData::A(A(Ipv4Addr::LOCALHOST))))
        }
        ("www.example.com.", RecordType::A) => m.answers.push(rec(RData::A(A(www)))),
        ("example.com." | "www.example.com." | "ns1.example.com.", _) => {}
        _ => m.metadata.response_code = ResponseCode::NXDomain,
    }
    m
}

async fn dns(www: &str) -> Dns {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let www = Arc::new(Mutex::new(www.parse().unwrap()));
    let count = Arc::new(Mutex::new(0));
    let (w, c) = (www.clone(), count.clone());
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf).await else {
                continue;
            };
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            if q.queries.first().is_some_and(|x| {
                x.name().to_ascii() == "www.example.com." && x.query_type() == RecordType::A
            }) {
                *c.lock().unwrap() += 1;
            }
            let m = reply(&q, *w.lock().unwrap());
            let _ = sock.send_to(&m.to_vec().unwrap(), from).await;
        }
    });
    Dns {
        addr,
        www,
        www_queries: count,
    }
}

struct Web {
    router: Router,
    path: std::path::PathBuf,
    metrics: Metrics,
    _dir: tempfile::TempDir,
}

fn entry() -> DnsConfig {
    DnsConfig {
        name: "cf".into(),
        ipv4: IpConf {
            enable: true,
            domains: vec!["www.example.com".into()],
            ..Default::default()
        },
        dns: DnsProvider {
            name: "cloudflare".into(),
            secret: "tok".into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn web(config: &Config, health: HealthOptions, engine: EngineOptions) -> Web {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ddns.yaml");
    ddns_rs::config::store::save(&path, config).unwrap();
    let (tx, _rx) = control_channel();
    let mut opts = WebOptions::new(
        path.clone(),
        StatusBoard::default(),
        web_common::global_ring(),
        tx,
    );
    opts.health = health;
    let metrics = engine.metrics.clone();
    opts.engine = engine;
    Web {
        router: router(opts),
        path,
        metrics,
        _dir: dir,
    }
}

struct Resp {
    status: StatusCode,
    content_type: String,
    set_cookie: String,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Web {
    async fn req(
        &self,
        method: Method,
        path: &str,
        client: &str,
        headers: &[(&str, &str)],
        body: String,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b.body(Body::from(body)).unwrap();
        req.extensions_mut()
            .insert(ClientAddr(client.parse().unwrap()));
        let r = self.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let content_type = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let set_cookie = r
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        Resp {
            status,
            content_type,
            set_cookie,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, client: &str, token: Option<&str>) -> Resp {
        let cookie = token.map(|t| format!("token={t}")).unwrap_or_default();
        let h: Vec<(&str, &str)> = if token.is_some() {
            vec![("cookie", &cookie)]
        } else {
            vec![]
        };
        self.req(Method::GET, path, client, &h, String::new()).await
    }

    async fn post(&self, path: &str, token: Option<&str>, origin: &str, body: &Value) -> Resp {
        let cookie = token.map(|t| format!("token={t}")).unwrap_or_default();
        let mut h = vec![
            ("host", "nas:9876"),
            ("origin", origin),
            ("content-type", "application/json"),
        ];
        if token.is_some() {
            h.push(("cookie", &cookie));
        }
        self.req(Method::POST, path, LAN, &h, body.to_string())
            .await
    }

    async fn login(&self) -> String {
        let r = self
            .post(
                "/loginFunc",
                None,
                "http://nas:9876",
                &json!({"Username": "admin", "Password": GOOD_PW}),
            )
            .await;
        assert_eq!(r.json()["Code"], 200, "{}", r.body);
        let t = r
            .set_cookie
            .strip_prefix("token=")
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        t.to_string()
    }
}

fn config() -> Config {
    let mut c = config_with_account(false);
    c.dnsconf = vec![entry()];
    c
}

fn health(d: &Dns, cache_for: Duration) -> HealthOptions {
    HealthOptions {
        resolver: Some(d.addr),
        ns_port: d.addr.port(),
        cache_for,
    }
}

#[tokio::test]
async fn healthz_asks_the_authoritative_server_and_caches_its_report() {
    let d = dns("203.0.113.7").await;
    let w = web(
        &config(),
        health(&d, Duration::ZERO),
        EngineOptions::default(),
    );
    // Nothing detected yet: not healthy.
    let r = w.get("/healthz", LAN, None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(
        r.json()["problems"][0]
            .as_str()
            .unwrap()
            .contains("no ipv4 address detected")
    );
    let detected: IpAddr = "203.0.113.7".parse().unwrap();
    w.metrics.detection(0, "url", "ipv4", Some(detected));
    let r = w.get("/healthz", LAN, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["ok"][0], "www.example.com A 203.0.113.7");
    // The zone's server now holds another address: 503 naming both.
    *d.www.lock().unwrap() = "203.0.113.99".parse().unwrap();
    let r = w.get("/healthz", LAN, None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let why = r.json()["problems"][0].as_str().unwrap().to_string();
    assert!(
        why.contains("203.0.113.99") && why.contains("expected 203.0.113.7"),
        "{why}"
    );

    // With a cache, scrapes reuse the report without asking again.
    let w = web(
        &config(),
        health(&d, Duration::from_secs(3600)),
        EngineOptions::default(),
    );
    w.metrics
        .detection(0, "url", "ipv4", Some("203.0.113.99".parse().unwrap()));
    assert_eq!(w.get("/healthz", LAN, None).await.status, StatusCode::OK);
    let asked = *d.www_queries.lock().unwrap();
    *d.www.lock().unwrap() = "203.0.113.7".parse().unwrap();
    assert_eq!(w.get("/healthz", LAN, None).await.status, StatusCode::OK);
    assert_eq!(*d.www_queries.lock().unwrap(), asked);
}

#[tokio::test]
async fn metrics_need_no_login_but_obey_the_wan_rule() {
    let d = dns("203.0.113.7").await;
    let w = web(
        &config(),
        health(&d, Duration::ZERO),
        EngineOptions::default(),
    );
    w.metrics.api_call("cloudflare", "write");
    let r = w.get("/metrics", WAN, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("text/plain; version=0.0.4"));
    assert!(r.body.contains(
        "ddns_provider_api_calls_total{provider=\"cloudflare\",operation=\"write\"} 1\n"
    ));
    let mut lan_only = config();
    lan_only.notallowwanaccess = true;
    let w = web(
        &lan_only,
        health(&d, Duration::ZERO),
        EngineOptions::default(),
    );
    assert_eq!(
        w.get("/metrics", WAN, None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.get("/healthz", WAN, None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(w.get("/metrics", LAN, None).await.status, StatusCode::OK);
    // The history is not public.
    assert_eq!(
        w.get("/api/history", LAN, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn rollback_button_writes_through_the_provider_and_shows_in_the_history() {
    let cf = fakes::cloudflare::FakeCloudflare::new("tok");
    let zone = cf.add_zone("example.com");
    cf.seed(&zone, "A", "www.example.com", "8.8.8.8", false);
    let cf_addr = fakes::serve_http(cf.router()).await;
    let mut engine = EngineOptions::default();
    engine
        .endpoints
        .insert("cloudflare".into(), format!("http://{cf_addr}"));
    let d = dns("203.0.113.7").await;
    let w = web(&config(), health(&d, Duration::ZERO), engine);
    let token = w.login().await;
    let body = json!({"entry": "cf", "domain": "www.example.com", "type": "A", "value": "9.9.9.9"});
    // Cross-site, or without a session: refused, nothing written.
    let r = w
        .post("/api/rollback", Some(&token), "http://evil.example", &body)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = w
        .post("/api/rollback", None, "http://nas:9876", &body)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(cf.writes().is_empty());
    // A private address that was never published is refused.
    let bad = json!({"domain": "www.example.com", "type": "A", "value": "10.1.1.1"});
    let r = w
        .post("/api/rollback", Some(&token), "http://nas:9876", &bad)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    let r = w
        .post("/api/rollback", Some(&token), "http://nas:9876", &body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["written"], true);
    assert_eq!(cf.records()[0].content, "9.9.9.9");
    let r = w
        .get(
            "/api/history?domain=www.example.com&type=A",
            LAN,
            Some(&token),
        )
        .await;
    let entries = r.json()["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "{}", r.body);
    assert_eq!(entries[0]["old"], "8.8.8.8");
    assert_eq!(entries[0]["new"], "9.9.9.9");
    assert_eq!(entries[0]["reason"], "rollback");
    let r = w
        .get("/api/history?domain=other.example.com", LAN, Some(&token))
        .await;
    assert_eq!(r.json()["entries"], json!([]));
    // Without a value: back to the value before the last write.
    let undo = json!({"domain": "www.example.com", "type": "A"});
    let r = w
        .post("/api/rollback", Some(&token), "http://nas:9876", &undo)
        .await;
    assert_eq!(r.json()["value"], "8.8.8.8", "{}", r.body);
    assert_eq!(cf.records()[0].content, "8.8.8.8");
    assert!(w.metrics.render("x").contains("address=\"8.8.8.8\"} 1"));
}

#[tokio::test]
async fn secret_references_survive_a_save_and_are_shown_as_written() {
    // References the daemon can resolve (a save refuses one it cannot: tests/web_save.rs).
    let secrets = tempfile::tempdir().unwrap();
    for (name, value) in [("cf_id", "id-1"), ("cf_token", "tok-1"), ("hook", "hook-1")] {
        std::fs::write(secrets.path().join(name), value).unwrap();
    }
    let id_ref = format!("${{file:{}}}", secrets.path().join("cf_id").display());
    let secret_ref = format!("${{file:{}}}", secrets.path().join("cf_token").display());
    let hook_ref = format!("${{file:{}}}", secrets.path().join("hook").display());
    let mut c = config();
    c.dnsconf[0].dns.id = id_ref.clone();
    c.dnsconf[0].dns.secret = secret_ref.clone();
    c.webhook.webhookurl = format!("https://hooks.example/{hook_ref}");
    let d = dns("203.0.113.7").await;
    let w = web(&c, health(&d, Duration::ZERO), EngineOptions::default());
    let token = w.login().await;
    let state = w.get("/api/state", LAN, Some(&token)).await.json();
    let entries = state["dnsConf"].clone();
    assert_eq!(entries[0]["DnsSecret"], json!(secret_ref));
    assert_eq!(entries[0]["DnsID"], json!(id_ref));
    let before = std::fs::read_to_string(&w.path).unwrap();
    let save = json!({
        "Username": "admin",
        "Password": "",
        "WebhookURL": c.webhook.webhookurl,
        "DnsConf": entries,
    });
    let r = w
        .post("/save", Some(&token), "http://nas:9876", &save)
        .await;
    assert_eq!(r.json()["result"], "ok", "{}", r.body);
    let saved = ddns_rs::config::store::load_for_edit(&w.path)
        .unwrap()
        .config;
    assert_eq!(saved.dnsconf[0].dns.secret, secret_ref);
    assert_eq!(saved.dnsconf[0].dns.id, id_ref);
    assert_eq!(saved.webhook.webhookurl, c.webhook.webhookurl);
    let after = std::fs::read_to_string(&w.path).unwrap();
    for r in [&id_ref, &secret_ref, &hook_ref] {
        assert!(
            before.contains(r.as_str()) && after.contains(r.as_str()),
            "{after}"
        );
    }
    // The resolved values never reach the file.
    for v in ["id-1", "tok-1", "hook-1"] {
        assert!(!after.contains(v), "{after}");
    }
}

#[tokio::test]
async fn webhook_test_resolves_references_and_logs_the_reference() {
    let hook = fakes::callback::FakeCallback::new();
    let addr = fakes::serve_http(hook.router()).await;
    let d = dns("203.0.113.7").await;
    let w = web(
        &config(),
        health(&d, Duration::ZERO),
        EngineOptions::default(),
    );
    let secret = w._dir.path().join("hook_token");
    std::fs::write(&secret, "topsecretpath\n").unwrap();
    let token = w.login().await;
    let url = format!("http://{addr}/${{file:{}}}", secret.display());
    let r = w
        .post(
            "/webhookTest",
            Some(&token),
            "http://nas:9876",
            &json!({"URL": url, "RequestBody": "", "Headers": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let seen = wait_until(|| hook.requests().into_iter().next()).await;
    assert_eq!(seen.uri, "/topsecretpath");
    let logs = wait_until(|| {
        let l = web_common::global_ring().lines().join("\n");
        l.contains("called Webhook").then_some(l)
    })
    .await;
    assert!(!logs.contains("topsecretpath"), "{logs}");
}

/// Polls `f` until it gives a value (the webhook test answers before it sends).
async fn wait_until<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..600 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out");
}
