//! Who may use the web UI: LAN detection from the socket address, sessions (random 256-bit
//! tokens, one per browser, with an expiry), and login throttling (per-address lockout plus a
//! global ceiling). Pure state machines over an injectable clock, so tests need no sleeping.
//!
//! Not here: HTTP (see `routes`), the CSRF and header rules (see `guard`).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A source of "now" (the system clock in production, a hand-moved one in tests).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Instant + Send + Sync>);

impl Clock {
    /// The monotonic system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Instant::now))
    }
    /// A clock reading `f`.
    pub fn from_fn(f: impl Fn() -> Instant + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }
    /// The current instant.
    pub fn now(&self) -> Instant {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// ddns-go's "private network": loopback, RFC 1918, ULA and link-local (CGNAT is public).
/// IPv4-mapped IPv6 addresses (a dual-stack socket's view of IPv4 clients) are judged as IPv4.
pub fn is_lan(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_lan(IpAddr::V4(v4)),
            None => {
                let seg0 = v6.segments()[0];
                v6.is_loopback() || (seg0 & 0xfe00) == 0xfc00 || (seg0 & 0xffc0) == 0xfe80
            }
        },
    }
}

/// Normalises a client address for throttling: IPv4 (mapped or not) as is, IPv6 by its /64
/// (one subscriber usually holds a whole /64, so per-address counting would be trivial to dodge).
pub fn throttle_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Session lifetime: 1 day, or 30 days when WAN access is off (as ddns-go).
pub fn session_lifetime(not_allow_wan_access: bool) -> Duration {
    Duration::from_secs(if not_allow_wan_access { 30 } else { 1 } * 24 * 3600)
}

/// Most sessions kept at once; the oldest is dropped beyond this.
pub const MAX_SESSIONS: usize = 32;

/// A session token: 32 random bytes, shown as 64 hex characters in the cookie.
pub type Token = [u8; 32];

/// The live sessions.
#[derive(Debug, Default)]
pub struct Sessions {
    live: Vec<(Token, Instant)>,
}

/// Compares in time independent of where the first difference is.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Sessions {
    /// Starts a session valid for `lifetime`; returns its token (hex), or None when the OS gave
    /// no randomness.
    pub fn create(&mut self, now: Instant, lifetime: Duration) -> Option<String> {
        let mut token: Token = [0; 32];
        getrandom::fill(&mut token).ok()?;
        self.live.retain(|(_, exp)| *exp > now);
        if self.live.len() >= MAX_SESSIONS {
            self.live.remove(0);
        }
        self.live.push((token, now + lifetime));
        Some(hex::encode(token))
    }

    /// Whether `cookie` names a live session. Every stored token is compared, in constant time.
    pub fn valid(&self, cookie: &str, now: Instant) -> bool {
        let Some(token) = parse_token(cookie) else {
            return false;
        };
        let mut found = false;
        for (t, exp) in &self.live {
            found |= ct_eq(t, &token) & (*exp > now);
        }
        found
    }

    /// Ends the session `cookie` names (logout).
    pub fn end(&mut self, cookie: &str) {
        if let Some(token) = parse_token(cookie) {
            self.live.retain(|(t, _)| !ct_eq(t, &token));
        }
    }

    /// Ends every session except `keep` (after the account changed).
    pub fn end_others(&mut self, keep: Option<&str>) {
        let keep = keep.and_then(parse_token);
        self.live
            .retain(|(t, _)| keep.as_ref().is_some_and(|k| ct_eq(t, k)));
    }

    /// Number of sessions stored (expired ones included until the next login prunes them).
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// True when no session is stored.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }
}

fn parse_token(cookie: &str) -> Option<Token> {
    let bytes = hex::decode(cookie.trim()).ok()?;
    bytes.try_into().ok()
}

/// Failures from one address before it is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a lockout lasts (re-armed by every attempt during it).
pub const LOCKOUT: Duration = Duration::from_secs(30 * 60);
/// Failures from all addresses within [`LOCKOUT`] that lock out every non-LAN address.
pub const GLOBAL_CEILING: usize = 50;
/// Addresses tracked at once; the stalest are forgotten beyond this.
const MAX_TRACKED: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Strikes {
    failures: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

/// Login throttling.
#[derive(Debug, Default)]
pub struct Throttle {
    by_addr: HashMap<IpAddr, Strikes>,
    recent: VecDeque<Instant>,
}

/// Why a login attempt is refused before the password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This address failed too often.
    Locked,
    /// Too many failures from everywhere; non-LAN logins are paused.
    Global,
}

