//! The rfc2136 provider against a real BIND 9 (`named`) started by the test: signed lookups
//! and updates with TSIG keys of each algorithm, driven through the trait as the sync layer
//! does, then checked with plain DNS queries. Also: no change sends no UPDATE, wrong keys are
//! reported as Auth, and a zone the key may not update is a clear Permission error.
#[path = "fakes/harness.rs"]
mod harness;
mod servers;

use std::net::SocketAddr;

use ddns_rs::config::Domain;
use ddns_rs::provider::{Lookup, Plan, Provider, ProviderError, RecordType};
use harness::{Creds, ip, sync};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType as Wire;
use servers::{Bind, secret_of};

fn provider(server: SocketAddr, key: &str, secret: &str, ttl: &str) -> Box<dyn Provider> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Creds::new(key, secret)
        .extparam(&server.to_string())
        .ttl(ttl)
        .build_at("rfc2136", None)
}

fn dom(sub: &str, root: &str) -> Domain {
    harness::dom(sub, root, &[])
}

#[tokio::test]
async fn creates_and_updates_with_every_algorithm() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    for (i, key) in [
        "key-sha256",
        "key-sha512",
        "key-md5",
        "key-sha1",
        "key-sha384",
    ]
    .iter()
    .enumerate()
    {
        let p = provider(bind.addr, key, &secret_of(key), "120");
        let d = dom(&format!("new{i}"), "example.test");
        let name = format!("new{i}.example.test");
        assert!(servers::query(bind.addr, &name, Wire::A).await.1.is_empty());
        // Missing → created.
        assert_eq!(
            sync(&*p, &d, ip("198.51.100.1")).await.unwrap(),
            Plan::Create,
            "{key}"
        );
        assert_eq!(
            servers::query(bind.addr, &name, Wire::A).await,
            (ResponseCode::NoError, vec![ip("198.51.100.1")]),
            "{key}"
        );
        // Stale → updated (the RRset is replaced, not appended to).
        let plan = sync(&*p, &d, ip("198.51.100.2")).await.unwrap();
        assert!(matches!(plan, Plan::Update { .. }), "{key}: {plan:?}");
        assert_eq!(
            servers::query(bind.addr, &name, Wire::A).await.1,
            vec![ip("198.51.100.2")]
        );
        // IPv6 on the same name leaves the A record alone.
        assert_eq!(
            sync(&*p, &d, ip("2001:db8::7")).await.unwrap(),
            Plan::Create
        );
        assert_eq!(
            servers::query(bind.addr, &name, Wire::AAAA).await.1,
            vec![ip("2001:db8::7")]
        );
        assert_eq!(
            servers::query(bind.addr, &name, Wire::A).await.1,
            vec![ip("198.51.100.2")]
        );
    }
    assert!(
        bind.log().contains("key-md5"),
        "updates were signed with each key"
    );
}

#[tokio::test]
async fn lookup_reads_the_records_and_no_change_sends_no_update() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let p = provider(bind.addr, "key-sha256", &secret_of("key-sha256"), "");
    let d = dom("same", "example.test");
    match p.lookup(&d, RecordType::A).await.unwrap() {
        Lookup::Found { records, .. } => {
            let v: Vec<&str> = records.iter().map(|r| r.value.as_str()).collect();
            assert_eq!(v, ["192.0.2.50"]);
            assert_eq!(records[0].ttl, Some(300));
        }
        other => panic!("{other:?}"),
    }
    let serial = servers::serial(bind.addr, "example.test").await;
    let before = bind.updates_approved();
    let plan = sync(&*p, &d, ip("192.0.2.50")).await.unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }), "{plan:?}");
    // Written differently, the same IPv6 address is no change either.
    let plan = sync(&*p, &d, ip("2001:0db8:0:0::50")).await.unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }), "{plan:?}");
    assert_eq!(
        bind.updates_approved(),
        before,
        "no UPDATE may reach the server"
    );
    assert_eq!(servers::serial(bind.addr, "example.test").await, serial);
    // A real change is one approved UPDATE and a new serial.
    sync(&*p, &d, ip("192.0.2.51")).await.unwrap();
    assert_eq!(bind.updates_approved(), before + 1);
    assert!(servers::serial(bind.addr, "example.test").await > serial);
}

#[tokio::test]
async fn an_rrset_of_several_records_is_replaced_by_the_address() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let p = provider(bind.addr, "key-sha512", &secret_of("key-sha512"), "");
    let d = dom("two", "example.test");
    // One of the two is already right: still a change, the other must go.
    let plan = sync(&*p, &d, ip("192.0.2.1")).await.unwrap();
    assert!(
        matches!(plan, Plan::Update { ref records } if records.len() == 2),
        "{plan:?}"
    );
    assert_eq!(
        servers::query(bind.addr, "two.example.test", Wire::A)
            .await
            .1,
        vec![ip("192.0.2.1")]
    );
}

#[tokio::test]
async fn apex_and_wildcard() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let p = provider(bind.addr, "key-sha256", &secret_of("key-sha256"), "60");
    sync(&*p, &dom("", "example.test"), ip("203.0.113.10"))
        .await
        .unwrap();
    assert_eq!(
        servers::query(bind.addr, "example.test", Wire::A).await.1,
        vec![ip("203.0.113.10")]
    );
    sync(&*p, &dom("*", "example.test"), ip("203.0.113.11"))
        .await
        .unwrap();
    assert_eq!(
        servers::query(bind.addr, "anything.example.test", Wire::A)
            .await
            .1,
        vec![ip("203.0.113.11")]
    );
    // The apex SOA survived the A write at the apex, with a new serial.
    assert!(servers::serial(bind.addr, "example.test").await > 1);
}

