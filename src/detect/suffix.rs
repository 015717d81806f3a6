//! A LAN host on a moving IPv6 prefix: keep the first `prefixlen` bits of the detected address
//! (the prefix the ISP delegated, which changes) and put a fixed interface identifier in the
//! rest (the host's, which does not). Configured by the `ipv6` section's ddns-rs-only keys
//! `suffix` and `prefixlen` (see docs/configuration.md).
//!
//! Not here: finding the detected address (the other `detect` modules) or deciding to publish.

use std::net::Ipv6Addr;

use crate::config::IpConf;

/// Prefix length used when `prefixlen` is empty: the usual LAN /64.
pub const DEFAULT_PREFIX_LEN: u8 = 64;

/// A parsed `suffix` / `prefixlen` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostSuffix {
    /// Bits kept from the detected address (1..=127).
    pub prefix_len: u8,
    /// The interface identifier; only its last `128 - prefix_len` bits are set.
    pub suffix: Ipv6Addr,
}

/// Why `suffix` / `prefixlen` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuffixError {
    /// `prefixlen` is not a number from 1 to 127.
    #[error("ipv6 prefixlen {0:?} is not a prefix length: write a number from 1 to 127, e.g. 64")]
    PrefixLen(String),
    /// `suffix` is not IPv6 address text.
    #[error(
        "ipv6 suffix {0:?} is not an interface identifier: write it as an IPv6 address with the \
         prefix left out, e.g. ::1234:5678"
    )]
    Syntax(String),
    /// `suffix` is all zero: it would publish the subnet-router anycast address.
    #[error("ipv6 suffix {0:?} is zero: give the host's interface identifier, e.g. ::1234:5678")]
    Zero(String),
    /// `suffix` has bits inside the prefix, which the detected prefix would overwrite.
    #[error(
        "ipv6 suffix {suffix:?} has bits inside the first {prefix_len} bits (the prefix): leave \
         the prefix out, e.g. ::1234:5678, or set a shorter prefixlen"
    )]
    Overlaps {
        /// The suffix as written.
        suffix: String,
        /// The prefix length in force.
        prefix_len: u8,
    },
}

impl HostSuffix {
    /// Parses the two config values. `Ok(None)` when `suffix` is empty (feature off).
    pub fn parse(suffix: &str, prefix_len: &str) -> Result<Option<HostSuffix>, SuffixError> {
        let suffix = suffix.trim();
        if suffix.is_empty() {
            return Ok(None);
        }
        let prefix_len = match prefix_len.trim() {
            "" => DEFAULT_PREFIX_LEN,
            text => text
                .strip_prefix('/')
                .unwrap_or(text)
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=127).contains(n))
                .ok_or_else(|| SuffixError::PrefixLen(text.to_string()))?,
        };
        let addr: Ipv6Addr = suffix
            .parse()
            .map_err(|_| SuffixError::Syntax(suffix.to_string()))?;
        let bits = u128::from(addr);
        if bits == 0 {
            return Err(SuffixError::Zero(suffix.to_string()));
        }
        if bits & prefix_mask(prefix_len) != 0 {
            return Err(SuffixError::Overlaps {
                suffix: suffix.to_string(),
                prefix_len,
            });
        }
        Ok(Some(HostSuffix {
            prefix_len,
            suffix: addr,
        }))
    }

    /// The `ipv6` section's suffix setting.
    pub fn from_conf(conf: &IpConf) -> Result<Option<HostSuffix>, SuffixError> {
        HostSuffix::parse(&conf.suffix, &conf.prefixlen)
    }

    /// `detected`'s prefix followed by the suffix.
    pub fn apply(&self, detected: Ipv6Addr) -> Ipv6Addr {
        let mask = prefix_mask(self.prefix_len);
        Ipv6Addr::from((u128::from(detected) & mask) | (u128::from(self.suffix) & !mask))
    }
}

/// The first `len` bits set (`len` ≤ 128).
fn prefix_mask(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn keeps_the_prefix_and_replaces_the_host_bits() {
        let s = HostSuffix::parse("::1234:5678", "").unwrap().unwrap();
        assert_eq!(s.prefix_len, 64);
        assert_eq!(
            s.apply(v6("2a02:8071:aa:b200:1c2d:3eff:fe4f:5a6b")),
            v6("2a02:8071:aa:b200::1234:5678")
        );
        // A shorter delegated prefix: the subnet bits come from the suffix.
        let s = HostSuffix::parse("::12:0:0:1234:5678", "56")
            .unwrap()
            .unwrap();
        assert_eq!(
            s.apply(v6("2a02:8071:aa:b2ff:1:2:3:4")),
            v6("2a02:8071:aa:b212::1234:5678")
        );
        // Not on a 16-bit boundary.
        let s = HostSuffix::parse("::7", "/125").unwrap().unwrap();
        assert_eq!(s.prefix_len, 125);
        assert_eq!(s.apply(v6("2606:4700::ff")), v6("2606:4700::ff"));
        assert_eq!(s.apply(v6("2606:4700::f8")), v6("2606:4700::ff"));
        let s = HostSuffix::parse("::1", "127").unwrap().unwrap();
        assert_eq!(s.apply(v6("2606:4700::10")), v6("2606:4700::11"));
    }

    #[test]
    fn empty_suffix_is_off() {
        assert_eq!(HostSuffix::parse("", "56"), Ok(None));
        assert_eq!(HostSuffix::parse("  ", "junk"), Ok(None));
    }

    #[test]
    fn bad_values_are_refused_with_the_reason() {
        for bad in ["0", "128", "x", "-1", "64.0"] {
            assert_eq!(
                HostSuffix::parse("::1", bad),
                Err(SuffixError::PrefixLen(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            HostSuffix::parse("1234:5678", ""),
            Err(SuffixError::Syntax("1234:5678".into()))
        );
        assert_eq!(
            HostSuffix::parse("::", ""),
            Err(SuffixError::Zero("::".into()))
        );
        assert_eq!(
            HostSuffix::parse("2001:db8::1", "64"),
            Err(SuffixError::Overlaps {
                suffix: "2001:db8::1".into(),
                prefix_len: 64
            })
        );
        // Bit 64 set is inside a /65 prefix.
        assert!(HostSuffix::parse("::8000:0:0:1", "65").is_err());
        assert!(HostSuffix::parse("::8000:0:0:1", "64").is_ok());
    }
}
