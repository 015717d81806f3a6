//! RFC 2136 DNS UPDATE signed with TSIG (`dns.name: rfc2136`): updates a self-hosted
//! authoritative server (BIND, Knot, PowerDNS with `dnsupdate=yes`, …) directly, the way
//! `nsupdate -k` does, without shelling out.
//!
//! `id` is the TSIG key name, `secret` is `algorithm:base64-key`, `extparam` is the server
//! `host[:port]` (port 53 by default). The zone is the domain's root (`sub:root` picks it).
//! The lookup is a signed query for the name and type at that server, so "no change" means no
//! UPDATE. The update deletes the RRset and adds the new record in one message (atomic on the
//! server). Every answer must carry a valid TSIG: an unsigned or wrongly signed answer is
//! rejected, so a spoofed "no change" cannot keep a stale address.
//!
//! The wire encoding ([`query_message`], [`update_message`], [`read_answer`], [`classify`]) is
//! kept apart from the socket code at the bottom so the bytes are testable without a server.

use std::net::{IpAddr, SocketAddr};

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType as WireType};

mod transport;

use super::sign::tsig::{self, Key, VerifyError};
use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
    same_address,
};
use crate::config::Domain;
use transport::{tcp_exchange, udp_exchange};

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "rfc2136",
    name: "RFC 2136 (DNS UPDATE + TSIG)",
    id_label: "TSIG key name",
    secret_label: "algorithm:base64-key",
    extparam_label: "Server host[:port]",
    help_url: "https://bind9.readthedocs.io/en/latest/manpages.html#tsig-keygen-tsig-key-generation-tool",
    help: "A TSIG key (tsig-keygen) allowed to update the zone (allow-update or update-policy); secret e.g. hmac-sha256:c2VjcmV0…; zone = the domain's root (sub:root to choose).",
    default_ttl: "300",
    change_only: false,
};

const DEFAULT_TTL: u32 = 300;
const DEFAULT_PORT: u16 = 53;

/// A DNS server reached with one TSIG key.
pub struct Rfc2136 {
    s: ProviderSettings,
}

/// The zone and the record's name as DNS names.
struct Target {
    zone: Name,
    name: Name,
}

fn fqdn(s: &str) -> Result<Name, ProviderError> {
    let mut n = Name::from_ascii(s)
        .map_err(|e| ProviderError::Api(format!("\"{s}\" is not a valid DNS name ({e})")))?;
    n.set_fqdn(true);
    Ok(n)
}

fn target(domain: &Domain) -> Result<Target, ProviderError> {
    Ok(Target {
        zone: fqdn(&domain.root_ascii())?,
        name: fqdn(&domain.to_ascii())?,
    })
}

fn wire_type(rtype: RecordType) -> WireType {
    match rtype {
        RecordType::A => WireType::A,
        RecordType::Aaaa => WireType::AAAA,
    }
}

/// A standard query for `name`/`rtype`, recursion off (the server is authoritative).
pub fn query_message(id: u16, name: &Name, rtype: RecordType) -> Message {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = false;
    m.queries.push(Query::query(name.clone(), wire_type(rtype)));
    m
}

/// An UPDATE of `zone` replacing the `rtype` RRset of `name` by the one record `addr`
/// (RFC 2136 §2.5.2 delete RRset, then §2.5.1 add, in one message).
pub fn update_message(id: u16, zone: &Name, name: &Name, ttl: u32, addr: IpAddr) -> Message {
    let mut m = Message::new(id, MessageType::Query, OpCode::Update);
    m.metadata.recursion_desired = false;
    let mut z = Query::new();
    z.set_name(zone.clone())
        .set_query_class(DNSClass::IN)
        .set_query_type(WireType::SOA);
    // The zone section travels in the question section.
    m.queries.push(z);
    let data = match addr {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    };
    let mut delete = Record::update0(name.clone(), 0, wire_type(RecordType::of(addr)));
    delete.dns_class = DNSClass::ANY;
    // The update section travels in the authority section.
    m.authorities.push(delete);
    m.authorities
        .push(Record::from_rdata(name.clone(), ttl, data));
    m
}

