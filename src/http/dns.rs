//! Name resolution for the HTTP clients: the `-dns` flag, a small A/AAAA stub that asks that
//! server directly (UDP, TCP on truncation or `tcp://`), and a resolver that keeps only one
//! address family, which is how detection clients are forced onto IPv4 or IPv6.
//!
//! Message encoding and answer checking ([`encode_query`], [`decode_answer`]) are apart from
//! the sockets so they can be tested on bytes. Not here: caching (the daemon resolves a few
//! names every few minutes; a cache would only serve stale addresses).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use super::HttpError;
use crate::detect::Family;

/// Time allowed for one name lookup, both families and a TCP retry included.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest CNAME chain followed inside one answer.
const MAX_CNAME_HOPS: usize = 8;

/// A DNS server given with -dns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsServer {
    /// Address and port (53 by default).
    pub addr: SocketAddr,
    /// `tcp://` given: query over TCP.
    pub tcp: bool,
}

/// Parses the `-dns` value: `8.8.8.8`, `8.8.8.8:53`, `udp://1.1.1.1`, `tcp://1.1.1.1:53`,
/// `2001:4860:4860::8888`, `[2001:4860:4860::8888]:53`; the port defaults to 53.
pub fn parse_dns_flag(s: &str) -> Result<DnsServer, HttpError> {
    let bad = |why: &str| {
        HttpError(format!(
            "-dns {s:?}: {why}; expected e.g. 8.8.8.8, udp://1.1.1.1:53 or tcp://[2001:4860:4860::8888]:53"
        ))
    };
    let s = s.trim();
    let (tcp, rest) = match s.split_once("://") {
        None => (false, s),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("udp") => (false, rest),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("tcp") => (true, rest),
        Some(_) => return Err(bad("only udp:// and tcp:// are supported")),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let addr = if let Ok(ip) = rest.parse::<IpAddr>() {
        SocketAddr::new(ip, 53)
    } else if let Some(v6) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        SocketAddr::new(
            v6.parse::<Ipv6Addr>()
                .map_err(|_| bad("not an IP address"))?
                .into(),
            53,
        )
    } else {
        rest.parse::<SocketAddr>()
            .map_err(|_| bad("the server must be an IP address, optionally with a port"))?
    };
    if addr.port() == 0 {
        return Err(bad("port 0 is not a DNS port"));
    }
    Ok(DnsServer { addr, tcp })
}

/// Why a host name could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// The name cannot be put in a DNS query.
    #[error("{0:?} is not a valid host name")]
    BadName(String),
    /// The server said the name does not exist, or has no address of the asked type.
    #[error("{name} has no {rtype} record at DNS server {server}")]
    NoAddress {
        name: String,
        rtype: RecordType,
        server: SocketAddr,
    },
    /// The server answered with an error code.
    #[error("DNS server {server} answered {code} for {name}")]
    Refused {
        name: String,
        code: ResponseCode,
        server: SocketAddr,
    },
    /// The answer could not be used (garbled, wrong question, wrong id).
    #[error("bad answer from DNS server {server}: {why}")]
    BadAnswer { server: SocketAddr, why: String },
    /// Nothing came back in time.
    #[error("DNS server {0} did not answer within 5 s; check the -dns address")]
    Timeout(SocketAddr),
    /// The system resolver failed.
    #[error("cannot resolve {host}: {source}")]
    System {
        host: String,
        source: std::io::Error,
    },
    /// Addresses exist, but none of the family a detection client needs.
    #[error("{host} has no {family} address")]
    NoFamily { host: String, family: &'static str },
    /// Socket error talking to the server.
    #[error("cannot reach DNS server {server}: {source}")]
    Io {
        server: SocketAddr,
        source: std::io::Error,
    },
}

/// Encodes a recursive query for `name` / `rtype` with message id `id`.
pub fn encode_query(id: u16, name: &Name, rtype: RecordType) -> Result<Vec<u8>, DnsError> {
    let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(name.clone(), rtype));
    msg.to_vec().map_err(|_| DnsError::BadName(name.to_ascii()))
}

/// What one answer held.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The addresses of `rtype` for the name, CNAMEs followed (may be empty).
    Addrs(Vec<IpAddr>),
    /// The TC bit was set: ask again over TCP.
    Truncated,
}

