//! The dnsla provider against the fake DNS.LA API, driven through the `Provider` trait as the
//! sync layer drives it.
mod fakes;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ddns_rs::config::Domain;
use ddns_rs::provider::{Plan, ProviderError, RecordType};
use fakes::dnsla::FakeDnsla;
use fakes::harness::{self, Creds, assert_zone_not_found};
use fakes::p4common::{Fault, query};
use serde_json::{Value, json};

const ID: &str = "apiid-123";
const SECRET: &str = "dnsla secret:with colon";

type Env = harness::Env<FakeDnsla>;

async fn start_with(secret: &str, ttl: &str) -> Env {
    let fake = FakeDnsla::new(ID, SECRET);
    let addr = fakes::serve_http(fake.router()).await;
    fake.add_zone("example.com");
    Env::new(fake, addr, "dnsla", Creds::new(ID, secret).ttl(ttl))
}

async fn start() -> Env {
    start_with(SECRET, "").await
}

fn domain(sub: &str, params: &[(&str, &str)]) -> Domain {
    harness::dom(sub, "example.com", params)
}

fn list_query(env: &Env, i: usize) -> BTreeMap<String, String> {
    query(&env.fake.seen()[i])
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
    let plan = env.sync(&domain("www", &[]), "198.51.100.7").await.unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(
        env.fake.calls(),
        ["GET /api/recordList", "POST /api/record"]
    );
    let q = list_query(&env, 0);
    assert_eq!(
        (
            &*q["domain"],
            &*q["host"],
            &*q["type"],
            &*q["pageIndex"],
            &*q["pageSize"]
        ),
        ("example.com", "www", "1", "1", "999")
    );
    assert_eq!(
        body(&env, 1),
        json!({"Domain": "example.com", "Host": "www", "Type": 1, "Data": "198.51.100.7", "TTL": 600})
    );
    assert_eq!(
        env.fake.seen()[1].header("content-type"),
        Some("application/json")
    );
    assert_eq!(values(&env), [v("www", "A", "198.51.100.7", 600)]);
}

#[tokio::test]
async fn updates_a_stale_value_with_the_configured_ttl() {
    let env = start_with(SECRET, "300").await;
    let id = env.fake.seed("example.com", "www", "A", "192.0.2.1");
    let plan = env.sync(&domain("www", &[]), "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id == id.to_string()));
    assert_eq!(env.fake.calls(), ["GET /api/recordList", "PUT /api/record"]);
    assert_eq!(
        body(&env, 1),
        json!({"Id": id.to_string(), "Host": "www", "Type": 1, "Data": "198.51.100.7", "TTL": 300})
    );
    assert_eq!(values(&env), [v("www", "A", "198.51.100.7", 300)]);
}

#[tokio::test]
async fn a_ttl_that_is_not_a_number_means_the_default() {
    let env = start_with(SECRET, "auto").await;
    env.sync(&domain("www", &[]), "198.51.100.7").await.unwrap();
    assert_eq!(body(&env, 1)["TTL"], 600);
}

#[tokio::test]
async fn unchanged_value_sends_only_lookups() {
    let env = start().await;
    env.fake.seed("example.com", "www", "A", "198.51.100.7");
    for _ in 0..2 {
        let plan = env.sync(&domain("www", &[]), "198.51.100.7").await.unwrap();
        assert!(matches!(plan, Plan::NoChange { .. }));
    }
    assert_eq!(
        env.fake.calls(),
        ["GET /api/recordList", "GET /api/recordList"]
    );
}

#[tokio::test]
async fn apex_wildcard_and_ipv6() {
    let env = start().await;
    env.fake.seed("example.com", "@", "AAAA", "2001:0db8::0001");
    assert!(matches!(
        env.sync(&domain("", &[]), "2001:db8::1").await.unwrap(),
        Plan::NoChange { .. }
    ));
    let q = list_query(&env, 0);
    assert_eq!((&*q["host"], &*q["type"]), ("@", "28"));
    assert_eq!(
        env.sync(&domain("*", &[]), "2001:db8::5").await.unwrap(),
        Plan::Create
    );
    assert_eq!(body(&env, 2)["Host"], "*");
    assert_eq!(body(&env, 2)["Type"], 28);
    assert_eq!(
        values(&env),
        [
            v("@", "AAAA", "2001:0db8::0001", 600),
            v("*", "AAAA", "2001:db8::5", 600)
        ]
    );
}

#[tokio::test]
async fn custom_params_go_into_the_query_and_id_picks_the_record() {
    let env = start().await;
    env.fake.seed("example.com", "www", "A", "192.0.2.1");
    let second = env.fake.seed("example.com", "www", "A", "192.0.2.2");
    let d = domain(
        "www",
        &[
            ("id", &second.to_string()),
            ("lineId", "7"),
            ("host", "evil"),
        ],
    );
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id == second.to_string()));
    let q = list_query(&env, 0);
    assert_eq!(q["lineId"], "7");
    assert_eq!(
        q["host"], "www",
        "a custom param never replaces the call's own"
    );
    assert_eq!(body(&env, 1)["Id"], second.to_string());
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error_and_nothing_is_written() {
    let env = start_with("bad-secret-xyz", "").await;
    let err = env
        .sync(&domain("www", &[]), "198.51.100.7")
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Auth(_)), "{err:?}");
    assert!(!err.to_string().contains("bad-secret-xyz"));
    assert_eq!(env.fake.calls(), ["GET /api/recordList"]);
    assert!(env.fake.records().is_empty());
}

