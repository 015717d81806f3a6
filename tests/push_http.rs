//! Router push (`/nic/update`, `/update`) at the HTTP level: a real daemon behind the web
//! router, publishing through the dyndns2 provider to a strict fake service. Every dyndns2
//! answer code, the rate limit, the WAN rule, and that no session or CSRF token is needed.

mod fakes;
mod web_common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use ddns_rs::config::{Config, DnsConfig};
use ddns_rs::sync::EngineOptions;
use ddns_rs::sync::schedule::{Daemon, control_channel};
use ddns_rs::sync::status::Outcome;
use fakes::dyndns2::FakeDyndns2;
use web_common::*;

const PUSH_USER: &str = "router";
const PUSH_PW: &str = "push-s3cret:x";
/// A public client address (the socket address is the default `myip`).
const PUBLIC_CLIENT: &str = "5.6.7.8:40000";

struct Env {
    h: Harness,
    fake: Arc<FakeDyndns2>,
}

fn entry(fake: std::net::SocketAddr, gettype: &str, domains: &[&str]) -> DnsConfig {
    let mut e = DnsConfig::default();
    e.dns.name = "dyndns2".into();
    e.dns.id = "alice".into();
    e.dns.secret = "upstream-pw".into();
    e.dns.extparam = format!("http://{fake}/nic/update");
    e.ipv4.enable = true;
    e.ipv4.gettype = gettype.into();
    e.ipv4.url = "http://127.0.0.1:1/ip".into();
    e.ipv4.domains = domains.iter().map(|d| d.to_string()).collect();
    e
}

/// A config with push credentials (unless `push` is false), one push entry for
/// home.example.com and one `url` entry for other.example.com; a daemon runs it.
async fn env(push: bool, not_allow_wan: bool) -> Env {
    env_with(push, not_allow_wan, false).await
}

/// As [`env`]; with `v6`, the push entry's IPv6 family is push-fed too.
async fn env_with(push: bool, not_allow_wan: bool, v6: bool) -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeDyndns2::new("alice", "upstream-pw", "unused");
    fake.add_host("home.example.com");
    fake.add_host("www.example.com");
    let faddr = fakes::serve_http(fake.router()).await;
    let mut c: Config = config_with_account(not_allow_wan);
    if push {
        c.push.username = PUSH_USER.into();
        c.push.password = PUSH_PW.into();
    }
    let mut pushed = entry(faddr, "push", &["home.example.com", "www.example.com"]);
    if v6 {
        pushed.ipv6.enable = true;
        pushed.ipv6.gettype = "push".into();
        pushed.ipv6.domains = vec!["home.example.com".into()];
    }
    c.dnsconf.push(pushed);
    c.dnsconf.push(entry(faddr, "url", &["other.example.com"]));
    let mut h = Harness::new(Some(&c));
    let rx = std::mem::replace(&mut h.control, control_channel().1);
    let daemon = Daemon {
        path: h.path.clone(),
        opts: EngineOptions::default(),
        interval: Duration::from_secs(3600),
        status: h.status.clone(),
        control: Some(rx),
    };
    tokio::spawn(daemon.run());
    Env { h, fake }
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

impl Env {
    async fn push_as(&self, path: &str, client: &str, auth: Option<&str>) -> Resp {
        let mut h: Vec<(&str, &str)> = vec![("user-agent", "test-router/1.0")];
        if let Some(a) = auth {
            h.push(("authorization", a));
        }
        self.h
            .req(Method::GET, path, client, &h, Body::empty())
            .await
    }

    async fn push(&self, path: &str) -> Resp {
        let a = basic(PUSH_USER, PUSH_PW);
        self.push_as(path, PUBLIC_CLIENT, Some(&a)).await
    }

    fn upstream_updates(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|s| s.uri.contains("myip="))
            .count()
    }
}

fn assert_plain(r: &Resp, status: StatusCode, body: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.text(), body);
    assert!(
        r.header("content-type").unwrap().starts_with("text/plain"),
        "{:?}",
        r.headers
    );
}

