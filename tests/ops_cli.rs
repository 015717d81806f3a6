//! Operations flags through the real binary: `-log FILE` (lines in a private file, rotated, no
//! secret in them), plain lines for the systemd journal (`JOURNAL_STREAM`), secret references
//! resolved at load (a missing one stops `-once` with the entry and the reference named, and a
//! daemon keeps its previous config on SIGHUP), and `-healthcheck` against a running instance
//! over HTTP and HTTPS. Providers are fakes on 127.0.0.1, reached through a local CONNECT proxy.
//! Waits have generous deadlines, so a slow machine only makes the test slower.

mod fakes;

#[path = "fakes/child_log.rs"]
mod child_log;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fakes::cloudflare::FakeCloudflare;

fn bin() -> String {
    fakes::bin::path()
}
const DEADLINE: Duration = Duration::from_secs(90);
/// The provider token; must never appear in a log line.
const TOKEN: &str = "tok-Zq81vXe-never-logged";

/// A config with one Cloudflare entry "cf" publishing the address in `addr_file` for
/// `www.example.com`; `secret` as written in the file; `ipv4` whether the record is enabled.
fn config(addr_file: &Path, secret: &str, ipv4: bool) -> String {
    format!(
        "dnsconf:\n    - name: cf\n      ipv4:\n        enable: {ipv4}\n        gettype: cmd\n        cmd: cat {}\n        domains:\n            - www.example.com\n      dns:\n        name: cloudflare\n        secret: \"{secret}\"\nuser:\n    username: \"\"\n    password: \"\"\nnotallowwanaccess: true\nlang: en\n",
        addr_file.display()
    )
}

/// A fake Cloudflare with zone example.com, and a CONNECT proxy leading to it.
async fn cloudflare() -> (Arc<FakeCloudflare>, fakes::ConnectProxy) {
    let cf = FakeCloudflare::new(TOKEN);
    cf.add_zone("example.com");
    let addr = fakes::serve_tls(cf.router(), &["api.cloudflare.com"]).await;
    let proxy =
        fakes::ConnectProxy::start(fakes::routes(&[("api.cloudflare.com:443", addr)])).await;
    (cf, proxy)
}

/// A command for the binary with a clean environment: PATH, HOME=`home`, the proxy.
fn command(home: &Path, proxy: Option<&fakes::ConnectProxy>) -> Command {
    let mut c = Command::new(bin());
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home);
    if let Some(p) = proxy {
        c.env("HTTPS_PROXY", format!("http://{}", p.addr));
    }
    c
}

struct Setup {
    dir: tempfile::TempDir,
    cfg: PathBuf,
}

