//! Start-up waits for the network without blocking the web UI (ddns-go §5.3, #709, #1626): in
//! a network namespace with an interface but no default route, the daemon serves its web UI and
//! waits; adding a default route lets the first update start. `-once` never waits.
//! Needs root (network namespaces); every wait has a generous deadline.

#[path = "fakes/child_log.rs"]
mod child_log;

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(90);

async fn wait_for(what: &str, log: &Mutex<String>, mut ok: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for: {what}\n{}",
            log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A network namespace, deleted on drop.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("ddnsrs-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).status();
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .unwrap();
        assert!(
            ok.success(),
            "ip netns add failed (these tests need root and iproute2)"
        );
        let ns = Netns(name);
        ns.ip(&["link", "set", "lo", "up"]);
        // veth, not dummy: the dummy driver is not available everywhere.
        ns.ip(&["link", "add", "d0", "type", "veth", "peer", "name", "d1"]);
        ns.ip(&["addr", "add", "10.77.0.2/24", "dev", "d0"]);
        ns.ip(&["link", "set", "d1", "up"]);
        ns.ip(&["link", "set", "d0", "up"]);
        ns
    }

    fn ip(&self, args: &[&str]) {
        let st = Command::new("ip")
            .args(["netns", "exec", &self.0, "ip"])
            .args(args)
            .status()
            .unwrap();
        assert!(st.success(), "ip {args:?} failed");
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` inside the namespace.
    fn port_open(&self, port: u16) -> bool {
        Command::new("ip")
            .args(["netns", "exec", &self.0, "bash", "-c"])
            .arg(format!("exec 3<>/dev/tcp/127.0.0.1/{port}"))
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn write_config(dir: &std::path::Path) -> std::path::PathBuf {
    let cfg = dir.join("ddns.yaml");
    std::fs::write(dir.join("addr"), "8.8.8.8\n").unwrap();
    std::fs::write(
        &cfg,
        format!(
            "dnsconf:\n    - name: cb\n      ipv4:\n        enable: true\n        gettype: cmd\n        cmd: cat {}\n        domains:\n            - a.example.com\n      dns:\n        name: callback\n        id: \"http://127.0.0.1:1/u?d=#{{domain}}\"\n        secret: \"\"\nnotallowwanaccess: true\nlang: en\n",
            dir.join("addr").display()
        ),
    )
    .unwrap();
    cfg
}

#[tokio::test(flavor = "multi_thread")]
async fn waits_for_a_default_route_while_the_web_ui_is_up() {
    let ns = Netns::new("nw");
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path());
    let port = 19876;
    let mut child = tokio::process::Command::new("ip")
        .args(["netns", "exec", &ns.0, env!("CARGO_BIN_EXE_ddns-rs")])
        .args([
            "-c",
            cfg.to_str().unwrap(),
            "-l",
            &format!("127.0.0.1:{port}"),
            "-f",
            "3600",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let log = child_log::collect_stderr(&mut child);
    let logged = |s: &str| log.lock().unwrap().contains(s);

    wait_for("the waiting line", &log, || {
        logged("Waiting for the network")
    })
    .await;
    wait_for("the web UI", &log, || ns.port_open(port)).await;
    assert!(
        !logged("Loaded config file"),
        "no update before the network is up"
    );
    assert_eq!(
        log.lock()
            .unwrap()
            .matches("Waiting for the network")
            .count(),
        1,
        "logged once"
    );

    ns.ip(&["route", "add", "default", "via", "10.77.0.1", "dev", "d0"]);
    wait_for("the network-up line", &log, || logged("The network is up")).await;
    wait_for("the first update", &log, || logged("Loaded config file")).await;
    assert_eq!(
        log.lock()
            .unwrap()
            .matches("Waiting for the network")
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn once_never_waits() {
    let ns = Netns::new("once");
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path());
    let mut child = tokio::process::Command::new("ip")
        .args(["netns", "exec", &ns.0, env!("CARGO_BIN_EXE_ddns-rs")])
        .args(["-c", cfg.to_str().unwrap(), "-once"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let log = child_log::collect_stderr(&mut child);
    let status = tokio::time::timeout(DEADLINE, child.wait())
        .await
        .unwrap()
        .unwrap();
    // The callback endpoint is unreachable, so the run fails (exit 1) — but it ran at once.
    assert_eq!(status.code(), Some(1), "{}", log.lock().unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = log.lock().unwrap().clone();
    assert!(!text.contains("Waiting for the network"), "{text}");
    assert!(text.contains("a.example.com"), "the update ran: {text}");
}
