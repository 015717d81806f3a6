//! The alidns provider against the fake Aliyun API, driven through the `Provider` trait exactly
//! as the sync layer drives it (lookup → plan → apply unless no change).
mod fakes;

use std::collections::BTreeMap;
use std::net::IpAddr;

use ddns_rs::provider::{Plan, ProviderError, RecordType};
use fakes::alidns::{AliRecord, FakeAlidns, params};
use fakes::harness::{self, Creds, assert_zone_not_found, dom};

const ID: &str = "LTAI5tTestKeyId";
const SECRET: &str = "test secret/+=*~";

type Env = harness::Env<FakeAlidns>;

async fn start_with(id: &str, secret: &str, ttl: &str) -> Env {
    let fake = FakeAlidns::new(ID, SECRET, "");
    let addr = fakes::serve_http(fake.router()).await;
    fake.set_expected_host(&addr.to_string());
    fake.add_zone("example.com");
    Env::new(fake, addr, "alidns", Creds::new(id, secret).ttl(ttl))
}

async fn start() -> Env {
    start_with(ID, SECRET, "").await
}

fn request(env: &Env, i: usize) -> BTreeMap<String, String> {
    params(&env.fake.seen()[i])
}

fn rec(r: &AliRecord) -> (&str, &str, &str, u32, &str) {
    (
        r.rr.as_str(),
        r.rtype.as_str(),
        r.value.as_str(),
        r.ttl,
        r.line.as_str(),
    )
}

#[tokio::test]
async fn creates_a_missing_record_with_default_ttl() {
    let env = start().await;
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(
        env.fake.actions(),
        ["DescribeSubDomainRecords", "AddDomainRecord"]
    );
    let describe = request(&env, 0);
    assert_eq!(describe["SubDomain"], "www.example.com");
    assert_eq!(describe["DomainName"], "example.com");
    assert_eq!(describe["Type"], "A");
    let add = request(&env, 1);
    assert_eq!(
        (
            &*add["DomainName"],
            &*add["RR"],
            &*add["Type"],
            &*add["Value"],
            &*add["TTL"]
        ),
        ("example.com", "www", "A", "198.51.100.7", "600")
    );
    let records = env.fake.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        rec(&records[0]),
        ("www", "A", "198.51.100.7", 600, "default")
    );
}

#[tokio::test]
async fn updates_a_stale_value_with_the_configured_ttl() {
    let env = start_with(ID, SECRET, "300").await;
    let id = env
        .fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600, "default");
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert!(
        matches!(plan, Plan::Update { ref records } if records[0].id == id && records[0].value == "192.0.2.1")
    );
    assert_eq!(
        env.fake.actions(),
        ["DescribeSubDomainRecords", "UpdateDomainRecord"]
    );
    let update = request(&env, 1);
    assert_eq!(
        (
            &*update["RecordId"],
            &*update["RR"],
            &*update["Type"],
            &*update["Value"],
            &*update["TTL"]
        ),
        (id.as_str(), "www", "A", "198.51.100.7", "300")
    );
    assert!(
        !update.contains_key("DomainName"),
        "UpdateDomainRecord takes no DomainName"
    );
    assert_eq!(
        rec(&env.fake.records()[0]),
        ("www", "A", "198.51.100.7", 300, "default")
    );
}

#[tokio::test]
async fn unchanged_value_sends_only_the_lookup() {
    let env = start().await;
    env.fake
        .add_record("example.com", "www", "A", "198.51.100.7", 600, "default");
    let d = dom("www", "example.com", &[]);
    for _ in 0..2 {
        let plan = env.sync(&d, "198.51.100.7").await.unwrap();
        assert_eq!(
            plan,
            Plan::NoChange {
                current: "198.51.100.7".into()
            }
        );
    }
    assert_eq!(
        env.fake.actions(),
        ["DescribeSubDomainRecords", "DescribeSubDomainRecords"]
    );
}

