//! Shared by the browser tests: start the real `ddns-rs` binary with its web UI, start Debian's
//! chromedriver, and drive a headless Chromium through a minimal W3C WebDriver client (a few
//! JSON calls over reqwest, which the crate already depends on, instead of a WebDriver crate).
//!
//! Missing chromium/chromedriver is a loud failure, unless `DDNS_RS_SKIP_BROWSER=1`.
#![allow(dead_code)] // each test file uses a different part

#[path = "../fakes/child_log.rs"]
mod child_log;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// Every wait gives up after this long; a slow machine makes the tests slower, never red.
pub const DEADLINE: Duration = Duration::from_secs(60);
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// W3C key of an element reference in WebDriver JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// True when the browser tests should be skipped (and say so); panics when the browser is
/// missing and skipping was not asked for.
pub fn skip_browser() -> bool {
    if std::env::var("DDNS_RS_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("DDNS_RS_SKIP_BROWSER=1: browser test skipped");
        return true;
    }
    for bin in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(bin).exists(),
            "{bin} is missing: install it with `apt-get install -y chromium chromium-driver` \
             (or set DDNS_RS_SKIP_BROWSER=1 to skip the browser tests)"
        );
    }
    false
}

/// A free TCP port on 127.0.0.1 (bound and released; the tiny race is acceptable in tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `ok` every 100 ms until it returns `Some`, or panics with `what` after [`DEADLINE`].
pub async fn wait_for<T, F, Fut>(what: &str, mut ok: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = ok().await {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A running `ddns-rs` with its web UI on 127.0.0.1, in a temp HOME, with its stderr captured.
pub struct Daemon {
    /// Base URL of the UI, ending in `/`.
    pub url: String,
    /// Path of the YAML config file.
    pub config: PathBuf,
    /// Everything the daemon wrote to stderr so far.
    pub log: Arc<Mutex<String>>,
    _child: Child,
    _dir: tempfile::TempDir,
}

impl Daemon {
    /// Starts the binary with no config file (first run). Provider calls go to a closed local
    /// proxy port, so nothing leaves the machine.
    pub async fn start() -> Daemon {
        let dead_proxy = format!("http://127.0.0.1:{}", free_port());
        Daemon::start_with(&dead_proxy, &[]).await
    }

    /// As [`Daemon::start`], with provider calls sent through `proxy` and `extra` flags.
    pub async fn start_with(proxy: &str, extra: &[&str]) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("ddns.yaml");
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ddns-rs"))
            .args(["-l", &format!("127.0.0.1:{port}"), "-c"])
            .arg(&config)
            .args(["-f", "3600"])
            .args(extra)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("HTTPS_PROXY", proxy)
            .env("HTTP_PROXY", proxy)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let log = child_log::collect_stderr(&mut child);
        let url = format!("http://127.0.0.1:{port}/");
        let probe = format!("{url}api/session");
        let client = http_client();
        wait_for("the web UI to answer", || {
            let (client, probe) = (client.clone(), probe.clone());
            async move { client.get(&probe).send().await.ok().map(|_| ()) }
        })
        .await;
        Daemon {
            url,
            config,
            log,
            _child: child,
            _dir: dir,
        }
    }

    /// The config file as YAML, once it exists.
    pub fn yaml(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(&self.config).ok()?;
        yaml_serde::from_str(&text).ok()
    }
}

/// A reqwest client (the crate builds with rustls but no default crypto provider).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A reverse proxy that serves `upstream` (ending in `/`) under `prefix` (e.g. `/ddns/`),
/// stripping the prefix as nginx's `proxy_pass http://upstream/;` does, passing redirects and
/// compressed bodies through untouched and telling the upstream the public host.
pub fn prefix_proxy(upstream: String, prefix: &'static str) -> axum::Router {
    use axum::body::Body;
    use axum::http::{Request, Response, StatusCode};
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    axum::Router::new().fallback(move |req: Request<Body>| {
        let (client, upstream) = (client.clone(), upstream.clone());
        async move {
            let path_q = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            let Some(rest) = path_q.strip_prefix(prefix) else {
                return Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Body::empty())
                    .unwrap();
            };
            let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
            let mut fwd = client.request(method, format!("{upstream}{rest}"));
            for (k, v) in req.headers() {
                if k != "host" && k != "content-length" {
                    fwd = fwd.header(k.as_str(), v.as_bytes());
                }
            }
            if let Some(host) = req.headers().get("host") {
                fwd = fwd.header("x-forwarded-host", host.as_bytes());
            }
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap();
            let up = fwd.body(body).send().await.unwrap();
            let mut out = Response::builder().status(up.status().as_u16());
            for (k, v) in up.headers() {
                if k != "content-length" && k != "transfer-encoding" {
                    out = out.header(k.as_str(), v.as_bytes());
                }
            }
            out.body(Body::from(up.bytes().await.unwrap())).unwrap()
        }
    })
}

