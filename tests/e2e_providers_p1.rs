//! End to end for provider group p1: the real `ddns-rs` binary, run with
//! `-c cfg -noweb -skipVerify -once`, reaches fakes of Huawei Cloud, Baidu Cloud, Volcengine
//! TrafficRoute, Tencent EdgeOne and Aliyun ESA at their production host names through
//! `HTTPS_PROXY` (a CONNECT proxy routing each host to a local TLS fake). The fakes recompute
//! every signature with the production Host.
//!
//! Each entry has a stale record (updated), a missing one (created) and a correct one (no write
//! request). The ESA entry also publishes IPv6 into the same `A/AAAA` record, which must keep
//! the IPv4 address.

mod fakes;

use std::process::Output;

use fakes::aliesa::FakeEsa;
use fakes::baiducloud::FakeBaidu;
use fakes::edgeone::FakeEdgeOne;
use fakes::huaweicloud::FakeHuawei;
use fakes::trafficroute::FakeVolc;

const OLD: &str = "45.77.1.1";
const NEW: &str = "45.77.1.2";
const NEW6: &str = "2606:4700:4700::1111";

fn entry(name: &str, provider: &str, id: &str, secret: &str, v4: &[&str], v6: &[&str]) -> String {
    let list = |ds: &[&str]| -> String {
        if ds.is_empty() {
            return " []\n".into();
        }
        let items: String = ds.iter().map(|d| format!("            - {d}\n")).collect();
        format!("\n{items}")
    };
    format!(
        "    - name: {name}\n      ipv4:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW}\n        domains:{}      ipv6:\n        enable: {}\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW6}\n        ipv6reg: \"\"\n        domains:{}      dns:\n        name: {provider}\n        id: '{id}'\n        secret: '{secret}'\n        extparam: \"\"\n      ttl: \"\"\n      httpinterface: \"\"\n",
        list(v4),
        !v6.is_empty(),
        list(v6)
    )
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn count(list: &[String], what: &str) -> usize {
    list.iter().filter(|a| a.as_str() == what).count()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn once_updates_creates_and_skips_at_every_p1_provider() {
    let hw = FakeHuawei::new("HW-AK", "hw-sk", fakes::huaweicloud::HOST);
    hw.add_record("example.com", "www.example.com", "A", OLD, 300);
    hw.add_record("example.com", "ok.example.com", "A", NEW, 300);

    let bd = FakeBaidu::new("BD-AK", "bd-sk", fakes::baiducloud::HOST);
    bd.add_record("example.net", "www", "A", OLD, 300);
    bd.add_record("example.net", "ok", "A", NEW, 300);

    let ve = FakeVolc::new("VE-AK", "ve-sk", fakes::trafficroute::HOST);
    ve.add_record("example.org", "www", "A", OLD, 600);
    ve.add_record("example.org", "ok", "A", NEW, 600);

    let eo = FakeEdgeOne::new("AKID-eo", "eo-key", fakes::edgeone::HOST);
    eo.add_record("example.io", "www.example.io", "A", OLD, "enable");
    eo.add_record("example.io", "ok.example.io", "A", NEW, "enable");

    let esa = FakeEsa::new("LTAI-esa", "esa-secret");
    esa.add_record("example.cn", "www.example.cn", OLD);
    esa.add_record("example.cn", "ok.example.cn", NEW);

    let proxy = fakes::ConnectProxy::start(fakes::routes(&[
        (
            "dns.myhuaweicloud.com:443",
            fakes::serve_tls(hw.router(), &[fakes::huaweicloud::HOST]).await,
        ),
        (
            "bcd.baidubce.com:443",
            fakes::serve_tls(bd.router(), &[fakes::baiducloud::HOST]).await,
        ),
        (
            "open.volcengineapi.com:443",
            fakes::serve_tls(ve.router(), &[fakes::trafficroute::HOST]).await,
        ),
        (
            "teo.tencentcloudapi.com:443",
            fakes::serve_tls(eo.router(), &[fakes::edgeone::HOST]).await,
        ),
        (
            "esa.cn-hangzhou.aliyuncs.com:443",
            fakes::serve_tls(esa.router(), &[fakes::aliesa::HOST]).await,
        ),
    ]))
    .await;

    let three = |root: &str| -> Vec<String> {
        ["www", "api", "ok"]
            .iter()
            .map(|s| format!("{s}.{root}"))
            .collect()
    };
    let mut cfg = String::from("dnsconf:\n");
    let (hw_d, bd_d, ve_d, eo_d, esa_d) = (
        three("example.com"),
        three("example.net"),
        three("example.org"),
        three("example.io"),
        three("example.cn"),
    );
    cfg += &entry("hw", "huaweicloud", "HW-AK", "hw-sk", &refs(&hw_d), &[]);
    cfg += &entry("bd", "baiducloud", "BD-AK", "bd-sk", &refs(&bd_d), &[]);
    cfg += &entry("ve", "trafficroute", "VE-AK", "ve-sk", &refs(&ve_d), &[]);
    cfg += &entry("eo", "edgeone", "AKID-eo", "eo-key", &refs(&eo_d), &[]);
    cfg += &entry(
        "esa",
        "aliesa",
        "LTAI-esa",
        "esa-secret",
        &refs(&esa_d),
        &["www.example.cn"],
    );
    cfg += "user:\n    username: admin\n    password: \"\"\nwebhook:\n    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\nnotallowwanaccess: true\nlang: en\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".ddns_go_config.yaml");
    std::fs::write(&path, cfg).unwrap();

    let out = tokio::process::Command::new(fakes::bin::path())
        .args([
            "-c",
            path.to_str().unwrap(),
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
    let hosts = proxy.requested.lock().unwrap().clone();
    assert!(hosts.iter().all(|h| h.starts_with("CONNECT ")), "{hosts:?}");

    // Huawei: www PUT, api POST (after the zone lookup), ok untouched.
    let sets = hw.records();
    let hw_value = |n: &str| sets.iter().find(|s| s.name == n).map(|s| s.records.clone());
    for n in ["www.example.com.", "api.example.com.", "ok.example.com."] {
        assert_eq!(hw_value(n), Some(vec![NEW.to_string()]), "{n}");
    }
    let writes: Vec<String> = hw.writes().iter().map(|s| s.method.clone()).collect();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes.contains(&"PUT".to_string()) && writes.contains(&"POST".to_string()));

    // Baidu.
    let recs = bd.records();
    for d in ["www", "api", "ok"] {
        let r = recs.iter().find(|r| r.domain == d).unwrap();
        assert_eq!(r.rdata, NEW, "{d}");
    }
    let acts = bd.actions();
    assert_eq!(
        (
            count(&acts, "list"),
            count(&acts, "edit"),
            count(&acts, "add")
        ),
        (3, 1, 1),
        "{acts:?}"
    );

    // Volcengine.
    let recs = ve.records();
    for h in ["www", "api", "ok"] {
        assert_eq!(recs.iter().find(|r| r.host == h).unwrap().value, NEW, "{h}");
    }
    let acts = ve.actions();
    assert_eq!(count(&acts, "ListRecords"), 3, "{acts:?}");
    assert_eq!(
        (count(&acts, "UpdateRecord"), count(&acts, "CreateRecord")),
        (1, 1),
        "{acts:?}"
    );

    // EdgeOne.
    let recs = eo.records();
    for n in three("example.io") {
        assert_eq!(
            recs.iter().find(|r| r.name == n).unwrap().content,
            NEW,
            "{n}"
        );
    }
    let acts = eo.actions();
    assert_eq!(count(&acts, "DescribeDnsRecords"), 3, "{acts:?}");
    assert_eq!(
        (
            count(&acts, "ModifyDnsRecords"),
            count(&acts, "CreateDnsRecord")
        ),
        (1, 1),
        "{acts:?}"
    );

    // ESA: www holds both families in one record; ok was not written.
    let recs = esa.records();
    let value = |n: &str| recs.iter().find(|r| r.name == n).unwrap().value.clone();
    assert_eq!(value("www.example.cn"), format!("{NEW},{NEW6}"));
    assert_eq!(value("api.example.cn"), NEW);
    assert_eq!(value("ok.example.cn"), NEW);
    let acts = esa.actions();
    assert_eq!(
        (count(&acts, "UpdateRecord"), count(&acts, "CreateRecord")),
        (2, 1),
        "{acts:?}"
    );
    assert_eq!(count(&acts, "ListRecords"), 4, "{acts:?}");
}
