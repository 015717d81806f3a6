//! ddns-go's settings round-trip (§8.3): config entries as the page sees them (PascalCase
//! fields, secrets masked) and the save rules that turn the page's form back into a config —
//! trimming, domain splitting, the strength check, and keeping a secret whose mask came back.
//!
//! Pure functions over `Config`; writing the file and waking the daemon happen in `routes`.

use serde::{Deserialize, Serialize};

use crate::config::password::check_strength;
use crate::config::store::hash_password;
use crate::config::{Config, DnsConfig};

/// One config entry in the page's shape (ddns-go's `dnsConf4JS`, field for field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct DnsConfJs {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "DnsName")]
    pub dns_name: String,
    #[serde(rename = "DnsID")]
    pub dns_id: String,
    #[serde(rename = "DnsSecret")]
    pub dns_secret: String,
    #[serde(rename = "DnsExtParam")]
    pub dns_ext_param: String,
    #[serde(rename = "TTL")]
    pub ttl: String,
    #[serde(rename = "HttpInterface")]
    pub http_interface: String,
    #[serde(rename = "Ipv4Enable")]
    pub ipv4_enable: bool,
    #[serde(rename = "Ipv4GetType")]
    pub ipv4_get_type: String,
    #[serde(rename = "Ipv4Url")]
    pub ipv4_url: String,
    #[serde(rename = "Ipv4NetInterface")]
    pub ipv4_net_interface: String,
    #[serde(rename = "Ipv4Cmd")]
    pub ipv4_cmd: String,
    #[serde(rename = "Ipv4Domains")]
    pub ipv4_domains: String,
    #[serde(rename = "Ipv6Enable")]
    pub ipv6_enable: bool,
    #[serde(rename = "Ipv6GetType")]
    pub ipv6_get_type: String,
    #[serde(rename = "Ipv6Url")]
    pub ipv6_url: String,
    #[serde(rename = "Ipv6NetInterface")]
    pub ipv6_net_interface: String,
    #[serde(rename = "Ipv6Cmd")]
    pub ipv6_cmd: String,
    #[serde(rename = "Ipv6Reg")]
    pub ipv6_reg: String,
    #[serde(rename = "Ipv6Domains")]
    pub ipv6_domains: String,
    /// ddns-rs's own keys below: absent (ddns-go's page, old scripts) keeps the stored value.
    #[serde(rename = "Ipv4Sources", skip_serializing_if = "Option::is_none")]
    pub ipv4_sources: Option<String>,
    #[serde(rename = "Ipv4Agree", skip_serializing_if = "Option::is_none")]
    pub ipv4_agree: Option<String>,
    #[serde(rename = "Ipv6Sources", skip_serializing_if = "Option::is_none")]
    pub ipv6_sources: Option<String>,
    #[serde(rename = "Ipv6Agree", skip_serializing_if = "Option::is_none")]
    pub ipv6_agree: Option<String>,
    #[serde(rename = "Ipv6Suffix", skip_serializing_if = "Option::is_none")]
    pub ipv6_suffix: Option<String>,
    #[serde(rename = "Ipv6PrefixLen", skip_serializing_if = "Option::is_none")]
    pub ipv6_prefix_len: Option<String>,
}

impl DnsConfJs {
    /// True for an entry the page added and left empty (skipped on save, as in ddns-go).
    fn is_blank(&self) -> bool {
        let empty = |o: &Option<String>| o.as_deref().is_none_or(|v| v.trim().is_empty());
        let ddns_go = DnsConfJs {
            ipv4_sources: None,
            ipv4_agree: None,
            ipv6_sources: None,
            ipv6_agree: None,
            ipv6_suffix: None,
            ipv6_prefix_len: None,
            ..self.clone()
        };
        ddns_go == DnsConfJs::default()
            && [
                &self.ipv4_sources,
                &self.ipv4_agree,
                &self.ipv6_sources,
                &self.ipv6_agree,
                &self.ipv6_suffix,
                &self.ipv6_prefix_len,
            ]
            .into_iter()
            .all(empty)
    }
}