/// The records of `name`/`rtype` in a query answer, or the error its RCODE stands for.
pub fn read_answer(
    answer: &Message,
    name: &Name,
    rtype: RecordType,
    zone: &str,
) -> Result<Vec<Existing>, ProviderError> {
    let rcode = answer.metadata.response_code;
    if rcode != ResponseCode::NoError && rcode != ResponseCode::NXDomain {
        return Err(classify(false, rcode, zone));
    }
    let want = wire_type(rtype);
    Ok(answer
        .answers
        .iter()
        .filter(|r| r.record_type() == want && r.name.to_lowercase() == name.to_lowercase())
        .filter_map(|r| match &r.data {
            RData::A(a) => Some((IpAddr::V4(a.0), r.ttl)),
            RData::AAAA(a) => Some((IpAddr::V6(a.0), r.ttl)),
            _ => None,
        })
        .map(|(ip, ttl)| Existing {
            id: String::new(),
            value: ip.to_string(),
            ttl: Some(ttl),
            proxied: None,
        })
        .collect())
}

/// A non-success RCODE as a [`ProviderError`]; `update` tells an UPDATE from a query.
pub fn classify(update: bool, rcode: ResponseCode, zone: &str) -> ProviderError {
    let code = u16::from(rcode);
    let what = if update { "update" } else { "query" };
    match code {
        5 if update => ProviderError::Permission(format!(
            "the server REFUSED the update in zone {zone}; allow the key in the zone's \
             allow-update or update-policy"
        )),
        5 => ProviderError::ZoneNotFound(format!(
            "{zone} (the server REFUSED the query: check that it serves this zone and answers \
             this host)"
        )),
        9 => ProviderError::ZoneNotFound(format!(
            "{zone} (NOTAUTH: the server is not authoritative for it; point the server field at \
             the zone's primary)"
        )),
        10 => ProviderError::ZoneNotFound(format!(
            "{zone} (NOTZONE: the name is outside the zone; write the domain as sub:zone)"
        )),
        2 => ProviderError::Api(format!(
            "the server failed (SERVFAIL) on the {what}; see its log (zone {zone} not loaded, \
             journal not writable?)"
        )),
        4 => ProviderError::Api(format!("the server does not implement DNS {what} (NOTIMP)")),
        _ => ProviderError::Api(format!("the server answered the {what} with {rcode:?}")),
    }
}

/// A TSIG failure as a [`ProviderError`].
fn tsig_error(e: VerifyError) -> ProviderError {
    match e {
        VerifyError::Server(18) => ProviderError::Auth(
            "the server answered BADTIME: this machine's clock differs from the server's by \
             more than 5 minutes"
                .into(),
        ),
        VerifyError::Server(c) => ProviderError::Auth(format!(
            "the server answered {}: the key name, algorithm or secret does not match the \
             server's key",
            tsig::tsig_error_name(c)
        )),
        other => ProviderError::Api(format!(
            "rejected the server's answer: {other}; is something between this host and the \
             server rewriting DNS?"
        )),
    }
}

