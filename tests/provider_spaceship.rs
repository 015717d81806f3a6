//! The Spaceship provider against the fake Spaceship API, driven through the trait the way the
//! sync layer drives it. Records are matched by type and by name (`@` for the apex).
mod fakes;

use std::sync::Arc;
use std::time::Duration;

use ddns_rs::provider::{Plan, Provider, ProviderError};
use fakes::body_json;
use fakes::harness::assert_zone_not_found;
use fakes::p2zone::{Fault, dom, provider, sync};
use fakes::spaceship::FakeSpaceship;
use serde_json::json;

const KEY: &str = "ss-key";
const SECRET: &str = "ss-secret";

async fn env_with(secret: &str, ttl: &str) -> (Arc<FakeSpaceship>, Box<dyn Provider>) {
    let fake = FakeSpaceship::new(KEY, SECRET);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    (fake.clone(), provider("spaceship", addr, KEY, secret, ttl))
}

async fn env() -> (Arc<FakeSpaceship>, Box<dyn Provider>) {
    env_with(SECRET, "").await
}

#[tokio::test]
async fn creates_a_missing_record() {
    let (f, p) = env().await;
    f.seed("example.com", "www.example.com", "AAAA", "2001:db8::1");
    f.seed("example.com", "other.example.com", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.10")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create, "an AAAA record of the name is not ours");
    let reqs = f.requests();
    assert_eq!(
        reqs[0].uri,
        "/api/v1/dns/records/example.com?take=500&skip=0"
    );
    for r in &reqs {
        assert_eq!(r.header("x-api-key"), Some(KEY));
        assert_eq!(r.header("x-api-secret"), Some(SECRET));
    }
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].method, "PUT");
    assert_eq!(
        body_json(&reqs[1]),
        json!({"force": true, "items": [{"type": "A", "name": "www", "address": "192.0.2.10", "ttl": 600}]})
    );
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.10"]);
    assert_eq!(f.values("www.example.com", "AAAA"), vec!["2001:db8::1"]);
}

#[tokio::test]
async fn update_adds_the_new_address_then_removes_the_stale_one() {
    let (f, p) = env_with(SECRET, "1800").await;
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.2")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    let w = f.writes();
    assert_eq!(
        w.iter().map(|s| s.method.as_str()).collect::<Vec<_>>(),
        vec!["PUT", "DELETE"]
    );
    assert_eq!(body_json(&w[0])["items"][0]["ttl"], 1800);
    assert_eq!(
        body_json(&w[1]),
        json!([{"type": "A", "name": "www", "address": "192.0.2.1"}])
    );
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.2"]);
}

#[tokio::test]
async fn a_present_address_is_kept_and_only_stale_ones_go() {
    let (f, p) = env().await;
    f.seed("example.com", "www.example.com", "A", "192.0.2.9");
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    sync(&*p, &dom("www", "example.com", &[]), "192.0.2.9")
        .await
        .unwrap();
    let w = f.writes();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].method, "DELETE");
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.9"]);
}

#[tokio::test]
async fn unchanged_address_sends_only_the_lookup() {
    let (f, p) = env().await;
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap();
    assert_eq!(
        plan,
        Plan::NoChange {
            current: "192.0.2.1".into()
        }
    );
    assert_eq!(f.requests().len(), 1);
}

#[tokio::test]
async fn apex_is_matched_as_at() {
    let (f, p) = env().await;
    f.seed("example.com", "example.com", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap();
    assert!(
        matches!(plan, Plan::NoChange { .. }),
        "ddns-go never found the apex: {plan:?}"
    );
    sync(&*p, &dom("", "example.com", &[]), "192.0.2.3")
        .await
        .unwrap();
    let w = f.writes();
    assert_eq!(body_json(&w[0])["items"][0]["name"], "@");
    assert_eq!(body_json(&w[1])[0]["name"], "@");
    assert_eq!(f.values("example.com", "A"), vec!["192.0.2.3"]);
}

#[tokio::test]
async fn wildcard_and_ipv6_with_equal_spellings() {
    let (f, p) = env().await;
    f.seed(
        "example.com",
        "*.example.com",
        "AAAA",
        "2001:0db8:0:0::0001",
    );
    let plan = sync(&*p, &dom("*", "example.com", &[]), "2001:db8::1")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    sync(&*p, &dom("*", "example.com", &[]), "2001:db8::2")
        .await
        .unwrap();
    assert_eq!(f.values("*.example.com", "AAAA"), vec!["2001:db8::2"]);
}

#[tokio::test]
async fn large_zones_are_read_page_by_page() {
    let (f, p) = env().await;
    for i in 0..520 {
        f.seed(
            "example.com",
            &format!("h{i}.example.com"),
            "A",
            "192.0.2.50",
        );
    }
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }), "{plan:?}");
    let uris: Vec<String> = f.requests().iter().map(|s| s.uri.clone()).collect();
    assert_eq!(
        uris,
        vec![
            "/api/v1/dns/records/example.com?take=500&skip=0",
            "/api/v1/dns/records/example.com?take=500&skip=500"
        ]
    );
}

#[tokio::test]
async fn errors_are_classified_and_nothing_is_written() {
    let (f, p) = env_with("bad", "").await;
    let err = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(matches!(&err, ProviderError::Auth(_)), "{err:?}");
    assert!(!err.to_string().contains("bad"));
    let (f2, p2) = env().await;
    assert_zone_not_found(&*p2, "example.net", "192.0.2.1").await;
    f2.fail_next(Fault::rate_limit(r#"{"detail":"Too many requests"}"#, 60));
    let err = sync(&*p2, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::RateLimited { retry_after: Some(d), .. } if *d == Duration::from_secs(60))
    );
    f2.fail_next(Fault::json(403, r#"{"detail":"Forbidden"}"#));
    let err = sync(&*p2, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(matches!(&err, ProviderError::Permission(_)), "{err:?}");
    let (_, p3) = env_with(SECRET, "30").await;
    let err = sync(&*p3, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("422")),
        "{err:?}"
    );
    assert!(f.writes().is_empty() && f2.writes().is_empty());
}