#[tokio::test]
async fn wrong_keys_are_auth_errors_and_change_nothing() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let d = dom("old", "example.test");
    let serial = servers::serial(bind.addr, "example.test").await;
    // Right name, wrong secret → BADSIG.
    let p = provider(
        bind.addr,
        "key-sha256",
        "hmac-sha256:d3Jvbmcgc2VjcmV0IQ==",
        "",
    );
    let e = sync(&*p, &d, ip("192.0.2.99")).await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::Auth(m) if m.contains("BADSIG")),
        "{e}"
    );
    // Unknown key name → BADKEY.
    let p = provider(bind.addr, "nobody", &secret_of("key-sha256"), "");
    let e = sync(&*p, &d, ip("192.0.2.99")).await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::Auth(m) if m.contains("BADKEY")),
        "{e}"
    );
    // Right secret, wrong algorithm → BADKEY too (the key is name + algorithm).
    let (_, _, b64) = servers::KEYS[0];
    let p = provider(bind.addr, "key-sha256", &format!("hmac-sha512:{b64}"), "");
    let e = sync(&*p, &d, ip("192.0.2.99")).await.unwrap_err();
    assert!(matches!(e, ProviderError::Auth(_)), "{e}");
    // A malformed secret never reaches the network.
    let p = provider(bind.addr, "key-sha256", "c2VjcmV0", "");
    let e = sync(&*p, &d, ip("192.0.2.99")).await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::Auth(m) if m.contains("algorithm:base64")),
        "{e}"
    );
    assert_eq!(
        servers::query(bind.addr, "old.example.test", Wire::A)
            .await
            .1,
        vec![ip("192.0.2.1")]
    );
    assert_eq!(servers::serial(bind.addr, "example.test").await, serial);
    assert_eq!(bind.updates_approved(), 0);
}

#[tokio::test]
async fn a_zone_the_key_may_not_update_or_the_server_does_not_serve() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    // other-key is valid but only for other.test.
    let p = provider(bind.addr, "other-key", &secret_of("other-key"), "");
    let e = sync(&*p, &dom("old", "example.test"), ip("192.0.2.99"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Permission(m) if m.contains("REFUSED")),
        "{e}"
    );
    assert_eq!(
        servers::query(bind.addr, "old.example.test", Wire::A)
            .await
            .1,
        vec![ip("192.0.2.1")]
    );
    // …and it can update other.test.
    sync(&*p, &dom("www", "other.test"), ip("192.0.2.98"))
        .await
        .unwrap();
    assert_eq!(
        servers::query(bind.addr, "www.other.test", Wire::A).await.1,
        vec![ip("192.0.2.98")]
    );
    // A zone the server does not serve.
    let p = provider(bind.addr, "key-sha256", &secret_of("key-sha256"), "");
    let e = sync(&*p, &dom("www", "nowhere.test"), ip("192.0.2.97"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::ZoneNotFound(m) if m.contains("nowhere.test")),
        "{e}"
    );
}

#[tokio::test]
async fn a_silent_server_is_a_transport_error() {
    // Nothing listens on this port.
    let port = servers::free_port();
    let p = provider(
        format!("127.0.0.1:{port}").parse().unwrap(),
        "k",
        "hmac-sha256:c2VjcmV0",
        "",
    );
    let e = p
        .lookup(&dom("www", "example.test"), RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(e, ProviderError::Transport(_)), "{e}");
}

#[tokio::test]
async fn a_truncated_answer_is_fetched_again_over_tcp() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let p = provider(bind.addr, "key-sha256", &secret_of("key-sha256"), "");
    let d = dom("many", "example.test");
    let Lookup::Found { records, .. } = p.lookup(&d, RecordType::A).await.unwrap() else {
        panic!("no records")
    };
    assert_eq!(records.len(), 60, "the whole RRset, read over TCP");
    sync(&*p, &d, ip("198.18.1.1")).await.unwrap();
    assert_eq!(
        servers::query(bind.addr, "many.example.test", Wire::A)
            .await
            .1,
        vec![ip("198.18.1.1")]
    );
}

#[tokio::test]
async fn update_policy_limits_the_key_to_its_names() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let p = provider(bind.addr, "key-sha256", &secret_of("key-sha256"), "");
    sync(&*p, &dom("www", "policy.test"), ip("192.0.2.80"))
        .await
        .unwrap();
    sync(&*p, &dom("www", "policy.test"), ip("2001:db8::80"))
        .await
        .unwrap();
    assert_eq!(
        servers::query(bind.addr, "www.policy.test", Wire::AAAA)
            .await
            .1,
        vec![ip("2001:db8::80")]
    );
    let e = sync(&*p, &dom("mail", "policy.test"), ip("192.0.2.81"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Permission(m) if m.contains("update-policy")),
        "{e}"
    );
    assert!(
        servers::query(bind.addr, "mail.policy.test", Wire::A)
            .await
            .1
            .is_empty()
    );
}
