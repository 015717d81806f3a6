//! The engine rig shared by the rfc2136 fault tests (`tests/faults_rfc2136.rs` against a
//! misbehaving fake DNS server, `tests/faults_rfc2136_bind.rs` against a real BIND): entry 0
//! updates one name over RFC 2136, entry 1 is a healthy Cloudflare entry that must keep working
//! whatever happens to entry 0.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf};
use ddns_rs::sync::status::{RecordStatus, StatusBoard};
use ddns_rs::sync::{Engine, EngineOptions};

use super::cloudflare::FakeCloudflare;

/// The engine with entry 0 (rfc2136 → `domain` on `bind` with `key`/`secret`) and entry 1
/// (Cloudflare, healthy), both fed the address in a file.
pub struct Rig {
    pub engine: Engine,
    pub status: StatusBoard,
    pub cf: std::sync::Arc<FakeCloudflare>,
    addr_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Rig {
    pub async fn new(bind: SocketAddr, domain: &str, key: &str, secret: &str, addr: &str) -> Rig {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cf = FakeCloudflare::new("tok");
        cf.add_zone("example.org");
        let cf_addr = super::serve_http(cf.router()).await;
        let dir = tempfile::tempdir().unwrap();
        let addr_file = dir.path().join("addr");
        std::fs::write(&addr_file, format!("{addr}\n")).unwrap();
        let v4 = |d: &str| IpConf {
            enable: true,
            gettype: "cmd".into(),
            cmd: format!("cat {}", addr_file.display()),
            domains: vec![d.into()],
            ..Default::default()
        };
        let config = Config {
            dnsconf: vec![
                DnsConfig {
                    name: "bind".into(),
                    ipv4: v4(domain),
                    dns: DnsProvider {
                        name: "rfc2136".into(),
                        id: key.into(),
                        secret: secret.into(),
                        extparam: bind.to_string(),
                    },
                    ..Default::default()
                },
                DnsConfig {
                    name: "cf".into(),
                    ipv4: v4("ok.example.org"),
                    dns: DnsProvider {
                        name: "cloudflare".into(),
                        secret: "tok".into(),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let mut endpoints = HashMap::new();
        endpoints.insert("cloudflare".to_string(), format!("http://{cf_addr}"));
        let status = StatusBoard::default();
        let opts = EngineOptions {
            endpoints,
            ..Default::default()
        };
        Rig {
            engine: Engine::new(config, opts, status.clone()),
            status,
            cf,
            addr_file,
            _dir: dir,
        }
    }

    pub fn set_addr(&self, a: &str) {
        std::fs::write(&self.addr_file, format!("{a}\n")).unwrap();
    }

    /// The status of the rfc2136 record.
    pub fn under(&self) -> RecordStatus {
        self.status
            .snapshot()
            .into_iter()
            .find(|s| s.entry == 0)
            .expect("a status for the rfc2136 record")
    }

    /// The healthy entry holds `addr`.
    pub fn healthy_holds(&self, addr: &str) -> bool {
        self.cf
            .records()
            .iter()
            .any(|r| r.name == "ok.example.org" && r.content == addr)
    }
}
