//! The Vercel provider against the fake Vercel API, driven through the trait.
mod fakes;

use std::sync::Arc;
use std::time::Duration;

use ddns_rs::provider::{Plan, Provider, ProviderError};
use fakes::harness::assert_zone_not_found;
use fakes::p3core::{Fault, body_json, dom, ip, lines, provider, query_of, sync};
use fakes::vercel::FakeVercel;
use serde_json::json;

const TOKEN: &str = "vercel-token";
const TEAM: &str = "team_abc";

async fn env(token: &str, team: &str, ttl: &str) -> (Arc<FakeVercel>, Box<dyn Provider>) {
    let fake = FakeVercel::new(TOKEN, Some(TEAM));
    fake.add_domain("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    let p = provider("vercel", &format!("http://{addr}"), "", token, team, ttl);
    (fake, p)
}

fn value_of(fake: &FakeVercel, name: &str, t: &str) -> Option<String> {
    fake.records()
        .into_iter()
        .find(|r| r.name == name && r.rtype == t)
        .map(|r| r.value)
}

#[tokio::test]
async fn creates_with_team_id_and_minimum_ttl() {
    let (fake, p) = env(TOKEN, TEAM, "").await;
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let reqs = fake.rec.requests();
    assert_eq!(
        lines(&reqs),
        [
            "GET /v4/domains/example.com/records",
            "POST /v2/domains/example.com/records"
        ]
    );
    for r in &reqs {
        assert!(
            query_of(r).contains(&("teamId".into(), TEAM.into())),
            "{}",
            r.uri
        );
        assert_eq!(r.header("authorization"), Some("Bearer vercel-token"));
    }
    let b = body_json(&reqs[1]);
    assert_eq!(
        (b["name"].as_str(), b["type"].as_str(), b["value"].as_str()),
        (Some("www"), Some("A"), Some("192.0.2.1"))
    );
    assert_eq!(b["ttl"], 60);
    assert_eq!(value_of(&fake, "www", "A").as_deref(), Some("192.0.2.1"));
}

#[tokio::test]
async fn updates_only_the_record_of_the_right_type() {
    let (fake, p) = env(TOKEN, TEAM, "30").await;
    let v6 = fake.seed("example.com", "www", "AAAA", "2001:db8::1");
    let v4 = fake.seed("example.com", "www", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.2"))
        .await
        .unwrap();
    assert!(matches!(&plan, Plan::Update { records } if records.len() == 1 && records[0].id == v4));
    let w = fake.rec.writes();
    assert_eq!(lines(&w), [format!("PATCH /v1/domains/records/{v4}")]);
    assert_eq!(
        body_json(&w[0])["ttl"],
        60,
        "a TTL under 60 is raised to Vercel's minimum"
    );
    assert_eq!(value_of(&fake, "www", "A").as_deref(), Some("192.0.2.2"));
    assert_eq!(
        value_of(&fake, "www", "AAAA").as_deref(),
        Some("2001:db8::1")
    );
    let _ = v6;
}

#[tokio::test]
async fn unchanged_address_sends_only_the_lookup() {
    let (fake, p) = env(TOKEN, TEAM, "").await;
    fake.seed("example.com", "v6", "AAAA", "2001:0db8:0:0::0001");
    let plan = sync(&*p, &dom("v6", "example.com", &[]), ip("2001:db8::1"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(fake.rec.requests().len(), 1);
    assert!(fake.rec.writes().is_empty());
}

#[tokio::test]
async fn apex_is_the_empty_name_and_wildcards_keep_the_star() {
    let (fake, p) = env(TOKEN, TEAM, "120").await;
    fake.seed("example.com", "www", "A", "192.0.2.1");
    sync(&*p, &dom("", "example.com", &[]), ip("192.0.2.5"))
        .await
        .unwrap();
    assert_eq!(value_of(&fake, "", "A").as_deref(), Some("192.0.2.5"));
    assert_eq!(
        value_of(&fake, "www", "A").as_deref(),
        Some("192.0.2.1"),
        "the apex is not www"
    );
    let star = fake.seed("example.com", "*", "A", "192.0.2.1");
    sync(&*p, &dom("*", "example.com", &[]), ip("192.0.2.6"))
        .await
        .unwrap();
    let r = fake.records().into_iter().find(|r| r.id == star).unwrap();
    assert_eq!((r.value.as_str(), r.ttl), ("192.0.2.6", 120));
}

#[tokio::test]
async fn the_record_is_found_on_a_later_page() {
    let (fake, p) = env(TOKEN, TEAM, "").await;
    let target = fake.seed("example.com", "home", "A", "192.0.2.1");
    for i in 0..150 {
        fake.seed("example.com", &format!("h{i}"), "TXT", "x");
    }
    let plan = sync(&*p, &dom("home", "example.com", &[]), ip("192.0.2.9"))
        .await
        .unwrap();
    assert!(matches!(&plan, Plan::Update { records } if records[0].id == target));
    let gets: Vec<_> = fake
        .rec
        .requests()
        .into_iter()
        .filter(|s| s.method == "GET")
        .collect();
    assert_eq!(gets.len(), 2);
    assert!(query_of(&gets[1]).iter().any(|(k, _)| k == "until"));
    assert_eq!(fake.records().len(), 151, "no duplicate created");
}

#[tokio::test]
async fn bad_token_is_auth_and_nothing_is_written() {
    let (fake, p) = env("wrong", TEAM, "").await;
    let err = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("Not authorized")),
        "{err:?}"
    );
    assert!(!format!("{err}").contains("wrong"));
    assert!(fake.rec.writes().is_empty());
}

#[tokio::test]
async fn missing_team_id_is_a_permission_error() {
    let (fake, p) = env(TOKEN, "", "").await;
    let err = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    assert!(fake.rec.writes().is_empty());
}

#[tokio::test]
async fn unknown_domain_and_rate_limit() {
    let (fake, p) = env(TOKEN, TEAM, "").await;
    assert_zone_not_found(&*p, "example.net", ip("192.0.2.1")).await;
    fake.rec.fail_next(Fault::rate_limit(
        12,
        json!({"error": {"code": "rate_limited", "message": "Rate limit exceeded"}}),
    ));
    let err = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(12))
    );
    fake.rec.fail_next(FakeVercel::bad_token_fault());
    assert!(matches!(
        sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1")).await,
        Err(ProviderError::Auth(_))
    ));
    assert!(fake.rec.writes().is_empty());
}

