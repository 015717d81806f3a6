//! Checks the fake-server infrastructure itself: TLS serving and the CONNECT proxy.
mod fakes;

#[tokio::test]
async fn proxy_tunnels_only_registered_hosts() {
    let router = axum::Router::new().route("/hello", axum::routing::get(|| async { "hi" }));
    let tls = fakes::serve_tls(router, &["api.example.test"]).await;
    let proxy = fakes::ConnectProxy::start(fakes::routes(&[("api.example.test:443", tls)])).await;
    // Raw CONNECT to an unregistered host is refused.
    let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(b"CONNECT other.test:443 HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 64];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("403"));
    assert_eq!(proxy.requested.lock().unwrap()[0], "CONNECT other.test:443");
}