/// Checks an answer against the query (`id`, question) and extracts the addresses.
pub fn decode_answer(
    bytes: &[u8],
    id: u16,
    name: &Name,
    rtype: RecordType,
    server: SocketAddr,
) -> Result<Answer, DnsError> {
    let bad = |why: &str| DnsError::BadAnswer {
        server,
        why: why.to_string(),
    };
    let msg = Message::from_vec(bytes).map_err(|e| bad(&format!("cannot decode: {e}")))?;
    if msg.metadata.id != id || msg.metadata.message_type != MessageType::Response {
        return Err(bad("the answer does not belong to our query"));
    }
    let asked = msg.queries.first().is_some_and(|q| {
        q.name() == name && q.query_type() == rtype && q.query_class() == DNSClass::IN
    });
    if msg.queries.len() != 1 || !asked {
        return Err(bad("the answer is for another question"));
    }
    if msg.metadata.truncation {
        return Ok(Answer::Truncated);
    }
    match msg.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => return Ok(Answer::Addrs(Vec::new())),
        code => {
            return Err(DnsError::Refused {
                name: name.to_ascii(),
                code,
                server,
            });
        }
    }
    // Follow the CNAME chain from the asked name; only records on the chain count.
    let mut current = name.clone();
    for _ in 0..=MAX_CNAME_HOPS {
        let addrs: Vec<IpAddr> = msg
            .answers
            .iter()
            .filter(|r| r.name == current && r.dns_class == DNSClass::IN)
            .filter_map(|r| match (&r.data, rtype) {
                (RData::A(a), RecordType::A) => Some(IpAddr::V4(a.0)),
                (RData::AAAA(a), RecordType::AAAA) => Some(IpAddr::V6(a.0)),
                _ => None,
            })
            .collect();
        if !addrs.is_empty() {
            return Ok(Answer::Addrs(addrs));
        }
        let next = msg.answers.iter().find_map(|r| match &r.data {
            RData::CNAME(target) if r.name == current => Some(target.0.clone()),
            _ => None,
        });
        match next {
            Some(target) => current = target,
            None => return Ok(Answer::Addrs(Vec::new())),
        }
    }
    Err(bad("CNAME chain too long"))
}

