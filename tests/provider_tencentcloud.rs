//! The tencentcloud provider against the fake DNSPod API 3.0, driven through the `Provider`
//! trait exactly as the sync layer drives it (lookup → plan → apply unless no change).
mod fakes;

use std::net::IpAddr;

use ddns_rs::provider::{Plan, ProviderError, RecordType};
use fakes::harness::{self, Creds, assert_zone_not_found, dom};
use fakes::tencentcloud::{FakeTencent, TcRecord, json_body};
use serde_json::{Value, json};

const ID: &str = "AKIDtestSecretId";
const KEY: &str = "test key/+=*~";

type Env = harness::Env<FakeTencent>;

async fn start_with(id: &str, key: &str, ttl: &str) -> Env {
    let fake = FakeTencent::new(ID, KEY, "");
    let addr = fakes::serve_http(fake.router()).await;
    fake.set_expected_host(&addr.to_string());
    fake.add_zone("example.com");
    Env::new(fake, addr, "tencentcloud", Creds::new(id, key).ttl(ttl))
}

async fn start() -> Env {
    start_with(ID, KEY, "").await
}

fn body(env: &Env, i: usize) -> Value {
    json_body(&env.fake.seen()[i])
}

fn rec(r: &TcRecord) -> (&str, &str, &str, u64, &str) {
    (
        r.name.as_str(),
        r.rtype.as_str(),
        r.value.as_str(),
        r.ttl,
        r.line.as_str(),
    )
}

#[tokio::test]
async fn no_data_of_record_means_create() {
    let env = start().await;
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(env.fake.actions(), ["DescribeRecordList", "CreateRecord"]);
    // The lookup body is exactly the four documented fields, `Subdomain` with a lower-case d.
    assert_eq!(
        body(&env, 0),
        json!({"Domain": "example.com", "Subdomain": "www", "RecordType": "A", "RecordLine": "默认"})
    );
    assert_eq!(
        body(&env, 1),
        json!({"Domain": "example.com", "SubDomain": "www", "RecordType": "A", "RecordLine": "默认",
               "Value": "198.51.100.7", "TTL": 600})
    );
    let records = env.fake.records();
    assert_eq!(records.len(), 1);
    assert_eq!(rec(&records[0]), ("www", "A", "198.51.100.7", 600, "默认"));
}

#[tokio::test]
async fn requests_carry_the_sdk_headers() {
    let env = start().await;
    env.sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    let seen = &env.fake.seen()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.header("host"), Some(env.host.as_str()));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("x-tc-action"), Some("DescribeRecordList"));
    assert_eq!(seen.header("x-tc-version"), Some("2021-03-23"));
    let ts: i64 = seen.header("x-tc-timestamp").unwrap().parse().unwrap();
    let date = ddns_rs::timefmt::civil_from_unix(ts).date();
    let auth = seen.header("authorization").unwrap();
    let prefix = format!(
        "TC3-HMAC-SHA256 Credential={ID}/{date}/dnspod/tc3_request, SignedHeaders=content-type;host, Signature="
    );
    assert!(auth.starts_with(&prefix), "{auth}");
    assert_eq!(auth.len(), prefix.len() + 64);
}

#[tokio::test]
async fn updates_a_stale_value_with_the_configured_ttl() {
    let env = start_with(ID, KEY, "120").await;
    let id = env
        .fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600, "默认");
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id == id.to_string()));
    assert_eq!(env.fake.actions(), ["DescribeRecordList", "ModifyRecord"]);
    assert_eq!(
        body(&env, 1),
        json!({"Domain": "example.com", "SubDomain": "www", "RecordType": "A", "RecordLine": "默认",
               "Value": "198.51.100.7", "RecordId": id, "TTL": 120})
    );
    assert_eq!(
        rec(&env.fake.records()[0]),
        ("www", "A", "198.51.100.7", 120, "默认")
    );
}

#[tokio::test]
async fn unchanged_value_sends_only_the_lookup() {
    let env = start().await;
    env.fake
        .add_record("example.com", "www", "A", "198.51.100.7", 600, "默认");
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(
        plan,
        Plan::NoChange {
            current: "198.51.100.7".into()
        }
    );
    assert_eq!(env.fake.actions(), ["DescribeRecordList"]);
}

#[tokio::test]
async fn apex_and_wildcard() {
    let env = start().await;
    for sub in ["", "*"] {
        let d = dom(sub, "example.com", &[]);
        assert_eq!(env.sync(&d, "198.51.100.7").await.unwrap(), Plan::Create);
        assert!(matches!(
            env.sync(&d, "198.51.100.7").await.unwrap(),
            Plan::NoChange { .. }
        ));
    }
    assert_eq!(body(&env, 0)["Subdomain"], "@");
    assert_eq!(body(&env, 1)["SubDomain"], "@");
    assert_eq!(body(&env, 3)["Subdomain"], "*");
    assert_eq!(body(&env, 4)["SubDomain"], "*");
    let records = env.fake.records();
    assert_eq!(rec(&records[0]), ("@", "A", "198.51.100.7", 600, "默认"));
    assert_eq!(rec(&records[1]), ("*", "A", "198.51.100.7", 600, "默认"));
}

#[tokio::test]
async fn record_line_param_selects_the_line() {
    let env = start().await;
    env.fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600, "默认");
    let id = env
        .fake
        .add_record("example.com", "www", "A", "192.0.2.2", 600, "电信");
    let d = dom("www", "example.com", &[("RecordLine", "电信")]);
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await.unwrap(),
        Plan::Update { .. }
    ));
    assert_eq!(body(&env, 0)["RecordLine"], "电信");
    assert_eq!(body(&env, 1)["RecordLine"], "电信");
    assert_eq!(body(&env, 1)["RecordId"], id);
    let records = env.fake.records();
    assert_eq!(records[0].value, "192.0.2.1");
    assert_eq!(rec(&records[1]), ("www", "A", "198.51.100.7", 600, "电信"));
}

