//! Shared rig of the fault-injection tests: each HTTP provider family (dnspod among the token
//! APIs) behind a [`Faulty`] front with its strict fake, plus a healthy Cloudflare entry, driven
//! by the real engine.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf};
use ddns_rs::http::HttpOptions;
use ddns_rs::sync::status::StatusBoard;
use ddns_rs::sync::{Engine, EngineOptions};

use crate::fakes;
use fakes::cloudflare::FakeCloudflare;
use fakes::faulty::Faulty;

pub const OLD: &str = "8.8.4.4";
pub const NEW: &str = "9.9.9.9";
pub const NAME: &str = "www.example.com";

/// Adds a record holding the given value.
pub type Seeder = Box<dyn Fn(&str) + Send + Sync>;

/// One provider family behind a fault front.
pub struct Fam {
    pub key: &'static str,
    pub id: String,
    pub secret: String,
    pub front: Arc<Faulty>,
    /// Current A values of `www.example.com` at the fake.
    pub values: Box<dyn Fn() -> Vec<String> + Send + Sync>,
    /// Adds one more A record `www.example.com` → value (None for change-only services).
    pub seed: Option<Seeder>,
    /// True when the API cannot be read (writes happen only on a change).
    pub change_only: bool,
    /// A marker in the head of a write request (method, action name or path).
    pub write_marker: &'static str,
}

pub async fn family(key: &'static str) -> Fam {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match key {
        "alidns" => {
            let f = fakes::alidns::FakeAlidns::new("ak", "ali-secret-XYZ", "");
            let a = fakes::serve_http(f.router()).await;
            let front = Faulty::start(a).await;
            f.set_expected_host(&front.addr.to_string());
            f.add_record("example.com", "www", "A", OLD, 600, "default");
            let (f1, f2) = (f.clone(), f.clone());
            Fam {
                key,
                id: "ak".into(),
                secret: "ali-secret-XYZ".into(),
                front,
                values: Box::new(move || {
                    f1.records()
                        .into_iter()
                        .filter(|r| r.rr == "www" && r.rtype == "A")
                        .map(|r| r.value)
                        .collect()
                }),
                seed: Some(Box::new(move |v| {
                    f2.add_record("example.com", "www", "A", v, 600, "default");
                })),
                change_only: false,
                write_marker: "UpdateDomainRecord",
            }
        }
        "tencentcloud" => {
            let f = fakes::tencentcloud::FakeTencent::new("AKID", "tc-secret-XYZ", "");
            let a = fakes::serve_http(f.router()).await;
            let front = Faulty::start(a).await;
            f.set_expected_host(&front.addr.to_string());
            f.add_zone("example.com");
            f.add_record("example.com", "www", "A", OLD, 600, "默认");
            let (f1, f2) = (f.clone(), f.clone());
            Fam {
                key,
                id: "AKID".into(),
                secret: "tc-secret-XYZ".into(),
                front,
                values: Box::new(move || {
                    f1.records()
                        .into_iter()
                        .filter(|r| r.name == "www" && r.rtype == "A")
                        .map(|r| r.value)
                        .collect()
                }),
                seed: Some(Box::new(move |v| {
                    f2.add_record("example.com", "www", "A", v, 600, "默认");
                })),
                change_only: false,
                write_marker: "ModifyRecord",
            }
        }
        "huaweicloud" => {
            let f = fakes::huaweicloud::FakeHuawei::new("HWAK", "hw-secret-XYZ", "");
            let a = fakes::serve_http(f.router()).await;
            let front = Faulty::start(a).await;
            f.set_expected_host(&front.addr.to_string());
            f.add_record("example.com", NAME, "A", OLD, 300);
            let (f1, f2) = (f.clone(), f.clone());
            Fam {
                key,
                id: "HWAK".into(),
                secret: "hw-secret-XYZ".into(),
                front,
                values: Box::new(move || {
                    f1.records()
                        .into_iter()
                        .filter(|r| r.name == "www.example.com." && r.rtype == "A")
                        .flat_map(|r| r.records)
                        .collect()
                }),
                seed: Some(Box::new(move |v| {
                    f2.add_record("example.com", NAME, "A", v, 300);
                })),
                change_only: false,
                write_marker: "PUT ",
            }
        }
        "cloudflare" => {
            let f = FakeCloudflare::new("cf-token-XYZ");
            let zone = f.add_zone("example.com");
            f.seed(&zone, "A", NAME, OLD, false);
            let a = fakes::serve_http(f.router()).await;
            let front = Faulty::start(a).await;
            let (f1, f2) = (f.clone(), f.clone());
            Fam {
                key,
                id: String::new(),
                secret: "cf-token-XYZ".into(),
                front,
                values: Box::new(move || {
                    f1.records()
                        .into_iter()
                        .filter(|r| r.name == NAME && r.rtype == "A")
                        .map(|r| r.content)
                        .collect()
                }),
                seed: Some(Box::new(move |v| {
                    f2.seed(&zone, "A", NAME, v, false);
                })),
                change_only: false,
                write_marker: "PATCH ",
            }
        }
        "porkbun" => {
            let f = fakes::porkbun::FakePorkbun::new("pk1_k", "sk1_secretXYZ");
            f.add_zone("example.com");
            f.seed("example.com", NAME, "A", OLD);
            let a = fakes::serve_http(f.router()).await;
            let front = Faulty::start(a).await;
            let (f1, f2) = (f.clone(), f.clone());
            Fam {
                key,
                id: "pk1_k".into(),
                secret: "sk1_secretXYZ".into(),
                front,
                values: Box::new(move || f1.values(NAME, "A")),
                seed: Some(Box::new(move |v| {
                    f2.seed("example.com", NAME, "A", v);
                })),
                change_only: false,
                write_marker: "/editByNameType",
            }
        }
        "dnspod" => {
            let f = fakes::dnspod::FakeDnspod::new("12345", "dp-token-XYZ");
            f.add_domain("example.com");
            f.seed("example.com", "www", "A", OLD, "默认");
            let a = fakes::serve_http(f.router()).await;
            let front = Faulty::start(a).await;
            let (f1, f2) = (f.clone(), f.clone());
            Fam {
                key,
                id: "12345".into(),
                secret: "dp-token-XYZ".into(),
                front,
                values: Box::new(move || {
                    f1.records()
                        .into_iter()
                        .filter(|r| r.sub == "www" && r.rtype == "A")
                        .map(|r| r.value)
                        .collect()
                }),
                seed: Some(Box::new(move |v| {
                    f2.seed("example.com", "www", "A", v, "默认");
                })),
                change_only: false,
                write_marker: "Record.Modify",
            }
        }
        "dyndns2" => {
            let f = fakes::dyndns2::FakeDyndns2::new("alice", "dyn-secret-XYZ", "duck");
            f.add_host(NAME);
            let a = fakes::serve_http(f.router()).await;
            let front = Faulty::start(a).await;
            let f1 = f.clone();
            Fam {
                key,
                id: "alice".into(),
                secret: "dyn-secret-XYZ".into(),
                front,
                values: Box::new(move || {
                    f1.host(NAME)
                        .and_then(|(a, _)| a)
                        .map(|a| vec![a.to_string()])
                        .unwrap_or_default()
                }),
                seed: None,
                change_only: true,
                write_marker: "/nic/update",
            }
        }
        other => panic!("no family {other}"),
    }
}

