//! The GoDaddy provider against the fake GoDaddy API, driven through the trait the way the
//! sync layer drives it. GoDaddy is read before it is written (ddns-go was change-only).
mod fakes;

use std::sync::Arc;
use std::time::Duration;

use ddns_rs::provider::{Lookup, Plan, Provider, ProviderError, RecordType};
use fakes::body_json;
use fakes::godaddy::FakeGoDaddy;
use fakes::harness::assert_zone_not_found;
use fakes::p2zone::{Fault, dom, provider, sync};

const KEY: &str = "gd-key";
const SECRET: &str = "gd-secret";

async fn env_with(secret: &str, ttl: &str) -> (Arc<FakeGoDaddy>, Box<dyn Provider>) {
    let fake = FakeGoDaddy::new(KEY, SECRET);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    (fake.clone(), provider("godaddy", addr, KEY, secret, ttl))
}

async fn env() -> (Arc<FakeGoDaddy>, Box<dyn Provider>) {
    env_with(SECRET, "").await
}

#[tokio::test]
async fn creates_a_missing_record_after_reading() {
    let (f, p) = env().await;
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.10")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let reqs = f.requests();
    let lines: Vec<String> = reqs
        .iter()
        .map(|s| format!("{} {}", s.method, s.uri))
        .collect();
    assert_eq!(
        lines,
        vec![
            "GET /v1/domains/example.com/records/A/www",
            "PUT /v1/domains/example.com/records/A/www"
        ]
    );
    for r in &reqs {
        assert_eq!(r.header("authorization"), Some("sso-key gd-key:gd-secret"));
    }
    assert_eq!(
        body_json(&reqs[1]),
        serde_json::json!([{"data": "192.0.2.10", "ttl": 600}])
    );
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.10"]);
}

#[tokio::test]
async fn updates_a_stale_record_with_the_configured_ttl() {
    let (f, p) = env_with(SECRET, "1200").await;
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.2")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    let w = f.writes();
    assert_eq!(w.len(), 1);
    assert_eq!(body_json(&w[0])[0]["ttl"], 1200);
    let r = &f.records()[0];
    assert_eq!((r.value.as_str(), r.ttl), ("192.0.2.2", 1200));
}

#[tokio::test]
async fn unchanged_address_sends_only_the_lookup() {
    let (f, p) = env().await;
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let d = dom("www", "example.com", &[]);
    let l = p.lookup(&d, RecordType::A).await.unwrap();
    assert!(
        matches!(&l, Lookup::Found { records, .. } if records.len() == 1),
        "a real lookup, not change-only"
    );
    let plan = sync(&*p, &d, "192.0.2.1").await.unwrap();
    assert_eq!(
        plan,
        Plan::NoChange {
            current: "192.0.2.1".into()
        }
    );
    assert!(f.writes().is_empty());
    assert_eq!(f.requests().len(), 2);
}

#[tokio::test]
async fn apex_is_at_and_wildcard_keeps_the_star() {
    let (f, p) = env().await;
    sync(&*p, &dom("", "example.com", &[]), "192.0.2.3")
        .await
        .unwrap();
    assert_eq!(f.requests()[0].uri, "/v1/domains/example.com/records/A/@");
    assert_eq!(f.values("example.com", "A"), vec!["192.0.2.3"]);
    f.seed("example.com", "*.example.com", "A", "192.0.2.1");
    sync(&*p, &dom("*", "example.com", &[]), "192.0.2.4")
        .await
        .unwrap();
    assert_eq!(f.writes()[1].uri, "/v1/domains/example.com/records/A/*");
    assert_eq!(f.values("*.example.com", "A"), vec!["192.0.2.4"]);
}

#[tokio::test]
async fn ipv6_records_and_equal_spellings() {
    let (f, p) = env().await;
    sync(&*p, &dom("v6", "example.com", &[]), "2001:db8::1")
        .await
        .unwrap();
    assert_eq!(f.writes()[0].uri, "/v1/domains/example.com/records/AAAA/v6");
    f.seed(
        "example.com",
        "long.example.com",
        "AAAA",
        "2001:0db8:0:0::0001",
    );
    let plan = sync(&*p, &dom("long", "example.com", &[]), "2001:db8::1")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(f.writes().len(), 1);
}

#[tokio::test]
async fn a_set_with_a_stale_member_is_replaced_by_one_record() {
    let (f, p) = env().await;
    f.seed("example.com", "www.example.com", "A", "192.0.2.9");
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    sync(&*p, &dom("www", "example.com", &[]), "192.0.2.9")
        .await
        .unwrap();
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.9"]);
}

#[tokio::test]
async fn wrong_secret_is_an_auth_error_and_nothing_is_written() {
    let (f, p) = env_with("nope", "").await;
    let err = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("UNABLE_TO_AUTHENTICATE")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("nope"));
    assert_eq!(f.requests().len(), 1);
    assert!(f.records().is_empty());
}

#[tokio::test]
async fn unknown_zone_and_closed_api_are_reported() {
    let (f, p) = env().await;
    assert_zone_not_found(&*p, "example.net", "192.0.2.1").await;
    f.deny_api();
    let err = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Permission(m) if m.contains("10 or more domains")),
        "{err:?}"
    );
    assert!(f.writes().is_empty());
}

#[tokio::test]
async fn rate_limit_carries_retry_after_and_a_refused_write_is_reported() {
    let (f, p) = env().await;
    f.fail_next(Fault::rate_limit(
        r#"{"code":"TOO_MANY_REQUESTS","message":"Too many requests","retryAfterSec":30}"#,
        30,
    ));
    let err = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::RateLimited { retry_after: Some(d), .. } if *d == Duration::from_secs(30)),
        "{err:?}"
    );
    let (f2, p2) = env_with(SECRET, "300").await;
    let err = sync(&*p2, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("422 INVALID_VALUE")),
        "{err:?}"
    );
    assert!(f2.records().is_empty());
    assert!(f.writes().is_empty());
}
