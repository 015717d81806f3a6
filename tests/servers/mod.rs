//! Real DNS servers for integration tests: BIND 9 (`named`) and PowerDNS Authoritative
//! (`pdns_server`), each started on 127.0.0.1 high ports with a temporary config and data
//! directory, and stopped when its guard is dropped. The system services are never touched.
//!
//! A missing server binary fails the test loudly, unless `DDNS_RS_SKIP_SERVERS=1` (then
//! [`Bind::start`] / [`Pdns::start`] return `None` and the test returns early).

#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

/// The TSIG keys BIND knows: (name, algorithm, base64 secret). `other-key` may only update
/// `other.test`.
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "key-sha256",
        "hmac-sha256",
        "n7Cx3sS8s3Bq1JbTJm8rj7yQYz2y+2c0bq8G0lVxS2o=",
    ),
    (
        "key-sha512",
        "hmac-sha512",
        "Q2l0aGVyIGFuZCB0aGUgc2hhNTEyIGtleSBmb3IgZGRucy1ycyB0ZXN0cyEhIQ==",
    ),
    ("key-md5", "hmac-md5", "b2xkLXN0eWxlIG1kNSBrZXk="),
    (
        "key-sha1",
        "hmac-sha1",
        "c2hhMSBrZXkgZm9yIGRkbnMtcnMgdGVzdHM=",
    ),
    (
        "key-sha384",
        "hmac-sha384",
        "c2hhMzg0IGtleSBmb3IgZGRucy1ycyB0ZXN0cywgNDggYnl0ZXMgbG9uZyEhISEhISE=",
    ),
    (
        "other-key",
        "hmac-sha256",
        "b3RoZXIga2V5IGZvciBvdGhlci50ZXN0IG9ubHkhISE=",
    ),
];

/// `algorithm:secret` of key `name`, as the config's secret field holds it.
pub fn secret_of(name: &str) -> String {
    let (_, alg, b64) = KEYS.iter().find(|(n, _, _)| *n == name).unwrap();
    format!("{alg}:{b64}")
}

/// Where `bin` is, or `None` when it is missing and `DDNS_RS_SKIP_SERVERS=1`.
fn require(bin: &str) -> Option<PathBuf> {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(bin);
        if p.exists() {
            return Some(p);
        }
    }
    if std::env::var("DDNS_RS_SKIP_SERVERS").as_deref() == Ok("1") {
        eprintln!("{bin} is missing; skipped because DDNS_RS_SKIP_SERVERS=1");
        return None;
    }
    panic!(
        "{bin} is not installed: install it (.ci/run does: bind9 bind9-dnsutils pdns-server \
         pdns-backend-sqlite3 sqlite3) or set DDNS_RS_SKIP_SERVERS=1 to skip"
    );
}

/// A port free for both UDP and TCP on 127.0.0.1.
pub fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A plain (unsigned) DNS query over UDP: the RCODE and the answer records' addresses.
pub async fn query(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
) -> (ResponseCode, Vec<IpAddr>) {
    let m = ask(server, name, rtype).await;
    let addrs = m
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect();
    (m.metadata.response_code, addrs)
}

