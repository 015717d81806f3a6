//! End to end: the real `ddns-rs` binary, run with `-c cfg -noweb -skipVerify -once` (and
//! `-dryRun`), reaches fakes of all five providers at their production host names through
//! `HTTPS_PROXY` (a CONNECT proxy routing each host to a local TLS fake), exactly as a user's
//! binary talks to the real APIs. The fakes verify every signature and credential.
//!
//! Checks: missing records are created, stale ones updated, correct ones left alone (no write
//! request at all), the webhook is called with its variables filled in, a second run writes
//! nothing, `-dryRun` prints the plan and writes nothing, and a failure gives exit code 1.

mod fakes;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use fakes::alidns::FakeAlidns;
use fakes::callback::FakeCallback;
use fakes::cloudflare::FakeCloudflare;
use fakes::dnspod::FakeDnspod;
use fakes::tencentcloud::FakeTencent;

const OLD: &str = "45.77.1.1";
const NEW: &str = "45.77.1.2";
const NEW6: &str = "2606:4700:4700::1111";

struct World {
    ali: Arc<FakeAlidns>,
    tc: Arc<FakeTencent>,
    dp: Arc<FakeDnspod>,
    cf: Arc<FakeCloudflare>,
    cf_zone: String,
    cb: Arc<FakeCallback>,
    hook: Arc<FakeCallback>,
    proxy: fakes::ConnectProxy,
    echo: std::net::SocketAddr,
    dir: tempfile::TempDir,
}

impl World {
    async fn start(cf_token_in_config: &str) -> World {
        let ali = FakeAlidns::new("LTAI-e2e", "ali-secret", fakes::alidns::HOST);
        ali.add_record("example.com", "www", "A", OLD, 600, "default");
        ali.add_record("example.com", "ok", "A", NEW, 600, "default");
        ali.add_zone("example.com");

        let tc = FakeTencent::new("AKID-e2e", "tc-secret", fakes::tencentcloud::HOST);
        tc.add_record("example.net", "www", "A", OLD, 600, "默认");
        tc.add_record("example.net", "ok", "A", NEW, 600, "默认");

        let dp = FakeDnspod::new("12345", "dp-token");
        dp.add_domain("example.org");
        dp.seed("example.org", "www", "A", OLD, "默认");
        dp.seed("example.org", "ok", "A", NEW, "默认");

        let cf = FakeCloudflare::new("cf-token");
        let cf_zone = cf.add_zone("example.io");
        cf.seed(&cf_zone, "A", "www.example.io", OLD, false);
        cf.seed(&cf_zone, "A", "ok.example.io", NEW, true);

        let cb = FakeCallback::new();
        let hook = FakeCallback::new();

        let ali_addr = fakes::serve_tls(ali.router(), &[fakes::alidns::HOST]).await;
        let tc_addr = fakes::serve_tls(tc.router(), &[fakes::tencentcloud::HOST]).await;
        let dp_addr = fakes::serve_tls(dp.router(), &["dnsapi.cn"]).await;
        let cf_addr = fakes::serve_tls(cf.router(), &["api.cloudflare.com"]).await;
        let cb_addr = fakes::serve_tls(cb.router(), &["callback.example.test"]).await;
        let hook_addr = fakes::serve_tls(hook.router(), &["hooks.example.test"]).await;
        let proxy = fakes::ConnectProxy::start(fakes::routes(&[
            ("alidns.aliyuncs.com:443", ali_addr),
            ("dnspod.tencentcloudapi.com:443", tc_addr),
            ("dnsapi.cn:443", dp_addr),
            ("api.cloudflare.com:443", cf_addr),
            ("callback.example.test:443", cb_addr),
            ("hooks.example.test:443", hook_addr),
        ]))
        .await;

        // The echo service for IPv4 detection: reached directly (detection never uses a
        // proxy), answering like ddns.oray.com does.
        let echo_router = axum::Router::new().route(
            "/",
            axum::routing::get(|| async {
                axum::response::Html(format!(
                    "<html><head><title>Current IP Check</title></head><body>Current IP Address: {NEW}</body></html>"
                ))
            }),
        );
        let echo = fakes::serve_http(echo_router).await;
        let dir = tempfile::tempdir().unwrap();
        let w = World {
            ali,
            tc,
            dp,
            cf,
            cf_zone,
            cb,
            hook,
            proxy,
            echo,
            dir,
        };
        std::fs::write(w.config_path(), w.config_yaml(cf_token_in_config)).unwrap();
        w
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join(".ddns_go_config.yaml")
    }

