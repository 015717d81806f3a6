//! The real binary as a service manager runs it: one instance per config file (the second names
//! the first's PID; SIGKILL leaves no stale lock), SIGHUP reloads and publishes a newly added
//! domain, SIGUSR1 forces an update, and SIGTERM lets a write in progress finish — but not
//! for longer than the grace period. The provider is a callback endpoint on 127.0.0.1 that
//! records requests and can hold its answer until the test releases it.
//! Every wait has a generous deadline, so a slow machine only makes the test slower.

#[path = "fakes/child_log.rs"]
mod child_log;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;

const DEADLINE: Duration = Duration::from_secs(90);

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ok() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The callback endpoint: records each request's URI; while `hold` is set it answers only
/// when the test adds a permit to `release`.
struct Endpoint {
    seen: Mutex<Vec<String>>,
    hold: std::sync::atomic::AtomicBool,
    release: Semaphore,
}

async fn handle(State(ep): State<Arc<Endpoint>>, uri: Uri) -> &'static str {
    ep.seen.lock().unwrap().push(uri.to_string());
    if ep.hold.load(std::sync::atomic::Ordering::SeqCst) {
        let _ = ep.release.acquire().await.map(|p| p.forget());
    }
    "ok"
}

async fn serve(ep: Arc<Endpoint>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(ep);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn config(addr_file: &Path, url: &str, domains: &[&str]) -> String {
    let list: String = domains
        .iter()
        .map(|d| format!("            - {d}\n"))
        .collect();
    format!(
        "dnsconf:\n    - name: cb\n      ipv4:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: cat {}\n        domains:\n{list}      ipv6:\n        enable: false\n        gettype: \"\"\n        url: \"\"\n        netinterface: \"\"\n        cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n      dns:\n        name: callback\n        id: \"{url}\"\n        secret: \"\"\n        extparam: \"\"\n      ttl: \"\"\n      httpinterface: \"\"\nuser:\n    username: \"\"\n    password: \"\"\nwebhook:\n    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\nnotallowwanaccess: true\nlang: en\n",
        addr_file.display()
    )
}

/// A running ddns-rs with its stderr collected.
struct Daemon {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Daemon {
    fn start(cfg: &Path, home: &Path) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ddns-rs"))
            .args(["-c", cfg.to_str().unwrap(), "-noweb", "-f", "3600"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home)
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let log = child_log::collect_stderr(&mut child);
        Daemon { child, log }
    }

    fn logged(&self, s: &str) -> bool {
        self.log.lock().unwrap().contains(s)
    }

    fn count(&self, s: &str) -> usize {
        self.log.lock().unwrap().matches(s).count()
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = self.child.id().unwrap() as libc::pid_t;
        // SAFETY: plain kill(2) on our own child.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    }

    async fn exit(&mut self) -> std::process::ExitStatus {
        tokio::time::timeout(DEADLINE, self.child.wait())
            .await
            .expect("the daemon exits")
            .unwrap()
    }
}

struct Setup {
    dir: tempfile::TempDir,
    ep: Arc<Endpoint>,
    url: String,
}

impl Setup {
    async fn new() -> Setup {
        let ep = Arc::new(Endpoint {
            seen: Mutex::default(),
            hold: Default::default(),
            release: Semaphore::new(0),
        });
        let addr = serve(ep.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("addr"), "8.8.8.8\n").unwrap();
        Setup {
            dir,
            ep,
            url: format!("http://{addr}/update?d=#{{domain}}&ip=#{{ip}}"),
        }
    }
    fn cfg(&self) -> std::path::PathBuf {
        self.dir.path().join("ddns.yaml")
    }
    fn write(&self, domains: &[&str]) {
        let c = config(&self.dir.path().join("addr"), &self.url, domains);
        std::fs::write(self.cfg(), c).unwrap();
    }
    fn calls_for(&self, d: &str) -> usize {
        let needle = format!("d={d}&ip=8.8.8.8");
        self.ep
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|u| u.contains(&needle))
            .count()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_instance_per_config_and_no_stale_lock_after_sigkill() {
    let s = Setup::new().await;
    s.write(&["a.example.com"]);
    let mut first = Daemon::start(&s.cfg(), s.dir.path());
    wait_for("the first run", || s.calls_for("a.example.com") == 1).await;
    let first_pid = first.child.id().unwrap();
    let lock = s.dir.path().join("ddns.yaml.lock");
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap().trim(),
        first_pid.to_string()
    );

    let mut second = Daemon::start(&s.cfg(), s.dir.path());
    let status = second.exit().await;
    assert_eq!(status.code(), Some(1), "{}", second.log.lock().unwrap());
    wait_for("the refusal", || {
        second.logged(&format!("(PID {first_pid})"))
    })
    .await;
    assert!(second.logged("is already running with config"));
    assert!(
        first.child.try_wait().unwrap().is_none(),
        "the first keeps running"
    );

    first.signal(libc::SIGKILL);
    first.exit().await;
    let third = Daemon::start(&s.cfg(), s.dir.path());
    let third_pid = third.child.id().unwrap().to_string();
    wait_for("the new holder's PID in the lock file", || {
        std::fs::read_to_string(&lock).is_ok_and(|t| t.trim() == third_pid)
    })
    .await;
    assert!(!third.logged("already running"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_sigusr1_updates_sigterm_finishes_the_write() {
    let s = Setup::new().await;
    s.write(&["a.example.com"]);
    let mut d = Daemon::start(&s.cfg(), s.dir.path());
    wait_for("the first run", || s.calls_for("a.example.com") == 1).await;
    wait_for("the run's summary", || d.logged("successfully! IP:")).await;

    // SIGHUP: the added domain is published although the address did not change.
    s.write(&["a.example.com", "b.example.com"]);
    d.signal(libc::SIGHUP);
    wait_for("b published", || s.calls_for("b.example.com") == 1).await;
    assert!(d.logged("SIGHUP: reloaded"), "{}", d.log.lock().unwrap());

    // SIGUSR1: an update run now (the interval is an hour).
    let runs = d.count("successfully! IP:");
    // The callback provider is change-only, so the forced run compares and logs without
    // calling it again.
    let a_lines = d.count("a.example.com");
    d.signal(libc::SIGUSR1);
    wait_for("the SIGUSR1 line", || d.logged("SIGUSR1: updating now")).await;
    wait_for("a run comparing a again", || {
        d.count("a.example.com") > a_lines
    })
    .await;
    assert!(d.child.try_wait().unwrap().is_none());

    // SIGTERM while a callback is in flight: the write completes, then the process exits 0.
    s.ep.hold.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = s.ep.seen.lock().unwrap().len();
    s.write(&["a.example.com", "b.example.com", "c.example.com"]);
    d.signal(libc::SIGHUP);
    wait_for("c in flight", || s.ep.seen.lock().unwrap().len() > seen).await;
    d.signal(libc::SIGTERM);
    wait_for("the graceful stop", || {
        d.logged("letting the update in progress finish")
    })
    .await;
    s.ep.release.add_permits(1000);
    let status = d.exit().await;
    assert!(status.success(), "{status:?}\n{}", d.log.lock().unwrap());
    assert!(
        d.count("successfully! IP:") > runs,
        "the held write completed before the exit:\n{}",
        d.log.lock().unwrap()
    );
    assert!(!d.logged("did not finish"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_does_not_wait_beyond_the_grace_period() {
    let s = Setup::new().await;
    s.ep.hold.store(true, std::sync::atomic::Ordering::SeqCst);
    s.write(&["a.example.com"]);
    let mut d = Daemon::start(&s.cfg(), s.dir.path());
    wait_for("the write in flight", || s.calls_for("a.example.com") == 1).await;
    d.signal(libc::SIGTERM);
    let status = d.exit().await;
    assert!(status.success(), "{status:?}");
    wait_for("the give-up line", || d.logged("did not finish within 5s")).await;
    assert!(
        !d.logged("successfully! IP:"),
        "the held write never completed"
    );
}
