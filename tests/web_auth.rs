//! Web UI authentication over HTTP: redirects (relative, for sub-path proxies), first-run
//! account creation and its 30-minute window, sessions per browser, logout, lockout per
//! address and the global ceiling.

mod web_common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;
use web_common::*;

#[tokio::test]
async fn unauthenticated_requests_are_redirected_relatively_or_get_401() {
    let h = Harness::new(Some(&config_with_account(true)));
    for path in ["/", "/logs", "/clearLog"] {
        let r = h.get(path, LAN, None).await;
        assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT, "{path}");
        assert_eq!(r.header("location").as_deref(), Some("./login"), "{path}");
    }
    let r = h.post("/save", LAN, None, &json!({})).await;
    assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(r.header("location").as_deref(), Some("./login"));
    for path in ["/api/state", "/api/status", "/api/logs"] {
        let r = h.get(path, LAN, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.json()["code"], "unauthorized");
    }
    // A forged or expired-format token is no better than none.
    let r = h.get("/", LAN, Some(&"ab".repeat(32))).await;
    assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
    // The login page and the session probe need no login.
    assert_eq!(h.get("/login", LAN, None).await.status, StatusCode::OK);
    let s = h.get("/api/session", LAN, None).await.json();
    assert_eq!(s["loggedIn"], false);
    assert_eq!(s["setup"], false);
}

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie_and_each_browser_has_its_own_session() {
    let h = Harness::new(Some(&config_with_account(true)));
    let r = h
        .post(
            "/loginFunc",
            LAN,
            None,
            &json!({"Username": "admin", "Password": GOOD_PW}),
        )
        .await;
    let body = r.json();
    assert_eq!(body["Code"], 200);
    // A browser (Origin present) never sees the token in the body.
    assert!(body["Data"].is_null());
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    // notallowwanaccess: 30 days, as ddns-go.
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    let a = r.token().unwrap();
    assert_eq!(a.len(), 64);
    let b = h.login(LAN).await;
    assert_ne!(a, b);
    assert_eq!(h.get("/", LAN, Some(&a)).await.status, StatusCode::OK);
    assert_eq!(h.get("/", LAN, Some(&b)).await.status, StatusCode::OK);
    // Logging in while logged in: the login page sends the browser home, relatively.
    let r = h.get("/login", LAN, Some(&a)).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.header("location").as_deref(), Some("./"));
    // Logout ends only that browser's session.
    let r = h.get("/logout", LAN, Some(&a)).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.header("location").as_deref(), Some("./login"));
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(
        h.get("/", LAN, Some(&a)).await.status,
        StatusCode::TEMPORARY_REDIRECT
    );
    assert_eq!(h.get("/", LAN, Some(&b)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_script_without_origin_gets_the_token_in_data_and_sessions_expire() {
    let h = Harness::new(Some(&config_with_account(false)));
    let r = h
        .req(
            Method::POST,
            "/loginFunc",
            LAN,
            &[],
            json!({"Username": "admin", "Password": GOOD_PW}).to_string(),
        )
        .await;
    let body = r.json();
    assert_eq!(body["Code"], 200);
    let token = body["Data"].as_str().unwrap().to_string();
    assert_eq!(Some(token.clone()), r.token());
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=86400"));
    assert_eq!(
        h.get("/api/status", WAN, Some(&token)).await.status,
        StatusCode::OK
    );
    h.advance(Duration::from_secs(86_400));
    assert_eq!(
        h.get("/api/status", WAN, Some(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn wrong_credentials_and_empty_fields() {
    let h = Harness::new(Some(&config_with_account(true)));
    let r = h
        .post(
            "/loginFunc",
            LAN,
            None,
            &json!({"Username": "admin", "Password": ""}),
        )
        .await;
    assert_eq!(r.json()["Msg"], "Username/Password is required");
    let r = h
        .post(
            "/loginFunc",
            LAN,
            None,
            &json!({"Username": "root", "Password": GOOD_PW}),
        )
        .await;
    assert_eq!(r.json()["Code"], 500);
    assert_eq!(r.json()["Msg"], "Username or password is incorrect");
    assert!(r.token().is_none());
    let r = h
        .req(Method::POST, "/loginFunc", LAN, &[], "{not json")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "bad_request");
}

#[tokio::test]
async fn first_run_creates_the_account_within_30_minutes() {
    let mut h = Harness::new(None);
    let s = h.get("/api/session", LAN, None).await.json();
    assert_eq!(s["setup"], true);
    assert_eq!(s["setupOpen"], true);
    assert!(s["setupDeadline"].as_str().unwrap().len() == 19);
    // While no account exists the UI is LAN-only.
    let r = h.get("/login", WAN, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["code"], "forbidden_wan");
    // A weak password is refused and nothing is written.
    let r = h
        .post(
            "/loginFunc",
            LAN,
            None,
            &json!({"Username": "admin", "Password": "123456"}),
        )
        .await;
    assert!(
        r.json()["Msg"]
            .as_str()
            .unwrap()
            .starts_with("Password is not secure!")
    );
    assert!(!h.path.exists());
    h.advance(Duration::from_secs(29 * 60));
    let token = h.login(LAN).await;
    let saved = ddns_rs::config::store::load(&h.path).unwrap().config;
    assert_eq!(saved.user.username, "admin");
    assert!(saved.user.password.starts_with("$2a$10$"));
    assert!(bcrypt::verify(GOOD_PW, &saved.user.password).unwrap());
    // Decided from the LAN socket address.
    assert!(saved.notallowwanaccess);
    assert!(matches!(
        h.drain_control().as_slice(),
        [ddns_rs::sync::schedule::Control::NewConfig(c)] if c.user.username == "admin"
    ));
    assert_eq!(h.get("/", LAN, Some(&token)).await.status, StatusCode::OK);
    assert_eq!(
        h.get("/api/session", LAN, Some(&token)).await.json()["setup"],
        false
    );
}

#[tokio::test]
async fn first_run_window_closes_after_30_minutes() {
    let h = Harness::new(None);
    h.advance(Duration::from_secs(30 * 60 + 1));
    assert_eq!(
        h.get("/api/session", LAN, None).await.json()["setupOpen"],
        false
    );
    let r = h
        .post(
            "/loginFunc",
            LAN,
            None,
            &json!({"Username": "admin", "Password": GOOD_PW}),
        )
        .await;
    let msg = r.json()["Msg"].as_str().unwrap().to_string();
    assert!(
        msg.starts_with("Need to complete the username and password setting before "),
        "{msg}"
    );
    assert!(msg.ends_with("please restart ddns-rs"), "{msg}");
    assert!(r.token().is_none());
    assert!(!h.path.exists());
}

#[tokio::test]
async fn lockout_per_address_refuses_even_the_right_password() {
    let h = Harness::new(Some(&config_with_account(false)));
    let attacker = "198.51.100.66:1234";
    for _ in 0..5 {
        let r = h
            .post(
                "/loginFunc",
                attacker,
                None,
                &json!({"Username": "admin", "Password": "wrong"}),
            )
            .await;
        assert_eq!(r.json()["Msg"], "Username or password is incorrect");
    }
    let r = h
        .post(
            "/loginFunc",
            attacker,
            None,
            &json!({"Username": "admin", "Password": GOOD_PW}),
        )
        .await;
    assert_eq!(
        r.json()["Msg"],
        "Too many login failures, please try again later"
    );
    assert!(r.token().is_none());
    // The owner elsewhere is not locked out.
    h.login(WAN).await;
    h.login(LAN).await;
    // After 30 minutes (counted from the last refused attempt) the right password works.
    h.advance(Duration::from_secs(30 * 60 + 1));
    h.login(attacker).await;
}

#[tokio::test]
async fn global_ceiling_stops_a_spray_but_not_the_lan() {
    let h = Harness::new(Some(&config_with_account(false)));
    // Wrong usernames still cost a bcrypt check each; 50 distinct addresses, 1 try each.
    for i in 0..50 {
        let client = format!("198.18.0.{}:1000", i + 1);
        let r = h
            .post(
                "/loginFunc",
                &client,
                None,
                &json!({"Username": "x", "Password": "wrong"}),
            )
            .await;
        assert_eq!(
            r.json()["Msg"],
            "Username or password is incorrect",
            "attempt {i}"
        );
    }
    let r = h
        .post(
            "/loginFunc",
            WAN,
            None,
            &json!({"Username": "admin", "Password": GOOD_PW}),
        )
        .await;
    assert_eq!(
        r.json()["Msg"],
        "Too many login failures, please try again later"
    );
    h.login(LAN).await;
    h.login("127.0.0.1:5000").await;
    h.advance(Duration::from_secs(30 * 60));
    h.login(WAN).await;
}
