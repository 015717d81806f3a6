//! `gettype: netInterface` (§3.2): the interfaces that are up, their usable addresses in the
//! kernel's order, and which one to publish.
//!
//! Listing follows ddns-go: IPv4 any global unicast (private kept), IPv6 only inside 2000::/3.
//! Selection follows ddns-go (`@N`, else an unanchored regex, else the first) with one change:
//! without a selector a stable address is preferred to temporary (privacy) ones, and deprecated,
//! tentative or DAD-failed addresses are never chosen. An explicit `@N` or regex choice is
//! honoured unless the chosen address is tentative or failed DAD; then nothing is published.

use std::io;
use std::net::IpAddr;

use super::Family;
use super::validate::interface_usable;

/// Kernel address flags that matter for choosing (all false where the OS does not say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AddrFlags {
    /// IFA_F_TEMPORARY: an IPv6 privacy address (for IPv4 the same bit means "secondary").
    pub temporary: bool,
    /// IFA_F_DEPRECATED: preferred lifetime over; should not be used for new connections.
    pub deprecated: bool,
    /// IFA_F_TENTATIVE: duplicate address detection not finished; not usable yet.
    pub tentative: bool,
    /// IFA_F_DADFAILED: duplicate address detection failed; never usable.
    pub dadfailed: bool,
}

impl AddrFlags {
    /// Decodes the kernel's 32-bit `IFA_F_*` flags.
    pub fn from_ifa_flags(bits: u32) -> AddrFlags {
        AddrFlags {
            temporary: bits & 0x01 != 0,
            dadfailed: bits & 0x08 != 0,
            deprecated: bits & 0x20 != 0,
            tentative: bits & 0x40 != 0,
        }
    }

    /// Whether the address can be used at all.
    pub fn usable(self) -> bool {
        !self.tentative && !self.dadfailed
    }
}

/// One interface address with its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IfAddr {
    /// The address.
    pub ip: IpAddr,
    /// What the kernel says about it.
    pub flags: AddrFlags,
}

/// An interface that is up, with its qualifying addresses (for detection and the web UI).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InterfaceAddrs {
    /// Interface name, e.g. `eth0`.
    pub name: String,
    /// Global-unicast IPv4 addresses (private included), kernel order.
    pub ipv4: Vec<IfAddr>,
    /// IPv6 addresses inside 2000::/3, kernel order.
    pub ipv6: Vec<IfAddr>,
}

/// An interface as the OS reports it, before filtering.
#[derive(Debug, Clone)]
pub(super) struct Link {
    pub(super) name: String,
    pub(super) up: bool,
    pub(super) addrs: Vec<IfAddr>,
}

/// Why no interface address could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum IfaceError {
    /// The OS would not list interfaces.
    #[error("cannot list network interfaces: {0}")]
    List(#[from] io::Error),
    /// `netinterface` is empty.
    #[error("no network interface configured: set netinterface")]
    NoName,
    /// No interface of that name.
    #[error("network interface {0:?} does not exist (see `ip link`)")]
    NotFound(String),
    /// The interface exists but is down.
    #[error("network interface {0:?} is down")]
    Down(String),
    /// Nothing qualifying on the interface.
    #[error("network interface {name:?} has no {what}")]
    NoAddress {
        /// Interface name.
        name: String,
        /// What was looked for.
        what: &'static str,
    },
    /// `@0` or a negative index.
    #[error("ipv6reg {0:?}: the number after @ must be 1 or more")]
    BadIndex(String),
    /// The selector chose an address that cannot be used (yet).
    #[error("the selected address {ip} is {why}; not publishing it")]
    Unusable {
        /// The address chosen.
        ip: IpAddr,
        /// "tentative (...)" or "failed duplicate address detection".
        why: &'static str,
    },
}

/// Every interface that is up and has a qualifying address, with its addresses.
pub fn list_interfaces() -> Result<Vec<InterfaceAddrs>, IfaceError> {
    Ok(qualifying(snapshot()?))
}

/// Picks the address of `family` on interface `name`; `selector` is `ipv6reg` (IPv6 only).
pub fn detect_iface(name: &str, family: Family, selector: &str) -> Result<IpAddr, IfaceError> {
    if name.is_empty() {
        return Err(IfaceError::NoName);
    }
    let links = snapshot()?;
    let link = links
        .iter()
        .find(|l| l.name == name)
        .ok_or_else(|| IfaceError::NotFound(name.to_string()))?;
    if !link.up {
        return Err(IfaceError::Down(name.to_string()));
    }
    let (addrs, what) = match family {
        Family::V4 => (
            filtered(link, true),
            "usable IPv4 address (not loopback or link-local)",
        ),
        Family::V6 => (
            filtered(link, false),
            "global IPv6 address (inside 2000::/3)",
        ),
    };
    if addrs.is_empty() {
        return Err(IfaceError::NoAddress {
            name: name.to_string(),
            what,
        });
    }
    match family {
        Family::V4 => preferred(&addrs).ok_or(IfaceError::NoAddress {
            name: name.to_string(),
            what: "IPv4 address that is not deprecated or tentative",
        }),
        Family::V6 => select(&addrs, selector, name),
    }
}

