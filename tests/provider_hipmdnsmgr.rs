//! The hipmdnsmgr provider against a fake HiPM DNSMgr panel, driven through the `Provider`
//! trait as the sync layer drives it. Unlike ddns-go (change-only), the record is read first.
mod fakes;

use std::sync::Arc;
use std::time::Duration;

use ddns_rs::config::Domain;
use ddns_rs::provider::{self, Plan, Provider, ProviderError, ProviderSettings, RecordType};
use fakes::harness::{self, Creds, assert_zone_not_found, sync};
use fakes::hipmdnsmgr::FakeDnsMgr;
use fakes::p4common::{Fault, query};
use serde_json::{Value, json};

const TOKEN: &str = "dnsmgr-token-abc";

struct Env {
    fake: Arc<FakeDnsMgr>,
    provider: Box<dyn Provider>,
    zone: u64,
}

/// The panel URL is the `id`; the endpoint override (with `/api/` appended to check the
/// normalisation) points at the fake.
async fn start_with(token: &str, ttl: &str) -> Env {
    let fake = FakeDnsMgr::new(TOKEN);
    let addr = fakes::serve_http(fake.router()).await;
    fake.add_zone("other.com");
    let zone = fake.add_zone("example.com");
    let provider = Creds::new("https://dnsmgr.example.test", token)
        .ttl(ttl)
        .build("hipmdnsmgr", &format!("http://{addr}/api/"));
    Env {
        fake,
        provider,
        zone,
    }
}

async fn start() -> Env {
    start_with(TOKEN, "").await
}

fn domain(sub: &str, root: &str) -> Domain {
    harness::dom(sub, root, &[])
}

fn calls(env: &Env) -> Vec<String> {
    env.fake
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.uri.split('?').next().unwrap_or("")))
        .collect()
}

fn body(env: &Env, i: usize) -> Value {
    serde_json::from_slice(&env.fake.seen()[i].body).unwrap()
}

fn values(env: &Env) -> Vec<(String, String, String, u32)> {
    env.fake
        .records()
        .into_iter()
        .map(|r| (r.host, r.rtype, r.value, r.ttl))
        .collect()
}

fn v(host: &str, t: &str, value: &str, ttl: u32) -> (String, String, String, u32) {
    (host.into(), t.into(), value.into(), ttl)
}

#[tokio::test]
async fn creates_a_missing_record() {
    let env = start().await;
    let plan = sync(
        &*env.provider,
        &domain("www", "example.com"),
        "198.51.100.7",
    )
    .await
    .unwrap();
    assert_eq!(plan, Plan::Create);
    let z = env.zone;
    assert_eq!(
        calls(&env),
        [
            "GET /api/domains".to_string(),
            format!("GET /api/domains/{z}/records"),
            format!("POST /api/domains/{z}/records"),
        ]
    );
    let seen = env.fake.seen();
    let q = query(&seen[0]);
    assert_eq!(
        (&*q["keyword"], &*q["page"], &*q["pageSize"]),
        ("example.com", "1", "1")
    );
    let q = query(&seen[1]);
    assert_eq!(
        (&*q["subdomain"], &*q["type"], &*q["page"]),
        ("www", "A", "1")
    );
    assert_eq!(
        seen[2].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        body(&env, 2),
        json!({"name": "www", "type": "A", "value": "198.51.100.7", "ttl": 600, "line": "0"})
    );
    assert_eq!(values(&env), [v("www", "A", "198.51.100.7", 600)]);
}

#[tokio::test]
async fn updates_a_stale_value_with_the_configured_ttl() {
    let env = start_with(TOKEN, "60").await;
    let id = env.fake.seed("example.com", "www", "A", "192.0.2.1");
    let plan = sync(
        &*env.provider,
        &domain("www", "example.com"),
        "198.51.100.7",
    )
    .await
    .unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id == id.to_string()));
    assert_eq!(
        calls(&env)[2],
        format!("PUT /api/domains/{}/records/{id}", env.zone)
    );
    assert_eq!(body(&env, 2)["ttl"], 60);
    assert_eq!(values(&env), [v("www", "A", "198.51.100.7", 60)]);
}

