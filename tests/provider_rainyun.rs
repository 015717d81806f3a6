//! The rainyun provider against the fake Rainyun API, driven through the `Provider` trait as
//! the sync layer drives it.
mod fakes;

use std::time::Duration;

use ddns_rs::config::Domain;
use ddns_rs::provider::{Plan, ProviderError};
use fakes::harness::{self, Creds};
use fakes::p4common::{Fault, query};
use fakes::rainyun::FakeRainyun;
use serde_json::{Value, json};

const KEY: &str = "rainyun-key-0123";

type Env = harness::Env<FakeRainyun>;

/// A fake with zone example.com; `id` of None means "use the zone's real Domain ID".
async fn start_with(id: Option<&str>, key: &str, ttl: &str) -> Env {
    let fake = FakeRainyun::new(KEY);
    let addr = fakes::serve_http(fake.router()).await;
    let zone_id = fake.add_zone("example.com").to_string();
    Env::new(
        fake,
        addr,
        "rainyun",
        Creds::new(id.unwrap_or(&zone_id), key).ttl(ttl),
    )
}

async fn start() -> Env {
    start_with(None, KEY, "").await
}

fn domain(sub: &str) -> Domain {
    harness::dom(sub, "example.com", &[])
}

fn body(env: &Env, i: usize) -> Value {
    serde_json::from_slice(&env.fake.seen()[i].body).unwrap()
}

fn values(env: &Env) -> Vec<(String, String, String, u32, String, i64)> {
    env.fake
        .records()
        .into_iter()
        .map(|r| (r.host, r.rtype, r.value, r.ttl, r.line, r.level))
        .collect()
}

#[tokio::test]
async fn creates_a_missing_record() {
    let env = start().await;
    let plan = env.sync(&domain("www"), "198.51.100.7").await.unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(env.fake.methods(), ["GET", "POST"]);
    let seen = env.fake.seen();
    let zone = env.fake.add_zone("example.com");
    assert_eq!(
        seen[0].uri.split('?').next(),
        Some(format!("/product/domain/{zone}/dns/").as_str())
    );
    let q = query(&seen[0]);
    assert_eq!((&*q["limit"], &*q["page_no"]), ("100", "1"));
    assert_eq!(seen[1].uri, format!("/product/domain/{zone}/dns"));
    assert_eq!(
        body(&env, 1),
        json!({"host": "www", "line": "DEFAULT", "level": 10, "ttl": 600, "type": "A",
               "value": "198.51.100.7", "record_id": 0})
    );
    assert_eq!(
        values(&env),
        [(
            "www".into(),
            "A".into(),
            "198.51.100.7".into(),
            600,
            "DEFAULT".into(),
            10
        )]
    );
}