/// Chooses among an interface's qualifying IPv6 addresses as `selector` says.
pub(super) fn select(addrs: &[IfAddr], selector: &str, name: &str) -> Result<IpAddr, IfaceError> {
    let Some(chosen) = explicit(addrs, selector, name)? else {
        return preferred(addrs).ok_or_else(|| IfaceError::NoAddress {
            name: name.to_string(),
            what: "global IPv6 address that is not deprecated or tentative",
        });
    };
    if chosen.flags.tentative {
        return Err(IfaceError::Unusable {
            ip: chosen.ip,
            why: "tentative (duplicate address detection still running)",
        });
    }
    if chosen.flags.dadfailed {
        return Err(IfaceError::Unusable {
            ip: chosen.ip,
            why: "a duplicate (DAD failed)",
        });
    }
    Ok(chosen.ip)
}

/// The address `selector` (`@N` or a regex) picks; None means "use the preferred one".
fn explicit(addrs: &[IfAddr], selector: &str, name: &str) -> Result<Option<IfAddr>, IfaceError> {
    if selector.is_empty() {
        return Ok(None);
    }
    if let Some(n) = selector
        .strip_prefix('@')
        .and_then(|n| n.parse::<i64>().ok())
    {
        if n < 1 {
            return Err(IfaceError::BadIndex(selector.to_string()));
        }
        let found = usize::try_from(n - 1)
            .ok()
            .and_then(|i| addrs.get(i))
            .copied();
        if found.is_none() {
            tracing::warn!(
                "interface {name}: IPv6 address number {n} not found ({} present), using the preferred one",
                addrs.len()
            );
        }
        return Ok(found);
    }
    // Anything else is a regex matched unanchored against each address, first match wins.
    let re = match regex_lite::Regex::new(selector) {
        Ok(re) => re,
        Err(e) => {
            tracing::warn!(
                "interface {name}: ipv6reg {selector:?} is not a valid regex ({e}), using the preferred address"
            );
            return Ok(None);
        }
    };
    let found = addrs
        .iter()
        .find(|a| re.is_match(&a.ip.to_string()))
        .copied();
    if found.is_none() {
        tracing::info!(
            "interface {name}: no IPv6 address matches {selector:?}, using the preferred one"
        );
    }
    Ok(found)
}

/// The first stable address, else the first temporary one; never deprecated or unusable ones.
fn preferred(addrs: &[IfAddr]) -> Option<IpAddr> {
    let ok = |a: &&IfAddr| a.flags.usable() && !a.flags.deprecated;
    let stable = addrs.iter().filter(ok).find(|a| !a.flags.temporary);
    stable.or_else(|| addrs.iter().find(ok)).map(|a| a.ip)
}

/// The link's qualifying addresses of one family, in order.
fn filtered(link: &Link, v4: bool) -> Vec<IfAddr> {
    link.addrs
        .iter()
        .filter(|a| a.ip.is_ipv4() == v4 && interface_usable(a.ip))
        .copied()
        .collect()
}

/// Applies ddns-go's listing rules: up interfaces with at least one qualifying address.
fn qualifying(links: Vec<Link>) -> Vec<InterfaceAddrs> {
    links
        .iter()
        .filter(|l| l.up)
        .map(|l| InterfaceAddrs {
            name: l.name.clone(),
            ipv4: filtered(l, true),
            ipv6: filtered(l, false),
        })
        .filter(|i| !i.ipv4.is_empty() || !i.ipv6.is_empty())
        .collect()
}

#[cfg(target_os = "linux")]
fn snapshot() -> io::Result<Vec<Link>> {
    super::netlink::snapshot()
}

