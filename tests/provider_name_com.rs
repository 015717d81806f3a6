//! The name.com provider against the fake name.com API, driven through the trait.
mod fakes;

use std::sync::Arc;

use ddns_rs::provider::{Plan, Provider};
use fakes::name_com::FakeNameCom;
use fakes::p3core::{body_json, dom, error_answers_are_classified, ip, lines, provider, sync};
use serde_json::json;

const USER: &str = "alice";
const TOKEN: &str = "nc-token";

async fn env(token: &str, ttl: &str) -> (Arc<FakeNameCom>, Box<dyn Provider>) {
    let fake = FakeNameCom::new(USER, TOKEN);
    fake.add_domain("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    (
        fake.clone(),
        provider("name_com", &format!("http://{addr}"), USER, token, "", ttl),
    )
}

fn answer(fake: &FakeNameCom, host: &str, t: &str) -> Option<(String, u32)> {
    fake.records()
        .into_iter()
        .find(|r| r.host == host && r.rtype == t)
        .map(|r| (r.answer, r.ttl))
}

#[tokio::test]
async fn creates_with_basic_auth_and_reports_success() {
    let (fake, p) = env(TOKEN, "").await;
    // `Ok(Plan::Create)` is the success ddns-go never reported.
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let reqs = fake.rec.requests();
    assert_eq!(
        lines(&reqs),
        [
            "GET /core/v1/domains/example.com/records",
            "POST /core/v1/domains/example.com/records"
        ]
    );
    assert!(
        reqs[0]
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(
        body_json(&reqs[1]),
        json!({"host": "www", "type": "A", "answer": "192.0.2.1", "ttl": 300})
    );
    assert_eq!(answer(&fake, "www", "A"), Some(("192.0.2.1".into(), 300)));
}

#[tokio::test]
async fn updates_every_stale_record_of_the_name_and_type_only() {
    let (fake, p) = env(TOKEN, "60").await;
    let a = fake.seed("example.com", "www", "A", "192.0.2.1");
    let b = fake.seed("example.com", "www", "A", "192.0.2.2");
    let right = fake.seed("example.com", "www", "A", "192.0.2.3");
    fake.seed("example.com", "www", "AAAA", "2001:db8::1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.3"))
        .await
        .unwrap();
    assert!(matches!(&plan, Plan::Update { records } if records.len() == 2));
    let w = lines(&fake.rec.writes());
    assert_eq!(
        w,
        [
            format!("PUT /core/v1/domains/example.com/records/{a}"),
            format!("PUT /core/v1/domains/example.com/records/{b}"),
        ]
    );
    assert!(
        fake.records()
            .iter()
            .filter(|r| r.rtype == "A")
            .all(|r| r.answer == "192.0.2.3" && (r.ttl == 300 || r.id == right))
    );
    assert_eq!(answer(&fake, "www", "AAAA").unwrap().0, "2001:db8::1");
}

#[tokio::test]
async fn unchanged_address_sends_only_the_lookup() {
    let (fake, p) = env(TOKEN, "").await;
    fake.seed("example.com", "v6", "AAAA", "2001:db8:0:0::1");
    let plan = sync(&*p, &dom("v6", "example.com", &[]), ip("2001:db8::1"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(fake.rec.requests().len(), 1);
}

#[tokio::test]
async fn apex_wildcard_and_a_record_on_a_later_page() {
    let (fake, p) = env(TOKEN, "").await;
    for i in 0..1000 {
        fake.seed("example.com", &format!("h{i}"), "A", "192.0.2.1");
    }
    let apex = fake.seed("example.com", "", "A", "192.0.2.1");
    sync(&*p, &dom("", "example.com", &[]), ip("192.0.2.9"))
        .await
        .unwrap();
    let w = fake.rec.writes();
    assert_eq!(
        lines(&w),
        [format!("PUT /core/v1/domains/example.com/records/{apex}")]
    );
    assert_eq!(body_json(&w[0])["host"], "");
    assert_eq!(answer(&fake, "", "A").unwrap().0, "192.0.2.9");
    sync(&*p, &dom("*", "example.com", &[]), ip("192.0.2.8"))
        .await
        .unwrap();
    assert_eq!(answer(&fake, "*", "A").unwrap().0, "192.0.2.8");
}

#[tokio::test]
async fn error_answers_are_classified_and_nothing_is_written() {
    let (bad, bad_p) = env("wrong", "").await;
    let (fake, p) = env(TOKEN, "").await;
    error_answers_are_classified(
        (&bad.rec, &*bad_p),
        (&fake.rec, &*p),
        |m| m.contains("Unauthenticated"),
        json!({"message": "Permission Denied"}),
        (9, json!({"message": "Too Many Requests"})),
    )
    .await;
}

#[tokio::test]
async fn the_fake_rejects_what_name_com_rejects() {
    let fake = FakeNameCom::new(USER, TOKEN);
    fake.add_domain("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    let c = ddns_rs::http::provider_client(&Default::default(), None).unwrap();
    let url = format!("http://{addr}/core/v1/domains/example.com/records");
    for body in [
        json!({"host": "a", "type": "A", "answer": "192.0.2.1", "ttl": 60}),
        json!({"host": "a", "type": "AAAA", "answer": "192.0.2.1", "ttl": 300}),
    ] {
        let r = c
            .post(&url)
            .basic_auth(USER, Some(TOKEN))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    let r = c
        .get(&url)
        .basic_auth(USER, Some("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(fake.records().is_empty());
}
