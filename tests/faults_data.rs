//! Fault injection on the data a provider returns, through the real engine: a success status
//! with an error body, a record appearing between the lookup and the write (another writer),
//! duplicate records for one name, and a TLS endpoint whose certificate is not trusted.
//!
//! In each case: the run fails cleanly or writes only the detected address, the next runs
//! converge and then stop writing (no flapping, no request storm), and secrets stay out of the
//! status and the log.

mod fakes;
mod faults_common;

use std::collections::HashMap;
use std::time::Duration;

use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf};
use ddns_rs::http::HttpOptions;
use ddns_rs::sync::status::{Outcome, StatusBoard};
use ddns_rs::sync::{Engine, EngineOptions};
use fakes::faulty::Fault;
use faults_common::{FAMILIES, NEW, OLD, Rig};

/// A third public address, written by "someone else".
const OTHER: &str = "1.0.0.1";

/// A 200 answer whose body says the call failed, in each API's own error shape.
fn error_body(key: &str) -> &'static str {
    match key {
        "alidns" => r#"{"RequestId":"r1","Code":"InternalError","Message":"boom"}"#,
        "tencentcloud" => {
            r#"{"Response":{"Error":{"Code":"InternalError","Message":"boom"},"RequestId":"r1"}}"#
        }
        "huaweicloud" => r#"{"error_code":"DNS.0500","error_msg":"boom"}"#,
        "cloudflare" => {
            r#"{"success":false,"errors":[{"code":1000,"message":"boom"}],"messages":[],"result":null}"#
        }
        "porkbun" => r#"{"status":"ERROR","message":"boom"}"#,
        "dnspod" => r#"{"status":{"code":"500","message":"boom"}}"#,
        "dyndns2" => "dnserr",
        other => panic!("{other}"),
    }
}

fn writes(rig: &Rig) -> usize {
    rig.fam
        .front
        .lines()
        .iter()
        .filter(|l| l.contains(rig.fam.write_marker))
        .count()
}

#[tokio::test]
async fn success_status_with_error_body() {
    for key in FAMILIES {
        let (log, _g) = fakes::capture::capture();
        let mut rig = Rig::new(key).await;
        rig.fam
            .front
            .always(Fault::Body(200, error_body(key).into()));
        let r = rig.engine.run_once().await;
        assert!(
            r.failed >= 1,
            "{key}: a 200 with an error body was taken as success"
        );
        let st = rig.under();
        assert_eq!(st.outcome, Outcome::Failed, "{key}");
        let err = st.error.unwrap_or_default();
        assert!(!err.is_empty(), "{key}: empty error text");
        if *key != "dyndns2" {
            assert!(
                err.contains("boom") || err.contains("not understood") || err.contains("confirm"),
                "{key}: the provider's message is lost: {err:?}"
            );
        }
        assert!(log.text().contains("Failed to update A record"), "{key}");
        assert!(rig.healthy_ok(), "{key}: healthy entry not updated");
        rig.no_wrong_value();
        assert!(
            rig.fam.front.count() <= 3,
            "{key}: {:?}",
            rig.fam.front.lines()
        );
        rig.fam.front.heal();
        rig.engine.force_compare();
        // dyndns2's `dnserr` asks for a 30-minute hold, which "Update now" must not lift.
        let before = rig.fam.front.count();
        let r = rig.engine.run_once().await;
        if *key == "dyndns2" {
            assert_eq!(
                rig.fam.front.count(),
                before,
                "{key}: the 30-minute hold was lifted"
            );
            assert_eq!(r.failed, 0, "{key}: {r:?}");
        } else {
            assert_eq!(r.failed, 0, "{key}: {r:?}");
            assert_eq!((rig.fam.values)(), vec![NEW.to_string()], "{key}");
        }
    }
}

/// Only the lookup gets the error body; the writes that follow would work. The error must not
/// read as "no records" (which would create a second record next to the old one).
#[tokio::test]
async fn error_body_on_lookup_never_creates_a_duplicate() {
    for key in FAMILIES {
        let mut rig = Rig::new(key).await;
        if rig.fam.change_only {
            continue;
        }
        rig.fam.front.next(Fault::Body(200, error_body(key).into()));
        rig.engine.run_once().await;
        let vals = (rig.fam.values)();
        assert!(
            vals == vec![OLD.to_string()] || vals == vec![NEW.to_string()],
            "{key}: {vals:?} after an error body on the lookup ({:?})",
            rig.fam.front.lines()
        );
        rig.engine.force_compare();
        rig.engine.run_once().await;
        assert_eq!((rig.fam.values)(), vec![NEW.to_string()], "{key}");
    }
}

