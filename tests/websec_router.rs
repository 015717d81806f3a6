//! Web security checks against the router, as a matrix over every state-changing route: brute
//! force from many client addresses (IPv4 spray, IPv6 rotation inside one /64), CSRF from
//! another origin in every form, session fixation, oversized bodies, path traversal on assets,
//! and every state-changing route without a session. Each must be refused with no side effect
//! (config file untouched, nothing sent to the daemon).

mod web_common;

use axum::http::{Method, StatusCode};
use serde_json::json;
use web_common::{GOOD_PW, Harness, LAN, config_with_account};

/// Every state-changing route (method, path, a body it would accept).
fn state_routes() -> Vec<(Method, &'static str, serde_json::Value)> {
    vec![
        (
            Method::POST,
            "/save",
            json!({"Username": "admin", "Password": "", "NotAllowWanAccess": false, "WebhookURL": "http://evil.example/x", "WebhookRequestBody": "", "WebhookHeaders": "", "DnsConf": null}),
        ),
        (Method::POST, "/setLang", json!({"Lang": "zh"})),
        (Method::GET, "/clearLog", json!({})),
        (Method::POST, "/clearLog", json!({})),
        (
            Method::POST,
            "/webhookTest",
            json!({"URL": "http://127.0.0.1:9/x", "RequestBody": "", "Headers": ""}),
        ),
        (Method::POST, "/logout", json!({})),
        (Method::GET, "/logout", json!({})),
        (Method::POST, "/api/update", json!({})),
        (
            Method::POST,
            "/api/ipv6-preview",
            json!({"netInterface": "lo", "ipv6Reg": ""}),
        ),
    ]
}

/// Cross-origin header sets a browser (or an attacker's page) can produce.
fn cross_origin() -> Vec<Vec<(&'static str, &'static str)>> {
    vec![
        vec![("host", "nas:9876"), ("origin", "http://evil.example")],
        vec![("host", "nas:9876"), ("origin", "null")],
        vec![
            ("host", "nas:9876"),
            ("origin", "http://nas:9876.evil.example"),
        ],
        vec![("host", "nas:9876"), ("origin", "http://nas:9877")],
        vec![("host", "nas:9876"), ("sec-fetch-site", "cross-site")],
        vec![("host", "nas:9876"), ("sec-fetch-site", "same-site")],
        // Sec-Fetch-Site wins over a matching Origin.
        vec![
            ("host", "nas:9876"),
            ("origin", "http://nas:9876"),
            ("sec-fetch-site", "cross-site"),
        ],
    ]
}

