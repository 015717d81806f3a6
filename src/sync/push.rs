//! Router push, the engine's side: config entries whose source is `gettype: push` detect
//! nothing; their address is the one a router last pushed to `/nic/update` (`web::push`).
//! A push is a [`PushJob`] sent over the daemon's control channel; the daemon runs the entries
//! that list the pushed hostname through the ordinary sync path (cache, provider, history,
//! metrics, notifications) and answers with one [`PushAnswer`] per hostname.
//!
//! Pushed addresses are kept per hostname and family, not per entry, so they survive a config
//! change (entries moved, added or renamed); they live in memory only: after a restart a push
//! entry waits for the router's next push.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use tokio::sync::oneshot;
use tracing::info;

use super::Engine;
use super::status::{Observation, Outcome};
use crate::config::{Config, Domain, IpConf, parse_domains};
use crate::detect::Family;
use crate::provider::RecordType;

/// The `gettype` value of a push-fed family.
pub const GETTYPE: &str = "push";

/// What the status board shows while no address has been pushed.
pub const WAITING: &str = "waiting for a push: no router has sent an address to /nic/update yet";

/// Whether this family's address comes from router pushes.
pub fn is_push(conf: &IpConf) -> bool {
    conf.gettype == GETTYPE
}

/// A hostname as routers send it, compared case-insensitively and without a trailing dot.
pub fn normalize_host(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The entries (index, record name as configured) that publish `host` from pushes of `family`:
/// the family is enabled, its source is `push`, and a domain line names the host.
pub fn push_targets(config: &Config, host: &str, family: Family) -> Vec<(usize, String)> {
    let want = normalize_host(host);
    let mut out = Vec::new();
    for (i, c) in config.dnsconf.iter().enumerate() {
        let ipconf = match family {
            Family::V4 => &c.ipv4,
            Family::V6 => &c.ipv6,
        };
        if !ipconf.enable || !is_push(ipconf) {
            continue;
        }
        let (domains, _) = parse_domains(&ipconf.domains);
        if let Some(name) = domains
            .iter()
            .map(Domain::name)
            .find(|n| normalize_host(n) == want)
        {
            out.push((i, name));
        }
    }
    out
}

/// One push: the hostnames of the request and the (validated) address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    /// Hostnames as sent (`hostname=a,b`).
    pub hostnames: Vec<String>,
    /// The address to publish; its family picks A or AAAA.
    pub addr: IpAddr,
}

/// The dyndns2 answer for one hostname.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushAnswer {
    /// Published (`good <ip>`).
    Good(IpAddr),
    /// Already published (`nochg <ip>`).
    NoChange(IpAddr),
    /// No push entry lists the hostname (`nohost`).
    NoHost,
    /// The provider refused (credentials, permissions, a refused record): `dnserr`.
    DnsError,
    /// The provider failed for now or asked to wait: `911`.
    ServerError,
}

impl PushAnswer {
    /// The dyndns2 answer line (without the line break).
    pub fn line(self) -> String {
        match self {
            PushAnswer::Good(ip) => format!("good {ip}"),
            PushAnswer::NoChange(ip) => format!("nochg {ip}"),
            PushAnswer::NoHost => "nohost".into(),
            PushAnswer::DnsError => "dnserr".into(),
            PushAnswer::ServerError => "911".into(),
        }
    }
}

/// A push on its way to the daemon, with where the answers go.
#[derive(Debug)]
pub struct PushJob {
    /// The push.
    pub request: PushRequest,
    /// One answer per hostname, in the request's order.
    pub reply: oneshot::Sender<Vec<PushAnswer>>,
}

/// The addresses pushed so far, per (normalized hostname, family), with an order so an entry
/// listing several pushed hostnames takes the newest push.
#[derive(Debug, Default)]
pub(super) struct Pushed {
    seq: u64,
    by_host: HashMap<(String, Family), (u64, IpAddr)>,
}

