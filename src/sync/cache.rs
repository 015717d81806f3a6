//! ddns-go's IP cache (spec §6.2): an unchanged address is compared with the provider only
//! every `cacheTimes + 1` runs; a change, a failure or a config save resets it.

use std::net::IpAddr;

/// Per config entry and address family.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpCache {
    addr: Option<IpAddr>,
    times: u32,
}

impl IpCache {
    /// True when the provider must be consulted for `addr` this run: the address changed, or
    /// the countdown ran out (then it restarts at `cache_times + 1`). Otherwise counts down.
    pub fn check(&mut self, addr: IpAddr, cache_times: u32) -> bool {
        if self.addr != Some(addr) || self.times <= 1 {
            self.addr = Some(addr);
            self.times = cache_times.saturating_add(1);
            true
        } else {
            self.times -= 1;
            false
        }
    }

    /// Runs left before the provider is consulted again.
    pub fn remaining(&self) -> u32 {
        self.times
    }

    /// Forgets everything, so the next run consults the provider.
    pub fn reset(&mut self) {
        *self = IpCache::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn unchanged_address_is_compared_every_n_plus_one_runs() {
        let mut c = IpCache::default();
        let a = ip("8.8.8.8");
        // cacheTimes 5: compare on run 1, skip runs 2..=6, compare on run 7.
        let pattern: Vec<bool> = (0..13).map(|_| c.check(a, 5)).collect();
        assert_eq!(
            pattern,
            vec![
                true, false, false, false, false, false, true, false, false, false, false, false,
                true
            ]
        );
    }

    #[test]
    fn change_and_reset_force_a_compare() {
        let mut c = IpCache::default();
        assert!(c.check(ip("8.8.8.8"), 5));
        assert!(!c.check(ip("8.8.8.8"), 5));
        assert!(c.check(ip("1.1.1.1"), 5));
        assert!(!c.check(ip("1.1.1.1"), 5));
        c.reset();
        assert!(c.check(ip("1.1.1.1"), 5));
    }

    #[test]
    fn zero_cache_times_compares_every_run() {
        let mut c = IpCache::default();
        let a = ip("8.8.8.8");
        assert!((0..5).all(|_| c.check(a, 0)));
    }
}