#[tokio::test]
async fn unchanged_value_sends_only_lookups() {
    let env = start().await;
    env.fake.seed("example.com", "www", "A", "198.51.100.7");
    for _ in 0..2 {
        let plan = sync(
            &*env.provider,
            &domain("www", "example.com"),
            "198.51.100.7",
        )
        .await
        .unwrap();
        assert!(matches!(plan, Plan::NoChange { .. }));
    }
    assert!(env.fake.writes().is_empty());
    assert_eq!(env.fake.seen().len(), 4);
}

#[tokio::test]
async fn apex_is_at_wildcard_and_ipv6() {
    let env = start().await;
    assert_eq!(
        sync(&*env.provider, &domain("", "example.com"), "2001:db8::1")
            .await
            .unwrap(),
        Plan::Create
    );
    assert_eq!(body(&env, 2)["name"], "@");
    assert_eq!(body(&env, 2)["type"], "AAAA");
    assert!(matches!(
        sync(&*env.provider, &domain("", "example.com"), "2001:0db8:0::1")
            .await
            .unwrap(),
        Plan::NoChange { .. }
    ));
    assert_eq!(
        sync(&*env.provider, &domain("*", "example.com"), "198.51.100.7")
            .await
            .unwrap(),
        Plan::Create
    );
    assert_eq!(
        values(&env),
        [
            v("@", "AAAA", "2001:db8::1", 600),
            v("*", "A", "198.51.100.7", 600)
        ]
    );
}

#[tokio::test]
async fn domains_are_paged_through_when_the_keyword_is_ignored() {
    let env = start().await;
    env.fake.ignore_keyword();
    for i in 0..120 {
        env.fake.add_zone(&format!("z{i}.net"));
    }
    let late = env.fake.add_zone("late.org");
    sync(&*env.provider, &domain("www", "late.org"), "198.51.100.7")
        .await
        .unwrap();
    let c = calls(&env);
    assert_eq!(
        c[..3],
        ["GET /api/domains", "GET /api/domains", "GET /api/domains"]
    );
    assert_eq!(query(&env.fake.seen()[2])["page"], "2");
    assert_eq!(c[4], format!("POST /api/domains/{late}/records"));
}

#[tokio::test]
async fn zone_not_found_and_bad_token() {
    let env = start().await;
    assert_zone_not_found(&*env.provider, "example.org", "198.51.100.7").await;
    let env = start_with("bad-token-xyz", "").await;
    let err = sync(
        &*env.provider,
        &domain("www", "example.com"),
        "198.51.100.7",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ProviderError::Auth(_)), "{err:?}");
    assert!(!err.to_string().contains("bad-token-xyz"));
    assert!(env.fake.writes().is_empty());
}

#[tokio::test]
async fn permission_rate_limit_and_other_errors() {
    let env = start().await;
    let d = domain("www", "example.com");
    let fault = |status, code, msg: &str| Fault {
        status,
        retry_after: Some(4),
        body: json!({"code": code, "msg": msg, "data": null}),
    };
    env.fake
        .fail_next(fault(403, 403, "no access to this domain"));
    assert!(matches!(
        sync(&*env.provider, &d, "198.51.100.7").await,
        Err(ProviderError::Permission(_))
    ));
    env.fake.fail_next(fault(429, 429, "slow down"));
    assert!(matches!(
        sync(&*env.provider, &d, "198.51.100.7").await,
        Err(ProviderError::RateLimited { retry_after: Some(r), .. }) if r == Duration::from_secs(4)
    ));
    env.fake.fail_next(fault(200, 1, "database busy"));
    assert!(matches!(
        sync(&*env.provider, &d, "198.51.100.7").await,
        Err(ProviderError::Api(m)) if m.contains("database busy")
    ));
    assert!(env.fake.records().is_empty());
}

#[tokio::test]
async fn an_id_that_is_not_a_url_is_refused_before_any_request() {
    let settings = ProviderSettings {
        id: "dnsmgr.example.test".into(),
        secret: TOKEN.into(),
        extparam: String::new(),
        ttl: String::new(),
        http: ddns_rs::http::provider_client(&Default::default(), None).unwrap(),
        endpoint: None,
    };
    let p = provider::build("hipmdnsmgr", settings).unwrap();
    let err = p
        .lookup(&domain("www", "example.com"), RecordType::A)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Api(ref m) if m.contains("panel's address")),
        "{err:?}"
    );
}
