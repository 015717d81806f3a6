//! Headless set-up without the binary: command lines (through the real flag parser) and
//! explicit environment maps go through `merge` and `amend`, and the config that results is
//! compared byte for byte as ddns-rs writes it. Covers precedence (flag > env > file),
//! idempotence, amending one entry only, and every error case with the flag or variable it names.

use std::collections::HashMap;
use std::path::Path;

use ddns_rs::cli;
use ddns_rs::config::headless::{self, HeadlessError, Outcome, Settings, amend, merge};
use ddns_rs::config::{Config, to_yaml};
use ddns_rs::logging::LogFormat;

/// Flags, environment, and the start of the error message.
type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);

const V4_URLS: &str = "https://api.ipify.org, https://ddns.oray.com/checkip, https://ip.3322.net, https://4.ipw.cn, https://v4.yinghualuo.cn/bejson";
const V6_URLS: &str = "https://api64.ipify.org, https://speed.neu6.edu.cn/getIP.php, https://v6.ident.me, https://6.ipw.cn, https://v6.yinghualuo.cn/bejson";

const TAIL: &str = "user:\n    username: \"\"\n    password: \"\"\nwebhook:\n    webhookurl: \"\"\n    \
                    webhookrequestbody: \"\"\n    webhookheaders: \"\"\nnotallowwanaccess: false\nlang: \"\"\n";

fn settings(flags: &[&str], env: &[(&str, &str)]) -> Result<Settings, HeadlessError> {
    let args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
    let parsed = cli::parse(&args, None, Path::new("/")).unwrap();
    let map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    merge(&parsed.headless, &|k| map.get(k).cloned())
}

/// The config after applying `flags` and `env` to `base`.
fn run(base: &Config, flags: &[&str], env: &[(&str, &str)]) -> Result<Config, HeadlessError> {
    let s = settings(flags, env)?;
    Ok(amend(base, &s)?.config)
}

/// The message of an `Invalid` error, as printed.
fn error(base: &Config, flags: &[&str], env: &[(&str, &str)]) -> String {
    match run(base, flags, env) {
        Err(e @ HeadlessError::Invalid(_)) => {
            assert_eq!(e.exit_code(), 2);
            e.to_string()
        }
        other => panic!("{flags:?} {env:?}: expected a settings error, got {other:?}"),
    }
}

/// One entry as ddns-rs writes it; `v4`/`v6` are the family blocks' lines after `enable`.
fn entry(name: &str, v4: &str, v6: &str, dns: &str, ttl: &str) -> String {
    format!(
        "    - name: {name}\n      ipv4:\n{v4}      ipv6:\n{v6}      dns:\n{dns}      ttl: {ttl}\n      httpinterface: \"\"\n"
    )
}

fn family(
    enable: bool,
    gettype: &str,
    url: &str,
    iface: &str,
    v6: bool,
    domains: &[&str],
) -> String {
    let mut s = format!(
        "        enable: {enable}\n        gettype: {gettype}\n        url: {url}\n        netinterface: {iface}\n        cmd: \"\"\n"
    );
    if v6 {
        s += "        ipv6reg: \"\"\n";
    }
    if domains.is_empty() {
        s += "        domains: []\n";
    } else {
        s += "        domains:\n";
        for d in domains {
            s += &format!("            - {d}\n");
        }
    }
    s
}

fn dns(name: &str, id: &str, secret: &str) -> String {
    format!(
        "        name: {name}\n        id: {id}\n        secret: {secret}\n        extparam: \"\"\n"
    )
}

#[test]
fn flags_create_exactly_this_entry() {
    let c = run(
        &Config::default(),
        &[
            "-provider",
            "cloudflare",
            "-secret",
            "cf-token",
            "-domain",
            "www.example.com",
            "-domain=nas:example.org",
            "-domain",
            "www.example.com", // a repeat is kept once
            "-ttl",
            "300",
        ],
        &[],
    )
    .unwrap();
    let want = format!(
        "dnsconf:\n{}{TAIL}",
        entry(
            "headless",
            &family(
                true,
                "url",
                V4_URLS,
                "\"\"",
                false,
                &["www.example.com", "nas:example.org"]
            ),
            &family(false, "url", V6_URLS, "\"\"", true, &[]),
            &dns("cloudflare", "\"\"", "cf-token"),
            "\"300\"",
        )
    );
    assert_eq!(to_yaml(&c), want);
}