#[tokio::test]
async fn record_id_param_picks_the_record() {
    let env = start().await;
    env.fake
        .add_record("example.com", "www", "A", "192.0.2.1", 600, "默认");
    let second = env
        .fake
        .add_record("example.com", "www", "A", "192.0.2.2", 600, "默认");
    let d = dom("www", "example.com", &[("RecordId", &second.to_string())]);
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await.unwrap(),
        Plan::Update { .. }
    ));
    assert_eq!(body(&env, 1)["RecordId"], second);
    let records = env.fake.records();
    assert_eq!(records[0].value, "192.0.2.1");
    assert_eq!(records[1].value, "198.51.100.7");
}

#[tokio::test]
async fn ipv6_values_compare_as_addresses() {
    let env = start().await;
    env.fake
        .add_record("example.com", "v6", "AAAA", "2001:0db8::1", 600, "默认");
    let d = dom("v6", "example.com", &[]);
    let plan = env.sync(&d, "2001:db8::1").await.unwrap();
    assert_eq!(
        plan,
        Plan::NoChange {
            current: "2001:0db8::1".into()
        }
    );
    assert_eq!(body(&env, 0)["RecordType"], "AAAA");
    assert!(matches!(
        env.sync(&d, "2001:db8::2").await.unwrap(),
        Plan::Update { .. }
    ));
    assert_eq!(
        env.fake.actions(),
        ["DescribeRecordList", "DescribeRecordList", "ModifyRecord"]
    );
    assert_eq!(
        rec(&env.fake.records()[0]),
        ("v6", "AAAA", "2001:db8::2", 600, "默认")
    );
}

#[tokio::test]
async fn wrong_credentials_are_auth_errors_and_write_nothing() {
    for (id, key, code) in [
        ("AKIDwrong", KEY, "AuthFailure.SecretIdNotFound"),
        (ID, "wrong key", "AuthFailure.SignatureFailure"),
    ] {
        let env = start_with(id, key, "").await;
        env.fake
            .add_record("example.com", "www", "A", "192.0.2.1", 600, "默认");
        let err = env
            .sync(&dom("www", "example.com", &[]), "198.51.100.7")
            .await
            .unwrap_err();
        assert!(
            matches!(err, ProviderError::Auth(ref m) if m.contains(code)),
            "{err:?}"
        );
        assert!(err.to_string().contains("check the ID and secret"), "{err}");
        assert_eq!(env.fake.actions(), ["DescribeRecordList"]);
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
async fn rate_limit_permission_and_gateway_errors() {
    let env = start().await;
    let d = dom("www", "example.com", &[]);
    env.fake.fail_next(
        "LimitExceeded.RequestLimitExceeded",
        "请求的次数超过了频率限制。",
    );
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { .. }), "{err:?}");
    env.fake.fail_next("UnauthorizedOperation", "没有权限。");
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    env.fake.fail_next_http(502, "InternalError", "bad gateway");
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Api(ref m) if m.contains("InternalError")),
        "{err:?}"
    );
    assert!(env.fake.records().is_empty());
    assert_eq!(env.sync(&d, "198.51.100.7").await.unwrap(), Plan::Create);
}

#[tokio::test]
async fn failed_write_is_reported() {
    let env = start().await;
    let d = dom("www", "example.com", &[]);
    let addr: IpAddr = "198.51.100.7".parse().unwrap();
    let l = env.provider.lookup(&d, RecordType::A).await.unwrap();
    let plan = env.provider.plan(&d, &l, addr);
    assert_eq!(plan, Plan::Create);
    env.fake
        .fail_next("LimitExceeded.RecordNumberExceeded", "记录数量超出限制。");
    let err = env
        .provider
        .apply(&d, RecordType::A, &l, &plan, addr)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Api(ref m) if m.contains("RecordNumberExceeded")),
        "{err:?}"
    );
    assert!(env.fake.records().is_empty());
}

/// The fake itself enforces the 5-minute window, so the client's fresh timestamps are really
/// checked.
#[tokio::test]
async fn fake_rejects_stale_timestamps() {
    use ddns_rs::provider::sign::tc3::Tc3Input;
    let env = start().await;
    let client = ddns_rs::http::provider_client(&Default::default(), None).unwrap();
    let payload = r#"{"Domain":"example.com","Subdomain":"www","RecordType":"A","RecordLine":"默认","ErrorOnEmpty":"no"}"#
        .as_bytes();
    for (age, expect) in [
        (10 * 60, "AuthFailure.SignatureExpire"),
        (0, "RecordCountInfo"),
    ] {
        let ts = ddns_rs::timefmt::unix_now() - age;
        let input = Tc3Input {
            method: "POST",
            query: "",
            content_type: "application/json",
            host: &env.host,
            payload,
            timestamp: ts,
            service: "dnspod",
        };
        let resp = client
            .post(format!("http://{}/", env.host))
            .header("Content-Type", "application/json")
            .header("Authorization", input.authorization(ID, KEY))
            .header("X-TC-Action", "DescribeRecordList")
            .header("X-TC-Timestamp", ts.to_string())
            .header("X-TC-Version", "2021-03-23")
            .body(payload.to_vec())
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        assert!(text.contains(expect), "{text}");
    }
}
