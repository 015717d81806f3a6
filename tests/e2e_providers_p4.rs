//! End to end for provider group 4: the real `ddns-rs` binary, run with
//! `-c cfg -noweb -skipVerify -once`, reaches TLS fakes of DNS.LA, Now.cn, Eranet, TNet HK,
//! Rainyun and a HiPM DNSMgr panel at their production host names through `HTTPS_PROXY` (a
//! CONNECT proxy), exactly as a user's binary talks to the real APIs.
//!
//! Each entry has a stale record (updated), a missing one (created) and a correct one (no
//! write); a second run writes nothing.

mod fakes;

use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;

use fakes::dnsla::FakeDnsla;
use fakes::hipmdnsmgr::FakeDnsMgr;
use fakes::nowcn::FakeNowcn;
use fakes::p4common::Rec;
use fakes::rainyun::FakeRainyun;

const OLD: &str = "45.77.1.1";
const NEW: &str = "45.77.1.2";
const NEW6: &str = "2606:4700:4700::1111";

struct World {
    dnsla: Arc<FakeDnsla>,
    nowcn: [Arc<FakeNowcn>; 3],
    rainyun: Arc<FakeRainyun>,
    mgr: Arc<FakeDnsMgr>,
    proxy: fakes::ConnectProxy,
    dir: tempfile::TempDir,
}

fn entry(name: &str, provider: &str, id: &str, secret: &str, v6: &[&str]) -> String {
    let list =
        |d: &[&str]| -> String { d.iter().map(|d| format!("            - {d}\n")).collect() };
    let v4 = list(&["www.example.com", "api.example.com", "ok.example.com"]);
    let v6 = if v6.is_empty() {
        "      ipv6:\n        enable: false\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n".to_string()
    } else {
        format!(
            "      ipv6:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW6}\n        ipv6reg: \"\"\n        domains:\n{}",
            list(v6)
        )
    };
    format!(
        "    - name: {name}\n      ipv4:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW}\n        domains:\n{v4}{v6}      dns:\n        name: {provider}\n        id: '{id}'\n        secret: '{secret}'\n        extparam: \"\"\n      ttl: \"\"\n      httpinterface: \"\"\n"
    )
}

impl World {
    async fn start() -> World {
        let dnsla = FakeDnsla::new("la-id", "la-secret");
        dnsla.seed("example.com", "www", "A", OLD);
        dnsla.seed("example.com", "ok", "A", NEW);
        let hosts = [
            fakes::nowcn::NOWCN_HOST,
            fakes::nowcn::ERANET_HOST,
            fakes::nowcn::TNETHK_HOST,
        ];
        let nowcn = hosts.map(|h| {
            let f = FakeNowcn::new("nc-user", "nc-key", h);
            f.seed("example.com", "www", "A", OLD);
            f.seed("example.com", "ok", "A", NEW);
            f
        });
        let rainyun = FakeRainyun::new("ry-key");
        rainyun.seed("example.com", "www", "A", OLD, "DEFAULT", 10);
        rainyun.seed("example.com", "ok", "A", NEW, "DEFAULT", 10);
        let mgr = FakeDnsMgr::new("mgr-token");
        mgr.seed("example.com", "www", "A", OLD);
        mgr.seed("example.com", "ok", "A", NEW);

        let mut routes = vec![(
            "api.dns.la:443",
            fakes::serve_tls(dnsla.router(), &[fakes::dnsla::HOST]).await,
        )];
        for (f, h) in nowcn.iter().zip(hosts) {
            routes.push((h, fakes::serve_tls(f.router(), &[h]).await));
        }
        routes.push((
            "api.v2.rainyun.com:443",
            fakes::serve_tls(rainyun.router(), &[fakes::rainyun::HOST]).await,
        ));
        routes.push((
            "dnsmgr.example.test:443",
            fakes::serve_tls(mgr.router(), &[fakes::hipmdnsmgr::HOST]).await,
        ));
        let named: Vec<(String, std::net::SocketAddr)> = routes
            .iter()
            .map(|(h, a)| {
                (
                    if h.contains(':') {
                        h.to_string()
                    } else {
                        format!("{h}:443")
                    },
                    *a,
                )
            })
            .collect();
        let pairs: Vec<(&str, std::net::SocketAddr)> =
            named.iter().map(|(h, a)| (h.as_str(), *a)).collect();
        let proxy = fakes::ConnectProxy::start(fakes::routes(&pairs)).await;

        let zone_id = rainyun.add_zone("example.com").to_string();
        let mut y = String::from("dnsconf:\n");
        y += &entry("la", "dnsla", "la-id", "la-secret", &["v6.example.com"]);
        for key in ["nowcn", "eranet", "tnethk"] {
            y += &entry(key, key, "nc-user", "nc-key", &[]);
        }
        y += &entry("ry", "rainyun", &zone_id, "ry-key", &[]);
        y += &entry(
            "mgr",
            "hipmdnsmgr",
            "https://dnsmgr.example.test",
            "mgr-token",
            &[],
        );
        y += "user:\n    username: admin\n    password: \"\"\nwebhook:\n    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\nnotallowwanaccess: true\nlang: en\n";
        let dir = tempfile::tempdir().unwrap();
        let w = World {
            dnsla,
            nowcn,
            rainyun,
            mgr,
            proxy,
            dir,
        };
        std::fs::write(w.config_path(), y).unwrap();
        w
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join(".ddns_go_config.yaml")
    }