/// Asks `server` for the `rtype` addresses of `host` (without timeout; see [`lookup`]).
async fn query(server: DnsServer, name: &Name, rtype: RecordType) -> Result<Vec<IpAddr>, DnsError> {
    let io = |source| DnsError::Io {
        server: server.addr,
        source,
    };
    // A random id (and the OS's random source port) make off-path spoofing impractical.
    let id = getrandom::u32().map_err(|e| io(std::io::Error::other(e.to_string())))? as u16;
    let packet = encode_query(id, name, rtype)?;
    if !server.tcp {
        let local: SocketAddr = match server.addr {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let sock = UdpSocket::bind(local).await.map_err(io)?;
        sock.connect(server.addr).await.map_err(io)?;
        sock.send(&packet).await.map_err(io)?;
        let mut buf = vec![0u8; 4096];
        loop {
            let n = sock.recv(&mut buf).await.map_err(io)?;
            match decode_answer(&buf[..n], id, name, rtype, server.addr) {
                Ok(Answer::Addrs(addrs)) => return Ok(addrs),
                Ok(Answer::Truncated) => break,
                // A stray or forged datagram: keep waiting for the real answer.
                Err(DnsError::BadAnswer { why, .. }) => {
                    tracing::debug!("ignoring a DNS datagram: {why}")
                }
                Err(e) => return Err(e),
            }
        }
    }
    let mut stream = TcpStream::connect(server.addr).await.map_err(io)?;
    let len = u16::try_from(packet.len()).map_err(|_| DnsError::BadName(name.to_ascii()))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(&packet);
    stream.write_all(&framed).await.map_err(io)?;
    let len = stream.read_u16().await.map_err(io)?;
    let mut buf = vec![0u8; usize::from(len)];
    stream.read_exact(&mut buf).await.map_err(io)?;
    match decode_answer(&buf, id, name, rtype, server.addr)? {
        Answer::Addrs(addrs) => Ok(addrs),
        Answer::Truncated => Err(DnsError::BadAnswer {
            server: server.addr,
            why: "truncated answer over TCP".into(),
        }),
    }
}

/// Resolves `host` through `server`, for the families in `families` (A first), within
/// [`DNS_TIMEOUT`]. Succeeds when at least one family gave an address.
pub async fn lookup(
    server: DnsServer,
    host: &str,
    families: &[Family],
) -> Result<Vec<IpAddr>, DnsError> {
    let bad_name = || DnsError::BadName(host.to_string());
    let fqdn = if host.ends_with('.') {
        host.to_string()
    } else {
        format!("{host}.")
    };
    let name = Name::from_ascii(&fqdn).map_err(|_| bad_name())?;
    let ask = |family: Family| {
        let rtype = match family {
            Family::V4 => RecordType::A,
            Family::V6 => RecordType::AAAA,
        };
        let name = &name;
        async move {
            match query(server, name, rtype).await {
                Ok(addrs) if addrs.is_empty() => Err(DnsError::NoAddress {
                    name: host.to_string(),
                    rtype,
                    server: server.addr,
                }),
                other => other,
            }
        }
    };
    let work = async {
        // Both families are asked at once; the first family's addresses come first.
        let results = match families {
            [a, b] => {
                let (x, y) = tokio::join!(ask(*a), ask(*b));
                vec![x, y]
            }
            _ => {
                let mut out = Vec::new();
                for f in families {
                    out.push(ask(*f).await);
                }
                out
            }
        };
        let mut found = Vec::new();
        let mut first_err = None;
        for r in results {
            match r {
                Ok(addrs) => found.extend(addrs),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        match (found.is_empty(), first_err) {
            (true, Some(e)) => Err(e),
            _ => Ok(found),
        }
    };
    tokio::time::timeout(DNS_TIMEOUT, work)
        .await
        .map_err(|_| DnsError::Timeout(server.addr))?
}

/// The reqwest resolver of every client: the `-dns` server or the system resolver, keeping
/// only the addresses of `family` when one is given.
#[derive(Debug, Clone)]
pub(super) struct FamilyResolver {
    /// `None`: the system resolver (getaddrinfo).
    pub(super) server: Option<DnsServer>,
    /// `None`: both families.
    pub(super) family: Option<Family>,
}

impl FamilyResolver {
    /// Resolves `host` as the clients do.
    pub(super) async fn resolve_host(self, host: String) -> Result<Vec<IpAddr>, DnsError> {
        let families: &[Family] = match self.family {
            Some(Family::V4) => &[Family::V4],
            Some(Family::V6) => &[Family::V6],
            None => &[Family::V4, Family::V6],
        };
        // RFC 6761: localhost is the loopback, never something a DNS server makes up.
        let lower = host.trim_end_matches('.').to_ascii_lowercase();
        let addrs: Vec<IpAddr> = if lower == "localhost" || lower.ends_with(".localhost") {
            vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()]
        } else if let Some(server) = self.server {
            lookup(server, &host, families).await?
        } else {
            tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|source| DnsError::System {
                    host: host.clone(),
                    source,
                })?
                .map(|sa| sa.ip())
                .collect()
        };
        let kept: Vec<IpAddr> = addrs
            .into_iter()
            .filter(|ip| families.iter().any(|f| is_family(*ip, *f)))
            .collect();
        if kept.is_empty() {
            let family = self.family.map_or("any", Family::label);
            return Err(DnsError::NoFamily { host, family });
        }
        Ok(kept)
    }
}

/// Whether `ip` belongs to `family`.
pub(super) fn is_family(ip: IpAddr, family: Family) -> bool {
    matches!(
        (ip, family),
        (IpAddr::V4(_), Family::V4) | (IpAddr::V6(_), Family::V6)
    )
}

impl reqwest::dns::Resolve for FamilyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        let host = name.as_str().to_string();
        let fut: Pin<Box<dyn Future<Output = _> + Send>> = Box::pin(async move {
            let addrs = this.resolve_host(host).await?;
            // The connector fills in the port of the URL.
            let addrs: reqwest::dns::Addrs =
                Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        });
        fut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::{A, AAAA, CNAME};

    fn server() -> SocketAddr {
        "192.0.2.53:53".parse().unwrap()
    }

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn reply(id: u16, q: &Name, rtype: RecordType, answers: Vec<Record>) -> Message {
        let mut m = Message::new(id, MessageType::Response, OpCode::Query);
        m.add_query(Query::query(q.clone(), rtype));
        for a in answers {
            m.add_answer(a);
        }
        m
    }

    #[test]
    fn parse_dns_flag_forms() {
        let ok = |s: &str, addr: &str, tcp: bool| {
            assert_eq!(
                parse_dns_flag(s).unwrap(),
                DnsServer {
                    addr: addr.parse().unwrap(),
                    tcp
                },
                "{s}"
            );
        };
        ok("8.8.8.8", "8.8.8.8:53", false);
        ok("8.8.8.8:5353", "8.8.8.8:5353", false);
        ok("udp://1.1.1.1", "1.1.1.1:53", false);
        ok("UDP://1.1.1.1:54", "1.1.1.1:54", false);
        ok("tcp://1.1.1.1:53", "1.1.1.1:53", true);
        ok("tcp://1.1.1.1", "1.1.1.1:53", true);
        ok(
            "[2001:4860:4860::8888]:53",
            "[2001:4860:4860::8888]:53",
            false,
        );
        ok("2001:4860:4860::8888", "[2001:4860:4860::8888]:53", false);
        ok("[2001:4860:4860::8888]", "[2001:4860:4860::8888]:53", false);
        ok("tcp://[::1]:5300", "[::1]:5300", true);
        for bad in [
            "",
            "https://1.1.1.1",
            "dns.google",
            "1.1.1.1:x",
            "1.1.1.1:0",
            "tls://1.1.1.1",
            "[::1",
            "999.1.1.1",
        ] {
            assert!(parse_dns_flag(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn query_encodes_id_question_and_rd() {
        let bytes = encode_query(0xbeef, &name("example.test."), RecordType::AAAA).unwrap();
        let m = Message::from_vec(&bytes).unwrap();
        assert_eq!(m.metadata.id, 0xbeef);
        assert!(m.metadata.recursion_desired);
        assert_eq!(m.queries.len(), 1);
        assert_eq!(m.queries[0].name(), &name("example.test."));
        assert_eq!(m.queries[0].query_type(), RecordType::AAAA);
    }

    #[test]
    fn answer_follows_cnames_and_ignores_off_chain_records() {
        let q = name("www.example.test.");
        let m = reply(
            7,
            &q,
            RecordType::A,
            vec![
                Record::from_rdata(name("other.test."), 60, RData::A(A::new(10, 0, 0, 9))),
                Record::from_rdata(q.clone(), 60, RData::CNAME(CNAME(name("edge.cdn.test.")))),
                Record::from_rdata(
                    name("edge.cdn.test."),
                    60,
                    RData::CNAME(CNAME(name("node.cdn.test."))),
                ),
                Record::from_rdata(name("NODE.cdn.test."), 60, RData::A(A::new(192, 0, 2, 1))),
                Record::from_rdata(name("node.cdn.test."), 60, RData::A(A::new(192, 0, 2, 2))),
            ],
        );
        let got = decode_answer(&m.to_vec().unwrap(), 7, &q, RecordType::A, server()).unwrap();
        assert_eq!(
            got,
            Answer::Addrs(vec![
                "192.0.2.1".parse().unwrap(),
                "192.0.2.2".parse().unwrap()
            ])
        );
    }

    #[test]
    fn answer_of_the_wrong_type_yields_nothing() {
        let q = name("a.test.");
        let m = reply(
            1,
            &q,
            RecordType::A,
            vec![Record::from_rdata(
                q.clone(),
                60,
                RData::AAAA(AAAA::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            )],
        );
        assert_eq!(
            decode_answer(&m.to_vec().unwrap(), 1, &q, RecordType::A, server()).unwrap(),
            Answer::Addrs(vec![])
        );
    }

    #[test]
    fn answer_with_wrong_id_or_question_is_rejected() {
        let q = name("a.test.");
        let m = reply(1, &q, RecordType::A, vec![]);
        let bytes = m.to_vec().unwrap();
        assert!(matches!(
            decode_answer(&bytes, 2, &q, RecordType::A, server()),
            Err(DnsError::BadAnswer { .. })
        ));
        assert!(matches!(
            decode_answer(&bytes, 1, &name("b.test."), RecordType::A, server()),
            Err(DnsError::BadAnswer { .. })
        ));
        assert!(matches!(
            decode_answer(&bytes, 1, &q, RecordType::AAAA, server()),
            Err(DnsError::BadAnswer { .. })
        ));
        assert!(matches!(
            decode_answer(&[1, 2, 3], 1, &q, RecordType::A, server()),
            Err(DnsError::BadAnswer { .. })
        ));
        // A query echoed back is not an answer.
        let echoed = encode_query(1, &q, RecordType::A).unwrap();
        assert!(matches!(
            decode_answer(&echoed, 1, &q, RecordType::A, server()),
            Err(DnsError::BadAnswer { .. })
        ));
    }

    #[test]
    fn truncation_and_error_codes() {
        let q = name("a.test.");
        let mut m = reply(3, &q, RecordType::A, vec![]);
        m.metadata.truncation = true;
        assert_eq!(
            decode_answer(&m.to_vec().unwrap(), 3, &q, RecordType::A, server()).unwrap(),
            Answer::Truncated
        );
        let mut m = reply(3, &q, RecordType::A, vec![]);
        m.metadata.response_code = ResponseCode::ServFail;
        assert!(matches!(
            decode_answer(&m.to_vec().unwrap(), 3, &q, RecordType::A, server()),
            Err(DnsError::Refused { .. })
        ));
        m.metadata.response_code = ResponseCode::NXDomain;
        assert_eq!(
            decode_answer(&m.to_vec().unwrap(), 3, &q, RecordType::A, server()).unwrap(),
            Answer::Addrs(vec![])
        );
    }

    #[test]
    fn family_filter() {
        assert!(is_family("127.0.0.1".parse().unwrap(), Family::V4));
        assert!(!is_family("::1".parse().unwrap(), Family::V4));
        assert!(is_family("::1".parse().unwrap(), Family::V6));
    }
}
