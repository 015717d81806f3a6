//! DNS "whoami" names: authoritative servers that answer a special query with the address the
//! query came from. Three operators, three answer styles:
//!
//! - OpenDNS: `myip.opendns.com` A/AAAA (class IN) at resolver1.opendns.com;
//! - Google: `o-o.myaddr.l.google.com` TXT (class IN) at ns1.google.com;
//! - Cloudflare: `whoami.cloudflare` TXT in class CH at 1.1.1.1.
//!
//! Queries go straight to those servers over UDP (a recursive resolver would answer with its
//! own address). Message building and parsing ([`Whoami::query`], [`Whoami::parse`]) are kept
//! apart from the socket ([`ask`]) so they can be tested without one; the server address is
//! always a parameter, so tests use local servers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};
use tokio::net::UdpSocket;

use super::Family;

/// One whoami service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Whoami {
    /// `myip.opendns.com` A/AAAA.
    OpenDns,
    /// `o-o.myaddr.l.google.com` TXT.
    Google,
    /// `whoami.cloudflare` CH TXT.
    Cloudflare,
}

/// Why a whoami query gave no address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhoamiError {
    /// The reply could not be decoded or does not answer our query.
    #[error("bad DNS reply: {0}")]
    BadReply(String),
    /// The server answered with an error code.
    #[error("the DNS server answered {0}")]
    Rcode(String),
    /// No answer record holds an address of the asked family.
    #[error("the DNS reply holds no {0} address")]
    NoAddress(&'static str),
    /// Socket trouble or no reply in time.
    #[error("{0}")]
    Io(String),
}

impl Whoami {
    /// The service for a `dns:<name>` source ("opendns", "google", "cloudflare").
    pub fn from_name(name: &str) -> Option<Whoami> {
        match name {
            "opendns" => Some(Whoami::OpenDns),
            "google" => Some(Whoami::Google),
            "cloudflare" => Some(Whoami::Cloudflare),
            _ => None,
        }
    }

    /// The name used in config and logs.
    pub fn name(self) -> &'static str {
        match self {
            Whoami::OpenDns => "opendns",
            Whoami::Google => "google",
            Whoami::Cloudflare => "cloudflare",
        }
    }

    /// The operator's server for `family` (resolver1.opendns.com, ns1.google.com, 1.1.1.1),
    /// as literal addresses so no resolver is involved.
    pub fn default_server(self, family: Family) -> SocketAddr {
        let ip: IpAddr = match (self, family) {
            (Whoami::OpenDns, Family::V4) => Ipv4Addr::new(208, 67, 222, 222).into(),
            (Whoami::OpenDns, Family::V6) => {
                Ipv6Addr::new(0x2620, 0x119, 0x35, 0, 0, 0, 0, 0x35).into()
            }
            (Whoami::Google, Family::V4) => Ipv4Addr::new(216, 239, 32, 10).into(),
            (Whoami::Google, Family::V6) => {
                Ipv6Addr::new(0x2001, 0x4860, 0x4802, 0x32, 0, 0, 0, 0xa).into()
            }
            (Whoami::Cloudflare, Family::V4) => Ipv4Addr::new(1, 1, 1, 1).into(),
            (Whoami::Cloudflare, Family::V6) => {
                Ipv6Addr::new(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1111).into()
            }
        };
        SocketAddr::new(ip, 53)
    }

    /// The question: name, type and class.
    fn question(self, family: Family) -> (&'static str, RecordType, DNSClass) {
        match self {
            Whoami::OpenDns => (
                "myip.opendns.com.",
                match family {
                    Family::V4 => RecordType::A,
                    Family::V6 => RecordType::AAAA,
                },
                DNSClass::IN,
            ),
            Whoami::Google => ("o-o.myaddr.l.google.com.", RecordType::TXT, DNSClass::IN),
            Whoami::Cloudflare => ("whoami.cloudflare.", RecordType::TXT, DNSClass::CH),
        }
    }

    fn query_of(self, family: Family) -> Result<Query, WhoamiError> {
        let (name, rtype, class) = self.question(family);
        let name = Name::from_ascii(name).map_err(|e| WhoamiError::BadReply(e.to_string()))?;
        let mut q = Query::query(name, rtype);
        q.set_query_class(class);
        Ok(q)
    }

    /// The query message with id `id` (no recursion: the servers are authoritative).
    pub fn query(self, family: Family, id: u16) -> Result<Vec<u8>, WhoamiError> {
        let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
        msg.add_query(self.query_of(family)?);
        msg.to_vec()
            .map_err(|e| WhoamiError::BadReply(format!("cannot encode the query: {e}")))
    }

    /// The address in the reply to the query with `id`: the first A/AAAA, or the first TXT
    /// string that is an address, of `family`.
    pub fn parse(self, reply: &[u8], id: u16, family: Family) -> Result<IpAddr, WhoamiError> {
        let bad = |s: &str| WhoamiError::BadReply(s.to_string());
        let msg = Message::from_vec(reply).map_err(|e| bad(&format!("cannot decode: {e}")))?;
        if msg.metadata.id != id || msg.metadata.message_type != MessageType::Response {
            return Err(bad("not the reply to our query"));
        }
        let want = self.query_of(family)?;
        if msg.queries.first() != Some(&want) {
            return Err(bad("the reply is for another question"));
        }
        if msg.metadata.response_code != ResponseCode::NoError {
            return Err(WhoamiError::Rcode(msg.metadata.response_code.to_string()));
        }
        let fits = |ip: &IpAddr| ip.is_ipv4() == (family == Family::V4);
        msg.answers
            .iter()
            .flat_map(|r| match &r.data {
                RData::A(a) => vec![IpAddr::V4(a.0)],
                RData::AAAA(a) => vec![IpAddr::V6(a.0)],
                RData::TXT(t) => t
                    .txt_data
                    .iter()
                    .filter_map(|s| std::str::from_utf8(s).ok()?.trim().parse().ok())
                    .collect(),
                _ => Vec::new(),
            })
            .find(fits)
            .ok_or(WhoamiError::NoAddress(family.label()))
    }
}

