//! The Dynadot dynamic DNS provider against the fake endpoint, driven through the trait the way
//! the sync layer drives it. Change-only.
mod fakes;

use std::sync::Arc;
use std::time::Duration;

use ddns_rs::provider::{Lookup, Plan, Provider, ProviderError, RecordType};
use fakes::dynadot::FakeDynadot;
use fakes::p2zone::{Fault, dom, provider, query, sync};

const PASSWORD: &str = "dd&pw#1";

async fn env_with(password: &str, ttl: &str) -> (Arc<FakeDynadot>, Box<dyn Provider>) {
    let fake = FakeDynadot::new();
    fake.add_domain("example.com", PASSWORD);
    let addr = fakes::serve_http(fake.router()).await;
    (fake.clone(), provider("dynadot", addr, "", password, ttl))
}

async fn env() -> (Arc<FakeDynadot>, Box<dyn Provider>) {
    env_with(PASSWORD, "").await
}

fn params(s: &fakes::Seen) -> Vec<(String, String)> {
    query(&s.uri.parse().unwrap())
}

#[tokio::test]
async fn lookup_is_unknown_and_one_write_sets_the_name() {
    let (f, p) = env().await;
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let d = dom("www", "example.com", &[]);
    assert_eq!(p.lookup(&d, RecordType::A).await.unwrap(), Lookup::Unknown);
    assert!(f.requests().is_empty());
    assert_eq!(sync(&*p, &d, "192.0.2.2").await.unwrap(), Plan::Write);
    let reqs = f.requests();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].uri.starts_with("/set_ddns?"));
    assert_eq!(
        params(&reqs[0]),
        vec![
            ("domain".into(), "example.com".into()),
            ("subDomain".into(), "www".into()),
            ("type".into(), "A".into()),
            ("ip".into(), "192.0.2.2".into()),
            ("pwd".into(), PASSWORD.into()),
            ("ttl".into(), "600".into()),
            ("containRoot".into(), "false".into()),
        ]
    );
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.2"]);
}

#[tokio::test]
async fn missing_names_are_created_with_the_configured_ttl() {
    let (f, p) = env_with(PASSWORD, "300").await;
    sync(&*p, &dom("new", "example.com", &[]), "192.0.2.5")
        .await
        .unwrap();
    let r = &f.records()[0];
    assert_eq!(
        (r.name.as_str(), r.value.as_str(), r.ttl),
        ("new.example.com", "192.0.2.5", 300)
    );
}

#[tokio::test]
async fn apex_wildcard_ipv6_and_custom_params() {
    let (f, p) = env().await;
    sync(&*p, &dom("", "example.com", &[]), "192.0.2.3")
        .await
        .unwrap();
    let q = params(&f.requests()[0]);
    assert!(q.contains(&("subDomain".into(), "@".into())));
    assert!(q.contains(&("containRoot".into(), "true".into())));
    assert_eq!(f.values("example.com", "A"), vec!["192.0.2.3"]);
    sync(&*p, &dom("*", "example.com", &[]), "2001:db8::1")
        .await
        .unwrap();
    assert_eq!(f.values("*.example.com", "AAAA"), vec!["2001:db8::1"]);
    // A param is added; one that names a fixed field cannot replace it.
    sync(
        &*p,
        &dom(
            "www",
            "example.com",
            &[("extra", "1"), ("pwd", "x"), ("ip", "10.0.0.1")],
        ),
        "192.0.2.7",
    )
    .await
    .unwrap();
    let q = params(&f.requests()[2]);
    assert!(q.contains(&("extra".into(), "1".into())));
    assert_eq!(q.iter().filter(|(k, _)| k == "pwd" || k == "ip").count(), 2);
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.7"]);
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_without_the_password() {
    let (f, p) = env_with("wrong-pw", "").await;
    let err = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.2")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("invalid password")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("wrong-pw"));
    assert!(f.records().is_empty());
}

#[tokio::test]
async fn failures_and_malformed_answers_are_errors() {
    let (f, p) = env().await;
    let d = dom("www", "example.com", &[]);
    let err = sync(&*p, &dom("www", "example.net", &[]), "192.0.2.2")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("domain not found")),
        "{err:?}"
    );
    f.fail_next(Fault::rate_limit("", 12));
    assert!(matches!(
        sync(&*p, &d, "192.0.2.2").await,
        Err(ProviderError::RateLimited { retry_after: Some(t), .. }) if t == Duration::from_secs(12)
    ));
    f.fail_next(Fault::json(200, "<html>maintenance</html>"));
    assert!(matches!(
        sync(&*p, &d, "192.0.2.2").await,
        Err(ProviderError::Api(_))
    ));
    f.fail_next(Fault::json(502, r#"{"error_code":0}"#));
    assert!(matches!(
        sync(&*p, &d, "192.0.2.2").await,
        Err(ProviderError::Api(_))
    ));
    assert!(f.records().is_empty());
}