#[tokio::test]
async fn waiting_then_good_then_nochg_reaching_the_provider() {
    let e = env(true, false).await;
    // Before any push, the daemon's first run shows the records as waiting, not failed.
    let mut waited = false;
    for _ in 0..200 {
        let s = e.h.status.snapshot();
        if let Some(r) = s.iter().find(|r| r.domain == "home.example.com") {
            assert_eq!(r.outcome, Outcome::Waiting, "{r:?}");
            assert!(r.error.as_deref().unwrap().contains("waiting for a push"));
            waited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waited, "the daemon never recorded the push entry");
    assert_eq!(e.upstream_updates(), 0);

    let r = e
        .push("/nic/update?hostname=home.example.com&myip=1.2.3.4")
        .await;
    assert_plain(&r, StatusCode::OK, "good 1.2.3.4");
    assert_eq!(
        e.fake.host("home.example.com").unwrap().0,
        Some("1.2.3.4".parse().unwrap())
    );
    // The entry's other domain is published with the same pushed address.
    assert_eq!(
        e.fake.host("www.example.com").unwrap().0,
        Some("1.2.3.4".parse().unwrap())
    );
    let n = e.upstream_updates();
    assert_eq!(n, 2);
    let rec =
        e.h.status
            .snapshot()
            .into_iter()
            .find(|r| r.domain == "home.example.com")
            .unwrap();
    assert_eq!(rec.outcome, Outcome::Updated);
    assert_eq!(rec.published.as_deref(), Some("1.2.3.4"));

    // A HEAD (link checkers) publishes nothing.
    let a = basic(PUSH_USER, PUSH_PW);
    let r =
        e.h.req(
            Method::HEAD,
            "/nic/update?hostname=home.example.com&myip=9.9.9.9",
            PUBLIC_CLIENT,
            &[("authorization", &a)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(e.upstream_updates(), n);

    // Same address again: nochg, and the provider is not asked.
    let r = e
        .push("/update?hostname=home.example.com&myip=1.2.3.4")
        .await;
    assert_plain(&r, StatusCode::OK, "nochg 1.2.3.4");
    assert_eq!(e.upstream_updates(), n);

    // No myip: the client's socket address, as dyndns2 servers do. Case and a trailing dot
    // in the hostname do not matter. Browser-ish cross-site headers do not block a GET.
    let a = basic(PUSH_USER, PUSH_PW);
    let r =
        e.h.req(
            Method::GET,
            "/nic/update?hostname=HOME.example.com.",
            PUBLIC_CLIENT,
            &[
                ("authorization", &a),
                ("origin", "http://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
            Body::empty(),
        )
        .await;
    assert_plain(&r, StatusCode::OK, "good 5.6.7.8");
    assert_eq!(
        e.fake.host("home.example.com").unwrap().0,
        Some("5.6.7.8".parse().unwrap())
    );
}

#[tokio::test]
async fn badauth_for_wrong_missing_or_unconfigured_credentials() {
    let e = env(true, false).await;
    let q = "/nic/update?hostname=home.example.com&myip=1.2.3.4";
    for (i, auth) in [
        Some(basic(PUSH_USER, "Wr0ng-Pass")),
        Some(basic("admin", GOOD_PW)), // the web login is not the push login
        Some("Bearer x".to_string()),
        None,
    ]
    .into_iter()
    .enumerate()
    {
        // A client each: wrong credentials eat into the rate limit (tested on its own).
        let client = format!("5.6.7.{}:1000", 10 + i);
        let r = e.push_as(q, &client, auth.as_deref()).await;
        assert_plain(&r, StatusCode::UNAUTHORIZED, "badauth");
        assert!(
            r.header("www-authenticate").unwrap().starts_with("Basic "),
            "{:?}",
            r.headers
        );
    }
    assert_eq!(e.upstream_updates(), 0);
    // The password never reaches the log.
    assert!(
        !e.h.logs
            .lines()
            .iter()
            .any(|l| l.contains(PUSH_PW) || l.contains("Wr0ng-Pass")),
    );

    let e = env(false, false).await;
    let r = e.push(q).await;
    assert_plain(&r, StatusCode::UNAUTHORIZED, "badauth");
    assert_eq!(e.upstream_updates(), 0);
}

#[tokio::test]
async fn notfqdn_numhost_nohost_per_hostname() {
    let e = env(true, false).await;
    let r = e.push("/nic/update?myip=1.2.3.4").await;
    assert_plain(&r, StatusCode::OK, "notfqdn");
    let r = e.push("/nic/update?hostname=&myip=1.2.3.4").await;
    assert_plain(&r, StatusCode::OK, "notfqdn");
    let many: Vec<String> = (0..21).map(|i| format!("h{i}.example.com")).collect();
    let r = e
        .push(&format!(
            "/nic/update?hostname={}&myip=1.2.3.4",
            many.join(",")
        ))
        .await;
    assert_plain(&r, StatusCode::OK, "numhost");
    // Unknown host, a host of a non-push entry, a bare name: one line each, in order.
    let r = e
        .push(
            "/nic/update?hostname=nope.example.com,other.example.com,localhost,home.example.com\
             &myip=1.2.3.4",
        )
        .await;
    assert_plain(&r, StatusCode::OK, "nohost\nnohost\nnotfqdn\ngood 1.2.3.4");
    // An IPv6 push for a host whose push entry is IPv4 only.
    let r = e
        .push("/nic/update?hostname=home.example.com&myip=2a01:4f8::1")
        .await;
    assert_plain(&r, StatusCode::OK, "nohost");
}

#[tokio::test]
async fn dnserr_for_refused_addresses_and_provider_refusals() {
    let e = env(true, false).await;
    // Not an address, a private one, a documentation one: nothing is published.
    for q in [
        "myip=not-an-ip",
        "myip=192.168.1.1",
        "myip=192.0.2.1",
        "myipv6=fe80::1",
    ] {
        let r = e
            .push(&format!("/nic/update?hostname=home.example.com&{q}"))
            .await;
        assert_plain(&r, StatusCode::OK, "dnserr");
    }
    // A LAN client without myip: its own (private) address is refused too.
    let a = basic(PUSH_USER, PUSH_PW);
    let r = e
        .push_as("/nic/update?hostname=home.example.com", LAN, Some(&a))
        .await;
    assert_plain(&r, StatusCode::OK, "dnserr");
    assert_eq!(e.upstream_updates(), 0);
    // The DNS provider refuses our credentials: dnserr.
    e.fake.answer_next(401, "badauth");
    let r = e
        .push("/nic/update?hostname=home.example.com&myip=1.2.3.4")
        .await;
    assert_plain(&r, StatusCode::OK, "dnserr");
    assert_eq!(e.upstream_updates(), 1);
}

#[tokio::test]
async fn server_trouble_answers_911_and_holds_further_pushes() {
    let e = env(true, false).await;
    e.fake.answer_next(200, "911");
    let r = e
        .push("/nic/update?hostname=home.example.com&myip=1.2.3.4")
        .await;
    assert_plain(&r, StatusCode::OK, "911");
    let n = e.upstream_updates();
    assert!(n >= 1);
    // The provider asked to wait: the next push is answered 911 without asking it.
    let r = e
        .push("/nic/update?hostname=home.example.com&myip=1.2.3.5")
        .await;
    assert_plain(&r, StatusCode::OK, "911");
    assert_eq!(e.upstream_updates(), n);
}

#[tokio::test]
async fn rate_limit_answers_abuse_and_counts_auth_failures() {
    let e = env(true, false).await;
    let q = "/nic/update?hostname=home.example.com&myip=1.2.3.4";
    let mut answers = Vec::new();
    for _ in 0..12 {
        answers.push(e.push(q).await.text());
    }
    assert_eq!(answers[0], "good 1.2.3.4");
    assert!(
        answers[1..10].iter().all(|a| a == "nochg 1.2.3.4"),
        "{answers:?}"
    );
    assert_eq!(answers[10], "abuse");
    assert_eq!(answers[11], "abuse");
    // Another client is not affected.
    let a = basic(PUSH_USER, PUSH_PW);
    let r = e.push_as(q, "9.9.9.9:1", Some(&a)).await;
    assert_plain(&r, StatusCode::OK, "nochg 1.2.3.4");
    // Tokens come back with time.
    e.h.advance(Duration::from_secs(20));
    assert_eq!(e.push(q).await.text(), "nochg 1.2.3.4");
    assert_eq!(e.push(q).await.text(), "abuse");

    // Wrong passwords cost more: a guesser is stopped after a few tries, even with the right
    // password afterwards.
    let guesser = "4.4.4.4:1";
    let bad = basic(PUSH_USER, "guess");
    let mut tries = 0;
    loop {
        let r = e.push_as(q, guesser, Some(&bad)).await;
        if r.text() == "abuse" {
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        tries += 1;
        assert!(tries < 10, "never limited");
    }
    assert_eq!(tries, 3);
    let r = e.push_as(q, guesser, Some(&a)).await;
    assert_plain(&r, StatusCode::OK, "abuse");
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn wan_rule_applies_and_no_session_is_needed() {
    // Deny from WAN: a public client is refused like on every route.
    let e = env(true, true).await;
    let r = e
        .push("/nic/update?hostname=home.example.com&myip=1.2.3.4")
        .await;
    // PUBLIC_CLIENT is a WAN address: refused by the WAN guard, the provider is not asked.
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(e.upstream_updates(), 0);
    // From the LAN (a router pushing its WAN address) it works without any session cookie.
    let a = basic(PUSH_USER, PUSH_PW);
    let r = e
        .push_as(
            "/nic/update?hostname=home.example.com&myip=1.2.3.4",
            LAN,
            Some(&a),
        )
        .await;
    assert_plain(&r, StatusCode::OK, "good 1.2.3.4");
    assert!(r.header("set-cookie").is_none());

    // WAN access allowed: the public client gets through.
    let e = env(true, false).await;
    let r = e
        .push("/nic/update?hostname=home.example.com&myip=1.2.3.4")
        .await;
    assert_plain(&r, StatusCode::OK, "good 1.2.3.4");
}

#[tokio::test]
async fn one_request_updates_a_and_aaaa() {
    let e = env_with(true, false, true).await;
    let r = e
        .push("/nic/update?hostname=home.example.com&myip=1.2.3.4,2a01:4f8::1")
        .await;
    assert_plain(&r, StatusCode::OK, "good 1.2.3.4,2a01:4f8::1");
    assert_eq!(
        e.fake.host("home.example.com").unwrap(),
        (
            Some("1.2.3.4".parse().unwrap()),
            Some("2a01:4f8::1".parse().unwrap())
        )
    );
    // myipv6 on its own parameter; the unchanged IPv4 is nochg, the new AAAA makes it good.
    let r = e
        .push("/nic/update?hostname=home.example.com&myip=1.2.3.4&myipv6=2a01:4f8::2")
        .await;
    assert_plain(&r, StatusCode::OK, "good 1.2.3.4,2a01:4f8::2");
    let r = e
        .push("/nic/update?hostname=home.example.com&myip=1.2.3.4&myipv6=2a01:4f8::2")
        .await;
    assert_plain(&r, StatusCode::OK, "nochg 1.2.3.4,2a01:4f8::2");
    // www.example.com is listed for IPv4 only: its line reports only the IPv4 address.
    let r = e
        .push("/nic/update?hostname=www.example.com&myip=1.2.3.4,2a01:4f8::2")
        .await;
    assert_plain(&r, StatusCode::OK, "nochg 1.2.3.4");
}
