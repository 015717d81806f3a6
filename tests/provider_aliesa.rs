//! The aliesa provider against the fake Aliyun ESA API, driven through the `Provider` trait as
//! the sync layer drives it (lookup → plan → apply unless no change).
mod fakes;

use ddns_rs::provider::{Plan, ProviderError};
use fakes::aliesa::{EsaRecord, FakeEsa};
use fakes::harness::{self, Creds, assert_zone_not_found, dom};

const ID: &str = "LTAI-esa";
const SECRET: &str = "esa secret/+=*~";

type Env = harness::Env<FakeEsa>;

async fn start_with(id: &str, ttl: &str) -> Env {
    let fake = FakeEsa::new(ID, SECRET);
    let addr = fakes::serve_http(fake.router()).await;
    fake.add_site("example.com", "NS");
    Env::new(fake, addr, "aliesa", Creds::new(id, SECRET).ttl(ttl))
}

async fn start() -> Env {
    start_with(ID, "").await
}

fn find(env: &Env, name: &str) -> Option<EsaRecord> {
    env.fake.records().into_iter().find(|r| r.name == name)
}

#[tokio::test]
async fn creates_a_missing_record_with_data_value() {
    let env = start().await;
    let site = env.fake.add_site("example.com", "NS");
    let plan = env
        .sync(&dom("www", "example.com", &[]), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(
        env.fake.actions(),
        ["ListSites", "ListRecords", "CreateRecord"]
    );
    let methods: Vec<String> = env.fake.seen().iter().map(|s| s.method.clone()).collect();
    assert_eq!(methods, ["GET", "GET", "POST"]);
    assert_eq!(env.fake.query(0)["SiteName"], "example.com");
    let q = env.fake.query(1);
    assert_eq!(
        (
            q["SiteId"].as_str(),
            q["RecordName"].as_str(),
            q["Type"].as_str()
        ),
        (site.to_string().as_str(), "www.example.com", "A/AAAA")
    );
    let r = find(&env, "www.example.com").unwrap();
    assert_eq!(
        (r.value.as_str(), r.ttl, r.proxied),
        ("198.51.100.7", 600, false)
    );
    assert_eq!(r.created_with["Data"], r#"{"Value":"198.51.100.7"}"#);
}

#[tokio::test]
async fn cname_sites_get_proxied_web_records() {
    let env = start().await;
    env.fake.add_site("example.net", "CNAME");
    env.sync(&dom("", "example.net", &[]), "198.51.100.7")
        .await
        .unwrap();
    let r = find(&env, "example.net").unwrap();
    assert!(r.proxied);
    assert_eq!(r.created_with["BizName"], "web");
}

#[tokio::test]
async fn site_id_param_skips_list_sites_and_params_are_copied() {
    let env = start().await;
    let site = env.fake.add_site("example.com", "CNAME");
    let site = site.to_string();
    let d = dom(
        "www",
        "example.com",
        &[
            ("SiteId", &site),
            ("Proxied", "true"),
            ("BizName", "api"),
            ("Comment", "home"),
        ],
    );
    env.sync(&d, "198.51.100.7").await.unwrap();
    assert_eq!(env.fake.actions(), ["ListRecords", "CreateRecord"]);
    let r = find(&env, "www.example.com").unwrap();
    assert_eq!(r.created_with["BizName"], "api");
    assert_eq!(r.created_with["Comment"], "home");
    assert_eq!(r.created_with["SiteId"], site);
}

#[tokio::test]
async fn v6_update_keeps_the_v4_address_and_v4_no_change() {
    let env = start_with(ID, "300").await;
    let id = env
        .fake
        .add_record("example.com", "www.example.com", "198.51.100.7,2001:db8::1");
    let d = dom("www", "example.com", &[]);
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(env.fake.actions(), ["ListSites", "ListRecords"]);
    let plan = env.sync(&d, "2001:db8::2").await.unwrap();
    assert!(matches!(plan, Plan::Update { ref records } if records[0].id == id.to_string()));
    let q = env.fake.query(4);
    assert_eq!(q["Action"], "UpdateRecord");
    assert_eq!(q["RecordId"], id.to_string());
    assert_eq!(q["Data"], r#"{"Value":"198.51.100.7,2001:db8::2"}"#);
    assert_eq!(q["Ttl"], "300");
    assert_eq!(
        find(&env, "www.example.com").unwrap().value,
        "198.51.100.7,2001:db8::2"
    );
}

#[tokio::test]
async fn addresses_written_differently_compare_equal() {
    let env = start().await;
    env.fake
        .add_record("example.com", "*.example.com", "2001:db8::1");
    let plan = env
        .sync(&dom("*", "example.com", &[]), "2001:0db8:0:0::1")
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
}

#[tokio::test]
async fn ip_addr_pool_template_shapes_the_value_and_keeps_the_other_family() {
    let env = start().await;
    let d = dom(
        "www",
        "example.com",
        &[("IpAddrPool", "{ipv4Addr},{ipv6Addr},203.0.113.9")],
    );
    // Created from the template; the parameter itself is not sent to the API.
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(
        find(&env, "www.example.com").unwrap().value,
        "198.51.100.7,203.0.113.9"
    );
    let q = env.fake.query(2);
    assert!(!q.contains_key("IpAddrPool"), "{q:?}");
    // The IPv6 run fills its placeholder and keeps the IPv4 address.
    env.sync(&d, "2001:db8::2").await.unwrap();
    assert_eq!(
        find(&env, "www.example.com").unwrap().value,
        "198.51.100.7,2001:db8::2,203.0.113.9"
    );
    // Nothing changed: only lookups.
    let before = env.fake.actions().len();
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }), "{plan:?}");
    assert!(
        env.fake.actions()[before..]
            .iter()
            .all(|a| a.starts_with("List"))
    );
}