#[test]
fn environment_creates_the_same_entry_as_flags() {
    let from_env = run(
        &Config::default(),
        &[],
        &[
            ("DDNS_PROVIDER", "cloudflare"),
            ("DDNS_SECRET", "cf-token"),
            (
                "DDNS_DOMAINS",
                "www.example.com, nas:example.org\nwww.example.com",
            ),
            ("DDNS_TTL", "300"),
        ],
    )
    .unwrap();
    let from_flags = run(
        &Config::default(),
        &[
            "-provider=cloudflare",
            "-secret=cf-token",
            "-domain=www.example.com",
            "-domain=nas:example.org",
            "-ttl=300",
        ],
        &[],
    )
    .unwrap();
    assert_eq!(to_yaml(&from_env), to_yaml(&from_flags));
}

#[test]
fn ipv6_lan_host_with_interface_and_suffix() {
    let c = run(
        &Config::default(),
        &[
            "-name",
            "nas",
            "-provider",
            "alidns",
            "-id",
            "LTAI-1",
            "-secret",
            "ali-secret",
            "-domain",
            "nas.example.com",
            "-ipVersion",
            "ipv6",
            "-netInterface",
            "eth0",
            "-ipv6Prefix",
            "/56",
            "-ipv6Suffix",
            "0:0:0:12:0:0:1234:5678",
        ],
        &[],
    )
    .unwrap();
    let mut v6 = family(
        true,
        "netInterface",
        V6_URLS,
        "eth0",
        true,
        &["nas.example.com"],
    );
    // ddns-rs's own keys come last, the suffix in canonical form.
    v6 += "        prefixlen: \"56\"\n        suffix: ::12:0:0:1234:5678\n";
    let want = format!(
        "dnsconf:\n{}{TAIL}",
        entry(
            "nas",
            &family(false, "url", V4_URLS, "\"\"", false, &[]),
            &v6,
            &dns("alidns", "LTAI-1", "ali-secret"),
            "\"\"",
        )
    );
    assert_eq!(to_yaml(&c), want);
}

#[test]
fn both_families_take_ipv4_from_urls_and_ipv6_from_the_interface() {
    let c = run(
        &Config::default(),
        &[
            "-provider=callback",
            "-id=https://hook.example.net/?ip=#{ip}",
            "-domain=home.example.com",
            "-ipVersion=both",
            "-ipUrl= https://a.example.net/ip ,http://b.example.net:8080/",
            "-netInterface=br-lan",
        ],
        &[],
    )
    .unwrap();
    let e = &c.dnsconf[0];
    assert!(e.ipv4.enable && e.ipv6.enable);
    assert_eq!(e.ipv4.gettype, "url");
    assert_eq!(
        e.ipv4.url,
        "https://a.example.net/ip, http://b.example.net:8080/"
    );
    assert_eq!(e.ipv6.gettype, "netInterface");
    assert_eq!(e.ipv6.netinterface, "br-lan");
    assert_eq!(e.ipv6.url, V6_URLS);
    assert_eq!(e.ipv4.domains, ["home.example.com"]);
    assert_eq!(e.ipv6.domains, ["home.example.com"]);
    // The callback's secret is its optional body: not required.
    assert_eq!(e.dns.secret, "");
}

#[test]
fn flags_win_over_environment() {
    let s = settings(
        &[
            "-provider",
            "dnspod",
            "-domain",
            "a.example.com",
            "-logFormat",
            "text",
        ],
        &[
            ("DDNS_PROVIDER", "cloudflare"),
            ("DDNS_DOMAINS", "b.example.com"),
            ("DDNS_ID", "from-env"),
            ("DDNS_LOG_FORMAT", "json"),
            ("DDNS_TTL", ""), // empty counts as unset
        ],
    )
    .unwrap();
    assert_eq!(s.provider.as_ref().unwrap().value, "dnspod");
    assert_eq!(s.domains.as_ref().unwrap().value, ["a.example.com"]);
    assert_eq!(s.id.as_ref().unwrap().value, "from-env");
    assert_eq!(s.log_format, LogFormat::Text);
    assert_eq!(s.ttl, None);
    // -secretFile (a flag) wins over DDNS_SECRET (a variable): no contradiction.
    let s = settings(&["-secretFile", "/run/s"], &[("DDNS_SECRET", "x")]).unwrap();
    assert_eq!(format!("{:?}", s.secret.unwrap().value), "File(\"/run/s\")");
    let s = settings(&[], &[("DDNS_LOG_FORMAT", "json")]).unwrap();
    assert_eq!(s.log_format, LogFormat::Json);
    assert!(
        !s.is_active(),
        "the log format alone does not touch the config"
    );
}

