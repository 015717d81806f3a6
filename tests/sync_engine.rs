//! The sync engine across runs, as the daemon drives it: the IP cache, change-only providers,
//! failures and retries, the stop after an authentication error, the rate-limit hold, config
//! swaps, the webhook's failure streak, and the status board. Providers are the real ones,
//! pointed at local fakes; the address comes from a `cmd` source that reads a file the test
//! rewrites.

mod fakes;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf};
use ddns_rs::provider::RecordType;
use ddns_rs::sync::status::{Outcome, StatusBoard};
use ddns_rs::sync::{Engine, EngineOptions};
use fakes::callback::FakeCallback;
use fakes::cloudflare::{CfFault, FakeCloudflare};

struct Setup {
    cf: Arc<FakeCloudflare>,
    zone: String,
    hook: Arc<FakeCallback>,
    endpoints: HashMap<String, String>,
    hook_url: String,
    addr_file: PathBuf,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let cf = FakeCloudflare::new("tok");
    let zone = cf.add_zone("example.com");
    let hook = FakeCallback::new();
    let cf_addr = fakes::serve_http(cf.router()).await;
    let hook_addr = fakes::serve_http(hook.router()).await;
    let dir = tempfile::tempdir().unwrap();
    let addr_file = dir.path().join("addr");
    std::fs::write(&addr_file, "8.8.8.8\n").unwrap();
    let mut endpoints = HashMap::new();
    endpoints.insert("cloudflare".to_string(), format!("http://{cf_addr}"));
    Setup {
        cf,
        zone,
        hook,
        endpoints,
        hook_url: format!("http://{hook_addr}/hook?r=#{{ipv4Result}}"),
        addr_file,
        _dir: dir,
    }
}

impl Setup {
    fn set_addr(&self, a: &str) {
        std::fs::write(&self.addr_file, format!("{a}\n")).unwrap();
    }

    fn v4(&self, domains: &[&str]) -> IpConf {
        IpConf {
            enable: true,
            gettype: "cmd".into(),
            cmd: format!("cat {}", self.addr_file.display()),
            domains: domains.iter().map(|d| d.to_string()).collect(),
            ..Default::default()
        }
    }

