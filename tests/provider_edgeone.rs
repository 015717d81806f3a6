//! The edgeone provider against the fake Tencent EdgeOne API, driven through the `Provider`
//! trait as the sync layer drives it (lookup → plan → apply unless no change).
mod fakes;

use ddns_rs::provider::{Plan, ProviderError};
use fakes::edgeone::{EoRecord, FakeEdgeOne};
use fakes::harness::{self, Creds, assert_zone_not_found, dom};
use serde_json::{Value, json};

const ID: &str = "AKIDedgeone";
const KEY: &str = "test key/+=*~";

type Env = harness::Env<FakeEdgeOne>;

async fn start_with(id: &str, ttl: &str) -> Env {
    let fake = FakeEdgeOne::new(ID, KEY, "");
    let addr = fakes::serve_http(fake.router()).await;
    fake.set_expected_host(&addr.to_string());
    fake.add_zone("example.com");
    Env::new(fake, addr, "edgeone", Creds::new(id, KEY).ttl(ttl))
}

async fn start() -> Env {
    start_with(ID, "").await
}

fn body(env: &Env, i: usize) -> Value {
    serde_json::from_slice(&env.fake.seen()[i].body).unwrap()
}

fn find(env: &Env, name: &str, t: &str) -> Vec<EoRecord> {
    env.fake
        .records()
        .into_iter()
        .filter(|r| r.name == name && r.rtype == t)
        .collect()
}

#[tokio::test]
async fn creates_a_missing_record() {
    let env = start().await;
    let zid = env.fake.add_zone("example.com");
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(
        env.fake.actions(),
        ["DescribeZones", "DescribeDnsRecords", "CreateDnsRecord"]
    );
    assert_eq!(
        body(&env, 0),
        json!({"Filters": [{"Name": "zone-name", "Values": ["example.com"]}]})
    );
    assert_eq!(
        body(&env, 1),
        json!({"ZoneId": zid, "Filters": [{"Name": "name", "Values": ["www.example.com"]},
               {"Name": "type", "Values": ["A"]}], "Limit": 1000})
    );
    assert_eq!(
        body(&env, 2),
        json!({"ZoneId": zid, "Name": "www.example.com", "Type": "A", "Content": "198.51.100.7",
               "Location": "Default", "TTL": 600})
    );
    assert_eq!(
        find(&env, "www.example.com", "A")[0].content,
        "198.51.100.7"
    );
}

#[tokio::test]
async fn requests_are_signed_for_teo() {
    let env = start().await;
    env.sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    let seen = &env.fake.seen()[0];
    assert_eq!(seen.header("host"), Some(env.host.as_str()));
    assert_eq!(seen.header("x-tc-version"), Some("2022-09-01"));
    let auth = seen.header("authorization").unwrap();
    assert!(
        auth.contains("/teo/tc3_request, SignedHeaders=content-type;host, "),
        "{auth}"
    );
}

#[tokio::test]
async fn updates_the_enabled_record_with_location_and_ttl() {
    let env = start_with(ID, "120").await;
    let zid = env.fake.add_zone("example.com");
    env.fake.add_record(
        "example.com",
        "www.example.com",
        "A",
        "192.0.2.9",
        "disable",
    );
    let id = env
        .fake
        .add_record("example.com", "www.example.com", "A", "192.0.2.1", "enable");
    let d = dom("www", "example.com", &[("Location", "CN.GD")]);
    env.sync(&d, "198.51.100.7").await.unwrap();
    assert_eq!(env.fake.actions()[2], "ModifyDnsRecords");
    assert_eq!(
        body(&env, 2),
        json!({"ZoneId": zid, "DnsRecords": [{"RecordId": id, "Name": "www.example.com",
               "Type": "A", "Content": "198.51.100.7", "Location": "CN.GD", "TTL": 120}]})
    );
    let recs = find(&env, "www.example.com", "A");
    assert_eq!(
        recs[0].content, "192.0.2.9",
        "the disabled record is left alone"
    );
    assert_eq!(recs[1].content, "198.51.100.7");
}

#[tokio::test]
async fn record_id_param_picks_the_record() {
    let env = start().await;
    env.fake
        .add_record("example.com", "www.example.com", "A", "192.0.2.1", "enable");
    let id = env
        .fake
        .add_record("example.com", "www.example.com", "A", "192.0.2.2", "enable");
    let d = dom("www", "example.com", &[("RecordId", &id)]);
    env.sync(&d, "198.51.100.7").await.unwrap();
    let recs = find(&env, "www.example.com", "A");
    assert_eq!(
        (recs[0].content.as_str(), recs[1].content.as_str()),
        ("192.0.2.1", "198.51.100.7")
    );
}