/// The body of `POST /save`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct SaveRequest {
    #[serde(rename = "Username")]
    pub username: String,
    #[serde(rename = "Password")]
    pub password: String,
    #[serde(rename = "NotAllowWanAccess")]
    pub not_allow_wan_access: bool,
    #[serde(rename = "WebhookURL")]
    pub webhook_url: String,
    #[serde(rename = "WebhookRequestBody")]
    pub webhook_request_body: String,
    #[serde(rename = "WebhookHeaders")]
    pub webhook_headers: String,
    #[serde(rename = "Lang")]
    pub lang: String,
    /// `null` items are entries deleted in the page.
    #[serde(rename = "DnsConf")]
    pub dns_conf: Vec<Option<DnsConfJs>>,
    /// ddns-rs only: the notification channels; absent (ddns-go's page, scripts) keeps them.
    #[serde(rename = "Notify")]
    pub notify: Option<Vec<super::notify_api::NotifyJs>>,
    /// ddns-rs only: router-push credentials; absent (ddns-go's page, scripts) keeps them.
    #[serde(rename = "Push")]
    pub push: Option<PushJs>,
}

/// The router-push credentials as the page sees them (password masked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct PushJs {
    #[serde(rename = "Username")]
    pub username: String,
    #[serde(rename = "Password")]
    pub password: String,
}

/// The config's push credentials for the page: the password masked like provider secrets.
pub fn masked_push(config: &Config) -> PushJs {
    PushJs {
        username: config.push.username.clone(),
        password: mask(&config.push.password, ""),
    }
}

/// How many leading characters of a credential stay visible.
const SHOWN: usize = 3;

/// ddns-go's mask: the first 3 bytes, then one `*` per remaining byte. Values of 3 bytes or
/// less, and every value of a `callback` entry (templates, not secrets), are shown as they are.
pub fn mask(value: &str, provider: &str) -> String {
    // A `${env:…}`/`${file:…}` reference is not a secret: showing it lets the user see where
    // the value comes from, and sending it back unchanged keeps it.
    if value.len() <= SHOWN
        || provider == "callback"
        || crate::config::secrets::has_reference(value)
    {
        return value.to_string();
    }
    // Cut at a character boundary at or after byte 3 so the mask stays valid UTF-8.
    let cut = (SHOWN..=value.len())
        .find(|&i| value.is_char_boundary(i))
        .unwrap_or(value.len());
    format!("{}{}", &value[..cut], "*".repeat(value.len() - cut))
}

/// An entry as the page sees it (credentials masked, domains joined with `\r\n`).
pub fn to_js(c: &DnsConfig) -> DnsConfJs {
    DnsConfJs {
        name: c.name.clone(),
        dns_name: c.dns.name.clone(),
        dns_id: mask(&c.dns.id, &c.dns.name),
        dns_secret: mask(&c.dns.secret, &c.dns.name),
        dns_ext_param: c.dns.extparam.clone(),
        ttl: c.ttl.clone(),
        http_interface: c.httpinterface.clone(),
        ipv4_enable: c.ipv4.enable,
        ipv4_get_type: c.ipv4.gettype.clone(),
        ipv4_url: c.ipv4.url.clone(),
        ipv4_net_interface: c.ipv4.netinterface.clone(),
        ipv4_cmd: c.ipv4.cmd.clone(),
        ipv4_domains: c.ipv4.domains.join("\r\n"),
        ipv6_enable: c.ipv6.enable,
        ipv6_get_type: c.ipv6.gettype.clone(),
        ipv6_url: c.ipv6.url.clone(),
        ipv6_net_interface: c.ipv6.netinterface.clone(),
        ipv6_cmd: c.ipv6.cmd.clone(),
        ipv6_reg: c.ipv6.ipv6reg.clone(),
        ipv6_domains: c.ipv6.domains.join("\r\n"),
        ipv4_sources: Some(c.ipv4.sources.join("\r\n")),
        ipv4_agree: Some(c.ipv4.agree.clone()),
        ipv6_sources: Some(c.ipv6.sources.join("\r\n")),
        ipv6_agree: Some(c.ipv6.agree.clone()),
        ipv6_suffix: Some(c.ipv6.suffix.clone()),
        ipv6_prefix_len: Some(c.ipv6.prefixlen.clone()),
    }
}

/// Every entry as the page sees it.
pub fn masked_entries(config: &Config) -> Vec<DnsConfJs> {
    config.dnsconf.iter().map(to_js).collect()
}

