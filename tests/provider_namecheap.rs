//! The Namecheap dynamic DNS provider against the fake endpoint, driven through the trait the
//! way the sync layer drives it. Change-only and IPv4 only.
mod fakes;

use std::sync::Arc;

use ddns_rs::provider::{Lookup, Plan, Provider, ProviderError, RecordType};
use fakes::harness::assert_zone_not_found;
use fakes::namecheap::FakeNamecheap;
use fakes::p2zone::{Fault, dom, provider, query, sync};

/// A password with characters that must be escaped in a query.
const PASSWORD: &str = "p&ss=w#rd+1 %";

async fn env_with(password: &str) -> (Arc<FakeNamecheap>, Box<dyn Provider>) {
    let fake = FakeNamecheap::new();
    fake.add_domain("example.com", PASSWORD);
    fake.seed("example.com", "www.example.com", "192.0.2.1");
    fake.seed("example.com", "example.com", "192.0.2.1");
    fake.seed("example.com", "*.example.com", "192.0.2.1");
    let addr = fakes::serve_http(fake.router()).await;
    (fake.clone(), provider("namecheap", addr, "", password, ""))
}

async fn env() -> (Arc<FakeNamecheap>, Box<dyn Provider>) {
    env_with(PASSWORD).await
}

fn params(s: &fakes::Seen) -> Vec<(String, String)> {
    query(&s.uri.parse().unwrap())
}

#[tokio::test]
async fn lookup_is_unknown_and_the_write_escapes_every_value() {
    let (f, p) = env().await;
    let d = dom("www", "example.com", &[]);
    assert_eq!(p.lookup(&d, RecordType::A).await.unwrap(), Lookup::Unknown);
    assert!(
        f.requests().is_empty(),
        "nothing can be read, so nothing is asked"
    );
    let plan = sync(&*p, &d, "192.0.2.2").await.unwrap();
    assert_eq!(plan, Plan::Write);
    let reqs = f.requests();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].uri.starts_with("/update?"));
    assert_eq!(
        params(&reqs[0]),
        vec![
            ("host".into(), "www".into()),
            ("domain".into(), "example.com".into()),
            ("password".into(), PASSWORD.into()),
            ("ip".into(), "192.0.2.2".into()),
        ]
    );
    assert_eq!(f.values("www.example.com"), vec!["192.0.2.2"]);
}

#[tokio::test]
async fn apex_is_at_and_wildcard_keeps_the_star() {
    let (f, p) = env().await;
    sync(&*p, &dom("", "example.com", &[]), "192.0.2.3")
        .await
        .unwrap();
    sync(&*p, &dom("*", "example.com", &[]), "192.0.2.4")
        .await
        .unwrap();
    let hosts: Vec<String> = f
        .requests()
        .iter()
        .map(|s| params(s)[0].1.clone())
        .collect();
    assert_eq!(hosts, vec!["@", "*"]);
    assert_eq!(f.values("example.com"), vec!["192.0.2.3"]);
    assert_eq!(f.values("*.example.com"), vec!["192.0.2.4"]);
}

#[tokio::test]
async fn ipv6_is_unsupported_and_sends_nothing() {
    let (f, p) = env().await;
    let err = sync(&*p, &dom("www", "example.com", &[]), "2001:db8::1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Unsupported(m) if m.contains("IPv4")),
        "{err:?}"
    );
    // Even a direct apply refuses.
    let d = dom("www", "example.com", &[]);
    let err = p
        .apply(
            &d,
            RecordType::Aaaa,
            &Lookup::Unknown,
            &Plan::Write,
            "2001:db8::1".parse().unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Unsupported(_)));
    assert!(f.requests().is_empty());
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_without_the_password() {
    let (f, p) = env_with("wrong&pw").await;
    let err = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.2")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("Passwords do not match")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("wrong&pw"));
    assert_eq!(f.values("www.example.com"), vec!["192.0.2.1"]);
}

#[tokio::test]
async fn unknown_domain_and_missing_host_are_reported() {
    let (f, p) = env().await;
    assert_zone_not_found(&*p, "example.net", "192.0.2.2").await;
    let err = sync(&*p, &dom("new", "example.com", &[]), "192.0.2.2")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("A + Dynamic DNS")),
        "{err:?}"
    );
    assert_eq!(f.records().len(), 3, "nothing is created");
}

#[tokio::test]
async fn malformed_or_failed_answers_are_errors() {
    let (f, p) = env().await;
    let d = dom("www", "example.com", &[]);
    f.fail_next(Fault::xml(
        200,
        "<html><body>Service Unavailable</body></html>",
    ));
    assert!(matches!(
        sync(&*p, &d, "192.0.2.2").await,
        Err(ProviderError::Api(_))
    ));
    f.fail_next(Fault::xml(503, &fakes::namecheap::ok_xml("192.0.2.2")));
    assert!(matches!(
        sync(&*p, &d, "192.0.2.2").await,
        Err(ProviderError::Api(_))
    ));
    f.fail_next(Fault::xml(200, "<interface-response><ErrCount>0"));
    assert!(matches!(
        sync(&*p, &d, "192.0.2.2").await,
        Err(ProviderError::Api(_))
    ));
}
