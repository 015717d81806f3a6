//! The huaweicloud provider against the fake Huawei Cloud DNS API, driven through the
//! `Provider` trait as the sync layer drives it (lookup → plan → apply unless no change).
mod fakes;

use std::net::IpAddr;

use ddns_rs::provider::{Plan, ProviderError, RecordType};
use fakes::harness::{self, Creds, assert_zone_not_found, dom};
use fakes::huaweicloud::FakeHuawei;
use serde_json::{Value, json};

const AK: &str = "HPUATESTAK";
const SK: &str = "test sk/+=*~";

type Env = harness::Env<FakeHuawei>;

async fn start_with(ak: &str, ttl: &str) -> Env {
    let fake = FakeHuawei::new(AK, SK, "");
    let addr = fakes::serve_http(fake.router()).await;
    fake.set_expected_host(&addr.to_string());
    fake.add_zone("example.com");
    Env::new(fake, addr, "huaweicloud", Creds::new(ak, SK).ttl(ttl))
}

async fn start() -> Env {
    start_with(AK, "").await
}

fn body(env: &Env, i: usize) -> Value {
    serde_json::from_slice(&env.fake.seen()[i].body).unwrap()
}

fn value_of(env: &Env, name: &str, rtype: &str) -> Option<(Vec<String>, u64)> {
    env.fake
        .records()
        .into_iter()
        .find(|r| r.name == name && r.rtype == rtype)
        .map(|r| (r.records, r.ttl))
}

#[tokio::test]
async fn creates_a_missing_record_in_the_exact_zone() {
    let env = start().await;
    // A zone whose name merely contains the root must not be chosen.
    env.fake.add_zone("myexample.com");
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    let zid = env.fake.add_zone("example.com");
    assert_eq!(
        env.fake.calls(),
        [
            "GET /v2.1/recordsets".to_string(),
            "GET /v2/zones".to_string(),
            format!("POST /v2.1/zones/{zid}/recordsets"),
        ]
    );
    let list = &env.fake.seen()[0];
    assert_eq!(list.uri, "/v2.1/recordsets?name=www.example.com.&type=A");
    assert_eq!(
        body(&env, 2),
        json!({"name": "www.example.com.", "type": "A", "records": ["198.51.100.7"], "ttl": 300, "weight": 1})
    );
    assert_eq!(
        value_of(&env, "www.example.com.", "A"),
        Some((vec!["198.51.100.7".to_string()], 300))
    );
}

#[tokio::test]
async fn requests_sign_content_type_host_and_date() {
    let env = start().await;
    env.sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    let seen = &env.fake.seen()[0];
    assert_eq!(seen.header("host"), Some(env.host.as_str()));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    let auth = seen.header("authorization").unwrap();
    let prefix = format!(
        "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-sdk-date, Signature="
    );
    assert!(auth.starts_with(&prefix), "{auth}");
    assert_eq!(auth.len(), prefix.len() + 64);
}

#[tokio::test]
async fn updates_a_stale_value_with_the_configured_ttl() {
    let env = start_with(AK, "120").await;
    let id = env
        .fake
        .add_record("example.com", "www.example.com", "A", "192.0.2.1", 300);
    // The fuzzy search also returns this one; it must not be touched.
    env.fake.add_record(
        "example.com",
        "www.example.com.example.com",
        "A",
        "192.0.2.1",
        300,
    );
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id.ends_with(&id)));
    let zid = env.fake.add_zone("example.com");
    assert_eq!(
        env.fake.calls()[1],
        format!("PUT /v2.1/zones/{zid}/recordsets/{id}")
    );
    assert_eq!(
        body(&env, 1),
        json!({"name": "www.example.com.", "type": "A", "records": ["198.51.100.7"], "ttl": 120})
    );
    assert_eq!(
        value_of(&env, "www.example.com.", "A"),
        Some((vec!["198.51.100.7".to_string()], 120))
    );
    assert_eq!(
        value_of(&env, "www.example.com.example.com.", "A")
            .unwrap()
            .0,
        ["192.0.2.1"]
    );
}

