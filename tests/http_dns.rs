//! `-dns` and family forcing, end to end: a fake DNS server and an HTTP server on loopback.

mod http_common;

use ddns_rs::detect::Family;
use ddns_rs::http::{DnsServer, HttpOptions, detect_client, provider_client, read_body};
use hickory_proto::rr::RecordType;
use http_common::{DnsQuery, FakeDns, Zone, ipv6_loopback, serve_peer_reporter};

fn opts(dns: &FakeDns, tcp: bool) -> HttpOptions {
    HttpOptions {
        dns: Some(DnsServer {
            addr: dns.addr,
            tcp,
        }),
        ..Default::default()
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let resp = client.get(url).send().await.map_err(|e| format!("{e:?}"))?;
    Ok(read_body(resp, 1000).await.map_err(|e| e.to_string())?.1)
}

#[tokio::test]
async fn provider_client_resolves_through_the_dns_flag_server() {
    let dns = FakeDns::start(Zone::default().with("fake.test.", &["127.0.0.1"])).await;
    let port = serve_peer_reporter(false).await;
    let client = provider_client(&opts(&dns, false), None).unwrap();
    assert_eq!(
        fetch(&client, &format!("http://fake.test:{port}/"))
            .await
            .unwrap(),
        "127.0.0.1"
    );
    let queries = dns.queries();
    assert!(
        queries
            .iter()
            .all(|q| q.proto == "udp" && q.name == "fake.test."),
        "{queries:?}"
    );
    assert!(
        queries.iter().any(|q| q.rtype == RecordType::A),
        "{queries:?}"
    );
}

#[tokio::test]
async fn cname_chain_in_the_answer_is_followed() {
    let mut zone = Zone::default().with("target.test.", &["127.0.0.1"]);
    zone.cnames
        .insert("alias.test.".into(), "target.test.".into());
    let dns = FakeDns::start(zone).await;
    let port = serve_peer_reporter(false).await;
    let client = provider_client(&opts(&dns, false), None).unwrap();
    assert_eq!(
        fetch(&client, &format!("http://alias.test:{port}/"))
            .await
            .unwrap(),
        "127.0.0.1"
    );
}

#[tokio::test]
async fn truncated_udp_answer_is_retried_over_tcp() {
    let zone = Zone {
        truncate_udp: true,
        ..Zone::default().with("fake.test.", &["127.0.0.1"])
    };
    let dns = FakeDns::start(zone).await;
    let port = serve_peer_reporter(false).await;
    let client = detect_client(&opts(&dns, false), Family::V4, None).unwrap();
    assert_eq!(
        fetch(&client, &format!("http://fake.test:{port}/"))
            .await
            .unwrap(),
        "127.0.0.1"
    );
    let queries = dns.queries();
    let a = |proto| DnsQuery {
        proto,
        name: "fake.test.".into(),
        rtype: RecordType::A,
    };
    assert_eq!(queries, vec![a("udp"), a("tcp")]);
}

#[tokio::test]
async fn tcp_scheme_queries_over_tcp_only() {
    let dns = FakeDns::start(Zone::default().with("fake.test.", &["127.0.0.1"])).await;
    let port = serve_peer_reporter(false).await;
    let client = detect_client(&opts(&dns, true), Family::V4, None).unwrap();
    assert_eq!(
        fetch(&client, &format!("http://fake.test:{port}/"))
            .await
            .unwrap(),
        "127.0.0.1"
    );
    let queries = dns.queries();
    assert!(
        !queries.is_empty() && queries.iter().all(|q| q.proto == "tcp"),
        "{queries:?}"
    );
}

#[tokio::test]
async fn unknown_name_fails_and_ip_literals_never_ask_dns() {
    let dns = FakeDns::start(Zone::default()).await;
    let port = serve_peer_reporter(false).await;
    let client = provider_client(&opts(&dns, false), None).unwrap();
    let err = fetch(&client, &format!("http://missing.test:{port}/"))
        .await
        .unwrap_err();
    assert!(err.contains("missing.test"), "{err}");
    let before = dns.queries().len();
    assert_eq!(
        fetch(&client, &format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap(),
        "127.0.0.1"
    );
    assert_eq!(dns.queries().len(), before, "an IP literal went to DNS");
}

#[tokio::test]
async fn detection_clients_connect_only_over_their_family() {
    if !ipv6_loopback() {
        return;
    }
    let zone = Zone::default()
        .with("dual.test.", &["127.0.0.1", "::1"])
        .with("v6only.test.", &["::1"])
        .with("v4only.test.", &["127.0.0.1"]);
    let dns = FakeDns::start(zone).await;
    let port = serve_peer_reporter(true).await;
    let o = opts(&dns, false);
    let v4 = detect_client(&o, Family::V4, None).unwrap();
    let v6 = detect_client(&o, Family::V6, None).unwrap();
    for _ in 0..3 {
        assert_eq!(
            fetch(&v4, &format!("http://dual.test:{port}/"))
                .await
                .unwrap(),
            "127.0.0.1"
        );
        assert_eq!(
            fetch(&v6, &format!("http://dual.test:{port}/"))
                .await
                .unwrap(),
            "::1"
        );
    }
    // The resolver asked only for the family's record type.
    let asked: Vec<_> = dns.queries().into_iter().map(|q| q.rtype).collect();
    assert!(asked.contains(&RecordType::A) && asked.contains(&RecordType::AAAA));

    let err = fetch(&v4, &format!("http://v6only.test:{port}/"))
        .await
        .unwrap_err();
    assert!(err.contains("v6only.test"), "{err}");
    let err = fetch(&v6, &format!("http://v4only.test:{port}/"))
        .await
        .unwrap_err();
    assert!(err.contains("v4only.test"), "{err}");

    // IP literals of the other family are never connected to (the server would answer).
    let err = fetch(&v4, &format!("http://[::1]:{port}/"))
        .await
        .unwrap_err();
    assert!(
        err.contains("Connect") && err.contains("unreachable"),
        "{err}"
    );
    let err = fetch(&v6, &format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(
        err.contains("Connect") && err.contains("unreachable"),
        "{err}"
    );
    assert_eq!(
        fetch(&v4, &format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap(),
        "127.0.0.1"
    );
    assert_eq!(
        fetch(&v6, &format!("http://[::1]:{port}/")).await.unwrap(),
        "::1"
    );
}

#[tokio::test]
async fn family_forcing_without_dns_flag_uses_the_system_resolver_filtered() {
    if !ipv6_loopback() {
        return;
    }
    let port = serve_peer_reporter(true).await;
    let o = HttpOptions::default();
    let v4 = detect_client(&o, Family::V4, None).unwrap();
    let v6 = detect_client(&o, Family::V6, None).unwrap();
    assert_eq!(
        fetch(&v4, &format!("http://localhost:{port}/"))
            .await
            .unwrap(),
        "127.0.0.1"
    );
    assert_eq!(
        fetch(&v6, &format!("http://localhost:{port}/"))
            .await
            .unwrap(),
        "::1"
    );
}

#[tokio::test]
async fn resolve_matches_what_the_clients_use() {
    let dns = FakeDns::start(
        Zone::default()
            .with("dual.test.", &["127.0.0.1", "::1"])
            .with("v4only.test.", &["127.0.0.1"]),
    )
    .await;
    let o = opts(&dns, false);
    let ips = |list: &[&str]| {
        list.iter()
            .map(|s| s.parse().unwrap())
            .collect::<Vec<std::net::IpAddr>>()
    };
    assert_eq!(
        ddns_rs::http::resolve(&o, "dual.test", None).await.unwrap(),
        ips(&["127.0.0.1", "::1"])
    );
    assert_eq!(
        ddns_rs::http::resolve(&o, "dual.test", Some(Family::V6))
            .await
            .unwrap(),
        ips(&["::1"])
    );
    let err = ddns_rs::http::resolve(&o, "v4only.test", Some(Family::V6))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ddns_rs::http::DnsError::NoAddress { .. }),
        "{err}"
    );
    let err = ddns_rs::http::resolve(&o, "nowhere.test", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nowhere.test"), "{err}");
}