/// The plan for APIs that replace a whole RRset: no change only when the RRset is exactly the
/// address (written any way); an RRset with other records too is replaced by the address alone.
pub fn rrset_plan(lookup: &Lookup, addr: IpAddr) -> Plan {
    match lookup {
        Lookup::Unknown => Plan::Write,
        Lookup::Found { records, .. } => match records.first() {
            None => Plan::Create,
            Some(first) if records.iter().all(|r| same_address(&r.value, addr)) => Plan::NoChange {
                current: first.value.clone(),
            },
            Some(_) => Plan::Update {
                records: records.clone(),
            },
        },
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_id() -> u16 {
    let mut b = [0u8; 2];
    // A predictable id only weakens spoofing resistance, which TSIG provides anyway.
    let _ = getrandom::fill(&mut b);
    u16::from_be_bytes(b)
}

impl Rfc2136 {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Rfc2136 { s }
    }

    fn key(&self) -> Result<Key, ProviderError> {
        Key::parse(&self.s.id, &self.s.secret).map_err(|e| ProviderError::Auth(e.to_string()))
    }

    /// The server address from `extparam` (`host`, `host:port`, `[v6]:port`, `v6`).
    async fn server(&self) -> Result<SocketAddr, ProviderError> {
        let raw = self.s.extparam.trim();
        if raw.is_empty() {
            return Err(ProviderError::Api(
                "no DNS server given; put host[:port] of the zone's primary server in the \
                 extparam field"
                    .into(),
            ));
        }
        if let Ok(ip) = raw.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, DEFAULT_PORT));
        }
        if let Ok(sa) = raw.parse::<SocketAddr>() {
            return Ok(sa);
        }
        let (host, port) = match raw.rsplit_once(':') {
            Some((h, p)) => (
                h.trim_matches(['[', ']']),
                p.parse::<u16>().map_err(|_| {
                    ProviderError::Api(format!("bad port in server \"{raw}\"; write host[:port]"))
                })?,
            ),
            None => (raw, DEFAULT_PORT),
        };
        let mut addrs = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| ProviderError::Transport(format!("cannot resolve {host}: {e}")))?;
        addrs
            .next()
            .ok_or_else(|| ProviderError::Transport(format!("{host} has no address")))
    }

    /// Signs `msg`, sends it, verifies the answer's TSIG and decodes it.
    async fn exchange(&self, msg: &Message, zone: &str) -> Result<Message, ProviderError> {
        let key = self.key()?;
        let server = self.server().await?;
        let bytes = msg
            .to_vec()
            .map_err(|e| ProviderError::Api(format!("cannot encode the DNS message: {e}")))?;
        let (signed, request_mac) = tsig::sign(&bytes, &key, now()).map_err(ProviderError::Api)?;
        let id = msg.metadata.id;
        let mut raw = udp_exchange(server, &signed, id).await?;
        let answer = decode(&raw)?;
        let answer = if answer.metadata.truncation {
            raw = tcp_exchange(server, &signed, id).await?;
            decode(&raw)?
        } else {
            answer
        };
        match tsig::verify_response(&raw, &key, &request_mac, now()) {
            Ok(()) => Ok(answer),
            // An error answer without a signature only makes the request fail, which an
            // attacker could achieve anyway; report the server's reason.
            Err(VerifyError::Unsigned)
                if answer.metadata.response_code != ResponseCode::NoError =>
            {
                Err(classify(
                    msg.metadata.op_code == OpCode::Update,
                    answer.metadata.response_code,
                    zone,
                ))
            }
            Err(e) => Err(tsig_error(e)),
        }
    }
}

fn decode(raw: &[u8]) -> Result<Message, ProviderError> {
    Message::from_vec(raw)
        .map_err(|e| ProviderError::Api(format!("the server's answer is malformed ({e})")))
}

