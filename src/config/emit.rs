//! Writes a [`Config`] as the exact bytes ddns-go's `yaml.Marshal` (Go yaml.v3) produces: every
//! key always present, in the schema's order, four-space indentation, list items under a key
//! indented by four with the `- ` counted inside the item's indentation.
//!
//! Layout (from yaml.v3's emitter with `best_indent = 4`): root keys at column 0; the items of
//! `dnsconf` start with `    - ` and their keys sit at column 6; maps inside an item (`ipv4`,
//! `ipv6`, `dns`) have their keys at column 8, the next multiple of 4; `domains` items are at
//! column 12; `user` and `webhook` keys at column 4. An empty list is written `[]`. Only the
//! `ipv6` section has `ipv6reg` (ddns-go has two different structs). Scalars: see `scalar`.
//!
//! ddns-rs's own optional keys (`ipv6.prefixlen`, `ipv6.suffix`, `sources`/`agree` in both
//! sections, the top-level `notify` list and `push` map) are written after ddns-go's keys and only when set, so
//! a file without them keeps ddns-go's exact bytes.

use super::scalar::{Place, write_scalar};
#[cfg(test)]
use super::schema::Push;
use super::schema::{Config, DnsConfig, IpConf, NotifyChannel};

/// The config as ddns-go would write it.
pub fn to_yaml(config: &Config) -> String {
    let mut out = String::with_capacity(1024);
    if config.dnsconf.is_empty() {
        out.push_str("dnsconf: []\n");
    } else {
        out.push_str("dnsconf:\n");
        for entry in &config.dnsconf {
            dns_entry(&mut out, entry);
        }
    }
    out.push_str("user:\n");
    string(&mut out, 4, "username", &config.user.username);
    string(&mut out, 4, "password", &config.user.password);
    out.push_str("webhook:\n");
    string(&mut out, 4, "webhookurl", &config.webhook.webhookurl);
    string(
        &mut out,
        4,
        "webhookrequestbody",
        &config.webhook.webhookrequestbody,
    );
    string(
        &mut out,
        4,
        "webhookheaders",
        &config.webhook.webhookheaders,
    );
    boolean(&mut out, 0, "notallowwanaccess", config.notallowwanaccess);
    string(&mut out, 0, "lang", &config.lang);
    // ddns-rs's own list, last and only when set, so a ddns-go file keeps its exact bytes.
    if !config.notify.is_empty() {
        out.push_str("notify:\n");
        for ch in &config.notify {
            notify_channel(&mut out, ch);
        }
    }
    // Router-push credentials, ddns-rs's own too: last and only when set.
    if !config.push.is_empty() {
        out.push_str("push:\n");
        string(&mut out, 4, "username", &config.push.username);
        string(&mut out, 4, "password", &config.push.password);
    }
    out
}

/// One `notify` item: `type` on the dash line, then only the fields that are set.
fn notify_channel(out: &mut String, ch: &NotifyChannel) {
    out.push_str("    - type:");
    write_scalar(out, &ch.kind, Place::MapValue(6));
    for (k, v) in [
        ("url", &ch.url),
        ("token", &ch.token),
        ("to", &ch.to),
        ("secret", &ch.secret),
    ] {
        if !v.is_empty() {
            string(out, 6, k, v);
        }
    }
    list(out, 6, "events", &ch.events);
}

/// One `dnsconf` item: the first key shares the line with the `-`.
fn dns_entry(out: &mut String, d: &DnsConfig) {
    out.push_str("    - name:");
    write_scalar(out, &d.name, Place::MapValue(6));
    ip_conf(out, "ipv4", &d.ipv4, false);
    ip_conf(out, "ipv6", &d.ipv6, true);
    out.push_str("      dns:\n");
    string(out, 8, "name", &d.dns.name);
    string(out, 8, "id", &d.dns.id);
    string(out, 8, "secret", &d.dns.secret);
    string(out, 8, "extparam", &d.dns.extparam);
    string(out, 6, "ttl", &d.ttl);
    string(out, 6, "httpinterface", &d.httpinterface);
}

fn ip_conf(out: &mut String, key: &str, ip: &IpConf, with_ipv6reg: bool) {
    out.push_str("      ");
    out.push_str(key);
    out.push_str(":\n");
    boolean(out, 8, "enable", ip.enable);
    string(out, 8, "gettype", &ip.gettype);
    string(out, 8, "url", &ip.url);
    string(out, 8, "netinterface", &ip.netinterface);
    string(out, 8, "cmd", &ip.cmd);
    if with_ipv6reg {
        string(out, 8, "ipv6reg", &ip.ipv6reg);
    }
    list(out, 8, "domains", &ip.domains);
    // ddns-rs's own keys, after ddns-go's: written only when set, so a ddns-go file round-trips
    // byte for byte (ddns-go ignores them on read and drops them when it saves).
    if with_ipv6reg {
        if !ip.prefixlen.is_empty() {
            string(out, 8, "prefixlen", &ip.prefixlen);
        }
        if !ip.suffix.is_empty() {
            string(out, 8, "suffix", &ip.suffix);
        }
    }
    if !ip.sources.is_empty() {
        list(out, 8, "sources", &ip.sources);
    }
    if !ip.agree.is_empty() {
        string(out, 8, "agree", &ip.agree);
    }
}

fn key(out: &mut String, indent: usize, key: &str) {
    out.extend(std::iter::repeat_n(' ', indent));
    out.push_str(key);
    out.push(':');
}

