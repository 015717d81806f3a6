//! Step 1: flags over environment, each value checked on its own (pure: the environment comes
//! in as a lookup closure).

use std::net::Ipv6Addr;
use std::path::PathBuf;

use super::{Given, HeadlessError, IpVersion, Origin, Secret, Settings, invalid};
use crate::cli::{HeadlessArgs, env_var};
use crate::config::domain::parse_domain_line;
use crate::logging::LogFormat;
use crate::provider;

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
