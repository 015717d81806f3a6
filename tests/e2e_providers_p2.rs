//! End to end for the registrar providers: the real `ddns-rs` binary, run with
//! `-c cfg -noweb -skipVerify -once`, reaches fakes of Porkbun, GoDaddy, Namecheap, NameSilo,
//! Dynadot and Spaceship at their production host names through `HTTPS_PROXY` (a CONNECT proxy
//! routing each host to a local TLS fake). Addresses come from `gettype: cmd`.
//!
//! Checks: for every readable provider a stale record is updated, a missing one created and a
//! correct one left alone (no write request); each change-only provider gets its one write.

mod fakes;

use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;

use fakes::dynadot::FakeDynadot;
use fakes::godaddy::FakeGoDaddy;
use fakes::namecheap::FakeNamecheap;
use fakes::namesilo::FakeNameSilo;
use fakes::porkbun::FakePorkbun;
use fakes::spaceship::FakeSpaceship;

const OLD: &str = "45.77.1.1";
const NEW: &str = "45.77.1.2";
const NEW6: &str = "2606:4700:4700::1111";

struct World {
    pb: Arc<FakePorkbun>,
    gd: Arc<FakeGoDaddy>,
    nc: Arc<FakeNamecheap>,
    ns: Arc<FakeNameSilo>,
    dd: Arc<FakeDynadot>,
    ss: Arc<FakeSpaceship>,
    proxy: fakes::ConnectProxy,
    dir: tempfile::TempDir,
}

/// Seeds `www` (stale) and `ok` (correct) under `zone` through `seed(name, value)`.
fn stale_and_ok(zone: &str, mut seed: impl FnMut(&str, &str)) {
    seed(&format!("www.{zone}"), OLD);
    seed(&format!("ok.{zone}"), NEW);
}

impl World {
    async fn start() -> World {
        let pb = FakePorkbun::new("pk1_e2e", "sk1_e2e");
        pb.add_zone("example.com");
        stale_and_ok("example.com", |n, v| {
            pb.seed("example.com", n, "A", v);
        });
        let gd = FakeGoDaddy::new("gd-key", "gd-secret");
        gd.add_zone("example.net");
        stale_and_ok("example.net", |n, v| {
            gd.seed("example.net", n, "A", v);
        });
        let nc = FakeNamecheap::new();
        nc.add_domain("example.org", "nc-pw");
        nc.seed("example.org", "home.example.org", OLD);
        let ns = FakeNameSilo::new("ns-key");
        ns.add_zone("example.io");
        stale_and_ok("example.io", |n, v| {
            ns.seed("example.io", n, "A", v);
        });
        let dd = FakeDynadot::new();
        dd.add_domain("example.dev", "dd-pw");
        dd.seed("example.dev", "home.example.dev", "A", OLD);
        let ss = FakeSpaceship::new("ss-key", "ss-secret");
        ss.add_zone("example.app");
        stale_and_ok("example.app", |n, v| {
            ss.seed("example.app", n, "A", v);
        });

        let mut routes = Vec::new();
        for (host, router) in [
            (fakes::porkbun::HOST, pb.router()),
            (fakes::godaddy::HOST, gd.router()),
            (fakes::namecheap::HOST, nc.router()),
            (fakes::namesilo::HOST, ns.router()),
            (fakes::dynadot::HOST, dd.router()),
            (fakes::spaceship::HOST, ss.router()),
        ] {
            let addr = fakes::serve_tls(router, &[host]).await;
            routes.push((format!("{host}:443"), addr));
        }
        let pairs: Vec<(&str, std::net::SocketAddr)> =
            routes.iter().map(|(h, a)| (h.as_str(), *a)).collect();
        let proxy = fakes::ConnectProxy::start(fakes::routes(&pairs)).await;
        let dir = tempfile::tempdir().unwrap();
        let w = World {
            pb,
            gd,
            nc,
            ns,
            dd,
            ss,
            proxy,
            dir,
        };
        std::fs::write(w.config_path(), w.config_yaml()).unwrap();
        w
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join(".ddns_go_config.yaml")
    }

    fn config_yaml(&self) -> String {
        let list = |domains: &[&str]| -> String {
            domains
                .iter()
                .map(|d| format!("            - {d}\n"))
                .collect()
        };
        let v4 = |domains: &[&str]| {
            format!(
                "      ipv4:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW}\n        domains:\n{}",
                list(domains)
            )
        };
        let v6 = |domains: &[&str]| {
            if domains.is_empty() {
                "      ipv6:\n        enable: false\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n".to_string()
            } else {
                format!(
                    "      ipv6:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW6}\n        ipv6reg: \"\"\n        domains:\n{}",
                    list(domains)
                )
            }
        };
        let dns = |name: &str, id: &str, secret: &str| {
            format!(
                "      dns:\n        name: {name}\n        id: '{id}'\n        secret: '{secret}'\n        extparam: \"\"\n      ttl: \"\"\n      httpinterface: \"\"\n"
            )
        };
        let three = |zone: &str| {
            [
                format!("www.{zone}"),
                format!("api.{zone}"),
                format!("ok.{zone}"),
            ]
        };
        let mut y = String::from("dnsconf:\n");
        let mut entry =
            |label: &str, v4d: &[String], v6d: &[&str], name: &str, id: &str, secret: &str| {
                let v4d: Vec<&str> = v4d.iter().map(String::as_str).collect();
                y += &format!("    - name: {label}\n");
                y += &v4(&v4d);
                y += &v6(v6d);
                y += &dns(name, id, secret);
            };
        entry(
            "pb",
            &three("example.com"),
            &["v6.example.com"],
            "porkbun",
            "pk1_e2e",
            "sk1_e2e",
        );
        entry(
            "gd",
            &three("example.net"),
            &[],
            "godaddy",
            "gd-key",
            "gd-secret",
        );
        entry(
            "nc",
            &["home.example.org".to_string()],
            &[],
            "namecheap",
            "",
            "nc-pw",
        );
        entry("ns", &three("example.io"), &[], "namesilo", "", "ns-key");
        entry(
            "dd",
            &["home.example.dev".to_string()],
            &[],
            "dynadot",
            "",
            "dd-pw",
        );
        entry(
            "ss",
            &three("example.app"),
            &[],
            "spaceship",
            "ss-key",
            "ss-secret",
        );
        y += "user:\n    username: admin\n    password: \"\"\n";
        y += "webhook:\n    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\n";
        y += "notallowwanaccess: true\nlang: en\n";
        y
    }

