//! The legacy DNSPod provider against the fake dnsapi.cn, driven through the trait the way the
//! sync layer drives it.
mod fakes;

use ddns_rs::config::Domain;
use ddns_rs::http::{HttpOptions, provider_client};
use ddns_rs::provider::{Plan, ProviderError, RecordType};
use fakes::Seen;
use fakes::body_form;
use fakes::dnspod::{DpFault, FakeDnspod};
use fakes::harness::{self, Creds, assert_zone_not_found, ip, sync};

const ID: &str = "420000";
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

type Env = harness::Env<FakeDnspod>;

async fn env_with(token: &str) -> Env {
    let fake = FakeDnspod::new(ID, TOKEN);
    fake.add_domain("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    Env::new(fake, addr, "dnspod", Creds::new(ID, token))
}

async fn env() -> Env {
    env_with(TOKEN).await
}

fn dom(sub: &str, params: &[(&str, &str)]) -> Domain {
    harness::dom(sub, "example.com", params)
}

fn field(s: &Seen, k: &str) -> Option<String> {
    let f = body_form(s);
    let all: Vec<&(String, String)> = f.iter().filter(|(n, _)| n == k).collect();
    assert!(all.len() <= 1, "{k} sent {} times", all.len());
    all.first().map(|(_, v)| v.clone())
}

#[tokio::test]
async fn empty_list_code_10_leads_to_a_create() {
    let e = env().await;
    let plan = sync(&*e.provider, &dom("www", &[]), ip("192.0.2.10"))
        .await
        .unwrap();
    assert_eq!(plan, Plan::Create);
    assert_eq!(e.fake.actions(), vec!["Record.List", "Record.Create"]);
    let reqs = e.fake.requests();
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            r.headers.iter().filter(|(k, _)| k == "user-agent").count(),
            1
        );
        let ua = r.header("user-agent").unwrap();
        assert!(
            ua.starts_with(concat!("ddns-rs/", env!("CARGO_PKG_VERSION"), " (")),
            "{ua}"
        );
        assert_eq!(
            field(r, "login_token").as_deref(),
            Some("420000,0123456789abcdef0123456789abcdef")
        );
        assert_eq!(field(r, "format").as_deref(), Some("json"));
    }
    let list = &reqs[0];
    assert_eq!(field(list, "domain").as_deref(), Some("example.com"));
    assert_eq!(field(list, "sub_domain").as_deref(), Some("www"));
    assert_eq!(field(list, "record_type").as_deref(), Some("A"));
    let create = &reqs[1];
    for (k, v) in [
        ("domain", "example.com"),
        ("sub_domain", "www"),
        ("record_type", "A"),
        ("value", "192.0.2.10"),
        ("ttl", "600"),
        ("record_line", "默认"),
    ] {
        assert_eq!(field(create, k).as_deref(), Some(v), "{k}");
    }
    assert_eq!(field(create, "record_id"), None);
    let recs = e.fake.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(
        (
            recs[0].sub.as_str(),
            recs[0].value.as_str(),
            recs[0].line.as_str()
        ),
        ("www", "192.0.2.10", "默认")
    );
}

#[tokio::test]
async fn a_stale_record_is_modified() {
    let e = env().await;
    let id = e.fake.seed("example.com", "www", "A", "192.0.2.1", "默认");
    let plan = sync(&*e.provider, &dom("www", &[]), ip("192.0.2.2"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::Update { .. }));
    assert_eq!(e.fake.actions(), vec!["Record.List", "Record.Modify"]);
    let m = &e.fake.requests()[1];
    assert_eq!(field(m, "record_id"), Some(id));
    assert_eq!(field(m, "value").as_deref(), Some("192.0.2.2"));
    assert_eq!(field(m, "record_line").as_deref(), Some("默认"));
    assert_eq!(e.fake.records()[0].value, "192.0.2.2");
}

#[tokio::test]
async fn unchanged_address_sends_only_the_list() {
    let e = env().await;
    e.fake.seed("example.com", "www", "A", "192.0.2.1", "默认");
    let plan = sync(&*e.provider, &dom("www", &[]), ip("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(
        plan,
        Plan::NoChange {
            current: "192.0.2.1".into()
        }
    );
    assert_eq!(e.fake.actions(), vec!["Record.List"]);
}

#[tokio::test]
async fn apex_and_wildcard_sub_domains() {
    let e = env().await;
    sync(&*e.provider, &dom("", &[]), ip("192.0.2.3"))
        .await
        .unwrap();
    sync(&*e.provider, &dom("*", &[]), ip("192.0.2.4"))
        .await
        .unwrap();
    let reqs = e.fake.requests();
    assert_eq!(field(&reqs[0], "sub_domain").as_deref(), Some("@"));
    assert_eq!(field(&reqs[1], "sub_domain").as_deref(), Some("@"));
    assert_eq!(field(&reqs[2], "sub_domain").as_deref(), Some("*"));
    let subs: Vec<String> = e.fake.records().into_iter().map(|r| r.sub).collect();
    assert_eq!(subs, vec!["@", "*"]);
}

#[tokio::test]
async fn record_line_and_other_params_go_into_every_call() {
    let e = env().await;
    e.fake.seed("example.com", "www", "A", "192.0.2.1", "默认");
    let d = dom("www", &[("extra", "x1"), ("record_line", "电信")]);
    let plan = sync(&*e.provider, &d, ip("192.0.2.5")).await.unwrap();
    assert_eq!(plan, Plan::Create, "the 默认 record is on another line");
    for r in e.fake.requests() {
        assert_eq!(field(&r, "record_line").as_deref(), Some("电信"));
        assert_eq!(field(&r, "extra").as_deref(), Some("x1"));
    }
    let lines: Vec<(String, String)> = e
        .fake
        .records()
        .into_iter()
        .map(|r| (r.line, r.value))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("默认".into(), "192.0.2.1".into()),
            ("电信".into(), "192.0.2.5".into())
        ]
    );
}