#[tokio::test]
async fn apex_is_sent_as_at() {
    let env = start().await;
    let d = dom("", "example.com", &[]);
    assert_eq!(env.sync(&d, "198.51.100.7").await.unwrap(), Plan::Create);
    assert_eq!(request(&env, 0)["SubDomain"], "@.example.com");
    assert_eq!(request(&env, 1)["RR"], "@");
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await.unwrap(),
        Plan::NoChange { .. }
    ));
    assert_eq!(
        rec(&env.fake.records()[0]),
        ("@", "A", "198.51.100.7", 600, "default")
    );
}

#[tokio::test]
async fn wildcard_is_signed_and_written() {
    let env = start().await;
    let id = env
        .fake
        .add_record("example.com", "*", "A", "192.0.2.1", 600, "default");
    let d = dom("*", "example.com", &[]);
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await.unwrap(),
        Plan::Update { .. }
    ));
    assert_eq!(request(&env, 0)["SubDomain"], "*.example.com");
    assert_eq!(request(&env, 1)["RecordId"], id);
    assert_eq!(
        rec(&env.fake.records()[0]),
        ("*", "A", "198.51.100.7", 600, "default")
    );
}

#[tokio::test]
async fn custom_params_reach_every_action() {
    let env = start().await;
    // A record on another line must be left alone.
    env.fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600, "default");
    let d = dom(
        "www",
        "example.com",
        &[("Line", "telecom"), ("Remark", "a b*c")],
    );
    assert_eq!(env.sync(&d, "198.51.100.7").await.unwrap(), Plan::Create);
    assert!(matches!(
        env.sync(&d, "198.51.100.8").await.unwrap(),
        Plan::Update { .. }
    ));
    let actions = env.fake.actions();
    assert_eq!(
        actions,
        [
            "DescribeSubDomainRecords",
            "AddDomainRecord",
            "DescribeSubDomainRecords",
            "UpdateDomainRecord"
        ]
    );
    for i in 0..4 {
        assert_eq!(request(&env, i)["Line"], "telecom", "request {i}");
        assert_eq!(request(&env, i)["Remark"], "a b*c", "request {i}");
    }
    let records = env.fake.records();
    assert_eq!(rec(&records[0]), ("www", "A", "192.0.2.1", 600, "default"));
    assert_eq!(
        rec(&records[1]),
        ("www", "A", "198.51.100.8", 600, "telecom")
    );
}

#[tokio::test]
async fn record_id_param_picks_the_record() {
    let env = start().await;
    env.fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600, "default");
    let second = env
        .fake
        .add_record("example.com", "www", "A", "192.0.2.2", 600, "unicom");
    let d = dom("www", "example.com", &[("RecordId", &second)]);
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id == second));
    assert_eq!(request(&env, 1)["RecordId"], second);
    let records = env.fake.records();
    assert_eq!(records[0].value, "192.0.2.1");
    assert_eq!(records[1].value, "198.51.100.7");
}

#[tokio::test]
async fn ipv6_values_compare_as_addresses() {
    let env = start().await;
    env.fake
        .add_record("example.com", "v6", "AAAA", "2001:0db8::1", 600, "default");
    let d = dom("v6", "example.com", &[]);
    let plan = env.sync(&d, "2001:db8::1").await.unwrap();
    assert_eq!(
        plan,
        Plan::NoChange {
            current: "2001:0db8::1".into()
        }
    );
    assert_eq!(request(&env, 0)["Type"], "AAAA");
    assert!(matches!(
        env.sync(&d, "2001:db8::2").await.unwrap(),
        Plan::Update { .. }
    ));
    assert_eq!(env.fake.actions().len(), 3);
    assert_eq!(
        rec(&env.fake.records()[0]),
        ("v6", "AAAA", "2001:db8::2", 600, "default")
    );
}

