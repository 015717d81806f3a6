//! Proxy settings from `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY`, applied with Go's
//! `net/http/httpproxy` rules, because ddns-go users configure proxies for it (spec §1.2):
//!
//! - the upper-case variable wins over the lower-case one; an empty value counts as unset;
//! - `https://` URLs use only `HTTPS_PROXY`, `http://` URLs only `HTTP_PROXY`;
//! - a proxy value without a scheme means `http://`;
//! - `localhost` and loopback addresses never go through a proxy;
//! - `NO_PROXY` is a comma list of `*`, CIDRs, IPs, `[IPv6]:port`, domains (`example.com`
//!   matches it and its subdomains, `.example.com` and `*.example.com` only subdomains), each
//!   optionally with `:port`.
//!
//! The environment is read once ([`ProxyEnv::from_env`]) and passed down, so tests can give
//! explicit settings and nothing reads the process environment behind the caller's back.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use url::{Host, Url};

use super::HttpError;

/// Raw proxy settings, as found in the environment.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// `HTTP_PROXY` / `http_proxy`: proxy for `http://` URLs.
    pub http: Option<String>,
    /// `HTTPS_PROXY` / `https_proxy`: proxy for `https://` URLs.
    pub https: Option<String>,
    /// `NO_PROXY` / `no_proxy`: hosts that go direct.
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// Reads the process environment (call once, at start-up).
    pub fn from_env() -> ProxyEnv {
        ProxyEnv::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `get`, upper-case names first as Go does.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        let any = |names: [&str; 2]| names.iter().find_map(|n| get(n).filter(|v| !v.is_empty()));
        ProxyEnv {
            http: any(["HTTP_PROXY", "http_proxy"]),
            https: any(["HTTPS_PROXY", "https_proxy"]),
            no_proxy: any(["NO_PROXY", "no_proxy"]),
        }
    }

    /// True when no proxy is configured.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// Parses the settings; an unusable proxy value is an error naming its variable.
    pub(super) fn rules(&self) -> Result<ProxyRules, HttpError> {
        let parse = |var: &str, value: &Option<String>| {
            value.as_deref().map(|v| parse_proxy(var, v)).transpose()
        };
        Ok(ProxyRules {
            http: parse("HTTP_PROXY", &self.http)?,
            https: parse("HTTPS_PROXY", &self.https)?,
            bypass: self
                .no_proxy
                .as_deref()
                .map(NoProxy::parse)
                .unwrap_or_default(),
        })
    }
}

impl fmt::Debug for ProxyEnv {
    // Proxy URLs may carry a password; logs and errors must never show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyEnv")
            .field("http", &self.http.as_deref().map(redact))
            .field("https", &self.https.as_deref().map(redact))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

/// Replaces the user-info part (`user:password@`) of a URL-like string with `***@`.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => url.to_string(),
    }
}

fn parse_proxy(var: &str, value: &str) -> Result<Url, HttpError> {
    let value = value.trim();
    // Like Go, a value without a scheme (`proxy:3128`) means `http://proxy:3128`.
    let full = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    let parsed = Url::parse(&full)
        .ok()
        .filter(|u| u.has_host() && matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h"))
        .ok_or_else(|| {
            HttpError(format!(
                "{var}={} is not a valid proxy URL; fix or unset it",
                redact(value)
            ))
        })?;
    if parsed.scheme().starts_with("socks") {
        return Err(HttpError(format!(
            "{var}={}: SOCKS proxies are not supported; use an HTTP proxy or unset it",
            redact(value)
        )));
    }
    Ok(parsed)
}

/// Parsed proxy settings: which proxy, if any, a URL goes through.
#[derive(Debug, Clone, Default)]
pub(super) struct ProxyRules {
    http: Option<Url>,
    https: Option<Url>,
    bypass: NoProxy,
}

impl ProxyRules {
    /// The proxy for `url`, or `None` to go direct.
    pub(super) fn proxy_for(&self, url: &Url) -> Option<Url> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref()?,
            "http" => self.http.as_ref()?,
            _ => return None,
        };
        let host = url.host()?;
        let port = url.port_or_known_default().unwrap_or(0);
        let ip = match &host {
            Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => return None,
            Host::Domain(_) => None,
            Host::Ipv4(v4) => Some(IpAddr::V4(*v4)),
            Host::Ipv6(v6) => Some(IpAddr::V6(*v6)),
        };
        if ip.is_some_and(|ip| ip.is_loopback()) || self.bypass.matches(&host, ip, port) {
            return None;
        }
        Some(proxy.clone())
    }

    /// Whether any proxy is set.
    pub(super) fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// The reqwest proxy applying these rules.
    pub(super) fn into_reqwest(self) -> reqwest::Proxy {
        let rules = Arc::new(self);
        reqwest::Proxy::custom(move |url| rules.proxy_for(url))
    }
}