/// ddns-go's line split: on `\r\n` when the text has one, else on `\n`; blank lines are kept.
pub fn split_lines(text: &str) -> Vec<String> {
    let sep = if text.contains("\r\n") { "\r\n" } else { "\n" };
    text.split(sep).map(str::to_string).collect()
}

/// ddns-go's English ordinals for the "does not fill in the domain" warning.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The outcome of applying a save: the new config and warnings to log.
#[derive(Debug)]
pub struct Applied {
    /// The config to write.
    pub config: Config,
    /// Lines for the log (entries without domains).
    pub warnings: Vec<String>,
    /// The username or password changed (other sessions should end).
    pub account_changed: bool,
}

/// Applies the page's form to `current` with ddns-go's save rules. The error is the message
/// the page shows in `result`.
pub fn apply(current: &Config, req: SaveRequest) -> Result<Applied, String> {
    let mut conf = current.clone();
    if !req.lang.trim().is_empty() {
        conf.lang = if req.lang.trim().starts_with("zh") {
            "zh"
        } else {
            "en"
        }
        .to_string();
    }
    conf.notallowwanaccess = req.not_allow_wan_access;
    conf.webhook.webhookurl = req.webhook_url.trim().to_string();
    conf.webhook.webhookrequestbody = req.webhook_request_body.trim().to_string();
    conf.webhook.webhookheaders = req.webhook_headers.trim().to_string();
    conf.user.username = req.username.trim().to_string();
    if !req.password.is_empty() {
        check_strength(&req.password, conf.notallowwanaccess).map_err(|e| e.to_string())?;
        conf.user.password =
            hash_password(&req.password).map_err(|e| format!("cannot hash the password: {e}"))?;
    }
    if conf.user.username.is_empty() || conf.user.password.is_empty() {
        return Err("Username/Password is required".into());
    }
    let mut warnings = Vec::new();
    let mut entries = Vec::new();
    for (k, v) in req.dns_conf.into_iter().enumerate() {
        // Deleted (null) or blank entries are skipped; indices stay those of the page's array.
        let Some(v) = v.filter(|v| !v.is_blank()) else {
            continue;
        };
        if v.ipv4_domains.is_empty() && v.ipv6_domains.is_empty() {
            warnings.push(format!(
                "The {} config does not fill in the domain",
                ordinal(k + 1)
            ));
        }
        let mut c = DnsConfig {
            name: v.name,
            ttl: v.ttl,
            httpinterface: v.http_interface.trim().to_string(),
            ..DnsConfig::default()
        };
        c.dns.name = v.dns_name;
        c.dns.id = v.dns_id.trim().to_string();
        c.dns.secret = v.dns_secret.trim().to_string();
        c.dns.extparam = v.dns_ext_param.trim().to_string();
        c.ipv4.enable = v.ipv4_enable;
        c.ipv4.gettype = v.ipv4_get_type;
        c.ipv4.url = v.ipv4_url.trim().to_string();
        c.ipv4.netinterface = v.ipv4_net_interface;
        c.ipv4.cmd = v.ipv4_cmd.trim().to_string();
        c.ipv4.domains = split_lines(&v.ipv4_domains);
        c.ipv6.enable = v.ipv6_enable;
        c.ipv6.gettype = v.ipv6_get_type;
        c.ipv6.url = v.ipv6_url.trim().to_string();
        c.ipv6.netinterface = v.ipv6_net_interface;
        c.ipv6.cmd = v.ipv6_cmd.trim().to_string();
        c.ipv6.ipv6reg = v.ipv6_reg.trim().to_string();
        c.ipv6.domains = split_lines(&v.ipv6_domains);
        // ddns-rs's own keys: the page's value when it sent one, else the stored one (a page or
        // script that speaks only ddns-go's fields must not drop them).
        let stored = current.dnsconf.get(k).cloned().unwrap_or_default();
        let text = |page: Option<String>, old: &str| {
            page.map_or(old.to_string(), |v| v.trim().to_string())
        };
        let list = |page: Option<String>, old: &[String]| {
            page.map_or(old.to_vec(), |v| {
                v.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            })
        };
        c.ipv4.sources = list(v.ipv4_sources, &stored.ipv4.sources);
        c.ipv4.agree = text(v.ipv4_agree, &stored.ipv4.agree);
        c.ipv6.sources = list(v.ipv6_sources, &stored.ipv6.sources);
        c.ipv6.agree = text(v.ipv6_agree, &stored.ipv6.agree);
        c.ipv6.suffix = text(v.ipv6_suffix, &stored.ipv6.suffix);
        c.ipv6.prefixlen = text(v.ipv6_prefix_len, &stored.ipv6.prefixlen);
        if let Some(old) = current.dnsconf.get(k) {
            // The mask came back unchanged: keep the stored credential.
            if c.dns.id == mask(&old.dns.id, &old.dns.name) {
                c.dns.id = old.dns.id.clone();
            }
            if c.dns.secret == mask(&old.dns.secret, &old.dns.name) {
                c.dns.secret = old.dns.secret.clone();
            }
        }
        entries.push(c);
    }
    conf.dnsconf = entries;
    if let Some(page) = req.notify {
        conf.notify = super::notify_api::apply_channels(current, page)?;
    }
    if let Some(page) = req.push {
        conf.push.username = page.username.trim().to_string();
        let pw = page.password.trim();
        // The mask came back unchanged: keep the stored password.
        if pw != mask(&current.push.password, "") {
            conf.push.password = pw.to_string();
        }
    }
    let account_changed =
        conf.user.username != current.user.username || conf.user.password != current.user.password;
    Ok(Applied {
        config: conf,
        warnings,
        account_changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_password_is_masked_and_kept_when_the_mask_comes_back() {
        let mut cur = Config::default();
        cur.user.username = "admin".into();
        cur.user.password = "$2a$10$hash".into();
        cur.push.username = "router".into();
        cur.push.password = "router-secret".into();
        let page = masked_push(&cur);
        assert_eq!(page.password, "rou**********");
        let req = |p: PushJs| SaveRequest {
            username: "admin".into(),
            push: Some(p),
            ..SaveRequest::default()
        };
        let out = apply(&cur, req(page.clone())).unwrap();
        assert_eq!(out.config.push, cur.push);
        let out = apply(
            &cur,
            req(PushJs {
                username: " fritz ".into(),
                password: "new-pass".into(),
            }),
        )
        .unwrap();
        assert_eq!(out.config.push.username, "fritz");
        assert_eq!(out.config.push.password, "new-pass");
        // No Push in the request (ddns-go's page): kept as it is.
        let out = apply(
            &cur,
            SaveRequest {
                username: "admin".into(),
                ..SaveRequest::default()
            },
        )
        .unwrap();
        assert_eq!(out.config.push, cur.push);
    }

    #[test]
    fn keys_the_page_does_not_edit_survive_a_save() {
        let mut current = stored();
        current.dnsconf[0].ipv4.sources = vec!["dns:opendns".into(), "stun:127.0.0.1:3478".into()];
        current.dnsconf[0].ipv4.agree = "2".into();
        current.dnsconf[0].ipv6.suffix = "::1234".into();
        current.dnsconf[0].ipv6.prefixlen = "56".into();
        // A ddns-go page (or script) knows none of them.
        let mut page = to_js(&current.dnsconf[0]);
        page.ipv4_domains = "new.example.com".into();
        page.ipv4_sources = None;
        page.ipv4_agree = None;
        page.ipv6_sources = None;
        page.ipv6_agree = None;
        page.ipv6_suffix = None;
        page.ipv6_prefix_len = None;
        let req = SaveRequest {
            username: current.user.username.clone(),
            dns_conf: vec![Some(page)],
            ..SaveRequest::default()
        };
        let saved = apply(&current, req).unwrap().config;
        let e = &saved.dnsconf[0];
        assert_eq!(e.ipv4.domains, ["new.example.com"]);
        assert_eq!(e.ipv4.sources, current.dnsconf[0].ipv4.sources);
        assert_eq!(e.ipv4.agree, "2");
        assert_eq!(e.ipv6.suffix, "::1234");
        assert_eq!(e.ipv6.prefixlen, "56");

        // Our page sends them: its values win; an emptied field clears the key.
        let mut page = to_js(&current.dnsconf[0]);
        assert_eq!(
            page.ipv4_sources.as_deref(),
            Some("dns:opendns\r\nstun:127.0.0.1:3478")
        );
        page.ipv4_sources = Some("dns:google\n\n https://echo.example/ip \n".into());
        page.ipv4_agree = Some(" ".into());
        page.ipv6_suffix = Some(" ::abcd ".into());
        let req = SaveRequest {
            username: current.user.username.clone(),
            dns_conf: vec![Some(page)],
            ..SaveRequest::default()
        };
        let e = apply(&current, req).unwrap().config.dnsconf.remove(0);
        assert_eq!(e.ipv4.sources, ["dns:google", "https://echo.example/ip"]);
        assert_eq!(e.ipv4.agree, "");
        assert_eq!(e.ipv6.suffix, "::abcd");
        assert_eq!(e.ipv6.prefixlen, "56");
    }

    #[test]
    fn masks_like_ddns_go() {
        assert_eq!(mask("abcdef", "cloudflare"), "abc***");
        assert_eq!(mask("abc", "cloudflare"), "abc");
        assert_eq!(mask("", "alidns"), "");
        assert_eq!(mask("https://x/?t=1", "callback"), "https://x/?t=1");
        // Multi-byte: never cut inside a character; still one star per remaining byte.
        assert_eq!(mask("ab\u{e9}cd", "alidns"), "ab\u{e9}**");
    }

    #[test]
    fn splits_and_ordinals() {
        assert_eq!(split_lines("a\r\nb\n"), vec!["a", "b\n"]);
        assert_eq!(split_lines("a\n\nb"), vec!["a", "", "b"]);
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(22), "22nd");
    }

    fn stored() -> Config {
        let mut c = Config::default();
        c.user.username = "admin".into();
        c.user.password = "$2a$10$storedhash".into();
        let mut e = DnsConfig::default();
        e.dns.name = "cloudflare".into();
        e.dns.id = "ID-original".into();
        e.dns.secret = "SECRET-original-value".into();
        c.dnsconf.push(e);
        c
    }

    #[test]
    fn mask_round_trip_keeps_stored_secret_at_same_index() {
        let cur = stored();
        let page = masked_entries(&cur);
        assert!(!page[0].dns_secret.contains("original"));
        let mut req = SaveRequest {
            username: " admin ".into(),
            dns_conf: vec![Some(page[0].clone()), Some(page[0].clone())],
            ..SaveRequest::default()
        };
        req.dns_conf[0].as_mut().unwrap().ipv4_domains = "a.example.com\r\nb.example.com".into();
        let out = apply(&cur, req).unwrap();
        assert_eq!(out.config.user.username, "admin");
        assert_eq!(out.config.user.password, "$2a$10$storedhash");
        assert!(!out.account_changed);
        assert_eq!(out.config.dnsconf[0].dns.secret, "SECRET-original-value");
        assert_eq!(out.config.dnsconf[0].dns.id, "ID-original");
        assert_eq!(
            out.config.dnsconf[0].ipv4.domains,
            vec!["a.example.com", "b.example.com"]
        );
        // Index 1 has no stored entry: the mask is taken literally.
        assert_eq!(out.config.dnsconf[1].dns.secret, page[0].dns_secret);
        assert_eq!(
            out.warnings,
            vec!["The 2nd config does not fill in the domain"]
        );
    }

    #[test]
    fn new_secret_replaces_and_nulls_are_skipped() {
        let cur = stored();
        let mut e = masked_entries(&cur)[0].clone();
        e.dns_secret = "  brand-new  ".into();
        let req = SaveRequest {
            username: "admin".into(),
            dns_conf: vec![None, Some(e)],
            ..SaveRequest::default()
        };
        let out = apply(&cur, req).unwrap();
        assert_eq!(out.config.dnsconf.len(), 1);
        assert_eq!(out.config.dnsconf[0].dns.secret, "brand-new");
    }

    #[test]
    fn account_rules() {
        let cur = Config::default();
        let err = apply(
            &cur,
            SaveRequest {
                username: "a".into(),
                ..SaveRequest::default()
            },
        );
        assert_eq!(err.unwrap_err(), "Username/Password is required");
        let weak = SaveRequest {
            username: "a".into(),
            password: "123456".into(),
            ..SaveRequest::default()
        };
        assert!(apply(&cur, weak).unwrap_err().contains("not secure"));
    }
}