#[tokio::test]
async fn zone_not_found() {
    let env = start().await;
    assert_zone_not_found(&*env.provider, "example.org", "198.51.100.7").await;
}

#[tokio::test]
async fn permission_rate_limit_and_other_errors() {
    let env = start().await;
    let d = domain("www", &[]);
    let fault = |status, code, msg: &str| Fault {
        status,
        retry_after: Some(9),
        body: json!({"code": code, "msg": msg, "data": null}),
    };
    env.fake
        .fail_next(fault(200, 403, "no permission for this domain"));
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::Permission(_))
    ));
    env.fake.fail_next(fault(429, 429, "too many requests"));
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::RateLimited { retry_after: Some(r), .. }) if r == Duration::from_secs(9)
    ));
    // Exactly HTTP 200 is required, even with code 200 inside.
    env.fake.fail_next(fault(202, 200, ""));
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::Api(m)) if m.contains("HTTP 202")
    ));
    env.fake.fail_next(fault(200, 500, "internal"));
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::Api(m)) if m.contains("internal")
    ));
    assert!(env.fake.records().is_empty());
}

#[tokio::test]
async fn an_empty_list_with_null_results_means_create() {
    let env = start().await;
    env.fake.fail_next(Fault {
        status: 200,
        retry_after: None,
        body: json!({"code": 200, "msg": "", "data": {"total": 0, "results": null}}),
    });
    let plan = env.sync(&domain("www", &[]), "198.51.100.7").await.unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(values(&env), [v("www", "A", "198.51.100.7", 600)]);
}

#[tokio::test]
async fn only_records_of_the_name_count_and_an_empty_host_is_the_apex() {
    let env = start().await;
    let list = |host: &str| Fault {
        status: 200,
        retry_after: None,
        body: json!({"code": 200, "msg": "", "data": {"total": 1, "results": [
            {"id": "7", "host": host, "type": 1, "data": "198.51.100.7", "ttl": 600}]}}),
    };
    let apex = domain("", &[]);
    let addr: IpAddr = "198.51.100.7".parse().unwrap();
    env.fake.fail_next(list(""));
    let l = env.provider.lookup(&apex, RecordType::A).await.unwrap();
    assert!(matches!(
        env.provider.plan(&apex, &l, addr),
        Plan::NoChange { .. }
    ));
    // A record of another name in the answer is never taken for this one.
    env.fake.fail_next(list("www"));
    let l = env.provider.lookup(&apex, RecordType::A).await.unwrap();
    assert_eq!(env.provider.plan(&apex, &l, addr), Plan::Create);
}
