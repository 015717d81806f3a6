//! Guards that apply to every web UI route: CSRF refusals and acceptance without Origin, the
//! WAN rule by socket address (and the 3-hour rule), security headers, the body limit, and
//! errors as JSON instead of panics.

mod web_common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;
use web_common::*;

fn save_body() -> serde_json::Value {
    json!({"Username": "admin", "Password": "", "NotAllowWanAccess": true, "DnsConf": []})
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let mut h = Harness::new(Some(&config_with_account(true)));
    let token = h.login(LAN).await;
    let cookie = format!("token={token}");
    type Case<'a> = (Method, &'a str, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/save",
            vec![("host", "nas:9876"), ("origin", "http://evil.example")],
        ),
        (
            Method::POST,
            "/save",
            vec![("host", "nas:9876"), ("origin", "null")],
        ),
        (
            Method::POST,
            "/save",
            vec![("sec-fetch-site", "cross-site")],
        ),
        (
            Method::POST,
            "/api/update",
            vec![("sec-fetch-site", "same-site")],
        ),
        (
            Method::GET,
            "/clearLog",
            vec![("sec-fetch-site", "cross-site")],
        ),
        (
            Method::GET,
            "/logout",
            vec![("host", "nas:9876"), ("origin", "http://evil.example")],
        ),
        (
            Method::POST,
            "/loginFunc",
            vec![("sec-fetch-site", "cross-site")],
        ),
    ];
    for (method, path, mut headers) in cases {
        headers.push(("cookie", &cookie));
        let r = h
            .req(method.clone(), path, LAN, &headers, save_body().to_string())
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path} {headers:?}"
        );
        assert_eq!(r.json()["code"], "csrf");
    }
    assert!(
        h.drain_control().is_empty(),
        "a refused request reached the daemon"
    );
    // The session survived the cross-site logout attempt.
    assert_eq!(h.get("/", LAN, Some(&token)).await.status, StatusCode::OK);
    // Same-origin reads are fine even with a foreign Sec-Fetch-Site (GET is not state-changing).
    let r = h
        .req(
            Method::GET,
            "/api/status",
            LAN,
            &[("cookie", &cookie), ("sec-fetch-site", "cross-site")],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn clients_without_origin_work_with_a_session_only() {
    let mut h = Harness::new(Some(&config_with_account(true)));
    let token = h.login(LAN).await;
    let cookie = format!("token={token}");
    let r = h
        .req(Method::POST, "/api/update", LAN, &[("cookie", &cookie)], "")
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.json()["queued"], true);
    assert_eq!(
        h.drain_control(),
        vec![ddns_rs::sync::schedule::Control::RunNow]
    );
    let r = h.req(Method::POST, "/api/update", LAN, &[], "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Same-origin through a proxy that rewrites Host but sets X-Forwarded-Host.
    let r = h
        .req(
            Method::POST,
            "/api/update",
            LAN,
            &[
                ("cookie", &cookie),
                ("host", "127.0.0.1:9876"),
                ("x-forwarded-host", "ddns.example.com"),
                ("origin", "https://ddns.example.com"),
            ],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn wan_clients_are_refused_by_socket_address_when_wan_access_is_off() {
    let h = Harness::new(Some(&config_with_account(true)));
    for wan in [WAN, "100.64.1.1:1", "[2001:db8::5]:1", "[::ffff:8.8.8.8]:1"] {
        for path in ["/login", "/static/app.css", "/api/session", "/"] {
            let r = h.get(path, wan, None).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{wan} {path}");
            assert_eq!(r.json()["code"], "forbidden_wan");
        }
        // Forwarding headers are not trusted.
        let r = h
            .req(
                Method::GET,
                "/login",
                wan,
                &[
                    ("x-forwarded-for", "192.168.1.5"),
                    ("x-real-ip", "10.0.0.1"),
                    ("referer", "http://192.168.1.5:9876/"),
                ],
                "",
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    for lan in [
        LAN,
        "127.0.0.1:1",
        "10.9.9.9:1",
        "172.20.0.1:1",
        "[fd12::1]:1",
        "[fe80::1]:1",
        "[::1]:1",
        "[::ffff:192.168.0.3]:1",
    ] {
        assert_eq!(
            h.get("/login", lan, None).await.status,
            StatusCode::OK,
            "{lan}"
        );
    }
    let open = Harness::new(Some(&config_with_account(false)));
    assert_eq!(open.get("/login", WAN, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn without_a_config_wan_clients_are_refused_and_a_broken_one_after_3_hours() {
    let h = Harness::new(None);
    assert_eq!(
        h.get("/login", WAN, None).await.status,
        StatusCode::FORBIDDEN
    );
    let h = Harness::new(None);
    std::fs::write(&h.path, "dnsconf: [\n  broken").unwrap();
    assert_eq!(h.get("/login", WAN, None).await.status, StatusCode::OK);
    h.advance(Duration::from_secs(3 * 3600 + 1));
    assert_eq!(
        h.get("/login", WAN, None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(h.get("/login", LAN, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let h = Harness::new(Some(&config_with_account(true)));
    let token = h.login(LAN).await;
    let responses = vec![
        h.get("/login", LAN, None).await,
        h.get("/", LAN, Some(&token)).await,
        h.get("/", LAN, None).await,
        h.get("/api/state", LAN, Some(&token)).await,
        h.get("/nope", LAN, None).await,
        h.get("/login", WAN, None).await,
        h.req(
            Method::POST,
            "/save",
            LAN,
            &[("sec-fetch-site", "cross-site")],
            "",
        )
        .await,
    ];
    for r in responses {
        assert_eq!(
            r.header("content-security-policy").as_deref(),
            Some(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
            )
        );
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(r.header("referrer-policy").as_deref(), Some("same-origin"));
    }
    let r = h.get("/api/state", LAN, Some(&token)).await;
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
}

#[tokio::test]
async fn body_limit_and_malformed_input_give_json_errors() {
    let h = Harness::new(Some(&config_with_account(true)));
    let token = h.login(LAN).await;
    let big = format!("{{\"Username\":\"{}\"}}", "a".repeat(300 * 1024));
    let r = h
        .post(
            "/save",
            LAN,
            Some(&token),
            &serde_json::from_str(&big).unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["code"], "too_large");
    let cookie = format!("token={token}");
    for (path, body) in [
        ("/save", "{\"DnsConf\": 5}"),
        ("/save", "\u{0}\u{1}garbage"),
        ("/setLang", "5"),
        ("/webhookTest", "{"),
        ("/api/ipv6-preview", "\"x\""),
        ("/loginFunc", ""),
    ] {
        let r = h
            .req(Method::POST, path, LAN, &[("cookie", &cookie)], body)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path} {body:?}");
        assert_eq!(r.json()["code"], "bad_request");
    }
    // Unknown paths and assets: 404, no listing, no traversal.
    for path in [
        "/static/",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/nope.js",
        "/a/b",
        "/static//etc/passwd",
    ] {
        let r = h.get(path, LAN, Some(&token)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = h
        .req(Method::DELETE, "/save", LAN, &[("cookie", &cookie)], "")
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}
