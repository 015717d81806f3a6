//! The engine's operational records against a fake Cloudflare: every write lands in the
//! history (old value, reason, source), rollback puts a record back through the provider (and
//! refuses values it must not publish), the metrics counters move, and a `${file:…}` secret
//! reaches the provider while the config keeps the reference. Also `-rollback` through the
//! real binary against a callback endpoint.

mod fakes;

use std::collections::HashMap;
use std::sync::Arc;

use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf};
use ddns_rs::history::{HistoryLog, Reason};
use ddns_rs::metrics::Metrics;
use ddns_rs::provider::RecordType;
use ddns_rs::sync::status::StatusBoard;
use ddns_rs::sync::{Engine, EngineOptions, RollbackError, RollbackRequest};
use fakes::callback::FakeCallback;
use fakes::cloudflare::FakeCloudflare;

struct World {
    cf: Arc<FakeCloudflare>,
    endpoints: HashMap<String, String>,
    dir: tempfile::TempDir,
    history: HistoryLog,
    metrics: Metrics,
}

async fn world() -> World {
    let cf = FakeCloudflare::new("tok");
    cf.add_zone("example.com");
    let addr = fakes::serve_http(cf.router()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("addr"), "8.8.8.8\n").unwrap();
    let history = HistoryLog::beside(&dir.path().join("config.yaml"));
    let mut endpoints = HashMap::new();
    endpoints.insert("cloudflare".to_string(), format!("http://{addr}"));
    World {
        cf,
        endpoints,
        dir,
        history,
        metrics: Metrics::default(),
    }
}

impl World {
    fn set_addr(&self, a: &str) {
        std::fs::write(self.dir.path().join("addr"), format!("{a}\n")).unwrap();
    }

