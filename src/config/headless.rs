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

use std::fmt;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use crate::cli::{HeadlessArgs, env_var};
use crate::config::domain::parse_domain_line;
use crate::config::schema::{Config, DnsConfig, IpConf};
use crate::config::store::{self, LoadError, SaveError};
use crate::detect::HostSuffix;
use crate::logging::LogFormat;
use crate::provider::{self, ProviderMeta};

/// Name of the entry the headless settings create or amend when `-name` is not given.
pub const DEFAULT_NAME: &str = "headless";

/// ddns-go's default IPv4 echo URLs (web UI, English), used for a new entry without `-ipUrl`.
pub const DEFAULT_IPV4_URLS: &str = "https://api.ipify.org, https://ddns.oray.com/checkip, \
     https://ip.3322.net, https://4.ipw.cn, https://v4.yinghualuo.cn/bejson";

/// ddns-go's default IPv6 echo URLs (web UI, English), used for a new entry without `-ipUrl`.
pub const DEFAULT_IPV6_URLS: &str = "https://api64.ipify.org, \
     https://speed.neu6.edu.cn/getIP.php, https://v6.ident.me, https://6.ipw.cn, \
     https://v6.yinghualuo.cn/bejson";

/// Largest `-secretFile` accepted: a token is short; anything bigger is the wrong file.
const MAX_SECRET_FILE: u64 = 64 * 1024;

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

/// Merges the flags over the environment (`env` looks a variable up; an empty value counts as
/// unset) and checks each value on its own.
pub fn merge(
    args: &HeadlessArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, HeadlessError> {
    let pick = |flag: &'static str, value: &Option<String>| -> Option<Given<String>> {
        if let Some(v) = value {
            return Some(Given {
                value: v.clone(),
                origin: Origin::Flag(flag),
            });
        }
        let var = env_var(flag)?;
        env(var).filter(|v| !v.is_empty()).map(|value| Given {
            value,
            origin: Origin::Env(var),
        })
    };
    let mut s = Settings {
        name: pick("name", &args.name),
        id: pick("id", &args.id),
        ..Settings::default()
    };
    if let Some(g) = pick("logFormat", &args.log_format) {
        s.log_format = LogFormat::parse(&g.value).ok_or_else(|| {
            invalid(format!(
                "{}: unknown log format {:?}: use text or json",
                g.origin, g.value
            ))
        })?;
    }
    if let Some(g) = pick("provider", &args.provider) {
        let meta = provider::meta(g.value.trim()).ok_or_else(|| {
            let keys: Vec<&str> = provider::PROVIDERS.iter().map(|m| m.key).collect();
            invalid(format!(
                "{}: unknown DNS provider {:?}; known providers: {}",
                g.origin,
                g.value,
                keys.join(", ")
            ))
        })?;
        s.provider = Some(Given {
            value: meta.key,
            origin: g.origin,
        });
    }
    s.secret = merge_secret(args, env)?;
    s.domains = merge_domains(args, env)?;
    if let Some(g) = pick("ipVersion", &args.ip_version) {
        let v = match g.value.trim() {
            "ipv4" => IpVersion::V4,
            "ipv6" => IpVersion::V6,
            "both" => IpVersion::Both,
            other => {
                return Err(invalid(format!(
                    "{}: {other:?} is not an IP version: use ipv4, ipv6 or both",
                    g.origin
                )));
            }
        };
        s.ip_version = Some(Given {
            value: v,
            origin: g.origin,
        });
    }
    if let Some(g) = pick("ipUrl", &args.ip_url) {
        s.ip_url = Some(Given {
            value: check_urls(&g)?,
            origin: g.origin,
        });
    }
    if let Some(g) = pick("netInterface", &args.net_interface) {
        let name = g.value.trim();
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '/') {
            return Err(invalid(format!(
                "{}: {:?} is not a network interface name (e.g. eth0)",
                g.origin, g.value
            )));
        }
        s.net_interface = Some(Given {
            value: name.to_string(),
            origin: g.origin,
        });
    }
    if let Some(g) = pick("ipv6Prefix", &args.ipv6_prefix) {
        let text = g.value.trim();
        let n = text
            .strip_prefix('/')
            .unwrap_or(text)
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=127).contains(n))
            .ok_or_else(|| {
                invalid(format!(
                    "{}: {:?} is not a prefix length: write a number from 1 to 127, e.g. 64 or 56",
                    g.origin, g.value
                ))
            })?;
        s.ipv6_prefix = Some(Given {
            value: n,
            origin: g.origin,
        });
    }
    if let Some(g) = pick("ipv6Suffix", &args.ipv6_suffix) {
        let addr: Ipv6Addr = g.value.trim().parse().map_err(|_| {
            invalid(format!(
                "{}: {:?} is not an interface identifier: write it as an IPv6 address with the \
                 prefix left out, e.g. ::1234:5678",
                g.origin, g.value
            ))
        })?;
        s.ipv6_suffix = Some(Given {
            value: addr.to_string(),
            origin: g.origin,
        });
    }
    if let Some(g) = pick("ttl", &args.ttl) {
        let text = g.value.trim();
        // "" keeps the provider's default; a number is stored in canonical form ("0600" → "600").
        let value = match text.parse::<u32>() {
            _ if text.is_empty() => String::new(),
            Ok(n) if n >= 1 => n.to_string(),
            _ => {
                return Err(invalid(format!(
                    "{}: {:?} is not a TTL: give a number of seconds (at least 1), or leave it \
                     out for the provider's default",
                    g.origin, g.value
                )));
            }
        };
        s.ttl = Some(Given {
            value,
            origin: g.origin,
        });
    }
    Ok(s)
}

