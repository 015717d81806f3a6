//! Event-driven detection on Linux: listens to rtnetlink address and route notifications and
//! tells the daemon which config entries to run at once, instead of waiting for the next `-f`
//! tick (which stays as the safety net).
//!
//! Notifications are only a wake-up: after a burst has settled (a [`QUIET`] gap, at most
//! [`MAX_BURST`] after the first event) the watcher takes a fresh dump with the same parser as
//! `netInterface` detection and compares it with the previous one. That makes the result exact
//! even when notifications were lost (ENOBUFS: the kernel's queue overflowed) and hides
//! intermediate states: an IPv6 address that is still tentative (duplicate address detection
//! running) does not count; the kernel announces it again once it is usable.
//!
//! Not here: deciding what to publish (that is `detect` proper) or running entries (`sync`).

use std::collections::BTreeMap;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use netlink_packet_core::NetlinkBuffer;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout_at};

use super::{AddrChange, ChangeKind, Changes};
use crate::detect::iface::{AddrFlags, Link};
use crate::detect::validate::interface_usable;

/// A burst ends after this long without a new notification. Short, because it is most of the
/// reaction time (issue 6 budgets 100 ms from `ip addr add` to the provider request); the tools
/// that renumber (DHCP clients, pppd, `ip`) send a prefix change's removal and addition within
/// a few milliseconds. A burst split anyway costs one run that finds no address (and publishes
/// nothing), then the run that publishes the new one.
pub const QUIET: Duration = Duration::from_millis(50);
/// A burst is cut off this long after its first notification, so a flapping link cannot
/// postpone a run forever.
pub const MAX_BURST: Duration = Duration::from_secs(2);

const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const RTM_NEWROUTE: u16 = 24;
const RTM_DELROUTE: u16 = 25;
const RT_TABLE_MAIN: u8 = 254;
const RTN_UNICAST: u8 = 1;
/// Notification groups: IPv4/IPv6 addresses and routes (`RTMGRP_*` in `linux/rtnetlink.h`).
const GROUPS: u32 = 0x10 | 0x40 | 0x100 | 0x400;
/// Room for one notification datagram (they are small; a dump reply is not read here).
const RECV_BUF: usize = 32 * 1024;

/// What one batch of notifications was about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Wake {
    /// An address was added, removed or changed somewhere.
    addr: bool,
    /// A default route in the main table was added or removed.
    default_route: bool,
    /// Notifications were lost: compare a fresh dump.
    overrun: bool,
}

impl Wake {
    fn any(self) -> bool {
        self.addr || self.default_route || self.overrun
    }
    fn merge(&mut self, o: Wake) {
        self.addr |= o.addr;
        self.default_route |= o.default_route;
        self.overrun |= o.overrun;
    }
}

/// A subscribed rtnetlink socket and the last dump it was compared with.
pub struct Watcher {
    fd: AsyncFd<Socket>,
    buf: Vec<u8>,
    last: Vec<Link>,
}

impl Watcher {
    /// Subscribes to address and route notifications and takes the first dump (the baseline).
    /// Must be called inside a tokio runtime; the socket belongs to the caller's network
    /// namespace.
    pub fn new() -> io::Result<Watcher> {
        Watcher::with_receive_buffer(None)
    }

    /// As [`Watcher::new`], with the socket's receive buffer set to `bytes` (the kernel default
    /// when None). A small buffer overflows sooner; the watcher then compares a fresh dump.
    pub fn with_receive_buffer(bytes: Option<usize>) -> io::Result<Watcher> {
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        if let Some(bytes) = bytes {
            socket.set_rx_buf_sz(bytes)?;
        }
        socket.bind(&SocketAddr::new(0, GROUPS))?;
        socket.set_non_blocking(true)?;
        // SAFETY: `register` is unsafe only because the fd must stay open and unchanged while
        // registered; the `Socket` owns it, closes it only on drop, and `AsyncFd` owns the
        // `Socket` (deregistering before the drop), so nothing else can close or replace it.
        let fd = unsafe { AsyncFd::register(socket)? };
        // Subscribe first, dump second: a change in between shows up as a notification.
        let last = crate::detect::netlink::snapshot()?;
        Ok(Watcher {
            fd,
            buf: Vec::with_capacity(RECV_BUF),
            last,
        })
    }