    fn config(&self, secret: &str) -> Config {
        Config {
            dnsconf: vec![DnsConfig {
                name: "cf".into(),
                ipv4: IpConf {
                    enable: true,
                    gettype: "cmd".into(),
                    cmd: format!("cat {}", self.dir.path().join("addr").display()),
                    domains: vec!["www.example.com".into()],
                    ..Default::default()
                },
                dns: DnsProvider {
                    name: "cloudflare".into(),
                    secret: secret.into(),
                    ..Default::default()
                },
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn engine(&self, config: Config) -> Engine {
        let opts = EngineOptions {
            endpoints: self.endpoints.clone(),
            history: Some(self.history.clone()),
            metrics: self.metrics.clone(),
            ..Default::default()
        };
        Engine::new(config, opts, StatusBoard::default())
    }

    fn value(&self) -> Option<String> {
        self.cf
            .records()
            .into_iter()
            .find(|r| r.name == "www.example.com")
            .map(|r| r.content)
    }
}

fn req(value: Option<&str>) -> RollbackRequest {
    RollbackRequest {
        entry: None,
        domain: "www.example.com".into(),
        rtype: RecordType::A,
        value: value.map(str::to_string),
    }
}

#[tokio::test]
async fn writes_are_recorded_and_rollback_restores_the_previous_value() {
    let w = world().await;
    let mut e = w.engine(w.config("tok"));
    assert_eq!(e.run_once().await.updated, 1);
    w.set_addr("1.1.1.1");
    assert_eq!(e.run_once().await.updated, 1);
    // Unchanged runs add nothing.
    e.force_compare();
    assert_eq!(e.run_once().await.updated, 0);

    let h = w.history.read(Some("www.example.com"), Some("A"));
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!((h[0].reason, h[0].old.as_deref()), (Reason::Created, None));
    assert_eq!(
        (h[1].reason, h[1].old.as_deref(), h[1].new.as_str()),
        (Reason::Changed, Some("8.8.8.8"), "1.1.1.1")
    );
    assert_eq!(
        (h[1].source.as_str(), h[1].provider.as_str()),
        ("cmd", "cloudflare")
    );
    assert_eq!(h[1].entry, "cf");

    let o = e.rollback(&req(None)).await.unwrap();
    assert!(o.written);
    assert_eq!(o.value.to_string(), "8.8.8.8");
    assert_eq!(w.value().as_deref(), Some("8.8.8.8"));
    let last = w.history.read(None, None).pop().unwrap();
    assert_eq!(
        (
            last.reason,
            last.source.as_str(),
            last.old.as_deref(),
            last.new.as_str()
        ),
        (Reason::Rollback, "rollback", Some("1.1.1.1"), "8.8.8.8")
    );
    // Asking again for the same value writes nothing.
    let writes = w.cf.writes().len();
    let o = e.rollback(&req(Some("8.8.8.8"))).await.unwrap();
    assert!(!o.written);
    assert_eq!(w.cf.writes().len(), writes);
}

#[tokio::test]
async fn rollback_refuses_values_it_must_not_publish() {
    let w = world().await;
    let mut e = w.engine(w.config("tok"));
    let err = e.rollback(&req(None)).await.unwrap_err();
    assert!(matches!(err, RollbackError::NoHistory { .. }), "{err}");
    e.run_once().await;
    let writes = w.cf.writes().len();
    // Not in the history: checked like a detected address.
    for bad in ["10.0.0.1", "not-an-ip", "2001:4860::8888"] {
        let err = e.rollback(&req(Some(bad))).await.unwrap_err();
        assert!(
            matches!(err, RollbackError::BadValue { .. }),
            "{bad}: {err}"
        );
    }
    let mut other = req(Some("9.9.9.9"));
    other.domain = "other.example.com".into();
    let err = e.rollback(&other).await.unwrap_err();
    assert!(matches!(err, RollbackError::NoSuchRecord { .. }), "{err}");
    assert_eq!(w.cf.writes().len(), writes);
    // A public address that was never published is fine.
    assert!(e.rollback(&req(Some("9.9.9.9"))).await.unwrap().written);
    assert_eq!(w.value().as_deref(), Some("9.9.9.9"));
}

/// Every sample line of the exposition: `name{k="v",…} value`, with HELP/TYPE comments.
fn check_exposition(text: &str) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("# ") {
            assert!(
                c.starts_with("HELP ddns_") || c.starts_with("TYPE ddns_"),
                "{line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let v: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n, l.strip_suffix('}').unwrap_or_else(|| panic!("{line}"))),
            None => (series, ""),
        };
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        // Labels: k="v" pairs separated by commas, quotes escaped inside values.
        let mut rest = labels;
        while !rest.is_empty() {
            let (k, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
            assert!(
                k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{line}"
            );
            let mut end = None;
            let mut esc = false;
            for (i, ch) in after.char_indices() {
                match (esc, ch) {
                    (true, _) => esc = false,
                    (false, '\\') => esc = true,
                    (false, '"') => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.unwrap_or_else(|| panic!("unterminated label in {line}"));
            rest = after[end + 1..]
                .strip_prefix(',')
                .unwrap_or(&after[end + 1..]);
        }
        out.push((name.to_string(), labels.to_string(), v));
    }
    out
}

fn sample(samples: &[(String, String, f64)], name: &str, has: &str) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| n == name && l.contains(has))
        .map(|s| s.2)
}

#[tokio::test]
async fn counters_move_and_the_exposition_parses() {
    let w = world().await;
    let mut e = w.engine(w.config("tok"));
    e.run_once().await;
    let s = check_exposition(&w.metrics.render("1.2.3"));
    let calls = |op: &str| {
        sample(
            &s,
            "ddns_provider_api_calls_total",
            &format!("provider=\"cloudflare\",operation=\"{op}\""),
        )
    };
    assert_eq!(calls("write"), Some(1.0));
    let lookups = calls("lookup").unwrap();
    assert!(lookups >= 1.0);
    assert_eq!(
        sample(
            &s,
            "ddns_detections_total",
            "source=\"cmd\",family=\"ipv4\",result=\"ok\""
        ),
        Some(1.0)
    );
    assert!(sample(&s, "ddns_record_published", "address=\"8.8.8.8\"").is_some());
    assert!(sample(&s, "ddns_build_info", "version=\"1.2.3\"").is_some());
    // A wrong token: an auth error is counted; a failed detection too.
    let mut bad = w.engine(w.config("wrong"));
    e.force_compare();
    bad.run_once().await;
    w.set_addr("not an address");
    e.run_once().await;
    let s = check_exposition(&w.metrics.render("1.2.3"));
    assert_eq!(
        sample(
            &s,
            "ddns_provider_api_errors_total",
            "provider=\"cloudflare\",kind=\"auth\""
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&s, "ddns_detections_total", "result=\"error\""),
        Some(1.0)
    );
    assert_eq!(w.metrics.detected(0, "ipv4"), None);
}

#[tokio::test]
async fn a_file_secret_reaches_the_provider_and_the_config_keeps_the_reference() {
    let w = world().await;
    let f = w.dir.path().join("cf_token");
    std::fs::write(&f, "tok\n").unwrap();
    let reference = format!("${{file:{}}}", f.display());
    let config = w.config(&reference);
    let mut e = w.engine(config.clone());
    assert_eq!(e.run_once().await.updated, 1);
    assert_eq!(e.config().dnsconf[0].dns.secret, reference);
    // A missing file is an error naming the reference, and nothing is written.
    let missing = w.config("${file:/nonexistent/cf_token}");
    let status = StatusBoard::default();
    let opts = EngineOptions {
        endpoints: w.endpoints.clone(),
        ..Default::default()
    };
    let mut e = Engine::new(missing, opts, status.clone());
    w.set_addr("1.1.1.1");
    assert_eq!(e.run_once().await.failed, 1);
    let err = status.snapshot()[0].error.clone().unwrap();
    assert!(
        err.contains("dns.secret") && err.contains("${file:/nonexistent/cf_token}"),
        "{err}"
    );
    assert_eq!(w.value().as_deref(), Some("8.8.8.8"));
}

#[tokio::test]
async fn rollback_flag_writes_the_previous_value_through_the_provider() {
    let cb = FakeCallback::new();
    let addr = fakes::serve_http(cb.router()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "dnsconf:\n  - name: home\n    ipv4:\n      enable: true\n      gettype: url\n      domains:\n        - www.example.com\n    dns:\n      name: callback\n      id: http://{addr}/cb?ip=#{{ip}}\n"
        ),
    )
    .unwrap();
    let history = HistoryLog::beside(&cfg);
    history.append(&ddns_rs::history::HistoryEntry {
        time: 1,
        entry: "home".into(),
        domain: "www.example.com".into(),
        rtype: "A".into(),
        old: Some("45.77.1.1".into()),
        new: "45.77.1.2".into(),
        reason: Reason::Changed,
        source: "url".into(),
        provider: "callback".into(),
    });
    let bin = fakes::bin::path();
    let run = |arg: &'static str| {
        let cfg = cfg.clone();
        let bin = bin.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(bin)
                .args(["-c", cfg.to_str().unwrap(), "-rollback", arg])
                .output()
                .unwrap()
        })
    };
    let out = run("www.example.com:A").await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = cb.requests();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].uri.ends_with("/cb?ip=45.77.1.1"), "{:?}", seen[0]);
    let last = history.read(None, None).pop().unwrap();
    assert_eq!(
        (last.reason, last.new.as_str()),
        (Reason::Rollback, "45.77.1.1")
    );
    // A private address not in the history is refused before any request.
    let out = run("www.example.com:A:192.168.1.5").await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(cb.requests().len(), 1);
    let out = run("www.example.com").await.unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// An echo URL on 127.0.0.1 that answers `ip`.