#[tokio::test]
async fn no_change_sends_only_lookups() {
    let env = start().await;
    env.fake.add_record(
        "example.com",
        "example.com",
        "AAAA",
        "2001:db8::1",
        "enable",
    );
    let plan = env
        .sync(&dom("", "example.com", &[]), "2001:0db8:0:0::1")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(env.fake.actions(), ["DescribeZones", "DescribeDnsRecords"]);
}

#[tokio::test]
async fn a_disabled_record_holding_the_address_counts_as_no_change() {
    let env = start().await;
    env.fake.add_record(
        "example.com",
        "www.example.com",
        "A",
        "198.51.100.7",
        "disable",
    );
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
}

#[tokio::test]
async fn wildcard_and_unicode_names_are_sent_as_punycode() {
    let env = start().await;
    env.fake.add_zone("xn--fiqs8s.com");
    env.sync(&dom("*", "example.com", &[]), "2001:db8::5")
        .await
        .unwrap();
    env.sync(&dom("家", "中国.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(
        find(&env, "*.example.com", "AAAA")[0].content,
        "2001:db8::5"
    );
    assert_eq!(
        find(&env, "xn--fct.xn--fiqs8s.com", "A")[0].content,
        "198.51.100.7"
    );
}

#[tokio::test]
async fn origin_group_replaces_only_this_family() {
    let env = start().await;
    let zid = env.fake.add_zone("example.com");
    let gid = env.fake.add_group(
        "example.com",
        "home",
        &[
            ("192.0.2.1", 100),
            ("2001:db8::1", 100),
            ("backup.example.net", 10),
        ],
    );
    let d = dom(
        "www",
        "example.com",
        &[("OriginGroupName", "home"), ("Weight", "80")],
    );
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    assert_eq!(
        env.fake.actions(),
        ["DescribeZones", "DescribeOriginGroup", "ModifyOriginGroup"]
    );
    assert_eq!(
        body(&env, 1),
        json!({"ZoneId": zid, "Filters": [{"Name": "origin-group-name", "Values": ["home"]}]})
    );
    let sent = body(&env, 2);
    assert_eq!(
        (sent["ZoneId"].as_str(), sent["GroupId"].as_str()),
        (Some(zid.as_str()), Some(gid.as_str()))
    );
    let records: Vec<(String, u64)> = env.fake.groups()[0]
        .records
        .iter()
        .map(|r| {
            (
                r["Record"].as_str().unwrap().to_string(),
                r["Weight"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        records,
        [
            ("2001:db8::1".to_string(), 100),
            ("backup.example.net".to_string(), 10),
            ("198.51.100.7".to_string(), 80),
        ]
    );
    // Now correct: a second sync only reads (ZoneId given: no DescribeZones either).
    let d = dom(
        "www",
        "example.com",
        &[("GroupId", &gid), ("Weight", "80"), ("ZoneId", &zid)],
    );
    let before = env.fake.seen().len();
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(env.fake.actions()[before..], ["DescribeOriginGroup"]);
}

#[tokio::test]
async fn a_missing_origin_group_is_an_error() {
    let env = start().await;
    let d = dom("www", "example.com", &[("GroupId", "og-nope")]);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Api(ref m) if m.contains("og-nope")),
        "{err:?}"
    );
    assert!(env.fake.actions().iter().all(|a| a.starts_with("Describe")));
}

#[tokio::test]
async fn error_answers_are_classified_and_nothing_is_written() {
    let env = start_with("AKIDwrong", "").await;
    let d = dom("www", "example.com", &[]);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Auth(ref m) if m.contains("SecretIdNotFound")),
        "{err:?}"
    );
    assert!(!err.to_string().contains(KEY));

    let env = start().await;
    assert_zone_not_found(&*env.provider, "example.org", "198.51.100.7").await;
    env.fake.fail_next(
        200,
        "UnauthorizedOperation.CamUnauthorized",
        "No permission.",
        None,
    );
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    env.fake
        .fail_next(200, "RequestLimitExceeded", "Too many requests.", None);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { .. }), "{err:?}");
    assert!(env.fake.actions().iter().all(|a| a.starts_with("Describe")));
}
