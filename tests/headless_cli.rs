//! Headless set-up through the real `ddns-rs` binary: flags or `DDNS_*` variables create the
//! config entry and `-once` runs it against a local echo server and a local callback endpoint;
//! a second identical run leaves the file byte-identical (not even rewritten); `-logFormat json`
//! gives one parseable JSON object per line with the context fields and no secret; every bad
//! setting exits 2 with the flag or variable named and the config file untouched.

mod fakes;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use fakes::callback::FakeCallback;

/// Extra arguments, environment, and the text the error must contain.
type Case<'a> = (Vec<String>, Vec<(&'a str, &'a str)>, &'a str);

fn bin() -> String {
    fakes::bin::path()
}

/// Runs the binary with a clean environment plus `env`.
async fn ddns(args: &[String], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.args(args).env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn snapshot(path: &Path) -> (Vec<u8>, SystemTime) {
    (
        std::fs::read(path).unwrap(),
        std::fs::metadata(path).unwrap().modified().unwrap(),
    )
}

/// An echo service answering with a public address, as the detection URLs do.
async fn echo() -> std::net::SocketAddr {
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "8.8.8.8\n" }));
    fakes::serve_http(router).await
}

#[tokio::test]
async fn once_creates_the_entry_publishes_and_is_idempotent_with_json_logs() {
    let echo = echo().await;
    let cb = FakeCallback::new();
    let cb_addr = fakes::serve_http(cb.router()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ddns.yaml");
    let secret_file = dir.path().join("body");
    // The callback's secret is its request body: it must reach the endpoint but never the log.
    std::fs::write(&secret_file, "token=body-s3cret-value&ip=#{ip}\n").unwrap();
    let args = strings(&[
        "-c",
        cfg.to_str().unwrap(),
        "-noweb",
        "-once",
        "-logFormat",
        "json",
        "-domain",
        "www.example.com",
        "-ipUrl",
        &format!("http://{echo}/"),
    ]);
    let id = format!("http://{cb_addr}/update?ip=#{{ip}}&domain=#{{domain}}");
    let env = [
        ("DDNS_PROVIDER", "callback"),
        ("DDNS_ID", id.as_str()),
        ("DDNS_SECRET_FILE", secret_file.to_str().unwrap()),
        ("DDNS_NAME", "edge"),
    ];

    let out = ddns(&args, &env).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let reqs = cb.requests();
    assert_eq!(reqs.len(), 1, "{err}");
    assert_eq!(reqs[0].uri, "/update?ip=8.8.8.8&domain=www.example.com");
    assert_eq!(
        String::from_utf8_lossy(&reqs[0].body),
        "token=body-s3cret-value&ip=8.8.8.8"
    );

    // Every stderr line is one JSON object; the per-domain result carries the context.
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!lines.is_empty());
    for l in &lines {
        let time = l["time"].as_str().unwrap();
        assert!(time.len() == 20 && time.ends_with('Z'), "{time}");
        assert!(["info", "warn", "error"].contains(&l["level"].as_str().unwrap()));
        assert!(l["message"].is_string());
    }
    let result = lines
        .iter()
        .find(|l| l["domain"] == "www.example.com")
        .unwrap_or_else(|| panic!("no per-domain line in {err}"));
    assert_eq!(result["entry"], "edge");
    assert_eq!(result["provider"], "callback");
    assert_eq!(result["result"], "updated");
    assert_eq!(result["ip"], "8.8.8.8");
    assert_eq!(result["record"], "A");
    assert_eq!(result["level"], "info");
    assert!(!err.contains("body-s3cret"), "secret in the log: {err}");

    // The file is a normal ddns-go config entry, mode 0600.
    let loaded = ddns_rs::config::load(&cfg).unwrap().config;
    assert_eq!(loaded.dnsconf.len(), 1);
    let e = &loaded.dnsconf[0];
    assert_eq!(e.name, "edge");
    assert_eq!(e.dns.name, "callback");
    assert_eq!(e.dns.id, id);
    assert_eq!(e.dns.secret, "token=body-s3cret-value&ip=#{ip}");
    assert_eq!(e.ipv4.url, format!("http://{echo}/"));
    assert_eq!(e.ipv4.domains, ["www.example.com"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cfg).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The same command again: the file is not rewritten at all.
    let before = snapshot(&cfg);
    let out = ddns(&args, &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(snapshot(&cfg), before);
    assert!(stderr(&out).contains("is already up to date"));

    // A changed setting amends that entry only; flags win over the variables.
    let mut changed = args.clone();
    changed.extend(strings(&["-domain", "api.example.com", "-ttl", "120"]));
    let out = ddns(&changed, &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let loaded = ddns_rs::config::load(&cfg).unwrap().config;
    assert_eq!(loaded.dnsconf.len(), 1);
    assert_eq!(
        loaded.dnsconf[0].ipv4.domains,
        ["www.example.com", "api.example.com"]
    );
    assert_eq!(loaded.dnsconf[0].ttl, "120");
}

#[tokio::test]
async fn text_logs_stay_human_readable() {
    let echo = echo().await;
    let cb = FakeCallback::new();
    let cb_addr = fakes::serve_http(cb.router()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ddns.yaml");
    let args = strings(&[
        "-c",
        cfg.to_str().unwrap(),
        "-once",
        "-provider=callback",
        &format!("-id=http://{cb_addr}/?d=#{{domain}}"),
        "-domain=www.example.com",
        &format!("-ipUrl=http://{echo}/"),
    ]);
    let out = ddns(&args, &[]).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("Updated domain www.example.com successfully! IP: 8.8.8.8"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.starts_with("20"), "{line}");
    assert!(line.ends_with("IP: 8.8.8.8"), "{line}");
    assert!(!err.contains('{'), "{err}");
}

#[tokio::test]
async fn bad_settings_exit_2_and_leave_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ddns.yaml");
    let existing = "dnsconf:\n    - name: headless\n      ipv4:\n        enable: true\n        gettype: url\n        url: https://api.ipify.org\n        netinterface: \"\"\n        cmd: \"\"\n        domains:\n            - a.example.com\n      ipv6:\n        enable: false\n        gettype: netInterface\n        url: \"\"\n        netinterface: \"\"\n        cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n      dns:\n        name: cloudflare\n        id: \"\"\n        secret: tok\n        extparam: \"\"\n      ttl: \"\"\n      httpinterface: \"\"\nuser:\n    username: \"\"\n    password: \"\"\nwebhook:\n    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\nnotallowwanaccess: true\nlang: en\n";
    std::fs::write(&cfg, existing).unwrap();
    let before = snapshot(&cfg);
    let c = cfg.to_str().unwrap().to_string();
    let missing: PathBuf = dir.path().join("no-such-secret");
    let cases: Vec<Case> = vec![
        (
            strings(&["-provider", "dnspod", "-id", "1"]),
            vec![],
            "from cloudflare to dnspod: give its credentials too (-secret or DDNS_SECRET)",
        ),
        (
            strings(&[
                "-name",
                "new",
                "-provider",
                "cloudflare",
                "-domain",
                "b.example.com",
            ]),
            vec![],
            "give -secretFile or DDNS_SECRET_FILE",
        ),
        (
            strings(&[]),
            vec![("DDNS_PROVIDER", "nope")],
            "DDNS_PROVIDER: unknown DNS provider",
        ),
        (
            strings(&["-provider=nope"]),
            vec![],
            "-provider: unknown DNS provider",
        ),
        (
            strings(&["-domain", "co.uk"]),
            vec![],
            "-domain: the domain co.uk is incorrect",
        ),
        (
            strings(&[]),
            vec![("DDNS_DOMAINS", "com")],
            "DDNS_DOMAINS: the domain com is incorrect",
        ),
        (
            strings(&["-ipUrl", "https://api.ipify.org", "-netInterface", "eth0"]),
            vec![],
            "-ipUrl and -netInterface both say where the address comes from",
        ),
        (
            strings(&[]),
            vec![("DDNS_SECRET_FILE", missing.to_str().unwrap())],
            "DDNS_SECRET_FILE: cannot read the secret",
        ),
        (
            strings(&["-ipv6Suffix", "::1"]),
            vec![],
            "-ipv6Suffix applies to IPv6 (AAAA) records",
        ),
        (
            strings(&["-logFormat", "xml"]),
            vec![],
            "-logFormat: unknown log format",
        ),
    ];
    for (extra, env, want) in cases {
        let mut args = strings(&["-c", &c, "-noweb", "-once"]);
        args.extend(extra.clone());
        let out = ddns(&args, &env).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?} {env:?}: {err}");
        assert!(err.contains(want), "{extra:?} {env:?}: {err}");
        assert!(err.contains("the config file was not changed"), "{err}");
        assert_eq!(snapshot(&cfg), before, "{extra:?} {env:?}");
    }

    // A config file that does not parse is not overwritten either.
    std::fs::write(&cfg, "dnsconf: [\n").unwrap();
    let broken = snapshot(&cfg);
    let args = strings(&[
        "-c",
        &c,
        "-once",
        "-provider=cloudflare",
        "-secret=t",
        "-domain=a.example.com",
    ]);
    let out = ddns(&args, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is not valid"), "{}", stderr(&out));
    assert_eq!(snapshot(&cfg), broken);
}

#[tokio::test]
async fn help_documents_the_flags_and_variables() {
    let out = ddns(&strings(&["-h"]), &[]).await;
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    for flag in [
        "-domain value",
        "-provider string",
        "-id string",
        "-secret string",
        "-secretFile string",
        "-ipUrl string",
        "-netInterface string",
        "-ipv6Prefix string",
        "-ipv6Suffix string",
        "-ttl string",
        "-name string",
        "-ipVersion string",
        "-logFormat string",
    ] {
        assert!(err.contains(&format!("  {flag}\n")), "{flag}: {err}");
    }
    for var in [
        "DDNS_DOMAINS",
        "DDNS_PROVIDER",
        "DDNS_ID",
        "DDNS_SECRET ",
        "DDNS_SECRET_FILE",
        "DDNS_IP_URL",
        "DDNS_NET_INTERFACE",
        "DDNS_IPV6_PREFIX",
        "DDNS_IPV6_SUFFIX",
        "DDNS_TTL",
        "DDNS_NAME",
        "DDNS_IP_VERSION",
        "DDNS_LOG_FORMAT",
    ] {
        assert!(err.contains(&format!("\n  {var}")), "{var}: {err}");
    }
}
