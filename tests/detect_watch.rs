//! The rtnetlink watcher against a real kernel: each test creates its own network namespace with
//! a veth pair, changes addresses and routes with `ip`, and checks what the watcher reports.
//! The last test runs the real binary inside a namespace and checks that an address added with
//! `ip addr add` is published through the `callback` provider without waiting for `-f`.
//!
//! Needs root (network namespaces); Linux only.
#![cfg(target_os = "linux")]

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ddns_rs::detect::watch::Watcher;
use ddns_rs::detect::{AddrChange, ChangeKind, Changes};

/// Generous: the watcher itself waits at most 2 s per burst; DAD takes about 1–2 s.
const DEADLINE: Duration = Duration::from_secs(30);

/// A network namespace with a veth pair `va` ↔ `vb`, both up; deleted on drop.
struct Ns {
    name: String,
}

impl Ns {
    fn new(tag: &str) -> Ns {
        let name = format!("ddnsw-{}-{tag}", std::process::id());
        // A leftover from an interrupted run; usually absent.
        let _ = Command::new("ip")
            .args(["netns", "del", &name])
            .stderr(Stdio::null())
            .status();
        run("ip", &["netns", "add", &name]);
        let ns = Ns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns.ip(&["link", "add", "va", "type", "veth", "peer", "name", "vb"]);
        ns.sysctl("net.ipv6.conf.va.use_tempaddr=2");
        ns.ip(&["link", "set", "va", "up"]);
        ns.ip(&["link", "set", "vb", "up"]);
        ns
    }

    fn ip(&self, args: &[&str]) {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        run("ip", &all);
    }

    fn sysctl(&self, setting: &str) {
        run(
            "ip",
            &["netns", "exec", &self.name, "sysctl", "-qw", setting],
        );
    }

    /// Moves the calling thread into this namespace.
    fn enter(name: &str) {
        let f = File::open(format!("/run/netns/{name}")).unwrap();
        // SAFETY: setns only changes this thread's network namespace; the fd is valid.
        let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
    }

