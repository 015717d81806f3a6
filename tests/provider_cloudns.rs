//! The ClouDNS provider against the fake ClouDNS API, driven through the trait.
mod fakes;

use std::sync::Arc;

use ddns_rs::provider::{Plan, Provider, ProviderError};
use fakes::cloudns::FakeCloudns;
use fakes::harness::assert_zone_not_found;
use fakes::p3core::{Fault, body_form, dom, ip, lines, provider, sync};
use serde_json::json;

const ID: &str = "1234";
const PASSWORD: &str = "cl-pass";

async fn env(password: &str, ttl: &str) -> (Arc<FakeCloudns>, Box<dyn Provider>) {
    let fake = FakeCloudns::new(ID, PASSWORD);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    (
        fake.clone(),
        provider("cloudns", &format!("http://{addr}"), ID, password, "", ttl),
    )
}

fn value(fake: &FakeCloudns, host: &str, t: &str) -> Option<(String, u32)> {
    fake.records()
        .into_iter()
        .find(|r| r.host == host && r.rtype == t)
        .map(|r| (r.record, r.ttl))
}

fn has(form: &[(String, String)], k: &str, v: &str) -> bool {
    form.contains(&(k.to_string(), v.to_string()))
}

#[tokio::test]
async fn creates_with_the_form_fields() {
    let (fake, p) = env(PASSWORD, "").await;
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let reqs = fake.rec.requests();
    assert_eq!(
        lines(&reqs),
        ["POST /dns/records.json", "POST /dns/add-record.json"]
    );
    let list = body_form(&reqs[0]);
    for (k, v) in [
        ("auth-id", ID),
        ("auth-password", PASSWORD),
        ("domain-name", "example.com"),
        ("host", "www"),
        ("type", "A"),
    ] {
        assert!(has(&list, k, v), "{k} in {list:?}");
    }
    assert!(
        !reqs[0].uri.contains(PASSWORD),
        "credentials go in the body, not the URL"
    );
    let add = body_form(&reqs[1]);
    for (k, v) in [
        ("record-type", "A"),
        ("host", "www"),
        ("record", "192.0.2.1"),
        ("ttl", "3600"),
        ("domain-name", "example.com"),
    ] {
        assert!(has(&add, k, v), "{k} in {add:?}");
    }
    assert_eq!(value(&fake, "www", "A"), Some(("192.0.2.1".into(), 3600)));
}

#[tokio::test]
async fn updates_by_record_id_with_an_allowed_ttl() {
    let (fake, p) = env(PASSWORD, "600").await;
    let id = fake.seed("example.com", "www", "A", "192.0.2.1");
    fake.seed("example.com", "www", "AAAA", "2001:db8::1");
    let plan = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.2"))
        .await
        .unwrap();
    assert!(matches!(&plan, Plan::Update { records } if records[0].id == id.to_string()));
    let w = fake.rec.writes();
    assert_eq!(lines(&w)[1], "POST /dns/mod-record.json");
    assert!(has(&body_form(&w[1]), "record-id", &id.to_string()));
    assert_eq!(
        value(&fake, "www", "A"),
        Some(("192.0.2.2".into(), 900)),
        "600 is rounded up to 900"
    );
    assert_eq!(value(&fake, "www", "AAAA").unwrap().0, "2001:db8::1");
}

#[tokio::test]
async fn unchanged_address_sends_only_the_lookup() {
    let (fake, p) = env(PASSWORD, "").await;
    fake.seed("example.com", "v6", "AAAA", "2001:db8:0::1");
    let plan = sync(&*p, &dom("v6", "example.com", &[]), ip("2001:db8::1"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(fake.rec.requests().len(), 1);
}

#[tokio::test]
async fn apex_is_the_empty_host_and_other_hosts_are_not_touched() {
    let (fake, p) = env(PASSWORD, "").await;
    fake.seed("example.com", "www", "A", "192.0.2.1");
    // The empty host does not filter at ClouDNS: the client must pick the apex itself.
    let plan = sync(&*p, &dom("", "example.com", &[]), ip("192.0.2.4"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(value(&fake, "", "A").unwrap().0, "192.0.2.4");
    assert_eq!(value(&fake, "www", "A").unwrap().0, "192.0.2.1");
    sync(&*p, &dom("*", "example.com", &[]), ip("192.0.2.5"))
        .await
        .unwrap();
    assert_eq!(value(&fake, "*", "A").unwrap().0, "192.0.2.5");
}

#[tokio::test]
async fn record_id_param_and_sub_auth() {
    let (fake, p) = env(PASSWORD, "").await;
    fake.seed("example.com", "www", "A", "192.0.2.1");
    let second = fake.seed("example.com", "www", "A", "192.0.2.2");
    let id = second.to_string();
    let d = dom(
        "www",
        "example.com",
        &[("RecordId", &id), ("sub-auth", "true")],
    );
    sync(&*p, &d, ip("192.0.2.3")).await.unwrap();
    let recs = fake.records();
    assert_eq!(
        recs.iter().find(|r| r.id == second).unwrap().record,
        "192.0.2.3"
    );
    assert_eq!(
        recs.iter().find(|r| r.id != second).unwrap().record,
        "192.0.2.1"
    );
    let first = body_form(&fake.rec.requests()[0]);
    assert!(has(&first, "sub-auth-id", ID) && !first.iter().any(|(k, _)| k == "auth-id"));
}

#[tokio::test]
async fn error_answers_are_classified_and_nothing_is_written() {
    let (fake, p) = env("wrong", "").await;
    let err = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("incorrect auth-id") && !m.contains("wrong")),
        "{err:?}"
    );
    assert_eq!(fake.rec.requests().len(), 1);

    let (fake, p) = env(PASSWORD, "").await;
    assert_zone_not_found(&*p, "example.net", ip("192.0.2.1")).await;
    fake.rec.fail_next(Fault::rate_limit(
        30,
        json!({"status": "Failed", "statusDescription": "Too many requests"}),
    ));
    let err = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 30)
    );
    fake.rec.fail_next(Fault::json(200, json!({"status": "Failed", "statusDescription": "You don't have permission to perform this action."})));
    let err = sync(&*p, &dom("www", "example.com", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    assert!(fake.records().is_empty());
}

#[tokio::test]
async fn the_fake_rejects_what_cloudns_rejects() {
    let fake = FakeCloudns::new(ID, PASSWORD);
    fake.add_zone("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    let c = ddns_rs::http::provider_client(&Default::default(), None).unwrap();
    let url = format!("http://{addr}/dns/add-record.json");
    let base = [
        ("auth-id", ID),
        ("auth-password", PASSWORD),
        ("domain-name", "example.com"),
        ("record-type", "A"),
        ("host", "a"),
    ];
    for (rec, ttl) in [("192.0.2.1", "600"), ("2001:db8::1", "3600")] {
        let mut form = base.to_vec();
        form.extend([("record", rec), ("ttl", ttl)]);
        let v: serde_json::Value = c
            .post(&url)
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["status"], "Failed", "{rec} {ttl}");
    }
    assert!(fake.records().is_empty());
}
