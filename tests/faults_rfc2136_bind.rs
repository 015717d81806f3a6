//! Fault injection for the RFC 2136 family against a real BIND 9 (`named`, started by the test
//! on a high port), through the real engine with a healthy Cloudflare entry beside it:
//!
//! * BIND stopped between runs: the run fails with a clear transport error, nothing is
//!   published, the next run retries and, once BIND is back, the record is fixed;
//! * an update the zone's `update-policy` does not allow the key (REFUSED);
//! * a wrong key secret (BADSIG);
//! * a zone BIND does not serve (REFUSED on the lookup; NOTAUTH for an UPDATE sent anyway);
//! * clock skew (BADTIME): the provider takes the time from the system clock and has no
//!   override, so the request is built with the provider's own message and signer and a clock
//!   an hour off, and the answer read with the provider's verifier;
//! * a truncated UDP answer (an RRset of 60 records): the engine's run goes over TCP and
//!   replaces the whole RRset.
//!
//! In every failing case: a failed status naming the cause, an error log line, no record
//! changed, no secret in the status or the log, and the healthy entry updated.

mod fakes;
mod servers;

use std::net::{IpAddr, SocketAddr};

use ddns_rs::provider::sign::tsig::{self, VerifyError};
use ddns_rs::provider::{ProviderError, rfc2136};
use ddns_rs::sync::status::Outcome;
use fakes::rfc2136_rig::Rig;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RecordType as Wire};
use servers::{Bind, secret_of};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// One failing run: a failed status whose text has one of `texts`, the error log line, the
/// healthy entry updated to `addr`, and neither the secret nor its base64 in status or log.
async fn fails_cleanly(rig: &mut Rig, log: &fakes::capture::Captured, texts: &[&str], addr: &str) {
    let r = rig.engine.run_once().await;
    assert_eq!(r.failed, 1, "{r:?}");
    let st = rig.under();
    assert_eq!(st.outcome, Outcome::Failed);
    let err = st.error.clone().unwrap_or_default();
    eprintln!("status error: {err}");
    assert!(
        texts.iter().any(|t| err.contains(t)),
        "status error {err:?} should name one of {texts:?}"
    );
    assert!(
        log.text().contains("Failed to update A record"),
        "no error log line:\n{}",
        log.text()
    );
    assert!(rig.healthy_holds(addr), "healthy entry not updated");
    for (_, _, b64) in servers::KEYS {
        assert!(!log.text().contains(b64), "a TSIG secret in the log");
        assert!(!err.contains(b64), "a TSIG secret in the status");
    }
}

#[tokio::test]
async fn bind_stopped_between_runs_then_back() {
    let Some(mut bind) = Bind::start().await else {
        return;
    };
    let (log, _g) = fakes::capture::capture();
    let mut rig = Rig::new(
        bind.addr,
        "www:example.test",
        "key-sha256",
        &secret_of("key-sha256"),
        "9.9.9.7",
    )
    .await;
    let r = rig.engine.run_once().await;
    assert_eq!((r.updated, r.failed), (2, 0), "{r:?}");
    let www = |b: SocketAddr| servers::query(b, "www.example.test", Wire::A);
    assert_eq!(www(bind.addr).await.1, vec![ip("9.9.9.7")]);

    // The address changes while BIND is down.
    rig.set_addr("9.9.9.8");
    bind.stop();
    fails_cleanly(
        &mut rig,
        &log,
        &["did not answer", "refused", "Connection"],
        "9.9.9.8",
    )
    .await;
    assert_ne!(
        rig.under().published.as_deref(),
        Some("9.9.9.8"),
        "the failed record is shown as published"
    );

    // BIND is back (with its journal): the next run retries and fixes the record.
    bind.restart().await;
    assert_eq!(
        www(bind.addr).await.1,
        vec![ip("9.9.9.7")],
        "the earlier update survived the restart"
    );
    let r = rig.engine.run_once().await;
    assert_eq!(r.failed, 0, "not retried after BIND came back: {r:?}");
    assert_eq!(rig.under().outcome, Outcome::Updated);
    assert_eq!(www(bind.addr).await.1, vec![ip("9.9.9.8")]);
}

#[tokio::test]
async fn update_policy_refuses_the_key() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let (log, _g) = fakes::capture::capture();
    let serial = servers::serial(bind.addr, "policy.test").await;
    // key-sha256 may change www.policy.test only.
    let mut rig = Rig::new(
        bind.addr,
        "mail:policy.test",
        "key-sha256",
        &secret_of("key-sha256"),
        "9.9.9.9",
    )
    .await;
    fails_cleanly(&mut rig, &log, &["REFUSED"], "9.9.9.9").await;
    let err = rig.under().error.unwrap_or_default();
    assert!(err.contains("update-policy"), "no hint what to fix: {err}");
    let denied = |b: &Bind| b.log().matches("REFUSED").count();
    let first = denied(&bind);
    assert!(first >= 1, "BIND did not refuse:\n{}", bind.log());
    // Retried on the next run (refused again), never written.
    let r = rig.engine.run_once().await;
    assert_eq!(r.failed, 1, "{r:?}");
    assert!(denied(&bind) > first, "not retried on the next run");
    assert!(
        servers::query(bind.addr, "mail.policy.test", Wire::A)
            .await
            .1
            .is_empty()
    );
    assert_eq!(servers::serial(bind.addr, "policy.test").await, serial);
    assert_eq!(bind.updates_approved(), 0);
}

