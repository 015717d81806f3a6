//! Soak: the real binary for a while with the address flapping between two uplinks (a `cmd`
//! source reading a file the test rewrites), providers failing at random (5xx answers injected
//! into the Cloudflare and dyndns2 fakes), and the web UI polled with a session. At the end:
//! RSS within 10 % of the value after warm-up, no file-descriptor or thread growth, every record
//! holding the final address, and the provider calls within a budget computed from the runs.
//!
//! CI runs the short version (about 40 s). By hand: `DDNS_RS_SOAK_SECS=600 cargo test --test
//! soak -- --nocapture` prints the numbers recorded in `docs/reliability.md`.

mod fakes;

use std::time::{Duration, Instant};

use fakes::cloudflare::{CfFault, FakeCloudflare};
use fakes::daemon::{Daemon, free_port};
use fakes::dyndns2::FakeDyndns2;
use serde_json::json;

const PASSWORD: &str = "Correct-Horse-9-Battery";
const UPLINK_A: &str = "9.9.9.9";
const UPLINK_B: &str = "8.8.4.4";
/// Seconds between runs (`-f`).
const INTERVAL: u64 = 2;
/// Provider requests one run may make: Cloudflare zone + list + write for each of two names,
/// one dyndns2 update.
const PER_RUN: u64 = 7;

fn yaml(addr_file: &std::path::Path, hash: &str) -> String {
    let entry = |name: &str, domains: &str, dns: &str| {
        format!(
            "    - name: {name}\n      ipv4:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: cat {}\n        domains:\n{domains}      ipv6:\n        enable: false\n        gettype: \"\"\n        url: \"\"\n        netinterface: \"\"\n        cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n      dns:\n{dns}      ttl: \"\"\n      httpinterface: \"\"\n",
            addr_file.display()
        )
    };
    let cf = entry(
        "cf",
        "            - www.example.com\n            - api.example.com\n",
        "        name: cloudflare\n        id: \"\"\n        secret: tok\n        extparam: \"\"\n",
    );
    let dy = entry(
        "dyn",
        "            - home.example.net\n",
        "        name: dyndns2\n        id: alice\n        secret: pw\n        extparam: https://dyn.example.net/nic/update\n",
    );
    format!(
        "dnsconf:\n{cf}{dy}user:\n    username: admin\n    password: '{hash}'\nwebhook:\n    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\nnotallowwanaccess: true\nlang: en\n"
    )
}

