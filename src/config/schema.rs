//! ddns-go's config schema, key for key (Go's yaml.v3 lower-cases field names; `user` and
//! `webhook` are nested maps). Every key is optional when reading, so files written by any ddns-go
//! version (and hand-written ones) load; unknown keys are ignored, as ddns-go does.

use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Independent DNS config entries (since ddns-go v5).
    #[serde(deserialize_with = "super::lenient::list")]
    pub dnsconf: Vec<DnsConfig>,
    /// Web UI login.
    pub user: User,
    /// Global webhook.
    pub webhook: Webhook,
    /// Refuse web UI clients that are not on the LAN.
    #[serde(deserialize_with = "super::lenient::boolean")]
    pub notallowwanaccess: bool,
    /// Log / UI language: "zh" or "en".
    pub lang: String,
    /// ddns-rs only: ready-made notification channels (Telegram, DingTalk, …). ddns-go ignores
    /// the key; it is written only when the list is not empty.
    #[serde(
        deserialize_with = "super::lenient::list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub notify: Vec<NotifyChannel>,
    /// ddns-rs only: the credentials routers use to push their address to `/nic/update`
    /// (router push, `gettype: push`). ddns-go ignores the key; written only when set.
    #[serde(skip_serializing_if = "Push::is_empty")]
    pub push: Push,
}

/// ddns-rs only: router-push credentials (HTTP basic auth of `/nic/update`). Never the web UI
/// login; the password may be a `${env:…}`/`${file:…}` reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Push {
    /// User name routers send.
    pub username: String,
    /// Password routers send (plain text or a secret reference; not hashed, as routers send it
    /// in the clear anyway and a reference must stay usable).
    pub password: String,
}

impl Push {
    /// Neither field is set: router push is off and the key is not written.
    pub fn is_empty(&self) -> bool {
        self.username.is_empty() && self.password.is_empty()
    }
}

/// One config entry: a provider account, how to detect each address family, and the domains.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnsConfig {
    /// Display name only.
    pub name: String,
    /// IPv4 (A records).
    pub ipv4: IpConf,
    /// IPv6 (AAAA records).
    pub ipv6: IpConf,
    /// Provider and credentials.
    pub dns: DnsProvider,
    /// "" = provider default; otherwise a number of seconds, as a string.
    pub ttl: String,
    /// Interface to bind this entry's HTTP traffic to ("" = default route).
    pub httpinterface: String,
}

/// Detection settings and domains of one address family.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IpConf {
    /// Whether this family is updated.
    #[serde(deserialize_with = "super::lenient::boolean")]
    pub enable: bool,
    /// "url", "netInterface" or "cmd" (case-sensitive, as in ddns-go).
    pub gettype: String,
    /// Comma-separated echo URLs.
    pub url: String,
    /// Interface name for `netInterface`.
    pub netinterface: String,
    /// Shell command for `cmd`.
    pub cmd: String,
    /// IPv6 only: "" | "@N" | regex selecting among the interface's addresses. Written for the
    /// `ipv6` section only.
    pub ipv6reg: String,
    /// Domain lines (see `config::domain`).
    #[serde(deserialize_with = "super::lenient::list")]
    pub domains: Vec<String>,
    /// IPv6 only, ddns-rs only: length of the (delegated) prefix kept from the detected address
    /// when `suffix` is set; "" = 64. ddns-go ignores the key; written only when set.
    pub prefixlen: String,
    /// IPv6 only, ddns-rs only: the fixed interface identifier (e.g. `::1234:5678`) put after
    /// the detected prefix, to publish another LAN host's address on a moving prefix. "" = off.
    pub suffix: String,
    /// ddns-rs only: independent sources asked together (`https://…`, `dns:opendns`,
    /// `dns:google`, `dns:cloudflare`, `stun:host:port`); when set they replace `gettype` and an
    /// address is published only when `agree` of them give it. Written only when set.
    #[serde(deserialize_with = "super::lenient::list")]
    pub sources: Vec<String>,
    /// ddns-rs only: how many `sources` must agree; "" = 2. Written only when set.
    pub agree: String,
}

/// Provider key and credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnsProvider {
    /// Provider key (`alidns`, `cloudflare`, …); unknown or empty means alidns, as in ddns-go.
    pub name: String,
    /// Provider-specific ID.
    pub id: String,
    /// Provider-specific secret.
    pub secret: String,
    /// Provider-specific extra parameter.
    pub extparam: String,
}

/// Web UI login.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    /// Login name.
    pub username: String,
    /// bcrypt hash (`$2a$10$…`), or plaintext to be hashed at the next start.
    pub password: String,
}

/// Global webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Webhook {
    /// URL template; empty disables the webhook.
    pub webhookurl: String,
    /// Body template; empty means GET.
    pub webhookrequestbody: String,
    /// `Key: Value` lines.
    pub webhookheaders: String,
}

/// ddns-rs only: one notification channel of the `notify` list. Which fields a type uses is
/// documented in docs/configuration.md; unused fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifyChannel {
    /// `telegram`, `discord`, `slack`, `dingtalk`, `feishu` (or `lark`), `wecom`, `bark`,
    /// `serverchan`, `ntfy` or `gotify`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Webhook URL, or the server's base URL for self-hostable services ("" = the public one).
    pub url: String,
    /// Bot token, device key, SendKey or app token, depending on the type.
    pub token: String,
    /// Recipient: Telegram chat id or ntfy topic.
    pub to: String,
    /// Signing secret (DingTalk, Feishu/Lark).
    pub secret: String,
    /// Which events to send: `success`, `failure`, `recovery`; empty = all three.
    #[serde(deserialize_with = "super::lenient::list")]
    pub events: Vec<String>,
}