/// A chromedriver process and one headless Chromium session.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    _driver: Child,
    _profile: tempfile::TempDir,
}

/// One element of the page, by its WebDriver reference.
#[derive(Clone)]
pub struct El(String);

impl Browser {
    /// Starts chromedriver on a free port and opens a session with a fresh profile, at
    /// `width`×`height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Browser {
        let port = free_port();
        let profile = tempfile::tempdir().unwrap();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("HOME", profile.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let http = http_client();
        let root = format!("http://127.0.0.1:{port}");
        wait_for("chromedriver to start", || {
            let (http, root) = (http.clone(), root.clone());
            async move {
                http.get(format!("{root}/status"))
                    .send()
                    .await
                    .ok()
                    .map(|_| ())
            }
        })
        .await;
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-proxy-server".into(),
            "--hide-scrollbars".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let r: Value = http
            .post(format!("{root}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver refused the session: {r}"))
            .to_string();
        let b = Browser {
            http,
            base: format!("{root}/session/{id}"),
            _driver: driver,
            _profile: profile,
        };
        b.viewport(width, height, false).await;
        b
    }

    /// One WebDriver call; Err carries "error: message" from the driver.
    async fn try_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        match r["value"]["error"].as_str() {
            Some(err) => Err(format!(
                "WebDriver {path}: {err}: {}",
                r["value"]["message"]
            )),
            None => Ok(r["value"].clone()),
        }
    }
    async fn try_post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.try_send(reqwest::Method::POST, path, Some(body)).await
    }
    async fn try_get(&self, path: &str) -> Result<Value, String> {
        self.try_send(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> Value {
        self.try_post(path, body)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
    async fn get(&self, path: &str) -> Value {
        self.try_get(path).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `act` on the element matching `css`; when the page replaced the element in between
    /// (a re-rendered list), finds it again and retries.
    async fn on<'a, F, Fut>(&'a self, css: &str, act: F) -> Value
    where
        F: Fn(El) -> Fut,
        Fut: std::future::Future<Output = Result<Value, String>> + 'a,
    {
        let start = Instant::now();
        loop {
            let el = self.find(css).await;
            match act(el).await {
                Ok(v) => return v,
                Err(e) if e.contains("stale element") && start.elapsed() < DEADLINE => {}
                Err(e) => panic!("{css}: {e}"),
            }
        }
    }

    /// Sets the CSS viewport exactly (window sizes have a platform minimum; the emulation has
    /// none), as a phone (touch, 2 device pixels per CSS pixel) when `mobile`.
    pub async fn viewport(&self, width: u32, height: u32, mobile: bool) {
        let scale = if mobile { 2 } else { 1 };
        self.post(
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}}),
        )
        .await;
    }

    /// Emulates `prefers-color-scheme` (light or dark).
    pub async fn color_scheme(&self, scheme: &str) {
        self.post(
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setEmulatedMedia", "params": {
                "features": [{"name": "prefers-color-scheme", "value": scheme}]}}),
        )
        .await;
    }

    /// Navigates to `url` and waits for the load.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// The element matching the CSS selector, waiting until it exists.
    pub async fn find(&self, css: &str) -> El {
        wait_for(&format!("element {css}"), || async move {
            let r: Value = self
                .http
                .post(format!("{}/element", self.base))
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            r["value"][ELEMENT].as_str().map(|s| El(s.to_string()))
        })
        .await
    }

    /// Clicks the element matching `css` (scrolled to the middle of the viewport first).
    pub async fn click(&self, css: &str) {
        self.on(css, |el| async move {
            let arg = json!({ ELEMENT: el.0 });
            let scroll =
                json!({"script": "arguments[0].scrollIntoView({block: 'center'})", "args": [arg]});
            self.try_post("/execute/sync", scroll).await?;
            self.try_post(&format!("/element/{}/click", el.0), json!({}))
                .await
        })
        .await;
    }

    /// Replaces the text of the input matching `css` with `text` (typed as a user would).
    pub async fn fill(&self, css: &str, text: &str) {
        self.on(css, |el| async move {
            self.try_post(&format!("/element/{}/clear", el.0), json!({}))
                .await?;
            self.try_post(&format!("/element/{}/value", el.0), json!({ "text": text }))
                .await
        })
        .await;
    }

    /// Types `text` into the element matching `css` without clearing it (keys like "\u{E007}").
    pub async fn keys(&self, css: &str, text: &str) {
        self.on(css, |el| async move {
            self.try_post(&format!("/element/{}/value", el.0), json!({ "text": text }))
                .await
        })
        .await;
    }

    /// Selects the option with `value` in the `<select>` matching `css`, as a user would (a
    /// change event is fired).
    pub async fn select(&self, css: &str, value: &str) {
        let opt = format!("{css} option[value=\"{value}\"]");
        self.click(&opt).await;
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let v = self
            .on(css, |el| async move {
                self.try_get(&format!("/element/{}/text", el.0)).await
            })
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// A DOM property (`value`, `checked`, `hidden`…) of the element matching `css`.
    pub async fn prop(&self, css: &str, name: &str) -> Value {
        self.on(css, |el| async move {
            self.try_get(&format!("/element/{}/property/{name}", el.0))
                .await
        })
        .await
    }

    /// Waits until the text of `css` contains `want`, and returns it.
    pub async fn wait_text(&self, css: &str, want: &str) -> String {
        let what = format!("{css} to contain {want:?}");
        wait_for(&what, || async move {
            let t = self.text(css).await;
            t.contains(want).then_some(t)
        })
        .await
    }

    /// Accepts an open `confirm()`/`alert()`.
    pub async fn accept_alert(&self) {
        wait_for("a dialog", || async move {
            let r: Value = self
                .http
                .post(format!("{}/alert/accept", self.base))
                .json(&json!({}))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            r["value"]["error"].is_null().then_some(())
        })
        .await;
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let v = self.get("/screenshot").await;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap()
    }

    /// The browser console messages since the last call (chromedriver's log endpoint).
    pub async fn console(&self) -> Vec<String> {
        let v = self.post("/se/log", json!({"type": "browser"})).await;
        v.as_array()
            .map(|l| {
                l.iter()
                    .map(|e| format!("{} {}", e["level"], e["message"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Ends the session (the browser exits); dropping the `Browser` does the same.
    pub async fn quit(self) {
        drop(self);
    }
}

impl Drop for Browser {
    /// Ends the session even when a test panics: killing chromedriver alone would leave
    /// Chromium running. Blocking and plain HTTP/1.1, as there is no async drop.
    fn drop(&mut self) {
        use std::io::{Read as _, Write as _};
        let Some((host, path)) = self
            .base
            .strip_prefix("http://")
            .and_then(|r| r.split_once('/'))
        else {
            return;
        };
        let Ok(mut conn) = std::net::TcpStream::connect(host) else {
            return;
        };
        let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
        let req = format!(
            "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        if conn.write_all(req.as_bytes()).is_ok() {
            let _ = conn.read_to_end(&mut Vec::new());
        }
    }
}

/// A network namespace made for one test, deleted when dropped (even on panic).
pub struct Netns {
    /// Name under /var/run/netns.
    pub name: String,
}

impl Netns {
    /// Creates the namespace with its loopback up; panics (root and iproute2 are required)
    /// unless `DDNS_RS_SKIP_NETNS=1`, then None.
    pub fn create() -> Option<Netns> {
        let mut rand = [0u8; 4];
        getrandom::fill(&mut rand).unwrap();
        let name = format!("ddnsrs-web-{}", hex::encode(rand));
        let out = std::process::Command::new("ip")
            .args(["netns", "add", &name])
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let ns = Netns { name };
                ns.ip("link set lo up");
                Some(ns)
            }
            other => {
                let why = format!("cannot create network namespace {name}: {other:?}");
                assert!(
                    std::env::var("DDNS_RS_SKIP_NETNS").as_deref() == Ok("1"),
                    "{why}; run as root with iproute2, or set DDNS_RS_SKIP_NETNS=1 to skip"
                );
                eprintln!("SKIPPED (DDNS_RS_SKIP_NETNS=1): {why}");
                None
            }
        }
    }

    /// Runs `ip -n <ns> <args>` and insists it succeeds.
    pub fn ip(&self, args: &str) {
        let out = std::process::Command::new("ip")
            .arg("-n")
            .arg(&self.name)
            .args(args.split_whitespace())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ip {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs the future made by `f` on a new thread that has entered the namespace, with a
    /// current-thread runtime: its sockets and child processes (daemon, chromedriver, browser)
    /// all live inside the namespace.
    pub fn run<F, Fut>(&self, f: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()>,
    {
        use std::os::fd::AsRawFd as _;
        let path = format!("/var/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let ns = std::fs::File::open(&path).unwrap();
            // SAFETY: setns(2) moves only this thread into the namespace; the fd is valid and
            // outlives the call.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(f());
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}
