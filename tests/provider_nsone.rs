//! The NS1 provider against the fake NS1 API, driven through the trait.
mod fakes;

use std::sync::Arc;

use ddns_rs::provider::{Plan, Provider};
use fakes::nsone::FakeNsone;
use fakes::p3core::{body_json, dom, error_answers_are_classified, ip, lines, provider, sync};
use serde_json::json;

const KEY: &str = "ns1-key";

async fn env(key: &str, ttl: &str) -> (Arc<FakeNsone>, Box<dyn Provider>) {
    let fake = FakeNsone::new(KEY);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    (
        fake.clone(),
        provider("nsone", &format!("http://{addr}"), "", key, "", ttl),
    )
}

fn answers(fake: &FakeNsone, domain: &str, t: &str) -> Option<(Vec<String>, u32)> {
    fake.records()
        .into_iter()
        .find(|r| r.domain == domain && r.rtype == t)
        .map(|r| (r.answers, r.ttl))
}

#[tokio::test]
async fn not_found_means_create_with_put() {
    let (fake, p) = env(KEY, "").await;
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let reqs = fake.rec.requests();
    assert_eq!(
        lines(&reqs),
        [
            "GET /v1/zones/example.com/www.example.com/A",
            "GET /v1/zones/example.com",
            "PUT /v1/zones/example.com/www.example.com/A",
        ]
    );
    assert_eq!(reqs[0].header("x-nsone-key"), Some(KEY));
    assert_eq!(
        body_json(&reqs[2]),
        json!({"zone": "example.com", "domain": "www.example.com", "type": "A", "ttl": 60,
               "answers": [{"answer": ["192.0.2.1"]}]})
    );
    assert_eq!(
        answers(&fake, "www.example.com", "A"),
        Some((vec!["192.0.2.1".into()], 60))
    );
}

#[tokio::test]
async fn updates_with_post_and_a_non_numeric_ttl_falls_back_to_3600() {
    let (fake, p) = env(KEY, "auto").await;
    fake.seed("example.com", "www.example.com", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.2"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    assert_eq!(
        lines(&fake.rec.writes()),
        ["POST /v1/zones/example.com/www.example.com/A"]
    );
    assert_eq!(
        answers(&fake, "www.example.com", "A"),
        Some((vec!["192.0.2.2".into()], 3600))
    );
}

#[tokio::test]
async fn unchanged_address_sends_only_the_lookup() {
    let (fake, p) = env(KEY, "").await;
    fake.seed("example.com", "v6.example.com", "AAAA", "2001:db8::0:1");
    let plan = sync(&*p, &dom("v6", "example.com", &[]), ip("2001:db8::1"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(fake.rec.requests().len(), 1);
}

#[tokio::test]
async fn the_apex_is_the_zone_name_not_at_dot_zone() {
    let (fake, p) = env(KEY, "").await;
    fake.seed("example.com", "example.com", "A", "192.0.2.1");
    sync(&*p, &dom("", "example.com", &[]), ip("192.0.2.4"))
        .await
        .unwrap();
    assert_eq!(answers(&fake, "example.com", "A").unwrap().0, ["192.0.2.4"]);
    sync(&*p, &dom("", "example.com", &[]), ip("2001:db8::4"))
        .await
        .unwrap();
    assert_eq!(
        answers(&fake, "example.com", "AAAA").unwrap().0,
        ["2001:db8::4"]
    );
    sync(&*p, &dom("*", "example.com", &[]), ip("192.0.2.5"))
        .await
        .unwrap();
    assert_eq!(
        answers(&fake, "*.example.com", "A").unwrap().0,
        ["192.0.2.5"]
    );
    assert!(fake.records().iter().all(|r| !r.domain.starts_with('@')));
}

#[tokio::test]
async fn error_answers_are_classified_and_nothing_is_written() {
    let (bad, bad_p) = env("wrong", "").await;
    let (fake, p) = env(KEY, "").await;
    error_answers_are_classified(
        (&bad.rec, &*bad_p),
        (&fake.rec, &*p),
        |m| m.contains("Unauthorized"),
        json!({"message": "insufficient permissions"}),
        (4, json!({"message": "Rate limit exceeded"})),
    )
    .await;
}

#[tokio::test]
async fn the_fake_refuses_the_at_dot_name_ddns_go_sent() {
    let fake = FakeNsone::new(KEY);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    let c = ddns_rs::http::provider_client(&Default::default(), None).unwrap();
    let url = format!("http://{addr}/v1/zones/example.com/@.example.com/A");
    let body = json!({"answers": [{"answer": ["192.0.2.1"]}]});
    let r = c
        .put(&url)
        .header("x-nsone-key", KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let url = format!("http://{addr}/v1/zones/example.com/www.example.com/AAAA");
    let r = c
        .put(&url)
        .header("x-nsone-key", KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an IPv4 answer in an AAAA record");
    assert!(fake.records().is_empty());
}
