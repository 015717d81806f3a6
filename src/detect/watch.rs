//! Which network changes matter to which config entry. On Linux a watcher ([`spawn`]) reports
//! address and default-route changes as they happen (see `watch/linux.rs`); elsewhere [`spawn`]
//! returns None and the daemon keeps polling every `-f` seconds.
//!
//! The rules ([`Changes::affects`]): a `netInterface` entry runs when a usable address of its
//! interface (in its family) appears, disappears or changes flags (deprecated, temporary); a
//! `url` or `cmd` entry (or one with agreement `sources`) runs when the default route changes or
//! a global address of its family changes anywhere, since either can change the address the
//! outside world sees.

#[cfg(target_os = "linux")]
mod linux;

use std::net::IpAddr;

use tokio::sync::mpsc;

use super::{AddrFlags, Family};
use crate::config::{Config, IpConf};

#[cfg(target_os = "linux")]
pub use linux::{MAX_BURST, QUIET, Watcher};

/// How an address changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// It became usable (new, or its duplicate address detection finished).
    Added,
    /// It is gone (or no longer usable).
    Removed,
    /// Its flags changed (deprecated, temporary, …); `flags` holds the new ones.
    Flags,
}

/// One address that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrChange {
    /// Interface name.
    pub iface: String,
    /// The address.
    pub ip: IpAddr,
    /// What happened to it.
    pub kind: ChangeKind,
    /// Its flags (the old ones when removed).
    pub flags: AddrFlags,
    /// Whether the address is global unicast (the kind `netInterface` would publish).
    pub global: bool,
}

/// One coalesced burst of network changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Addresses that changed, by interface.
    pub addrs: Vec<AddrChange>,
    /// A default route was added or removed.
    pub default_route: bool,
}

impl Changes {
    /// Nothing that could change a detected address.
    pub fn is_empty(&self) -> bool {
        self.addrs.is_empty() && !self.default_route
    }

    /// Adds `other`'s changes to these.
    pub fn merge(&mut self, other: Changes) {
        self.addrs.extend(other.addrs);
        self.default_route |= other.default_route;
    }

    /// Whether an enabled family configured as `conf` may now detect a different address.
    pub fn affects(&self, conf: &IpConf, family: Family) -> bool {
        if !conf.enable {
            return false;
        }
        let same_family = |a: &&AddrChange| a.ip.is_ipv4() == (family == Family::V4);
        // Agreement sources are remote echoes, like `url`, whatever `gettype` says.
        let kind = if conf.sources.iter().any(|s| !s.trim().is_empty()) {
            "url"
        } else {
            conf.gettype.as_str()
        };
        match kind {
            "netInterface" => self
                .addrs
                .iter()
                .filter(same_family)
                .any(|a| a.iface == conf.netinterface),
            "url" | "cmd" => {
                self.default_route || self.addrs.iter().filter(same_family).any(|a| a.global)
            }
            _ => false,
        }
    }
}

/// Indices of the config entries that should run because of `changes`.
pub fn affected_entries(config: &Config, changes: &Changes) -> Vec<usize> {
    config
        .dnsconf
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            changes.affects(&c.ipv4, Family::V4) || changes.affects(&c.ipv6, Family::V6)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Starts watching for network changes in the background (Linux); None where that is not
/// available, and the daemon keeps polling.
#[cfg(target_os = "linux")]
pub fn spawn() -> Option<mpsc::Receiver<Changes>> {
    linux::spawn()
}

/// Starts watching for network changes in the background (Linux); None where that is not
/// available, and the daemon keeps polling.
#[cfg(not(target_os = "linux"))]
pub fn spawn() -> Option<mpsc::Receiver<Changes>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DnsConfig;

    fn change(iface: &str, ip: &str, global: bool) -> AddrChange {
        AddrChange {
            iface: iface.into(),
            ip: ip.parse().unwrap(),
            kind: ChangeKind::Added,
            flags: AddrFlags::default(),
            global,
        }
    }

    fn entry(v4: (&str, &str), v6: (&str, &str)) -> DnsConfig {
        let mut c = DnsConfig::default();
        for (conf, (gettype, iface)) in [(&mut c.ipv4, v4), (&mut c.ipv6, v6)] {
            conf.enable = !gettype.is_empty();
            conf.gettype = gettype.into();
            conf.netinterface = iface.into();
        }
        c
    }

    #[test]
    fn interface_entries_run_only_for_their_interface_and_family() {
        let config = Config {
            dnsconf: vec![
                entry(("netInterface", "eth0"), ("", "")),
                entry(("", ""), ("netInterface", "eth0")),
                entry(("netInterface", "eth1"), ("netInterface", "eth1")),
            ],
            ..Config::default()
        };
        let v6_on_eth0 = Changes {
            addrs: vec![change("eth0", "2001:db8::1", true)],
            default_route: false,
        };
        assert_eq!(affected_entries(&config, &v6_on_eth0), vec![1]);
        let v4_on_eth1 = Changes {
            addrs: vec![change("eth1", "192.0.2.1", true)],
            default_route: false,
        };
        assert_eq!(affected_entries(&config, &v4_on_eth1), vec![2]);
        let route = Changes {
            addrs: vec![],
            default_route: true,
        };
        assert!(affected_entries(&config, &route).is_empty());
    }

    #[test]
    fn url_and_cmd_entries_run_on_route_or_global_address_changes() {
        let config = Config {
            dnsconf: vec![entry(("url", ""), ("", "")), entry(("", ""), ("cmd", ""))],
            ..Config::default()
        };
        let route = Changes {
            addrs: vec![],
            default_route: true,
        };
        assert_eq!(affected_entries(&config, &route), vec![0, 1]);
        let link_local = Changes {
            addrs: vec![change("eth0", "fe80::1", false)],
            default_route: false,
        };
        assert!(affected_entries(&config, &link_local).is_empty());
        let mut global_v6 = Changes {
            addrs: vec![change("eth0", "2001:db8::7", true)],
            default_route: false,
        };
        assert_eq!(affected_entries(&config, &global_v6), vec![1]);
        global_v6.merge(Changes {
            addrs: vec![change("eth0", "198.51.100.1", true)],
            default_route: false,
        });
        assert_eq!(affected_entries(&config, &global_v6), vec![0, 1]);
        assert!(Changes::default().is_empty());
    }

    #[test]
    fn disabled_families_never_run() {
        let mut c = entry(("netInterface", "eth0"), ("", ""));
        c.ipv4.enable = false;
        let changes = Changes {
            addrs: vec![change("eth0", "192.0.2.1", true)],
            default_route: true,
        };
        assert!(!changes.affects(&c.ipv4, Family::V4));
    }

    #[test]
    fn entries_with_sources_count_as_remote_echoes() {
        let mut c = entry(("netInterface", "eth0"), ("", ""));
        c.ipv4.sources = vec!["dns:google".into(), "dns:opendns".into()];
        let route = Changes {
            addrs: vec![],
            default_route: true,
        };
        assert!(route.affects(&c.ipv4, Family::V4));
    }
}