/// One `NO_PROXY` entry.
#[derive(Debug, Clone, PartialEq)]
enum Bypass {
    All,
    Cidr {
        net: IpAddr,
        prefix: u8,
    },
    Ip {
        ip: IpAddr,
        port: Option<u16>,
    },
    /// `suffix` starts with a dot; `exact` also matches the bare domain.
    Domain {
        suffix: String,
        exact: bool,
        port: Option<u16>,
    },
}

/// The parsed `NO_PROXY` list.
#[derive(Debug, Clone, Default, PartialEq)]
struct NoProxy(Vec<Bypass>);

impl NoProxy {
    fn parse(list: &str) -> NoProxy {
        NoProxy(list.split(',').filter_map(parse_bypass).collect())
    }

    fn matches(&self, host: &Host<&str>, ip: Option<IpAddr>, port: u16) -> bool {
        let port_ok = |p: &Option<u16>| p.is_none_or(|p| p == port);
        self.0.iter().any(|entry| match (entry, ip) {
            (Bypass::All, _) => true,
            (Bypass::Cidr { net, prefix }, Some(ip)) => in_cidr(ip, *net, *prefix),
            (Bypass::Ip { ip: want, port: p }, Some(ip)) => *want == ip && port_ok(p),
            (
                Bypass::Domain {
                    suffix,
                    exact,
                    port: p,
                },
                None,
            ) => {
                let Host::Domain(name) = host else {
                    return false;
                };
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                (name.ends_with(suffix.as_str()) || (*exact && name == suffix[1..])) && port_ok(p)
            }
            _ => false,
        })
    }
}

fn parse_bypass(entry: &str) -> Option<Bypass> {
    let entry = entry.trim().to_ascii_lowercase();
    if entry.is_empty() {
        return None;
    }
    if entry == "*" {
        return Some(Bypass::All);
    }
    if let Some((addr, bits)) = entry.split_once('/') {
        let net: IpAddr = addr.parse().ok()?;
        let prefix: u8 = bits.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        return (prefix <= max).then_some(Bypass::Cidr { net, prefix });
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(Bypass::Ip { ip, port: None });
    }
    let (host, port) = split_host_port(&entry)?;
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(Bypass::Ip { ip, port });
    }
    let host = host
        .strip_prefix('*')
        .filter(|h| h.starts_with('.'))
        .unwrap_or(host);
    let exact = !host.starts_with('.');
    let dotted = if exact {
        format!(".{host}")
    } else {
        host.to_string()
    };
    // Match the punycode form, which is what URLs carry.
    let suffix = idna::domain_to_ascii(&dotted).unwrap_or(dotted);
    (suffix.len() > 1).then_some(Bypass::Domain {
        suffix,
        exact,
        port,
    })
}

