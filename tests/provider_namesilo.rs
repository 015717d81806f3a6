//! The NameSilo provider against the fake NameSilo API, driven through the trait the way the
//! sync layer drives it. Records are matched by full host name (ddns-go's duplicate bug).
mod fakes;

use std::sync::Arc;
use std::time::Duration;

use ddns_rs::provider::{Plan, Provider, ProviderError};
use fakes::harness::assert_zone_not_found;
use fakes::namesilo::{FakeNameSilo, reply_xml};
use fakes::p2zone::{Fault, dom, provider, query, sync};

const KEY: &str = "ns-key-123";

async fn env_with(key: &str, ttl: &str) -> (Arc<FakeNameSilo>, Box<dyn Provider>) {
    let fake = FakeNameSilo::new(KEY);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    (fake.clone(), provider("namesilo", addr, "", key, ttl))
}

async fn env() -> (Arc<FakeNameSilo>, Box<dyn Provider>) {
    env_with(KEY, "").await
}

fn params(s: &fakes::Seen) -> Vec<(String, String)> {
    query(&s.uri.parse().unwrap())
}

fn get(s: &fakes::Seen, k: &str) -> Option<String> {
    params(s).into_iter().find(|(n, _)| n == k).map(|(_, v)| v)
}

#[tokio::test]
async fn creates_a_missing_record_with_ttl_3600() {
    let (f, p) = env().await;
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.10")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(f.operations(), vec!["dnsListRecords", "dnsAddRecord"]);
    let reqs = f.requests();
    for r in &reqs {
        assert_eq!(get(r, "version").as_deref(), Some("1"));
        assert_eq!(get(r, "type").as_deref(), Some("xml"));
        assert_eq!(get(r, "key").as_deref(), Some(KEY));
        assert_eq!(get(r, "domain").as_deref(), Some("example.com"));
    }
    assert_eq!(get(&reqs[1], "rrhost").as_deref(), Some("www"));
    assert_eq!(get(&reqs[1], "rrtype").as_deref(), Some("A"));
    assert_eq!(get(&reqs[1], "rrvalue").as_deref(), Some("192.0.2.10"));
    assert_eq!(get(&reqs[1], "rrttl").as_deref(), Some("3600"));
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.10"]);
}

#[tokio::test]
async fn an_existing_record_is_found_by_its_full_name_and_updated_not_duplicated() {
    // A configured TTL below NameSilo's minimum does not break the write.
    let (f, p) = env_with(KEY, "600").await;
    let id = f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    f.seed("example.com", "www.example.com", "AAAA", "2001:db8::1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.2")
        .await
        .unwrap();
    assert!(matches!(&plan, Plan::Update { records } if records.len() == 1 && records[0].id == id));
    assert_eq!(f.operations(), vec!["dnsListRecords", "dnsUpdateRecord"]);
    let w = &f.writes()[0];
    assert_eq!(get(w, "rrid").as_deref(), Some(id.as_str()));
    assert_eq!(get(w, "rrhost").as_deref(), Some("www"));
    assert_eq!(get(w, "rrttl").as_deref(), Some("3600"));
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.2"]);
    assert_eq!(f.records().len(), 2, "no duplicate was added");
    assert_eq!(f.values("www.example.com", "AAAA"), vec!["2001:db8::1"]);
    // The record got a new id; the next run finds it again and writes nothing.
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.2")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(f.writes().len(), 1);
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
    assert_eq!(f.operations(), vec!["dnsListRecords"]);
}

#[tokio::test]
async fn apex_and_wildcard() {
    let (f, p) = env().await;
    f.seed("example.com", "example.com", "A", "192.0.2.1");
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    sync(&*p, &dom("", "example.com", &[]), "192.0.2.3")
        .await
        .unwrap();
    let w = &f.writes()[0];
    assert_eq!(
        get(w, "rrhost").as_deref(),
        Some(""),
        "the apex host is empty"
    );
    assert_eq!(f.values("example.com", "A"), vec!["192.0.2.3"]);
    assert_eq!(
        f.values("www.example.com", "A"),
        vec!["192.0.2.1"],
        "only the apex"
    );
    sync(&*p, &dom("*", "example.com", &[]), "192.0.2.4")
        .await
        .unwrap();
    assert_eq!(f.values("*.example.com", "A"), vec!["192.0.2.4"]);
}

#[tokio::test]
async fn ipv6_records_and_equal_spellings() {
    let (f, p) = env().await;
    sync(&*p, &dom("v6", "example.com", &[]), "2001:db8::1")
        .await
        .unwrap();
    assert_eq!(get(&f.writes()[0], "rrtype").as_deref(), Some("AAAA"));
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
async fn wrong_key_is_an_auth_error_without_the_key() {
    let (f, p) = env_with("bad-key", "").await;
    let err = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("code 110")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("bad-key"));
    assert!(f.writes().is_empty());
}

#[tokio::test]
async fn unknown_zone_rate_limit_and_malformed_answers() {
    let (f, p) = env().await;
    assert_zone_not_found(&*p, "example.net", "192.0.2.1").await;
    let d = dom("www", "example.com", &[]);
    f.fail_next(Fault::rate_limit("", 15));
    let err = sync(&*p, &d, "192.0.2.1").await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::RateLimited { retry_after: Some(t), .. } if *t == Duration::from_secs(15))
    );
    f.fail_next(Fault::xml(
        200,
        &reply_xml(
            "dnsListRecords",
            400,
            "Existing API request is still processing",
            "",
        ),
    ));
    assert!(matches!(
        sync(&*p, &d, "192.0.2.1").await,
        Err(ProviderError::RateLimited { .. })
    ));
    for bad in [
        "",
        "<html>oops</html>",
        "<namesilo><reply><code>300</code>",
        "<namesilo><code>300</code></namesilo>",
    ] {
        f.fail_next(Fault::xml(200, bad));
        assert!(
            matches!(sync(&*p, &d, "192.0.2.1").await, Err(ProviderError::Api(_))),
            "{bad}"
        );
    }
    // A failed add is an error, not a success.
    f.fail_next(Fault::xml(
        200,
        &reply_xml("dnsListRecords", 300, "success", ""),
    ));
    f.fail_next(Fault::xml(
        200,
        &reply_xml("dnsAddRecord", 280, "DNS modification error", ""),
    ));
    assert!(
        matches!(sync(&*p, &d, "192.0.2.1").await, Err(ProviderError::Api(m)) if m.contains("280"))
    );
    assert!(f.records().is_empty());
}

#[tokio::test]
async fn idn_names_are_matched_and_sent_as_punycode() {
    let (f, p) = env().await;
    f.add_zone("xn--bcher-kva.de");
    f.seed("xn--bcher-kva.de", "www.xn--bcher-kva.de", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "bücher.de", &[]), "192.0.2.6")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }), "{plan:?}");
    assert_eq!(
        get(&f.writes()[0], "domain").as_deref(),
        Some("xn--bcher-kva.de")
    );
    assert_eq!(f.values("www.xn--bcher-kva.de", "A"), vec!["192.0.2.6"]);
    assert_eq!(f.records().len(), 1);
}
