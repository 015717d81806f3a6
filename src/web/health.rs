//! `/healthz`: does every enabled record hold the address detected last? Asked of the zone's
//! authoritative servers directly (their NS records, found through a resolver, then queried
//! without recursion), never of a caching resolver, whose answer may be stale for a TTL.
//!
//! The report is cached for [`HealthOptions::cache_for`] so monitoring can scrape often at no
//! cost to the DNS servers. Messages are encoded and checked apart from the sockets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use crate::config::Config;
use crate::config::domain::parse_domains;
use crate::metrics::Metrics;

/// Time allowed for one DNS exchange.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

/// Where and how often the health check asks.
#[derive(Debug, Clone)]
pub struct HealthOptions {
    /// Recursive resolver for the NS look-up; None: `-dns`, else the first `nameserver` of
    /// /etc/resolv.conf.
    pub resolver: Option<SocketAddr>,
    /// Port of the authoritative servers (53; tests use another).
    pub ns_port: u16,
    /// How long a report is reused.
    pub cache_for: Duration,
}

impl Default for HealthOptions {
    fn default() -> Self {
        HealthOptions {
            resolver: None,
            ns_port: 53,
            cache_for: Duration::from_secs(60),
        }
    }
}

/// The health of every enabled record.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// True when every enabled record holds its detected address.
    pub healthy: bool,
    /// Records found right, as `domain type address`.
    pub ok: Vec<String>,
    /// Why it is not healthy, one line per problem.
    pub problems: Vec<String>,
    /// Unix seconds of the check.
    pub checked_at: i64,
}

/// The last report and when it was made.
#[derive(Debug, Default)]
pub struct HealthCache {
    last: tokio::sync::Mutex<Option<(Instant, HealthReport)>>,
}

impl HealthCache {
    /// The cached report while fresh, else a new check. Concurrent scrapes wait for one check.
    pub async fn get(
        &self,
        config: Result<Config, String>,
        metrics: &Metrics,
        opts: &HealthOptions,
        fallback_dns: Option<SocketAddr>,
    ) -> HealthReport {
        let mut last = self.last.lock().await;
        if let Some((at, r)) = &*last
            && at.elapsed() < opts.cache_for
        {
            return r.clone();
        }
        let report = match config {
            Ok(c) => check(&c, metrics, opts, fallback_dns).await,
            Err(why) => HealthReport {
                healthy: false,
                ok: Vec::new(),
                problems: vec![why],
                checked_at: crate::timefmt::unix_now(),
            },
        };
        *last = Some((Instant::now(), report.clone()));
        report
    }
}

/// The first `nameserver` of a resolv.conf text.
pub fn resolv_conf_server(text: &str) -> Option<SocketAddr> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|rest| rest.trim().split('%').next()?.parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
}

/// Checks every enabled record of `config` against its authoritative servers.
pub async fn check(
    config: &Config,
    metrics: &Metrics,
    opts: &HealthOptions,
    fallback_dns: Option<SocketAddr>,
) -> HealthReport {
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    let resolver = opts.resolver.or(fallback_dns).or_else(|| {
        std::fs::read_to_string(Path::new("/etc/resolv.conf"))
            .ok()
            .and_then(|t| resolv_conf_server(&t))
    });
    for (i, c) in config.dnsconf.iter().enumerate() {
        for (ipconf, fam, rtype) in [
            (&c.ipv4, "ipv4", RecordType::A),
            (&c.ipv6, "ipv6", RecordType::AAAA),
        ] {
            if !ipconf.enable {
                continue;
            }
            let domains = parse_domains(&ipconf.domains).0;
            if domains.is_empty() {
                continue;
            }
            let Some(want) = metrics.detected(i, fam) else {
                problems.push(format!(
                    "entry {}: no {fam} address detected yet (or the last detection failed)",
                    i + 1
                ));
                continue;
            };
            let Some(resolver) = resolver else {
                problems
                    .push("no DNS resolver to find the authoritative servers: give -dns".into());
                continue;
            };
            for d in domains {
                let name = d.name();
                match authoritative(resolver, opts.ns_port, &name, rtype).await {
                    Ok(found) if found.contains(&want) => {
                        ok.push(format!("{name} {rtype} {want}"));
                    }
                    Ok(found) => {
                        let found: Vec<String> = found.iter().map(IpAddr::to_string).collect();
                        problems.push(format!(
                            "{name} {rtype}: the authoritative servers answer [{}], expected {want}",
                            found.join(", ")
                        ));
                    }
                    Err(e) => problems.push(format!("{name} {rtype}: {e}")),
                }
            }
        }
    }
    HealthReport {
        healthy: problems.is_empty(),
        ok,
        problems,
        checked_at: crate::timefmt::unix_now(),
    }
}