impl Pushed {
    fn set(&mut self, host: &str, family: Family, addr: IpAddr) {
        self.seq += 1;
        self.by_host
            .insert((normalize_host(host), family), (self.seq, addr));
    }

    /// The newest address pushed for any of `names`.
    fn latest(&self, names: &[String], family: Family) -> Option<IpAddr> {
        names
            .iter()
            .filter_map(|n| self.by_host.get(&(normalize_host(n), family)))
            .max_by_key(|(seq, _)| *seq)
            .map(|(_, a)| *a)
    }
}

fn family_of(addr: IpAddr) -> (Family, RecordType) {
    match addr {
        IpAddr::V4(_) => (Family::V4, RecordType::A),
        IpAddr::V6(_) => (Family::V6, RecordType::Aaaa),
    }
}

impl Engine {
    /// The pushed address of a push-fed family, or None after recording "waiting for a push"
    /// for its records (logged once, not as an error: nothing is wrong yet).
    pub(super) fn pushed_address(
        &self,
        i: usize,
        label: &str,
        names: &[String],
        family: Family,
        run: &mut super::EntryRun,
    ) -> Option<IpAddr> {
        if let Some(a) = self.pushed.latest(names, family) {
            return Some(a);
        }
        let rtype = family_of_rtype(family);
        let before = self.status.snapshot();
        for n in names {
            let already = before.iter().any(|r| {
                r.entry == i && &r.domain == n && r.rtype == rtype && r.outcome == Outcome::Waiting
            });
            if !already {
                info!("{label}: {} {n}: {WAITING}", family.label());
            }
            run.status
                .push((n.clone(), rtype, Observation::waiting(WAITING.into())));
        }
        None
    }

    /// Whether entry `i` is held by its account's rate limit or by its error backoff: the run
    /// would skip it, so a push for it is answered `911`, "try again later".
    fn push_held(&self, i: usize) -> bool {
        let account = self
            .entry_accounts
            .get(i)
            .is_some_and(|a| a.held_for().is_some());
        let now = Instant::now();
        account
            || self
                .entries
                .get(i)
                .is_some_and(|e| e.backoff_until.is_some_and(|u| now < u))
    }

    /// Publishes a router's push: remembers the address for each hostname a push entry lists,
    /// runs those entries, and answers per hostname from what the run recorded.
    pub async fn push(&mut self, req: &PushRequest) -> Vec<PushAnswer> {
        let (family, rtype) = family_of(req.addr);
        let targets: Vec<Vec<(usize, String)>> = req
            .hostnames
            .iter()
            .map(|h| push_targets(&self.config, h, family))
            .collect();
        for (h, t) in req.hostnames.iter().zip(&targets) {
            if !t.is_empty() {
                self.pushed.set(h, family, req.addr);
            }
        }
        let mut all: Vec<usize> = targets.iter().flatten().map(|(i, _)| *i).collect();
        all.sort_unstable();
        all.dedup();
        // An entry held by a provider's rate limit or an error backoff is not run (the run
        // would skip it anyway): its hostnames get `911`, "try again later".
        let run: Vec<usize> = all
            .iter()
            .copied()
            .filter(|i| *i < self.entries.len() && !self.push_held(*i))
            .collect();
        if !run.is_empty() {
            self.run_entries(&run).await;
        }
        let board = self.status.snapshot();
        targets
            .iter()
            .map(|t| {
                if t.is_empty() {
                    return PushAnswer::NoHost;
                }
                let answers = t.iter().map(|(i, name)| {
                    if !run.contains(i) {
                        return PushAnswer::ServerError;
                    }
                    let rec = board
                        .iter()
                        .find(|r| r.entry == *i && &r.domain == name && r.rtype == rtype);
                    match rec.map(|r| r.outcome) {
                        Some(Outcome::Updated) => PushAnswer::Good(req.addr),
                        Some(Outcome::Unchanged) | Some(Outcome::Planned) => {
                            PushAnswer::NoChange(req.addr)
                        }
                        Some(Outcome::Failed) => {
                            // A failure that arms a hold or backoff is temporary; any other
                            // (credentials, permissions, a refused record) is the DNS side's.
                            let failing = self.entries.get(*i).is_some_and(|e| e.failed_runs > 0);
                            if self.push_held(*i) || failing {
                                PushAnswer::ServerError
                            } else {
                                PushAnswer::DnsError
                            }
                        }
                        Some(Outcome::Waiting) | None => PushAnswer::ServerError,
                    }
                });
                combine(answers)
            })
            .collect()
    }
}

