//! The powerdns provider against a real PowerDNS Authoritative (`pdns_server`, gsqlite3
//! backend) started by the test, with its HTTP API behind a recording pass-through: records
//! are created and updated, then resolve over DNS; no change sends only the GET; a wrong API
//! key is Auth; an unknown zone is ZoneNotFound.
#[path = "fakes/harness.rs"]
mod harness;
mod servers;

use ddns_rs::config::Domain;
use ddns_rs::provider::{Lookup, Plan, Provider, ProviderError, RecordType};
use harness::{Creds, ip, sync};
use hickory_proto::rr::RecordType as Wire;
use servers::{Pdns, Recorder};

fn provider(api: &str, key: &str, server: &str, ttl: &str) -> Box<dyn Provider> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Creds::new(api, key)
        .extparam(server)
        .ttl(ttl)
        .build_at("powerdns", None)
}

fn dom(sub: &str, root: &str) -> Domain {
    harness::dom(sub, root, &[])
}

#[tokio::test]
async fn creates_updates_and_leaves_correct_records_alone() {
    let Some(pdns) = Pdns::start(&["example.org"]).await else {
        return;
    };
    pdns.seed("example.org", "old.example.org", "A", &["192.0.2.1"])
        .await;
    pdns.seed("example.org", "same.example.org", "AAAA", &["2001:db8::50"])
        .await;
    let rec = Recorder::start(&pdns.api).await;
    // Trailing slash and an empty server id (→ localhost) are accepted.
    let p = provider(&format!("{}/", rec.url), &pdns.key, "", "120");

    assert_eq!(
        sync(&*p, &dom("new", "example.org"), ip("198.51.100.1"))
            .await
            .unwrap(),
        Plan::Create
    );
    let plan = sync(&*p, &dom("old", "example.org"), ip("198.51.100.2"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }), "{plan:?}");
    assert_eq!(rec.methods(), ["GET", "PATCH", "GET", "PATCH"]);
    assert_eq!(
        rec.requests()[0].1,
        "/api/v1/servers/localhost/zones/example.org.?rrset_name=new.example.org.&rrset_type=A"
    );
    assert_eq!(
        rec.requests()[1].1,
        "/api/v1/servers/localhost/zones/example.org."
    );
    assert_eq!(
        servers::query(pdns.dns, "new.example.org", Wire::A).await.1,
        vec![ip("198.51.100.1")]
    );
    assert_eq!(
        servers::query(pdns.dns, "old.example.org", Wire::A).await.1,
        vec![ip("198.51.100.2")]
    );

    // No change, IPv6 written differently: only the GET.
    let plan = sync(&*p, &dom("same", "example.org"), ip("2001:0db8::0:50"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }), "{plan:?}");
    assert_eq!(rec.methods().len(), 5);
    assert_eq!(rec.methods()[4], "GET");

    // The TTL went through.
    match p
        .lookup(&dom("new", "example.org"), RecordType::A)
        .await
        .unwrap()
    {
        Lookup::Found { records, .. } => assert_eq!(records[0].ttl, Some(120)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn apex_wildcard_and_ipv6() {
    let Some(pdns) = Pdns::start(&["example.org"]).await else {
        return;
    };
    let p = provider(&pdns.api, &pdns.key, "localhost", "");
    sync(&*p, &dom("", "example.org"), ip("203.0.113.10"))
        .await
        .unwrap();
    sync(&*p, &dom("*", "example.org"), ip("203.0.113.11"))
        .await
        .unwrap();
    sync(&*p, &dom("v6", "example.org"), ip("2001:db8::6"))
        .await
        .unwrap();
    assert_eq!(
        servers::query(pdns.dns, "example.org", Wire::A).await.1,
        vec![ip("203.0.113.10")]
    );
    assert_eq!(
        servers::query(pdns.dns, "x.example.org", Wire::A).await.1,
        vec![ip("203.0.113.11")]
    );
    assert_eq!(
        servers::query(pdns.dns, "v6.example.org", Wire::AAAA)
            .await
            .1,
        vec![ip("2001:db8::6")]
    );
    // The apex SOA/NS survived the A write.
    assert!(servers::serial(pdns.dns, "example.org").await > 0);
}

#[tokio::test]
async fn an_rrset_with_other_records_is_replaced() {
    let Some(pdns) = Pdns::start(&["example.org"]).await else {
        return;
    };
    pdns.seed(
        "example.org",
        "two.example.org",
        "A",
        &["192.0.2.1", "192.0.2.2"],
    )
    .await;
    let p = provider(&pdns.api, &pdns.key, "", "");
    let plan = sync(&*p, &dom("two", "example.org"), ip("192.0.2.1"))
        .await
        .unwrap();
    assert!(
        matches!(plan, Plan::Update { ref records } if records.len() == 2),
        "{plan:?}"
    );
    assert_eq!(
        servers::query(pdns.dns, "two.example.org", Wire::A).await.1,
        vec![ip("192.0.2.1")]
    );
}

#[tokio::test]
async fn errors_are_classified() {
    let Some(pdns) = Pdns::start(&["example.org"]).await else {
        return;
    };
    let rec = Recorder::start(&pdns.api).await;
    let p = provider(&rec.url, "wrong-key", "", "");
    let e = sync(&*p, &dom("www", "example.org"), ip("192.0.2.9"))
        .await
        .unwrap_err();
    assert!(matches!(e, ProviderError::Auth(_)), "{e}");
    assert_eq!(rec.methods(), ["GET"], "no write after a refused key");
    assert!(!e.to_string().contains("wrong-key"));

    let p = provider(&pdns.api, &pdns.key, "", "");
    let e = sync(&*p, &dom("www", "missing.org"), ip("192.0.2.9"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::ZoneNotFound(m) if m.contains("missing.org")),
        "{e}"
    );

    let p = provider(&pdns.api, &pdns.key, "no-such-server", "");
    let e = sync(&*p, &dom("www", "example.org"), ip("192.0.2.9"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ProviderError::ZoneNotFound(_) | ProviderError::Api(_)),
        "{e}"
    );

    let p = provider("127.0.0.1:8081", &pdns.key, "", "");
    let e = sync(&*p, &dom("www", "example.org"), ip("192.0.2.9"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Api(m) if m.contains("http://")),
        "{e}"
    );
    assert!(
        servers::query(pdns.dns, "www.example.org", Wire::A)
            .await
            .1
            .is_empty()
    );
}
