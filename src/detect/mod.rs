//! Where an address comes from: echo URLs, an interface, or a command; and the checks an address
//! must pass before anything is published (spec §3, issue: "never publish a wrong address").
//!
//! Not here: caching and deciding whether to write (that is `sync`).

use std::net::IpAddr;

use crate::config::IpConf;
use crate::http::HttpOptions;

/// Address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// "IPv4" / "IPv6", for log lines.
    pub fn label(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// What detection needs besides the family's settings.
#[derive(Debug, Clone, Default)]
pub struct DetectCtx {
    /// -skipVerify / -dns.
    pub http: HttpOptions,
    /// The config entry's `httpinterface` ("" = none).
    pub httpinterface: String,
}

/// Why no address was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    /// Every source failed; the message names each source and why.
    #[error("no {family} address: {reason}")]
    Failed {
        /// "IPv4" / "IPv6".
        family: &'static str,
        /// What each source did.
        reason: String,
    },
}

/// Detects the address of `family` as `conf` says.
pub async fn detect(conf: &IpConf, family: Family, ctx: &DetectCtx) -> Result<IpAddr, DetectError> {
    let _ = (conf, ctx);
    Err(DetectError::Failed {
        family: family.label(),
        reason: "detection is not implemented yet".into(),
    })
}
