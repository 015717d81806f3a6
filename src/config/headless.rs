//! Headless set-up (issue 9): the `-domain`/`-provider`/`-secret`… flags and their `DDNS_*`
//! environment variables create or amend one config entry, so a fleet (Ansible, cloud-init) or a
//! container is configured without the web UI. The entry is a normal ddns-go entry, saved with
//! [`store::save`] (atomic, 0600), so the web UI shows it afterwards.
//!
//! Three steps, each testable alone:
//! 1. [`merge`] (pure): flags over environment, every value checked on its own. The environment
//!    comes in as a lookup closure, so tests pass explicit maps.
//! 2. [`amend`] (pure but for reading `-secretFile`): find the entry, apply the settings over it,
//!    check that the result is complete and consistent.
//! 3. [`apply`]: load the file, amend, save only when something changed.
//!
//! Identity: the entry is the first one whose `name` is `-name` (default [`DEFAULT_NAME`]); when
//! none has it, a new entry is appended. Settings that are not given keep the entry's values, so
//! re-running the same command changes nothing and the file is not rewritten at all; changed
//! settings amend that entry only. Every check runs before the file is written: on an error the
//! file keeps its bytes (only `store::load`'s own migration of a plaintext password, which every
//! start does, may have rewritten it).

mod amend;
mod merge;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::cli::env_var;
use crate::config::schema::Config;
use crate::config::store::{self, LoadError, SaveError};
use crate::logging::LogFormat;

pub use amend::{Amended, amend};
pub use merge::merge;

/// Name of the entry the headless settings create or amend when `-name` is not given.
pub const DEFAULT_NAME: &str = "headless";

/// ddns-go's default IPv4 echo URLs (web UI, English), used for a new entry without `-ipUrl`.
pub const DEFAULT_IPV4_URLS: &str = "https://api.ipify.org, https://ddns.oray.com/checkip, \
     https://ip.3322.net, https://4.ipw.cn, https://v4.yinghualuo.cn/bejson";

/// ddns-go's default IPv6 echo URLs (web UI, English), used for a new entry without `-ipUrl`.
pub const DEFAULT_IPV6_URLS: &str = "https://api64.ipify.org, \
     https://speed.neu6.edu.cn/getIP.php, https://v6.ident.me, https://6.ipw.cn, \
     https://v6.yinghualuo.cn/bejson";

/// Where a value came from, so an error can name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag (name without the dash).
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(name) => write!(f, "-{name}"),
            Origin::Env(var) => f.write_str(var),
        }
    }
}

/// A setting's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given<T> {
    /// The checked value.
    pub value: T,
    /// The flag or variable.
    pub origin: Origin,
}

/// Which records the domains get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpVersion {
    /// A records only.
    V4,
    /// AAAA records only.
    V6,
    /// Both.
    Both,
}

impl IpVersion {
    fn v4(self) -> bool {
        self != IpVersion::V6
    }
    fn v6(self) -> bool {
        self != IpVersion::V4
    }
}

/// The provider secret: inline, or the path of a file holding it.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// `-secret` / `DDNS_SECRET`.
    Inline(String),
    /// `-secretFile` / `DDNS_SECRET_FILE`.
    File(PathBuf),
}

impl fmt::Debug for Secret {
    // Never print the secret itself, not even in a debug dump.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Inline(_) => f.write_str("Inline(<redacted>)"),
            Secret::File(p) => f.debug_tuple("File").field(p).finish(),
        }
    }
}

/// The merged headless settings; `None` = given neither as a flag nor in the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Entry name (identity).
    pub name: Option<Given<String>>,
    /// Provider key, known to the registry.
    pub provider: Option<Given<&'static str>>,
    /// Provider ID.
    pub id: Option<Given<String>>,
    /// Provider secret.
    pub secret: Option<Given<Secret>>,
    /// Domain lines, checked, without duplicates, in order.
    pub domains: Option<Given<Vec<String>>>,
    /// Families.
    pub ip_version: Option<Given<IpVersion>>,
    /// Echo URLs, normalised to `a, b`.
    pub ip_url: Option<Given<String>>,
    /// Interface name.
    pub net_interface: Option<Given<String>>,
    /// IPv6 prefix length kept (1..=127).
    pub ipv6_prefix: Option<Given<u8>>,
    /// IPv6 interface identifier, in canonical text form.
    pub ipv6_suffix: Option<Given<String>>,
    /// TTL in seconds as text ("" = provider default).
    pub ttl: Option<Given<String>>,
    /// `-logFormat` / `DDNS_LOG_FORMAT` (not an entry setting).
    pub log_format: LogFormat,
}

impl Settings {
    /// True when any entry setting is given, i.e. the config file is to be created or amended.
    pub fn is_active(&self) -> bool {
        self.name.is_some()
            || self.provider.is_some()
            || self.id.is_some()
            || self.secret.is_some()
            || self.domains.is_some()
            || self.ip_version.is_some()
            || self.ip_url.is_some()
            || self.net_interface.is_some()
            || self.ipv6_prefix.is_some()
            || self.ipv6_suffix.is_some()
            || self.ttl.is_some()
    }
}

/// Why the headless settings were not applied.
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    /// A setting is missing, malformed or contradicts another. Nothing was written.
    #[error("{0}; the config file was not changed")]
    Invalid(String),
    /// The existing config file cannot be read or parsed. Nothing was written.
    #[error(transparent)]
    Load(LoadError),
    /// Saving failed; the previous file is intact.
    #[error(transparent)]
    Save(SaveError),
}

impl HeadlessError {
    /// 2 for a settings or config-file problem (as a bad command line), 1 when saving failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            HeadlessError::Invalid(_) | HeadlessError::Load(_) => 2,
            HeadlessError::Save(_) => 1,
        }
    }
}

fn invalid(msg: String) -> HeadlessError {
    HeadlessError::Invalid(msg)
}

/// "-secret or DDNS_SECRET": where a missing setting can be given.
fn either(flag: &'static str) -> String {
    match env_var(flag) {
        Some(var) => format!("-{flag} or {var}"),
        None => format!("-{flag}"),
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new entry was appended and the file saved.
    Created,
    /// The entry was changed and the file saved.
    Amended,
    /// Nothing changed; the file was not written.
    Unchanged,
}

/// Loads the config at `path` (a missing file counts as empty), amends it with `s`, and saves it
/// when anything changed.
pub fn apply(path: &Path, s: &Settings) -> Result<Outcome, HeadlessError> {
    let config = match store::load_for_edit(path) {
        Ok(loaded) => loaded.config,
        Err(LoadError::NotFound(_)) => Config::default(),
        Err(e) => return Err(HeadlessError::Load(e)),
    };
    let a = amend(&config, s)?;
    // `amend` returns the index of the entry it just put into `a.config`: always in range.
    let entry = &a.config.dnsconf[a.index].name;
    if !a.changed {
        tracing::info!(
            "Headless settings: config entry {entry:?} is already up to date in {}",
            path.display()
        );
        return Ok(Outcome::Unchanged);
    }
    store::save(path, &a.config).map_err(HeadlessError::Save)?;
    let verb = if a.created { "created" } else { "updated" };
    tracing::info!(
        "Headless settings: config entry {entry:?} {verb} in {}",
        path.display()
    );
    Ok(if a.created {
        Outcome::Created
    } else {
        Outcome::Amended
    })
}
