//! The callback provider against a recording HTTP server, driven through the trait the way the
//! sync layer drives it.
mod fakes;

use std::net::SocketAddr;
use std::sync::Arc;

use ddns_rs::config::Domain;
use ddns_rs::provider::{Lookup, Plan, Provider, ProviderError, RecordType};
use fakes::callback::{Expect, FakeCallback};
use fakes::harness::{self, Creds, ip, sync};

struct Env {
    fake: Arc<FakeCallback>,
    addr: SocketAddr,
}

async fn env() -> Env {
    let fake = FakeCallback::new();
    let addr = fakes::serve_http(fake.router()).await;
    Env { fake, addr }
}

fn provider(url: &str, body: &str, ttl: &str) -> Box<dyn Provider> {
    Creds::new(url, body).ttl(ttl).build_at("callback", None)
}

fn dom(sub: &str, params: &[(&str, &str)]) -> Domain {
    harness::dom(sub, "example.com", params)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn get_with_substituted_url_and_no_lookup_traffic() {
    let e = env().await;
    let p = provider(
        &format!(
            "http://{}/nic/update?host=#{{domain}}&myip=#{{ip}}&t=#{{recordType}}&ttl=#{{ttl}}&key=#{{key}}",
            e.addr
        ),
        "",
        "",
    );
    let d = dom("www", &[("key", "s3cr3t")]);
    assert_eq!(p.lookup(&d, RecordType::A).await.unwrap(), Lookup::Unknown);
    assert!(
        e.fake.requests().is_empty(),
        "a lookup must not call the URL"
    );
    let plan = sync(&*p, &d, ip("192.0.2.10")).await.unwrap();
    assert_eq!(plan, Plan::Write);
    let reqs = e.fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].uri,
        "/nic/update?host=www.example.com&myip=192.0.2.10&t=A&ttl=600&key=s3cr3t"
    );
    assert!(reqs[0].body.is_empty());
    assert_eq!(reqs[0].header("content-type"), None);
}

#[tokio::test]
async fn post_json_body_with_address_variables() {
    let e = env().await;
    let body = r##"{"ip":"#{ip}","domain":"#{domain}","v4":"#{ipv4Addr}","v6":"#{ipv6Addr}","type":"#{recordType}","ttl":#{ttl},"ts":#{timestamp},"zone":"#{zone}"}"##;
    let p = provider(&format!("http://{}/hook", e.addr), body, "120");
    let before = now();
    sync(&*p, &dom("", &[("zone", "home")]), ip("2001:db8::7"))
        .await
        .unwrap();
    let after = now();
    let reqs = e.fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].uri, "/hook");
    assert_eq!(reqs[0].header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(v["ip"], "2001:db8::7");
    assert_eq!(v["domain"], "example.com");
    assert_eq!(v["v4"], "", "only the address being written is known");
    assert_eq!(v["v6"], "2001:db8::7");
    assert_eq!(v["type"], "AAAA");
    assert_eq!(v["ttl"], 120);
    assert_eq!(v["zone"], "home");
    let ts = v["ts"].as_i64().unwrap();
    assert!(before <= ts && ts <= after, "{before} <= {ts} <= {after}");
}

#[tokio::test]
async fn post_form_body_when_not_json() {
    let e = env().await;
    e.fake.expect(Expect {
        method: Some("POST".into()),
        uri: Some("/form?a=1".into()),
        content_type: Some("application/x-www-form-urlencoded".into()),
        body: Some("ip=192.0.2.5&ipv4=192.0.2.5&ipv6=&host=a.example.com".into()),
    });
    let p = provider(
        &format!("http://{}/form?a=1", e.addr),
        "ip=#{ip}&ipv4=#{ipv4Addr}&ipv6=#{ipv6Addr}&host=#{domain}",
        "",
    );
    sync(&*p, &dom("a", &[]), ip("192.0.2.5")).await.unwrap();
    assert_eq!(e.fake.requests().len(), 1);
    // The same expectation rejects a different domain: the mismatch surfaces as an error.
    let err = sync(&*p, &dom("b", &[]), ip("192.0.2.5"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("400") && m.contains("body")),
        "{err:?}"
    );
}

#[tokio::test]
async fn one_request_per_domain() {
    let e = env().await;
    let p = provider(&format!("http://{}/u?d=#{{domain}}", e.addr), "", "");
    for sub in ["a", "b", "c"] {
        sync(&*p, &dom(sub, &[]), ip("192.0.2.1")).await.unwrap();
    }
    let uris: Vec<String> = e.fake.requests().into_iter().map(|s| s.uri).collect();
    assert_eq!(
        uris,
        vec![
            "/u?d=a.example.com",
            "/u?d=b.example.com",
            "/u?d=c.example.com"
        ]
    );
}

#[tokio::test]
async fn non_2xx_is_an_error_with_status_and_body() {
    let e = env().await;
    e.fake.respond_next(500, "database is down");
    let p = provider(&format!("http://{}/u", e.addr), "", "");
    let err = sync(&*p, &dom("www", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("500") && m.contains("database is down")),
        "{err:?}"
    );
    e.fake.respond_next(302, "");
    assert!(
        sync(&*p, &dom("www", &[]), ip("192.0.2.1")).await.is_err(),
        "3xx is not success"
    );
    e.fake.respond_next(204, "");
    sync(&*p, &dom("www", &[]), ip("192.0.2.1")).await.unwrap();
}

#[tokio::test]
async fn invalid_url_is_a_clear_error() {
    let p = provider("not a url #{ip}", "", "");
    let err = sync(&*p, &dom("www", &[]), ip("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Api(m) if m.contains("not a url 192.0.2.1") && m.contains("invalid")),
        "{err:?}"
    );
}