#[tokio::test]
async fn update_keeps_line_and_level_and_uses_the_configured_ttl() {
    let env = start_with(None, KEY, "1200").await;
    let id = env
        .fake
        .seed("example.com", "WWW", "A", "192.0.2.1", "LTEL", 5);
    let plan = env.sync(&domain("www"), "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id == id.to_string()));
    assert_eq!(env.fake.methods(), ["GET", "GET", "PATCH"]);
    assert_eq!(
        body(&env, 2),
        json!({"host": "www", "line": "LTEL", "level": 5, "ttl": 1200, "type": "A",
               "value": "198.51.100.7", "record_id": id})
    );
    assert_eq!(
        values(&env),
        [(
            "www".into(),
            "A".into(),
            "198.51.100.7".into(),
            1200,
            "LTEL".into(),
            5
        )]
    );
}

#[tokio::test]
async fn unchanged_value_sends_only_lookups() {
    let env = start().await;
    env.fake
        .seed("example.com", "www", "A", "198.51.100.7", "DEFAULT", 10);
    for _ in 0..2 {
        let plan = env.sync(&domain("www"), "198.51.100.7").await.unwrap();
        assert!(matches!(plan, Plan::NoChange { .. }));
    }
    assert_eq!(env.fake.methods(), ["GET", "GET"]);
}

#[tokio::test]
async fn apex_wildcard_ipv6_and_types_kept_apart() {
    let env = start().await;
    env.fake
        .seed("example.com", "@", "A", "192.0.2.1", "DEFAULT", 10);
    env.fake
        .seed("example.com", "@", "AAAA", "2001:db8:0::1", "DEFAULT", 10);
    assert!(matches!(
        env.sync(&domain(""), "2001:db8::1").await.unwrap(),
        Plan::NoChange { .. }
    ));
    assert_eq!(
        env.sync(&domain("*"), "2001:db8::9").await.unwrap(),
        Plan::Create
    );
    assert_eq!(body(&env, 2)["host"], "*");
    assert_eq!(body(&env, 2)["type"], "AAAA");
    let recs = env.fake.records();
    assert_eq!(recs[0].value, "192.0.2.1", "the A record is untouched");
}

#[tokio::test]
async fn every_page_of_the_list_is_read() {
    let env = start().await;
    for i in 0..150 {
        env.fake.seed(
            "example.com",
            &format!("h{i}"),
            "A",
            "192.0.2.1",
            "DEFAULT",
            10,
        );
    }
    env.fake
        .seed("example.com", "www", "A", "198.51.100.7", "DEFAULT", 10);
    let plan = env.sync(&domain("www"), "198.51.100.7").await.unwrap();
    assert!(
        matches!(plan, Plan::NoChange { .. }),
        "record 151 is on page 2"
    );
    assert_eq!(env.fake.methods(), ["GET", "GET"]);
    assert_eq!(query(&env.fake.seen()[1])["page_no"], "2");
}

#[tokio::test]
async fn a_domain_id_that_is_not_a_number_is_refused_before_any_request() {
    let env = start_with(Some("example.com"), KEY, "").await;
    let err = env.sync(&domain("www"), "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Api(ref m) if m.contains("numeric Domain ID")),
        "{err:?}"
    );
    assert!(env.fake.seen().is_empty());
}

#[tokio::test]
async fn bad_key_is_an_auth_error_and_nothing_is_written() {
    let env = start_with(None, "wrong-key", "").await;
    let err = env.sync(&domain("www"), "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::Auth(_)), "{err:?}");
    assert!(!err.to_string().contains("wrong-key"));
    assert_eq!(env.fake.methods(), ["GET"]);
}

#[tokio::test]
async fn unknown_domain_id_is_zone_not_found() {
    let env = start_with(Some("999999"), KEY, "").await;
    let err = env.sync(&domain("www"), "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::ZoneNotFound(ref z) if z.contains("999999")),
        "{err:?}"
    );
}

#[tokio::test]
async fn permission_rate_limit_and_other_errors() {
    let env = start().await;
    let d = domain("www");
    let fault = |status, code, message: &str| Fault {
        status,
        retry_after: Some(30),
        body: json!({"code": code, "message": message}),
    };
    env.fake.fail_next(fault(403, 403, "forbidden"));
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::Permission(_))
    ));
    env.fake.fail_next(fault(429, 429, "slow down"));
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::RateLimited { retry_after: Some(r), .. }) if r == Duration::from_secs(30)
    ));
    env.fake.fail_next(fault(200, 30001, "bad record"));
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::Api(m)) if m.contains("30001") && m.contains("bad record")
    ));
    assert!(env.fake.records().is_empty());
}

#[tokio::test]
async fn a_null_record_list_means_create() {
    let env = start().await;
    env.fake.fail_next(Fault {
        status: 200,
        retry_after: None,
        body: json!({"code": 200, "data": {"TotalRecords": 0, "Records": null}}),
    });
    assert_eq!(
        env.sync(&domain("www"), "198.51.100.7").await.unwrap(),
        Plan::Create
    );
    assert_eq!(env.fake.records().len(), 1);
}