/// Asks `service` at `server` for our `family` address.
pub async fn ask(
    service: Whoami,
    server: SocketAddr,
    family: Family,
    timeout: Duration,
) -> Result<IpAddr, WhoamiError> {
    let io = |e: std::io::Error| WhoamiError::Io(format!("DNS {server}: {e}"));
    let bind: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(bind).await.map_err(io)?;
    let mut id = [0u8; 2];
    getrandom::fill(&mut id).map_err(|e| WhoamiError::Io(e.to_string()))?;
    let id = u16::from_ne_bytes(id);
    socket
        .send_to(&service.query(family, id)?, server)
        .await
        .map_err(io)?;
    let exchange = async {
        let mut buf = vec![0u8; 1500];
        loop {
            let (n, from) = socket.recv_from(&mut buf).await.map_err(io)?;
            if from != server {
                continue;
            }
            match service.parse(&buf[..n], id, family) {
                // A stray or forged datagram: keep waiting for the real reply.
                Err(WhoamiError::BadReply(_)) => continue,
                other => return other,
            }
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| WhoamiError::Io(format!("DNS {server}: no reply in {timeout:?}")))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::{A, TXT};

    fn reply_to(query: &[u8], answers: Vec<Record>) -> Vec<u8> {
        let q = Message::from_vec(query).unwrap();
        let mut m = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
        m.add_query(q.queries[0].clone());
        for a in answers {
            m.add_answer(a);
        }
        m.to_vec().unwrap()
    }

    fn txt(name: &str, strings: &[&str], class: DNSClass) -> Record {
        let mut r = Record::from_rdata(
            Name::from_ascii(name).unwrap(),
            0,
            RData::TXT(TXT::new(strings.iter().map(|s| s.to_string()).collect())),
        );
        r.dns_class = class;
        r
    }

    #[test]
    fn cloudflare_asks_chaos_txt_and_reads_the_string() {
        let q = Whoami::Cloudflare.query(Family::V4, 9).unwrap();
        let m = Message::from_vec(&q).unwrap();
        assert_eq!(m.queries[0].query_class(), DNSClass::CH);
        assert_eq!(m.queries[0].query_type(), RecordType::TXT);
        let r = reply_to(
            &q,
            vec![txt("whoami.cloudflare.", &["198.51.100.4"], DNSClass::CH)],
        );
        assert_eq!(
            Whoami::Cloudflare.parse(&r, 9, Family::V4).unwrap(),
            "198.51.100.4".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn google_skips_the_subnet_string_and_other_families() {
        let q = Whoami::Google.query(Family::V6, 3).unwrap();
        let r = reply_to(
            &q,
            vec![
                txt(
                    "o-o.myaddr.l.google.com.",
                    &["edns0-client-subnet 192.0.2.0/24"],
                    DNSClass::IN,
                ),
                txt("o-o.myaddr.l.google.com.", &["192.0.2.1"], DNSClass::IN),
                txt("o-o.myaddr.l.google.com.", &["2001:db8::44"], DNSClass::IN),
            ],
        );
        assert_eq!(
            Whoami::Google.parse(&r, 3, Family::V6).unwrap(),
            "2001:db8::44".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn opendns_reads_a_records_and_checks_id_and_question() {
        let q = Whoami::OpenDns.query(Family::V4, 77).unwrap();
        let a = Record::from_rdata(
            Name::from_ascii("myip.opendns.com.").unwrap(),
            0,
            RData::A(A::new(203, 0, 113, 9)),
        );
        let r = reply_to(&q, vec![a]);
        assert_eq!(
            Whoami::OpenDns.parse(&r, 77, Family::V4).unwrap(),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert!(matches!(
            Whoami::OpenDns.parse(&r, 78, Family::V4),
            Err(WhoamiError::BadReply(_))
        ));
        // Same id, but the reply is about Cloudflare's question.
        let other = reply_to(&Whoami::Cloudflare.query(Family::V4, 77).unwrap(), vec![]);
        assert!(matches!(
            Whoami::OpenDns.parse(&other, 77, Family::V4),
            Err(WhoamiError::BadReply(_))
        ));
        let empty = reply_to(&q, vec![]);
        assert_eq!(
            Whoami::OpenDns.parse(&empty, 77, Family::V4),
            Err(WhoamiError::NoAddress("IPv4"))
        );
        assert!(Whoami::OpenDns.parse(&[1, 2, 3], 77, Family::V4).is_err());
    }
}
