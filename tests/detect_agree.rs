//! STUN and DNS-whoami detection against servers this test runs on 127.0.0.1, and agreement
//! between sources through `detect::detect` with config keys `sources`/`agree`. The public
//! default servers are never contacted: every source names a local server.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::rdata::{A, AAAA, TXT};
use hickory_proto::rr::{DNSClass, RData, Record, RecordType};
use tokio::net::UdpSocket;

use ddns_rs::config::IpConf;
use ddns_rs::detect::whoami::{self, Whoami};
use ddns_rs::detect::{DetectCtx, Family, detect, stun};

const T: Duration = Duration::from_secs(5);

/// A UDP server on 127.0.0.1: `answer(request, from)` gives the replies to send (none = stay
/// silent). Counts the requests it gets.
async fn udp_server<F>(answer: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(&[u8], SocketAddr) -> Vec<Vec<u8>> + Send + 'static,
{
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 1500];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                return;
            };
            seen.fetch_add(1, Ordering::SeqCst);
            for reply in answer(&buf[..n], from) {
                let _ = socket.send_to(&reply, from).await;
            }
        }
    });
    (addr, count)
}

/// A Binding success response to `request` mapping to `mapped`, encoded here independently of
/// the crate (XOR with the cookie, and with the transaction id for IPv6).
fn stun_response(request: &[u8], mapped: SocketAddr, txid_override: Option<[u8; 12]>) -> Vec<u8> {
    let cookie = 0x2112_A442u32.to_be_bytes();
    let txid: [u8; 12] = txid_override.unwrap_or_else(|| request[8..20].try_into().unwrap());
    let mut key = cookie.to_vec();
    key.extend_from_slice(&txid);
    let port = mapped.port() ^ 0x2112;
    let (family, ip): (u8, Vec<u8>) = match mapped.ip() {
        IpAddr::V4(v4) => (1, v4.octets().to_vec()),
        IpAddr::V6(v6) => (2, v6.octets().to_vec()),
    };
    let mut value = vec![0, family];
    value.extend_from_slice(&port.to_be_bytes());
    value.extend(ip.iter().zip(&key).map(|(b, k)| b ^ k));
    let mut attrs = vec![0x00, 0x20];
    attrs.extend_from_slice(&(value.len() as u16).to_be_bytes());
    attrs.extend(value);
    let mut m = vec![0x01, 0x01];
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(&cookie);
    m.extend_from_slice(&txid);
    m.extend(attrs);
    m
}

/// A STUN server that reports `mapped`, or the client's real address when None.
async fn stun_server(mapped: Option<&str>) -> (SocketAddr, Arc<AtomicUsize>) {
    let mapped: Option<SocketAddr> = mapped.map(|ip| SocketAddr::new(ip.parse().unwrap(), 4242));
    udp_server(move |req, from| vec![stun_response(req, mapped.unwrap_or(from), None)]).await
}

/// A whoami DNS server: answers A/AAAA in class IN, TXT in IN or CH, with `ip` (or the
/// client's address when None), always echoing the question.
async fn dns_server(ip: Option<&str>) -> (SocketAddr, Arc<AtomicUsize>) {
    let fixed: Option<IpAddr> = ip.map(|s| s.parse().unwrap());
    udp_server(move |req, from| {
        let q = Message::from_vec(req).unwrap();
        let question = q.queries[0].clone();
        let ip = fixed.unwrap_or(from.ip());
        let mut m = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
        m.add_query(question.clone());
        let data = match (question.query_type(), ip) {
            (RecordType::A, IpAddr::V4(v4)) => Some(RData::A(A(v4))),
            (RecordType::AAAA, IpAddr::V6(v6)) => Some(RData::AAAA(AAAA(v6))),
            (RecordType::TXT, ip) => Some(RData::TXT(TXT::new(vec![ip.to_string()]))),
            _ => None,
        };
        if let Some(data) = data {
            let mut r = Record::from_rdata(question.name().clone(), 0, data);
            r.dns_class = question.query_class();
            m.add_answer(r);
        }
        vec![m.to_vec().unwrap()]
    })
    .await
}

#[tokio::test]
async fn stun_query_reads_the_mapped_address() {
    let (server, _) = stun_server(None).await;
    let got = stun::query(server, T).await.unwrap();
    assert_eq!(got, "127.0.0.1".parse::<IpAddr>().unwrap());
}

#[tokio::test]
async fn stun_query_ignores_a_reply_for_another_transaction() {
    // First a forged reply (wrong transaction id, claiming 1.2.3.4), then the real one.
    let (server, _) = udp_server(|req, from| {
        let forged = stun_response(req, "1.2.3.4:1".parse().unwrap(), Some([7; 12]));
        vec![forged, stun_response(req, from, None)]
    })
    .await;
    let got = stun::query(server, T).await.unwrap();
    assert_eq!(got, "127.0.0.1".parse::<IpAddr>().unwrap());
}