    /// Waits for the next burst of changes that matters and describes it. Notifications that
    /// change nothing usable (a tentative address, a route other than the default) are skipped.
    pub async fn next(&mut self) -> io::Result<Changes> {
        loop {
            let mut wake = Wake::default();
            while !wake.any() {
                wake = self.read().await?;
            }
            let end = Instant::now() + MAX_BURST;
            loop {
                let quiet = (Instant::now() + QUIET).min(end);
                match timeout_at(quiet, self.read()).await {
                    Ok(w) => wake.merge(w?),
                    Err(_) => break,
                }
                if Instant::now() >= end {
                    break;
                }
            }
            let now = crate::detect::netlink::snapshot()?;
            let addrs = diff(&self.last, &now);
            self.last = now;
            let changes = Changes {
                addrs,
                // Lost notifications may have included a route change: assume one.
                default_route: wake.default_route || wake.overrun,
            };
            if !changes.is_empty() {
                return Ok(changes);
            }
        }
    }

    /// Reads one datagram of notifications.
    async fn read(&mut self) -> io::Result<Wake> {
        loop {
            let mut guard = self.fd.readable().await?;
            let buf = &mut self.buf;
            let got = guard.try_io(|s| {
                buf.clear();
                // MSG_TRUNC: the datagram's real size is returned, so truncation is visible.
                s.get_ref().recv(buf, libc::MSG_TRUNC)
            });
            match got {
                Ok(Ok(n)) if n > self.buf.len() => return Ok(overrun()),
                Ok(Ok(_)) => return Ok(classify(&self.buf)),
                Ok(Err(e)) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    tracing::debug!("netlink notifications were lost; comparing a fresh dump");
                    return Ok(overrun());
                }
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
    }
}

fn overrun() -> Wake {
    Wake {
        overrun: true,
        ..Wake::default()
    }
}

/// Starts a task that sends each burst of changes to the returned channel; None (keep polling)
/// when the socket cannot be opened, which is logged.
pub fn spawn() -> Option<mpsc::Receiver<Changes>> {
    let mut watcher = match Watcher::new() {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(
                "Cannot watch network changes ({e}); addresses are checked every -f interval only"
            );
            return None;
        }
    };
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            match watcher.next().await {
                Ok(c) => {
                    if tx.send(c).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(
                        "Watching network changes failed ({e}); addresses are checked every -f \
                         interval only"
                    );
                    return;
                }
            }
        }
    });
    Some(rx)
}

/// Classifies the notifications in one datagram. Malformed input ends the scan; it is never
/// a panic.
fn classify(datagram: &[u8]) -> Wake {
    let mut wake = Wake::default();
    let mut rest = datagram;
    while let Ok(msg) = NetlinkBuffer::new_checked(rest) {
        let len = msg.length() as usize;
        match msg.message_type() {
            RTM_NEWADDR | RTM_DELADDR => wake.addr = true,
            RTM_NEWROUTE | RTM_DELROUTE => wake.default_route |= is_default_route(msg.payload()),
            _ => {}
        }
        let next = len.next_multiple_of(4).min(rest.len());
        rest = &rest[next..];
    }
    wake
}

/// Whether an `rtmsg` describes a default route (prefix length 0) of the main table.
fn is_default_route(rtmsg: &[u8]) -> bool {
    // rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags (u32).
    match rtmsg.get(..8) {
        Some(h) => h[1] == 0 && h[4] == RT_TABLE_MAIN && h[7] == RTN_UNICAST,
        None => false,
    }
}

/// Usable addresses (not tentative, not failed DAD) per interface name.
fn usable(links: &[Link]) -> BTreeMap<&str, BTreeMap<IpAddr, AddrFlags>> {
    links
        .iter()
        .map(|l| {
            let addrs = l
                .addrs
                .iter()
                .filter(|a| a.flags.usable())
                .map(|a| (a.ip, a.flags))
                .collect();
            (l.name.as_str(), addrs)
        })
        .collect()
}