fn string(out: &mut String, indent: usize, k: &str, value: &str) {
    key(out, indent, k);
    write_scalar(out, value, Place::MapValue(indent));
}

fn boolean(out: &mut String, indent: usize, k: &str, value: bool) {
    key(out, indent, k);
    out.push_str(if value { " true\n" } else { " false\n" });
}

fn list(out: &mut String, indent: usize, k: &str, items: &[String]) {
    key(out, indent, k);
    if items.is_empty() {
        out.push_str(" []\n");
        return;
    }
    out.push('\n');
    let dash = indent + 4;
    for item in items {
        out.extend(std::iter::repeat_n(' ', dash));
        out.push('-');
        write_scalar(out, item, Place::SeqItem(dash));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_written_with_every_key() {
        let want = "dnsconf: []\nuser:\n    username: \"\"\n    password: \"\"\nwebhook:\n    \
                    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\n\
                    notallowwanaccess: false\nlang: \"\"\n";
        assert_eq!(to_yaml(&Config::default()), want);
    }

    #[test]
    fn empty_entry_lists_every_key_and_empty_domains() {
        let config = Config {
            dnsconf: vec![DnsConfig::default()],
            ..Config::default()
        };
        let yaml = to_yaml(&config);
        let entry = "dnsconf:\n    - name: \"\"\n      ipv4:\n        enable: false\n        \
                     gettype: \"\"\n        url: \"\"\n        netinterface: \"\"\n        \
                     cmd: \"\"\n        domains: []\n      ipv6:\n        enable: false\n        \
                     gettype: \"\"\n        url: \"\"\n        netinterface: \"\"\n        \
                     cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n      dns:\n        \
                     name: \"\"\n        id: \"\"\n        secret: \"\"\n        extparam: \"\"\n      \
                     ttl: \"\"\n      httpinterface: \"\"\nuser:\n";
        assert!(yaml.starts_with(entry), "{yaml}");
    }

    #[test]
    fn ipv6_suffix_keys_are_written_only_when_set_and_only_for_ipv6() {
        let mut entry = DnsConfig::default();
        entry.ipv6.suffix = "::1234:5678".into();
        entry.ipv6.prefixlen = "56".into();
        // Not a key of the ipv4 section: never written there.
        entry.ipv4.suffix = "::9".into();
        let yaml = to_yaml(&Config {
            dnsconf: vec![entry],
            ..Config::default()
        });
        assert!(
            yaml.contains(
                "        ipv6reg: \"\"\n        domains: []\n        prefixlen: \"56\"\n        \
                 suffix: ::1234:5678\n      dns:\n"
            ),
            "{yaml}"
        );
        assert!(!yaml.contains("::9"), "{yaml}");
        assert_eq!(yaml.matches("suffix").count(), 1);
    }

    #[test]
    fn notify_list_is_written_last_and_only_when_set() {
        assert!(!to_yaml(&Config::default()).contains("notify"));
        let config = Config {
            notify: vec![
                NotifyChannel {
                    kind: "telegram".into(),
                    token: "123:abc".into(),
                    to: "-100".into(),
                    events: vec!["failure".into(), "recovery".into()],
                    ..NotifyChannel::default()
                },
                NotifyChannel {
                    kind: "discord".into(),
                    url: "https://discord.com/api/webhooks/1/x".into(),
                    ..NotifyChannel::default()
                },
            ],
            ..Config::default()
        };
        let yaml = to_yaml(&config);
        let tail = "lang: \"\"\nnotify:\n    - type: telegram\n      token: 123:abc\n      \
                    to: \"-100\"\n      events:\n          - failure\n          - recovery\n    \
                    - type: discord\n      url: https://discord.com/api/webhooks/1/x\n      \
                    events: []\n";
        assert!(yaml.ends_with(tail), "{yaml}");
        let back: Config = yaml_serde::from_str(&yaml).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn push_credentials_are_written_last_and_only_when_set() {
        assert!(!to_yaml(&Config::default()).contains("push"));
        let config = Config {
            push: Push {
                username: "router".into(),
                password: "${env:PUSH_PW}".into(),
            },
            ..Config::default()
        };
        let yaml = to_yaml(&config);
        assert!(
            yaml.ends_with(
                "lang: \"\"\npush:\n    username: router\n    password: ${env:PUSH_PW}\n"
            ),
            "{yaml}"
        );
        let back: Config = yaml_serde::from_str(&yaml).unwrap();
        assert_eq!(back, config);
        // A password alone (user name left empty) is still written, so it is not lost.
        let only_pw = Config {
            push: Push {
                password: "x".into(),
                ..Push::default()
            },
            ..Config::default()
        };
        assert!(to_yaml(&only_pw).ends_with("push:\n    username: \"\"\n    password: x\n"));
    }

    #[test]
    fn agreement_keys_are_written_only_when_set() {
        let mut entry = DnsConfig::default();
        entry.ipv4.sources = vec!["dns:google".into(), "stun:stun.example:3478".into()];
        entry.ipv4.agree = "2".into();
        let yaml = to_yaml(&Config {
            dnsconf: vec![entry],
            ..Config::default()
        });
        assert!(
            yaml.contains(
                "        domains: []\n        sources:\n            - dns:google\n            \
                 - stun:stun.example:3478\n        agree: \"2\"\n      ipv6:\n"
            ),
            "{yaml}"
        );
        assert_eq!(yaml.matches("sources").count(), 1);
        assert!(
            !to_yaml(&Config {
                dnsconf: vec![DnsConfig::default()],
                ..Config::default()
            })
            .contains("agree")
        );
    }
}