impl Provider for Rfc2136 {
    fn key(&self) -> &'static str {
        "rfc2136"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let t = target(domain)?;
            let zone = domain.root_ascii();
            let answer = self
                .exchange(&query_message(random_id(), &t.name, rtype), &zone)
                .await?;
            let records = read_answer(&answer, &t.name, rtype, &zone)?;
            Ok(Lookup::Found {
                zone: Some(t.zone.to_ascii()),
                records,
            })
        })
    }

    fn plan(&self, _domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        rrset_plan(lookup, addr)
    }

    fn apply<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
        _lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            if matches!(plan, Plan::NoChange { .. }) {
                return Ok(());
            }
            if RecordType::of(addr) != rtype {
                return Err(ProviderError::Api(format!(
                    "address {addr} does not fit a {} record",
                    rtype.as_str()
                )));
            }
            let t = target(domain)?;
            let zone = domain.root_ascii();
            if !t.zone.zone_of(&t.name) {
                return Err(classify(true, ResponseCode::NotZone, &zone));
            }
            let msg = update_message(
                random_id(),
                &t.zone,
                &t.name,
                self.s.ttl_or(DEFAULT_TTL),
                addr,
            );
            let answer = self.exchange(&msg, &zone).await?;
            match answer.metadata.response_code {
                ResponseCode::NoError => Ok(()),
                rc => Err(classify(true, rc, &zone)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        fqdn(s).unwrap()
    }

    #[test]
    fn update_replaces_the_rrset_in_one_message() {
        let m = update_message(
            0xbeef,
            &n("example.com"),
            &n("www.example.com"),
            120,
            "192.0.2.7".parse().unwrap(),
        );
        let bytes = m.to_vec().unwrap();
        // Header: id, opcode UPDATE (5 << 3), ZOCOUNT 1, PRCOUNT 0, UPCOUNT 2, ADCOUNT 0.
        assert_eq!(
            &bytes[..12],
            &[0xbe, 0xef, 0x28, 0x00, 0, 1, 0, 0, 0, 2, 0, 0]
        );
        let back = Message::from_vec(&bytes).unwrap();
        assert_eq!(back.metadata.op_code, OpCode::Update);
        let z = &back.queries[0];
        assert_eq!(
            (z.name().to_ascii(), z.query_type(), z.query_class()),
            ("example.com.".into(), WireType::SOA, DNSClass::IN)
        );
        let (del, add) = (&back.authorities[0], &back.authorities[1]);
        // RFC 2136 §2.5.2: class ANY, TTL 0, empty RDATA, the type to delete.
        assert_eq!(
            (del.dns_class, del.ttl, del.record_type()),
            (DNSClass::ANY, 0, WireType::A)
        );
        assert!(matches!(del.data, RData::Update0(WireType::A)));
        assert_eq!(
            (add.dns_class, add.ttl, add.name.to_ascii()),
            (DNSClass::IN, 120, "www.example.com.".into())
        );
        assert_eq!(add.data, RData::A(A("192.0.2.7".parse().unwrap())));
        let v6 = update_message(
            1,
            &n("example.com"),
            &n("example.com"),
            300,
            "2001:db8::1".parse().unwrap(),
        );
        assert!(matches!(
            v6.authorities[0].data,
            RData::Update0(WireType::AAAA)
        ));
        assert_eq!(
            v6.authorities[1].data,
            RData::AAAA(AAAA("2001:db8::1".parse().unwrap()))
        );
    }

    #[test]
    fn query_is_non_recursive_for_the_type() {
        let q = query_message(7, &n("*.example.com"), RecordType::Aaaa);
        let bytes = q.to_vec().unwrap();
        assert_eq!(&bytes[2..4], &[0, 0], "QUERY, RD off");
        assert_eq!(q.queries[0].query_type(), WireType::AAAA);
        assert_eq!(q.queries[0].name().to_ascii(), "*.example.com.");
    }

    #[test]
    fn answers_keep_only_the_name_and_type() {
        let name = n("www.example.com");
        let mut a = Message::new(7, MessageType::Response, OpCode::Query);
        a.answers.push(Record::from_rdata(
            n("WWW.example.com"),
            60,
            RData::A(A("192.0.2.1".parse().unwrap())),
        ));
        a.answers.push(Record::from_rdata(
            n("other.example.com"),
            60,
            RData::A(A("192.0.2.2".parse().unwrap())),
        ));
        a.answers.push(Record::from_rdata(
            name.clone(),
            60,
            RData::AAAA(AAAA("2001:db8::1".parse().unwrap())),
        ));
        let got = read_answer(&a, &name, RecordType::A, "example.com").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].value.as_str(), got[0].ttl), ("192.0.2.1", Some(60)));
        a.metadata.response_code = ResponseCode::NXDomain;
        a.answers.clear();
        assert!(
            read_answer(&a, &name, RecordType::A, "example.com")
                .unwrap()
                .is_empty()
        );
        a.metadata.response_code = ResponseCode::Refused;
        assert!(matches!(
            read_answer(&a, &name, RecordType::A, "example.com"),
            Err(ProviderError::ZoneNotFound(_))
        ));
    }

    #[test]
    fn rcodes_become_clear_errors() {
        let c = |rc| classify(true, rc, "example.com");
        assert!(
            matches!(c(ResponseCode::Refused), ProviderError::Permission(m) if m.contains("allow-update"))
        );
        assert!(
            matches!(c(ResponseCode::NotAuth), ProviderError::ZoneNotFound(m) if m.contains("NOTAUTH"))
        );
        assert!(
            matches!(c(ResponseCode::NotZone), ProviderError::ZoneNotFound(m) if m.contains("NOTZONE"))
        );
        assert!(
            matches!(c(ResponseCode::ServFail), ProviderError::Api(m) if m.contains("SERVFAIL"))
        );
        assert!(matches!(c(ResponseCode::NotImp), ProviderError::Api(m) if m.contains("NOTIMP")));
        assert!(
            matches!(tsig_error(VerifyError::Server(16)), ProviderError::Auth(m) if m.contains("BADSIG"))
        );
        assert!(
            matches!(tsig_error(VerifyError::Server(17)), ProviderError::Auth(m) if m.contains("BADKEY"))
        );
        assert!(
            matches!(tsig_error(VerifyError::Server(18)), ProviderError::Auth(m) if m.contains("clock"))
        );
        assert!(matches!(
            tsig_error(VerifyError::BadMac),
            ProviderError::Api(_)
        ));
    }

    #[test]
    fn rrset_plan_needs_exactly_the_address() {
        let rec = |v: &str| Existing {
            value: v.into(),
            ..Default::default()
        };
        let found = |v: &[&str]| Lookup::Found {
            zone: None,
            records: v.iter().map(|x| rec(x)).collect(),
        };
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(rrset_plan(&found(&[]), a), Plan::Create);
        assert!(matches!(
            rrset_plan(&found(&["2001:0db8::0001"]), a),
            Plan::NoChange { .. }
        ));
        assert!(matches!(
            rrset_plan(&found(&["2001:db8::1", "2001:db8::2"]), a),
            Plan::Update { .. }
        ));
        assert!(matches!(
            rrset_plan(&found(&["2001:db8::2"]), a),
            Plan::Update { .. }
        ));
        assert_eq!(rrset_plan(&Lookup::Unknown, a), Plan::Write);
    }

    #[tokio::test]
    async fn server_field_forms() {
        let p = |ext: &str| {
            Rfc2136::new(ProviderSettings {
                id: "k".into(),
                secret: "hmac-sha256:c2VjcmV0".into(),
                extparam: ext.into(),
                ttl: String::new(),
                http: crate::http::provider_client(&Default::default(), None).unwrap(),
                endpoint: None,
            })
        };
        assert_eq!(
            p("192.0.2.1").server().await.unwrap(),
            "192.0.2.1:53".parse().unwrap()
        );
        assert_eq!(
            p("192.0.2.1:5353").server().await.unwrap(),
            "192.0.2.1:5353".parse().unwrap()
        );
        assert_eq!(
            p("2001:db8::1").server().await.unwrap(),
            "[2001:db8::1]:53".parse().unwrap()
        );
        assert_eq!(
            p("[2001:db8::1]:54").server().await.unwrap(),
            "[2001:db8::1]:54".parse().unwrap()
        );
        assert_eq!(p("localhost:5300").server().await.unwrap().port(), 5300);
        assert!(matches!(p("").server().await, Err(ProviderError::Api(_))));
        assert!(matches!(
            p("host:notaport").server().await,
            Err(ProviderError::Api(_))
        ));
    }
}
