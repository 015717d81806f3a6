//! Where an address comes from: echo URLs, an interface, or a command; and the checks an address
//! must pass before anything is published (spec §3, issue: "never publish a wrong address").
//!
//! Not here: caching and deciding whether to write (that is `sync`).

pub mod agree;
mod cmd;
mod extract;
mod iface;
#[cfg(target_os = "linux")]
mod netlink;
pub mod stun;
mod suffix;
mod url;
mod validate;
pub mod watch;
pub mod whoami;

use std::net::IpAddr;

use crate::config::IpConf;
use crate::http::{DETECT_TIMEOUT, HttpOptions};

pub use cmd::{CMD_TIMEOUT, MAX_OUTPUT, detect_cmd};
pub use extract::{first as extract_first, ipv4_candidates, ipv6_candidates, visible_text};
pub use iface::{AddrFlags, IfAddr, IfaceError, InterfaceAddrs, detect_iface, list_interfaces};
#[cfg(target_os = "linux")]
#[doc(hidden)]
pub use netlink::fuzz_parse as fuzz_netlink_parse;
pub use suffix::{DEFAULT_PREFIX_LEN, HostSuffix, SuffixError};
pub use url::detect_url;
pub use validate::{Rejection, check_public, interface_usable};
pub use watch::{AddrChange, ChangeKind, Changes, affected_entries};

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
    /// Back-off state of this entry's and family's agreement sources (kept across runs).
    pub sources: agree::SourceHealth,
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

/// Detects the address of `family` as `conf` says. For IPv6 with a `suffix` set, the result is
/// the detected prefix followed by that suffix (another LAN host's address), checked again.
pub async fn detect(conf: &IpConf, family: Family, ctx: &DetectCtx) -> Result<IpAddr, DetectError> {
    let failed = |reason: String| DetectError::Failed {
        family: family.label(),
        reason,
    };
    // A bad suffix is a config error: report it before any request is made.
    let host = match family {
        Family::V6 => HostSuffix::from_conf(conf).map_err(|e| failed(e.to_string()))?,
        Family::V4 => None,
    };
    let ip = detect_source(conf, family, ctx).await?;
    let (Some(host), IpAddr::V6(detected)) = (host, ip) else {
        return Ok(ip);
    };
    let ip = IpAddr::V6(host.apply(detected));
    check_public(ip).map_err(|r| {
        failed(format!(
            "prefix of {detected} with suffix {}: {r}",
            host.suffix
        ))
    })?;
    tracing::info!(
        "IPv6 address {ip}: prefix /{} of {detected} with suffix {}",
        host.prefix_len,
        host.suffix
    );
    Ok(ip)
}

/// The address as the configured source gives it.
async fn detect_source(
    conf: &IpConf,
    family: Family,
    ctx: &DetectCtx,
) -> Result<IpAddr, DetectError> {
    let failed = |reason: String| DetectError::Failed {
        family: family.label(),
        reason,
    };
    // Agreement between several sources, when configured, replaces `gettype`.
    if let Some((sources, k)) = agree::configured(conf).map_err(failed)? {
        return agree::detect_agreed(&sources, k, family, ctx).await;
    }
    match conf.gettype.as_str() {
        "url" => {
            let interface = Some(ctx.httpinterface.as_str()).filter(|s| !s.is_empty());
            let client = crate::http::detect_client(&ctx.http, family, interface)
                .map_err(|e| failed(e.to_string()))?;
            detect_url(&conf.url, family, &client, DETECT_TIMEOUT).await
        }
        "netInterface" => {
            // ipv6reg only applies to IPv6, as in ddns-go.
            let selector = if family == Family::V6 {
                conf.ipv6reg.as_str()
            } else {
                ""
            };
            let ip = detect_iface(&conf.netinterface, family, selector)
                .map_err(|e| failed(format!("interface {:?}: {e}", conf.netinterface)))?;
            tracing::info!(
                "{} address {ip} from interface {}",
                family.label(),
                conf.netinterface
            );
            Ok(ip)
        }
        "cmd" => detect_cmd(&conf.cmd, family, CMD_TIMEOUT).await,
        // Router push: the sync engine takes the address a router pushed; nothing to detect.
        "push" => Err(failed(
            "gettype \"push\" detects nothing: the address comes from a router pushing to \
             /nic/update (see docs/router-push.md)"
                .into(),
        )),
        other => Err(failed(format!(
            "unknown gettype {other:?}: use \"url\", \"netInterface\", \"cmd\" or \"push\" \
             (case matters)"
        ))),
    }
}

/// Collects why each source failed, for one combined error.
struct Failures {
    family: Family,
    parts: Vec<String>,
}

impl Failures {
    fn new(family: Family) -> Failures {
        Failures {
            family,
            parts: Vec::new(),
        }
    }

    /// Records that `source` failed because of `why`.
    fn add(&mut self, source: &str, why: String) {
        tracing::debug!("{} detection: {source}: {why}", self.family.label());
        self.parts.push(format!("{source}: {why}"));
    }

    fn into_error(self) -> DetectError {
        DetectError::Failed {
            family: self.family.label(),
            reason: self.parts.join("; "),
        }
    }
}

/// The start of `text` quoted for an error message: at most 80 characters, one line.
fn snippet(text: &str) -> String {
    const MAX: usize = 80;
    let flat: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match flat.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &flat[..cut]),
        None => format!("{flat:?}"),
    }
}