fn family_of_rtype(family: Family) -> RecordType {
    match family {
        Family::V4 => RecordType::A,
        Family::V6 => RecordType::Aaaa,
    }
}

/// One answer for a hostname several entries publish: the worst wins (911, then dnserr),
/// then `good` if any record changed.
fn combine(answers: impl Iterator<Item = PushAnswer>) -> PushAnswer {
    let mut out: Option<PushAnswer> = None;
    for a in answers {
        let rank = |a: &PushAnswer| match a {
            PushAnswer::ServerError => 4,
            PushAnswer::DnsError => 3,
            PushAnswer::NoHost => 2,
            PushAnswer::Good(_) => 1,
            PushAnswer::NoChange(_) => 0,
        };
        if out.as_ref().is_none_or(|o| rank(&a) > rank(o)) {
            out = Some(a);
        }
    }
    out.unwrap_or(PushAnswer::NoHost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DnsConfig;
    use std::net::Ipv4Addr;

    fn entry(gettype: &str, domains: &[&str]) -> DnsConfig {
        let mut c = DnsConfig::default();
        c.ipv4.enable = true;
        c.ipv4.gettype = gettype.into();
        c.ipv4.domains = domains.iter().map(|d| d.to_string()).collect();
        c
    }

    #[test]
    fn targets_are_enabled_push_entries_listing_the_host() {
        let mut off = entry("push", &["home.example.com"]);
        off.ipv4.enable = false;
        let config = Config {
            dnsconf: vec![
                entry("url", &["home.example.com"]),
                entry("push", &["www.example.com", "Home.Example.com"]),
                off,
                entry("push", &["home:example.com"]),
            ],
            ..Config::default()
        };
        let t = push_targets(&config, "HOME.example.com.", Family::V4);
        assert_eq!(
            t,
            vec![
                (1, "Home.Example.com".to_string()),
                (3, "home.example.com".to_string())
            ]
        );
        assert!(push_targets(&config, "home.example.com", Family::V6).is_empty());
        assert!(push_targets(&config, "other.example.com", Family::V4).is_empty());
    }

    #[test]
    fn newest_push_of_any_listed_host_wins() {
        let mut p = Pushed::default();
        let a = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        let b = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2));
        let names = vec!["a.example.com".to_string(), "b.example.com".to_string()];
        assert_eq!(p.latest(&names, Family::V4), None);
        p.set("A.example.com", Family::V4, a);
        p.set("b.example.com", Family::V4, b);
        assert_eq!(p.latest(&names, Family::V4), Some(b));
        p.set("a.example.com", Family::V4, a);
        assert_eq!(p.latest(&names, Family::V4), Some(a));
        assert_eq!(p.latest(&names, Family::V6), None);
    }

    #[test]
    fn combined_answer_is_the_worst_then_good() {
        let ip = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        use PushAnswer::*;
        assert_eq!(combine([NoChange(ip), Good(ip)].into_iter()), Good(ip));
        assert_eq!(combine([Good(ip), DnsError].into_iter()), DnsError);
        assert_eq!(
            combine([ServerError, DnsError, Good(ip)].into_iter()),
            ServerError
        );
        assert_eq!(combine(std::iter::empty()), NoHost);
        assert_eq!(Good(ip).line(), "good 198.51.100.1");
        assert_eq!(NoChange(ip).line(), "nochg 198.51.100.1");
    }
}