/// Splits `host`, `host:port` or `[v6]:port`; a malformed port drops the entry, like Go.
fn split_host_port(entry: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?.parse().ok()?;
        return Some((host, Some(port)));
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => Some((host, Some(port.parse().ok()?))),
        Some(_) => None,
        None => Some((entry, None)),
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(http: Option<&str>, https: Option<&str>, no: Option<&str>) -> ProxyRules {
        ProxyEnv {
            http: http.map(Into::into),
            https: https.map(Into::into),
            no_proxy: no.map(Into::into),
        }
        .rules()
        .unwrap()
    }

    fn via(rules: &ProxyRules, url: &str) -> Option<String> {
        rules
            .proxy_for(&Url::parse(url).unwrap())
            .map(|u| u.to_string())
    }

    #[test]
    fn upper_case_wins_and_empty_counts_as_unset() {
        let vars = [
            ("HTTP_PROXY", ""),
            ("http_proxy", "http://low:1"),
            ("HTTPS_PROXY", "http://up:2"),
            ("https_proxy", "http://low:2"),
            ("no_proxy", "a.test"),
        ];
        let got = ProxyEnv::from_lookup(|n| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(got.http.as_deref(), Some("http://low:1"));
        assert_eq!(got.https.as_deref(), Some("http://up:2"));
        assert_eq!(got.no_proxy.as_deref(), Some("a.test"));
        assert!(ProxyEnv::from_lookup(|_| None).is_empty());
    }

    #[test]
    fn scheme_selects_the_variable_without_fallback() {
        let only_http = env(Some("http://p:3128"), None, None);
        assert_eq!(
            via(&only_http, "http://api.test/"),
            Some("http://p:3128/".into())
        );
        assert_eq!(via(&only_http, "https://api.test/"), None);
        let only_https = env(None, Some("p:8080"), None);
        assert_eq!(
            via(&only_https, "https://api.test/x"),
            Some("http://p:8080/".into())
        );
        assert_eq!(via(&only_https, "http://api.test/"), None);
    }

    #[test]
    fn loopback_and_localhost_always_go_direct() {
        let r = env(Some("http://p:1"), Some("http://p:1"), None);
        for url in [
            "http://localhost:8080/",
            "https://127.0.0.1/",
            "http://[::1]:9/",
            "http://127.9.9.9/",
        ] {
            assert_eq!(via(&r, url), None, "{url}");
        }
        assert!(via(&r, "http://10.0.0.1/").is_some());
    }

    #[test]
    fn no_proxy_follows_go_rules() {
        let r = env(
            None,
            Some("http://p:1"),
            Some(
                " Example.com, .only-sub.test,*.star.test, 10.0.0.0/8, 192.0.2.7, [2001:db8::1]:443, port.test:8443,bad:port,2001:db8:1::/48",
            ),
        );
        let direct = [
            "https://example.com/",
            "https://a.b.example.com/",
            "https://x.only-sub.test/",
            "https://x.star.test/",
            "https://10.1.2.3/",
            "https://192.0.2.7/",
            "https://[2001:db8::1]/",
            "https://port.test:8443/",
            "https://[2001:db8:1::5]/",
        ];
        for url in direct {
            assert_eq!(via(&r, url), None, "{url} should bypass");
        }
        let proxied = [
            "https://notexample.com/",
            "https://only-sub.test/",
            "https://star.test/",
            "https://11.0.0.1/",
            "https://[2001:db8::1]:8443/",
            "https://port.test/",
            "https://bad/",
            "https://[2001:db8:2::5]/",
        ];
        for url in proxied {
            assert!(via(&r, url).is_some(), "{url} should use the proxy");
        }
        assert_eq!(
            via(
                &env(None, Some("http://p:1"), Some("*")),
                "https://any.test/"
            ),
            None
        );
    }

    #[test]
    fn socks_and_garbage_are_errors_naming_the_variable_without_the_password() {
        let err = ProxyEnv {
            https: Some("socks5://u:secret@p:1080".into()),
            ..Default::default()
        }
        .rules()
        .unwrap_err();
        assert!(
            err.0.contains("HTTPS_PROXY") && err.0.contains("SOCKS"),
            "{err}"
        );
        assert!(!err.0.contains("secret"), "{err}");
        let err = ProxyEnv {
            http: Some("http://u:secret@[bad".into()),
            ..Default::default()
        }
        .rules()
        .unwrap_err();
        assert!(
            err.0.contains("HTTP_PROXY") && !err.0.contains("secret"),
            "{err}"
        );
    }

    #[test]
    fn redaction_hides_user_info_only() {
        assert_eq!(
            redact("http://user:pw@proxy:3128/x@y"),
            "http://***@proxy:3128/x@y"
        );
        assert_eq!(redact("user:pw@proxy:3128"), "***@proxy:3128");
        assert_eq!(redact("http://proxy:3128"), "http://proxy:3128");
        let dbg = format!(
            "{:?}",
            ProxyEnv {
                https: Some("http://a:b@p".into()),
                ..Default::default()
            }
        );
        assert!(dbg.contains("***@p") && !dbg.contains("a:b"), "{dbg}");
    }
}
