//! The deSEC provider against the fake deSEC API, driven through the trait.
mod fakes;

use std::sync::Arc;

use ddns_rs::provider::{Plan, Provider};
use fakes::desec::FakeDesec;
use fakes::p3core::{
    body_json, dom, error_answers_are_classified, ip, lines, provider, query_of, sync,
};
use serde_json::json;

const TOKEN: &str = "desec-token";

async fn env(token: &str, ttl: &str) -> (Arc<FakeDesec>, Box<dyn Provider>) {
    let fake = FakeDesec::new(TOKEN);
    fake.add_domain("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    (
        fake.clone(),
        provider("desec", &format!("http://{addr}"), "", token, "", ttl),
    )
}

fn set(fake: &FakeDesec, sub: &str, t: &str) -> Option<(Vec<String>, u32)> {
    fake.rrsets()
        .into_iter()
        .find(|s| s.subname == sub && s.rtype == t)
        .map(|s| (s.records, s.ttl))
}

#[tokio::test]
async fn creates_with_the_default_ttl() {
    let (fake, p) = env(TOKEN, "").await;
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let reqs = fake.rec.requests();
    assert_eq!(
        lines(&reqs),
        [
            "GET /api/v1/domains/example.com/rrsets/",
            "POST /api/v1/domains/example.com/rrsets/"
        ]
    );
    assert_eq!(reqs[0].header("authorization"), Some("Token desec-token"));
    let q = query_of(&reqs[0]);
    assert!(
        q.contains(&("subname".into(), "www".into())) && q.contains(&("type".into(), "A".into()))
    );
    assert_eq!(
        body_json(&reqs[1]),
        json!({"subname": "www", "type": "A", "records": ["192.0.2.1"], "ttl": 3600})
    );
    assert_eq!(
        set(&fake, "www", "A"),
        Some((vec!["192.0.2.1".into()], 3600))
    );
}

#[tokio::test]
async fn updates_one_rrset_and_clamps_the_ttl() {
    let (fake, p) = env(TOKEN, "999999").await;
    fake.seed("example.com", "www", "A", "192.0.2.1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.2"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    let w = fake.rec.writes();
    assert_eq!(
        lines(&w),
        ["PATCH /api/v1/domains/example.com/rrsets/www/A/"]
    );
    assert_eq!(
        set(&fake, "www", "A"),
        Some((vec!["192.0.2.2".into()], 86400))
    );
    let (fake, p) = env(TOKEN, "60").await;
    sync(&*p, &dom("low", "example.com", &[]), ip("192.0.2.2"))
        .await
        .unwrap();
    assert_eq!(
        set(&fake, "low", "A").unwrap().1,
        3600,
        "below the minimum is raised to 3600"
    );
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
async fn apex_and_wildcard_and_ipv6() {
    let (fake, p) = env(TOKEN, "").await;
    fake.seed("example.com", "", "AAAA", "2001:db8::1");
    sync(&*p, &dom("", "example.com", &[]), ip("2001:db8::2"))
        .await
        .unwrap();
    assert!(query_of(&fake.rec.requests()[0]).contains(&("subname".into(), "".into())));
    assert_eq!(
        lines(&fake.rec.writes()),
        ["PATCH /api/v1/domains/example.com/rrsets/@/AAAA/"]
    );
    assert_eq!(set(&fake, "", "AAAA").unwrap().0, ["2001:db8::2"]);
    sync(&*p, &dom("", "example.com", &[]), ip("192.0.2.7"))
        .await
        .unwrap();
    assert_eq!(set(&fake, "", "A").unwrap().0, ["192.0.2.7"]);
    sync(&*p, &dom("*", "example.com", &[]), ip("192.0.2.8"))
        .await
        .unwrap();
    assert_eq!(set(&fake, "*", "A").unwrap().0, ["192.0.2.8"]);
}

#[tokio::test]
async fn error_answers_are_classified_and_nothing_is_written() {
    let (bad, bad_p) = env("wrong", "").await;
    let (fake, p) = env(TOKEN, "").await;
    error_answers_are_classified(
        (&bad.rec, &*bad_p),
        (&fake.rec, &*p),
        |m| m.contains("Invalid token."),
        json!({"detail": "You do not have permission to perform this action."}),
        (
            1,
            json!({"detail": "Request was throttled. Expected available in 1 second."}),
        ),
    )
    .await;
    assert!(fake.rrsets().is_empty());
}

#[tokio::test]
async fn the_fake_rejects_what_desec_rejects() {
    let fake = FakeDesec::new(TOKEN);
    fake.add_domain("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    let c = ddns_rs::http::provider_client(&Default::default(), None).unwrap();
    let url = format!("http://{addr}/api/v1/domains/example.com/rrsets/");
    let auth = format!("Token {TOKEN}");
    for body in [
        json!({"subname": "a", "type": "A", "records": ["192.0.2.1"], "ttl": 60}),
        json!({"subname": "a", "type": "A", "records": ["2001:db8::1"], "ttl": 3600}),
    ] {
        let r = c
            .post(&url)
            .header("authorization", &auth)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    let r = c
        .get(url.trim_end_matches('/'))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "no trailing slash");
    assert!(fake.rrsets().is_empty());
}