async fn echo(ip: &'static str) -> String {
    let router = axum::Router::new().route("/", axum::routing::get(move || async move { ip }));
    format!("http://{}/", fakes::serve_http(router).await)
}

#[tokio::test]
async fn disagreeing_sources_are_counted_per_entry_family_and_source() {
    let w = world().await;
    let (a, b, liar) = (
        echo("8.8.8.8").await,
        echo("8.8.8.8").await,
        echo("9.9.9.9").await,
    );
    let mut config = w.config("tok");
    let ipv4 = &mut config.dnsconf[0].ipv4;
    ipv4.sources = vec![a.clone(), liar.clone()];
    ipv4.agree = "2".into();
    let mut e = w.engine(config.clone());
    // Two sources, two answers: nothing is published, both are counted.
    assert_eq!(e.run_once().await.failed, 1);
    assert_eq!(w.value(), None);
    let count = |text: &str, source: &str| {
        let needle = format!(
            "ddns_detection_disagreements_total{{entry=\"cf\",family=\"ipv4\",source=\"{source}\"}} "
        );
        text.lines()
            .find_map(|l| l.strip_prefix(needle.as_str()))
            .map(|n| n.parse::<u64>().unwrap())
    };
    let text = w.metrics.render("x");
    assert_eq!(count(&text, &a), Some(1), "{text}");
    assert_eq!(count(&text, &liar), Some(1), "{text}");
    // A third source outvotes the liar: the agreed address is published, only the liar counts.
    config.dnsconf[0].ipv4.sources = vec![a.clone(), b.clone(), liar.clone()];
    let mut e = w.engine(config);
    assert_eq!(e.run_once().await.updated, 1);
    assert_eq!(w.value().as_deref(), Some("8.8.8.8"));
    let text = w.metrics.render("x");
    assert_eq!(count(&text, &liar), Some(2), "{text}");
    assert_eq!(count(&text, &a), Some(1), "{text}");
    assert_eq!(count(&text, &b), None, "{text}");
    // Every answer is counted per source, agreeing or not.
    let answers = |source: &str| {
        let needle = format!(
            "ddns_source_answers_total{{entry=\"cf\",family=\"ipv4\",source=\"{source}\",result=\"ok\"}} "
        );
        text.lines()
            .find_map(|l| l.strip_prefix(needle.as_str()))
            .map(|n| n.parse::<u64>().unwrap())
    };
    assert_eq!(answers(&a), Some(2));
    assert_eq!(answers(&b), Some(1));
    assert_eq!(answers(&liar), Some(2));
}
