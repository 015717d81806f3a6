//! The Cloudflare provider against the fake Cloudflare API, driven through the trait the way
//! the sync layer drives it.
mod fakes;

use std::sync::Arc;
use std::time::Duration;

use ddns_rs::config::Domain;
use ddns_rs::http::{HttpOptions, provider_client};
use ddns_rs::provider::{Plan, Provider, ProviderError, RecordType};
use fakes::cloudflare::{CfFault, FakeCloudflare};
use fakes::harness::{self, Creds, assert_zone_not_found, ip, sync};
use fakes::{body_json, lines, query_of};
use serde_json::Value;

const TOKEN: &str = "cf-token-123";

struct Env {
    fake: Arc<FakeCloudflare>,
    zone: String,
    p: Box<dyn Provider>,
}

async fn env_with(token: &str, ttl: &str) -> Env {
    let fake = FakeCloudflare::new(TOKEN);
    let zone = fake.add_zone("example.com");
    fake.add_zone("example.org");
    let addr = fakes::serve_http(fake.router()).await;
    let p = Creds::new("", token)
        .ttl(ttl)
        .build("cloudflare", &format!("http://{addr}"));
    Env { fake, zone, p }
}

async fn env() -> Env {
    env_with(TOKEN, "").await
}

fn dom(sub: &str, params: &[(&str, &str)]) -> Domain {
    harness::dom(sub, "example.com", params)
}

fn paths(e: &Env) -> Vec<String> {
    lines(&e.fake.requests())
}

#[tokio::test]
async fn creates_a_missing_record_with_auto_ttl() {
    let e = env().await;
    let plan = sync(&*e.p, &dom("www", &[]), ip("192.0.2.10"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let reqs = e.fake.requests();
    assert_eq!(
        paths(&e),
        vec![
            "GET /client/v4/zones".to_string(),
            format!("GET /client/v4/zones/{}/dns_records", e.zone),
            format!("POST /client/v4/zones/{}/dns_records", e.zone),
        ]
    );
    let zq = query_of(&reqs[0]);
    assert_eq!(
        zq,
        vec![
            ("name".into(), "example.com".into()),
            ("status".into(), "active".into()),
            ("per_page".into(), "50".into())
        ]
    );
    assert_eq!(reqs[0].header("authorization"), Some("Bearer cf-token-123"));
    let rq = query_of(&reqs[1]);
    assert!(rq.contains(&("type".into(), "A".into())));
    assert!(rq.contains(&("name".into(), "www.example.com".into())));
    assert!(rq.contains(&("per_page".into(), "50".into())));
    assert!(!rq.iter().any(|(k, _)| k == "comment"));
    let body = body_json(&reqs[2]);
    assert_eq!(body["type"], "A");
    assert_eq!(body["name"], "www.example.com");
    assert_eq!(body["content"], "192.0.2.10");
    assert_eq!(body["proxied"], false);
    assert_eq!(body["ttl"], 1);
    assert!(body.get("comment").is_none());
    let recs = e.fake.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(
        (
            recs[0].name.as_str(),
            recs[0].content.as_str(),
            recs[0].proxied
        ),
        ("www.example.com", "192.0.2.10", false)
    );
}

#[tokio::test]
async fn updates_a_stale_record_with_the_configured_ttl() {
    let e = env_with(TOKEN, "120").await;
    let id = e
        .fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.1", false);
    let plan = sync(&*e.p, &dom("www", &[]), ip("192.0.2.2"))
        .await
        .unwrap();
    assert!(matches!(&plan, Plan::Update { records } if records.len() == 1 && records[0].id == id));
    let w = e.fake.writes();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].method, "PATCH");
    assert_eq!(
        w[0].uri,
        format!("/client/v4/zones/{}/dns_records/{id}", e.zone)
    );
    assert_eq!(body_json(&w[0])["ttl"], 120);
    let r = &e.fake.records()[0];
    assert_eq!((r.content.as_str(), r.ttl), ("192.0.2.2", 120));
}

#[tokio::test]
async fn unchanged_address_sends_only_lookups() {
    let e = env().await;
    e.fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.1", false);
    let plan = sync(&*e.p, &dom("www", &[]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(
        plan,
        Plan::NoChange {
            current: "192.0.2.1".into()
        }
    );
    assert_eq!(e.fake.requests().len(), 2);
    assert!(e.fake.writes().is_empty());
}

#[tokio::test]
async fn apex_uses_the_zone_name() {
    let e = env().await;
    sync(&*e.p, &dom("", &[]), ip("192.0.2.3")).await.unwrap();
    let reqs = e.fake.requests();
    assert!(query_of(&reqs[1]).contains(&("name".into(), "example.com".into())));
    assert_eq!(e.fake.records()[0].name, "example.com");
}

#[tokio::test]
async fn wildcard_keeps_the_star() {
    let e = env().await;
    e.fake
        .seed(&e.zone, "A", "*.example.com", "192.0.2.1", false);
    sync(&*e.p, &dom("*", &[]), ip("192.0.2.4")).await.unwrap();
    assert!(query_of(&e.fake.requests()[1]).contains(&("name".into(), "*.example.com".into())));
    let recs = e.fake.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].content, "192.0.2.4");
}