    /// Starts a watcher inside the namespace on its own thread; its reports arrive on the
    /// returned channel. Returns once the watcher has subscribed and taken its baseline.
    fn watch(&self) -> mpsc::Receiver<Changes> {
        let (tx, rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let name = self.name.clone();
        std::thread::spawn(move || {
            Ns::enter(&name);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let mut w = Watcher::new().unwrap();
                ready_tx.send(()).unwrap();
                while let Ok(c) = w.next().await {
                    if tx.send(c).is_err() {
                        return;
                    }
                }
            });
        });
        ready_rx.recv_timeout(DEADLINE).unwrap();
        rx
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits for a report holding an address change that `want` accepts; earlier reports are
/// collected and returned too, for assertions about what came before.
fn expect(
    rx: &mpsc::Receiver<Changes>,
    what: &str,
    want: impl Fn(&AddrChange) -> bool,
) -> (AddrChange, Vec<Changes>) {
    let end = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let c = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no report of {what}; got {seen:#?}"));
        if let Some(a) = c.addrs.iter().find(|a| want(a)) {
            return (a.clone(), seen);
        }
        seen.push(c);
    }
}

fn is(a: &AddrChange, iface: &str, ip: &str, kind: ChangeKind) -> bool {
    a.iface == iface && a.ip.to_string() == ip && a.kind == kind
}

#[test]
fn ipv4_address_added_and_removed() {
    let ns = Ns::new("v4");
    let rx = ns.watch();
    ns.ip(&["addr", "add", "192.0.2.10/24", "dev", "va"]);
    let (a, _) = expect(&rx, "added 192.0.2.10", |a| {
        is(a, "va", "192.0.2.10", ChangeKind::Added)
    });
    assert!(a.global);
    ns.ip(&["addr", "del", "192.0.2.10/24", "dev", "va"]);
    expect(&rx, "removed 192.0.2.10", |a| {
        is(a, "va", "192.0.2.10", ChangeKind::Removed)
    });
}

#[test]
fn ipv6_address_counts_only_after_dad() {
    let ns = Ns::new("dad");
    let rx = ns.watch();
    // Without `nodad` the kernel runs duplicate address detection first (tentative).
    ns.ip(&["addr", "add", "2001:db8:5::1/64", "dev", "va"]);
    let (a, before) = expect(&rx, "2001:db8:5::1 usable", |a| {
        is(a, "va", "2001:db8:5::1", ChangeKind::Added)
    });
    assert!(!a.flags.tentative, "{a:?}");
    assert!(!a.flags.temporary && !a.flags.deprecated, "{a:?}");
    assert!(
        before.iter().flat_map(|c| &c.addrs).all(|x| x.ip != a.ip),
        "reported while tentative: {before:?}"
    );
}

#[test]
fn ipv6_address_deprecated() {
    let ns = Ns::new("depr");
    let rx = ns.watch();
    ns.ip(&["addr", "add", "2001:db8:6::1/64", "dev", "va", "nodad"]);
    expect(&rx, "added 2001:db8:6::1", |a| {
        is(a, "va", "2001:db8:6::1", ChangeKind::Added)
    });
    ns.ip(&[
        "addr",
        "change",
        "2001:db8:6::1/64",
        "dev",
        "va",
        "preferred_lft",
        "0",
    ]);
    let (a, _) = expect(&rx, "2001:db8:6::1 deprecated", |a| {
        is(a, "va", "2001:db8:6::1", ChangeKind::Flags)
    });
    assert!(a.flags.deprecated, "{a:?}");
}

#[test]
fn temporary_and_stable_addresses_are_told_apart() {
    let ns = Ns::new("temp");
    let rx = ns.watch();
    // mngtmpaddr with use_tempaddr=2: the kernel derives a temporary (privacy) address from
    // the stable one, runs DAD on it, then announces it.
    ns.ip(&[
        "addr",
        "add",
        "2001:db8:7::1/64",
        "dev",
        "va",
        "mngtmpaddr",
        "nodad",
    ]);
    let (stable, _) = expect(&rx, "stable 2001:db8:7::1", |a| {
        is(a, "va", "2001:db8:7::1", ChangeKind::Added)
    });
    assert!(!stable.flags.temporary);
    let (temp, _) = expect(&rx, "a temporary address in 2001:db8:7::/64", |a| {
        a.kind == ChangeKind::Added && a.ip.to_string().starts_with("2001:db8:7:0:")
    });
    assert!(temp.flags.temporary && !temp.flags.tentative, "{temp:?}");
}

#[test]
fn prefix_change_reports_old_gone_and_new_added() {
    let ns = Ns::new("prefix");
    let rx = ns.watch();
    ns.ip(&["addr", "add", "2001:db8:a::1/64", "dev", "va", "nodad"]);
    expect(&rx, "old prefix", |a| {
        is(a, "va", "2001:db8:a::1", ChangeKind::Added)
    });
    ns.ip(&["addr", "del", "2001:db8:a::1/64", "dev", "va"]);
    ns.ip(&["addr", "add", "2001:db8:b::1/64", "dev", "va", "nodad"]);
    let mut gone = false;
    let mut new = false;
    let end = Instant::now() + DEADLINE;
    while !(gone && new) {
        let c = rx
            .recv_timeout(end.saturating_duration_since(Instant::now()))
            .expect("both halves of the prefix change reported");
        gone |= c
            .addrs
            .iter()
            .any(|a| is(a, "va", "2001:db8:a::1", ChangeKind::Removed));
        new |= c
            .addrs
            .iter()
            .any(|a| is(a, "va", "2001:db8:b::1", ChangeKind::Added));
    }
}

#[test]
fn default_route_added_and_removed() {
    let ns = Ns::new("route");
    ns.ip(&["addr", "add", "10.9.0.1/24", "dev", "va"]);
    let rx = ns.watch();
    ns.ip(&["route", "add", "default", "via", "10.9.0.2"]);
    let wait_route = |what: &str| {
        let end = Instant::now() + DEADLINE;
        loop {
            let c = rx
                .recv_timeout(end.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no default-route report after {what}"));
            if c.default_route {
                return;
            }
        }
    };
    wait_route("route add");
    ns.ip(&["route", "del", "default"]);
    wait_route("route del");
}

#[test]
fn lost_notifications_are_recovered_from_a_fresh_dump() {
    let ns = Ns::new("enobufs");
    let (tx, rx) = mpsc::channel();
    let (ready_tx, ready_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let name = ns.name.clone();
    std::thread::spawn(move || {
        Ns::enter(&name);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            // A tiny buffer, and nobody reading while the batch runs: the kernel drops
            // notifications and the first read fails with ENOBUFS.
            let mut w = Watcher::with_receive_buffer(Some(1024)).unwrap();
            ready_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            while let Ok(c) = w.next().await {
                if tx.send(c).is_err() {
                    return;
                }
            }
        });
    });
    ready_rx.recv_timeout(DEADLINE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("batch");
    let lines: String = (0..200)
        .map(|i| format!("addr add 10.50.{}.{}/32 dev va\n", i / 100, i % 100 + 1))
        .collect();
    std::fs::write(&batch, lines).unwrap();
    ns.ip(&["-batch", batch.to_str().unwrap()]);
    go_tx.send(()).unwrap();
    let mut added = std::collections::BTreeSet::new();
    let end = Instant::now() + DEADLINE;
    while added.len() < 200 {
        let c = rx
            .recv_timeout(end.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("only {} of 200 additions reported", added.len()));
        added.extend(
            c.addrs
                .iter()
                .filter(|a| a.kind == ChangeKind::Added && a.iface == "va")
                .map(|a| a.ip),
        );
    }
}

/// A minimal HTTP server inside the namespace: records each request line with its arrival time.
fn serve_in(ns: &str) -> (u16, mpsc::Receiver<(String, Instant)>) {
    let (tx, rx) = mpsc::channel();
    let (port_tx, port_rx) = mpsc::channel();
    let name = ns.to_string();
    std::thread::spawn(move || {
        Ns::enter(&name);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        port_tx.send(listener.local_addr().unwrap().port()).unwrap();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let at = Instant::now();
            // Drain the headers before answering.
            let mut h = String::new();
            while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
                h.clear();
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            if tx.send((line, at)).is_err() {
                return;
            }
        }
    });
    (port_rx.recv_timeout(DEADLINE).unwrap(), rx)
}

#[test]
fn daemon_publishes_a_new_interface_address_without_waiting_for_the_timer() {
    let ns = Ns::new("e2e");
    let (port, requests) = serve_in(&ns.name);
    ns.ip(&["addr", "add", "2001:db8:77::5/64", "dev", "va", "nodad"]);
    ns.ip(&["addr", "add", "2001:db8:99::9/64", "dev", "vb", "nodad"]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "dnsconf:\n  - name: other\n    ipv6:\n      enable: true\n      gettype: netInterface\n      \
             netinterface: vb\n      domains: [\"other.example.com\"]\n    dns:\n      name: callback\n      \
             id: \"http://127.0.0.1:{port}/other?ip=#{{ip}}\"\n  \
             - name: watch\n    ipv6:\n      enable: true\n      gettype: netInterface\n      \
             netinterface: va\n      domains: [\"host.example.com\"]\n    dns:\n      name: callback\n      \
             id: \"http://127.0.0.1:{port}/update?ip=#{{ip}}\"\n"
        ),
    )
    .unwrap();
    let log = File::create(dir.path().join("log")).unwrap();
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name, env!("CARGO_BIN_EXE_ddns-rs")])
        .args(["-c", config.to_str().unwrap(), "-f", "3600", "-noweb"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let wait_for = |ip: &str| -> Instant {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let Ok((line, at)) = requests.recv_timeout(left) else {
                let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
                panic!("no callback with {ip} within 60 s; daemon log:\n{log}");
            };
            if line
                .replace("%3A", ":")
                .replace("%3a", ":")
                .contains(&format!("ip={ip}"))
            {
                return at;
            }
        }
    };
    // The first run at start-up publishes the address the interface has.
    wait_for("2001:db8:77::5");
    // The prefix moves; only the watcher can notice before the one-hour timer.
    ns.ip(&["addr", "del", "2001:db8:77::5/64", "dev", "va"]);
    let added = Instant::now();
    ns.ip(&["addr", "add", "2001:db8:78::5/64", "dev", "va", "nodad"]);
    let seen = wait_for("2001:db8:78::5");
    println!(
        "reaction latency from `ip addr add` to the callback: {:?}",
        seen.duration_since(added)
    );
    let _ = child.kill();
    let _ = child.wait();
    // Only the entry on `va` ran for the change; the one on `vb` was left alone.
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(
        log.contains("Network change: running entries [1]"),
        "daemon log:\n{log}"
    );
    assert!(!log.contains("running entries [0"), "daemon log:\n{log}");
}
