//! Linux interface enumeration through one rtnetlink dump of links and one of addresses.
//!
//! Crates: netlink-sys for the socket and netlink-packet-route for the address and link headers,
//! as rust-stack.md (correction 2, §2.10) recommends. Only address messages are parsed with the
//! crate's `AddressMessage`; for links only the fixed `ifinfomsg` header and the IFLA_IFNAME
//! attribute are read, never the crate's top-level message enum (whose link-attribute parsers are
//! the expensive part). The size cost has not been measured yet.
//!
//! Address order is the kernel's dump order, which is also what Go's `net` package and
//! `getifaddrs` see, so ddns-go's `@N` selection picks the same address.

use std::io;
use std::net::IpAddr;

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTIPART, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR,
    NetlinkBuffer, NlaBuffer, NlasIterator, Parseable,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkFlags, LinkHeader};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use super::iface::{AddrFlags, IfAddr, Link};

const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const IFLA_IFNAME: u16 = 3;
/// A dump interrupted by a concurrent change is retried this many times.
const DUMP_TRIES: usize = 3;

/// Every interface with its addresses, both in kernel order.
pub fn snapshot() -> io::Result<Vec<Link>> {
    let (links, addrs) = dump()?;
    Ok(links
        .into_iter()
        .map(|l| Link {
            addrs: addrs
                .iter()
                .filter(|a| a.index == l.index)
                .map(|a| a.addr)
                .collect(),
            name: l.name,
            up: l.up,
        })
        .collect())
}

/// All links and all addresses, in kernel order.
fn dump() -> io::Result<(Vec<RawLink>, Vec<RawAddr>)> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let links = retry(0, |seq| request(&socket, RTM_GETLINK, seq))?
        .iter()
        .filter_map(|(kind, payload)| {
            (*kind == RTM_NEWLINK)
                .then(|| parse_link(payload))
                .flatten()
        })
        .collect();
    let addrs = retry(DUMP_TRIES as u32, |seq| request(&socket, RTM_GETADDR, seq))?
        .iter()
        .filter_map(|(kind, payload)| {
            (*kind == RTM_NEWADDR)
                .then(|| parse_addr(payload))
                .flatten()
        })
        .collect();
    Ok((links, addrs))
}

/// (message type, payload) of each reply to a dump.
type Replies = Vec<(u16, Vec<u8>)>;

/// Runs a dump again when the kernel flags it as interrupted (NLM_F_DUMP_INTR); each try gets
/// its own sequence number after `base`.
fn retry(
    base: u32,
    mut run: impl FnMut(u32) -> io::Result<Option<Replies>>,
) -> io::Result<Replies> {
    for seq in base + 1..=base + DUMP_TRIES as u32 {
        if let Some(messages) = run(seq)? {
            return Ok(messages);
        }
    }
    Err(io::Error::other(
        "the interface list kept changing during the netlink dump",
    ))
}

/// Sends one dump request and collects (type, payload) of every reply; None when interrupted.
fn request(socket: &Socket, kind: u16, seq: u32) -> io::Result<Option<Replies>> {
    // nlmsghdr (16 bytes) + rtgenmsg padded to 4 bytes: the family byte, AF_UNSPEC = both.
    let mut buf = vec![0u8; 20];
    let mut msg = NetlinkBuffer::new(&mut buf[..]);
    msg.set_length(20);
    msg.set_message_type(kind);
    msg.set_flags(NLM_F_REQUEST | NLM_F_DUMP);
    msg.set_sequence_number(seq);
    socket.send(&buf, 0)?;

    let mut out = Vec::new();
    let mut interrupted = false;
    let mut datagram: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        datagram.clear();
        // MSG_TRUNC makes recv report the datagram's real size, so truncation is visible.
        let n = socket.recv(&mut datagram, libc::MSG_TRUNC)?;
        if n > datagram.len() {
            return Err(io::Error::other(
                "netlink reply larger than the receive buffer",
            ));
        }
        let mut rest = &datagram[..];
        while !rest.is_empty() {
            let msg =
                NetlinkBuffer::new_checked(rest).map_err(|e| io::Error::other(e.to_string()))?;
            // new_checked guarantees 16 <= length <= rest.len().
            let len = msg.length() as usize;
            if msg.sequence_number() == seq {
                interrupted |= msg.flags() & NLM_F_DUMP_INTR != 0;
                match msg.message_type() {
                    NLMSG_DONE => return Ok((!interrupted).then_some(out)),
                    NLMSG_ERROR => {
                        let code = msg
                            .payload()
                            .get(..4)
                            .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                        return match code.unwrap_or(0) {
                            // An acknowledgement, not an error.
                            0 => Ok((!interrupted).then_some(out)),
                            code => Err(io::Error::from_raw_os_error(code.saturating_neg())),
                        };
                    }
                    kind => out.push((kind, msg.payload().to_vec())),
                }
                if msg.flags() & NLM_F_MULTIPART == 0 {
                    return Ok((!interrupted).then_some(out));
                }
            }
            // Messages are 4-byte aligned within a datagram.
            let next = len.next_multiple_of(4).min(rest.len());
            rest = &rest[next..];
        }
    }
}

/// Runs both message parsers over `payload`; for the fuzz targets (the parsers are private).
#[doc(hidden)]
pub fn fuzz_parse(payload: &[u8]) -> (bool, bool) {
    (parse_link(payload).is_some(), parse_addr(payload).is_some())
}