    fn cf_entry(&self, domains: &[&str], token: &str) -> DnsConfig {
        DnsConfig {
            name: "cf".into(),
            ipv4: self.v4(domains),
            dns: DnsProvider {
                name: "cloudflare".into(),
                secret: token.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn config(&self, entries: Vec<DnsConfig>) -> Config {
        let mut c = Config {
            dnsconf: entries,
            lang: "en".into(),
            ..Default::default()
        };
        c.webhook.webhookurl = self.hook_url.clone();
        c
    }

    fn engine(&self, config: Config, cache_times: u32) -> (Engine, StatusBoard) {
        let status = StatusBoard::default();
        let opts = EngineOptions {
            cache_times,
            endpoints: self.endpoints.clone(),
            ..Default::default()
        };
        (Engine::new(config, opts, status.clone()), status)
    }

    fn cf_requests(&self) -> usize {
        self.cf.requests().len()
    }
}

fn content(cf: &FakeCloudflare, name: &str) -> Option<String> {
    cf.records()
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.content)
}

#[tokio::test]
async fn unchanged_address_is_compared_only_every_cache_times_plus_one_runs() {
    let s = setup().await;
    let (mut e, _) = s.engine(s.config(vec![s.cf_entry(&["www.example.com"], "tok")]), 2);
    let r = e.run_once().await;
    assert_eq!((r.updated, r.failed), (1, 0));
    assert_eq!(
        content(&s.cf, "www.example.com").as_deref(),
        Some("8.8.8.8")
    );
    let after_first = s.cf_requests();
    // Runs 2 and 3: the cache answers, the provider is not asked.
    for _ in 0..2 {
        let r = e.run_once().await;
        assert_eq!((r.unchanged, r.updated), (1, 0));
        assert_eq!(s.cf_requests(), after_first);
    }
    // Run 4: compared again (lookups only, no write).
    let writes = s.cf.writes().len();
    e.run_once().await;
    assert!(s.cf_requests() > after_first);
    assert_eq!(s.cf.writes().len(), writes);
    // A change is acted on at once, whatever the countdown.
    s.set_addr("1.1.1.1");
    let r = e.run_once().await;
    assert_eq!(r.updated, 1);
    assert_eq!(
        content(&s.cf, "www.example.com").as_deref(),
        Some("1.1.1.1")
    );
}

#[tokio::test]
async fn a_config_change_resets_the_caches() {
    let s = setup().await;
    let c1 = s.config(vec![s.cf_entry(&["www.example.com"], "tok")]);
    let (mut e, status) = s.engine(c1, 100);
    e.run_once().await;
    e.run_once().await;
    let n = s.cf_requests();
    // Same config again: nothing resets.
    e.set_config(s.config(vec![s.cf_entry(&["www.example.com"], "tok")]));
    e.run_once().await;
    assert_eq!(s.cf_requests(), n);
    // A new domain: caches reset, both names compared and the new one created.
    e.set_config(s.config(vec![
        s.cf_entry(&["www.example.com", "new.example.com"], "tok"),
    ]));
    let r = e.run_once().await;
    assert_eq!((r.updated, r.unchanged), (1, 1));
    assert_eq!(
        content(&s.cf, "new.example.com").as_deref(),
        Some("8.8.8.8")
    );
    // Removing it drops its status line.
    e.set_config(s.config(vec![s.cf_entry(&["www.example.com"], "tok")]));
    let names: Vec<String> = status.snapshot().into_iter().map(|r| r.domain).collect();
    assert_eq!(names, vec!["www.example.com".to_string()]);
}

#[tokio::test]
async fn a_provider_failure_is_retried_next_run_and_recorded() {
    let s = setup().await;
    let (mut e, status) = s.engine(s.config(vec![s.cf_entry(&["www.example.com"], "tok")]), 100);
    s.cf.fail_next(CfFault::Error {
        status: 500,
        code: 10001,
        message: "internal".into(),
    });
    let r = e.run_once().await;
    assert_eq!(r.failed, 1);
    let st = &status.snapshot()[0];
    assert_eq!(st.outcome, Outcome::Failed);
    assert!(st.error.as_deref().unwrap().contains("internal"), "{st:?}");
    // cacheTimes is 100, but a failure resets the cache: the next run tries again.
    let r = e.run_once().await;
    assert_eq!((r.updated, r.failed), (1, 0));
    let st = &status.snapshot()[0];
    assert_eq!(st.outcome, Outcome::Updated);
    assert_eq!(st.published.as_deref(), Some("8.8.8.8"));
    assert_eq!(st.rtype, RecordType::A);
    assert!(st.changed_at.is_some() && st.error.is_none());
}

#[tokio::test]
async fn bad_credentials_stop_the_entry_after_one_call_but_not_other_entries() {
    let s = setup().await;
    let bad = s.cf_entry(
        &["a.example.com", "b.example.com", "c.example.com"],
        "wrong",
    );
    let good = s.cf_entry(&["d.example.com"], "tok");
    let (mut e, status) = s.engine(s.config(vec![bad, good]), 5);
    let r = e.run_once().await;
    assert_eq!((r.failed, r.updated), (3, 1));
    // One rejected call for the bad entry, then nothing more for its other domains.
    let rejected =
        s.cf.requests()
            .iter()
            .filter(|q| q.header("authorization") == Some("Bearer wrong"))
            .count();
    assert_eq!(rejected, 1);
    assert_eq!(content(&s.cf, "d.example.com").as_deref(), Some("8.8.8.8"));
    let snap = status.snapshot();
    let b = snap.iter().find(|r| r.domain == "b.example.com").unwrap();
    assert!(
        b.error
            .as_deref()
            .unwrap()
            .contains("authentication failed"),
        "{b:?}"
    );
}

#[tokio::test]
async fn a_rate_limit_holds_the_entry_until_retry_after() {
    let s = setup().await;
    let (mut e, _) = s.engine(s.config(vec![s.cf_entry(&["www.example.com"], "tok")]), 0);
    s.cf.fail_next(CfFault::RateLimit { retry_after: 3600 });
    let r = e.run_once().await;
    assert_eq!(r.failed, 1);
    let n = s.cf_requests();
    let r = e.run_once().await;
    assert_eq!(
        s.cf_requests(),
        n,
        "no call while the provider asked to wait"
    );
    assert_eq!((r.failed, r.updated, r.unchanged), (0, 0, 0));
}

#[tokio::test]
async fn change_only_provider_writes_once_per_address() {
    let s = setup().await;
    let entry = DnsConfig {
        name: "cb".into(),
        ipv4: s.v4(&["home.example.com"]),
        dns: DnsProvider {
            name: "callback".into(),
            id: format!(
                "{}?d=#{{domain}}&ip=#{{ip}}",
                s.hook_url.replace("/hook?r=#{ipv4Result}", "/cb")
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    // cacheTimes 0: every run consults the provider layer.
    let (mut e, _) = s.engine(s.config(vec![entry]), 0);
    e.run_once().await;
    e.run_once().await;
    e.run_once().await;
    let calls = |h: &FakeCallback| {
        h.requests()
            .iter()
            .filter(|q| q.uri.starts_with("/cb"))
            .count()
    };
    assert_eq!(calls(&s.hook), 1, "the same address is not sent again");
    s.set_addr("1.1.1.1");
    e.run_once().await;
    assert_eq!(calls(&s.hook), 2);
    assert!(
        s.hook
            .requests()
            .iter()
            .any(|q| q.uri == "/cb?d=home.example.com&ip=1.1.1.1")
    );
    // A failed call is retried on the next run.
    s.set_addr("9.9.9.9");
    s.hook.respond_next(503, "down");
    let r = e.run_once().await;
    assert_eq!(r.failed, 1);
    let r = e.run_once().await;
    assert_eq!(r.updated, 1);
}

#[tokio::test]
async fn webhook_fires_on_change_once_per_failure_streak_and_on_recovery() {
    let s = setup().await;
    let (mut e, _) = s.engine(s.config(vec![s.cf_entry(&["www.example.com"], "tok")]), 0);
    let hooks = |s: &Setup| -> Vec<String> {
        s.hook
            .requests()
            .into_iter()
            .filter(|q| q.uri.starts_with("/hook"))
            .map(|q| q.uri)
            .collect()
    };
    e.run_once().await; // created: success
    assert_eq!(hooks(&s), vec!["/hook?r=success"]);
    e.run_once().await; // unchanged: no webhook
    assert_eq!(hooks(&s).len(), 1);
    for _ in 0..3 {
        s.cf.fail_next(CfFault::Error {
            status: 502,
            code: 0,
            message: "bad gateway".into(),
        });
        e.force_compare(); // lifts the error backoff that a second failure in a row arms
        e.run_once().await;
    }
    assert_eq!(hooks(&s), vec!["/hook?r=success", "/hook?r=failed"]);
    e.force_compare();
    e.run_once().await; // recovered, record already right
    assert_eq!(
        hooks(&s),
        vec!["/hook?r=success", "/hook?r=failed", "/hook?r=unchanged"]
    );
    e.run_once().await;
    assert_eq!(hooks(&s).len(), 3);
}

#[tokio::test]
async fn a_rejected_address_publishes_nothing() {
    let s = setup().await;
    s.cf.seed(&s.zone, "A", "www.example.com", "8.8.8.8", false);
    let (mut e, status) = s.engine(s.config(vec![s.cf_entry(&["www.example.com"], "tok")]), 0);
    s.set_addr("192.168.1.20");
    let r = e.run_once().await;
    assert_eq!(r.failed, 1);
    assert!(
        s.cf.requests().is_empty(),
        "no provider call from a rejected address"
    );
    assert_eq!(
        content(&s.cf, "www.example.com").as_deref(),
        Some("8.8.8.8")
    );
    let st = &status.snapshot()[0];
    assert!(st.error.as_deref().unwrap().contains("private"), "{st:?}");
}

#[tokio::test]
async fn an_incorrect_domain_line_counts_as_failed_and_others_proceed() {
    let s = setup().await;
    let (mut e, _) = s.engine(
        s.config(vec![s.cf_entry(&["com", "www.example.com"], "tok")]),
        0,
    );
    let r = e.run_once().await;
    assert_eq!((r.failed, r.updated), (1, 1));
}

#[tokio::test]
async fn dry_run_plans_without_writing_or_notifying() {
    let s = setup().await;
    s.cf.seed(&s.zone, "A", "www.example.com", "1.2.3.4", false);
    let status = StatusBoard::default();
    let opts = EngineOptions {
        cache_times: 5,
        dry_run: true,
        endpoints: s.endpoints.clone(),
        ..Default::default()
    };
    let cfg = s.config(vec![
        s.cf_entry(&["www.example.com", "new.example.com"], "tok"),
    ]);
    let mut e = Engine::new(cfg, opts, status);
    let r = e.run_once().await;
    assert_eq!(r.planned, 2);
    assert_eq!(
        r.plan_lines,
        vec![
            "cf: A www.example.com: 1.2.3.4 → 8.8.8.8".to_string(),
            "cf: A new.example.com: (none) → 8.8.8.8".to_string(),
        ]
    );
    assert!(s.cf.writes().is_empty());
    assert!(s.hook.requests().is_empty());
}
