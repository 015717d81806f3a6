//! TLS: the bundled roots reject a self-signed server; `-skipVerify` accepts it, on provider
//! and detection clients alike.

mod fakes;

use axum::Router;
use axum::routing::get;
use ddns_rs::detect::Family;
use ddns_rs::http::{HttpOptions, detect_client, provider_client, read_body};

fn router() -> Router {
    Router::new().route("/", get(|| async { "hello over tls" }))
}

fn chain(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(" / {s}"));
        source = s.source();
    }
    text
}

#[tokio::test]
async fn self_signed_certificate_fails_without_skip_verify() {
    let addr = fakes::serve_tls(router(), &["localhost"]).await;
    let url = format!("https://localhost:{}/", addr.port());
    for client in [
        provider_client(&HttpOptions::default(), None).unwrap(),
        detect_client(&HttpOptions::default(), Family::V4, None).unwrap(),
    ] {
        let err = client.get(&url).send().await.unwrap_err();
        let text = chain(&err);
        assert!(
            text.contains("certificate") && text.contains("UnknownIssuer"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn skip_verify_accepts_a_self_signed_certificate() {
    let addr = fakes::serve_tls(router(), &["localhost"]).await;
    let opts = HttpOptions {
        skip_verify: true,
        ..Default::default()
    };
    // The name does not even match the certificate: -skipVerify skips that check too.
    let url = format!("https://127.0.0.1:{}/", addr.port());
    for client in [
        provider_client(&opts, None).unwrap(),
        detect_client(&opts, Family::V4, None).unwrap(),
    ] {
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(
            read_body(resp, 1000).await.unwrap(),
            (200, "hello over tls".to_string())
        );
    }
}

#[tokio::test]
async fn user_agent_names_ddns_rs() {
    let app = Router::new().route(
        "/",
        get(|h: axum::http::HeaderMap| async move {
            h.get("user-agent")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        }),
    );
    let addr = fakes::serve_http(app).await;
    let client = provider_client(&HttpOptions::default(), None).unwrap();
    let resp = client.get(format!("http://{addr}/")).send().await.unwrap();
    let (_, ua) = read_body(resp, 100).await.unwrap();
    assert_eq!(ua, format!("ddns-rs/{}", env!("CARGO_PKG_VERSION")));
}
