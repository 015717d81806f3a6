//! End to end for vercel, dynv6, gcore, nsone, name_com, cloudns and desec: the real binary,
//! `-c cfg -noweb -skipVerify -once`, reaches TLS fakes at the production host names through
//! `HTTPS_PROXY` (a CONNECT proxy). Each provider has a stale record (updated), a missing one
//! (created) and a correct one (no write request at all).

mod fakes;

use std::process::Output;

use fakes::cloudns::FakeCloudns;
use fakes::desec::FakeDesec;
use fakes::dynv6::FakeDynv6;
use fakes::gcore::FakeGcore;
use fakes::name_com::FakeNameCom;
use fakes::nsone::FakeNsone;
use fakes::vercel::FakeVercel;

const OLD: &str = "45.77.1.1";
const NEW: &str = "45.77.1.2";
const OLD6: &str = "2606:4700:4700::1001";
const NEW6: &str = "2606:4700:4700::1111";

fn entry(
    name: &str,
    provider: &str,
    id: &str,
    secret: &str,
    extparam: &str,
    v4: &[&str],
    v6: &[&str],
) -> String {
    let list = |ds: &[&str]| -> String {
        if ds.is_empty() {
            " []\n".to_string()
        } else {
            let items: String = ds.iter().map(|d| format!("            - {d}\n")).collect();
            format!("\n{items}")
        }
    };
    format!(
        "    - name: {name}\n      ipv4:\n        enable: {}\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW}\n        domains:{}      ipv6:\n        enable: {}\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW6}\n        ipv6reg: \"\"\n        domains:{}      dns:\n        name: {provider}\n        id: '{id}'\n        secret: '{secret}'\n        extparam: '{extparam}'\n      ttl: \"\"\n      httpinterface: \"\"\n",
        !v4.is_empty(),
        list(v4),
        !v6.is_empty(),
        list(v6),
    )
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// True when no write request mentions `needle` in its path or body.
fn untouched(writes: &[fakes::Seen], needle: &str) -> bool {
    writes
        .iter()
        .all(|s| !s.uri.contains(needle) && !String::from_utf8_lossy(&s.body).contains(needle))
}

#[tokio::test(flavor = "multi_thread")]
async fn once_updates_creates_and_skips_at_every_provider() {
    let vercel = FakeVercel::new("vc-token", Some("team_e2e"));
    vercel.add_domain("example.com");
    vercel.seed("example.com", "www", "A", OLD);
    vercel.seed("example.com", "ok", "A", NEW);

    let dynv6 = FakeDynv6::new("d6-token");
    let zid = dynv6.add_zone("home.dynv6.net", OLD, OLD6);
    let d6_www = dynv6.seed(zid, "www", "A", OLD);
    let d6_ok = dynv6.seed(zid, "ok", "A", NEW);

    let gcore = FakeGcore::new("gc-token");
    gcore.add_zone("example.net");
    gcore.seed("example.net", "www.example.net", "A", &[OLD]);
    gcore.seed("example.net", "ok.example.net", "A", &[NEW]);

    let nsone = FakeNsone::new("ns-key");
    nsone.add_zone("example.org");
    nsone.seed("example.org", "www.example.org", "A", OLD);
    nsone.seed("example.org", "ok.example.org", "A", NEW);

    let namecom = FakeNameCom::new("alice", "nc-token");
    namecom.add_domain("example.io");
    namecom.seed("example.io", "www", "A", OLD);
    let nc_ok = namecom.seed("example.io", "ok", "A", NEW);

    let cloudns = FakeCloudns::new("4321", "cl-pass");
    cloudns.add_zone("example.dev");
    cloudns.seed("example.dev", "www", "A", OLD);
    let cl_ok = cloudns.seed("example.dev", "ok", "A", NEW);

    let desec = FakeDesec::new("ds-token");
    desec.add_domain("example.app");
    desec.seed("example.app", "www", "A", OLD);
    desec.seed("example.app", "ok", "A", NEW);

    let hosts = [
        (
            "api.vercel.com",
            fakes::serve_tls(vercel.router(), &["api.vercel.com"]).await,
        ),
        (
            "dynv6.com",
            fakes::serve_tls(dynv6.router(), &["dynv6.com"]).await,
        ),
        (
            "api.gcore.com",
            fakes::serve_tls(gcore.router(), &["api.gcore.com"]).await,
        ),
        (
            "api.nsone.net",
            fakes::serve_tls(nsone.router(), &["api.nsone.net"]).await,
        ),
        (
            "api.name.com",
            fakes::serve_tls(namecom.router(), &["api.name.com"]).await,
        ),
        (
            "api.cloudns.net",
            fakes::serve_tls(cloudns.router(), &["api.cloudns.net"]).await,
        ),
        (
            "desec.io",
            fakes::serve_tls(desec.router(), &["desec.io"]).await,
        ),
    ];
    let routes: Vec<(String, std::net::SocketAddr)> = hosts
        .iter()
        .map(|(h, a)| (format!("{h}:443"), *a))
        .collect();
    let pairs: Vec<(&str, std::net::SocketAddr)> =
        routes.iter().map(|(h, a)| (h.as_str(), *a)).collect();
    let proxy = fakes::ConnectProxy::start(fakes::routes(&pairs)).await;

    let names = |root: &str| {
        [
            format!("www.{root}"),
            format!("api.{root}"),
            format!("ok.{root}"),
        ]
    };
    let mut y = String::from("dnsconf:\n");
    let v = names("example.com");
    y += &entry(
        "vercel",
        "vercel",
        "",
        "vc-token",
        "team_e2e",
        &[&v[0], &v[1], &v[2]],
        &[],
    );
    let v = names("home.dynv6.net");
    y += &entry(
        "dynv6",
        "dynv6",
        "",
        "d6-token",
        "",
        &[&v[0], &v[1], &v[2]],
        &["home.dynv6.net"],
    );
    let v = names("example.net");
    y += &entry(
        "gcore",
        "gcore",
        "",
        "gc-token",
        "",
        &[&v[0], &v[1], &v[2]],
        &[],
    );
    let v = names("example.org");
    y += &entry(
        "nsone",
        "nsone",
        "",
        "ns-key",
        "",
        &[&v[0], &v[1], &v[2]],
        &[],
    );
    let v = names("example.io");
    y += &entry(
        "namecom",
        "name_com",
        "alice",
        "nc-token",
        "",
        &[&v[0], &v[1], &v[2]],
        &[],
    );
    let v = names("example.dev");
    y += &entry(
        "cloudns",
        "cloudns",
        "4321",
        "cl-pass",
        "",
        &[&v[0], &v[1], &v[2]],
        &[],
    );
    let v = names("example.app");
    y += &entry(
        "desec",
        "desec",
        "",
        "ds-token",
        "",
        &[&v[0], &v[1], &v[2]],
        &[],
    );
    y += "user:\n    username: admin\n    password: \"\"\nwebhook:\n    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\nnotallowwanaccess: true\nlang: en\n";

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join(".ddns_go_config.yaml");
    std::fs::write(&cfg, y).unwrap();
    let out = tokio::process::Command::new(fakes::bin::path())
        .args([
            "-c",
            cfg.to_str().unwrap(),
            "-noweb",
            "-skipVerify",
            "-once",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("HTTPS_PROXY", format!("http://{}", proxy.addr))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let asked = proxy.requested.lock().unwrap().clone();
    for (h, _) in &hosts {
        assert!(
            asked.contains(&format!("CONNECT {h}:443")),
            "{h} not reached: {asked:?}"
        );
    }

    // vercel
    let recs = vercel.records();
    for n in ["www", "api", "ok"] {
        assert!(
            recs.iter()
                .any(|r| r.name == n && r.rtype == "A" && r.value == NEW),
            "vercel {n}: {recs:?}"
        );
    }
    let w = vercel.rec.writes();
    assert_eq!(w.len(), 2, "vercel writes");
    assert!(untouched(&w, "\"ok\""));

    // dynv6: records, and the apex IPv6 updated without blanking the zone's IPv4.
    let recs = dynv6.records();
    assert_eq!(recs.iter().find(|r| r.id == d6_www).unwrap().data, NEW);
    assert!(recs.iter().any(|r| r.name == "api" && r.data == NEW));
    let z = &dynv6.zones()[0];
    assert_eq!((z.ipv4address.as_str(), z.ipv6prefix.as_str()), (OLD, NEW6));
    let w = dynv6.rec.writes();
    assert_eq!(w.len(), 3, "dynv6 writes: www, api, apex v6");
    assert!(untouched(&w, &format!("/records/{d6_ok}")));

    // gcore
    let sets = gcore.rrsets();
    for n in ["www", "api", "ok"] {
        let name = format!("{n}.example.net");
        assert!(
            sets.iter().any(|s| s.name == name && s.contents == [NEW]),
            "gcore {n}"
        );
    }
    let w = gcore.rec.writes();
    assert_eq!(w.len(), 2, "gcore writes");
    assert!(untouched(&w, "ok.example.net"));

    // nsone
    let recs = nsone.records();
    for n in ["www", "api", "ok"] {
        let d = format!("{n}.example.org");
        assert!(
            recs.iter().any(|r| r.domain == d && r.answers == [NEW]),
            "nsone {n}"
        );
    }
    let w = nsone.rec.writes();
    assert_eq!(w.len(), 2, "nsone writes");
    assert!(untouched(&w, "ok.example.org"));

    // name.com
    let recs = namecom.records();
    for n in ["www", "api", "ok"] {
        assert!(
            recs.iter().any(|r| r.host == n && r.answer == NEW),
            "name.com {n}"
        );
    }
    let w = namecom.rec.writes();
    assert_eq!(w.len(), 2, "name.com writes");
    assert!(untouched(&w, &format!("/records/{nc_ok}")) && untouched(&w, "\"ok\""));

    // cloudns
    let recs = cloudns.records();
    for n in ["www", "api", "ok"] {
        assert!(
            recs.iter().any(|r| r.host == n && r.record == NEW),
            "cloudns {n}"
        );
    }
    let w: Vec<_> = cloudns
        .rec
        .requests()
        .into_iter()
        .filter(|s| !s.uri.starts_with("/dns/records.json"))
        .collect();
    assert_eq!(w.len(), 2, "cloudns writes");
    assert!(untouched(&w, &format!("record-id={cl_ok}")) && untouched(&w, "host=ok"));

    // desec
    let sets = desec.rrsets();
    for n in ["www", "api", "ok"] {
        assert!(
            sets.iter().any(|s| s.subname == n && s.records == [NEW]),
            "desec {n}"
        );
    }
    let w = desec.rec.writes();
    assert_eq!(w.len(), 2, "desec writes");
    assert!(untouched(&w, "/ok/") && untouched(&w, "\"ok\""));
}