#[tokio::test]
async fn wrong_credentials_are_auth_errors_and_write_nothing() {
    for (id, secret, code) in [
        ("LTAIwrong", SECRET, "InvalidAccessKeyId.NotFound"),
        (ID, "wrong secret", "SignatureDoesNotMatch"),
    ] {
        let env = start_with(id, secret, "").await;
        env.fake
            .add_record("example.com", "www", "A", "192.0.2.1", 600, "default");
        let err = env
            .sync(&dom("www", "example.com", &[]), "198.51.100.7")
            .await
            .unwrap_err();
        assert!(
            matches!(err, ProviderError::Auth(ref m) if m.contains(code)),
            "{err:?}"
        );
        assert!(err.to_string().contains("check the ID and secret"), "{err}");
        assert_eq!(env.fake.actions(), ["DescribeSubDomainRecords"]);
        assert_eq!(env.fake.records()[0].value, "192.0.2.1");
    }
}

#[tokio::test]
async fn unknown_zone_is_zone_not_found() {
    let env = start().await;
    assert_zone_not_found(&*env.provider, "example.org", "198.51.100.7").await;
    assert!(env.fake.records().is_empty());
}

#[tokio::test]
async fn throttling_and_forbidden_are_classified() {
    let env = start().await;
    let d = dom("www", "example.com", &[]);
    env.fake.fail_next(
        400,
        "Throttling.User",
        "Request was denied due to user flow control.",
    );
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { ref msg, .. } if msg.contains("Throttling.User")),
        "{err:?}"
    );
    env.fake.fail_next(
        403,
        "Forbidden.RAM",
        "User not authorized to operate on the specified resource.",
    );
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    assert!(env.fake.records().is_empty());
    // The faults were one-shot: the next sync works.
    assert_eq!(env.sync(&d, "198.51.100.7").await.unwrap(), Plan::Create);
}

#[tokio::test]
async fn failed_write_is_reported() {
    let env = start().await;
    let d = dom("www", "example.com", &[]);
    let addr: IpAddr = "198.51.100.7".parse().unwrap();
    let l = env.provider.lookup(&d, RecordType::A).await.unwrap();
    let plan = env.provider.plan(&d, &l, addr);
    env.fake.fail_next(
        400,
        "QuotaExceeded.Record",
        "The number of records exceeds the limit.",
    );
    let err = env
        .provider
        .apply(&d, RecordType::A, &l, &plan, addr)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Api(ref m) if m.contains("QuotaExceeded.Record")),
        "{err:?}"
    );
    assert!(env.fake.records().is_empty());
}

/// The fake itself enforces Aliyun's replay rules, so the client's fresh timestamps and unique
/// nonces are really checked.
#[tokio::test]
async fn fake_rejects_stale_timestamps_and_reused_nonces() {
    use ddns_rs::provider::sign::aliyun::signed_query;
    use ddns_rs::timefmt::{civil_from_unix, unix_now};
    let env = start().await;
    env.sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    let host = env.fake.seen()[0].header("host").unwrap().to_string();
    let client = ddns_rs::http::provider_client(&Default::default(), None).unwrap();

    let replay = client
        .get(format!("http://{host}{}", env.fake.seen()[0].uri))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    assert!(replay.text().await.unwrap().contains("SignatureNonceUsed"));

    let mut p: BTreeMap<String, String> = [
        ("Action", "DescribeSubDomainRecords"),
        ("Version", "2015-01-09"),
        ("Format", "JSON"),
        ("AccessKeyId", ID),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "fresh-nonce"),
        ("SubDomain", "www.example.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    p.insert(
        "Timestamp".into(),
        civil_from_unix(unix_now() - 20 * 60).iso8601(),
    );
    let stale = client
        .get(format!(
            "http://{host}/?{}",
            signed_query("GET", &p, SECRET)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 400);
    assert!(
        stale
            .text()
            .await
            .unwrap()
            .contains("InvalidTimeStamp.Expired")
    );

    p.insert("Timestamp".into(), civil_from_unix(unix_now()).iso8601());
    let fresh = client
        .get(format!(
            "http://{host}/?{}",
            signed_query("GET", &p, SECRET)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
}