/// The zone's SOA serial.
pub async fn serial(server: SocketAddr, zone: &str) -> u32 {
    let m = ask(server, zone, RecordType::SOA).await;
    m.answers
        .iter()
        .find_map(|r| match &r.data {
            RData::SOA(s) => Some(s.serial),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no SOA for {zone}: {m:?}"))
}

async fn ask(server: SocketAddr, name: &str, rtype: RecordType) -> Message {
    let mut m = Message::new(4242, MessageType::Query, OpCode::Query);
    m.queries
        .push(Query::query(Name::from_ascii(name).unwrap(), rtype));
    let bytes = m.to_vec().unwrap();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.connect(server).await.unwrap();
    let mut buf = vec![0u8; 65535];
    for _ in 0..20 {
        sock.send(&bytes).await.unwrap();
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(500), sock.recv(&mut buf)).await
        {
            return Message::from_vec(&buf[..n]).unwrap();
        }
    }
    panic!("{server} did not answer a query for {name}");
}

/// Waits until `server` answers a SOA query for `zone` (the server has loaded it).
async fn wait_ready(server: SocketAddr, zone: &str, child: &mut Child, log: &Path) {
    let mut m = Message::new(1, MessageType::Query, OpCode::Query);
    m.queries.push(Query::query(
        Name::from_ascii(zone).unwrap(),
        RecordType::SOA,
    ));
    let bytes = m.to_vec().unwrap();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.connect(server).await.unwrap();
    let mut buf = vec![0u8; 4096];
    // Generous: a loaded CI machine may take seconds to start a server.
    for _ in 0..300 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the server exited ({status}) before answering:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        let _ = sock.send(&bytes).await;
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(100), sock.recv(&mut buf)).await
            && Message::from_vec(&buf[..n])
                .is_ok_and(|a| a.metadata.response_code == ResponseCode::NoError)
        {
            return;
        }
        // Refused (ICMP) comes back at once while the server is still starting.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the server did not answer for {zone} within 30 s:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// An HTTP client for test set-up (no proxy, ring as the TLS provider).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A running `named` serving `example.test` (updatable by the keys of every algorithm),
/// `other.test` (updatable by `other-key` only) and `policy.test` (`update-policy`: `key-sha256`
/// may change only the A/AAAA records of `www.policy.test`).
pub struct Bind {
    /// Where it answers (UDP and TCP).
    pub addr: SocketAddr,
    child: Child,
    dir: tempfile::TempDir,
}

impl Bind {
    /// Starts `named -g` with a fresh config and zones.
    pub async fn start() -> Option<Bind> {
        let named = require("named")?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let port = free_port();
        let keys: String = KEYS
            .iter()
            .map(|(n, a, s)| format!("key \"{n}\" {{ algorithm {a}; secret \"{s}\"; }};\n"))
            .collect();
        let conf = format!(
            r#"options {{
  directory "{d}";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  pid-file "{d}/named.pid";
  session-keyfile "{d}/session.key";
  recursion no;
  dnssec-validation no;
}};
controls {{ }};
{keys}
zone "example.test" {{ type primary; file "{d}/example.test.db";
  allow-update {{ key key-sha256; key key-sha512; key key-md5; key key-sha1; key key-sha384; }}; }};
zone "other.test" {{ type primary; file "{d}/other.test.db"; allow-update {{ key other-key; }}; }};
zone "policy.test" {{ type primary; file "{d}/policy.test.db";
  update-policy {{ grant key-sha256 name www.policy.test. A AAAA; }}; }};
"#
        );
        std::fs::write(dir.path().join("named.conf"), conf).unwrap();
        // `many` has 60 A records: an answer over 512 bytes, truncated over UDP.
        let many: String = (1..=60)
            .map(|i| format!("many IN A 198.18.0.{i}\n"))
            .collect();
        for (zone, extra) in [
            (
                "example.test",
                format!(
                    "old IN A 192.0.2.1\nold IN AAAA 2001:db8::1\ntwo IN A 192.0.2.1\ntwo IN A 192.0.2.2\nsame IN A 192.0.2.50\nsame IN AAAA 2001:db8::50\nok IN A 45.77.1.2\nok IN AAAA 2606:4700:4700::1111\n{many}"
                ),
            ),
            ("other.test", String::new()),
            ("policy.test", String::new()),
        ] {
            let db = format!(
                "$TTL 300\n@ IN SOA ns.{zone}. admin.{zone}. 1 3600 600 86400 300\n@ IN NS ns.{zone}.\nns IN A 127.0.0.1\n{extra}"
            );
            std::fs::write(dir.path().join(format!("{zone}.db")), db).unwrap();
        }
        let log_path = dir.path().join("named.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(named)
            .args(["-g", "-4", "-c"])
            .arg(dir.path().join("named.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        // The guard exists before the wait, so a failed start still stops the process.
        let mut bind = Bind { addr, child, dir };
        wait_ready(addr, "example.test", &mut bind.child, &log_path).await;
        Some(bind)
    }

    /// named's log (with -g every category goes to stderr, which is this file).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("named.log")).unwrap_or_default()
    }

    /// Stops named (SIGKILL, as a crash or a power cut would); the zones and their journals
    /// stay in the directory for [`Bind::restart`].
    pub fn stop(&mut self) {
        stop(&mut self.child);
    }

    /// Starts named again on the same address with the same config, zones and journals, and
    /// waits until it answers. The log goes on in the same file.
    pub async fn restart(&mut self) {
        let named = require("named").expect("named was there at start");
        let log_path = self.dir.path().join("named.log");
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(&log_path)
            .unwrap();
        self.child = Command::new(named)
            .args(["-g", "-4", "-c"])
            .arg(self.dir.path().join("named.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        wait_ready(self.addr, "example.test", &mut self.child, &log_path).await;
    }

    /// How many UPDATE requests named has approved so far.
    pub fn updates_approved(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("approved"))
            .count()
    }
}

impl Drop for Bind {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A running `pdns_server` with the gsqlite3 backend and its HTTP API enabled.
pub struct Pdns {
    /// DNS port.
    pub dns: SocketAddr,
    /// API base URL (`http://127.0.0.1:<port>`).
    pub api: String,
    /// The API key.
    pub key: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Pdns {
    /// Starts PowerDNS and creates `zones` through its API.
    pub async fn start(zones: &[&str]) -> Option<Pdns> {
        let pdns = require("pdns_server")?;
        let sqlite = require("sqlite3")?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let schema = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";
        let db = format!("{d}/pdns.sqlite3");
        let ok = Command::new(sqlite)
            .arg(&db)
            .stdin(
                std::fs::File::open(schema)
                    .unwrap_or_else(|e| panic!("{schema}: {e}; install pdns-backend-sqlite3")),
            )
            .status()
            .unwrap();
        assert!(ok.success(), "sqlite3 could not load the schema");
        let (dns_port, web_port) = (free_port(), free_port());
        let key = "pdns-test-key".to_string();
        // Caches off, so a query right after a PATCH sees it.
        let conf = format!(
            "launch=gsqlite3\ngsqlite3-database={db}\nlocal-address=127.0.0.1\nlocal-port={dns_port}\n\
             api=yes\napi-key={key}\nwebserver=yes\nwebserver-address=127.0.0.1\n\
             webserver-port={web_port}\nwebserver-allow-from=127.0.0.0/8\ndaemon=no\nguardian=no\n\
             socket-dir={d}\ndisable-syslog=yes\ncache-ttl=0\nnegquery-cache-ttl=0\nquery-cache-ttl=0\n\
             zone-cache-refresh-interval=0\n"
        );
        std::fs::write(dir.path().join("pdns.conf"), conf).unwrap();
        let log_path = dir.path().join("pdns.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(pdns)
            .arg(format!("--config-dir={d}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let api = format!("http://127.0.0.1:{web_port}");
        let dns: SocketAddr = format!("127.0.0.1:{dns_port}").parse().unwrap();
        // The guard exists before any wait, so a failed start still stops the process.
        let mut guard = Pdns {
            dns,
            api: api.clone(),
            key: key.clone(),
            child,
            dir,
        };
        let child = &mut guard.child;
        let http = http();
        let mut up = false;
        for _ in 0..300 {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "pdns_server exited ({status}):\n{}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            let r = http
                .get(format!("{api}/api/v1/servers/localhost"))
                .header("X-API-Key", &key)
                .send()
                .await;
            if r.is_ok_and(|r| r.status().is_success()) {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            up,
            "pdns API did not come up:\n{}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
        for zone in zones {
            let body = serde_json::json!({"name": format!("{zone}."), "kind": "Native",
                "nameservers": [format!("ns1.{zone}.")]});
            let r = http
                .post(format!("{api}/api/v1/servers/localhost/zones"))
                .header("X-API-Key", &key)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
        }
        wait_ready(
            dns,
            zones.first().copied().unwrap_or("."),
            &mut guard.child,
            &log_path,
        )
        .await;
        Some(guard)
    }

    /// Sets an RRset directly through the API (test seeding, independent of the provider).
    pub async fn seed(&self, zone: &str, name: &str, rtype: &str, contents: &[&str]) {
        let records: Vec<_> = contents
            .iter()
            .map(|c| serde_json::json!({"content": c, "disabled": false}))
            .collect();
        let body = serde_json::json!({"rrsets": [{"name": format!("{name}."), "type": rtype,
            "ttl": 300, "changetype": "REPLACE", "records": records}]});
        let r = http()
            .patch(format!(
                "{}/api/v1/servers/localhost/zones/{zone}.",
                self.api
            ))
            .header("X-API-Key", &self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204, "{}", r.text().await.unwrap());
    }

    /// pdns's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pdns.log")).unwrap_or_default()
    }
}

impl Drop for Pdns {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A recording HTTP pass-through in front of a real server's API: every request is logged
/// (method and path) and forwarded unchanged, so a test can assert which calls were made.
pub struct Recorder {
    /// Where the recorder listens (`http://127.0.0.1:<port>`).
    pub url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl Recorder {
    /// Starts a recorder forwarding to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Recorder {
        use axum::body::Bytes;
        use axum::http::{HeaderMap, Method, StatusCode, Uri};
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let upstream = upstream.to_string();
        let client = http();
        let router = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (log, upstream, client) = (log.clone(), upstream.clone(), client.clone());
                async move {
                    log.lock()
                        .unwrap()
                        .push((method.to_string(), uri.to_string()));
                    let mut req = client.request(
                        reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
                        format!("{upstream}{uri}"),
                    );
                    for (k, v) in &headers {
                        if k != "host" && k != "content-length" {
                            req = req.header(k.as_str(), v.as_bytes());
                        }
                    }
                    let r = req.body(body.to_vec()).send().await.unwrap();
                    let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
                    (status, r.bytes().await.unwrap().to_vec())
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Recorder {
            url: format!("http://{addr}"),
            seen,
        }
    }

    /// Every (method, path-and-query) forwarded so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }

    /// Only the methods, in order.
    pub fn methods(&self) -> Vec<String> {
        self.requests().into_iter().map(|(m, _)| m).collect()
    }
}
