//! Shared helpers for the web UI tests: a router over a temporary config file with a clock the
//! test moves by hand, the daemon's control receiver to observe, and one-shot requests from a
//! chosen client address.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use ddns_rs::config::Config;
use ddns_rs::config::store;
use ddns_rs::logging::LogRing;
use ddns_rs::sync::schedule::{Control, ControlReceiver, control_channel};
use ddns_rs::sync::status::StatusBoard;
use ddns_rs::web::auth::Clock;
use ddns_rs::web::{ClientAddr, WebOptions, router};
use tower::ServiceExt;

pub const LAN: &str = "192.168.1.20:50000";
pub const WAN: &str = "203.0.113.9:50000";
/// A password that passes the strength rule for WAN and LAN.
pub const GOOD_PW: &str = "Correct-Horse-9-Battery";

/// The process-wide log ring every test's log lines go to.
pub fn global_ring() -> LogRing {
    static RING: OnceLock<LogRing> = OnceLock::new();
    RING.get_or_init(|| {
        let r = LogRing::new();
        ddns_rs::logging::init(r.clone(), false);
        r
    })
    .clone()
}

/// bcrypt of [`GOOD_PW`], computed once.
pub fn good_hash() -> String {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| store::hash_password(GOOD_PW).unwrap())
        .clone()
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub router: Router,
    pub control: ControlReceiver,
    pub status: StatusBoard,
    pub logs: LogRing,
    offset: Arc<Mutex<Duration>>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
    /// The `token=` value from Set-Cookie.
    pub fn token(&self) -> Option<String> {
        let c = self.header("set-cookie")?;
        let v = c.strip_prefix("token=")?.split(';').next()?.to_string();
        (!v.is_empty()).then_some(v)
    }
}

/// A config with an account (password [`GOOD_PW`]).
pub fn config_with_account(not_allow_wan: bool) -> Config {
    let mut c = Config::default();
    c.user.username = "admin".into();
    c.user.password = good_hash();
    c.notallowwanaccess = not_allow_wan;
    c
}

impl Harness {
    /// A harness whose config file holds `config` (None = no file yet).
    pub fn new(config: Option<&Config>) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ddns.yaml");
        if let Some(c) = config {
            store::save(&path, c).unwrap();
        }
        let (tx, rx) = control_channel();
        let status = StatusBoard::default();
        let logs = global_ring();
        let offset = Arc::new(Mutex::new(Duration::ZERO));
        let base = Instant::now();
        let o = offset.clone();
        let clock = Clock::from_fn(move || base + *o.lock().unwrap());
        let mut opts = WebOptions::new(path.clone(), status.clone(), logs.clone(), tx);
        opts.started = base;
        opts.clock = clock;
        Harness {
            router: router(opts),
            dir,
            path,
            control: rx,
            status,
            logs,
            offset,
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, d: Duration) {
        *self.offset.lock().unwrap() += d;
    }

    /// Sends one request from `client` with extra `headers`.
    pub async fn req(
        &self,
        method: Method,
        path: &str,
        client: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b.body(body.into()).unwrap();
        let addr: SocketAddr = client.parse().unwrap();
        req.extensions_mut().insert(ClientAddr(addr));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, client: &str, token: Option<&str>) -> Resp {
        let cookie = token.map(|t| format!("token={t}"));
        let h: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
        self.req(Method::GET, path, client, &h, Body::empty()).await
    }

    /// POSTs JSON as the page does (same-origin browser headers).
    pub async fn post(
        &self,
        path: &str,
        client: &str,
        token: Option<&str>,
        json: &serde_json::Value,
    ) -> Resp {
        let cookie = token.map(|t| format!("token={t}"));
        let mut h: Vec<(&str, &str)> = vec![
            ("host", "nas:9876"),
            ("origin", "http://nas:9876"),
            ("sec-fetch-site", "same-origin"),
            ("content-type", "application/json"),
        ];
        if let Some(c) = &cookie {
            h.push(("cookie", c.as_str()));
        }
        self.req(Method::POST, path, client, &h, json.to_string())
            .await
    }

    /// Logs in as admin/[`GOOD_PW`] from `client`; returns the token.
    pub async fn login(&self, client: &str) -> String {
        let r = self
            .post(
                "/loginFunc",
                client,
                None,
                &serde_json::json!({"Username": "admin", "Password": GOOD_PW}),
            )
            .await;
        assert_eq!(r.json()["Code"], 200, "{}", r.text());
        r.token().expect("login sets a token cookie")
    }

    /// Control messages sent so far.
    pub fn drain_control(&mut self) -> Vec<Control> {
        let mut out = Vec::new();
        while let Some(m) = self.control.try_recv() {
            out.push(m);
        }
        out
    }
}
