//! The dyndns2 provider against a strict fake service, driven through the trait as the sync
//! layer does: the exact request (basic auth, user agent, parameters), every answer code's
//! mapping, the `badauth` latch, and no traffic on lookup.
mod fakes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ddns_rs::config::Domain;
use ddns_rs::provider::{Lookup, Plan, Provider, ProviderError, RecordType};
use fakes::dyndns2::{FakeDyndns2, provider, serve_standard};
use fakes::harness::{self, ip, sync};

struct Env {
    fake: Arc<FakeDyndns2>,
    addr: SocketAddr,
}

async fn env() -> Env {
    let (fake, addr) = serve_standard().await;
    Env { fake, addr }
}

fn dom(sub: &str, root: &str) -> Domain {
    harness::dom(sub, root, &[])
}

fn dyn2(e: &Env, user: &str, pass: &str) -> Box<dyn Provider> {
    // extparam is the full URL here; presets are covered by the unit tests.
    provider(
        "dyndns2",
        user,
        pass,
        &format!("http://{}/nic/update", e.addr),
        None,
    )
}

#[tokio::test]
async fn writes_with_basic_auth_user_agent_and_parameters() {
    let e = env().await;
    let p = dyn2(&e, "alice", "pa:ss wörd");
    let d = dom("home", "example.net");
    assert_eq!(p.lookup(&d, RecordType::A).await.unwrap(), Lookup::Unknown);
    assert!(e.fake.requests().is_empty(), "a lookup sends nothing");
    assert_eq!(
        sync(&*p, &d, ip("198.51.100.7")).await.unwrap(),
        Plan::Write
    );
    assert_eq!(
        e.fake.host("home.example.net").unwrap().0,
        Some(ip("198.51.100.7"))
    );
    // IPv6 goes in myip as well and leaves the IPv4 address alone.
    sync(&*p, &d, ip("2001:db8::7")).await.unwrap();
    assert_eq!(
        e.fake.host("home.example.net").unwrap(),
        (Some(ip("198.51.100.7")), Some(ip("2001:db8::7")))
    );
    // The same address again: the service answers nochg, which is success.
    sync(&*p, &d, ip("198.51.100.7")).await.unwrap();
    let reqs = e.fake.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].uri,
        "/nic/update?hostname=home.example.net&myip=198.51.100.7"
    );
    let ua = reqs[0].header("user-agent").unwrap();
    assert!(ua.starts_with("ddns-rs - ddns-rs - "), "{ua}");
}

#[tokio::test]
async fn each_answer_code_maps_to_its_error() {
    let e = env().await;
    let d = dom("home", "example.net");
    let a = ip("198.51.100.8");
    let cases: &[(u16, &str)] = &[
        (200, "good 198.51.100.8"),
        (200, "nochg 198.51.100.8"),
        (200, "nohost"),
        (200, "notfqdn"),
        (200, "numhost"),
        (200, "abuse"),
        (200, "badagent"),
        (200, "!donator"),
        (200, "911"),
        (200, "dnserr"),
        (429, "slow down"),
        (500, "oops"),
        (200, "surprise"),
    ];
    for (status, body) in cases {
        // A fresh provider each time: badauth latches (tested below).
        let p = dyn2(&e, "alice", "pa:ss wörd");
        e.fake.answer_next(*status, body);
        let r = sync(&*p, &d, a).await;
        let code = body.split(' ').next().unwrap();
        match code {
            "good" | "nochg" => assert!(r.is_ok(), "{body}: {r:?}"),
            "nohost" | "notfqdn" | "numhost" | "abuse" | "badagent" | "!donator" => {
                assert!(
                    matches!(&r, Err(ProviderError::Refused(m)) if m.starts_with(code)),
                    "{body}: {r:?}"
                )
            }
            "911" | "dnserr" => assert!(
                matches!(&r, Err(ProviderError::RateLimited { retry_after: Some(w), .. }) if *w >= Duration::from_secs(1800)),
                "{body}: {r:?}"
            ),
            "slow" => assert!(matches!(r, Err(ProviderError::RateLimited { .. })), "{r:?}"),
            _ => assert!(matches!(r, Err(ProviderError::Api(_))), "{body}: {r:?}"),
        }
    }
    assert_eq!(e.fake.requests().len(), cases.len());
}

#[tokio::test]
async fn the_fake_itself_answers_nohost_and_notfqdn() {
    let e = env().await;
    let p = dyn2(&e, "alice", "pa:ss wörd");
    let r = sync(&*p, &dom("other", "example.net"), ip("198.51.100.9")).await;
    assert!(
        matches!(&r, Err(ProviderError::Refused(m)) if m.starts_with("nohost")),
        "{r:?}"
    );
    let r = sync(&*p, &dom("", "nodot"), ip("198.51.100.9")).await;
    assert!(
        matches!(&r, Err(ProviderError::Refused(m)) if m.starts_with("notfqdn")),
        "{r:?}"
    );
    assert!(e.fake.host("home.example.net").unwrap().0.is_none());
}

#[tokio::test]
async fn badauth_is_auth_and_nothing_more_is_sent_until_the_config_changes() {
    let e = env().await;
    let p = dyn2(&e, "alice", "wrong");
    let d = dom("home", "example.net");
    let r = sync(&*p, &d, ip("198.51.100.10")).await;
    assert!(
        matches!(&r, Err(ProviderError::Auth(m)) if m.contains("badauth")),
        "{r:?}"
    );
    assert!(!format!("{r:?}").contains("wrong"));
    let r = sync(&*p, &d, ip("198.51.100.11")).await;
    assert!(matches!(r, Err(ProviderError::Auth(_))), "{r:?}");
    assert_eq!(
        e.fake.requests().len(),
        1,
        "the second write must not reach the service"
    );
    // A new provider (what a config change builds) tries again.
    let p = dyn2(&e, "alice", "pa:ss wörd");
    sync(&*p, &d, ip("198.51.100.11")).await.unwrap();
    assert_eq!(
        e.fake.host("home.example.net").unwrap().0,
        Some(ip("198.51.100.11"))
    );
    // badauth in a 200 body (not only 401) is Auth too.
    let p = dyn2(&e, "alice", "pa:ss wörd");
    e.fake.answer_next(200, "badauth");
    assert!(matches!(
        sync(&*p, &d, ip("198.51.100.12")).await,
        Err(ProviderError::Auth(_))
    ));
}

#[tokio::test]
async fn a_preset_name_or_a_bad_url_is_resolved_before_sending() {
    let e = env().await;
    let p = provider("dyndns2", "alice", "x", "no-such-preset", None);
    let r = sync(&*p, &dom("home", "example.net"), ip("198.51.100.13")).await;
    assert!(
        matches!(&r, Err(ProviderError::Api(m)) if m.contains("noip")),
        "{r:?}"
    );
    assert!(e.fake.requests().is_empty());
}