pub const FAMILIES: &[&str] = &[
    "alidns",
    "tencentcloud",
    "huaweicloud",
    "cloudflare",
    "porkbun",
    "dnspod",
    "dyndns2",
];

/// The family under test (entry 0) plus a healthy Cloudflare entry (entry 1).
pub struct Rig {
    pub fam: Fam,
    pub healthy: Arc<FakeCloudflare>,
    pub engine: Engine,
    pub status: StatusBoard,
    addr_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Rig {
    pub async fn new(key: &'static str) -> Rig {
        let fam = family(key).await;
        let healthy = FakeCloudflare::new("ok-token");
        healthy.add_zone("example.org");
        let h = fakes::serve_http(healthy.router()).await;
        let dir = tempfile::tempdir().unwrap();
        let addr_file = dir.path().join("addr");
        std::fs::write(&addr_file, format!("{NEW}\n")).unwrap();
        let v4 = |d: &str| IpConf {
            enable: true,
            gettype: "cmd".into(),
            cmd: format!("cat {}", addr_file.display()),
            domains: vec![d.to_string()],
            ..Default::default()
        };
        let under = DnsConfig {
            name: "under-test".into(),
            ipv4: v4(NAME),
            dns: DnsProvider {
                name: key.into(),
                id: fam.id.clone(),
                secret: fam.secret.clone(),
                ..Default::default()
            },
            ..Default::default()
        };
        let ok = DnsConfig {
            name: "healthy".into(),
            ipv4: v4("ok.example.org"),
            dns: DnsProvider {
                name: "cloudflare".into(),
                secret: "ok-token".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        // Two Cloudflare endpoints are needed when the family under test is Cloudflare itself:
        // the healthy entry then goes through the same front, so it is only used for others.
        let mut endpoints = HashMap::new();
        endpoints.insert(key.to_string(), fam.front.url());
        let mut entries = vec![under];
        if key != "cloudflare" {
            endpoints.insert("cloudflare".to_string(), format!("http://{h}"));
            entries.push(ok);
        }
        let config = Config {
            dnsconf: entries,
            lang: "en".into(),
            ..Default::default()
        };
        let status = StatusBoard::default();
        let opts = EngineOptions {
            cache_times: 5,
            endpoints,
            http: HttpOptions {
                provider_timeout: Some(Duration::from_secs(2)),
                ..Default::default()
            },
            ..Default::default()
        };
        Rig {
            fam,
            healthy,
            engine: Engine::new(config, opts, status.clone()),
            status,
            addr_file,
            _dir: dir,
        }
    }

    pub fn set_addr(&self, a: &str) {
        std::fs::write(&self.addr_file, format!("{a}\n")).unwrap();
    }

    /// Status of the record under test.
    pub fn under(&self) -> ddns_rs::sync::status::RecordStatus {
        self.status
            .snapshot()
            .into_iter()
            .find(|r| r.entry == 0 && r.domain == NAME)
            .expect("a status for the record under test")
    }

    pub fn healthy_ok(&self) -> bool {
        if self.fam.key == "cloudflare" {
            return true;
        }
        self.healthy
            .records()
            .iter()
            .any(|r| r.name == "ok.example.org" && r.content == NEW)
    }

    /// Every value the fake holds is the old or the new address, never anything else.
    pub fn no_wrong_value(&self) {
        for v in (self.fam.values)() {
            assert!(
                v == OLD || v == NEW,
                "{}: record holds {v}, neither {OLD} nor {NEW}",
                self.fam.key
            );
        }
    }
}
