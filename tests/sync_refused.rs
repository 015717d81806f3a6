//! The engine and a refusal only a config change can fix (dyndns2 `nohost`, `abuse`, …,
//! surfaced as `ProviderError::Refused`): the refused record is not asked again on later
//! runs — not even for a new address — while the entry's other records go on, and a changed
//! config tries again. Also `911` holds the entry (rate limit) instead of hammering.

mod fakes;

use std::collections::HashMap;
use std::sync::Arc;

use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf};
use ddns_rs::sync::status::StatusBoard;
use ddns_rs::sync::{Engine, EngineOptions};
use fakes::dyndns2::FakeDyndns2;

struct Setup {
    fake: Arc<FakeDyndns2>,
    endpoints: HashMap<String, String>,
    addr_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let fake = FakeDyndns2::new("u", "p", "t");
    fake.add_host("a.example.net");
    fake.add_host("b.example.net");
    let addr = fakes::serve_http(fake.router()).await;
    let dir = tempfile::tempdir().unwrap();
    let addr_file = dir.path().join("addr");
    std::fs::write(&addr_file, "8.8.8.8\n").unwrap();
    let mut endpoints = HashMap::new();
    endpoints.insert("dyndns2".to_string(), format!("http://{addr}"));
    Setup {
        fake,
        endpoints,
        addr_file,
        _dir: dir,
    }
}

impl Setup {
    fn config(&self, domains: &[&str], password: &str) -> Config {
        Config {
            dnsconf: vec![DnsConfig {
                name: "dyn".into(),
                ipv4: IpConf {
                    enable: true,
                    gettype: "cmd".into(),
                    cmd: format!("cat {}", self.addr_file.display()),
                    domains: domains.iter().map(|d| d.to_string()).collect(),
                    ..Default::default()
                },
                dns: DnsProvider {
                    name: "dyndns2".into(),
                    id: "u".into(),
                    secret: password.into(),
                    extparam: "noip".into(),
                },
                ..Default::default()
            }],
            lang: "en".into(),
            ..Default::default()
        }
    }

    fn engine(&self, config: Config) -> (Engine, StatusBoard) {
        let status = StatusBoard::default();
        let opts = EngineOptions {
            cache_times: 0,
            endpoints: self.endpoints.clone(),
            ..Default::default()
        };
        (Engine::new(config, opts, status.clone()), status)
    }

    fn calls_for(&self, host: &str) -> usize {
        let q = format!("hostname={host}&");
        self.fake
            .requests()
            .iter()
            .filter(|r| r.uri.contains(&q))
            .count()
    }
}

#[tokio::test]
async fn a_refused_record_is_not_retried_until_the_config_changes() {
    let s = setup().await;
    // "gone.example.net" is not in the account: nohost.
    let (mut e, status) = s.engine(s.config(&["gone.example.net", "a.example.net"], "p"));
    let r = e.run_once().await;
    assert_eq!((r.failed, r.updated), (1, 1));
    assert_eq!(s.calls_for("gone.example.net"), 1);

    // Later runs, even with a new address: the refused record is skipped, the other is not.
    std::fs::write(&s.addr_file, "9.9.9.9\n").unwrap();
    let r = e.run_once().await;
    assert_eq!((r.failed, r.updated), (1, 1));
    e.run_once().await;
    assert_eq!(
        s.calls_for("gone.example.net"),
        1,
        "no second nohost request"
    );
    assert_eq!(s.calls_for("a.example.net"), 2);
    let snap = status.snapshot();
    let gone = snap
        .iter()
        .find(|r| r.domain == "gone.example.net")
        .unwrap();
    let why = gone.error.as_deref().unwrap();
    assert!(
        why.contains("nohost") && why.contains("configuration changes"),
        "{why}"
    );

    // Setting the same config changes nothing.
    e.set_config(s.config(&["gone.example.net", "a.example.net"], "p"));
    e.run_once().await;
    assert_eq!(s.calls_for("gone.example.net"), 1);

    // A different config (the user fixed the account) tries again.
    s.fake.add_host("gone.example.net");
    e.set_config(s.config(&["gone.example.net", "a.example.net", "b.example.net"], "p"));
    let r = e.run_once().await;
    assert_eq!((r.failed, r.updated), (0, 3));
    assert_eq!(s.calls_for("gone.example.net"), 2);
}

#[tokio::test]
async fn server_trouble_holds_the_entry() {
    let s = setup().await;
    let (mut e, _) = s.engine(s.config(&["a.example.net", "b.example.net"], "p"));
    s.fake.answer_next(200, "911");
    let r = e.run_once().await;
    assert_eq!(r.failed, 2, "the second record is skipped after 911");
    assert_eq!(s.fake.requests().len(), 1);
    e.run_once().await;
    assert_eq!(s.fake.requests().len(), 1, "held for 30 minutes");
}
