//! The dyndns2 update protocol (`dns.name: dyndns2`): `GET /nic/update?hostname=…&myip=…`
//! with HTTP basic auth, spoken by No-IP, Dynu, DynDNS, Hurricane Electric, DNS-O-Matic and
//! many routers' own servers.
//!
//! `id` is the username, `secret` the password, `extparam` the update URL or the name of a
//! [`PRESETS`] entry. Change-only: the protocol cannot read a record, so the lookup is
//! [`Lookup::Unknown`] and the sync layer writes only when the address changed.
//!
//! Answer codes: `good`/`nochg` succeed; `badauth` is [`ProviderError::Auth`]; `abuse`,
//! `badagent`, `nohost`, `notfqdn`, `numhost`, `!donator` are [`ProviderError::Refused`] (the
//! engine stops retrying the record until the config changes); `911`/`dnserr` are
//! [`ProviderError::RateLimited`] for [`SERVER_TROUBLE_WAIT`], as the protocol asks. After a
//! `badauth` this provider (which lives until the config changes) sends nothing more: repeated
//! bad logins get accounts blocked.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use super::{BoxFut, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "dyndns2",
    name: "dyndns2 (No-IP, Dynu, DynDNS, HE, …)",
    id_label: "Username",
    secret_label: "Password",
    extparam_label: "Update URL or preset",
    help_url: "https://help.dyn.com/remote-access-api/perform-update/",
    help: "Any dyndns2 (/nic/update) service: username and password (HE: the record's key), and a preset (noip, dynu, dyndns, he, google, dnsomatic) or the full update URL.",
    default_ttl: "",
    change_only: true,
};

/// Known dyndns2 services: (preset name, update URL). The web UI shows them as a select.
pub const PRESETS: &[(&str, &str)] = &[
    ("noip", "https://dynupdate.no-ip.com/nic/update"),
    ("dynu", "https://api.dynu.com/nic/update"),
    ("dyndns", "https://members.dyndns.org/nic/update"),
    ("he", "https://dyn.dns.he.net/nic/update"),
    ("google", "https://domains.google.com/nic/update"),
    ("dnsomatic", "https://updates.dnsomatic.com/nic/update"),
];

/// How long to hold off after `911`/`dnserr` (the protocol asks for at least 30 minutes).
pub const SERVER_TROUBLE_WAIT: Duration = Duration::from_secs(30 * 60);

/// The User-Agent the protocol asks for: `Company - Device - Version`.
const AGENT: &str = concat!("ddns-rs - ddns-rs - ", env!("CARGO_PKG_VERSION"));

/// One dyndns2 account.
pub struct Dyndns2 {
    s: ProviderSettings,
    /// The `badauth` seen earlier, replayed instead of asking again.
    locked: Mutex<Option<ProviderError>>,
}

/// The update URL for `extparam`: a preset's (by name, case-insensitive) or the URL itself.
pub fn update_url(extparam: &str) -> Result<String, ProviderError> {
    let raw = extparam.trim();
    if let Some((_, url)) = PRESETS.iter().find(|(n, _)| n.eq_ignore_ascii_case(raw)) {
        return Ok((*url).to_string());
    }
    if raw.starts_with("http://") || raw.starts_with("https://") {
        return Ok(raw.to_string());
    }
    let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
    Err(ProviderError::Api(format!(
        "the update URL \"{raw}\" is neither a preset ({}) nor an http(s):// URL; set it in the \
         extparam field",
        names.join(", ")
    )))
}

/// The meaning of a dyndns2 answer (`status` and body).
pub fn classify(
    status: u16,
    body: &str,
    retry_after: Option<Duration>,
) -> Result<(), ProviderError> {
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let code = line.split_whitespace().next().unwrap_or("");
    let refused = |why: &str| Err(ProviderError::Refused(format!("{code}: {why}")));
    match code {
        "good" | "nochg" if status < 300 => Ok(()),
        "badauth" => Err(ProviderError::Auth(
            "badauth: the service rejected the username or password".into(),
        )),
        _ if status == 401 || status == 403 => Err(ProviderError::Auth(format!(
            "HTTP {status}: the service rejected the username or password"
        ))),
        "!donator" => refused("this feature needs a paid account"),
        "notfqdn" => refused("the host name is not a fully qualified name of this account"),
        "nohost" => refused("the host name does not exist in this account"),
        "numhost" => refused("too many host names in one update"),
        "abuse" => {
            refused("the service blocked the host name for abuse; unblock it on its website")
        }
        "badagent" => refused("the service rejected this client (user agent or HTTP method)"),
        "911" | "dnserr" => Err(ProviderError::RateLimited {
            retry_after: Some(
                retry_after
                    .unwrap_or(SERVER_TROUBLE_WAIT)
                    .max(SERVER_TROUBLE_WAIT),
            ),
            msg: format!("{code}: the service has a problem on its side"),
        }),
        _ if status == 429 => Err(ProviderError::RateLimited {
            retry_after,
            msg: super::truncate(line, 200).to_string(),
        }),
        _ => Err(ProviderError::Api(format!(
            "unexpected answer (HTTP {status}): {}",
            super::truncate(line, 200)
        ))),
    }
}

impl Dyndns2 {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Dyndns2 {
            s,
            locked: Mutex::new(None),
        }
    }

    fn locked(&self) -> Option<ProviderError> {
        self.locked.lock().ok().and_then(|g| g.clone())
    }
}

impl Provider for Dyndns2 {
    fn key(&self) -> &'static str {
        "dyndns2"
    }

    fn lookup<'a>(
        &'a self,
        _domain: &'a Domain,
        _rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async { Ok(Lookup::Unknown) })
    }

    fn apply<'a>(
        &'a self,
        domain: &'a Domain,
        _rtype: RecordType,
        _lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            if matches!(plan, Plan::NoChange { .. }) {
                return Ok(());
            }
            if let Some(e) = self.locked() {
                return Err(e);
            }
            let url = match self.s.endpoint.as_deref() {
                Some(base) => format!("{base}/nic/update"),
                None => update_url(&self.s.extparam)?,
            };
            let url = reqwest::Url::parse(&url)
                .map_err(|e| ProviderError::Api(format!("the update URL is invalid ({e})")))?;
            let req = self
                .s
                .http
                .get(url)
                .query(&[("hostname", domain.to_ascii()), ("myip", addr.to_string())])
                .basic_auth(self.s.id.trim(), Some(&self.s.secret))
                .header(reqwest::header::USER_AGENT, AGENT);
            let a = super::send(req).await?;
            let result = classify(a.status, &a.body, a.retry_after);
            if let Err(e @ ProviderError::Auth(_)) = &result
                && let Ok(mut g) = self.locked.lock()
            {
                *g = Some(e.clone());
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_resolve_by_name_and_urls_pass_through() {
        assert_eq!(
            update_url("NoIP").unwrap(),
            "https://dynupdate.no-ip.com/nic/update"
        );
        assert_eq!(
            update_url(" he ").unwrap(),
            "https://dyn.dns.he.net/nic/update"
        );
        assert_eq!(
            update_url("https://example.net/nic/update?system=dyndns").unwrap(),
            "https://example.net/nic/update?system=dyndns"
        );
        assert!(update_url("ftp://x").is_err());
        assert!(update_url("").is_err());
        for (name, url) in PRESETS {
            assert!(url.starts_with("https://"), "{name}");
        }
    }
}
