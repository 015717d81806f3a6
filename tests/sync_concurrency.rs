//! The engine's concurrency bounds, through the real `sync::Engine` and the callback provider
//! pointed at a local fake that counts the requests each account has in flight: never more
//! than the account's limit (entries sharing credentials share it), several accounts at once;
//! a 429 with `Retry-After` pauses only its account and is waited out (short) or held across
//! runs (long); a failing record does not stop the others; and the status board comes out in
//! config order whatever the order the requests finished in.
//!
//! Nothing here asserts that something is fast: the only time assertion is a lower bound (a
//! paused account sends nothing before its `Retry-After` has passed).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf};
use ddns_rs::sync::limit::DEFAULT_ACCOUNT_LIMIT;
use ddns_rs::sync::status::{Outcome, StatusBoard};
use ddns_rs::sync::{Engine, EngineOptions};

/// One request the fake answered.
#[derive(Debug, Clone)]
struct Hit {
    account: String,
    domain: String,
    ip: String,
    status: u16,
    /// When the request reached the fake.
    arrived: Instant,
    /// When the fake answered it.
    at: Instant,
}

#[derive(Default)]
struct Inner {
    in_flight: HashMap<String, usize>,
    max_in_flight: HashMap<String, usize>,
    total_in_flight: usize,
    max_total: usize,
    hits: Vec<Hit>,
    /// Per account: answer the next requests 429 with this `Retry-After` (seconds).
    rate_limit_next: HashMap<String, Vec<u64>>,
    /// Domains always answered 500.
    broken: Vec<String>,
}

/// A callback endpoint `/cb/{account}?d=…&ip=…` that holds each answer for `latency`.
struct Fake {
    inner: Mutex<Inner>,
    latency: Duration,
}

impl Fake {
    fn new(latency: Duration) -> Arc<Fake> {
        Arc::new(Fake {
            inner: Mutex::new(Inner::default()),
            latency,
        })
    }

    fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/cb/{account}", get(handle))
            .with_state(self.clone())
    }

    fn hits(&self) -> Vec<Hit> {
        self.inner.lock().unwrap().hits.clone()
    }

    fn hits_of(&self, account: &str) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.account == account)
            .collect()
    }

    fn max_of(&self, account: &str) -> usize {
        self.inner.lock().unwrap().max_in_flight[account]
    }
}

async fn handle(
    State(f): State<Arc<Fake>>,
    Path(account): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let domain = q.get("d").cloned().unwrap_or_default();
    let ip = q.get("ip").cloned().unwrap_or_default();
    let arrived = Instant::now();
    let limited = {
        let mut g = f.inner.lock().unwrap();
        let n = g.in_flight.entry(account.clone()).or_default();
        *n += 1;
        let n = *n;
        let m = g.max_in_flight.entry(account.clone()).or_default();
        *m = (*m).max(n);
        g.total_in_flight += 1;
        g.max_total = g.max_total.max(g.total_in_flight);
        g.rate_limit_next
            .get_mut(&account)
            .and_then(|v| (!v.is_empty()).then(|| v.remove(0)))
    };
    // A rate limit is answered at once; everything else after the latency, so requests of
    // different accounts overlap.
    if limited.is_none() {
        tokio::time::sleep(f.latency).await;
    }
    let mut g = f.inner.lock().unwrap();
    *g.in_flight.get_mut(&account).unwrap() -= 1;
    g.total_in_flight -= 1;
    let status = if limited.is_some() {
        429
    } else if g.broken.contains(&domain) {
        500
    } else {
        200
    };
    g.hits.push(Hit {
        account,
        domain,
        ip,
        status,
        arrived,
        at: Instant::now(),
    });
    match limited {
        Some(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("Retry-After", secs.to_string())],
            "slow down",
        )
            .into_response(),
        None if status == 500 => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        None => "ok".into_response(),
    }
}