#[tokio::test]
async fn ip_addr_pool_on_an_origin_pool_is_refused_and_nothing_is_sent() {
    let env = start().await;
    let d = dom(
        "web.origin-pool",
        "example.com",
        &[("IpAddrPool", "{ipv4Addr}"), ("Name", "home")],
    );
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Unsupported(ref m) if m.contains("IpAddrPool")),
        "{err:?}"
    );
    assert!(env.fake.seen().is_empty());
}

#[tokio::test]
async fn origin_pool_updates_the_named_origin_of_this_family() {
    let env = start().await;
    let pool = env.fake.add_pool(
        "example.com",
        "pool1",
        &[
            ("home", "192.0.2.1"),
            ("home", "2001:db8::1"),
            ("office", "192.0.2.9"),
        ],
    );
    let d = dom("pool1.origin-pool", "example.com", &[("Name", "home")]);
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    assert_eq!(
        env.fake.actions(),
        ["ListSites", "ListOriginPools", "UpdateOriginPool"]
    );
    let q = env.fake.query(1);
    assert_eq!(
        (q["Name"].as_str(), q["MatchType"].as_str()),
        ("pool1", "exact")
    );
    let q = env.fake.query(2);
    assert_eq!(q["Id"], pool.to_string());
    let addrs: Vec<String> = env
        .fake
        .pool_origins(pool)
        .iter()
        .map(|o| o["Address"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(addrs, ["198.51.100.7", "2001:db8::1", "192.0.2.9"]);
    // The other fields went back unchanged.
    assert_eq!(env.fake.pool_origins(pool)[0]["Weight"], 50);
    let before = env.fake.seen().len();
    let plan = env.sync(&d, "198.51.100.7").await.unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(
        env.fake.actions()[before..],
        ["ListSites", "ListOriginPools"]
    );
}

#[tokio::test]
async fn origin_pool_without_that_origin_is_an_error() {
    let env = start().await;
    env.fake
        .add_pool("example.com", "pool1", &[("office", "192.0.2.9")]);
    let d = dom("pool1.origin-pool", "example.com", &[("Name", "home")]);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Api(ref m) if m.contains("no origin named home")),
        "{err:?}"
    );
    assert!(env.fake.actions().iter().all(|a| a.starts_with("List")));
}

#[tokio::test]
async fn error_answers_are_classified_and_nothing_is_written() {
    let env = start_with("LTAI-wrong", "").await;
    let d = dom("www", "example.com", &[]);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Auth(ref m) if m.contains("InvalidAccessKeyId")),
        "{err:?}"
    );
    assert!(!err.to_string().contains(SECRET));

    let env = start().await;
    assert_zone_not_found(&*env.provider, "example.org", "198.51.100.7").await;
    env.fake
        .fail_next(403, "Forbidden.RAM", "User not authorized.", None);
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, ProviderError::Permission(_)), "{err:?}");
    env.fake.fail_next(
        400,
        "Throttling.User",
        "Request was denied due to user flow control.",
        Some(9),
    );
    let err = env.sync(&d, "198.51.100.7").await.unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 9),
        "{err:?}"
    );
    assert!(env.fake.actions().iter().all(|a| a.starts_with("List")));
}