/// What changed between two dumps, interface by interface.
fn diff(old: &[Link], new: &[Link]) -> Vec<AddrChange> {
    let (old, new) = (usable(old), usable(new));
    let empty = BTreeMap::new();
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    for name in names {
        let before = old.get(name).unwrap_or(&empty);
        let after = new.get(name).unwrap_or(&empty);
        let change = |ip: IpAddr, kind: ChangeKind, flags: AddrFlags| AddrChange {
            iface: name.to_string(),
            ip,
            kind,
            flags,
            global: interface_usable(ip),
        };
        for (ip, flags) in before {
            match after.get(ip) {
                None => out.push(change(*ip, ChangeKind::Removed, *flags)),
                Some(f) if f != flags => out.push(change(*ip, ChangeKind::Flags, *f)),
                Some(_) => {}
            }
        }
        for (ip, flags) in after {
            if !before.contains_key(ip) {
                out.push(change(*ip, ChangeKind::Added, *flags));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::iface::IfAddr;

    fn link(name: &str, addrs: &[(&str, u32)]) -> Link {
        Link {
            name: name.into(),
            up: true,
            addrs: addrs
                .iter()
                .map(|(ip, f)| IfAddr {
                    ip: ip.parse().unwrap(),
                    flags: AddrFlags::from_ifa_flags(*f),
                })
                .collect(),
        }
    }

    fn kinds(c: &[AddrChange]) -> Vec<(String, String, ChangeKind)> {
        c.iter()
            .map(|a| (a.iface.clone(), a.ip.to_string(), a.kind))
            .collect()
    }

    #[test]
    fn diff_reports_added_removed_and_flag_changes_per_interface() {
        let old = [
            link("eth0", &[("192.0.2.1", 0), ("2001:db8::1", 0)]),
            link("eth1", &[("2001:db8::9", 0)]),
        ];
        let new = [
            link("eth0", &[("192.0.2.2", 0), ("2001:db8::1", 0x20)]),
            link("eth1", &[("2001:db8::9", 0)]),
        ];
        let got = kinds(&diff(&old, &new));
        assert_eq!(
            got,
            vec![
                ("eth0".into(), "192.0.2.1".into(), ChangeKind::Removed),
                ("eth0".into(), "2001:db8::1".into(), ChangeKind::Flags),
                ("eth0".into(), "192.0.2.2".into(), ChangeKind::Added),
            ]
        );
    }

    #[test]
    fn tentative_addresses_do_not_count_until_usable() {
        let base = [link("eth0", &[])];
        let tentative = [link("eth0", &[("2001:db8::5", 0x40)])];
        assert!(diff(&base, &tentative).is_empty());
        let usable = [link("eth0", &[("2001:db8::5", 0)])];
        assert_eq!(
            kinds(&diff(&tentative, &usable)),
            vec![("eth0".into(), "2001:db8::5".into(), ChangeKind::Added)]
        );
    }

    #[test]
    fn a_vanished_interface_removes_its_addresses() {
        let got = diff(&[link("ppp0", &[("100.64.0.1", 0)])], &[]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, ChangeKind::Removed);
        assert!(got[0].global);
    }

    fn nlmsg(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = ((16 + payload.len()) as u32).to_ne_bytes().to_vec();
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(&[0; 10]);
        out.extend_from_slice(payload);
        out.resize(out.len().next_multiple_of(4), 0);
        out
    }

    #[test]
    fn classify_finds_address_and_default_route_events() {
        let default = [10, 0, 0, 0, RT_TABLE_MAIN, 3, 0, RTN_UNICAST, 0, 0, 0, 0];
        let prefix = [10, 64, 0, 0, RT_TABLE_MAIN, 2, 0, RTN_UNICAST, 0, 0, 0, 0];
        let local = [2, 0, 0, 0, 255, 2, 0, 2, 0, 0, 0, 0];
        assert_eq!(classify(&nlmsg(RTM_NEWROUTE, &prefix)), Wake::default());
        assert_eq!(classify(&nlmsg(RTM_DELROUTE, &local)), Wake::default());
        let mut both = nlmsg(RTM_NEWADDR, &[0; 8]);
        both.extend(nlmsg(RTM_DELROUTE, &default));
        let w = classify(&both);
        assert!(w.addr && w.default_route && !w.overrun);
    }

    #[test]
    fn classify_survives_garbage() {
        assert!(!classify(&[]).any());
        assert!(!classify(&[1, 2, 3]).any());
        // A header claiming more bytes than there are.
        let mut m = nlmsg(RTM_NEWADDR, &[0; 8]);
        m[0] = 200;
        assert!(!classify(&m).any());
        // A route message too short to hold an rtmsg.
        assert!(!classify(&nlmsg(RTM_NEWROUTE, &[0, 0])).any());
    }
}
