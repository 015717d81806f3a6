//! Fault injection for the RFC 2136 family through the real engine, against a fake UDP DNS
//! server: a server that never answers (the provider's own UDP timeout), and one that answers
//! every query with an unsigned SERVFAIL. Each run fails with a clear status, sends a bounded
//! number of datagrams, is retried on the next run and backed off after the second failure;
//! a second (Cloudflare) entry is updated regardless.

mod fakes;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ddns_rs::sync::status::Outcome;
use fakes::rfc2136_rig::Rig;

/// How the fake server treats a query.
#[derive(Clone, Copy)]
enum Mode {
    Silent,
    ServFail,
}

/// Starts the fake; returns its address and the datagram counter.
async fn udp_server(mode: Mode) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((len, peer)) = sock.recv_from(&mut buf).await else {
                continue;
            };
            n2.fetch_add(1, Ordering::SeqCst);
            if let (Mode::ServFail, true) = (mode, len >= 12) {
                // Header only: same id and opcode, QR set, RCODE 2, no sections, no TSIG.
                let mut h = buf[..12].to_vec();
                h[2] = 0x80 | (buf[2] & 0x78);
                h[3] = 0x02;
                h[4..12].fill(0);
                let _ = sock.send_to(&h, peer).await;
            }
        }
    });
    (addr, n)
}

async fn run_case(mode: Mode, expect: &str) {
    let (log, _g) = fakes::capture::capture();
    let (dns, count) = udp_server(mode).await;
    let secret = "hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=";
    let mut rig = Rig::new(dns, "www.example.com", "ddns-key", secret, "9.9.9.9").await;
    let r = rig.engine.run_once().await;
    assert_eq!((r.failed, r.updated), (1, 1), "{r:?}");
    let st = rig.under();
    assert_eq!(st.outcome, Outcome::Failed);
    let err = st.error.unwrap_or_default();
    assert!(err.contains(expect), "{err}");
    assert!(
        log.text()
            .contains("Failed to update A record of www.example.com")
    );
    assert!(!log.text().contains("c2VjcmV0"), "TSIG secret in the log");
    assert!(rig.healthy_holds("9.9.9.9"));
    let n1 = count.load(Ordering::SeqCst);
    // One exchange (the lookup), at most three UDP tries: nothing is written after it failed.
    assert!((1..=3).contains(&n1), "{n1} datagrams");
    rig.engine.run_once().await;
    let n2 = count.load(Ordering::SeqCst);
    assert!(n2 > n1, "not retried on the next run");
    rig.engine.run_once().await;
    assert_eq!(
        count.load(Ordering::SeqCst),
        n2,
        "no backoff after two failed runs"
    );
}

#[tokio::test]
async fn dns_server_never_answers() {
    run_case(Mode::Silent, "did not answer").await;
}

#[tokio::test]
async fn dns_server_answers_servfail() {
    run_case(Mode::ServFail, "SERVFAIL").await;
}