#[test]
fn settings_not_given_keep_the_file_values_and_other_entries_stay() {
    let base = run(
        &Config::default(),
        &[
            "-provider=dnspod",
            "-id=12345",
            "-secret=tok",
            "-domain=a.example.com",
            "-ttl=600",
        ],
        &[],
    )
    .unwrap();
    let mut base = base;
    let mut other = base.dnsconf[0].clone();
    other.name = "ui-made".into();
    other.dns.secret = "other".into();
    base.dnsconf.insert(0, other.clone());

    // Same settings again: nothing changes.
    let s = settings(
        &[
            "-provider=dnspod",
            "-id=12345",
            "-secret=tok",
            "-domain=a.example.com",
            "-ttl=600",
        ],
        &[],
    )
    .unwrap();
    let a = amend(&base, &s).unwrap();
    assert!(!a.changed && !a.created);
    assert_eq!(a.index, 1);
    assert_eq!(a.config, base);

    // Only the secret (from the environment this time): only the secret changes.
    let a = amend(
        &base,
        &settings(&[], &[("DDNS_SECRET", "rotated")]).unwrap(),
    )
    .unwrap();
    assert!(a.changed);
    let mut want = base.clone();
    want.dnsconf[1].dns.secret = "rotated".into();
    assert_eq!(a.config, want);
    assert_eq!(a.config.dnsconf[0], other);

    // New domains replace the list of the enabled family.
    let c = run(
        &base,
        &["-domain", "b.example.com", "-domain", "c.example.com"],
        &[],
    )
    .unwrap();
    assert_eq!(
        c.dnsconf[1].ipv4.domains,
        ["b.example.com", "c.example.com"]
    );
    assert_eq!(c.dnsconf[1].ttl, "600");

    // Another -name makes a second headless entry.
    let err = error(&base, &["-name", "second", "-domain", "x.example.com"], &[]);
    assert!(
        err.contains("no DNS provider for the new config entry \"second\""),
        "{err}"
    );
}

#[test]
fn ip_version_on_an_existing_entry_switches_families() {
    let base = run(
        &Config::default(),
        &["-provider=cloudflare", "-secret=t", "-domain=a.example.com"],
        &[],
    )
    .unwrap();
    // The names move to the family switched on; the other keeps its list but is off.
    let c = run(&base, &["-ipVersion=ipv6"], &[]).unwrap();
    let e = &c.dnsconf[0];
    assert!(!e.ipv4.enable);
    assert!(e.ipv6.enable);
    assert_eq!(e.ipv6.domains, ["a.example.com"]);
    assert_eq!(e.ipv4.domains, ["a.example.com"]);
    let c = run(&base, &["-ipVersion=both"], &[]).unwrap();
    assert!(c.dnsconf[0].ipv4.enable && c.dnsconf[0].ipv6.enable);
    assert_eq!(c.dnsconf[0].ipv6.domains, ["a.example.com"]);
    // An entry whose family has no source at all is refused, naming what to give.
    let mut broken = base.clone();
    broken.dnsconf[0].ipv6.url = String::new();
    let err = error(&broken, &["-ipVersion=both"], &[]);
    assert!(
        err.contains("has no IPv6 address source: give -ipUrl or DDNS_IP_URL or -netInterface or DDNS_NET_INTERFACE"),
        "{err}"
    );
    // Without -ipVersion the file's families are kept: both get the new domains.
    let c2 = run(&c, &["-domain=z.example.com"], &[]).unwrap();
    assert_eq!(c2.dnsconf[0].ipv4.domains, ["z.example.com"]);
    assert_eq!(c2.dnsconf[0].ipv6.domains, ["z.example.com"]);
}

#[test]
fn apply_writes_once_and_then_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("cfg.yaml");
    let s = settings(
        &["-provider=cloudflare", "-domain=a.example.com"],
        &[("DDNS_SECRET", "t")],
    )
    .unwrap();
    assert_eq!(headless::apply(&path, &s).unwrap(), Outcome::Created);
    let first = std::fs::read(&path).unwrap();
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(headless::apply(&path, &s).unwrap(), Outcome::Unchanged);
    assert_eq!(std::fs::read(&path).unwrap(), first);
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    // The file is a normal config.
    let loaded = ddns_rs::config::load(&path).unwrap().config;
    assert_eq!(loaded.dnsconf.len(), 1);
    assert_eq!(to_yaml(&loaded).as_bytes(), first.as_slice());

    let s2 = settings(&["-ttl=120"], &[]).unwrap();
    assert_eq!(headless::apply(&path, &s2).unwrap(), Outcome::Amended);
    let loaded = ddns_rs::config::load(&path).unwrap().config;
    assert_eq!(loaded.dnsconf[0].ttl, "120");
    assert_eq!(loaded.dnsconf[0].dns.secret, "t");
}