    async fn run_once(&self) -> Output {
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

    /// Write requests (anything but a lookup) seen by each fake, in config order.
    fn writes(&self) -> Vec<usize> {
        let mut w = vec![
            self.dnsla
                .seen()
                .iter()
                .filter(|s| s.method != "GET")
                .count(),
        ];
        for f in &self.nowcn {
            w.push(
                f.actions()
                    .iter()
                    .filter(|a| a.as_str() != "DescribeRecordIndex")
                    .count(),
            );
        }
        w.push(
            self.rainyun
                .methods()
                .iter()
                .filter(|m| m.as_str() != "GET")
                .count(),
        );
        w.push(self.mgr.writes().len());
        w
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

/// (host, type, value) of every record, sorted.
fn zone(records: Vec<Rec>) -> Vec<(String, String, String)> {
    let mut z: Vec<_> = records
        .into_iter()
        .map(|r| (r.host, r.rtype, r.value))
        .collect();
    z.sort();
    z
}

fn expected(extra: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut z: Vec<(String, String, String)> =
        [("api", "A", NEW), ("ok", "A", NEW), ("www", "A", NEW)]
            .iter()
            .chain(extra)
            .map(|(h, t, v)| (h.to_string(), t.to_string(), v.to_string()))
            .collect();
    z.sort();
    z
}

#[tokio::test(flavor = "multi_thread")]
async fn once_creates_updates_and_skips_at_every_provider_of_the_group() {
    let w = World::start().await;
    let out = w.run_once().await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let hosts = w.proxy.requested.lock().unwrap().clone();
    for h in [
        "api.dns.la:443",
        "api.now.cn:443",
        "www.eranet.com:443",
        "www.tnet.hk:443",
        "api.v2.rainyun.com:443",
        "dnsmgr.example.test:443",
    ] {
        assert!(
            hosts.contains(&format!("CONNECT {h}")),
            "{h} not reached: {hosts:?}"
        );
    }

    assert_eq!(zone(w.dnsla.records()), expected(&[("v6", "AAAA", NEW6)]));
    for f in &w.nowcn {
        assert_eq!(zone(f.records()), expected(&[]));
    }
    assert_eq!(zone(w.rainyun.records()), expected(&[]));
    assert_eq!(zone(w.mgr.records()), expected(&[]));
    // www updated and api created everywhere (plus the IPv6 create at DNS.LA); ok untouched.
    assert_eq!(w.writes(), [3, 2, 2, 2, 2, 2], "{}", text(&out));

    // A second run finds everything right and writes nothing.
    let out = w.run_once().await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(w.writes(), [3, 2, 2, 2, 2, 2], "{}", text(&out));
}
