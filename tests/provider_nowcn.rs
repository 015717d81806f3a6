//! The Now.cn family (`nowcn`, `eranet`, `tnethk`: one implementation, three hosts) against
//! the fake API, driven through the `Provider` trait as the sync layer drives it.
mod fakes;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ddns_rs::provider::{Plan, ProviderError, RecordType};
use fakes::harness::{self, Creds, assert_zone_not_found, dom};
use fakes::nowcn::{BAD_ID, BAD_SIGNATURE, FakeNowcn};
use fakes::p4common::{Fault, query};
use serde_json::json;

const ID: &str = "nowcn-user-01";
const SECRET: &str = "api key/+=*~ 密钥";

type Env = harness::Env<FakeNowcn>;

async fn start_as(key: &str, id: &str, secret: &str, ttl: &str) -> Env {
    let fake = FakeNowcn::new(ID, SECRET, "");
    let addr = fakes::serve_http(fake.router()).await;
    fake.set_expected_host(&addr.to_string());
    fake.add_zone("example.com");
    Env::new(fake, addr, key, Creds::new(id, secret).ttl(ttl))
}

async fn start() -> Env {
    start_as("nowcn", ID, SECRET, "").await
}

fn request(env: &Env, i: usize) -> BTreeMap<String, String> {
    query(&env.fake.seen()[i])
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
async fn creates_a_missing_record_with_default_ttl() {
    let env = start().await;
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(
        env.fake.actions(),
        ["DescribeRecordIndex", "AddDomainRecord"]
    );
    let find = request(&env, 0);
    assert_eq!(
        (&*find["Domain"], &*find["Host"], &*find["Type"]),
        ("example.com", "www", "A")
    );
    let add = request(&env, 1);
    assert_eq!(
        (
            &*add["Domain"],
            &*add["Host"],
            &*add["Type"],
            &*add["Value"],
            &*add["Ttl"]
        ),
        ("example.com", "www", "A", "198.51.100.7", "600")
    );
    assert!(!add.contains_key("Id"));
    assert_eq!(add["AccessInstanceID"], ID);
    assert_eq!(values(&env), [v("www", "A", "198.51.100.7", 600)]);
}

#[tokio::test]
async fn updates_a_stale_value_with_the_configured_ttl() {
    let env = start_as("nowcn", ID, SECRET, "120").await;
    let id = env.fake.seed("example.com", "www", "A", "192.0.2.1");
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id == id.to_string()));
    assert_eq!(
        env.fake.actions(),
        ["DescribeRecordIndex", "UpdateDomainRecord"]
    );
    let up = request(&env, 1);
    assert_eq!(
        (
            &*up["Id"],
            &*up["Domain"],
            &*up["Host"],
            &*up["Value"],
            &*up["Ttl"]
        ),
        (
            id.to_string().as_str(),
            "example.com",
            "www",
            "198.51.100.7",
            "120"
        )
    );
    assert_eq!(values(&env), [v("www", "A", "198.51.100.7", 120)]);
}

#[tokio::test]
async fn unchanged_value_sends_only_lookups() {
    let env = start().await;
    env.fake.seed("example.com", "www", "A", "198.51.100.7");
    let d = dom("www", "example.com", &[]);
    for _ in 0..2 {
        let plan = env.sync(&d, "198.51.100.7").await.unwrap();
        assert!(matches!(plan, Plan::NoChange { .. }));
    }
    assert_eq!(
        env.fake.actions(),
        ["DescribeRecordIndex", "DescribeRecordIndex"]
    );
}

#[tokio::test]
async fn apex_and_wildcard_hosts() {
    let env = start().await;
    env.sync(&dom("", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    env.sync(&dom("*", "example.com", &[]), "198.51.100.8")
        .await
        .unwrap();
    assert_eq!(request(&env, 0)["Host"], "@");
    assert_eq!(request(&env, 2)["Host"], "*");
    assert_eq!(
        values(&env),
        [
            v("@", "A", "198.51.100.7", 600),
            v("*", "A", "198.51.100.8", 600)
        ]
    );
    // The apex record is found again under "@", not created twice.
    let again = env.sync(&dom("", "example.com", &[]), "198.51.100.7").await;
    assert!(matches!(again, Ok(Plan::NoChange { .. })));
}

#[tokio::test]
async fn custom_param_id_picks_the_record_and_is_not_sent() {
    let env = start().await;
    env.fake.seed("example.com", "www", "A", "192.0.2.1");
    let second = env.fake.seed("example.com", "www", "A", "192.0.2.2");
    let d = dom(
        "www",
        "example.com",
        &[("Id", &second.to_string()), ("Line", "x")],
    );
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id == second.to_string()));
    let up = request(&env, 1);
    assert_eq!(up["Id"], second.to_string());
    assert!(!request(&env, 0).contains_key("Line") && !up.contains_key("Line"));
    let recs = env.fake.records();
    assert_eq!(
        (recs[0].value.as_str(), recs[1].value.as_str()),
        ("192.0.2.1", "198.51.100.7")
    );
}