/// The values of `name`/`rtype` on the zone's authoritative servers. Every server that
/// answers must hold the values (a lagging secondary makes the record not healthy yet).
async fn authoritative(
    resolver: SocketAddr,
    ns_port: u16,
    name: &str,
    rtype: RecordType,
) -> Result<Vec<IpAddr>, String> {
    let fqdn = Name::from_ascii(format!("{}.", name.trim_end_matches('.')))
        .map_err(|_| format!("{name:?} is not a valid DNS name"))?;
    let (zone, ns) = find_zone(resolver, &fqdn).await?;
    let mut servers = Vec::new();
    for host in &ns {
        for t in [RecordType::A, RecordType::AAAA] {
            if let Ok(m) = exchange(resolver, host, t, true).await {
                servers.extend(
                    addresses(&m, host, t)
                        .into_iter()
                        .map(|ip| SocketAddr::new(ip, ns_port)),
                );
            }
        }
    }
    if servers.is_empty() {
        return Err(format!("no address found for the name servers of {zone}"));
    }
    let mut answers: Option<Vec<IpAddr>> = None;
    let mut errors = Vec::new();
    for s in servers {
        match exchange(s, &fqdn, rtype, false).await {
            Ok(m) if m.metadata.response_code == ResponseCode::NoError => {
                let mut got = addresses(&m, &fqdn, rtype);
                got.sort();
                match &answers {
                    Some(prev) if *prev != got => {
                        return Err(format!(
                            "the authoritative servers of {zone} disagree (a change is still spreading)"
                        ));
                    }
                    _ => answers = Some(got),
                }
            }
            Ok(m) if m.metadata.response_code == ResponseCode::NXDomain => {
                return Err(format!("{s} says the name does not exist"));
            }
            Ok(m) => errors.push(format!("{s} answered {}", m.metadata.response_code)),
            Err(e) => errors.push(e),
        }
    }
    answers.ok_or_else(|| format!("no authoritative server answered: {}", errors.join("; ")))
}

/// Walks up from `name` to the closest enclosing zone with NS records.
async fn find_zone(resolver: SocketAddr, name: &Name) -> Result<(Name, Vec<Name>), String> {
    let mut cur = name.clone();
    while cur.num_labels() >= 1 {
        let m = exchange(resolver, &cur, RecordType::NS, true).await?;
        let ns: Vec<Name> = m
            .answers
            .iter()
            .filter(|r| r.name == cur)
            .filter_map(|r| match &r.data {
                RData::NS(n) => Some(n.0.clone()),
                _ => None,
            })
            .collect();
        if !ns.is_empty() {
            return Ok((cur, ns));
        }
        cur = cur.base_name();
    }
    Err(format!("no zone with NS records found above {name}"))
}

/// The addresses of `name`/`rtype` in the answer section.
fn addresses(m: &Message, name: &Name, rtype: RecordType) -> Vec<IpAddr> {
    m.answers
        .iter()
        .filter(|r| r.name == *name)
        .filter_map(|r| match (&r.data, rtype) {
            (RData::A(a), RecordType::A) => Some(IpAddr::V4(a.0)),
            (RData::AAAA(a), RecordType::AAAA) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect()
}

/// Encodes a query (`rd`: recursion desired).
fn encode(id: u16, name: &Name, rtype: RecordType, rd: bool) -> Result<Vec<u8>, String> {
    let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = rd;
    msg.add_query(Query::query(name.clone(), rtype));
    msg.to_vec()
        .map_err(|e| format!("cannot encode a query for {name}: {e}"))
}

/// Checks that `bytes` answer our query; None for a datagram to ignore.
fn decode(bytes: &[u8], id: u16, name: &Name, rtype: RecordType) -> Option<Message> {
    let m = Message::from_vec(bytes).ok()?;
    let same = m.metadata.id == id
        && m.metadata.message_type == MessageType::Response
        && m.queries.len() == 1
        && m.queries[0].name() == name
        && m.queries[0].query_type() == rtype;
    same.then_some(m)
}

/// One query to `server` over UDP, again over TCP when truncated, within [`QUERY_TIMEOUT`].
async fn exchange(
    server: SocketAddr,
    name: &Name,
    rtype: RecordType,
    rd: bool,
) -> Result<Message, String> {
    let work = async {
        let io = |e: std::io::Error| format!("cannot reach DNS server {server}: {e}");
        let id = getrandom::u32().map_err(|e| e.to_string())? as u16;
        let packet = encode(id, name, rtype, rd)?;
        let local: SocketAddr = match server {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let sock = UdpSocket::bind(local).await.map_err(io)?;
        sock.connect(server).await.map_err(io)?;
        sock.send(&packet).await.map_err(io)?;
        let mut buf = vec![0u8; 4096];
        let m = loop {
            let n = sock.recv(&mut buf).await.map_err(io)?;
            if let Some(m) = decode(&buf[..n], id, name, rtype) {
                break m;
            }
        };
        if !m.metadata.truncation {
            return Ok(m);
        }
        let mut stream = TcpStream::connect(server).await.map_err(io)?;
        let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&packet);
        stream.write_all(&framed).await.map_err(io)?;
        let len = stream.read_u16().await.map_err(io)?;
        let mut buf = vec![0u8; usize::from(len)];
        stream.read_exact(&mut buf).await.map_err(io)?;
        decode(&buf, id, name, rtype).ok_or_else(|| format!("bad answer from {server}"))
    };
    tokio::time::timeout(QUERY_TIMEOUT, work)
        .await
        .map_err(|_| format!("DNS server {server} did not answer in time"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_nameserver() {
        let t = "# x\nsearch lan\nnameserver fe80::1%eth0\nnameserver 9.9.9.9\n";
        assert_eq!(resolv_conf_server(t), Some("[fe80::1]:53".parse().unwrap()));
        assert_eq!(resolv_conf_server("search lan\n"), None);
    }

    #[test]
    fn an_answer_to_another_question_is_ignored() {
        let name = Name::from_ascii("www.example.com.").unwrap();
        let q = encode(7, &name, RecordType::A, false).unwrap();
        let mut m = Message::from_vec(&q).unwrap();
        m.metadata.message_type = MessageType::Response;
        let ok = m.to_vec().unwrap();
        assert!(decode(&ok, 7, &name, RecordType::A).is_some());
        assert!(decode(&ok, 8, &name, RecordType::A).is_none());
        assert!(decode(&ok, 7, &name, RecordType::AAAA).is_none());
        assert!(decode(&q, 7, &name, RecordType::A).is_none());
    }
}