    async fn run(&self) -> Output {
        let path = self.config_path();
        tokio::process::Command::new(fakes::bin::path())
            .args([
                "-c",
                path.to_str().unwrap(),
                "-noweb",
                "-skipVerify",
                "-once",
            ])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("HTTPS_PROXY", format!("http://{}", self.proxy.addr))
            .output()
            .await
            .unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Requests whose URI contains `needle`.
fn hits(seen: &[fakes::Seen], needle: &str) -> Vec<String> {
    seen.iter()
        .filter(|s| s.uri.contains(needle))
        .map(|s| s.uri.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn once_updates_creates_and_skips_at_every_registrar() {
    let w = World::start().await;
    let out = w.run().await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for secret in [
        "sk1_e2e",
        "gd-secret",
        "nc-pw",
        "ns-key",
        "dd-pw",
        "ss-secret",
    ] {
        assert!(!stderr.contains(secret), "{secret} leaked: {stderr}");
    }
    let hosts = w.proxy.requested.lock().unwrap().clone();
    for h in [
        fakes::porkbun::HOST,
        fakes::godaddy::HOST,
        fakes::namecheap::HOST,
        fakes::namesilo::HOST,
        fakes::dynadot::HOST,
        fakes::spaceship::HOST,
    ] {
        assert!(
            hosts.contains(&format!("CONNECT {h}:443")),
            "{h}: {hosts:?}"
        );
    }

    // Porkbun: www edited, api and v6 created, ok only looked up.
    assert_eq!(w.pb.values("www.example.com", "A"), vec![NEW]);
    assert_eq!(w.pb.values("api.example.com", "A"), vec![NEW]);
    assert_eq!(w.pb.values("ok.example.com", "A"), vec![NEW]);
    assert_eq!(w.pb.values("v6.example.com", "AAAA"), vec![NEW6]);
    let pw: Vec<String> = w.pb.writes().iter().map(|s| s.uri.clone()).collect();
    assert_eq!(pw.len(), 3, "{pw:?}");
    assert!(pw.iter().all(|u| !u.ends_with("/ok")), "{pw:?}");

    // GoDaddy: read first, then one PUT each for www and api, none for ok.
    assert_eq!(w.gd.values("www.example.net", "A"), vec![NEW]);
    assert_eq!(w.gd.values("api.example.net", "A"), vec![NEW]);
    assert_eq!(w.gd.values("ok.example.net", "A"), vec![NEW]);
    let gw: Vec<String> = w.gd.writes().iter().map(|s| s.uri.clone()).collect();
    assert_eq!(
        gw,
        vec![
            "/v1/domains/example.net/records/A/www",
            "/v1/domains/example.net/records/A/api"
        ]
    );

    // Namecheap (change-only): the single write.
    assert_eq!(w.nc.requests().len(), 1);
    assert_eq!(w.nc.values("home.example.org"), vec![NEW]);

    // NameSilo: one update, one add, ok untouched.
    assert_eq!(w.ns.values("www.example.io", "A"), vec![NEW]);
    assert_eq!(w.ns.values("api.example.io", "A"), vec![NEW]);
    let ops = w.ns.operations();
    assert_eq!(
        ops.iter().filter(|o| *o == "dnsUpdateRecord").count(),
        1,
        "{ops:?}"
    );
    assert_eq!(
        ops.iter().filter(|o| *o == "dnsAddRecord").count(),
        1,
        "{ops:?}"
    );
    assert_eq!(w.ns.records().len(), 3, "no duplicates");
    assert!(hits(&w.ns.writes(), "rrhost=ok").is_empty());

    // Dynadot (change-only): the single write.
    assert_eq!(w.dd.requests().len(), 1);
    assert_eq!(w.dd.values("home.example.dev", "A"), vec![NEW]);

    // Spaceship: www replaced (PUT then DELETE), api added (PUT), ok untouched.
    assert_eq!(w.ss.values("www.example.app", "A"), vec![NEW]);
    assert_eq!(w.ss.values("api.example.app", "A"), vec![NEW]);
    assert_eq!(w.ss.values("ok.example.app", "A"), vec![NEW]);
    let sw: Vec<String> = w.ss.writes().iter().map(|s| s.method.clone()).collect();
    assert_eq!(sw, vec!["PUT", "DELETE", "PUT"]);
    for s in w.ss.writes() {
        assert!(!String::from_utf8_lossy(&s.body).contains("\"ok\""));
    }

    // A second run: the readable providers see everything right and write nothing.
    let before = (
        w.pb.writes().len(),
        w.gd.writes().len(),
        w.ns.writes().len(),
        w.ss.writes().len(),
    );
    let out = w.run().await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after = (
        w.pb.writes().len(),
        w.gd.writes().len(),
        w.ns.writes().len(),
        w.ss.writes().len(),
    );
    assert_eq!(before, after);
}