#[test]
fn secret_file_is_read_and_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "  tok-from-file\n\n").unwrap();
    let f = file.to_str().unwrap();
    let c = run(
        &Config::default(),
        &["-provider=cloudflare", "-domain=a.example.com"],
        &[("DDNS_SECRET_FILE", f)],
    )
    .unwrap();
    assert_eq!(c.dnsconf[0].dns.secret, "tok-from-file");

    std::fs::write(&file, " \n").unwrap();
    let err = error(
        &Config::default(),
        &[
            "-provider=cloudflare",
            "-domain=a.example.com",
            "-secretFile",
            f,
        ],
        &[],
    );
    assert!(err.starts_with("-secretFile: the file "), "{err}");
    assert!(err.contains("is empty"), "{err}");
    let missing = dir.path().join("nope");
    let err = error(
        &Config::default(),
        &["-provider=cloudflare", "-domain=a.example.com"],
        &[("DDNS_SECRET_FILE", missing.to_str().unwrap())],
    );
    assert!(
        err.starts_with("DDNS_SECRET_FILE: cannot read the secret from "),
        "{err}"
    );
}

#[test]
fn every_error_names_its_flag_or_variable() {
    let empty = Config::default();
    let cf = ["-provider=cloudflare", "-secret=t", "-domain=a.example.com"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v: Vec<&str> = cf.to_vec();
        v.extend_from_slice(extra);
        v
    };
    let cases: Vec<Case> = vec![
        // Missing settings.
        (
            vec!["-provider=cloudflare", "-domain=a.example.com"],
            vec![],
            "the cloudflare provider needs its API Token: give -secretFile or DDNS_SECRET_FILE (or -secret or DDNS_SECRET)",
        ),
        (
            vec!["-provider=alidns", "-secret=s", "-domain=a.example.com"],
            vec![],
            "the alidns provider needs its AccessKey ID: give -id or DDNS_ID",
        ),
        (
            vec!["-secret=s", "-domain=a.example.com"],
            vec![],
            "no DNS provider for the new config entry \"headless\": give -provider or DDNS_PROVIDER (e.g. cloudflare)",
        ),
        (
            vec!["-provider=cloudflare", "-secret=t"],
            vec![],
            "the config entry \"headless\" has no domain for IPv4: give -domain or DDNS_DOMAINS",
        ),
        // Malformed values.
        (
            vec!["-provider=cloudfare"],
            vec![],
            "-provider: unknown DNS provider \"cloudfare\"; known providers: alidns, ",
        ),
        (
            vec![],
            vec![("DDNS_PROVIDER", "route53")],
            "DDNS_PROVIDER: unknown DNS provider \"route53\"",
        ),
        (
            vec!["-domain=co.uk"],
            vec![],
            "-domain: the domain co.uk is incorrect",
        ),
        (
            vec![],
            vec![("DDNS_DOMAINS", "a.example.com,com")],
            "DDNS_DOMAINS: the domain com is incorrect",
        ),
        (
            vec!["-domain=a.example.com?x=\u{1}"],
            vec![],
            "-domain: the custom parameters of domain a.example.com cannot be parsed",
        ),
        (
            vec!["-domain= "],
            vec![],
            "-domain is given but names no domain",
        ),
        (vec!["-ttl=0"], vec![], "-ttl: \"0\" is not a TTL"),
        (
            vec![],
            vec![("DDNS_TTL", "5m")],
            "DDNS_TTL: \"5m\" is not a TTL",
        ),
        (
            vec!["-ipVersion=v6"],
            vec![],
            "-ipVersion: \"v6\" is not an IP version: use ipv4, ipv6 or both",
        ),
        (
            vec!["-ipUrl=ftp://x.example.net/"],
            vec![],
            "-ipUrl: \"ftp://x.example.net/\" is not an http(s) URL",
        ),
        (
            vec!["-ipUrl= , "],
            vec![],
            "-ipUrl is given but holds no URL",
        ),
        (
            vec![],
            vec![("DDNS_NET_INTERFACE", "eth 0")],
            "DDNS_NET_INTERFACE: \"eth 0\" is not a network interface name",
        ),
        (
            vec!["-ipv6Prefix=129"],
            vec![],
            "-ipv6Prefix: \"129\" is not a prefix length",
        ),
        (
            vec![],
            vec![("DDNS_IPV6_SUFFIX", "1234:5678")],
            "DDNS_IPV6_SUFFIX: \"1234:5678\" is not an interface identifier",
        ),
        (
            vec!["-logFormat=yaml"],
            vec![],
            "-logFormat: unknown log format \"yaml\": use text or json",
        ),
        (
            vec![],
            vec![("DDNS_LOG_FORMAT", "JSON")],
            "DDNS_LOG_FORMAT: unknown log format \"JSON\"",
        ),
        // Contradictions.
        (
            vec!["-secret=a", "-secretFile=/run/b"],
            vec![],
            "-secret and -secretFile both give the secret: give only one of them",
        ),
        (
            vec![],
            vec![("DDNS_SECRET", "a"), ("DDNS_SECRET_FILE", "/run/b")],
            "DDNS_SECRET and DDNS_SECRET_FILE both give the secret",
        ),
        (
            with(&["-ipUrl=https://a.example.net/"])
                .into_iter()
                .chain(["-netInterface=eth0"])
                .collect(),
            vec![],
            "-ipUrl and -netInterface both say where the address comes from",
        ),
        (
            with(&["-ipv6Suffix=::1"]),
            vec![],
            "-ipv6Suffix applies to IPv6 (AAAA) records, but the domains get IPv4 only: add -ipVersion ipv6 (or both)",
        ),
        (
            with(&["-ipVersion=ipv6", "-ipv6Prefix=56"]),
            vec![],
            "-ipv6Prefix only has a meaning with -ipv6Suffix or DDNS_IPV6_SUFFIX",
        ),
        (
            with(&["-ipVersion=ipv6", "-ipv6Suffix=2001:db8::1"]),
            vec![],
            "-ipv6Suffix: ipv6 suffix \"2001:db8::1\" has bits inside the first 64 bits",
        ),
        (
            with(&["-ipVersion=ipv6", "-ipv6Suffix=::"]),
            vec![],
            "-ipv6Suffix: ipv6 suffix \"::\" is zero",
        ),
        (
            with(&["-id=zone"]),
            vec![],
            "-id: the cloudflare provider has no ID; leave -id or DDNS_ID out",
        ),
    ];
    // The list of known providers names every registered key (checked once, not spelled out).
    let got = error(&empty, &["-provider=cloudfare"], &[]);
    for m in ddns_rs::provider::PROVIDERS {
        assert!(got.contains(m.key), "{} missing from: {got}", m.key);
    }
    for (flags, env, want) in cases {
        let got = error(&empty, &flags, &env);
        assert!(
            got.starts_with(want),
            "{flags:?} {env:?}:\n got: {got}\nwant: {want}…"
        );
        assert!(got.ends_with("; the config file was not changed"), "{got}");
    }

    // A provider change without new credentials.
    let base = run(&empty, &cf, &[]).unwrap();
    let got = error(&base, &["-provider=alidns"], &[]);
    assert!(
        got.starts_with(
            "-provider changes the provider of the config entry \"headless\" from cloudflare to alidns: give its credentials too (-id or DDNS_ID, -secret or DDNS_SECRET)"
        ),
        "{got}"
    );
    let ok = run(&base, &["-provider=alidns", "-id=LTAI", "-secret=s2"], &[]).unwrap();
    assert_eq!(ok.dnsconf[0].dns.name, "alidns");
    // A suffix whose bits fit a /56 is refused by a later /64 (file value with a new prefix).
    let v6 = run(
        &empty,
        &with(&[
            "-ipVersion=ipv6",
            "-ipv6Prefix=48",
            "-ipv6Suffix=0:0:0:12::1",
        ]),
        &[],
    )
    .unwrap();
    let got = error(&v6, &["-ipv6Prefix=64"], &[]);
    assert!(
        got.starts_with(
            "-ipv6Prefix: ipv6 suffix \"::12:0:0:0:1\" has bits inside the first 64 bits"
        ),
        "{got}"
    );
}

#[test]
fn secret_never_shows_in_debug_output() {
    let s = settings(&["-secret", "hunter2-secret"], &[]).unwrap();
    assert!(!format!("{s:?}").contains("hunter2"));
}