    fn config_yaml(&self, cf_token: &str) -> String {
        let url = format!("http://127.0.0.1:{}/", self.echo.port());
        let v4 = |domains: &[&str]| {
            let list: String = domains
                .iter()
                .map(|d| format!("            - {d}\n"))
                .collect();
            format!(
                "      ipv4:\n        enable: true\n        gettype: url\n        url: {url}\n        netinterface: \"\"\n        cmd: \"\"\n        domains:\n{list}"
            )
        };
        let v6_off = "      ipv6:\n        enable: false\n        gettype: netInterface\n        url: \"\"\n        netinterface: \"\"\n        cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n";
        let v6_cmd = format!(
            "      ipv6:\n        enable: true\n        gettype: cmd\n        url: \"\"\n        netinterface: \"\"\n        cmd: echo {NEW6}\n        ipv6reg: \"\"\n        domains:\n            - v6.example.io\n"
        );
        let dns = |name: &str, id: &str, secret: &str| {
            format!(
                "      dns:\n        name: {name}\n        id: '{id}'\n        secret: '{secret}'\n        extparam: \"\"\n      ttl: \"\"\n      httpinterface: \"\"\n"
            )
        };
        let mut y = String::from("dnsconf:\n");
        y += "    - name: ali\n";
        y += &v4(&["www.example.com", "api.example.com", "ok.example.com"]);
        y += v6_off;
        y += &dns("alidns", "LTAI-e2e", "ali-secret");
        y += "    - name: tencent\n";
        y += &v4(&["www.example.net", "api.example.net", "ok.example.net"]);
        y += v6_off;
        y += &dns("tencentcloud", "AKID-e2e", "tc-secret");
        y += "    - name: dnspod\n";
        y += &v4(&["www.example.org", "api.example.org", "ok.example.org"]);
        y += v6_off;
        y += &dns("dnspod", "12345", "dp-token");
        y += "    - name: cf\n";
        y += &v4(&["www.example.io", "api.example.io", "ok.example.io"]);
        y += &v6_cmd;
        y += &dns("cloudflare", "", cf_token);
        y += "    - name: cb\n";
        y += &v4(&["home.example.dev"]);
        y += v6_off;
        y += &dns(
            "callback",
            "https://callback.example.test/update?host=#{domain}&ip=#{ip}&t=#{recordType}",
            "",
        );
        y += "user:\n    username: admin\n    password: \"\"\n";
        y += "webhook:\n    webhookurl: https://hooks.example.test/notify?v4=#{ipv4Addr}\n";
        y += "    webhookrequestbody: '{\"text\":\"#{ipv4Result} #{ipv4Addr} #{ipv4Domains} #{ipv6Result} #{ipv6Addr}\"}'\n";
        y += "    webhookheaders: 'X-Token: abc'\n";
        y += "notallowwanaccess: true\nlang: en\n";
        y
    }

    async fn run(&self, extra: &[&str]) -> Output {
        let path = self.config_path();
        let mut args = vec!["-c", path.to_str().unwrap(), "-noweb", "-skipVerify"];
        args.extend_from_slice(extra);
        run_binary(
            &args,
            self.dir.path(),
            &format!("http://{}", self.proxy.addr),
        )
        .await
    }
}

