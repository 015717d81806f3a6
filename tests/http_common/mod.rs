//! Test kit for the `http` module's integration tests: a fake DNS server (UDP and TCP on the
//! same loopback port, answers built with hickory-proto), an HTTP server that reports the peer
//! address it saw, on 127.0.0.1 and [::1] at the same port, and the IPv6-loopback check.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// Fails loudly when ::1 is unusable, unless DDNS_RS_SKIP_IPV6=1 (then returns false).
pub fn ipv6_loopback() -> bool {
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        return true;
    }
    if std::env::var("DDNS_RS_SKIP_IPV6").as_deref() == Ok("1") {
        eprintln!("IPv6 loopback unavailable; skipped because DDNS_RS_SKIP_IPV6=1");
        return false;
    }
    panic!("IPv6 loopback (::1) is unavailable; enable it or set DDNS_RS_SKIP_IPV6=1");
}

/// One query the fake DNS server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsQuery {
    /// "udp" or "tcp".
    pub proto: &'static str,
    /// Queried name, lower-case, with the trailing dot.
    pub name: String,
    /// Queried type.
    pub rtype: RecordType,
}

/// What the fake DNS server knows and how it misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    /// Addresses per name (`"fake.test."`).
    pub addrs: HashMap<String, Vec<IpAddr>>,
    /// CNAMEs (`"alias.test."` → `"fake.test."`), put in the same answer as the target's records.
    pub cnames: HashMap<String, String>,
    /// Answer every UDP query with an empty, truncated reply.
    pub truncate_udp: bool,
}

impl Zone {
    /// A zone with `name` → `addrs`.
    pub fn with(mut self, name: &str, addrs: &[&str]) -> Zone {
        self.addrs.insert(
            name.to_string(),
            addrs.iter().map(|a| a.parse().unwrap()).collect(),
        );
        self
    }
}

/// A fake DNS server on 127.0.0.1.
pub struct FakeDns {
    /// UDP and TCP address.
    pub addr: SocketAddr,
    /// Every query, in arrival order.
    pub seen: Arc<Mutex<Vec<DnsQuery>>>,
}

fn answer(
    zone: &Zone,
    query: &[u8],
    proto: &'static str,
    seen: &Mutex<Vec<DnsQuery>>,
) -> Option<Vec<u8>> {
    let req = Message::from_vec(query).ok()?;
    let q = req.queries.first()?.clone();
    let qname = q.name().to_ascii().to_ascii_lowercase();
    seen.lock().unwrap().push(DnsQuery {
        proto,
        name: qname.clone(),
        rtype: q.query_type(),
    });
    let mut resp = Message::new(req.metadata.id, MessageType::Response, OpCode::Query);
    resp.metadata.recursion_desired = req.metadata.recursion_desired;
    resp.metadata.recursion_available = true;
    resp.add_query(q.clone());
    if proto == "udp" && zone.truncate_udp {
        resp.metadata.truncation = true;
        return resp.to_vec().ok();
    }
    let mut name = qname.clone();
    if let Some(target) = zone.cnames.get(&name) {
        resp.add_answer(Record::from_rdata(
            Name::from_ascii(&name).unwrap(),
            60,
            RData::CNAME(CNAME(Name::from_ascii(target).unwrap())),
        ));
        name = target.clone();
    }
    match zone.addrs.get(&name) {
        None => resp.metadata.response_code = ResponseCode::NXDomain,
        Some(list) => {
            for ip in list {
                let data = match (ip, q.query_type()) {
                    (IpAddr::V4(v4), RecordType::A) => RData::A(A(*v4)),
                    (IpAddr::V6(v6), RecordType::AAAA) => RData::AAAA(AAAA(*v6)),
                    _ => continue,
                };
                resp.add_answer(Record::from_rdata(
                    Name::from_ascii(&name).unwrap(),
                    60,
                    data,
                ));
            }
        }
    }
    resp.to_vec().ok()
}

impl FakeDns {
    /// Starts the server with `zone`.
    pub async fn start(zone: Zone) -> FakeDns {
        // UDP and TCP must share the port: retry until a free one fits both.
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            if let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()).await {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let zone = Arc::new(zone);
        let (z, s) = (zone.clone(), seen.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, from)) = udp.recv_from(&mut buf).await else {
                    continue;
                };
                if let Some(out) = answer(&z, &buf[..n], "udp", &s) {
                    let _ = udp.send_to(&out, from).await;
                }
            }
        });
        let (z, s) = (zone, seen.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = tcp.accept().await else {
                    continue;
                };
                let (z, s) = (z.clone(), s.clone());
                tokio::spawn(async move {
                    let Ok(len) = conn.read_u16().await else {
                        return;
                    };
                    let mut msg = vec![0u8; usize::from(len)];
                    if conn.read_exact(&mut msg).await.is_err() {
                        return;
                    }
                    if let Some(out) = answer(&z, &msg, "tcp", &s) {
                        let mut framed = (out.len() as u16).to_be_bytes().to_vec();
                        framed.extend_from_slice(&out);
                        let _ = conn.write_all(&framed).await;
                    }
                });
            }
        });
        FakeDns { addr, seen }
    }

    /// The queries seen so far.
    pub fn queries(&self) -> Vec<DnsQuery> {
        self.seen.lock().unwrap().clone()
    }
}

/// A router answering every GET with the peer address it saw (`ip` only).
pub fn peer_router() -> Router {
    Router::new().fallback(get(
        |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() },
    ))
}

/// Serves [`peer_router`] on 127.0.0.1 and, when `v6`, on [::1] at the same port; returns the port.
pub async fn serve_peer_reporter(v6: bool) -> u16 {
    let (v4l, v6l) = loop {
        let v4l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        if !v6 {
            break (v4l, None);
        }
        let port = v4l.local_addr().unwrap().port();
        if let Ok(l) = TcpListener::bind(("::1", port)).await {
            break (v4l, Some(l));
        }
    };
    let port = v4l.local_addr().unwrap().port();
    for l in std::iter::once(v4l).chain(v6l) {
        tokio::spawn(async move {
            axum::serve(
                l,
                peer_router().into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
    }
    port
}