#[tokio::test]
async fn ipv6_compares_as_addresses_and_other_types_are_left_alone() {
    let env = start().await;
    env.fake
        .seed("example.com", "v6", "AAAA", "2001:0db8:0:0::1");
    env.fake.seed("example.com", "v6", "A", "192.0.2.1");
    let d = dom("v6", "example.com", &[]);
    assert!(matches!(
        env.sync(&d, "2001:db8::1").await.unwrap(),
        Plan::NoChange { .. }
    ));
    assert_eq!(request(&env, 0)["Type"], "AAAA");
    assert!(matches!(
        env.sync(&d, "2001:db8::2").await.unwrap(),
        Plan::Update { .. }
    ));
    assert_eq!(
        values(&env),
        [
            v("v6", "AAAA", "2001:db8::2", 600),
            v("v6", "A", "192.0.2.1", 600)
        ]
    );
}

#[tokio::test]
async fn bad_credentials_are_auth_errors_and_nothing_is_written() {
    for (id, secret, text) in [(ID, "wrong", BAD_SIGNATURE), ("nobody", SECRET, BAD_ID)] {
        let env = start_as("nowcn", id, secret, "").await;
        let err = env
            .sync(&dom("www", "example.com", &[]), "198.51.100.7")
            .await
            .unwrap_err();
        assert!(
            matches!(err, ProviderError::Auth(ref m) if m.contains(text)),
            "{err:?}"
        );
        assert!(!err.to_string().contains(secret));
        assert_eq!(env.fake.actions(), ["DescribeRecordIndex"]);
        assert!(env.fake.records().is_empty());
    }
}

#[tokio::test]
async fn zone_not_found() {
    let env = start().await;
    assert_zone_not_found(&*env.provider, "example.org", "198.51.100.7").await;
    assert_eq!(env.fake.actions(), ["DescribeRecordIndex"]);
}

#[tokio::test]
async fn permission_rate_limit_and_server_errors() {
    let env = start().await;
    let d = dom("www", "example.com", &[]);
    env.fake.fail_next("没有操作该域名的权限");
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::Permission(_))
    ));
    env.fake.fail_next_with(Fault {
        status: 429,
        retry_after: Some(7),
        body: json!({"error": "Too Many Requests"}),
    });
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::RateLimited { retry_after: Some(r), .. }) if r == Duration::from_secs(7)
    ));
    env.fake.fail_next("请求过于频繁");
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::RateLimited { .. })
    ));
    // Anything but exactly 200 is an error, even with an empty `error`.
    env.fake.fail_next_with(Fault {
        status: 201,
        retry_after: None,
        body: json!({"error": ""}),
    });
    assert!(matches!(
        env.sync(&d, "198.51.100.7").await,
        Err(ProviderError::Api(m)) if m.contains("HTTP 201")
    ));
    assert!(env.fake.records().is_empty());
}

#[tokio::test]
async fn a_no_record_error_on_lookup_means_create() {
    let env = start().await;
    env.fake.fail_next("解析记录不存在");
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(values(&env), [v("www", "A", "198.51.100.7", 600)]);
}

#[tokio::test]
async fn a_failed_write_is_reported() {
    let env = start().await;
    env.fake.seed("example.com", "www", "A", "192.0.2.1");
    let d = dom("www", "example.com", &[]);
    let l = env.provider.lookup(&d, RecordType::A).await.unwrap();
    let addr: IpAddr = "198.51.100.7".parse().unwrap();
    let plan = env.provider.plan(&d, &l, addr);
    env.fake.fail_next("参数错误");
    let err = env
        .provider
        .apply(&d, RecordType::A, &l, &plan, addr)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Api(ref m) if m.contains("参数错误")),
        "{err:?}"
    );
}

#[tokio::test]
async fn eranet_and_tnethk_are_the_same_api_under_their_own_keys() {
    for key in ["eranet", "tnethk"] {
        let env = start_as(key, ID, SECRET, "").await;
        assert_eq!(env.provider.key(), key);
        env.fake.seed("example.com", "www", "A", "192.0.2.1");
        env.sync(&dom("www", "example.com", &[]), "198.51.100.7")
            .await
            .unwrap();
        env.sync(&dom("new", "example.com", &[]), "198.51.100.7")
            .await
            .unwrap();
        assert_eq!(
            env.fake.actions(),
            [
                "DescribeRecordIndex",
                "UpdateDomainRecord",
                "DescribeRecordIndex",
                "AddDomainRecord"
            ]
        );
        assert_eq!(
            values(&env),
            [
                v("www", "A", "198.51.100.7", 600),
                v("new", "A", "198.51.100.7", 600)
            ]
        );
    }
}

#[tokio::test]
async fn only_records_of_the_name_count_and_an_empty_host_is_the_apex() {
    let env = start().await;
    let list = |host: &str, rtype: &str| Fault {
        status: 200,
        retry_after: None,
        body: json!({"RequestId": "R", "error": "", "Data": [
            {"id": 7, "domain": "example.com", "host": host, "type": rtype,
             "value": "198.51.100.7", "state": 1}]}),
    };
    let apex = dom("", "example.com", &[]);
    let addr: IpAddr = "198.51.100.7".parse().unwrap();
    env.fake.fail_next_with(list("", "A"));
    let l = env.provider.lookup(&apex, RecordType::A).await.unwrap();
    assert!(matches!(
        env.provider.plan(&apex, &l, addr),
        Plan::NoChange { .. }
    ));
    for (host, rtype) in [("www", "A"), ("@", "AAAA")] {
        env.fake.fail_next_with(list(host, rtype));
        let l = env.provider.lookup(&apex, RecordType::A).await.unwrap();
        assert_eq!(
            env.provider.plan(&apex, &l, addr),
            Plan::Create,
            "{host} {rtype}"
        );
    }
}