#[tokio::test]
async fn no_change_sends_only_the_lookup() {
    let env = start().await;
    env.fake
        .add_record("example.com", "v6.example.com", "AAAA", "2001:db8::1", 300);
    let plan = env
        .sync(&dom("v6", "example.com", &[]), "2001:0db8:0:0::1")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(env.fake.calls(), ["GET /v2.1/recordsets"]);
    assert!(env.fake.seen()[0].uri.ends_with("type=AAAA"));
}

#[tokio::test]
async fn apex_and_wildcard_names() {
    let env = start().await;
    env.sync(&dom("", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    env.sync(&dom("*", "example.com", &[]), "2001:db8::7")
        .await
        .unwrap();
    assert!(value_of(&env, "example.com.", "A").is_some());
    assert_eq!(
        value_of(&env, "*.example.com.", "AAAA").unwrap().0,
        ["2001:db8::7"]
    );
    // The wildcard is percent-encoded in the signed query.
    let lists: Vec<String> = env
        .fake
        .seen()
        .iter()
        .filter(|s| s.uri.starts_with("/v2.1/recordsets"))
        .map(|s| s.uri.clone())
        .collect();
    assert_eq!(lists[1], "/v2.1/recordsets?name=%2A.example.com.&type=AAAA");
}

#[tokio::test]
async fn zone_and_recordset_params_read_that_record_set_directly() {
    let env = start().await;
    let id = env
        .fake
        .add_record("example.com", "www.example.com", "A", "192.0.2.1", 300);
    let zid = env.fake.add_zone("example.com");
    let d = dom(
        "www",
        "example.com",
        &[("recordset_id", &id), ("zone_id", &zid)],
    );
    env.sync(&d, "198.51.100.7").await.unwrap();
    assert_eq!(
        env.fake.calls(),
        [
            format!("GET /v2.1/zones/{zid}/recordsets/{id}"),
            format!("PUT /v2.1/zones/{zid}/recordsets/{id}"),
        ]
    );
}

#[tokio::test]
async fn a_missing_recordset_id_is_an_error_not_a_create() {
    let env = start().await;
    let d = dom("www", "example.com", &[("recordset_id", "nope")]);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Api(ref m) if m.contains("recordset_id")),
        "{err:?}"
    );
    // The custom param is passed to the list as `id`.
    assert_eq!(
        env.fake.seen()[0].uri,
        "/v2.1/recordsets?id=nope&name=www.example.com.&type=A"
    );
    assert!(env.fake.writes().is_empty());
}

#[tokio::test]
async fn bad_credentials_are_auth_and_nothing_is_written() {
    let env = start_with("WRONGAK", "").await;
    let err = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Auth(ref m) if m.contains("APIG.0301")),
        "{err:?}"
    );
    assert!(!err.to_string().contains(SK));
    assert!(env.fake.writes().is_empty());
}

#[tokio::test]
async fn missing_zone_is_zone_not_found() {
    let env = start().await;
    assert_zone_not_found(&*env.provider, "example.org", "198.51.100.7").await;
    assert!(env.fake.writes().is_empty());
}

#[tokio::test]
async fn permission_and_rate_limit_answers() {
    let env = start().await;
    env.fake.fail_next(
        403,
        "DNS.0030",
        "Policy doesn't allow dns:recordset:list.",
        None,
    );
    let d = dom("www", "example.com", &[]);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    env.fake.fail_next(
        429,
        "APIG.0308",
        "The throttling threshold has been reached.",
        Some(30),
    );
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 30),
        "{err:?}"
    );
    assert!(env.fake.writes().is_empty());
}

#[tokio::test]
async fn a_server_error_on_write_is_reported() {
    let env = start().await;
    env.fake
        .add_record("example.com", "www.example.com", "A", "192.0.2.1", 300);
    let p = &*env.provider;
    let d = dom("www", "example.com", &[]);
    let addr: IpAddr = "198.51.100.7".parse().unwrap();
    let l = p.lookup(&d, RecordType::A).await.unwrap();
    let plan = p.plan(&d, &l, addr);
    env.fake.fail_next(500, "DNS.0001", "Internal error.", None);
    let err = p
        .apply(&d, RecordType::A, &l, &plan, addr)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ProviderError::Api("Huawei Cloud error DNS.0001: Internal error.".into())
    );
}
