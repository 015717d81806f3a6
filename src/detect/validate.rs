//! Which addresses may be published. An address read from an echo URL or a command must be
//! globally routable unicast ([`check_public`]); an interface address follows ddns-go's looser
//! rule ([`interface_usable`]), since private IPv4 on an interface is a deliberate choice (§3.2).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address may not be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The address refused.
    pub addr: IpAddr,
    /// What kind of address it is, e.g. "a private address (RFC 1918)".
    pub reason: &'static str,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "answer {} is {}", self.addr, self.reason)
    }
}

/// Accepts only globally routable unicast addresses.
pub fn check_public(addr: IpAddr) -> Result<(), Rejection> {
    let reason = match addr {
        IpAddr::V4(v4) => v4_special(v4),
        IpAddr::V6(v6) => v6_special(v6),
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(Rejection { addr, reason }),
    }
}

/// ddns-go's interface rule: IPv4 any global unicast per Go's `IsGlobalUnicast` (private kept),
/// IPv6 only inside 2000::/3 (drops ULA, link-local and the rest).
pub fn interface_usable(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => {
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast())
        }
        IpAddr::V6(v6) => in_v6(v6, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3),
    }
}

/// True when `addr` lies in `net`/`len`.
fn in_v4(addr: Ipv4Addr, net: [u8; 4], len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(addr) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

/// True when `addr` lies in `net`/`len`.
fn in_v6(addr: Ipv6Addr, net: [u16; 8], len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(addr) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

/// IPv4 special-purpose ranges (IANA registry), with what to call them in a log line.
const V4_SPECIAL: &[([u8; 4], u32, &str)] = &[
    ([0, 0, 0, 0], 8, "in 0.0.0.0/8 (\"this network\")"),
    ([10, 0, 0, 0], 8, "a private address (RFC 1918)"),
    (
        [100, 64, 0, 0],
        10,
        "a carrier-grade NAT address (100.64.0.0/10): the router is behind the ISP's NAT",
    ),
    ([127, 0, 0, 0], 8, "a loopback address"),
    ([169, 254, 0, 0], 16, "a link-local address"),
    ([172, 16, 0, 0], 12, "a private address (RFC 1918)"),
    (
        [192, 0, 0, 0],
        24,
        "reserved for IETF protocol assignments (192.0.0.0/24)",
    ),
    ([192, 0, 2, 0], 24, "a documentation address (192.0.2.0/24)"),
    (
        [192, 88, 99, 0],
        24,
        "a deprecated 6to4 relay anycast address (192.88.99.0/24)",
    ),
    ([192, 168, 0, 0], 16, "a private address (RFC 1918)"),
    (
        [198, 18, 0, 0],
        15,
        "a benchmarking address (198.18.0.0/15)",
    ),
    (
        [198, 51, 100, 0],
        24,
        "a documentation address (198.51.100.0/24)",
    ),
    (
        [203, 0, 113, 0],
        24,
        "a documentation address (203.0.113.0/24)",
    ),
    ([224, 0, 0, 0], 4, "a multicast address"),
    ([255, 255, 255, 255], 32, "the broadcast address"),
    ([240, 0, 0, 0], 4, "reserved (240.0.0.0/4)"),
];

fn v4_special(addr: Ipv4Addr) -> Option<&'static str> {
    V4_SPECIAL
        .iter()
        .find(|(net, len, _)| in_v4(addr, *net, *len))
        .map(|(_, _, why)| *why)
}

/// IPv6 ranges inside 2000::/3 that are still not a host's public address. Everything outside
/// 2000::/3 is refused first, with a name for the common cases.
const V6_SPECIAL: &[([u16; 8], u32, &str)] = &[
    (
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        32,
        "a Teredo address (2001::/32)",
    ),
    (
        [0x2001, 0x2, 0, 0, 0, 0, 0, 0],
        48,
        "a benchmarking address (2001:2::/48)",
    ),
    (
        [0x2001, 0x10, 0, 0, 0, 0, 0, 0],
        28,
        "an ORCHID address (2001:10::/28)",
    ),
    (
        [0x2001, 0x20, 0, 0, 0, 0, 0, 0],
        28,
        "an ORCHIDv2 address (2001:20::/28)",
    ),
    (
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "reserved for IETF protocol assignments (2001::/23)",
    ),
    (
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        "a documentation address (2001:db8::/32)",
    ),
    (
        [0x3fff, 0, 0, 0, 0, 0, 0, 0],
        20,
        "a documentation address (3fff::/20)",
    ),
];

/// Named ranges outside 2000::/3, so the log says more than "not global unicast".
const V6_OUTSIDE: &[([u16; 8], u32, &str)] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 128, "the unspecified address"),
    ([0, 0, 0, 0, 0, 0, 0, 1], 128, "the loopback address"),
    ([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "an IPv4-mapped address"),
    (
        [0, 0, 0, 0, 0, 0, 0, 0],
        96,
        "an IPv4-compatible address (deprecated)",
    ),
    (
        [0x64, 0xff9b, 0, 0, 0, 0, 0, 0],
        96,
        "a NAT64 address (64:ff9b::/96)",
    ),
    (
        [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        "a local NAT64 address (64:ff9b:1::/48)",
    ),
    (
        [0x100, 0, 0, 0, 0, 0, 0, 0],
        64,
        "a discard-only address (100::/64)",
    ),
    (
        [0xfc00, 0, 0, 0, 0, 0, 0, 0],
        7,
        "a unique local address (fc00::/7)",
    ),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "a link-local address"),
    (
        [0xfec0, 0, 0, 0, 0, 0, 0, 0],
        10,
        "a site-local address (deprecated)",
    ),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "a multicast address"),
];

