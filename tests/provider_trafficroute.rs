//! The trafficroute provider against the fake Volcengine DNS OpenAPI, driven through the
//! `Provider` trait as the sync layer drives it (lookup → plan → apply unless no change).
mod fakes;

use ddns_rs::config::Domain;
use ddns_rs::provider::{Plan, ProviderError};
use fakes::harness::{self, Creds, assert_zone_not_found};
use fakes::trafficroute::{FakeVolc, VeRecord};
use serde_json::{Value, json};

const AK: &str = "AKLTtestak";
const SK: &str = "test sk/+=*~==";

type Env = harness::Env<FakeVolc>;

async fn start_with(ak: &str, ttl: &str) -> Env {
    let fake = FakeVolc::new(AK, SK, "");
    let addr = fakes::serve_http(fake.router()).await;
    fake.set_expected_host(&addr.to_string());
    fake.add_zone("example.com");
    // A zone whose name contains the root: the fuzzy ListZones returns it too.
    fake.add_zone("myexample.com");
    Env::new(fake, addr, "trafficroute", Creds::new(ak, SK).ttl(ttl))
}

async fn start() -> Env {
    start_with(AK, "").await
}

fn domain(sub: &str, root: &str) -> Domain {
    harness::dom(sub, root, &[])
}

fn body(env: &Env, i: usize) -> Value {
    serde_json::from_slice(&env.fake.seen()[i].body).unwrap()
}

fn find(env: &Env, host: &str, t: &str) -> Option<VeRecord> {
    env.fake
        .records()
        .into_iter()
        .find(|r| r.host == host && r.rtype == t)
}

#[tokio::test]
async fn creates_a_missing_record_in_the_exact_zone() {
    let env = start().await;
    let zid = env.fake.add_zone("example.com");
    let plan = env
        .sync(&domain("www", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(
        env.fake.actions(),
        ["ListZones", "ListRecords", "CreateRecord"]
    );
    let seen = env.fake.seen();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].uri,
        "/?Action=ListZones&Key=example.com&Version=2018-08-01"
    );
    assert_eq!(
        seen[1].uri,
        format!(
            "/?Action=ListRecords&Host=www&PageNumber=1&PageSize=500&SearchMode=exact&Type=A&Version=2018-08-01&ZID={zid}"
        )
    );
    assert_eq!(seen[2].method, "POST");
    assert_eq!(
        body(&env, 2),
        json!({"ZID": zid, "Host": "www", "Type": "A", "Value": "198.51.100.7", "TTL": 600, "Line": "default"})
    );
    let r = find(&env, "www", "A").unwrap();
    assert_eq!((r.zid, r.value.as_str()), (zid, "198.51.100.7"));
}

#[tokio::test]
async fn requests_carry_the_sdk_signature() {
    let env = start().await;
    env.sync(&domain("www", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    let seen = &env.fake.seen()[2];
    assert_eq!(seen.header("host"), Some(env.host.as_str()));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    let date = seen.header("x-date").unwrap();
    let auth = seen.header("authorization").unwrap();
    let prefix = format!(
        "HMAC-SHA256 Credential={AK}/{}/cn-north-1/DNS/request, SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=",
        &date[..8]
    );
    assert!(auth.starts_with(&prefix), "{auth}");
    assert_eq!(auth.len(), prefix.len() + 64);
}

#[tokio::test]
async fn updates_a_stale_value_keeping_its_line() {
    let env = start_with(AK, "300").await;
    let id = env
        .fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600);
    env.sync(&domain("www", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(
        env.fake.actions(),
        ["ListZones", "ListRecords", "UpdateRecord"]
    );
    assert_eq!(
        body(&env, 2),
        json!({"RecordID": id, "Host": "www", "Type": "A", "Value": "198.51.100.7", "TTL": 300, "Line": "default"})
    );
    let r = find(&env, "www", "A").unwrap();
    assert_eq!((r.value.as_str(), r.ttl), ("198.51.100.7", 300));
}

#[tokio::test]
async fn no_change_sends_only_lookups() {
    let env = start().await;
    env.fake
        .add_record("example.com", "@", "AAAA", "2001:db8::1", 600);
    let plan = env
        .sync(&domain("", "example.com"), "2001:0db8:0:0::1")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(env.fake.actions(), ["ListZones", "ListRecords"]);
    assert!(env.fake.seen()[1].uri.contains("Host=%40&"));
}

#[tokio::test]
async fn wildcard_and_ipv6() {
    let env = start().await;
    env.fake
        .add_record("example.com", "*", "A", "192.0.2.1", 600);
    env.sync(&domain("*", "example.com"), "2001:db8::5")
        .await
        .unwrap();
    assert_eq!(find(&env, "*", "A").unwrap().value, "192.0.2.1");
    assert_eq!(find(&env, "*", "AAAA").unwrap().value, "2001:db8::5");
}

#[tokio::test]
async fn a_missing_zone_stops_before_any_record_call() {
    let env = start().await;
    assert_zone_not_found(&*env.provider, "example.org", "198.51.100.7").await;
    // ddns-go carried on with ZID 0; nothing past ListZones may be sent.
    assert_eq!(env.fake.actions(), ["ListZones"]);
}

#[tokio::test]
async fn bad_credentials_are_auth_and_nothing_is_written() {
    let env = start_with("AKLTwrong", "").await;
    let err = env
        .sync(&domain("www", "example.com"), "198.51.100.7")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Auth(ref m) if m.contains("InvalidAccessKey")),
        "{err:?}"
    );
    assert!(!err.to_string().contains(SK));
    assert_eq!(env.fake.actions(), ["ListZones"]);
}

#[tokio::test]
async fn permission_and_rate_limit_answers() {
    let env = start().await;
    let d = domain("www", "example.com");
    env.fake
        .fail_next(403, "AccessDenied", "User is not authorized.", None);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    env.fake
        .fail_next(429, "FlowLimitExceeded", "Too many requests.", Some(12));
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 12),
        "{err:?}"
    );
    assert!(env.fake.actions().iter().all(|a| a.starts_with("List")));
}
