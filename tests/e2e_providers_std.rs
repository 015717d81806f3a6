//! End to end for the standard-protocol providers: the real `ddns-rs` binary, run with
//! `-c cfg -noweb -once`, updates a real BIND 9 through `rfc2136` (TSIG hmac-sha256) and a
//! real PowerDNS through `powerdns` (its HTTP API on 127.0.0.1, behind a recording
//! pass-through), both started by the test. Each entry has a stale record (updated), a
//! missing one (created) and a correct one (no write); afterwards the records resolve over
//! DNS, and a second run writes nothing. `-dryRun` first prints the plan and writes nothing.

mod servers;

use std::process::Output;

use hickory_proto::rr::RecordType as Wire;
use servers::{Bind, Pdns, Recorder, secret_of};

const NEW: &str = "45.77.1.2";
const NEW6: &str = "2606:4700:4700::1111";

fn config(bind: &Bind, pdns_api: &str, pdns_key: &str) -> String {
    let entry = |name: &str,
                 v4: &[&str],
                 v6: &[&str],
                 dns: &str,
                 id: &str,
                 secret: &str,
                 ext: &str| {
        let list = |d: &[&str]| -> String {
            if d.is_empty() {
                " []\n".into()
            } else {
                d.iter()
                    .map(|x| format!("\n            - {x}"))
                    .collect::<String>()
                    + "\n"
            }
        };
        format!(
            "    - name: {name}\n      ipv4:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW}\n        domains:{}      ipv6:\n        enable: {}\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW6}\n        ipv6reg: \"\"\n        domains:{}      dns:\n        name: {dns}\n        id: '{id}'\n        secret: '{secret}'\n        extparam: '{ext}'\n      ttl: \"\"\n      httpinterface: \"\"\n",
            list(v4),
            !v6.is_empty(),
            list(v6),
        )
    };
    let mut y = String::from("dnsconf:\n");
    y += &entry(
        "bind",
        &["old.example.test", "new.example.test", "ok.example.test"],
        &["ok.example.test", "new.example.test"],
        "rfc2136",
        "key-sha256",
        &secret_of("key-sha256"),
        &bind.addr.to_string(),
    );
    y += &entry(
        "pdns",
        &["old.example.org", "new.example.org", "ok.example.org"],
        &[],
        "powerdns",
        pdns_api,
        pdns_key,
        "localhost",
    );
    y += "user:\n    username: admin\n    password: \"\"\nnotallowwanaccess: true\nlang: en\n";
    y
}

async fn run(cfg: &std::path::Path, home: &std::path::Path, extra: &[&str]) -> Output {
    // env_clear: no HTTPS_PROXY/HTTP_PROXY from the caller can get in the way.
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ddns-rs"))
        .args(["-c", cfg.to_str().unwrap(), "-noweb", "-once"])
        .args(extra)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .output()
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn once_updates_bind_and_powerdns() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let Some(pdns) = Pdns::start(&["example.org"]).await else {
        return;
    };
    pdns.seed("example.org", "old.example.org", "A", &["45.77.1.1"])
        .await;
    pdns.seed("example.org", "ok.example.org", "A", &[NEW])
        .await;
    let rec = Recorder::start(&pdns.api).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join(".ddns_go_config.yaml");
    std::fs::write(&cfg, config(&bind, &rec.url, &pdns.key)).unwrap();

    // -dryRun: the lookups tell the plan, nothing is written.
    let out = run(&cfg, dir.path(), &["-dryRun"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "bind: A old.example.test: 192.0.2.1 → 45.77.1.2".to_string(),
        format!("bind: A new.example.test: (none) → {NEW}"),
        format!("bind: A ok.example.test: no change ({NEW})"),
        format!("bind: AAAA ok.example.test: no change ({NEW6})"),
        format!("pdns: A old.example.org: 45.77.1.1 → {NEW}"),
        format!("pdns: A ok.example.org: no change ({NEW})"),
    ] {
        assert!(stdout.contains(&line), "{line} missing in\n{stdout}");
    }
    assert_eq!(bind.updates_approved(), 0);
    assert!(
        rec.methods().iter().all(|m| m == "GET"),
        "{:?}",
        rec.requests()
    );

    let out = run(&cfg, dir.path(), &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (_, _, tsig_secret) = servers::KEYS[0];
    assert!(
        !text(&out).contains(tsig_secret) && !text(&out).contains(&pdns.key),
        "no secret in the output: {}",
        text(&out)
    );

    let v4: std::net::IpAddr = NEW.parse().unwrap();
    let v6: std::net::IpAddr = NEW6.parse().unwrap();
    for name in ["old.example.test", "new.example.test", "ok.example.test"] {
        assert_eq!(
            servers::query(bind.addr, name, Wire::A).await.1,
            vec![v4],
            "{name}"
        );
    }
    for name in ["new.example.test", "ok.example.test"] {
        assert_eq!(
            servers::query(bind.addr, name, Wire::AAAA).await.1,
            vec![v6],
            "{name}"
        );
    }
    // old (A), new (A) and new (AAAA): three UPDATEs; ok.example.test saw none.
    assert_eq!(bind.updates_approved(), 3, "{}", bind.log());
    assert!(!bind.log().contains("'ok.example.test'"), "{}", bind.log());

    for name in ["old.example.org", "new.example.org", "ok.example.org"] {
        assert_eq!(
            servers::query(pdns.dns, name, Wire::A).await.1,
            vec![v4],
            "{name}"
        );
    }
    let patches: Vec<_> = rec
        .requests()
        .into_iter()
        .filter(|(m, _)| m == "PATCH")
        .collect();
    assert_eq!(patches.len(), 2, "{:?}", rec.requests());

    // A second run finds everything right and writes nothing.
    let out = run(&cfg, dir.path(), &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(bind.updates_approved(), 3);
    assert_eq!(
        rec.requests().iter().filter(|(m, _)| m == "PATCH").count(),
        2
    );
}