#[tokio::test]
async fn the_fake_rejects_what_vercel_rejects() {
    let fake = FakeVercel::new(TOKEN, None);
    fake.add_domain("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    let c = ddns_rs::http::provider_client(&Default::default(), None).unwrap();
    let url = format!("http://{addr}/v2/domains/example.com/records");
    for body in [
        json!({"name": "a", "type": "A", "value": "2001:db8::1", "ttl": 60}),
        json!({"name": "a", "type": "A", "value": "192.0.2.1", "ttl": 30}),
    ] {
        let r = c
            .post(&url)
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    let r = c.post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(fake.records().is_empty());
}

#[tokio::test]
async fn a_record_deleted_since_the_lookup_is_not_a_missing_zone() {
    let (fake, p) = env(TOKEN, TEAM, "").await;
    let d = dom("www", "example.com", &[]);
    let l = p
        .lookup(&d, ddns_rs::provider::RecordType::A)
        .await
        .unwrap();
    let plan = Plan::Update {
        records: vec![ddns_rs::provider::Existing {
            id: "rec_gone".into(),
            value: "192.0.2.1".into(),
            ..Default::default()
        }],
    };
    let err = p
        .apply(
            &d,
            ddns_rs::provider::RecordType::A,
            &l,
            &plan,
            ip("192.0.2.2"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("rec_gone")),
        "{err:?}"
    );
    assert!(fake.records().is_empty());
}

#[tokio::test]
async fn record_id_param_picks_one_of_several() {
    let (fake, p) = env(TOKEN, TEAM, "").await;
    let first = fake.seed("example.com", "www", "A", "192.0.2.1");
    let second = fake.seed("example.com", "www", "A", "192.0.2.2");
    let d = dom("www", "example.com", &[("RecordId", &second)]);
    sync(&*p, &d, ip("192.0.2.3")).await.unwrap();
    let recs = fake.records();
    assert_eq!(
        recs.iter().find(|r| r.id == second).unwrap().value,
        "192.0.2.3"
    );
    assert_eq!(
        recs.iter().find(|r| r.id == first).unwrap().value,
        "192.0.2.1"
    );
}