#[tokio::test]
async fn idn_names_are_sent_as_punycode() {
    let e = env().await;
    sync(&*e.p, &dom("bücher", &[]), ip("192.0.2.5"))
        .await
        .unwrap();
    let reqs = e.fake.requests();
    assert!(query_of(&reqs[1]).contains(&("name".into(), "xn--bcher-kva.example.com".into())));
    assert_eq!(body_json(&reqs[2])["name"], "xn--bcher-kva.example.com");
    assert_eq!(e.fake.records()[0].name, "xn--bcher-kva.example.com");
}

#[tokio::test]
async fn proxied_param_flips_a_record_whose_content_is_right() {
    let e = env().await;
    e.fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.1", false);
    let plan = sync(&*e.p, &dom("www", &[("proxied", "true")]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    assert_eq!(body_json(&e.fake.writes()[0])["proxied"], true);
    assert!(e.fake.records()[0].proxied);
    // Now both content and proxied match: nothing more is written.
    let plan = sync(&*e.p, &dom("www", &[("proxied", "true")]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(e.fake.writes().len(), 1);
    // proxied=false turns it off again.
    sync(&*e.p, &dom("www", &[("proxied", "false")]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert!(!e.fake.records()[0].proxied);
}

#[tokio::test]
async fn absent_proxied_param_keeps_each_records_state() {
    let e = env().await;
    e.fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.1", true);
    let plan = sync(&*e.p, &dom("www", &[]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert!(
        matches!(plan, Plan::NoChange { .. }),
        "a proxied record is not flipped back"
    );
    sync(&*e.p, &dom("www", &[]), ip("192.0.2.8"))
        .await
        .unwrap();
    // The update does not send `proxied` at all, so the record keeps its own state.
    assert!(body_json(&e.fake.writes()[0]).get("proxied").is_none());
    let r = &e.fake.records()[0];
    assert_eq!((r.content.as_str(), r.proxied), ("192.0.2.8", true));
}

#[tokio::test]
async fn update_keeps_the_comment_set_in_the_dashboard() {
    let e = env().await;
    let id = e
        .fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.1", false);
    e.fake.set_comment(&id, "router, do not touch by hand");
    sync(&*e.p, &dom("www", &[]), ip("192.0.2.9"))
        .await
        .unwrap();
    let w = e.fake.writes();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].method, "PATCH");
    let r = &e.fake.records()[0];
    assert_eq!(r.content, "192.0.2.9");
    assert_eq!(r.comment.as_deref(), Some("router, do not touch by hand"));
}

#[tokio::test]
async fn comment_param_filters_the_lookup_and_labels_new_records() {
    let e = env().await;
    let mine = e
        .fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.1", false);
    e.fake.set_comment(&mine, "ddns");
    let other = e
        .fake
        .seed(&e.zone, "A", "www.example.com", "198.51.100.1", false);
    sync(&*e.p, &dom("www", &[("comment", "ddns")]), ip("192.0.2.7"))
        .await
        .unwrap();
    assert!(query_of(&e.fake.requests()[1]).contains(&("comment".into(), "ddns".into())));
    let recs = e.fake.records();
    let get = |id: &str| recs.iter().find(|r| r.id == id).unwrap().clone();
    assert_eq!(get(&mine).content, "192.0.2.7");
    assert_eq!(get(&mine).comment.as_deref(), Some("ddns"));
    assert_eq!(
        get(&other).content,
        "198.51.100.1",
        "a record without the comment is not ours"
    );
    // A new name gets the comment.
    sync(&*e.p, &dom("new", &[("comment", "ddns")]), ip("192.0.2.7"))
        .await
        .unwrap();
    let created = e
        .fake
        .records()
        .into_iter()
        .find(|r| r.name == "new.example.com")
        .unwrap();
    assert_eq!(created.comment.as_deref(), Some("ddns"));
}

#[tokio::test]
async fn ipv6_records_and_equal_spellings() {
    let e = env().await;
    let plan = sync(&*e.p, &dom("v6", &[]), ip("2001:db8::1"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let w = e.fake.writes();
    assert_eq!(body_json(&w[0])["type"], "AAAA");
    assert!(query_of(&e.fake.requests()[1]).contains(&("type".into(), "AAAA".into())));
    e.fake.seed(
        &e.zone,
        "AAAA",
        "long.example.com",
        "2001:0db8:0:0::0001",
        false,
    );
    let before = e.fake.requests().len();
    let plan = sync(&*e.p, &dom("long", &[]), ip("2001:db8::1"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(e.fake.requests().len(), before + 2);
    assert_eq!(e.fake.writes().len(), 1);
}

#[tokio::test]
async fn every_record_of_the_name_is_updated() {
    let e = env().await;
    let a = e
        .fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.1", false);
    let b = e
        .fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.2", true);
    let c = e
        .fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.9", false);
    let plan = sync(&*e.p, &dom("www", &[]), ip("192.0.2.9"))
        .await
        .unwrap();
    let ids: Vec<String> = match plan {
        Plan::Update { records } => records.into_iter().map(|r| r.id).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        ids,
        vec![a.clone(), b.clone()],
        "the record already right is left alone"
    );
    assert_eq!(e.fake.writes().len(), 2);
    for r in e.fake.records() {
        assert_eq!(r.content, "192.0.2.9");
        assert_eq!(
            r.proxied,
            r.id == b,
            "each record keeps its own proxied state"
        );
    }
    let _ = c;
}

#[tokio::test]
async fn wrong_token_is_an_auth_error_and_nothing_is_written() {
    let e = env_with("wrong-token", "").await;
    let err = sync(&*e.p, &dom("www", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("10000")),
        "{err:?}"
    );
    assert_eq!(e.fake.requests().len(), 1);
    assert!(e.fake.writes().is_empty());
    assert!(e.fake.records().is_empty());
}

#[tokio::test]
async fn unknown_zone_is_reported() {
    let e = env().await;
    assert_zone_not_found(&*e.p, "example.net", ip("192.0.2.1")).await;
    assert!(e.fake.writes().is_empty());
}

#[tokio::test]
async fn rate_limit_carries_retry_after() {
    let e = env().await;
    e.fake.fail_next(CfFault::RateLimit { retry_after: 30 });
    let err = sync(&*e.p, &dom("www", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::RateLimited { retry_after: Some(d), .. } if *d == Duration::from_secs(30)),
        "{err:?}"
    );
    assert!(e.fake.writes().is_empty());
}

#[tokio::test]
async fn a_refused_write_is_a_permission_error() {
    let e = env().await;
    e.fake
        .seed(&e.zone, "A", "www.example.com", "192.0.2.1", false);
    let d = dom("www", &[]);
    let l = e.p.lookup(&d, RecordType::A).await.unwrap();
    let plan = e.p.plan(&d, &l, ip("192.0.2.2"));
    e.fake.fail_next(CfFault::Error {
        status: 403,
        code: 9109,
        message: "Unauthorized to access requested resource".into(),
    });
    let err =
        e.p.apply(&d, RecordType::A, &l, &plan, ip("192.0.2.2"))
            .await
            .unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    assert_eq!(e.fake.records()[0].content, "192.0.2.1");
}

#[tokio::test]
async fn the_fake_is_as_strict_as_the_real_api() {
    let fake = FakeCloudflare::new(TOKEN);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    let c = provider_client(&HttpOptions::default(), None).unwrap();
    let url = format!("http://{addr}/client/v4/zones?name=example.com");
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["success"].as_bool(), v["errors"][0]["code"].as_i64()),
        (Some(false), Some(6003))
    );
    let r = c
        .get(&url)
        .header("authorization", format!("Bearer {TOKEN}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["message"], "Authentication error");
    let v: Value = c
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["result"].as_array().unwrap().len(), 1);
    let other = format!("http://{addr}/client/v4/zones?name=example.org");
    let v: Value = c
        .get(&other)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["result"].as_array().unwrap().len(), 0);
    // Writes are validated: wrong family, name outside the zone.
    let zone = fake.add_zone("example.net");
    let post = format!("http://{addr}/client/v4/zones/{zone}/dns_records");
    let bad = [
        serde_json::json!({"type": "A", "name": "www.example.net", "content": "2001:db8::1"}),
        serde_json::json!({"type": "A", "name": "www.example.com", "content": "192.0.2.1"}),
    ];
    for b in bad {
        let r = c
            .post(&post)
            .bearer_auth(TOKEN)
            .json(&b)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{b}");
    }
    assert!(fake.records().is_empty());
    assert_eq!(fake.requests().len(), 6);
}