async fn run_binary(args: &[&str], home: &Path, proxy: &str) -> Output {
    tokio::process::Command::new(fakes::bin::path())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("HTTPS_PROXY", proxy)
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

fn count(list: &[String], what: &str) -> usize {
    list.iter().filter(|a| a.as_str() == what).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn once_creates_updates_skips_and_notifies_through_the_proxy() {
    let w = World::start("cf-token").await;
    let before = std::fs::read(w.config_path()).unwrap();
    let out = w.run(&["-once"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Every production host was reached through the proxy, and nothing else.
    let hosts = w.proxy.requested.lock().unwrap().clone();
    for h in [
        "alidns.aliyuncs.com:443",
        "dnspod.tencentcloudapi.com:443",
        "dnsapi.cn:443",
        "api.cloudflare.com:443",
        "callback.example.test:443",
        "hooks.example.test:443",
    ] {
        assert!(
            hosts.contains(&format!("CONNECT {h}")),
            "{h} not reached: {hosts:?}"
        );
    }
    assert!(hosts.iter().all(|h| h.starts_with("CONNECT ")), "{hosts:?}");

    // alidns: www updated, api created, ok untouched (one lookup each, no write for ok).
    let ali = w.ali.records();
    let value = |rr: &str| ali.iter().find(|r| r.rr == rr).map(|r| r.value.clone());
    assert_eq!(value("www").as_deref(), Some(NEW));
    assert_eq!(value("api").as_deref(), Some(NEW));
    assert_eq!(value("ok").as_deref(), Some(NEW));
    let acts = w.ali.actions();
    assert_eq!(count(&acts, "DescribeSubDomainRecords"), 3, "{acts:?}");
    assert_eq!(count(&acts, "UpdateDomainRecord"), 1, "{acts:?}");
    assert_eq!(count(&acts, "AddDomainRecord"), 1, "{acts:?}");

    // tencentcloud.
    let tc = w.tc.records();
    let value = |n: &str| tc.iter().find(|r| r.name == n).map(|r| r.value.clone());
    assert_eq!(value("www").as_deref(), Some(NEW));
    assert_eq!(value("api").as_deref(), Some(NEW));
    let acts = w.tc.actions();
    assert_eq!(count(&acts, "DescribeRecordList"), 3, "{acts:?}");
    assert_eq!(count(&acts, "ModifyRecord"), 1, "{acts:?}");
    assert_eq!(count(&acts, "CreateRecord"), 1, "{acts:?}");

    // dnspod.
    let dp = w.dp.records();
    let value = |s: &str| dp.iter().find(|r| r.sub == s).map(|r| r.value.clone());
    assert_eq!(value("www").as_deref(), Some(NEW));
    assert_eq!(value("api").as_deref(), Some(NEW));
    let acts = w.dp.actions();
    assert_eq!(count(&acts, "Record.List"), 3, "{acts:?}");
    assert_eq!(count(&acts, "Record.Modify"), 1, "{acts:?}");
    assert_eq!(count(&acts, "Record.Create"), 1, "{acts:?}");

    // cloudflare, IPv4 and IPv6; the proxied record keeps its state.
    let cf = w.cf.records();
    let find = |n: &str, t: &str| cf.iter().find(|r| r.name == n && r.rtype == t).cloned();
    assert_eq!(find("www.example.io", "A").unwrap().content, NEW);
    assert_eq!(find("api.example.io", "A").unwrap().content, NEW);
    let ok = find("ok.example.io", "A").unwrap();
    assert!(ok.proxied && ok.content == NEW);
    assert_eq!(find("v6.example.io", "AAAA").unwrap().content, NEW6);
    assert!(cf.iter().all(|r| r.zone_id == w.cf_zone));
    assert_eq!(w.cf.writes().len(), 3, "www update, api create, v6 create");

    // callback: one GET with the variables filled in.
    let cb = w.cb.requests();
    assert_eq!(cb.len(), 1);
    assert_eq!(cb[0].method, "GET");
    assert_eq!(
        cb[0].uri,
        format!("/update?host=home.example.dev&ip={NEW}&t=A")
    );

    // webhook: every entry published something, so each fired once, variables filled in.
    let hooks = w.hook.requests();
    assert_eq!(hooks.len(), 5, "{hooks:?}");
    let cf_hook = hooks
        .iter()
        .find(|h| {
            String::from_utf8_lossy(&h.body).contains("v6.example.io")
                || String::from_utf8_lossy(&h.body).contains(NEW6)
        })
        .expect("the cloudflare entry's webhook");
    assert_eq!(cf_hook.method, "POST");
    assert_eq!(cf_hook.uri, format!("/notify?v4={NEW}"));
    assert_eq!(cf_hook.header("x-token"), Some("abc"));
    assert_eq!(cf_hook.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&cf_hook.body).unwrap();
    assert_eq!(
        body["text"],
        format!("success {NEW} www.example.io,api.example.io,ok.example.io success {NEW6}")
    );

    // The config file was not rewritten.
    assert_eq!(std::fs::read(w.config_path()).unwrap(), before);

    // A second run finds everything right: no writes at the four readable providers.
    let out = w.run(&["-once"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(count(&w.ali.actions(), "UpdateDomainRecord"), 1);
    assert_eq!(count(&w.ali.actions(), "AddDomainRecord"), 1);
    assert_eq!(
        count(&w.tc.actions(), "ModifyRecord") + count(&w.tc.actions(), "CreateRecord"),
        2
    );
    assert_eq!(
        count(&w.dp.actions(), "Record.Modify") + count(&w.dp.actions(), "Record.Create"),
        2
    );
    assert_eq!(w.cf.writes().len(), 3);
    // Only entries that published (the change-only callback, which a new process cannot
    // read back) fire the webhook again.
    assert_eq!(w.hook.requests().len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_plan_and_writes_nothing() {
    let w = World::start("cf-token").await;
    let out = w.run(&["-dryRun"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("ali: A www.example.com: {OLD} → {NEW}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("ali: A api.example.com: (none) → {NEW}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("ali: A ok.example.com: no change ({NEW})")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("cf: AAAA v6.example.io: (none) → {NEW6}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("cb: A home.example.dev: (unknown) → {NEW}")),
        "{stdout}"
    );
    // Lookups happened, writes did not, and no webhook or callback was called.
    assert_eq!(count(&w.ali.actions(), "DescribeSubDomainRecords"), 3);
    assert_eq!(w.ali.actions().len(), 3);
    assert_eq!(w.tc.actions().len(), 3);
    assert_eq!(w.dp.actions().len(), 3);
    assert!(w.cf.writes().is_empty());
    assert!(w.cb.requests().is_empty());
    assert!(w.hook.requests().is_empty());
    assert_eq!(
        w.ali
            .records()
            .iter()
            .find(|r| r.rr == "www")
            .unwrap()
            .value,
        OLD
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_credential_fails_the_run_but_not_the_others() {
    let w = World::start("wrong-token").await;
    let out = w.run(&["-once"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(
        !stderr.contains("wrong-token"),
        "the secret must not be logged: {stderr}"
    );
    // The other providers were still updated.
    assert_eq!(
        w.ali
            .records()
            .iter()
            .find(|r| r.rr == "www")
            .unwrap()
            .value,
        NEW
    );
    assert!(w.cf.writes().is_empty());
    // The Cloudflare entry's webhook reports the failure.
    let failed: Vec<_> = w
        .hook
        .requests()
        .into_iter()
        .filter(|h| String::from_utf8_lossy(&h.body).starts_with("{\"text\":\"failed"))
        .collect();
    assert_eq!(failed.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_config_is_exit_code_2_and_unknown_flag_too() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("nope.yaml");
    let out = run_binary(&["-c", cfg.to_str().unwrap(), "-once"], dir.path(), "").await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No config file at"));
    assert!(!cfg.exists(), "-once must not create a config file");
    let out = run_binary(&["-bogus"], dir.path(), "").await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("flag provided but not defined: -bogus"));
}
