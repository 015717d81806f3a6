//! Waiting for the network before the first update (ddns-go §5.3, issues #709, #1626), with a
//! LOCAL check only: a default route (IPv4 or IPv6) or a global address on some interface. No
//! names are looked up, so a broken resolver cannot stall start-up, and the wait is bounded.
//! The web UI is started before this runs, and `-once` never waits.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use tracing::{info, warn};

/// The longest start-up waits for the network.
pub const MAX_WAIT: Duration = Duration::from_secs(120);
/// How often the network is checked while waiting.
pub const EVERY: Duration = Duration::from_secs(2);

/// Whether `/proc/net/route` text has a usable IPv4 default route (destination and mask 0, up).
pub fn has_default_v4(route: &str) -> bool {
    route.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 8
            && f[1] == "00000000"
            && f[7] == "00000000"
            && u32::from_str_radix(f[3], 16).is_ok_and(|fl| fl & 0x1 != 0)
    })
}

/// Whether `/proc/net/ipv6_route` text has a usable IPv6 default route (`::/0`, not the
/// kernel's reject route on `lo`).
pub fn has_default_v6(route: &str) -> bool {
    const RTF_UP: u32 = 0x1;
    const RTF_REJECT: u32 = 0x200;
    route.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 10
            && f[0].bytes().all(|b| b == b'0')
            && f[1] == "00"
            && f[9] != "lo"
            && u32::from_str_radix(f[8], 16)
                .is_ok_and(|fl| fl & RTF_UP != 0 && fl & RTF_REJECT == 0)
    })
}

/// Whether `ip` is a globally routable address (public IPv4, IPv6 global unicast 2000::/3).
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xe000) == 0x2000,
    }
}

/// The local check: a default route in `proc/net/route` or `proc/net/ipv6_route` below
/// `proc_root`, or a global address on an interface.
pub fn network_ready(proc_root: &Path) -> bool {
    let read = |p: &str| std::fs::read_to_string(proc_root.join(p)).unwrap_or_default();
    if has_default_v4(&read("net/route")) || has_default_v6(&read("net/ipv6_route")) {
        return true;
    }
    if_addrs::get_if_addrs()
        .map(|l| l.iter().any(|i| is_global(i.ip())))
        .unwrap_or(false)
}

/// Waits until `ready()` holds, checking every `every`, for at most `max`. Logs once when it
/// has to wait and once when it stops waiting. Returns whether the network came up.
pub async fn wait_for_network(ready: impl Fn() -> bool, max: Duration, every: Duration) -> bool {
    if ready() {
        return true;
    }
    info!(
        "Waiting for the network (no default route and no global address yet); the first update \
         starts when it is up, or after {}s at the latest",
        max.as_secs()
    );
    let start = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(every).await;
        if ready() {
            info!("The network is up; starting the first update");
            return true;
        }
        if start.elapsed() >= max {
            warn!(
                "Still no default route or global address after {}s; starting anyway",
                max.as_secs()
            );
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE_V4: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
        eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";
    const DEFAULT_V4: &str = "eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
    const V6_REJECT: &str = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000001 00200200 lo\n";
    const V6_DEFAULT: &str = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003 eth0\n";

    #[test]
    fn default_routes_are_recognised() {
        assert!(!has_default_v4(ROUTE_V4));
        assert!(has_default_v4(&format!("{ROUTE_V4}{DEFAULT_V4}")));
        assert!(!has_default_v4(""));
        assert!(!has_default_v6(V6_REJECT));
        assert!(has_default_v6(&format!("{V6_REJECT}{V6_DEFAULT}")));
    }

    #[test]
    fn global_addresses() {
        for (a, g) in [
            ("8.8.8.8", true),
            ("10.0.0.1", false),
            ("192.168.1.1", false),
            ("100.64.0.1", false),
            ("169.254.1.1", false),
            ("127.0.0.1", false),
            ("2001:db8::1", true),
            ("fe80::1", false),
            ("fd00::1", false),
            ("::1", false),
        ] {
            assert_eq!(is_global(a.parse().unwrap()), g, "{a}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waits_until_ready_and_gives_up_after_the_bound() {
        let calls = std::cell::Cell::new(0);
        let up = wait_for_network(
            || {
                calls.set(calls.get() + 1);
                calls.get() >= 3
            },
            MAX_WAIT,
            EVERY,
        )
        .await;
        assert!(up);
        assert_eq!(calls.get(), 3);
        let start = tokio::time::Instant::now();
        assert!(!wait_for_network(|| false, MAX_WAIT, EVERY).await);
        assert!(start.elapsed() >= MAX_WAIT && start.elapsed() < MAX_WAIT + EVERY * 2);
    }
}