fn v6_special(addr: Ipv6Addr) -> Option<&'static str> {
    let named = |table: &[([u16; 8], u32, &'static str)]| {
        table
            .iter()
            .find(|(net, len, _)| in_v6(addr, *net, *len))
            .map(|(_, _, why)| *why)
    };
    if !in_v6(addr, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        return Some(
            named(V6_OUTSIDE).unwrap_or("not a global unicast address (outside 2000::/3)"),
        );
    }
    named(V6_SPECIAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> Option<&'static str> {
        check_public(text.parse().unwrap()).err().map(|r| r.reason)
    }

    #[test]
    fn public_ipv4_accepted() {
        for ok in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
        ] {
            assert_eq!(reason(ok), None, "{ok}");
        }
        for ok in [
            "192.0.1.255",
            "192.0.3.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "1.0.0.0",
        ] {
            assert_eq!(reason(ok), None, "{ok}");
        }
    }

    #[test]
    fn special_ipv4_rejected_with_reason() {
        let cases = [
            ("0.1.2.3", "this network"),
            ("10.0.0.1", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("100.127.255.255", "carrier-grade NAT"),
            ("127.0.0.1", "loopback"),
            ("169.254.1.1", "link-local"),
            ("192.0.0.9", "IETF"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("192.88.99.1", "6to4"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "broadcast"),
        ];
        for (addr, want) in cases {
            let got = reason(addr).unwrap_or_else(|| panic!("{addr} accepted"));
            assert!(got.contains(want), "{addr}: {got}");
        }
    }

    #[test]
    fn public_ipv6_accepted() {
        for ok in [
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2a00:1450::1",
            "2002:808:808::1",
            "2001:200::1",
            "3ffe::1",
            "3fff:1000::1",
        ] {
            assert_eq!(reason(ok), None, "{ok}");
        }
    }

    #[test]
    fn special_ipv6_rejected_with_reason() {
        let cases = [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::ffff:8.8.8.8", "IPv4-mapped"),
            ("::8.8.8.8", "IPv4-compatible"),
            ("64:ff9b::808:808", "NAT64"),
            ("64:ff9b:1::1", "NAT64"),
            ("100::1", "discard"),
            ("fd00::1", "unique local"),
            ("fc00::1", "unique local"),
            ("fe80::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("4000::1", "outside 2000::/3"),
            ("2001::1", "Teredo"),
            ("2001:0:4136:e378::1", "Teredo"),
            ("2001:2::1", "benchmarking"),
            ("2001:10::1", "ORCHID"),
            ("2001:20::1", "ORCHIDv2"),
            ("2001:100::1", "IETF"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("3fff:fff::1", "documentation"),
        ];
        for (addr, want) in cases {
            let got = reason(addr).unwrap_or_else(|| panic!("{addr} accepted"));
            assert!(got.contains(want), "{addr}: {got}");
        }
    }

    #[test]
    fn rejection_message_names_the_address() {
        let err = check_public("10.0.0.1".parse().unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "answer 10.0.0.1 is a private address (RFC 1918)"
        );
    }

    #[test]
    fn interface_rule_is_ddns_go_s() {
        let usable = |s: &str| interface_usable(s.parse().unwrap());
        assert!(usable("192.168.1.10"));
        assert!(usable("10.0.0.1"));
        assert!(usable("100.64.0.1"));
        assert!(usable("8.8.8.8"));
        assert!(!usable("127.0.0.1"));
        assert!(!usable("169.254.3.4"));
        assert!(!usable("0.0.0.0"));
        assert!(!usable("224.0.0.5"));
        assert!(!usable("255.255.255.255"));
        assert!(usable("2001:db8::1"));
        assert!(usable("2606:4700::1"));
        assert!(!usable("fd00::1"));
        assert!(!usable("fe80::1"));
        assert!(!usable("::1"));
        assert!(!usable("::ffff:192.168.1.1"));
        assert!(!usable("ff02::1"));
    }
}