#[tokio::test]
async fn record_id_param_picks_the_second_record() {
    let e = env().await;
    let first = e.fake.seed("example.com", "www", "A", "192.0.2.1", "默认");
    let second = e.fake.seed("example.com", "www", "A", "192.0.2.2", "联通");
    sync(
        &*e.provider,
        &dom("www", &[("record_id", &second)]),
        ip("192.0.2.9"),
    )
    .await
    .unwrap();
    let m = &e.fake.requests()[1];
    assert_eq!(field(m, "record_id"), Some(second.clone()));
    let recs = e.fake.records();
    assert_eq!(
        recs.iter().find(|r| r.id == first).unwrap().value,
        "192.0.2.1"
    );
    assert_eq!(
        recs.iter().find(|r| r.id == second).unwrap().value,
        "192.0.2.9"
    );
}

#[tokio::test]
async fn ipv6_records_and_equal_spellings() {
    let e = env().await;
    sync(&*e.provider, &dom("v6", &[]), ip("2001:db8::1"))
        .await
        .unwrap();
    let reqs = e.fake.requests();
    assert_eq!(field(&reqs[0], "record_type").as_deref(), Some("AAAA"));
    assert_eq!(field(&reqs[1], "value").as_deref(), Some("2001:db8::1"));
    e.fake.seed(
        "example.com",
        "long",
        "AAAA",
        "2001:0DB8:0000::0001",
        "默认",
    );
    let plan = sync(&*e.provider, &dom("long", &[]), ip("2001:db8::1"))
        .await
        .unwrap();
    assert!(matches!(plan, Plan::NoChange { .. }));
    assert_eq!(
        e.fake.actions(),
        vec!["Record.List", "Record.Create", "Record.List"]
    );
}

#[tokio::test]
async fn wrong_token_is_an_auth_error_and_nothing_is_written() {
    let e = env_with("not-the-token").await;
    let err = sync(&*e.provider, &dom("www", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("-1")),
        "{err:?}"
    );
    assert_eq!(e.fake.actions(), vec!["Record.List"]);
    assert!(e.fake.records().is_empty());
}

#[tokio::test]
async fn unknown_domain_is_zone_not_found() {
    let e = env().await;
    assert_zone_not_found(&*e.provider, "example.net", ip("192.0.2.1")).await;
}

#[tokio::test]
async fn limits_bans_and_gateway_errors() {
    let e = env().await;
    let d = dom("www", &[]);
    e.fake.fail_next(DpFault::Code {
        code: "-2".into(),
        message: "API usage is limited".into(),
    });
    let err = sync(&*e.provider, &d, ip("192.0.2.1")).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{err:?}"
    );
    e.fake.fail_next(DpFault::Code {
        code: "-8".into(),
        message: "Login failed too many times".into(),
    });
    let err = sync(&*e.provider, &d, ip("192.0.2.1")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("banned")),
        "{err:?}"
    );
    e.fake.fail_next(DpFault::Http {
        status: 502,
        body: "<html>Bad Gateway</html>".into(),
    });
    let err = sync(&*e.provider, &d, ip("192.0.2.1")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("502") && m.contains("Bad Gateway")),
        "{err:?}"
    );
    // A failed write is reported with DNSPod's code and message.
    let l = e.provider.lookup(&d, RecordType::A).await.unwrap();
    let plan = e.provider.plan(&d, &l, ip("192.0.2.1"));
    e.fake.fail_next(DpFault::Code {
        code: "29".into(),
        message: "TTL is too small".into(),
    });
    let err = e
        .provider
        .apply(&d, RecordType::A, &l, &plan, ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("29") && m.contains("TTL")),
        "{err:?}"
    );
    assert!(e.fake.records().is_empty());
}

#[tokio::test]
async fn the_fake_is_as_strict_as_the_real_api() {
    let fake = FakeDnspod::new(ID, TOKEN);
    fake.add_domain("example.com");
    let addr = fakes::serve_http(fake.router()).await;
    let url = format!("http://{addr}/Record.List");
    let login = format!("{ID},{TOKEN}");
    let good = [
        ("login_token", login.as_str()),
        ("format", "json"),
        ("domain", "example.com"),
        ("sub_domain", "www"),
    ];
    let c = provider_client(&HttpOptions::default(), None).unwrap();
    let browser = c
        .post(&url)
        .header("user-agent", "Mozilla/5.0")
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 403);
    let no_ua = c
        .post(&url)
        .header("user-agent", "")
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(no_ua.status(), 403, "an empty User-Agent is refused");
    let ok = c
        .post(&url)
        .header("user-agent", "t/1 (t@example.com)")
        .form(&good)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(v["status"]["code"], "10");
    let xml = [("login_token", login.as_str()), ("domain", "example.com")];
    let r = c
        .post(&url)
        .header("user-agent", "t/1")
        .form(&xml)
        .send()
        .await
        .unwrap();
    assert!(
        r.text().await.unwrap().starts_with("<dnspod>"),
        "no format=json: XML"
    );
    let token_only = [
        ("login_token", TOKEN),
        ("format", "json"),
        ("domain", "example.com"),
    ];
    let v: serde_json::Value = c
        .post(&url)
        .header("user-agent", "t/1")
        .form(&token_only)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"]["code"], "-1");
    assert_eq!(fake.requests().len(), 5);
}
