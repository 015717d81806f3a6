//! The dynv6 provider against the fake dynv6 REST API, driven through the trait.
mod fakes;

use std::sync::Arc;
use std::time::Duration;

use ddns_rs::provider::{Plan, Provider, ProviderError};
use fakes::dynv6::FakeDynv6;
use fakes::p3core::{Fault, body_json, dom, ip, lines, provider, sync};
use serde_json::json;

const TOKEN: &str = "dynv6-token";
const ZONE: &str = "home.dynv6.net";

async fn env(token: &str) -> (Arc<FakeDynv6>, u64, Box<dyn Provider>) {
    let fake = FakeDynv6::new(TOKEN);
    fake.add_zone("myhome.dynv6.net", "198.51.100.1", "");
    let zid = fake.add_zone(ZONE, "192.0.2.1", "2001:db8::1");
    let addr = fakes::serve_http(fake.router()).await;
    (
        fake.clone(),
        zid,
        provider("dynv6", &format!("http://{addr}"), "", token, "", "600"),
    )
}

fn zone(fake: &FakeDynv6) -> (String, String) {
    let z = fake.zones().into_iter().find(|z| z.name == ZONE).unwrap();
    (z.ipv4address, z.ipv6prefix)
}

// The PSL puts dynv6.net in its private section, so `home.dynv6.net` is the root.
fn apex() -> ddns_rs::config::Domain {
    dom("", ZONE, &[])
}

#[tokio::test]
async fn apex_update_patches_only_its_own_family() {
    let (fake, zid, p) = env(TOKEN).await;
    let plan = sync(&*p, &apex(), ip("192.0.2.2")).await.unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    let reqs = fake.rec.requests();
    assert_eq!(
        lines(&reqs),
        [
            "GET /api/v2/zones".to_string(),
            format!("PATCH /api/v2/zones/{zid}")
        ]
    );
    assert_eq!(reqs[0].header("authorization"), Some("Bearer dynv6-token"));
    assert_eq!(body_json(&reqs[1]), json!({"ipv4address": "192.0.2.2"}));
    assert_eq!(
        zone(&fake),
        ("192.0.2.2".into(), "2001:db8::1".into()),
        "IPv6 is kept"
    );
    sync(&*p, &apex(), ip("2001:db8::2")).await.unwrap();
    assert_eq!(
        body_json(&fake.rec.writes()[1]),
        json!({"ipv6prefix": "2001:db8::2"})
    );
    assert_eq!(
        zone(&fake),
        ("192.0.2.2".into(), "2001:db8::2".into()),
        "IPv4 is kept"
    );
    // The other zone, whose name ends with the same letters, is untouched.
    let other = fake
        .zones()
        .into_iter()
        .find(|z| z.name == "myhome.dynv6.net")
        .unwrap();
    assert_eq!(other.ipv4address, "198.51.100.1");
}

#[tokio::test]
async fn unchanged_apex_and_record_send_only_lookups() {
    let (fake, zid, p) = env(TOKEN).await;
    fake.seed(zid, "www", "AAAA", "2001:db8:0::5");
    let plan = sync(&*p, &apex(), ip("2001:db8:0:0::1")).await.unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    let plan = sync(&*p, &dom("www", ZONE, &[]), ip("2001:db8::5"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert!(fake.rec.writes().is_empty());
    assert_eq!(fake.rec.requests().len(), 3);
}

#[tokio::test]
async fn records_are_created_and_updated_by_name_and_type() {
    let (fake, zid, p) = env(TOKEN).await;
    let v6 = fake.seed(zid, "www", "AAAA", "2001:db8::9");
    let plan = sync(&*p, &dom("www", ZONE, &[]), ip("192.0.2.7"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let w = fake.rec.writes();
    assert_eq!(lines(&w), [format!("POST /api/v2/zones/{zid}/records")]);
    assert_eq!(
        body_json(&w[0]),
        json!({"name": "www", "type": "A", "data": "192.0.2.7"})
    );
    let a = fake.records().into_iter().find(|r| r.rtype == "A").unwrap();
    sync(&*p, &dom("www", ZONE, &[]), ip("192.0.2.8"))
        .await
        .unwrap();
    let w = fake.rec.writes();
    assert_eq!(
        lines(&w)[1],
        format!("PATCH /api/v2/zones/{zid}/records/{}", a.id)
    );
    assert_eq!(body_json(&w[1]), json!({"data": "192.0.2.8"}));
    let recs = fake.records();
    assert_eq!(
        recs.iter().find(|r| r.id == a.id).unwrap().data,
        "192.0.2.8"
    );
    assert_eq!(
        recs.iter().find(|r| r.id == v6).unwrap().data,
        "2001:db8::9"
    );
    assert_eq!(
        zone(&fake),
        ("192.0.2.1".into(), "2001:db8::1".into()),
        "the apex is untouched"
    );
}

#[tokio::test]
async fn names_below_the_zone_and_wildcards() {
    let (fake, zid, p) = env(TOKEN).await;
    // A root given as dynv6.net (sub "a.home") still lands in the home zone as "a".
    sync(&*p, &dom("a.home", "dynv6.net", &[]), ip("192.0.2.3"))
        .await
        .unwrap();
    sync(&*p, &dom("*", ZONE, &[]), ip("192.0.2.4"))
        .await
        .unwrap();
    let recs = fake.records();
    assert!(
        recs.iter()
            .any(|r| r.zone_id == zid && r.name == "a" && r.data == "192.0.2.3")
    );
    assert!(
        recs.iter()
            .any(|r| r.zone_id == zid && r.name == "*" && r.data == "192.0.2.4")
    );
}

#[tokio::test]
async fn error_answers_are_classified_and_nothing_is_written() {
    let (fake, _, p) = env("wrong").await;
    let err = sync(&*p, &apex(), ip("192.0.2.2")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if !m.contains("wrong")),
        "{err:?}"
    );
    assert!(fake.rec.writes().is_empty());

    let (fake, _, p) = env(TOKEN).await;
    let err = sync(&*p, &dom("", "other.dynv6.net", &[]), ip("192.0.2.2"))
        .await
        .unwrap_err();
    assert_eq!(err, ProviderError::ZoneNotFound("other.dynv6.net".into()));
    fake.rec
        .fail_next(Fault::rate_limit(60, json!({"error": "Too Many Requests"})));
    let err = sync(&*p, &apex(), ip("192.0.2.2")).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(60))
    );
    fake.rec
        .fail_next(Fault::json(403, json!({"error": "Forbidden"})));
    let err = sync(&*p, &apex(), ip("192.0.2.2")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    assert!(fake.rec.writes().is_empty());
    assert_eq!(zone(&fake).0, "192.0.2.1");
}
