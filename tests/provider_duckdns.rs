//! The duckdns provider against the strict fake (`tests/fakes/dyndns2.rs` serves DuckDNS's
//! `/update` too): each family by its own parameter, `KO` as Auth, and the token (which
//! travels in the query) never in an error.
mod fakes;

use std::net::SocketAddr;
use std::sync::Arc;

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

fn duck(e: &Env, token: &str) -> Box<dyn Provider> {
    provider("duckdns", "", token, "", Some(format!("http://{}", e.addr)))
}

#[tokio::test]
async fn duckdns_updates_each_family_by_its_own_parameter() {
    let e = env().await;
    let p = duck(&e, "duck-token-123");
    let d = dom("", "home.duckdns.org");
    assert_eq!(p.lookup(&d, RecordType::A).await.unwrap(), Lookup::Unknown);
    assert_eq!(
        sync(&*p, &d, ip("198.51.100.20")).await.unwrap(),
        Plan::Write
    );
    sync(&*p, &dom("www", "home.duckdns.org"), ip("2001:db8::20"))
        .await
        .unwrap();
    assert_eq!(
        e.fake.host("home").unwrap(),
        (Some(ip("198.51.100.20")), Some(ip("2001:db8::20")))
    );
    let reqs = e.fake.requests();
    assert_eq!(
        reqs[0].uri,
        "/update?domains=home&token=duck-token-123&ip=198.51.100.20"
    );
    assert_eq!(
        reqs[1].uri,
        "/update?domains=home&token=duck-token-123&ipv6=2001%3Adb8%3A%3A20"
    );
}

#[tokio::test]
async fn duckdns_ko_is_auth_and_never_shows_the_token() {
    let e = env().await;
    let p = duck(&e, "bad-token-456");
    let r = sync(&*p, &dom("", "home.duckdns.org"), ip("198.51.100.21")).await;
    let err = r.unwrap_err();
    assert!(matches!(err, ProviderError::Auth(_)), "{err}");
    assert!(
        !err.to_string().contains("bad-token-456") && !format!("{err:?}").contains("bad-token-456")
    );
    // A name outside duckdns.org is refused before sending.
    let p = duck(&e, "duck-token-123");
    let r = sync(&*p, &dom("www", "example.com"), ip("198.51.100.21")).await;
    assert!(matches!(r, Err(ProviderError::Api(_))), "{r:?}");
    assert_eq!(e.fake.requests().len(), 1);
    // Server trouble.
    e.fake.answer_next(500, "boom");
    let r = sync(&*p, &dom("", "home.duckdns.org"), ip("198.51.100.22")).await;
    assert!(matches!(r, Err(ProviderError::Api(_))), "{r:?}");
    // A transport error does not carry the URL (which holds the token).
    let port = servers_free_port();
    let p = provider(
        "duckdns",
        "",
        "secret-tok-789",
        "",
        Some(format!("http://127.0.0.1:{port}")),
    );
    let err = sync(&*p, &dom("", "home.duckdns.org"), ip("198.51.100.23"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Transport(_)), "{err}");
    assert!(!format!("{err:?}").contains("secret-tok-789"), "{err:?}");
}

fn servers_free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
