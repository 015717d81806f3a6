//! The Porkbun provider against the fake Porkbun API, driven through the trait the way the
//! sync layer drives it.
mod fakes;

use std::sync::Arc;
use std::time::Duration;

use ddns_rs::provider::{Plan, Provider, ProviderError};
use fakes::body_json;
use fakes::harness::assert_zone_not_found;
use fakes::p2zone::{Fault, dom, provider, sync};
use fakes::porkbun::FakePorkbun;
use serde_json::Value;

const KEY: &str = "pk1_abc";
const SECRET: &str = "sk1_xyz";

async fn env_with(key: &str, ttl: &str) -> (Arc<FakePorkbun>, Box<dyn Provider>) {
    let fake = FakePorkbun::new(KEY, SECRET);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    (fake.clone(), provider("porkbun", addr, key, SECRET, ttl))
}

async fn env() -> (Arc<FakePorkbun>, Box<dyn Provider>) {
    env_with(KEY, "").await
}

fn paths(f: &FakePorkbun) -> Vec<String> {
    f.requests().iter().map(|s| s.uri.clone()).collect()
}

#[tokio::test]
async fn creates_a_missing_record_with_keys_in_the_body() {
    let (f, p) = env().await;
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.10")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(
        paths(&f),
        vec![
            "/api/json/v3/dns/retrieveByNameType/example.com/A/www",
            "/api/json/v3/dns/create/example.com"
        ]
    );
    let reqs = f.requests();
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(body_json(r)["apikey"], KEY);
        assert_eq!(body_json(r)["secretapikey"], SECRET);
        assert!(!r.uri.contains(SECRET), "keys never go in the URL");
    }
    let b = body_json(&reqs[1]);
    assert_eq!(
        (b["name"].as_str(), b["type"].as_str()),
        (Some("www"), Some("A"))
    );
    assert_eq!(b["content"], "192.0.2.10");
    assert_eq!(b["ttl"], "600", "TTL is sent as a string, default 600");
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.10"]);
}

#[tokio::test]
async fn updates_a_stale_record_with_the_configured_ttl() {
    let (f, p) = env_with(KEY, "900").await;
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.2")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    let w = f.writes();
    assert_eq!(w.len(), 1);
    assert_eq!(
        w[0].uri,
        "/api/json/v3/dns/editByNameType/example.com/A/www"
    );
    assert_eq!(body_json(&w[0])["content"], "192.0.2.2");
    assert_eq!(body_json(&w[0])["ttl"], "900");
    let r = &f.records()[0];
    assert_eq!((r.value.as_str(), r.ttl), ("192.0.2.2", 900));
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
    assert!(f.writes().is_empty());
}

#[tokio::test]
async fn apex_uses_an_empty_sub_and_wildcard_keeps_the_star() {
    let (f, p) = env().await;
    sync(&*p, &dom("", "example.com", &[]), "192.0.2.3")
        .await
        .unwrap();
    assert_eq!(
        paths(&f)[0],
        "/api/json/v3/dns/retrieveByNameType/example.com/A/"
    );
    assert_eq!(body_json(&f.writes()[0])["name"], "");
    assert_eq!(f.values("example.com", "A"), vec!["192.0.2.3"]);
    f.seed("example.com", "*.example.com", "A", "192.0.2.1");
    sync(&*p, &dom("*", "example.com", &[]), "192.0.2.4")
        .await
        .unwrap();
    assert!(paths(&f).contains(&"/api/json/v3/dns/editByNameType/example.com/A/*".to_string()));
    assert_eq!(f.values("*.example.com", "A"), vec!["192.0.2.4"]);
}

#[tokio::test]
async fn ipv6_records_and_equal_spellings() {
    let (f, p) = env().await;
    assert_eq!(
        sync(&*p, &dom("v6", "example.com", &[]), "2001:db8::1")
            .await
            .unwrap(),
        Plan::Create
    );
    assert_eq!(body_json(&f.writes()[0])["type"], "AAAA");
    f.seed(
        "example.com",
        "long.example.com",
        "AAAA",
        "2001:0db8:0:0::0001",
    );
    let before = f.requests().len();
    let plan = sync(&*p, &dom("long", "example.com", &[]), "2001:db8::1")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(f.requests().len(), before + 1);
}