/// `-secret` / `-secretFile` (flags) over `DDNS_SECRET` / `DDNS_SECRET_FILE`. Both forms at the
/// same level contradict each other.
fn merge_secret(
    args: &HeadlessArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Given<Secret>>, HeadlessError> {
    let both = |a: Origin, b: Origin| {
        invalid(format!(
            "{a} and {b} both give the secret: give only one of them"
        ))
    };
    match (&args.secret, &args.secret_file) {
        (Some(_), Some(_)) => {
            return Err(both(Origin::Flag("secret"), Origin::Flag("secretFile")));
        }
        (Some(v), None) => {
            return Ok(Some(Given {
                value: Secret::Inline(v.clone()),
                origin: Origin::Flag("secret"),
            }));
        }
        (None, Some(p)) => {
            return Ok(Some(Given {
                value: Secret::File(PathBuf::from(p)),
                origin: Origin::Flag("secretFile"),
            }));
        }
        (None, None) => {}
    }
    let get = |var: &str| env(var).filter(|v| !v.is_empty());
    match (get("DDNS_SECRET"), get("DDNS_SECRET_FILE")) {
        (Some(_), Some(_)) => Err(both(
            Origin::Env("DDNS_SECRET"),
            Origin::Env("DDNS_SECRET_FILE"),
        )),
        (Some(v), None) => Ok(Some(Given {
            value: Secret::Inline(v),
            origin: Origin::Env("DDNS_SECRET"),
        })),
        (None, Some(p)) => Ok(Some(Given {
            value: Secret::File(PathBuf::from(p)),
            origin: Origin::Env("DDNS_SECRET_FILE"),
        })),
        (None, None) => Ok(None),
    }
}

/// `-domain` (each occurrence one line) over `DDNS_DOMAINS` (comma or white-space separated).
/// Every line must parse; a public suffix (`com`, `co.uk`) is refused.
fn merge_domains(
    args: &HeadlessArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Given<Vec<String>>>, HeadlessError> {
    let (lines, origin): (Vec<String>, Origin) = if !args.domains.is_empty() {
        (args.domains.clone(), Origin::Flag("domain"))
    } else {
        match env("DDNS_DOMAINS").filter(|v| !v.trim().is_empty()) {
            Some(v) => (
                v.split([',', ' ', '\t', '\n', '\r'])
                    .map(str::to_string)
                    .collect(),
                Origin::Env("DDNS_DOMAINS"),
            ),
            None => return Ok(None),
        }
    };
    let mut out: Vec<String> = Vec::new();
    for line in &lines {
        let line = line.trim();
        match parse_domain_line(line) {
            Ok(Some(_)) if !out.iter().any(|d| d == line) => out.push(line.to_string()),
            Ok(_) => {}
            Err(e) => return Err(invalid(format!("{origin}: {e}"))),
        }
    }
    if out.is_empty() {
        return Err(invalid(format!(
            "{origin} is given but names no domain: give e.g. www.example.com"
        )));
    }
    Ok(Some(Given { value: out, origin }))
}

/// Checks a comma list of http(s) URLs; returns it as `a, b`.
fn check_urls(g: &Given<String>) -> Result<String, HeadlessError> {
    let mut out = Vec::new();
    for item in g.value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let ok = url::Url::parse(item)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            return Err(invalid(format!(
                "{}: {item:?} is not an http(s) URL: give URLs like https://api.ipify.org, \
                 separated by commas",
                g.origin
            )));
        }
        out.push(item);
    }
    if out.is_empty() {
        return Err(invalid(format!(
            "{} is given but holds no URL: give e.g. https://api.ipify.org",
            g.origin
        )));
    }
    Ok(out.join(", "))
}

/// The result of [`amend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amended {
    /// The whole config with the entry created or amended.
    pub config: Config,
    /// Index of the entry in `dnsconf`.
    pub index: usize,
    /// The entry did not exist before.
    pub created: bool,
    /// `config` differs from the input (false: nothing to write).
    pub changed: bool,
}