fn setup(secret: &str, ipv4: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let addr = dir.path().join("addr");
    std::fs::write(&addr, "8.8.8.8\n").unwrap();
    let cfg = dir.path().join("ddns.yaml");
    std::fs::write(&cfg, config(&addr, secret, ipv4)).unwrap();
    Setup { dir, cfg }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn log_file_gets_every_line_rotated_private_and_without_the_secret() {
    let (cf, proxy) = cloudflare().await;
    let s = setup("${env:CF_TOKEN}", true);
    let log = s.dir.path().join("logs/nested/ddns.log");
    // A previous run left an almost full file: this run's first line rotates it.
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let old = "old line\n".repeat(455); // 4095 bytes
    std::fs::write(&log, &old).unwrap();
    let mut c = command(s.dir.path(), Some(&proxy));
    c.args([
        "-once",
        "-skipVerify",
        "-logSize",
        "4096",
        "-logKeep",
        "2",
        "-c",
    ])
    .arg(&s.cfg)
    .arg("-log")
    .arg(&log)
    .env("CF_TOKEN", TOKEN);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(cf.records()[0].content, "8.8.8.8");
    // Everything went to the file, nothing to stderr.
    assert_eq!(text(&out.stderr), "");
    let lines = std::fs::read_to_string(&log).unwrap();
    assert!(lines.contains("Run finished: 1 updated"), "{lines}");
    assert!(!lines.contains("old line"));
    let rotated = PathBuf::from(format!("{}.1", log.display()));
    assert_eq!(std::fs::read_to_string(&rotated).unwrap(), old);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&log), 0o600);
        assert_eq!(mode(&rotated), 0o600);
    }
    // The token reached the provider, never the log; the config keeps the reference.
    assert!(!lines.contains(TOKEN) && !text(&out.stdout).contains(TOKEN));
    assert!(
        std::fs::read_to_string(&s.cfg)
            .unwrap()
            .contains("${env:CF_TOKEN}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unresolvable_reference_stops_once_naming_entry_and_reference() {
    let (cf, proxy) = cloudflare().await;
    let s = setup("${env:CF_TOKEN_MISSING}", true);
    let before = std::fs::read(&s.cfg).unwrap();
    let mut c = command(s.dir.path(), Some(&proxy));
    c.args(["-once", "-skipVerify", "-c"]).arg(&s.cfg);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(
        err.contains("entry \"cf\": dns.secret: ${env:CF_TOKEN_MISSING} is not set"),
        "{err}"
    );
    assert!(cf.records().is_empty(), "nothing may be written");
    assert_eq!(std::fs::read(&s.cfg).unwrap(), before);
}

#[cfg(unix)]
/// Runs `-once` with stderr going to a file, `journal` giving JOURNAL_STREAM (Some(true): the
/// file's own device and inode, Some(false): another file's); returns the stderr lines.
fn once_with_journal(journal: Option<bool>) -> Vec<String> {
    // A failing detection: error lines and the summary, no provider needed.
    let s = setup("tok", true);
    std::fs::write(
        &s.cfg,
        config(&s.dir.path().join("no-such-file"), "tok", true),
    )
    .unwrap();
    let err_path = s.dir.path().join("stderr");
    let err = std::fs::File::create(&err_path).unwrap();
    let mut c = command(s.dir.path(), None);
    c.args(["-once", "-c"]).arg(&s.cfg).stderr(Stdio::from(err));
    if let Some(own) = journal {
        use std::os::unix::fs::MetadataExt;
        let target = if own { err_path.clone() } else { s.cfg.clone() };
        let m = std::fs::metadata(&target).unwrap();
        c.env("JOURNAL_STREAM", format!("{}:{}", m.dev(), m.ino()));
    }
    let out: Output = c.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    std::fs::read_to_string(&err_path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[cfg(unix)]
/// `YYYY/MM/DD HH:MM:SS ` at the start of a line.
fn stamped(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 20 && b[4] == b'/' && b[7] == b'/' && b[10] == b' ' && b[13] == b':'
}

#[cfg(unix)]
#[test]
fn journal_lines_carry_priorities_instead_of_time_stamps() {
    let journal = once_with_journal(Some(true));
    assert!(!journal.is_empty());
    let mut priorities: Vec<&str> = journal.iter().map(|l| &l[..3]).collect();
    priorities.dedup();
    assert!(journal.iter().all(|l| !stamped(l)), "{journal:?}");
    assert!(
        journal.iter().any(|l| l.starts_with("<3>ERROR ")),
        "{journal:?}"
    );
    assert!(
        journal
            .iter()
            .any(|l| l.starts_with("<6>Run finished: 0 updated, 0 unchanged, 1 failed")),
        "{journal:?}"
    );
    // Not the journal: the usual time stamps, no priorities.
    for other in [None, Some(false)] {
        let plain = once_with_journal(other);
        assert!(plain.iter().all(|l| stamped(l)), "{other:?}: {plain:?}");
        assert!(plain.iter().all(|l| !l.starts_with('<')), "{plain:?}");
    }
}

/// A free port on 127.0.0.1 (bound, then released for the daemon).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `-healthcheck` with `args`; returns the exit code, stdout and stderr.
async fn healthcheck(home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut c = command(home, None);
    c.arg("-healthcheck").args(args);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// A daemon on `listen` with the config of `s`, its stderr collected.
struct Daemon {
    child: tokio::process::Child,
    log: Arc<Mutex<String>>,
}

fn start_daemon(s: &Setup, listen: &str, extra: &[&str]) -> Daemon {
    let mut child = tokio::process::Command::from(command(s.dir.path(), None))
        .args(["-f", "3600", "-l", listen, "-c"])
        .arg(&s.cfg)
        .args(extra)
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let log = child_log::collect_stderr(&mut child);
    Daemon { child, log }
}

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ok() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `-healthcheck` until it exits 0 (returning its stdout) or the deadline passes.
async fn until_healthy(home: &Path, args: &[&str]) -> String {
    let start = std::time::Instant::now();
    loop {
        let (code, out, err) = healthcheck(home, args).await;
        if code == Some(0) {
            return out;
        }
        assert!(start.elapsed() < DEADLINE, "never healthy: {code:?} {err}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn healthcheck_exit_codes_follow_the_running_instance() {
    let home = tempfile::tempdir().unwrap();
    // Nothing listening: 1, with the reason.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (code, _, err) = healthcheck(home.path(), &["-l", &listen]).await;
    assert_eq!(code, Some(1));
    assert!(err.contains("no answer from http://127.0.0.1:"), "{err}");
    assert!(err.contains("is ddns-rs running"), "{err}");

    // Healthy: no enabled record, nothing to be wrong. `-l :port` asks 127.0.0.1.
    let healthy = setup("tok", false);
    let port = free_port();
    let mut d = start_daemon(&healthy, &format!("127.0.0.1:{port}"), &[]);
    let out = until_healthy(home.path(), &["-l", &format!(":{port}")]).await;
    assert!(out.starts_with("healthy: 0 record(s)"), "{out}");
    // -healthcheck wrote nothing (no config, no lock) in its own home.
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
    d.child.kill().await.unwrap();

    // Unhealthy: the record's address cannot be detected (the command fails).
    let sick = setup("tok", true);
    std::fs::write(
        &sick.cfg,
        config(&sick.dir.path().join("missing"), "tok", true),
    )
    .unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut d = start_daemon(&sick, &listen, &[]);
    let log = d.log.clone();
    wait_for("the first failed run", || {
        log.lock().unwrap().contains("no IPv4 address") || log.lock().unwrap().contains("Failed")
    })
    .await;
    let start = std::time::Instant::now();
    let (code, err) = loop {
        let (code, _, err) = healthcheck(home.path(), &["-l", &listen]).await;
        // Until the web UI listens the reason is "no answer"; then it must be the report.
        if !err.contains("no answer") || start.elapsed() > DEADLINE {
            break (code, err);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(code, Some(1), "{err}");
    assert!(err.starts_with("not healthy (HTTP 503)\n"), "{err}");
    assert!(err.contains("no ipv4 address detected yet"), "{err}");
    d.child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn healthcheck_over_https_skips_verification_on_loopback_only() {
    let home = tempfile::tempdir().unwrap();
    let s = setup("tok", false);
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_path = s.dir.path().join("cert.pem");
    let key_path = s.dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let (c, k) = (
        cert_path.to_str().unwrap().to_string(),
        key_path.to_str().unwrap().to_string(),
    );
    let port = free_port();
    let mut d = start_daemon(
        &s,
        &format!("127.0.0.1:{port}"),
        &["-tlsCert", &c, "-tlsKey", &k],
    );
    let tls = ["-l", &format!("[::]:{port}"), "-tlsCert", &c, "-tlsKey", &k];
    // `[::]` asks [::1], where nothing listens (the daemon is on 127.0.0.1): the reason shows
    // the HTTPS URL. Then the right address answers over HTTPS with the self-signed certificate.
    let (code, _, err) = healthcheck(home.path(), &tls).await;
    assert_eq!(code, Some(1));
    assert!(err.contains("https://[::1]:"), "{err}");
    let local = format!("127.0.0.1:{port}");
    let out = until_healthy(home.path(), &["-l", &local, "-tlsCert", &c, "-tlsKey", &k]).await;
    assert!(out.starts_with("healthy"), "{out}");
    // Without -tlsCert the check speaks plain HTTP to an HTTPS port: not healthy.
    let (code, _, _) = healthcheck(home.path(), &["-l", &local]).await;
    assert_eq!(code, Some(1));
    d.child.kill().await.unwrap();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sighup_with_an_unresolvable_reference_keeps_the_previous_config() {
    let (cf, proxy) = cloudflare().await;
    let s = setup("${env:CF_TOKEN}", true);
    let mut c = command(s.dir.path(), Some(&proxy));
    c.env("CF_TOKEN", TOKEN);
    let mut child = tokio::process::Command::from(c)
        .args(["-noweb", "-skipVerify", "-f", "3600", "-c"])
        .arg(&s.cfg)
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let log = child_log::collect_stderr(&mut child);
    let holds = |v: &str| cf.records().iter().any(|r| r.content == v);
    wait_for("the first update", || holds("8.8.8.8")).await;
    let pid = child.id().unwrap().to_string();
    let signal = |sig: &str| {
        let ok = Command::new("kill")
            .args([sig, pid.as_str()])
            .status()
            .unwrap();
        assert!(ok.success());
    };
    // The edited file names a variable the daemon does not have.
    let addr = s.dir.path().join("addr");
    std::fs::write(&s.cfg, config(&addr, "${env:OTHER_TOKEN}", true)).unwrap();
    signal("-HUP");
    let logged = |t: &str| log.lock().unwrap().contains(t);
    wait_for("the refused reload", || {
        logged("Keeping the previous config")
    })
    .await;
    let all = log.lock().unwrap().clone();
    assert!(
        all.contains("entry \"cf\": dns.secret: ${env:OTHER_TOKEN} is not set"),
        "{all}"
    );
    // The previous config (and its token) is still in force.
    std::fs::write(&addr, "8.8.4.4\n").unwrap();
    signal("-USR1");
    wait_for("the update with the old config", || holds("8.8.4.4")).await;
    assert!(!log.lock().unwrap().contains(TOKEN));
    child.kill().await.unwrap();
}
