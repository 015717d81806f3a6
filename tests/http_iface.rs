//! `httpinterface` binding: a missing interface falls back to the default route with a
//! warning; in a private network namespace (two veth ends), a bound client leaves from the
//! interface's address and cannot reach an address of another interface.

use std::io::Write;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use ddns_rs::detect::Family;
use ddns_rs::http::{HttpOptions, detect_client, provider_client, read_body};
use tokio::net::TcpListener;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Serves the peer's address (IPv4-mapped shown as IPv4) on a dual-stack [::] socket.
async fn peer_server() -> u16 {
    let listener = TcpListener::bind("[::]:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app =
        Router::new().fallback(get(
            |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                peer.ip().to_canonical().to_string()
            },
        ));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    port
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let resp = client.get(url).send().await.map_err(|e| format!("{e:?}"))?;
    Ok(read_body(resp, 100).await.map_err(|e| e.to_string())?.1)
}

#[tokio::test]
async fn missing_interface_warns_and_uses_the_default_route() {
    let log = Captured::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .finish();
    let (provider, detect) = tracing::subscriber::with_default(subscriber, || {
        let o = HttpOptions::default();
        (
            provider_client(&o, Some("ddnsrs-nope0")).unwrap(),
            detect_client(&o, Family::V4, Some("ddnsrs-nope0")).unwrap(),
        )
    });
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let line =
        "cannot bind to interface ddnsrs-nope0: no such network interface; using the default route";
    assert_eq!(text.matches(line).count(), 2, "{text}");
    assert!(text.contains("WARN"), "{text}");
    let port = peer_server().await;
    assert_eq!(
        fetch(&provider, &format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap(),
        "127.0.0.1"
    );
    assert_eq!(
        fetch(&detect, &format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap(),
        "127.0.0.1"
    );
}

const NETNS_TEST: &str = "binds_to_an_interface_in_a_network_namespace";

fn sh(cmd: &str) {
    let ok = Command::new("sh")
        .args(["-c", cmd])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "setup command failed: {cmd}");
}

#[test]
fn binds_to_an_interface_in_a_network_namespace() {
    if std::env::var("DDNS_RS_IN_NETNS").is_err() {
        if std::env::var("DDNS_RS_SKIP_NETNS").as_deref() == Ok("1") {
            eprintln!("network-namespace test skipped because DDNS_RS_SKIP_NETNS=1");
            return;
        }
        // Re-run just this test inside a fresh network namespace (needs root and unshare).
        let exe = std::env::current_exe().unwrap();
        let status = Command::new("unshare")
            .args(["-n", "--"])
            .arg(exe)
            .args(["--exact", NETNS_TEST, "--nocapture", "--test-threads=1"])
            .env("DDNS_RS_IN_NETNS", "1")
            .status()
            .expect("cannot run unshare; install util-linux or set DDNS_RS_SKIP_NETNS=1");
        assert!(
            status.success(),
            "the namespaced run failed (needs root; DDNS_RS_SKIP_NETNS=1 skips)"
        );
        return;
    }
    sh("ip link set lo up && ip link add ddv0 type veth peer name ddv1");
    sh("ip addr add 192.0.2.10/24 dev ddv0 && ip -6 addr add 2001:db8::10/64 dev ddv0 nodad");
    sh("ip addr add 198.51.100.10/24 dev ddv1 && ip -6 addr add 2001:db8:1::10/64 dev ddv1 nodad");
    sh("ip link set ddv0 up && ip link set ddv1 up");
    // An interface that exists but has no global address.
    sh("ip link add ddv2 type veth peer name ddv3 && ip link set ddv2 up");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let port = peer_server().await;
        let o = HttpOptions::default();
        let url = |host: &str| format!("http://{host}:{port}/");

        // Provider: first global address of either family, and the device itself.
        let p1 = provider_client(&o, Some("ddv1")).unwrap();
        assert_eq!(fetch(&p1, &url("198.51.100.10")).await.unwrap(), "198.51.100.10");
        assert!(fetch(&p1, &url("192.0.2.10")).await.is_err(), "SO_BINDTODEVICE was not applied");

        // Detection: the address of the client's family on that interface.
        let v4 = detect_client(&o, Family::V4, Some("ddv0")).unwrap();
        assert_eq!(fetch(&v4, &url("192.0.2.10")).await.unwrap(), "192.0.2.10");
        let v6 = detect_client(&o, Family::V6, Some("ddv1")).unwrap();
        assert_eq!(fetch(&v6, &url("[2001:db8:1::10]")).await.unwrap(), "2001:db8:1::10");
        assert!(fetch(&v6, &url("[2001:db8::10]")).await.is_err(), "SO_BINDTODEVICE was not applied");

        // No usable address: unbound client, so any local address is reachable.
        let log = Captured::default();
        let sink = log.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || sink.clone()).finish();
        let unbound = tracing::subscriber::with_default(subscriber, || detect_client(&o, Family::V6, Some("ddv2")).unwrap());
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("cannot bind to interface ddv2: the interface has no IPv6 address; using the default route"), "{text}");
        assert_eq!(fetch(&unbound, &url("[2001:db8::10]")).await.unwrap(), "2001:db8::10");
    });
}