/// Whether `meta`'s provider needs a secret. The callback's "secret" is its optional request
/// body (empty means GET), so it is the one provider with a label but no requirement.
fn secret_required(meta: &ProviderMeta) -> bool {
    !meta.secret_label.is_empty() && meta.key != "callback"
}

/// Applies `s` to the entry it names in `config` (or a new one) and checks the result.
pub fn amend(config: &Config, s: &Settings) -> Result<Amended, HeadlessError> {
    let name = s.name.as_ref().map_or(DEFAULT_NAME, |g| g.value.as_str());
    let found = config.dnsconf.iter().position(|e| e.name == name);
    let created = found.is_none();
    let mut entry = match found {
        Some(i) => config.dnsconf[i].clone(),
        None => new_entry(name),
    };

    // Provider and credentials.
    let old_key = match entry.dns.name.as_str() {
        "" => "alidns", // ddns-go's fallback for an empty key
        k => k,
    }
    .to_string();
    let key = match (&s.provider, created) {
        (Some(g), _) => g.value.to_string(),
        (None, true) => {
            return Err(invalid(format!(
                "no DNS provider for the new config entry {name:?}: give {} (e.g. cloudflare)",
                either("provider")
            )));
        }
        (None, false) => old_key.clone(),
    };
    let meta = provider::meta(&key).ok_or_else(|| {
        invalid(format!(
            "the config entry {name:?} has the unknown DNS provider {key:?}: give {}",
            either("provider")
        ))
    })?;
    if !created && key != old_key {
        // The old credentials belong to the other provider: do not carry them over silently.
        let needs_id = !meta.id_label.is_empty() && s.id.is_none();
        if needs_id || (secret_required(meta) && s.secret.is_none()) {
            return Err(invalid(format!(
                "{} changes the provider of the config entry {name:?} from {old_key} to {key}: \
                 give its credentials too ({}{})",
                s.provider
                    .as_ref()
                    .map_or(Origin::Flag("provider"), |g| g.origin),
                if needs_id {
                    format!("{}, ", either("id"))
                } else {
                    String::new()
                },
                either("secret")
            )));
        }
    }
    if s.provider.is_some() {
        entry.dns.name = key.clone();
    }
    if let Some(g) = &s.id {
        if meta.id_label.is_empty() && !g.value.is_empty() {
            return Err(invalid(format!(
                "{}: the {} provider has no ID; leave {} out",
                g.origin,
                meta.key,
                either("id")
            )));
        }
        entry.dns.id = g.value.clone();
    }
    if let Some(g) = &s.secret {
        entry.dns.secret = secret_text(g)?;
    }
    if !meta.id_label.is_empty() && entry.dns.id.trim().is_empty() {
        return Err(invalid(format!(
            "the {} provider needs its {}: give {}",
            meta.key,
            meta.id_label,
            either("id")
        )));
    }
    if secret_required(meta) && entry.dns.secret.trim().is_empty() {
        return Err(invalid(format!(
            "the {} provider needs its {}: give {} (or {})",
            meta.key,
            meta.secret_label,
            either("secretFile"),
            either("secret")
        )));
    }
    if let Some(g) = &s.ttl {
        entry.ttl = g.value.clone();
    }

    // Families, sources and domains.
    let version = match (&s.ip_version, created) {
        (Some(g), _) => g.value,
        (None, true) => IpVersion::V4,
        (None, false) => match (entry.ipv4.enable, entry.ipv6.enable) {
            (true, true) => IpVersion::Both,
            (false, true) => IpVersion::V6,
            _ => IpVersion::V4,
        },
    };
    for g in [
        s.ipv6_suffix.as_ref().map(|g| g.origin),
        s.ipv6_prefix.as_ref().map(|g| g.origin),
    ]
    .into_iter()
    .flatten()
    {
        if !version.v6() {
            return Err(invalid(format!(
                "{g} applies to IPv6 (AAAA) records, but the domains get IPv4 only: add \
                 -ipVersion ipv6 (or both)"
            )));
        }
    }
    let (url4, url6, iface4, iface6) = match (&s.ip_url, &s.net_interface) {
        (Some(u), Some(n)) if version != IpVersion::Both => {
            return Err(invalid(format!(
                "{} and {} both say where the address comes from: give one of them, or use \
                 -ipVersion both to take IPv4 from the URLs and IPv6 from the interface",
                u.origin, n.origin
            )));
        }
        (Some(u), Some(n)) => (Some(u), None, None, Some(n)),
        (u, n) => (u.as_ref(), u.as_ref(), n.as_ref(), n.as_ref()),
    };
    let explicit = s.ip_version.is_some() || created;
    // A family switched on without -domain takes the entry's names from the other family, so
    // `-ipVersion both` alone publishes the same names as AAAA too.
    let known_domains = if entry.ipv4.domains.is_empty() {
        entry.ipv6.domains.clone()
    } else {
        entry.ipv4.domains.clone()
    };
    let fam = [
        ("IPv4", version.v4(), &mut entry.ipv4, url4, iface4),
        ("IPv6", version.v6(), &mut entry.ipv6, url6, iface6),
    ];
    for (label, selected, conf, url, iface) in fam {
        if !selected {
            if explicit {
                conf.enable = false;
            }
            continue;
        }
        conf.enable = true;
        if let Some(u) = url {
            conf.gettype = "url".into();
            conf.url = u.value.clone();
        }
        if let Some(n) = iface {
            conf.gettype = "netInterface".into();
            conf.netinterface = n.value.clone();
        }
        if let Some(d) = &s.domains {
            conf.domains = d.value.clone();
        } else if conf.domains.is_empty() {
            conf.domains = known_domains.clone();
        }
        check_family(name, label, conf)?;
    }

    // The LAN-host suffix (IPv6 only).
    if let Some(g) = &s.ipv6_suffix {
        entry.ipv6.suffix = g.value.clone();
    }
    if let Some(g) = &s.ipv6_prefix {
        if entry.ipv6.suffix.is_empty() {
            return Err(invalid(format!(
                "{} only has a meaning with {}: give the interface identifier too",
                g.origin,
                either("ipv6Suffix")
            )));
        }
        entry.ipv6.prefixlen = g.value.to_string();
    }
    if entry.ipv6.enable
        && let Err(e) = HostSuffix::from_conf(&entry.ipv6)
    {
        let origins: Vec<String> = [
            s.ipv6_suffix.as_ref().map(|g| g.origin.to_string()),
            s.ipv6_prefix.as_ref().map(|g| g.origin.to_string()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let from = if origins.is_empty() {
            format!("the config entry {name:?}")
        } else {
            origins.join(" with ")
        };
        return Err(invalid(format!("{from}: {e}")));
    }

    let mut out = config.clone();
    let index = match found {
        Some(i) => {
            out.dnsconf[i] = entry;
            i
        }
        None => {
            out.dnsconf.push(entry);
            out.dnsconf.len() - 1
        }
    };
    let changed = out != *config;
    Ok(Amended {
        config: out,
        index,
        created,
        changed,
    })
}

/// An enabled family must have domains and a usable address source.
fn check_family(entry: &str, label: &str, conf: &IpConf) -> Result<(), HeadlessError> {
    if !conf.domains.iter().any(|d| !d.trim().is_empty()) {
        return Err(invalid(format!(
            "the config entry {entry:?} has no domain for {label}: give {}",
            either("domain")
        )));
    }
    let source_ok = match conf.gettype.as_str() {
        "url" => !conf.url.trim().is_empty(),
        "netInterface" => !conf.netinterface.trim().is_empty(),
        "cmd" => !conf.cmd.trim().is_empty(),
        _ => false,
    };
    if !source_ok {
        return Err(invalid(format!(
            "the config entry {entry:?} has no {label} address source: give {} or {}",
            either("ipUrl"),
            either("netInterface")
        )));
    }
    Ok(())
}

/// The secret's text: inline, or the file's content without surrounding white space.
fn secret_text(g: &Given<Secret>) -> Result<String, HeadlessError> {
    let path = match &g.value {
        Secret::Inline(v) => return Ok(v.clone()),
        Secret::File(p) => p,
    };
    let read = || -> std::io::Result<String> {
        let meta = std::fs::metadata(path)?;
        if meta.len() > MAX_SECRET_FILE {
            return Err(std::io::Error::other(format!(
                "it is larger than {} KiB, which no secret is",
                MAX_SECRET_FILE / 1024
            )));
        }
        std::fs::read_to_string(path)
    };
    let text = read().map_err(|e| {
        invalid(format!(
            "{}: cannot read the secret from {}: {e}",
            g.origin,
            path.display()
        ))
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(format!(
            "{}: the file {} is empty: write the secret into it",
            g.origin,
            path.display()
        )));
    }
    Ok(text.to_string())
}

/// A new entry as the web UI makes one, but with both families off until the settings say.
fn new_entry(name: &str) -> DnsConfig {
    let family = |urls: &str| IpConf {
        enable: false,
        gettype: "url".into(),
        url: urls.into(),
        ..IpConf::default()
    };
    DnsConfig {
        name: name.into(),
        ipv4: family(DEFAULT_IPV4_URLS),
        ipv6: family(DEFAULT_IPV6_URLS),
        ..DnsConfig::default()
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
    let config = match store::load(path) {
        Ok(loaded) => loaded.config,
        Err(LoadError::NotFound(_)) => Config::default(),
        Err(e) => return Err(HeadlessError::Load(e)),
    };
    let a = amend(&config, s)?;
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