/// Elsewhere getifaddrs (through if-addrs) gives addresses in OS order but no flags.
#[cfg(not(target_os = "linux"))]
fn snapshot() -> io::Result<Vec<Link>> {
    let mut links: Vec<Link> = Vec::new();
    for i in if_addrs::get_if_addrs()? {
        let addr = IfAddr {
            ip: i.ip(),
            flags: AddrFlags::default(),
        };
        let up = i.oper_status != if_addrs::IfOperStatus::Down;
        match links.iter_mut().find(|l| l.name == i.name) {
            Some(l) => l.addrs.push(addr),
            None => links.push(Link {
                name: i.name,
                up,
                addrs: vec![addr],
            }),
        }
    }
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(ip: &str, flags: u32) -> IfAddr {
        IfAddr {
            ip: ip.parse().unwrap(),
            flags: AddrFlags::from_ifa_flags(flags),
        }
    }

    const TEMP: u32 = 0x01;
    const DEPR: u32 = 0x20;
    const TENT: u32 = 0x40;
    const DADF: u32 = 0x08;

    fn pick(addrs: &[IfAddr], sel: &str) -> Result<String, String> {
        select(addrs, sel, "eth0")
            .map(|ip| ip.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn default_prefers_stable_then_temporary_never_deprecated_or_tentative() {
        let addrs = [
            a("2001:1::1", TEMP),
            a("2001:1::2", DEPR),
            a("2001:1::3", TENT),
            a("2001:1::4", 0),
        ];
        assert_eq!(pick(&addrs, "").unwrap(), "2001:1::4");
        assert_eq!(pick(&addrs[..3], "").unwrap(), "2001:1::1");
        let err = pick(&addrs[1..3], "").unwrap_err();
        assert!(err.contains("not deprecated or tentative"), "{err}");
        assert!(pick(&[a("2001:1::5", DADF)], "").is_err());
    }

    #[test]
    fn at_n_counts_in_kernel_order() {
        let addrs = [
            a("2001:1::1", TEMP),
            a("2001:1::2", 0),
            a("2001:1::3", DEPR),
        ];
        assert_eq!(pick(&addrs, "@1").unwrap(), "2001:1::1");
        assert_eq!(pick(&addrs, "@2").unwrap(), "2001:1::2");
        // An explicit choice of a deprecated address is honoured.
        assert_eq!(pick(&addrs, "@3").unwrap(), "2001:1::3");
        // Beyond the count: the preferred address (ddns-go: the first).
        assert_eq!(pick(&addrs, "@9").unwrap(), "2001:1::2");
        // Too large for a number: a regex that matches nothing, so the preferred one too.
        assert_eq!(pick(&addrs, "@99999999999999999999").unwrap(), "2001:1::2");
    }

    #[test]
    fn at_zero_and_negative_are_errors() {
        let addrs = [a("2001:1::1", 0)];
        assert!(pick(&addrs, "@0").unwrap_err().contains("1 or more"));
        assert!(pick(&addrs, "@-2").unwrap_err().contains("1 or more"));
    }

    #[test]
    fn tentative_choice_is_refused() {
        let addrs = [a("2001:1::1", 0), a("2001:1::2", TENT)];
        assert!(pick(&addrs, "@2").unwrap_err().contains("tentative"));
        assert!(pick(&addrs, "::2$").unwrap_err().contains("tentative"));
    }

    #[test]
    fn regex_unanchored_first_match_else_preferred() {
        let addrs = [
            a("2001:1::1", TEMP),
            a("2001:1::abcd", 0),
            a("2001:2::abcd", 0),
        ];
        assert_eq!(pick(&addrs, "abcd").unwrap(), "2001:1::abcd");
        assert_eq!(pick(&addrs, "^2001:2:").unwrap(), "2001:2::abcd");
        assert_eq!(pick(&addrs, "ffff").unwrap(), "2001:1::abcd");
        assert_eq!(pick(&addrs, "(unclosed").unwrap(), "2001:1::abcd");
        // Not "@N": treated as a regex.
        assert_eq!(pick(&addrs, "x@2").unwrap(), "2001:1::abcd");
    }

    #[test]
    fn listing_applies_ddns_go_rules() {
        let links = vec![
            Link {
                name: "lo".into(),
                up: true,
                addrs: vec![a("127.0.0.1", 0), a("::1", 0)],
            },
            Link {
                name: "eth0".into(),
                up: true,
                addrs: vec![
                    a("192.168.1.2", 0),
                    a("fd00::1", 0),
                    a("fe80::1", 0),
                    a("2001:1::1", 0),
                ],
            },
            Link {
                name: "eth1".into(),
                up: false,
                addrs: vec![a("8.8.8.8", 0)],
            },
        ];
        let got = qualifying(links);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "eth0");
        assert_eq!(got[0].ipv4, vec![a("192.168.1.2", 0)]);
        assert_eq!(got[0].ipv6, vec![a("2001:1::1", 0)]);
    }
}