struct Rig {
    fake: Arc<Fake>,
    base: String,
    addr_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Rig {
    async fn new(latency_ms: u64) -> Rig {
        let fake = Fake::new(Duration::from_millis(latency_ms));
        let addr = fakes_serve(fake.router()).await;
        let dir = tempfile::tempdir().unwrap();
        let addr_file = dir.path().join("addr");
        std::fs::write(&addr_file, "8.8.8.8\n").unwrap();
        Rig {
            fake,
            base: format!("http://{addr}"),
            addr_file,
            _dir: dir,
        }
    }

    fn set_addr(&self, a: &str) {
        std::fs::write(&self.addr_file, format!("{a}\n")).unwrap();
    }

    /// An entry of `account` with `n` domains `<prefix>NN.example.com`.
    fn entry(&self, name: &str, account: &str, prefix: &str, n: usize) -> DnsConfig {
        DnsConfig {
            name: name.into(),
            ipv4: IpConf {
                enable: true,
                gettype: "cmd".into(),
                cmd: format!("cat {}", self.addr_file.display()),
                domains: domains(prefix, n),
                ..Default::default()
            },
            dns: DnsProvider {
                name: "callback".into(),
                id: format!("{}/cb/{account}?d=#{{domain}}&ip=#{{ip}}", self.base),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn engine(&self, entries: Vec<DnsConfig>) -> (Engine, StatusBoard) {
        let config = Config {
            dnsconf: entries,
            lang: "en".into(),
            ..Default::default()
        };
        let status = StatusBoard::default();
        let opts = EngineOptions {
            cache_times: 0,
            ..Default::default()
        };
        (Engine::new(config, opts, status.clone()), status)
    }
}

async fn fakes_serve(router: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    addr
}

fn domains(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{prefix}{i:02}.example.com"))
        .collect()
}

/// Every domain of `names` was sent `ip` exactly once with success.
fn each_once_ok(hits: &[Hit], names: &[String], ip: &str) {
    for n in names {
        let ok: Vec<&Hit> = hits
            .iter()
            .filter(|h| &h.domain == n && h.status == 200)
            .collect();
        assert_eq!(ok.len(), 1, "{n}: {ok:?}");
        assert_eq!(ok[0].ip, ip, "{n}");
    }
}

#[tokio::test]
async fn requests_in_flight_are_bounded_per_account_and_accounts_run_together() {
    let rig = Rig::new(20).await;
    // Account a has two entries (same credentials: one limiter); b and c one each.
    let entries = vec![
        rig.entry("a1", "a", "a1-", 20),
        rig.entry("a2", "a", "a2-", 20),
        rig.entry("b", "b", "b-", 20),
        rig.entry("c", "c", "c-", 20),
    ];
    let (mut e, status) = rig.engine(entries);
    let r = e.run_once().await;
    assert_eq!((r.updated, r.failed), (80, 0), "{r:?}");

    let hits = rig.fake.hits();
    for p in ["a1-", "a2-", "b-", "c-"] {
        each_once_ok(&hits, &domains(p, 20), "8.8.8.8");
    }
    assert_eq!(hits.len(), 80, "one request per record, no retries");
    for acct in ["a", "b", "c"] {
        let m = rig.fake.max_of(acct);
        assert!(
            (1..=DEFAULT_ACCOUNT_LIMIT).contains(&m),
            "account {acct}: {m} requests in flight at once"
        );
    }
    assert!(
        rig.fake.max_of("a") > 1,
        "records of one account are synced concurrently"
    );
    let total = rig.fake.inner.lock().unwrap().max_total;
    assert!(
        total > DEFAULT_ACCOUNT_LIMIT,
        "several accounts in flight together: max {total}"
    );

    // The status board lists records in config order, whatever order they finished in.
    let want: Vec<String> = ["a1-", "a2-", "b-", "c-"]
        .iter()
        .flat_map(|p| domains(p, 20))
        .collect();
    let snap = status.snapshot();
    let got: Vec<String> = snap.iter().map(|s| s.domain.clone()).collect();
    assert_eq!(got, want);
    assert!(snap.iter().all(|s| s.outcome == Outcome::Updated));
}

#[tokio::test]
async fn a_short_retry_after_pauses_only_its_account_and_is_waited_out() {
    let rig = Rig::new(20).await;
    // Both entries of account a may have their first request in flight when the 429 comes, so
    // the fake is ready to refuse either.
    rig.fake
        .inner
        .lock()
        .unwrap()
        .rate_limit_next
        .insert("a".into(), vec![2, 2]);
    let entries = vec![
        rig.entry("a1", "a", "a1-", 10),
        rig.entry("a2", "a", "a2-", 10),
        rig.entry("b", "b", "b-", 40),
    ];
    let (mut e, status) = rig.engine(entries);
    let r = e.run_once().await;
    assert_eq!((r.updated, r.failed), (60, 0), "{r:?}");

    let a = rig.fake.hits_of("a");
    let refused = a.iter().filter(|h| h.status == 429).count();
    assert!((1..=2).contains(&refused), "{a:?}");
    assert_eq!(a.len(), 20 + refused, "each refused request retried once");
    let limited = a
        .iter()
        .filter(|h| h.status == 429)
        .map(|h| h.at)
        .min()
        .unwrap();
    // Only lower bounds on time: no request of the account (either entry) was accepted
    // before the Retry-After had passed.
    for h in a.iter().filter(|h| h.status == 200) {
        assert!(
            h.arrived.duration_since(limited) >= Duration::from_secs(2),
            "account a asked again {:?} after its 429",
            h.arrived.saturating_duration_since(limited)
        );
    }
    // Account b did not wait for a's pause: its requests went on during it.
    let b = rig.fake.hits_of("b");
    let resumed = a
        .iter()
        .filter(|h| h.status == 200)
        .map(|h| h.arrived)
        .min()
        .unwrap();
    assert!(
        b.iter().any(|h| h.arrived > limited && h.arrived < resumed),
        "account b was paused with a"
    );
    each_once_ok(&b, &domains("b-", 40), "8.8.8.8");
    for p in ["a1-", "a2-"] {
        each_once_ok(&a, &domains(p, 10), "8.8.8.8");
    }
    assert!(
        status
            .snapshot()
            .iter()
            .all(|s| s.outcome == Outcome::Updated)
    );
}

#[tokio::test]
async fn a_long_retry_after_holds_the_whole_account_across_runs_and_nothing_else() {
    let rig = Rig::new(5).await;
    rig.fake
        .inner
        .lock()
        .unwrap()
        .rate_limit_next
        .insert("a".into(), vec![3600, 3600]);
    let entries = vec![
        rig.entry("a1", "a", "a1-", 5),
        rig.entry("b", "b", "b-", 5),
        rig.entry("a2", "a", "a2-", 5),
    ];
    let (mut e, status) = rig.engine(entries);
    let r = e.run_once().await;
    assert_eq!((r.updated, r.failed), (5, 10), "{r:?}");
    // The first request of each entry may be in flight together; nothing after the 429.
    let a = rig.fake.hits_of("a");
    assert!((1..=2).contains(&a.len()), "{a:?}");
    assert!(a.iter().all(|h| h.status == 429), "{a:?}");
    let snap = status.snapshot();
    for s in snap.iter().filter(|s| !s.domain.starts_with("b-")) {
        assert_eq!(s.outcome, Outcome::Failed, "{s:?}");
        let err = s.error.clone().unwrap_or_default();
        assert!(err.contains("rate"), "{s:?}");
    }
    each_once_ok(&rig.fake.hits_of("b"), &domains("b-", 5), "8.8.8.8");

    // Next run with a new address: b publishes it, a (both entries) still sends nothing.
    rig.set_addr("9.9.9.9");
    e.force_compare();
    let r = e.run_once().await;
    assert_eq!(r.updated, 5, "{r:?}");
    assert_eq!(rig.fake.hits_of("a").len(), a.len(), "the hold is honoured");
    let b: Vec<Hit> = rig
        .fake
        .hits_of("b")
        .into_iter()
        .filter(|h| h.ip == "9.9.9.9")
        .collect();
    each_once_ok(&b, &domains("b-", 5), "9.9.9.9");
}

#[tokio::test]
async fn a_failing_record_does_not_stop_the_others() {
    let rig = Rig::new(5).await;
    rig.fake
        .inner
        .lock()
        .unwrap()
        .broken
        .push("x03.example.com".into());
    let (mut e, status) = rig.engine(vec![rig.entry("x", "x", "x", 12)]);
    let r = e.run_once().await;
    assert_eq!((r.updated, r.failed), (11, 1), "{r:?}");
    let names = domains("x", 12);
    let ok: Vec<String> = names
        .iter()
        .filter(|n| *n != "x03.example.com")
        .cloned()
        .collect();
    each_once_ok(&rig.fake.hits(), &ok, "8.8.8.8");
    let snap = status.snapshot();
    let got: Vec<&str> = snap.iter().map(|s| s.domain.as_str()).collect();
    assert_eq!(
        got,
        names.iter().map(String::as_str).collect::<Vec<_>>(),
        "config order"
    );
    for s in &snap {
        let want = if s.domain == "x03.example.com" {
            Outcome::Failed
        } else {
            Outcome::Updated
        };
        assert_eq!(s.outcome, want, "{s:?}");
    }
    // The failed record is tried again on the next run; the others are already published.
    let r = e.run_once().await;
    assert_eq!((r.failed, r.unchanged), (1, 11), "{r:?}");
    assert_eq!(
        rig.fake
            .hits()
            .iter()
            .filter(|h| h.domain == "x03.example.com")
            .count(),
        2
    );
}