/// Reads an `ifinfomsg`: index, IFF_UP and the IFLA_IFNAME attribute.
fn parse_link(payload: &[u8]) -> Option<RawLink> {
    let header = LinkHeader::parse(payload).ok()?;
    let attrs = payload.get(16..)?;
    let name = NlasIterator::new(attrs)
        .filter_map(Result::ok)
        .find(|nla: &NlaBuffer<&[u8]>| nla.kind() == IFLA_IFNAME)
        .map(|nla| {
            let value = nla.value();
            let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
            String::from_utf8_lossy(&value[..end]).into_owned()
        })?;
    Some(RawLink {
        index: header.index,
        name,
        up: header.flags.contains(LinkFlags::Up),
    })
}

/// Reads an `ifaddrmsg` with its attributes: the local address and the full 32-bit flags.
pub(super) fn parse_addr(payload: &[u8]) -> Option<RawAddr> {
    let msg = AddressMessage::parse(payload).ok()?;
    let mut address = None;
    let mut local = None;
    let mut flags = u32::from(msg.header.flags.bits());
    for attr in &msg.attributes {
        match attr {
            AddressAttribute::Address(ip) => address = Some(*ip),
            // On point-to-point links IFA_ADDRESS is the peer and IFA_LOCAL our own address.
            AddressAttribute::Local(ip) => local = Some(*ip),
            // IFA_FLAGS carries all 32 bits; the header only has the low 8.
            AddressAttribute::Flags(f) => flags = f.bits(),
            _ => {}
        }
    }
    let ip: IpAddr = local.or(address)?;
    Some(RawAddr {
        index: msg.header.index,
        addr: IfAddr {
            ip,
            flags: AddrFlags::from_ifa_flags(flags),
        },
    })
}

/// One interface from the link dump, before its addresses are attached.
struct RawLink {
    index: u32,
    name: String,
    up: bool,
}

/// One address from the address dump, with the interface index it belongs to.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct RawAddr {
    index: u32,
    addr: IfAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attribute: length, type, value, padded to 4 bytes.
    fn nla(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut out = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(value);
        out.resize(out.len().next_multiple_of(4), 0);
        out
    }

    fn ifaddrmsg(family: u8, flags: u8, index: u32, attrs: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![family, 64, flags, 0];
        out.extend_from_slice(&index.to_ne_bytes());
        attrs.iter().for_each(|a| out.extend_from_slice(a));
        out
    }

    #[test]
    fn ipv6_address_with_32_bit_flags() {
        let ip: std::net::Ipv6Addr = "2001:1::5".parse().unwrap();
        // Header says tentative; IFA_FLAGS (authoritative) says temporary + deprecated.
        let msg = ifaddrmsg(
            10,
            0x40,
            7,
            &[nla(1, &ip.octets()), nla(8, &0x21u32.to_ne_bytes())],
        );
        let got = parse_addr(&msg).unwrap();
        assert_eq!(got.index, 7);
        assert_eq!(got.addr.ip, IpAddr::V6(ip));
        assert_eq!(
            got.addr.flags,
            AddrFlags {
                temporary: true,
                deprecated: true,
                tentative: false,
                dadfailed: false
            }
        );
    }

    #[test]
    fn header_flags_used_without_ifa_flags() {
        let ip: std::net::Ipv6Addr = "2001:1::6".parse().unwrap();
        let got = parse_addr(&ifaddrmsg(10, 0x48, 2, &[nla(1, &ip.octets())])).unwrap();
        assert!(got.addr.flags.tentative && got.addr.flags.dadfailed);
    }

    #[test]
    fn ipv4_point_to_point_uses_local() {
        let msg = ifaddrmsg(
            2,
            0,
            3,
            &[
                nla(1, &[10, 0, 0, 2]),
                nla(2, &[100, 70, 1, 2]),
                nla(3, b"ppp0\0"),
            ],
        );
        assert_eq!(
            parse_addr(&msg).unwrap().addr.ip,
            "100.70.1.2".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn garbage_is_skipped_not_a_panic() {
        assert!(parse_addr(&[]).is_none());
        assert!(parse_addr(&[10, 64, 0]).is_none());
        // An attribute claiming more bytes than there are.
        assert!(parse_addr(&ifaddrmsg(10, 0, 1, &[vec![200, 0, 1, 0, 1, 2]])).is_none());
        // No address attribute at all.
        assert!(parse_addr(&ifaddrmsg(10, 0, 1, &[])).is_none());
        assert!(parse_link(&[0; 8]).is_none());
    }

    #[test]
    fn link_name_and_up_flag() {
        let mut msg = vec![0u8, 0, 1, 0];
        msg.extend_from_slice(&5u32.to_ne_bytes());
        msg.extend_from_slice(&1u32.to_ne_bytes()); // IFF_UP
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend(nla(IFLA_IFNAME, b"eth9\0"));
        let link = parse_link(&msg).unwrap();
        assert_eq!((link.index, link.name.as_str(), link.up), (5, "eth9", true));
    }

    #[test]
    fn dump_of_this_namespace_has_loopback() {
        let links = snapshot().unwrap();
        let lo = links.iter().find(|l| l.name == "lo").expect("lo listed");
        assert!(lo.addrs.iter().any(|a| a.ip.is_loopback()), "{lo:?}");
    }
}
