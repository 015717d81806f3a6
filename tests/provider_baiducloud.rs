//! The baiducloud provider against the fake Baidu BCD API, driven through the `Provider` trait
//! as the sync layer drives it (lookup → plan → apply unless no change).
mod fakes;

use ddns_rs::config::Domain;
use ddns_rs::provider::{Plan, ProviderError};
use fakes::baiducloud::{BdRecord, FakeBaidu};
use fakes::harness::{self, Creds, assert_zone_not_found};
use serde_json::{Value, json};

const AK: &str = "bce-test-ak";
const SK: &str = "test sk/+=*~";

type Env = harness::Env<FakeBaidu>;

async fn start_with(ak: &str, ttl: &str) -> Env {
    let fake = FakeBaidu::new(AK, SK, "");
    let addr = fakes::serve_http(fake.router()).await;
    fake.set_expected_host(&addr.to_string());
    fake.add_zone("example.com");
    Env::new(fake, addr, "baiducloud", Creds::new(ak, SK).ttl(ttl))
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

fn find(env: &Env, domain: &str, t: &str) -> Option<BdRecord> {
    env.fake
        .records()
        .into_iter()
        .find(|r| r.domain == domain && r.rdtype == t)
}

#[tokio::test]
async fn creates_a_missing_record() {
    let env = start().await;
    let plan = env
        .sync(&domain("www", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(env.fake.actions(), ["list", "add"]);
    assert_eq!(
        body(&env, 0),
        json!({"domain": "example.com", "pageNum": 1, "pageSize": 1000})
    );
    assert_eq!(
        body(&env, 1),
        json!({"domain": "www", "rdType": "A", "ttl": 300, "rdata": "198.51.100.7", "zoneName": "example.com"})
    );
    assert_eq!(find(&env, "www", "A").unwrap().rdata, "198.51.100.7");
}

#[tokio::test]
async fn requests_sign_host_date_and_body_hash() {
    let env = start().await;
    env.sync(&domain("www", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    let seen = &env.fake.seen()[1];
    assert_eq!(seen.header("host"), Some(env.host.as_str()));
    let auth = seen.header("authorization").unwrap();
    let date = seen.header("x-bce-date").unwrap();
    let prefix = format!("bce-auth-v1/{AK}/{date}/1800/host;x-bce-content-sha256;x-bce-date/");
    assert!(auth.starts_with(&prefix), "{auth}");
    assert_eq!(auth.len(), prefix.len() + 64);
}

#[tokio::test]
async fn matches_type_as_well_as_host() {
    // ddns-go took the first record of the host whatever its type: the AAAA sync would have
    // overwritten the A record.
    let env = start().await;
    env.fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600);
    let plan = env
        .sync(&domain("www", "example.com"), "2001:db8::1")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(find(&env, "www", "A").unwrap().rdata, "192.0.2.1");
    assert_eq!(find(&env, "www", "AAAA").unwrap().rdata, "2001:db8::1");
}

#[tokio::test]
async fn updates_keeping_the_record_ttl_unless_configured() {
    let env = start().await;
    let id = env
        .fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600);
    env.sync(&domain("www", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(env.fake.actions(), ["list", "edit"]);
    assert_eq!(
        body(&env, 1),
        json!({"recordId": id, "domain": "www", "view": "DEFAULT", "rdType": "A", "ttl": 600,
               "rdata": "198.51.100.7", "zoneName": "example.com"})
    );
    let env = start_with(AK, "120").await;
    env.fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600);
    env.sync(&domain("www", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    let r = find(&env, "www", "A").unwrap();
    assert_eq!((r.rdata.as_str(), r.ttl), ("198.51.100.7", 120));
}

#[tokio::test]
async fn no_change_sends_only_the_lookup() {
    let env = start().await;
    env.fake
        .add_record("example.com", "@", "AAAA", "2001:db8::1", 300);
    let plan = env
        .sync(&domain("", "example.com"), "2001:0db8:0:0::1")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(env.fake.actions(), ["list"]);
}

#[tokio::test]
async fn apex_and_wildcard() {
    let env = start().await;
    env.fake
        .add_record("example.com", "@", "A", "192.0.2.1", 300);
    env.sync(&domain("", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    env.sync(&domain("*", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(find(&env, "@", "A").unwrap().rdata, "198.51.100.7");
    assert_eq!(find(&env, "*", "A").unwrap().rdata, "198.51.100.7");
    assert_eq!(env.fake.actions(), ["list", "edit", "list", "add"]);
}

#[tokio::test]
async fn reads_every_page() {
    let env = start().await;
    for i in 0..1000 {
        env.fake
            .add_record("example.com", &format!("h{i}"), "A", "192.0.2.9", 300);
    }
    env.fake
        .add_record("example.com", "last", "A", "192.0.2.1", 300);
    env.sync(&domain("last", "example.com"), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(env.fake.actions(), ["list", "list", "edit"]);
    assert_eq!(body(&env, 1)["pageNum"], 2);
}

#[tokio::test]
async fn bad_credentials_are_auth_and_nothing_is_written() {
    let env = start_with("wrong", "").await;
    let err = env
        .sync(&domain("www", "example.com"), "198.51.100.7")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Auth(ref m) if m.contains("InvalidAccessKeyId")),
        "{err:?}"
    );
    assert!(!err.to_string().contains(SK));
    assert_eq!(env.fake.actions(), ["list"]);
}

#[tokio::test]
async fn error_answers_are_classified() {
    let env = start().await;
    assert_zone_not_found(&*env.provider, "example.org", "198.51.100.7").await;
    let d = domain("www", "example.com");
    env.fake
        .fail_next(403, "AccessDenied", "Access denied.", None);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    env.fake
        .fail_next(429, "RequestRateLimitExceeded", "Too fast.", Some(7));
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 7),
        "{err:?}"
    );
    assert!(!env.fake.actions().iter().any(|a| a != "list"));
}