#[tokio::test]
async fn stun_query_times_out_on_a_silent_server() {
    let (server, count) = udp_server(|_, _| vec![]).await;
    let err = stun::query(server, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no answer"), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn whoami_each_service_against_a_local_server() {
    let (server, count) = dns_server(None).await;
    for service in [Whoami::OpenDns, Whoami::Google, Whoami::Cloudflare] {
        let got = whoami::ask(service, server, Family::V4, T).await.unwrap();
        assert_eq!(got, "127.0.0.1".parse::<IpAddr>().unwrap(), "{service:?}");
    }
    assert_eq!(count.load(Ordering::SeqCst), 3);
    // IPv6 over ::1 reads AAAA (OpenDNS) and TXT (Cloudflare, class CH).
    if let Ok(socket) = UdpSocket::bind("[::1]:0").await {
        drop(socket);
        let v6 = udp_server_v6().await;
        for service in [Whoami::OpenDns, Whoami::Cloudflare] {
            let got = whoami::ask(service, v6, Family::V6, T).await.unwrap();
            assert_eq!(got, "::1".parse::<IpAddr>().unwrap(), "{service:?}");
        }
    }
}

/// The whoami server on ::1.
async fn udp_server_v6() -> SocketAddr {
    let socket = UdpSocket::bind("[::1]:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 1500];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let q = Message::from_vec(&buf[..n]).unwrap();
            let question = q.queries[0].clone();
            let mut m = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
            m.add_query(question.clone());
            let IpAddr::V6(ip) = from.ip() else { continue };
            let data = match question.query_type() {
                RecordType::AAAA => RData::AAAA(AAAA(ip)),
                _ => RData::TXT(TXT::new(vec![ip.to_string()])),
            };
            let mut r = Record::from_rdata(question.name().clone(), 0, data);
            r.dns_class = if question.query_class() == DNSClass::CH {
                DNSClass::CH
            } else {
                DNSClass::IN
            };
            m.add_answer(r);
            let _ = socket.send_to(&m.to_vec().unwrap(), from).await;
        }
    });
    addr
}

fn conf(sources: &[String], agree: &str) -> IpConf {
    IpConf {
        enable: true,
        // Ignored when `sources` is set; an echo URL that would fail if it were used.
        gettype: "url".into(),
        url: "http://127.0.0.1:9/".into(),
        sources: sources.to_vec(),
        agree: agree.into(),
        ..IpConf::default()
    }
}

const PUBLIC: &str = "8.8.4.4";
const OTHER: &str = "9.9.9.9";

#[tokio::test]
async fn sources_that_agree_are_published() {
    let (g, _) = dns_server(Some(PUBLIC)).await;
    let (c, _) = dns_server(Some(PUBLIC)).await;
    let (s, _) = stun_server(Some(PUBLIC)).await;
    let sources = [
        format!("dns:google@{g}"),
        format!("dns:cloudflare@{c}"),
        format!("stun:{s}"),
    ];
    let got = detect(&conf(&sources, "3"), Family::V4, &DetectCtx::default())
        .await
        .unwrap();
    assert_eq!(got, PUBLIC.parse::<IpAddr>().unwrap());
}

#[tokio::test]
async fn disagreement_publishes_nothing_and_names_every_answer() {
    let (g, _) = dns_server(Some(PUBLIC)).await;
    let (s, _) = stun_server(Some(OTHER)).await;
    let sources = [format!("dns:google@{g}"), format!("stun:{s}")];
    let err = detect(&conf(&sources, ""), Family::V4, &DetectCtx::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("disagree"), "{err}");
    assert!(err.contains(PUBLIC) && err.contains(OTHER), "{err}");
}

#[tokio::test]
async fn a_private_answer_is_not_a_vote() {
    let (g, _) = dns_server(Some(PUBLIC)).await;
    // Both others answer a private address: only one valid vote, agree 2 fails.
    let (c, _) = dns_server(Some("192.168.1.10")).await;
    let (s, _) = stun_server(Some("192.168.1.10")).await;
    let sources = [
        format!("dns:google@{g}"),
        format!("dns:cloudflare@{c}"),
        format!("stun:{s}"),
    ];
    let err = detect(&conf(&sources, "2"), Family::V4, &DetectCtx::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("private"), "{err}");
}

#[tokio::test]
async fn a_lying_source_is_outvoted_then_skipped() {
    let (g, g_count) = dns_server(Some(PUBLIC)).await;
    let (o, o_count) = dns_server(Some(PUBLIC)).await;
    let (liar, liar_count) = stun_server(Some(OTHER)).await;
    let sources = [
        format!("dns:google@{g}"),
        format!("dns:opendns@{o}"),
        format!("stun:{liar}"),
    ];
    let ctx = DetectCtx::default();
    let c = conf(&sources, "2");
    for _ in 0..2 {
        let got = detect(&c, Family::V4, &ctx).await.unwrap();
        assert_eq!(got, PUBLIC.parse::<IpAddr>().unwrap());
    }
    assert_eq!(g_count.load(Ordering::SeqCst), 2);
    assert_eq!(o_count.load(Ordering::SeqCst), 2);
    assert_eq!(
        liar_count.load(Ordering::SeqCst),
        1,
        "the liar is in back-off after its first wrong answer"
    );
    // A fresh engine state (another entry) asks it again.
    detect(&c, Family::V4, &DetectCtx::default()).await.unwrap();
    assert_eq!(liar_count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_bad_source_key_is_a_config_error_before_any_query() {
    let err = detect(
        &conf(&["dns:quad9".into(), "dns:google@127.0.0.1:1".into()], ""),
        Family::V4,
        &DetectCtx::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("dns:opendns, dns:google or dns:cloudflare"),
        "{err}"
    );
}
