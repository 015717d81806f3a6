//! Proxies: provider clients follow the explicit `ProxyEnv` (HTTPS_PROXY / NO_PROXY rules),
//! detection clients never use a proxy.

mod fakes;
mod http_common;

use axum::Router;
use axum::routing::get;
use ddns_rs::detect::Family;
use ddns_rs::http::{DnsServer, HttpOptions, ProxyEnv, detect_client, provider_client, read_body};
use http_common::{FakeDns, Zone};

fn router() -> Router {
    Router::new().route("/", get(|| async { "fake api" }))
}

#[tokio::test]
async fn provider_client_tunnels_https_through_the_proxy() {
    let api = fakes::serve_tls(router(), &["api.example.test"]).await;
    let proxy = fakes::ConnectProxy::start(fakes::routes(&[("api.example.test:443", api)])).await;
    let opts = HttpOptions {
        skip_verify: true,
        proxy: ProxyEnv {
            https: Some(format!("http://127.0.0.1:{}", proxy.addr.port())),
            ..Default::default()
        },
        ..Default::default()
    };
    let client = provider_client(&opts, None).unwrap();
    let resp = client
        .get("https://api.example.test/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        read_body(resp, 100).await.unwrap(),
        (200, "fake api".to_string())
    );
    assert_eq!(
        *proxy.requested.lock().unwrap(),
        vec!["CONNECT api.example.test:443".to_string()]
    );
}

#[tokio::test]
async fn no_proxy_and_detection_clients_go_direct() {
    let api = fakes::serve_tls(router(), &["api.example.test"]).await;
    let target = format!("api.example.test:{}", api.port());
    let proxy = fakes::ConnectProxy::start(fakes::routes(&[(target.as_str(), api)])).await;
    // The fake DNS makes the direct path work without touching the real resolver.
    let dns = FakeDns::start(Zone::default().with("api.example.test.", &["127.0.0.1"])).await;
    let url = format!("https://{target}/");
    let with = |no_proxy: Option<&str>| HttpOptions {
        skip_verify: true,
        dns: Some(DnsServer {
            addr: dns.addr,
            tcp: false,
        }),
        proxy: ProxyEnv {
            https: Some(format!("http://127.0.0.1:{}", proxy.addr.port())),
            http: Some(format!("http://127.0.0.1:{}", proxy.addr.port())),
            no_proxy: no_proxy.map(Into::into),
        },
        ..Default::default()
    };
    let get = |client: reqwest::Client| {
        let url = url.clone();
        async move {
            read_body(client.get(url).send().await.unwrap(), 100)
                .await
                .unwrap()
        }
    };

    // NO_PROXY matching the domain: direct.
    assert_eq!(
        get(provider_client(&with(Some("example.test")), None).unwrap())
            .await
            .1,
        "fake api"
    );
    // A detection client ignores the proxy entirely.
    assert_eq!(
        get(detect_client(&with(None), Family::V4, None).unwrap())
            .await
            .1,
        "fake api"
    );
    assert!(
        proxy.requested.lock().unwrap().is_empty(),
        "{:?}",
        proxy.requested
    );

    // Control: the same provider request without NO_PROXY does use the proxy.
    assert_eq!(
        get(provider_client(&with(Some("other.test")), None).unwrap())
            .await
            .1,
        "fake api"
    );
    assert_eq!(
        *proxy.requested.lock().unwrap(),
        vec![format!("CONNECT {target}")]
    );
}

#[tokio::test]
async fn plain_http_uses_http_proxy_in_absolute_form() {
    let proxy = fakes::ConnectProxy::start(Default::default()).await;
    let opts = HttpOptions {
        proxy: ProxyEnv {
            http: Some(format!("127.0.0.1:{}", proxy.addr.port())),
            ..Default::default()
        },
        ..Default::default()
    };
    let client = provider_client(&opts, None).unwrap();
    // The fake proxy refuses non-CONNECT requests with 403; what matters is that it was asked.
    let resp = client
        .get("http://api.example.test/path")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        *proxy.requested.lock().unwrap(),
        vec!["GET http://api.example.test/path".to_string()]
    );
}

#[tokio::test]
async fn unusable_proxy_value_is_a_build_error_without_the_password() {
    let opts = HttpOptions {
        proxy: ProxyEnv {
            https: Some("socks5://user:hunter2@127.0.0.1:1080".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let err = provider_client(&opts, None).unwrap_err().to_string();
    assert!(
        err.contains("HTTPS_PROXY") && !err.contains("hunter2"),
        "{err}"
    );
    // Detection clients do not care about proxy settings.
    assert!(detect_client(&opts, Family::V4, None).is_ok());
}
