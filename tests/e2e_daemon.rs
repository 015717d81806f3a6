//! The daemon as a user runs it: started before its config file exists, it waits; it picks up
//! the file when it appears, every later edit, and survives a broken edit with the previous
//! config in force — all without a restart (ddns-go needs one, #262). SIGTERM stops it.
//! Each step waits for its effect with a generous deadline, so a slow machine only makes the
//! test slower, never red.

mod fakes;

#[path = "fakes/child_log.rs"]
mod child_log;

use std::time::Duration;

use fakes::cloudflare::FakeCloudflare;

const DEADLINE: Duration = Duration::from_secs(90);

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ok() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn config(addr_file: &std::path::Path, domains: &[&str]) -> String {
    let list: String = domains
        .iter()
        .map(|d| format!("            - {d}\n"))
        .collect();
    format!(
        "dnsconf:\n    - name: cf\n      ipv4:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: cat {}\n        domains:\n{list}      ipv6:\n        enable: false\n        gettype: \"\"\n        url: \"\"\n        netinterface: \"\"\n        cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n      dns:\n        name: cloudflare\n        id: \"\"\n        secret: tok\n        extparam: \"\"\n      ttl: \"\"\n      httpinterface: \"\"\nuser:\n    username: \"\"\n    password: \"\"\nwebhook:\n    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\nnotallowwanaccess: true\nlang: en\n",
        addr_file.display()
    )
}

/// inotify watches the process holds (`inotify wd:` lines in /proc/PID/fdinfo).
fn inotify_watches(pid: u32) -> usize {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return 0;
    };
    fds.filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|info| {
            info.lines()
                .filter(|l| l.starts_with("inotify wd:"))
                .count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn daemon_waits_for_the_file_and_reloads_every_edit() {
    let cf = FakeCloudflare::new("tok");
    cf.add_zone("example.com");
    let cf_addr = fakes::serve_tls(cf.router(), &["api.cloudflare.com"]).await;
    let proxy =
        fakes::ConnectProxy::start(fakes::routes(&[("api.cloudflare.com:443", cf_addr)])).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sub").join("ddns.yaml");
    let addr_file = dir.path().join("addr");
    std::fs::write(&addr_file, "8.8.8.8\n").unwrap();

    let mut child = tokio::process::Command::new(fakes::bin::path())
        .args([
            "-c",
            cfg.to_str().unwrap(),
            "-noweb",
            "-skipVerify",
            "-f",
            "3600",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("HTTPS_PROXY", format!("http://{}", proxy.addr))
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let log = child_log::collect_stderr(&mut child);
    let logged = |s: &str| log.lock().unwrap().contains(s);
    let name_holds = |n: &str, v: &str| cf.records().iter().any(|r| r.name == n && r.content == v);

    wait_for("the missing-file hint", || logged("No config file at")).await;
    assert!(!cfg.exists());

    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, config(&addr_file, &["www.example.com"])).unwrap();
    wait_for("www created", || name_holds("www.example.com", "8.8.8.8")).await;
    // Now that its directory exists, the daemon watches the file (inotify) instead of polling.
    let pid = child.id().unwrap();
    wait_for("an inotify watch on the config directory", || {
        inotify_watches(pid) > 0
    })
    .await;

    // An edit adds a domain: published without a restart.
    std::fs::write(
        &cfg,
        config(&addr_file, &["www.example.com", "nas.example.com"]),
    )
    .unwrap();
    wait_for("nas created", || name_holds("nas.example.com", "8.8.8.8")).await;

    // A broken edit is reported with its line, and the daemon keeps going.
    std::fs::write(&cfg, "dnsconf:\n    - name: [unclosed\n").unwrap();
    wait_for("the parse error", || logged("is not valid at line")).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon must keep running"
    );

    // Fixing it (with another domain) is picked up too, and the file is never rewritten.
    let fixed = config(
        &addr_file,
        &["www.example.com", "nas.example.com", "tv.example.com"],
    );
    std::fs::write(&cfg, &fixed).unwrap();
    wait_for("tv created", || name_holds("tv.example.com", "8.8.8.8")).await;
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), fixed);

    // SIGTERM ends it cleanly.
    let pid = child.id().unwrap() as libc::pid_t;
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = tokio::time::timeout(DEADLINE, child.wait())
        .await
        .expect("exit after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}\n{}", log.lock().unwrap());
    wait_for("the stop line", || logged("Stopping")).await;
}