#[tokio::test]
async fn record_appears_between_lookup_and_write() {
    for key in FAMILIES {
        let mut rig = Rig::new(key).await;
        let Some(seed) = rig.fam.seed.take() else {
            continue; // dyndns2 cannot be read: there is no lookup to race with.
        };
        let marker = rig.fam.write_marker;
        let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let f2 = fired.clone();
        rig.fam.front.on_request(Box::new(move |_, head| {
            if head.contains(marker) && !f2.swap(true, std::sync::atomic::Ordering::SeqCst) {
                seed(OTHER);
            }
        }));
        rig.engine.run_once().await;
        assert!(
            fired.load(std::sync::atomic::Ordering::SeqCst),
            "{key}: no write: {:?} {:?}",
            rig.fam.front.lines(),
            rig.status.snapshot()
        );
        let vals = (rig.fam.values)();
        assert!(vals.contains(&NEW.to_string()), "{key}: {vals:?}");
        assert!(
            vals.iter().all(|v| v == NEW || v == OTHER),
            "{key}: stale or wrong value left: {vals:?}"
        );
        // The next compares converge, then write nothing more.
        rig.engine.force_compare();
        rig.engine.run_once().await;
        let w = writes(&rig);
        rig.engine.force_compare();
        rig.engine.run_once().await;
        assert_eq!(writes(&rig), w, "{key}: writes on every run (flapping)");
        assert!(
            rig.fam.front.count() <= 12,
            "{key}: {:?}",
            rig.fam.front.lines()
        );
        assert!((rig.fam.values)().iter().all(|v| v == NEW || v == OTHER));
    }
}

#[tokio::test]
async fn duplicate_records_for_one_name() {
    for key in FAMILIES {
        let mut rig = Rig::new(key).await;
        let Some(seed) = rig.fam.seed.take() else {
            continue;
        };
        seed(OTHER);
        let r = rig.engine.run_once().await;
        assert_eq!(r.failed, 0, "{key}: {r:?}");
        let vals = (rig.fam.values)();
        assert!(!vals.contains(&OLD.to_string()) || vals.len() > 1, "{key}");
        assert!(vals.contains(&NEW.to_string()), "{key}: {vals:?}");
        assert!(vals.iter().all(|v| [NEW, OLD, OTHER].contains(&v.as_str())));
        let w = writes(&rig);
        assert!(w <= 2, "{key}: {w} writes for one name");
        for _ in 0..3 {
            rig.engine.force_compare();
            rig.engine.run_once().await;
        }
        assert_eq!(
            writes(&rig),
            w,
            "{key}: rewrites the duplicates on every run"
        );
    }
}

/// A provider endpoint whose certificate is not trusted (no -skipVerify): the run fails with
/// a certificate error, nothing is written, the next run retries.
#[tokio::test]
async fn tls_certificate_not_trusted() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cf = fakes::cloudflare::FakeCloudflare::new("tok");
    let zone = cf.add_zone("example.com");
    cf.seed(&zone, "A", "www.example.com", OLD, false);
    let pb = fakes::porkbun::FakePorkbun::new("pk1", "sk1");
    pb.add_zone("example.com");
    let dy = fakes::dyndns2::FakeDyndns2::new("u", "p", "d");
    dy.add_host("www.example.com");
    let mut endpoints = HashMap::new();
    for (k, r) in [
        ("cloudflare", cf.router()),
        ("porkbun", pb.router()),
        ("dyndns2", dy.router()),
    ] {
        let a = fakes::serve_tls(r, &["localhost"]).await;
        endpoints.insert(k.to_string(), format!("https://{a}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("addr");
    std::fs::write(&file, NEW).unwrap();
    let entry = |key: &str, id: &str, secret: &str| DnsConfig {
        name: key.into(),
        ipv4: IpConf {
            enable: true,
            gettype: "cmd".into(),
            cmd: format!("cat {}", file.display()),
            domains: vec!["www.example.com".into()],
            ..Default::default()
        },
        dns: DnsProvider {
            name: key.into(),
            id: id.into(),
            secret: secret.into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let config = Config {
        dnsconf: vec![
            entry("cloudflare", "", "tok"),
            entry("porkbun", "pk1", "sk1"),
            entry("dyndns2", "u", "p"),
        ],
        ..Default::default()
    };
    let status = StatusBoard::default();
    let opts = EngineOptions {
        endpoints,
        http: HttpOptions {
            provider_timeout: Some(Duration::from_secs(5)),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut e = Engine::new(config, opts, status.clone());
    for run in 0..2 {
        let r = e.run_once().await;
        assert_eq!(r.failed, 3, "run {run}: {r:?}");
        for s in status.snapshot() {
            let err = s.error.unwrap_or_default().to_lowercase();
            assert!(err.contains("certificate"), "{}: {err}", s.domain);
        }
    }
    assert!(cf.requests().is_empty() && pb.requests().is_empty() && dy.requests().is_empty());
    assert_eq!(cf.records()[0].content, OLD);
}