impl Throttle {
    /// Whether `ip` may try now. A refused attempt counts as a failure and re-arms the lock,
    /// as in ddns-go.
    pub fn check(&mut self, ip: IpAddr, now: Instant) -> Result<(), Refusal> {
        self.drain(now);
        let key = throttle_key(ip);
        if let Some(s) = self.by_addr.get_mut(&key) {
            match s.locked_until {
                Some(until) if now < until => {
                    s.failures = s.failures.saturating_add(1);
                    s.locked_until = Some(now + LOCKOUT);
                    s.last = now;
                    return Err(Refusal::Locked);
                }
                Some(_) => {
                    // The lock ran out: one more failure locks again (ddns-go sets 4).
                    s.locked_until = None;
                    s.failures = MAX_FAILURES - 1;
                    s.last = now;
                }
                None => {}
            }
        }
        if self.recent.len() >= GLOBAL_CEILING && !is_lan(ip) {
            return Err(Refusal::Global);
        }
        Ok(())
    }

    /// Records a wrong username or password from `ip`.
    pub fn failed(&mut self, ip: IpAddr, now: Instant) {
        self.drain(now);
        self.recent.push_back(now);
        let oldest = (self.by_addr.len() >= MAX_TRACKED)
            .then(|| {
                self.by_addr
                    .iter()
                    .min_by_key(|(_, s)| s.last)
                    .map(|(k, _)| *k)
            })
            .flatten();
        if let Some(oldest) = oldest {
            self.by_addr.remove(&oldest);
        }
        let s = self.by_addr.entry(throttle_key(ip)).or_insert(Strikes {
            failures: 0,
            locked_until: None,
            last: now,
        });
        s.failures = s.failures.saturating_add(1);
        s.last = now;
        if s.failures >= MAX_FAILURES {
            s.locked_until = Some(now + LOCKOUT);
        }
    }

    /// Records a successful login from `ip`: its count starts over.
    pub fn succeeded(&mut self, ip: IpAddr) {
        self.by_addr.remove(&throttle_key(ip));
    }

    fn drain(&mut self, now: Instant) {
        while self
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= LOCKOUT)
        {
            self.recent.pop_front();
        }
        // Forget addresses that are not active: a lock is remembered for one more LOCKOUT after
        // it ends, so that one more failure then locks again (ddns-go's rule).
        self.by_addr.retain(|_, s| {
            let lock_remembered = s.locked_until.is_some_and(|u| now < u + LOCKOUT);
            lock_remembered || now.saturating_duration_since(s.last) < LOCKOUT
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn lan_ranges() {
        for lan in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.1.1",
            "::1",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "::ffff:192.168.1.5",
        ] {
            assert!(is_lan(ip(lan)), "{lan}");
        }
        for wan in [
            "8.8.8.8",
            "100.64.0.1",
            "172.32.0.1",
            "2001:db8::1",
            "::ffff:8.8.8.8",
            "fec0::1",
        ] {
            assert!(!is_lan(ip(wan)), "{wan}");
        }
    }

    #[test]
    fn sessions_are_per_browser_and_expire() {
        let t0 = Instant::now();
        let mut s = Sessions::default();
        let a = s.create(t0, Duration::from_secs(10)).unwrap();
        let b = s.create(t0, Duration::from_secs(100)).unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(s.valid(&a, t0) && s.valid(&b, t0));
        assert!(!s.valid(&a, t0 + Duration::from_secs(10)));
        assert!(s.valid(&b, t0 + Duration::from_secs(10)));
        assert!(!s.valid("zz", t0));
        assert!(!s.valid(&"0".repeat(64), t0));
        s.end(&b);
        assert!(!s.valid(&b, t0));
        assert!(s.valid(&a, t0));
        s.end_others(None);
        assert!(s.is_empty());
    }

    #[test]
    fn lockout_per_address_then_one_more_failure_relocks() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        let bad = ip("203.0.113.9");
        let owner = ip("198.51.100.7");
        for _ in 0..MAX_FAILURES {
            assert_eq!(t.check(bad, t0), Ok(()));
            t.failed(bad, t0);
        }
        assert_eq!(t.check(bad, t0), Err(Refusal::Locked));
        assert_eq!(t.check(owner, t0), Ok(()));
        // The refused attempt at t0 re-armed the lock to t0 + 30 min.
        let later = t0 + LOCKOUT + Duration::from_secs(1);
        assert_eq!(t.check(bad, later), Ok(()));
        t.failed(bad, later);
        assert_eq!(t.check(bad, later), Err(Refusal::Locked));
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        for i in 0..MAX_FAILURES {
            t.failed(ip(&format!("2001:db8:1:2::{}", i + 1)), t0);
        }
        assert_eq!(t.check(ip("2001:db8:1:2::99"), t0), Err(Refusal::Locked));
        assert_eq!(t.check(ip("2001:db8:1:3::1"), t0), Ok(()));
    }

    #[test]
    fn global_ceiling_spares_the_lan() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        for i in 0..GLOBAL_CEILING {
            t.failed(ip(&format!("198.18.{}.{}", i / 200, i % 200 + 1)), t0);
        }
        assert_eq!(t.check(ip("203.0.113.1"), t0), Err(Refusal::Global));
        assert_eq!(t.check(ip("192.168.1.20"), t0), Ok(()));
        assert_eq!(t.check(ip("203.0.113.1"), t0 + LOCKOUT), Ok(()));
    }
}