#[tokio::test]
async fn wrong_secret_is_badsig_and_changes_nothing() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let (log, _g) = fakes::capture::capture();
    let serial = servers::serial(bind.addr, "example.test").await;
    let wrong = "hmac-sha256:d3Jvbmcgc2VjcmV0IGZvciB0aGUgZmF1bHQgdGVzdA==";
    let mut rig = Rig::new(
        bind.addr,
        "old:example.test",
        "key-sha256",
        wrong,
        "9.9.9.10",
    )
    .await;
    fails_cleanly(&mut rig, &log, &["BADSIG"], "9.9.9.10").await;
    assert!(
        !log.text().contains("d3Jvbmcgc2VjcmV0"),
        "the wrong secret in the log"
    );
    assert_eq!(
        servers::query(bind.addr, "old.example.test", Wire::A)
            .await
            .1,
        vec![ip("192.0.2.1")]
    );
    assert_eq!(servers::serial(bind.addr, "example.test").await, serial);
    assert_eq!(bind.updates_approved(), 0);
}

#[tokio::test]
async fn zone_not_served_is_refused_and_an_update_notauth() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let (log, _g) = fakes::capture::capture();
    let mut rig = Rig::new(
        bind.addr,
        "www:nowhere.test",
        "key-sha256",
        &secret_of("key-sha256"),
        "9.9.9.11",
    )
    .await;
    fails_cleanly(&mut rig, &log, &["nowhere.test"], "9.9.9.11").await;
    assert_eq!(bind.updates_approved(), 0);

    // The engine stops at the lookup; an UPDATE sent anyway (signed as the provider signs it)
    // gets NOTAUTH, which the provider's classifier explains.
    let key = tsig::Key::parse("key-sha256", &secret_of("key-sha256")).unwrap();
    let zone = Name::from_ascii("nowhere.test.").unwrap();
    let name = Name::from_ascii("www.nowhere.test.").unwrap();
    let msg = rfc2136::update_message(7001, &zone, &name, 300, ip("9.9.9.11"));
    let (signed, _) = tsig::sign(&msg.to_vec().unwrap(), &key, unix_now()).unwrap();
    let answer = Message::from_vec(&exchange(bind.addr, &signed).await).unwrap();
    assert_eq!(answer.metadata.response_code, ResponseCode::NotAuth);
    let e = rfc2136::classify(true, answer.metadata.response_code, "nowhere.test");
    assert!(
        matches!(&e, ProviderError::ZoneNotFound(m) if m.contains("NOTAUTH")),
        "{e}"
    );
}

#[tokio::test]
async fn clock_an_hour_off_is_badtime() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let serial = servers::serial(bind.addr, "example.test").await;
    let key = tsig::Key::parse("key-sha256", &secret_of("key-sha256")).unwrap();
    let zone = Name::from_ascii("example.test.").unwrap();
    let name = Name::from_ascii("old.example.test.").unwrap();
    let skewed = unix_now() - 3600;
    let msg = rfc2136::update_message(7002, &zone, &name, 300, ip("9.9.9.12"));
    let (signed, mac) = tsig::sign(&msg.to_vec().unwrap(), &key, skewed).unwrap();
    let raw = exchange(bind.addr, &signed).await;
    let answer = Message::from_vec(&raw).unwrap();
    assert_eq!(answer.metadata.response_code, ResponseCode::NotAuth);
    // The provider's verifier, with the same (wrong) clock the request was signed with.
    match tsig::verify_response(&raw, &key, &mac, skewed) {
        Err(VerifyError::Server(18)) => {}
        other => panic!("expected BADTIME, got {other:?}"),
    }
    assert_eq!(
        servers::query(bind.addr, "old.example.test", Wire::A)
            .await
            .1,
        vec![ip("192.0.2.1")]
    );
    assert_eq!(servers::serial(bind.addr, "example.test").await, serial);
}

#[tokio::test]
async fn truncated_answer_goes_over_tcp_in_a_run() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let mut rig = Rig::new(
        bind.addr,
        "many:example.test",
        "key-sha256",
        &secret_of("key-sha256"),
        "9.9.9.13",
    )
    .await;
    let r = rig.engine.run_once().await;
    assert_eq!((r.updated, r.failed), (2, 0), "{r:?}");
    assert_eq!(
        servers::query(bind.addr, "many.example.test", Wire::A)
            .await
            .1,
        vec![ip("9.9.9.13")],
        "the 60-record RRset was not replaced"
    );
    // The next compare reads the one record and writes nothing.
    rig.engine.force_compare();
    let before = bind.updates_approved();
    let r = rig.engine.run_once().await;
    assert_eq!(r.failed, 0, "{r:?}");
    assert_eq!(
        bind.updates_approved(),
        before,
        "rewrote an unchanged record"
    );
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Sends `msg` over UDP and returns BIND's answer (resent a few times on a loaded machine).
async fn exchange(server: SocketAddr, msg: &[u8]) -> Vec<u8> {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.connect(server).await.unwrap();
    let mut buf = vec![0u8; 65535];
    for _ in 0..10 {
        sock.send(msg).await.unwrap();
        if let Ok(Ok(n)) =
            tokio::time::timeout(std::time::Duration::from_secs(1), sock.recv(&mut buf)).await
        {
            return buf[..n].to_vec();
        }
    }
    panic!("{server} did not answer");
}
