//! The Gcore provider against the fake Gcore DNS API, driven through the trait.
mod fakes;

use std::sync::Arc;

use ddns_rs::provider::{Plan, Provider};
use fakes::gcore::FakeGcore;
use fakes::p3core::{body_json, dom, error_answers_are_classified, ip, lines, provider, sync};
use serde_json::json;

const TOKEN: &str = "gcore-token";

async fn env(token: &str, ttl: &str) -> (Arc<FakeGcore>, Box<dyn Provider>) {
    let fake = FakeGcore::new(TOKEN);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    (
        fake.clone(),
        provider("gcore", &format!("http://{addr}"), "", token, "", ttl),
    )
}

fn contents(fake: &FakeGcore, name: &str, t: &str) -> Option<(Vec<String>, u32)> {
    fake.rrsets()
        .into_iter()
        .find(|s| s.name == name && s.rtype == t)
        .map(|s| (s.contents, s.ttl))
}

#[tokio::test]
async fn not_found_means_create_with_the_default_ttl() {
    let (fake, p) = env(TOKEN, "").await;
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let reqs = fake.rec.requests();
    assert_eq!(
        lines(&reqs),
        [
            "GET /dns/v2/zones/example.com/www.example.com/A",
            "GET /dns/v2/zones/example.com",
            "POST /dns/v2/zones/example.com/www.example.com/A",
        ]
    );
    assert_eq!(reqs[0].header("authorization"), Some("APIKey gcore-token"));
    assert_eq!(
        body_json(&reqs[2]),
        json!({"ttl": 120, "resource_records": [{"content": ["192.0.2.1"], "enabled": true}]})
    );
    assert_eq!(
        contents(&fake, "www.example.com", "A"),
        Some((vec!["192.0.2.1".into()], 120))
    );
}

#[tokio::test]
async fn updates_with_put_and_the_configured_ttl() {
    let (fake, p) = env(TOKEN, "300").await;
    fake.seed(
        "example.com",
        "www.example.com",
        "A",
        &["192.0.2.1", "192.0.2.9"],
    );
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.2"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    assert_eq!(
        lines(&fake.rec.writes()),
        ["PUT /dns/v2/zones/example.com/www.example.com/A"]
    );
    assert_eq!(
        contents(&fake, "www.example.com", "A"),
        Some((vec!["192.0.2.2".into()], 300))
    );
}

#[tokio::test]
async fn unchanged_address_sends_only_the_lookup() {
    let (fake, p) = env(TOKEN, "").await;
    fake.seed("example.com", "v6.example.com", "AAAA", &["2001:db8:0::1"]);
    let plan = sync(&*p, &dom("v6", "example.com", &[]), ip("2001:db8::1"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(fake.rec.requests().len(), 1);
}

#[tokio::test]
async fn apex_is_the_zone_name_and_wildcards_keep_the_star() {
    let (fake, p) = env(TOKEN, "").await;
    fake.seed("example.com", "example.com", "A", &["192.0.2.1"]);
    sync(&*p, &dom("", "example.com", &[]), ip("192.0.2.3"))
        .await
        .unwrap();
    assert_eq!(
        contents(&fake, "example.com", "A").unwrap().0,
        ["192.0.2.3"]
    );
    sync(&*p, &dom("*", "example.com", &[]), ip("2001:db8::3"))
        .await
        .unwrap();
    assert_eq!(
        contents(&fake, "*.example.com", "AAAA").unwrap().0,
        ["2001:db8::3"]
    );
}

#[tokio::test]
async fn error_answers_are_classified_and_nothing_is_written() {
    let (bad, bad_p) = env("wrong", "").await;
    let (fake, p) = env(TOKEN, "").await;
    error_answers_are_classified(
        (&bad.rec, &*bad_p),
        (&fake.rec, &*p),
        |m| !m.contains("wrong"),
        json!({"message": "Forbidden"}),
        (5, json!({"error": "too many requests"})),
    )
    .await;
}

#[tokio::test]
async fn the_fake_rejects_what_gcore_rejects() {
    let fake = FakeGcore::new(TOKEN);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    let c = ddns_rs::http::provider_client(&Default::default(), None).unwrap();
    let auth = format!("APIKey {TOKEN}");
    let body = json!({"ttl": 120, "resource_records": [{"content": ["192.0.2.1"]}]});
    let out = format!("http://{addr}/dns/v2/zones/example.com/www.example.org/A");
    let r = c
        .post(&out)
        .header("authorization", &auth)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v6 = format!("http://{addr}/dns/v2/zones/example.com/www.example.com/AAAA");
    let r = c
        .post(&v6)
        .header("authorization", &auth)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .put(&v6)
        .header("authorization", "Bearer x")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(fake.rrsets().is_empty());
}
