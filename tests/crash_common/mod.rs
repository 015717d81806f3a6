//! Shared by the crash-safety tests: start the real binary with its web UI on 127.0.0.1, a tiny
//! blocking HTTP/1.1 client (one request per connection), the two configs the UI saves, and
//! the private mount namespace the disk-full / read-only tests need.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The account the first-run login creates.
pub const USER: &str = "admin";
/// Strong enough for ddns-go's rule.
pub const PASSWORD: &str = "Crash-Safety-Pw-9173!";

/// A free port on 127.0.0.1 (bound then released; the daemon binds it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary's arguments for a daemon with the UI on `port` and the config at `config`.
pub fn daemon_args(config: &Path, port: u16) -> Vec<String> {
    vec![
        "-c".into(),
        config.display().to_string(),
        "-l".into(),
        format!("127.0.0.1:{port}"),
        "-f".into(),
        "3600".into(),
    ]
}

/// Environment that keeps the daemon off the internet whatever it tries: every proxy points at
/// a closed local port.
pub fn isolate(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
}

/// Starts the daemon directly.
pub fn start(config: &Path, port: u16, home: &Path) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ddns-rs"));
    cmd.args(daemon_args(config, port));
    isolate(&mut cmd, home);
    cmd.spawn().unwrap()
}

/// Waits until the UI accepts connections; panics if the daemon exits first.
pub fn wait_ready(child: &mut Child, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the daemon exited before serving: {status}");
        }
        assert!(Instant::now() < deadline, "the UI never came up on {port}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A response: status code and body.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body (after the header block).
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// One POST with a JSON body and an optional session cookie; `Err` when the connection breaks
/// (the daemon was killed).
pub fn post(port: u16, path: &str, token: Option<&str>, body: &Value) -> std::io::Result<Reply> {
    request(port, "POST", path, token, &body.to_string())
}

/// One GET with an optional session cookie.
pub fn get(port: u16, path: &str, token: Option<&str>) -> std::io::Result<Reply> {
    request(port, "GET", path, token, "")
}

fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> std::io::Result<Reply> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let cookie = token
        .map(|t| format!("Cookie: token={t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         {cookie}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("incomplete answer: {text:?}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head:?}")))?;
    Ok(Reply {
        status,
        body: body.to_string(),
    })
}

/// Logs in (the first login from 127.0.0.1 creates the account) and returns the session token.
pub fn login(port: u16) -> String {
    let r = post(
        port,
        "/loginFunc",
        None,
        &json!({"Username": USER, "Password": PASSWORD}),
    )
    .unwrap();
    let v = r.json();
    assert_eq!(v["Code"], 200, "login failed: {v}");
    v["Data"].as_str().unwrap().to_string()
}

/// The `/save` body of config version `n` (0 or 1): different entries, webhook and language.
pub fn save_body(n: usize) -> Value {
    let entry = |name: &str, domain: &str| {
        json!({"Name": name, "DnsName": "cloudflare", "DnsID": "", "DnsSecret": format!("secret-of-{name}"),
               "Ipv4Enable": false, "Ipv4GetType": "url", "Ipv4Url": "http://127.0.0.1:9/ip",
               "Ipv4Domains": domain, "Ipv6Enable": false, "Ipv6GetType": "netInterface",
               "Ipv6Domains": ""})
    };
    let entries = if n == 0 {
        vec![entry("alpha", "a.example.com")]
    } else {
        vec![
            entry("beta", "b.example.com\nc.example.com"),
            entry("gamma", "d.example.com"),
        ]
    };
    json!({"Username": USER, "Password": "", "NotAllowWanAccess": true,
           "WebhookURL": format!("http://127.0.0.1:9/hook{n}"), "WebhookRequestBody": "",
           "WebhookHeaders": "", "Lang": if n == 0 { "en" } else { "zh" }, "DnsConf": entries})
}

/// Runs `script` with `sh -c` in a private mount namespace (`unshare -m`, private propagation),
/// so its mounts vanish with it. Panics when mounts are not permitted, unless
/// `DDNS_RS_SKIP_MOUNT=1` — then returns `None` and the caller skips.
pub fn mount_ns_command(script: &str) -> Option<Command> {
    let probe = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount -t tmpfs -o size=16k none /mnt")
        .status();
    match probe {
        Ok(s) if s.success() => {
            let mut cmd = Command::new("unshare");
            cmd.args(["-m", "--propagation", "private", "sh", "-ec", script]);
            Some(cmd)
        }
        other => {
            assert!(
                std::env::var("DDNS_RS_SKIP_MOUNT").as_deref() == Ok("1"),
                "cannot mount in a private mount namespace ({other:?}); run as root with \
                 unshare(1), or set DDNS_RS_SKIP_MOUNT=1 to skip these tests"
            );
            eprintln!("skipped: mounts not permitted and DDNS_RS_SKIP_MOUNT=1");
            None
        }
    }
}