#[tokio::test]
async fn csrf_from_another_origin_on_every_state_changing_route() {
    let mut h = Harness::new(Some(&config_with_account(true)));
    let token = h.login(LAN).await;
    let cookie = format!("token={token}");
    let before = std::fs::read(&h.path).unwrap();
    h.drain_control();
    for (method, path, body) in state_routes() {
        for headers in cross_origin() {
            let mut hs = headers.clone();
            hs.push(("cookie", cookie.as_str()));
            hs.push(("content-type", "application/json"));
            let r = h
                .req(method.clone(), path, LAN, &hs, body.to_string())
                .await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{method} {path} {headers:?}"
            );
            assert_eq!(r.json()["code"], "csrf", "{method} {path}");
        }
    }
    // Also the login itself (login CSRF).
    for headers in cross_origin() {
        let mut hs = headers.clone();
        hs.push(("content-type", "application/json"));
        let body = json!({"Username": "admin", "Password": GOOD_PW}).to_string();
        let r = h.req(Method::POST, "/loginFunc", LAN, &hs, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "/loginFunc {headers:?}");
        assert!(r.token().is_none());
    }
    assert_eq!(std::fs::read(&h.path).unwrap(), before, "config changed");
    assert!(
        h.drain_control().is_empty(),
        "the daemon was told something"
    );
    // The session survived every refused logout.
    assert_eq!(
        h.get("/api/state", LAN, Some(&token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_state_changing_route_without_a_session_is_refused() {
    let mut h = Harness::new(Some(&config_with_account(true)));
    let before = std::fs::read(&h.path).unwrap();
    let forged = "0".repeat(64);
    for token in [None, Some(forged.as_str()), Some("not-hex"), Some("")] {
        for (method, path, body) in state_routes() {
            let cookie = token.map(|t| format!("token={t}"));
            let mut hs = vec![
                ("host", "nas:9876"),
                ("origin", "http://nas:9876"),
                ("sec-fetch-site", "same-origin"),
                ("content-type", "application/json"),
            ];
            if let Some(c) = &cookie {
                hs.push(("cookie", c.as_str()));
            }
            let r = h
                .req(method.clone(), path, LAN, &hs, body.to_string())
                .await;
            if path.starts_with("/api/") {
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
            } else if path == "/logout" {
                // Harmless without a session: a redirect to the login page, nothing else.
                assert_eq!(r.status, StatusCode::FOUND, "{method} {path}");
            } else {
                assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT, "{method} {path}");
                assert_eq!(r.header("location").as_deref(), Some("./login"));
            }
        }
    }
    assert_eq!(std::fs::read(&h.path).unwrap(), before);
    assert!(h.drain_control().is_empty());
}

#[tokio::test]
async fn session_fixation_a_planted_cookie_is_never_upgraded() {
    let h = Harness::new(Some(&config_with_account(false)));
    let planted = "ab".repeat(32);
    let cookie = format!("token={planted}");
    let r = h
        .req(
            Method::POST,
            "/loginFunc",
            LAN,
            &[
                ("host", "nas:9876"),
                ("origin", "http://nas:9876"),
                ("sec-fetch-site", "same-origin"),
                ("content-type", "application/json"),
                ("cookie", cookie.as_str()),
            ],
            json!({"Username": "admin", "Password": GOOD_PW}).to_string(),
        )
        .await;
    assert_eq!(r.json()["Code"], 200);
    let issued = r.token().expect("a fresh token");
    assert_ne!(issued, planted, "the planted token was kept");
    assert_eq!(issued.len(), 64);
    assert_eq!(
        h.get("/api/state", LAN, Some(&planted)).await.status,
        StatusCode::UNAUTHORIZED,
        "the planted token became a session"
    );
    assert_eq!(
        h.get("/api/state", LAN, Some(&issued)).await.status,
        StatusCode::OK
    );
    // A logout ends that session; the old token is dead afterwards.
    let c = format!("token={issued}");
    h.req(
        Method::POST,
        "/logout",
        LAN,
        &[("cookie", c.as_str()), ("sec-fetch-site", "same-origin")],
        "",
    )
    .await;
    assert_eq!(
        h.get("/api/state", LAN, Some(&issued)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn brute_force_across_many_addresses() {
    let h = Harness::new(Some(&config_with_account(false)));
    let wrong = json!({"Username": "admin", "Password": "wrong"});
    let right = json!({"Username": "admin", "Password": GOOD_PW});
    // IPv6 rotation inside one /64: the whole /64 is one address for the lockout.
    for i in 0..5 {
        let c = format!("[2001:db8:1:2::{:x}]:4000", i + 1);
        let r = h.post("/loginFunc", &c, None, &wrong).await;
        assert_eq!(r.json()["Msg"], "Username or password is incorrect");
    }
    let r = h
        .post("/loginFunc", "[2001:db8:1:2:ffff::9]:4000", None, &right)
        .await;
    assert_eq!(
        r.json()["Msg"],
        "Too many login failures, please try again later",
        "a fresh address in the same /64 was let in"
    );
    assert!(r.token().is_none());
    // A spray over many IPv4 addresses, one or two tries each, trips the global ceiling.
    let mut refused = 0;
    for i in 0..60 {
        let c = format!("198.18.{}.{}:1000", i / 200, i % 200 + 1);
        let r = h.post("/loginFunc", &c, None, &wrong).await;
        if r.json()["Msg"] == "Too many login failures, please try again later" {
            refused += 1;
        }
    }
    assert!(
        refused >= 10,
        "the ceiling never engaged ({refused} refused)"
    );
    let r = h.post("/loginFunc", "198.18.9.9:1000", None, &right).await;
    assert_eq!(
        r.json()["Msg"],
        "Too many login failures, please try again later"
    );
    // The LAN owner still gets in.
    h.login(LAN).await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let mut h = Harness::new(Some(&config_with_account(true)));
    let token = h.login(LAN).await;
    let before = std::fs::read(&h.path).unwrap();
    h.drain_control();
    let big = format!(
        "{{\"Username\":\"admin\",\"Password\":\"{}\"}}",
        "x".repeat(300 * 1024)
    );
    for path in [
        "/loginFunc",
        "/save",
        "/setLang",
        "/webhookTest",
        "/api/ipv6-preview",
    ] {
        let c = format!("token={token}");
        let r = h
            .req(
                Method::POST,
                path,
                LAN,
                &[
                    ("host", "nas:9876"),
                    ("origin", "http://nas:9876"),
                    ("content-type", "application/json"),
                    ("cookie", c.as_str()),
                ],
                big.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(r.json()["code"], "too_large", "{path}");
    }
    assert_eq!(std::fs::read(&h.path).unwrap(), before);
    assert!(h.drain_control().is_empty());
}

#[tokio::test]
async fn path_traversal_on_assets_is_refused() {
    let h = Harness::new(Some(&config_with_account(true)));
    let token = h.login(LAN).await;
    let paths = [
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/%2E%2E/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/..%2FCargo.toml",
        "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static/..%5cCargo.toml",
        "/static/..\\Cargo.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/i18n/../../Cargo.toml",
        "/static/i18n/%2e%2e/%2e%2e/src/main.rs",
        "/static/%252e%252e/Cargo.toml",
        "/static/.%2e/Cargo.toml",
        "/static/%c0%ae%c0%ae/Cargo.toml",
        "/static/app.js%00.png",
        "/static/",
        "/static/.",
    ];
    for p in paths {
        let r = h.get(p, LAN, Some(&token)).await;
        assert!(
            r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST,
            "{p}: {}",
            r.status
        );
        let t = r.text();
        assert!(
            !t.contains("[package]") && !t.contains("root:") && !t.contains("fn main"),
            "{p} leaked a file"
        );
    }
}