#[tokio::test]
async fn every_record_of_the_name_is_brought_in_line() {
    let (f, p) = env().await;
    f.seed("example.com", "www.example.com", "A", "192.0.2.9");
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.9")
        .await
        .unwrap();
    assert!(
        matches!(&plan, Plan::Update { records } if records.len() == 1 && records[0].value == "192.0.2.1")
    );
    assert_eq!(
        f.values("www.example.com", "A"),
        vec!["192.0.2.9", "192.0.2.9"]
    );
}

#[tokio::test]
async fn wrong_keys_are_an_auth_error_and_nothing_is_written() {
    let (f, p) = env_with("pk1_wrong", "").await;
    let err = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("Invalid API key")),
        "{err:?}"
    );
    assert!(!err.to_string().contains(SECRET));
    assert_eq!(f.requests().len(), 1);
    assert!(f.records().is_empty());
}

#[tokio::test]
async fn unknown_zone_and_closed_api_access_are_reported() {
    let (f, p) = env().await;
    assert_zone_not_found(&*p, "example.net", "192.0.2.1").await;
    f.add_zone("example.org");
    f.deny_api("example.org");
    let err = sync(&*p, &dom("www", "example.org", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Permission(m) if m.contains("API ACCESS")),
        "{err:?}"
    );
    assert!(f.writes().is_empty());
}

#[tokio::test]
async fn rate_limit_carries_retry_after_and_a_failed_write_is_an_error() {
    let (f, p) = env().await;
    f.fail_next(Fault::rate_limit(
        r#"{"status":"ERROR","message":"Rate limit exceeded."}"#,
        20,
    ));
    let err = sync(&*p, &dom("www", "example.com", &[]), "192.0.2.1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::RateLimited { retry_after: Some(d), .. } if *d == Duration::from_secs(20)),
        "{err:?}"
    );
    f.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let d = dom("www", "example.com", &[]);
    let addr = "192.0.2.2".parse().unwrap();
    let l = p
        .lookup(&d, ddns_rs::provider::RecordType::A)
        .await
        .unwrap();
    let plan = p.plan(&d, &l, addr);
    f.fail_next(Fault::json(
        200,
        r#"{"status":"ERROR","message":"Edit error: We were unable to edit the DNS record."}"#,
    ));
    let err = p
        .apply(&d, ddns_rs::provider::RecordType::A, &l, &plan, addr)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("unable to edit")),
        "{err:?}"
    );
    assert_eq!(f.values("www.example.com", "A"), vec!["192.0.2.1"]);
}

#[tokio::test]
async fn the_fake_is_as_strict_as_the_real_api() {
    let (f, _) = env().await;
    let addr = fakes::serve_http(f.router()).await;
    let c = ddns_rs::http::provider_client(&Default::default(), None).unwrap();
    let url = format!("http://{addr}/api/json/v3/dns/create/example.com");
    let send = |b: Value| c.post(&url).json(&b).send();
    let keys = |mut v: Value| {
        v["apikey"] = KEY.into();
        v["secretapikey"] = SECRET.into();
        v
    };
    let bad = [
        serde_json::json!({"name": "x", "type": "A", "content": "192.0.2.1", "ttl": "600"}),
        keys(serde_json::json!({"name": "x", "type": "A", "content": "2001:db8::1", "ttl": "600"})),
        keys(serde_json::json!({"name": "x", "type": "A", "content": "192.0.2.1", "ttl": "60"})),
        keys(serde_json::json!({"name": "x", "type": "A", "content": "192.0.2.1", "ttl": 600})),
    ];
    for b in bad {
        let r = send(b.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{b}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], "ERROR");
    }
    assert!(f.records().is_empty());
}

#[tokio::test]
async fn idn_names_are_sent_as_punycode() {
    let (f, p) = env().await;
    f.add_zone("xn--bcher-kva.de");
    sync(&*p, &dom("bücher", "bücher.de", &[]), "192.0.2.5")
        .await
        .unwrap();
    assert_eq!(
        paths(&f),
        vec![
            "/api/json/v3/dns/retrieveByNameType/xn--bcher-kva.de/A/xn--bcher-kva",
            "/api/json/v3/dns/create/xn--bcher-kva.de"
        ]
    );
    assert_eq!(body_json(&f.writes()[0])["name"], "xn--bcher-kva");
    assert_eq!(
        f.values("xn--bcher-kva.xn--bcher-kva.de", "A"),
        vec!["192.0.2.5"]
    );
}
