//! Step 2: apply the settings over the entry they name (or a new one) and check that the result
//! is complete and consistent. Pure but for reading `-secretFile`.

use super::{
    DEFAULT_IPV4_URLS, DEFAULT_IPV6_URLS, DEFAULT_NAME, Given, HeadlessError, IpVersion, Origin,
    Secret, Settings, either, invalid,
};
use crate::config::schema::{Config, DnsConfig, IpConf};
use crate::detect::HostSuffix;
use crate::provider::{self, ProviderMeta};

/// Largest `-secretFile` accepted: a token is short; anything bigger is the wrong file.
const MAX_SECRET_FILE: u64 = 64 * 1024;

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
    credentials(&mut entry, s, created)?;
    if let Some(g) = &s.ttl {
        entry.ttl = g.value.clone();
    }
    families(&mut entry, s, created)?;
    host_suffix(&mut entry, s)?;

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

/// Provider, ID and secret: given values over the entry's, then complete for the provider.
fn credentials(entry: &mut DnsConfig, s: &Settings, created: bool) -> Result<(), HeadlessError> {
    let name = &entry.name;
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
    Ok(())
}

/// Which families are on, where their address comes from, and their domains.
fn families(entry: &mut DnsConfig, s: &Settings, created: bool) -> Result<(), HeadlessError> {
    let name = entry.name.clone();
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
        check_family(&name, label, conf)?;
    }
    Ok(())
}

/// The IPv6 LAN-host suffix and prefix length: only with IPv6, and valid together.
fn host_suffix(entry: &mut DnsConfig, s: &Settings) -> Result<(), HeadlessError> {
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
            format!("the config entry {:?}", entry.name)
        } else {
            origins.join(" with ")
        };
        return Err(invalid(format!("{from}: {e}")));
    }
    Ok(())
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
