//! Where connections come from: the `httpinterface` binding (source address plus, on Linux,
//! `SO_BINDTODEVICE`, like `curl --interface`; spec §5.2).
//!
//! Not here: which interface address is *published* (that is `detect`).

use std::net::IpAddr;

use super::dns::is_family;
use crate::detect::Family;

/// How a client is tied to an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Binding {
    /// Source address of every connection of the matching family.
    pub(super) local: IpAddr,
    /// Device to bind to (`SO_BINDTODEVICE`), when the platform and privileges allow it.
    pub(super) device: Option<String>,
}

/// Works out the binding for `name`: its first global-unicast address of `family` (either
/// family when `None`). `Err` says why the interface cannot be used.
pub(super) fn binding(name: &str, family: Option<Family>) -> Result<Binding, String> {
    let all =
        if_addrs::get_if_addrs().map_err(|e| format!("cannot list network interfaces: {e}"))?;
    let addrs: Vec<IpAddr> = all
        .iter()
        .filter(|i| i.name == name)
        .map(|i| i.ip())
        .collect();
    if addrs.is_empty() && !device_exists(name) {
        return Err("no such network interface".into());
    }
    let local = pick_address(&addrs, family).ok_or_else(|| {
        let which = family.map_or("global unicast", |f| f.label());
        format!("the interface has no {which} address")
    })?;
    Ok(Binding {
        local,
        device: bindable_device(name, local),
    })
}

/// The first usable source address of `family` (any family when `None`), in interface order.
pub(super) fn pick_address(addrs: &[IpAddr], family: Option<Family>) -> Option<IpAddr> {
    addrs
        .iter()
        .copied()
        .filter(|ip| family.is_none_or(|f| is_family(*ip, f)))
        .find(|ip| is_global_unicast(*ip))
}

/// Go's `IP.IsGlobalUnicast`: anything but unspecified, loopback, multicast, link-local and the
/// IPv4 broadcast address (private and ULA ranges count, as in ddns-go).
pub(super) fn is_global_unicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_multicast()
                || v4.is_link_local()
                || v4.is_broadcast())
        }
        IpAddr::V6(v6) => {
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || v6.is_unicast_link_local())
        }
    }
}

#[cfg(target_os = "linux")]
fn device_exists(name: &str) -> bool {
    // An interface without addresses is missing from getifaddrs' list; /proc/net/dev lists
    // every device of this process's network namespace (unlike /sys, which may be the host's).
    std::fs::read_to_string("/proc/net/dev")
        .map(|dev| {
            dev.lines()
                .filter_map(|l| l.split_once(':'))
                .any(|(n, _)| n.trim() == name)
        })
        .unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
fn device_exists(_name: &str) -> bool {
    false
}

/// `Some(name)` when `SO_BINDTODEVICE` works here; it needs CAP_NET_RAW, and ddns-go then
/// binds the source address only, so a probe socket tells before any request fails.
#[cfg(target_os = "linux")]
fn bindable_device(name: &str, local: IpAddr) -> Option<String> {
    use socket2::{Domain, Socket, Type};
    let domain = if local.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let probe =
        Socket::new(domain, Type::STREAM, None).and_then(|s| s.bind_device(Some(name.as_bytes())));
    match probe {
        Ok(()) => Some(name.to_string()),
        Err(e) => {
            tracing::warn!(
                "cannot bind to device {name} ({e}); binding the source address {local} only"
            );
            None
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn bindable_device(_name: &str, _local: IpAddr) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn global_unicast_matches_go() {
        for yes in [
            "192.168.1.2",
            "10.0.0.1",
            "8.8.8.8",
            "2001:db8::1",
            "fd00::1",
        ] {
            assert!(is_global_unicast(yes.parse().unwrap()), "{yes}");
        }
        for no in [
            "0.0.0.0",
            "127.0.0.1",
            "169.254.1.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::1",
            "ff02::1",
        ] {
            assert!(!is_global_unicast(no.parse().unwrap()), "{no}");
        }
    }

    #[test]
    fn pick_address_respects_family_and_order() {
        let list = ips(&[
            "fe80::1",
            "127.0.0.1",
            "2001:db8::5",
            "192.0.2.4",
            "192.0.2.9",
        ]);
        assert_eq!(
            pick_address(&list, None),
            Some("2001:db8::5".parse().unwrap())
        );
        assert_eq!(
            pick_address(&list, Some(Family::V4)),
            Some("192.0.2.4".parse().unwrap())
        );
        assert_eq!(
            pick_address(&list, Some(Family::V6)),
            Some("2001:db8::5".parse().unwrap())
        );
        assert_eq!(
            pick_address(&ips(&["fe80::1", "10.0.0.1"]), Some(Family::V6)),
            None
        );
    }

    #[test]
    fn missing_interface_is_reported() {
        let err = binding("ddnsrs-nonexistent0", None).unwrap_err();
        assert!(err.contains("no such network interface"), "{err}");
    }

    #[test]
    fn loopback_has_no_global_address() {
        if let Err(err) = binding("lo", Some(Family::V4)) {
            assert!(err.contains("no IPv4 address"), "{err}");
        } else {
            panic!("lo must not give a global-unicast source address");
        }
    }
}