/// A small deterministic generator (the seed is printed, so a failing run can be replayed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_flapping_address_random_faults_polled_ui() {
    let secs: u64 = std::env::var("DDNS_RS_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("soak: {secs} s, seed {seed}");
    let mut rng = Lcg(seed);

    let cf = FakeCloudflare::new("tok");
    cf.add_zone("example.com");
    let dy = FakeDyndns2::new("alice", "pw", "duck");
    dy.add_host("home.example.net");
    let cf_addr = fakes::serve_tls(cf.router(), &["api.cloudflare.com"]).await;
    let dy_addr = fakes::serve_tls(dy.router(), &["dyn.example.net"]).await;
    let proxy = fakes::ConnectProxy::start(fakes::routes(&[
        ("api.cloudflare.com:443", cf_addr),
        ("dyn.example.net:443", dy_addr),
    ]))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ddns.yaml");
    let addr_file = dir.path().join("addr");
    std::fs::write(&addr_file, format!("{UPLINK_A}\n")).unwrap();
    let hash = ddns_rs::config::store::hash_password(PASSWORD).unwrap();
    std::fs::write(&cfg, yaml(&addr_file, &hash)).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let f = INTERVAL.to_string();
    let d = Daemon::spawn(
        &[
            "-c",
            cfg.to_str().unwrap(),
            "-l",
            &listen,
            "-skipVerify",
            "-f",
            &f,
        ],
        dir.path(),
        &[("HTTPS_PROXY", format!("http://{}", proxy.addr))],
    );
    let holds = |v: &str| {
        let recs = cf.records();
        ["www.example.com", "api.example.com"]
            .iter()
            .all(|n| recs.iter().any(|r| r.name == *n && r.content == v))
            && dy
                .host("home.example.net")
                .and_then(|(a, _)| a)
                .map(|a| a.to_string())
                == Some(v.to_string())
    };
    d.wait_for("first publish", Duration::from_secs(60), || holds(UPLINK_A))
        .await;

    // A session for the UI poller.
    let base = format!("http://{listen}");
    // reqwest is built without a default TLS provider; install ring for this process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = c
        .post(format!("{base}/loginFunc"))
        .header("origin", &base)
        .json(&json!({"Username": "admin", "Password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    let start = Instant::now();
    let calls_at_start = cf.requests().len() + dy.requests().len();
    let warm_at = Duration::from_secs(secs * 3 / 10);
    let mut warm: Option<(u64, usize, u64)> = None;
    let mut flaps = 0u64;
    let mut faults = 0u64;
    let mut polls = 0u64;
    let mut updates_asked = 0u64;
    let mut current = UPLINK_A;
    let mut next_flap = start + Duration::from_secs(5);
    let (mut cf_mark, mut dy_mark) = (0usize, 0usize);
    while start.elapsed() < Duration::from_secs(secs) {
        if Instant::now() >= next_flap {
            current = if current == UPLINK_A {
                UPLINK_B
            } else {
                UPLINK_A
            };
            std::fs::write(&addr_file, format!("{current}\n")).unwrap();
            flaps += 1;
            next_flap = Instant::now() + Duration::from_secs(3 + rng.next() % 6);
        }
        // Random provider failures. The fakes queue faults, so one is queued only once the
        // previous one can have been used (the fake saw a request since): no backlog that
        // would outlive the soak.
        let (cf_seen, dy_seen) = (cf.requests().len(), dy.requests().len());
        match rng.next() % 4 {
            0 if cf_seen > cf_mark => {
                cf_mark = cf_seen;
                let status = [500, 502, 503][(rng.next() % 3) as usize];
                cf.fail_next(CfFault::Error {
                    status,
                    // Not an authentication code (10000, 9103, …): a plain server error.
                    code: 1001,
                    message: "injected server error".into(),
                });
                faults += 1;
            }
            1 if dy_seen > dy_mark => {
                dy_mark = dy_seen;
                dy.answer_next(503, "");
                faults += 1;
            }
            _ => {}
        }
        for path in ["/api/status", "/logs", "/api/logs?after=0"] {
            let r = c
                .get(format!("{base}{path}"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            let _ = r.bytes().await.unwrap();
            polls += 1;
        }
        if rng.next().is_multiple_of(40) {
            c.post(format!("{base}/api/update"))
                .header("cookie", &cookie)
                .header("origin", &base)
                .send()
                .await
                .unwrap();
            updates_asked += 1;
        }
        if warm.is_none() && start.elapsed() >= warm_at {
            warm = Some((d.rss_kib(), d.fds(), d.threads()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(d.child.id().is_some(), "the daemon died");
    }

    // Settle: the last address, no more faults; "Update now" lifts any error backoff.
    let final_addr = UPLINK_B;
    std::fs::write(&addr_file, format!("{final_addr}\n")).unwrap();
    tokio::time::sleep(Duration::from_secs(INTERVAL + 1)).await;
    c.post(format!("{base}/api/update"))
        .header("cookie", &cookie)
        .header("origin", &base)
        .send()
        .await
        .unwrap();
    updates_asked += 1;
    // A fault queued just before the end can still fail one forced run (and re-arm the
    // backoff), so the owner presses "Update now" again, as a user would, until it is right.
    let settle = Instant::now();
    while !holds(final_addr) {
        assert!(
            settle.elapsed() < Duration::from_secs(90),
            "records not on the final address:\n{}",
            d.log()
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        if !holds(final_addr) {
            c.post(format!("{base}/api/update"))
                .header("cookie", &cookie)
                .header("origin", &base)
                .send()
                .await
                .unwrap();
            updates_asked += 1;
        }
    }
    let elapsed = start.elapsed().as_secs();
    tokio::time::sleep(Duration::from_secs(INTERVAL * 2)).await;
    let (rss_end, fds_end, threads_end) = (d.rss_kib(), d.fds(), d.threads());
    let (rss_warm, fds_warm, threads_warm) = warm.expect("a warm-up sample");
    let calls = (cf.requests().len() + dy.requests().len() - calls_at_start) as u64;
    // Every timer run, every change-triggered and every UI-forced run may make PER_RUN calls.
    let runs_max = elapsed / INTERVAL + 2 + updates_asked;
    let budget = runs_max * PER_RUN;
    eprintln!(
        "soak: {elapsed} s, {flaps} flaps, {faults} faults injected, {polls} UI polls, \
         {updates_asked} update-now; provider calls {calls} (budget {budget}); \
         RSS {rss_warm} → {rss_end} KiB; fds {fds_warm} → {fds_end}; threads {threads_warm} → {threads_end}"
    );
    assert!(
        rss_end * 10 <= rss_warm * 11,
        "RSS grew more than 10 %: {rss_warm} → {rss_end} KiB"
    );
    assert!(fds_end <= fds_warm + 2, "fd leak: {fds_warm} → {fds_end}");
    assert!(
        threads_end <= threads_warm,
        "threads {threads_warm} → {threads_end}"
    );
    assert!(calls <= budget, "{calls} provider calls, budget {budget}");
    assert!(
        calls >= flaps,
        "the flaps were not published ({calls} calls, {flaps} flaps)"
    );
    let log = d.log();
    assert!(!log.contains("panicked"), "{log}");
}
