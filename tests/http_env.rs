//! Clients never read proxy variables on their own: only the `ProxyEnv` they are given counts.
//! This file holds a single test because it changes the process environment.

mod fakes;
mod http_common;

use axum::Router;
use axum::routing::get;
use ddns_rs::detect::Family;
use ddns_rs::http::{DnsServer, HttpOptions, ProxyEnv, detect_client, provider_client, read_body};
use http_common::{FakeDns, Zone};

#[test]
fn environment_proxies_are_ignored_unless_passed_in() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (proxy, api) = rt.block_on(async {
        let api = fakes::serve_http(Router::new().route("/", get(|| async { "direct" }))).await;
        let proxy = fakes::ConnectProxy::start(Default::default()).await;
        (proxy, api)
    });
    let proxy_url = format!("http://127.0.0.1:{}", proxy.addr.port());
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        // SAFETY: this test binary runs this one test; the runtime's threads only serve sockets
        // and do not read the environment.
        unsafe { std::env::set_var(var, &proxy_url) };
    }
    unsafe { std::env::remove_var("NO_PROXY") };
    unsafe { std::env::remove_var("no_proxy") };

    let from_env = ProxyEnv::from_env();
    assert_eq!(from_env.http.as_deref(), Some(proxy_url.as_str()));
    assert_eq!(from_env.https.as_deref(), Some(proxy_url.as_str()));

    rt.block_on(async {
        let dns = FakeDns::start(Zone::default().with("api.example.test.", &["127.0.0.1"])).await;
        let opts = HttpOptions {
            dns: Some(DnsServer {
                addr: dns.addr,
                tcp: false,
            }),
            ..Default::default()
        };
        let url = format!("http://api.example.test:{}/", api.port());
        for client in [
            provider_client(&opts, None).unwrap(),
            detect_client(&opts, Family::V4, None).unwrap(),
        ] {
            let resp = client.get(&url).send().await.unwrap();
            assert_eq!(read_body(resp, 100).await.unwrap().1, "direct");
        }
        assert!(
            proxy.requested.lock().unwrap().is_empty(),
            "{:?}",
            proxy.requested
        );

        // Passed in explicitly, the same settings are used by the provider client.
        let opts = HttpOptions {
            proxy: from_env,
            ..opts
        };
        let resp = provider_client(&opts, None)
            .unwrap()
            .get(&url)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
        assert_eq!(proxy.requested.lock().unwrap().len(), 1);
    });
}
