//! The sync engine: for each config entry, detect each enabled family's address, consult the
//! IP cache, then per domain ask the provider (lookup → plan → apply), record the status and
//! fire the webhook. Entries are independent; one failing domain does not stop the others.
//!
//! Not here: the timer, reload and signals (`schedule`), or how addresses are found
//! (`detect`) and written (`provider`).

pub mod cache;
mod ops;
pub mod push;
pub mod schedule;
pub mod status;

pub use ops::{RollbackError, RollbackOutcome, RollbackRequest};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{error, info, warn};

use crate::config::domain::parse_domains;
use crate::config::{Config, DnsConfig, Domain, IpConf};
use crate::detect::{DetectCtx, Family};
use crate::http::HttpOptions;
use crate::notify::{FamilyResult, RunDetails, RunReport, WebhookGate};
use crate::provider::{self, Plan, Provider, ProviderError, ProviderSettings, RecordType};
use cache::IpCache;
use status::{Observation, StatusBoard};

/// Settings from the command line that shape every run.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// `-cacheTimes`.
    pub cache_times: u32,
    /// `-dryRun`: plan and print, never write, no webhook.
    pub dry_run: bool,
    /// `-skipVerify`, `-dns`, proxy.
    pub http: HttpOptions,
    /// Provider base-URL overrides by provider key (tests only; empty in production).
    pub endpoints: HashMap<String, String>,
    /// Where provider writes are recorded (None: not recorded).
    pub history: Option<crate::history::HistoryLog>,
    /// Counters for `/metrics` and detected addresses for `/healthz`.
    pub metrics: crate::metrics::Metrics,
}

/// Totals of one run over every entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Records created or updated.
    pub updated: usize,
    /// Records already right (or not compared, per the cache).
    pub unchanged: usize,
    /// Records (or domain lines) that failed.
    pub failed: usize,
    /// `-dryRun`: writes that would have been made.
    pub planned: usize,
    /// `-dryRun`: one line per record, `current → new` or `no change`.
    pub plan_lines: Vec<String>,
}

/// Per-entry state that outlives a run (caches, webhook streak, the provider client).
#[derive(Default)]
struct EntryState {
    v4: IpCache,
    v6: IpCache,
    gate: WebhookGate,
    /// What we last know each record holds, for change-only providers.
    published: HashMap<(String, RecordType), IpAddr>,
    provider: Option<Arc<dyn Provider>>,
    /// After a rate limit: no provider calls before this instant.
    hold_until: Option<Instant>,
    /// Consecutive runs in which a provider call failed for a transient reason (transport,
    /// timeout, 5xx or another API error); reset by a run without such a failure.
    failed_runs: u32,
    /// Backoff after `failed_runs` failures: no provider calls before this instant.
    backoff_until: Option<Instant>,
    /// Records the provider refused for good (dyndns2 `nohost`, `abuse`, …), with the reason:
    /// not asked again until the config changes (which rebuilds every entry's state).
    refused: HashMap<(String, RecordType), String>,
    /// Back-off of the agreement sources (`sources:`), IPv4 and IPv6.
    sources_v4: crate::detect::agree::SourceHealth,
    sources_v6: crate::detect::agree::SourceHealth,
}

/// The sync engine. Runs are sequential (`&mut self`), so they never overlap.
pub struct Engine {
    opts: EngineOptions,
    config: Config,
    entries: Vec<EntryState>,
    status: StatusBoard,
    webhook_client: Option<reqwest::Client>,
    /// Addresses routers pushed (`gettype: push`); kept across config changes.
    pushed: push::Pushed,
}

fn entry_label(i: usize, c: &DnsConfig) -> String {
    if c.name.is_empty() {
        format!("{} - {}", i + 1, provider_key(c))
    } else {
        c.name.clone()
    }
}

fn provider_key(c: &DnsConfig) -> &str {
    if c.dns.name.is_empty() {
        "alidns"
    } else {
        &c.dns.name
    }
}

impl Engine {
    /// An engine for `config`, publishing status to `status`.
    pub fn new(config: Config, opts: EngineOptions, status: StatusBoard) -> Engine {
        let entries = config
            .dnsconf
            .iter()
            .map(|_| EntryState::default())
            .collect();
        Engine {
            opts,
            config,
            entries,
            status,
            webhook_client: None,
            pushed: push::Pushed::default(),
        }
    }

    /// The config in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Swaps in a new config. Any change resets every cache (as a save does in ddns-go), so the
    /// next run compares every record with its provider.
    pub fn set_config(&mut self, config: Config) {
        if config == self.config {
            return;
        }
        self.entries = config
            .dnsconf
            .iter()
            .map(|_| EntryState::default())
            .collect();
        self.webhook_client = None;
        let names: Vec<(usize, Vec<String>)> = config
            .dnsconf
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut all = parse_domains(&c.ipv4.domains).0;
                all.extend(parse_domains(&c.ipv6.domains).0);
                (i, all.iter().map(Domain::name).collect())
            })
            .collect();
        self.status.retain(|r| {
            names
                .iter()
                .any(|(i, n)| *i == r.entry && n.contains(&r.domain))
        });
        self.config = config;
    }

    /// Makes the next run compare every record with its provider, whatever the IP cache says
    /// (ddns-go's `ForceCompareGlobal`, set by a save and by "Update now").
    ///
    /// It also lifts the error backoff (a user asked for an attempt now), but never a hold the
    /// provider asked for with a rate limit.
    pub fn force_compare(&mut self) {
        for e in &mut self.entries {
            e.v4.reset();
            e.v6.reset();
            e.backoff_until = None;
        }
    }

    /// Runs every entry once, in order.
    pub async fn run_once(&mut self) -> RunSummary {
        let mut summary = RunSummary::default();
        for i in 0..self.config.dnsconf.len() {
            self.run_entry(i, &mut summary).await;
        }
        summary
    }

    /// Runs only the entries with these indices (in config order, each once), e.g. those a
    /// network change affects; indices beyond the config are ignored.
    pub async fn run_entries(&mut self, which: &[usize]) -> RunSummary {
        let mut summary = RunSummary::default();
        for i in 0..self.config.dnsconf.len() {
            if which.contains(&i) {
                self.run_entry(i, &mut summary).await;
            }
        }
        summary
    }

    fn provider_for(&mut self, i: usize) -> Result<Arc<dyn Provider>, String> {
        if let Some(p) = &self.entries[i].provider {
            return Ok(p.clone());
        }
        let c = &self.config.dnsconf[i];
        let iface = (!c.httpinterface.is_empty()).then_some(c.httpinterface.as_str());
        let http =
            crate::http::provider_client(&self.opts.http, iface).map_err(|e| e.to_string())?;
        let key = provider_key(c).to_string();
        // `${env:…}` / `${file:…}` references are resolved here, where the value is used;
        // the config keeps the reference.
        let secret =
            |key, v: &str| crate::config::secrets::resolve(key, v).map_err(|e| e.to_string());
        let settings = ProviderSettings {
            id: secret("dns.id", &c.dns.id)?,
            secret: secret("dns.secret", &c.dns.secret)?,
            extparam: c.dns.extparam.clone(),
            ttl: c.ttl.clone(),
            http,
            endpoint: self.opts.endpoints.get(&key).cloned(),
        };
        let p: Arc<dyn Provider> = Arc::from(provider::build(&key, settings)?);
        self.entries[i].provider = Some(p.clone());
        Ok(p)
    }

    async fn run_entry(&mut self, i: usize, summary: &mut RunSummary) {
        let conf = self.config.dnsconf[i].clone();
        let label = entry_label(i, &conf);
        let now = crate::timefmt::unix_now();
        let mut report = RunReport::default();
        // What each record held before this run, for the notification's "old → new".
        let before = self.status.snapshot();
        if let Some(until) = self.entries[i].hold_until {
            if Instant::now() < until {
                warn!(
                    "{label}: skipped, the provider asked to wait {}s more",
                    (until - Instant::now()).as_secs()
                );
                return;
            }
            self.entries[i].hold_until = None;
        }
        if let Some(until) = self.entries[i].backoff_until {
            if Instant::now() < until {
                warn!(
                    "{label}: skipped after {} failed runs in a row, next attempt in {}s",
                    self.entries[i].failed_runs,
                    (until - Instant::now()).as_secs()
                );
                return;
            }
            self.entries[i].backoff_until = None;
        }
        let mut transient = false;
        for family in [Family::V4, Family::V6] {
            let ipconf = match family {
                Family::V4 => &conf.ipv4,
                Family::V6 => &conf.ipv6,
            };
            let result = self
                .run_family(
                    i,
                    &label,
                    &conf,
                    ipconf,
                    family,
                    now,
                    summary,
                    &mut report,
                    &mut transient,
                )
                .await;
            match family {
                Family::V4 => report.ipv4_result = result,
                Family::V6 => report.ipv6_result = result,
            }
        }
        self.note_transient(i, &label, transient);
        if !self.opts.dry_run {
            let details = RunDetails {
                entry: label,
                records: crate::notify::record_lines(i, now, &before, &self.status.snapshot()),
            };
            self.fire_webhook(i, &report, &details).await;
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_family(
        &mut self,
        i: usize,
        label: &str,
        conf: &DnsConfig,
        ipconf: &IpConf,
        family: Family,
        now: i64,
        summary: &mut RunSummary,
        report: &mut RunReport,
        transient: &mut bool,
    ) -> FamilyResult {
        if !ipconf.enable {
            return FamilyResult::Unchanged;
        }
        let rtype = match family {
            Family::V4 => RecordType::A,
            Family::V6 => RecordType::Aaaa,
        };
        let (domains, bad) = parse_domains(&ipconf.domains);
        for e in &bad {
            error!("{label}: {e}");
            summary.failed += 1;
        }
        if domains.is_empty() {
            return if bad.is_empty() {
                FamilyResult::Unchanged
            } else {
                FamilyResult::Failed
            };
        }
        let names: Vec<String> = domains.iter().map(Domain::name).collect();
        match family {
            Family::V4 => report.ipv4_domains = names.clone(),
            Family::V6 => report.ipv6_domains = names.clone(),
        }
        let ctx = DetectCtx {
            http: self.opts.http.clone(),
            httpinterface: conf.httpinterface.clone(),
            sources: match family {
                Family::V4 => self.entries[i]
                    .sources_v4
                    .counted(&self.opts.metrics, label),
                Family::V6 => self.entries[i]
                    .sources_v6
                    .counted(&self.opts.metrics, label),
            },
        };
        let detected = if push::is_push(ipconf) {
            // Router push: the address comes only from pushes (`sync::push`).
            match self.pushed_address(i, label, &names, family, now) {
                Some(a) => Ok(a),
                None => return FamilyResult::Unchanged,
            }
        } else {
            crate::detect::detect(ipconf, family, &ctx).await
        };
        self.note_detection(i, ipconf, family, &detected);
        let addr = match detected {
            Ok(a) => a,
            Err(e) => {
                error!(
                    entry = label,
                    provider = provider_key(conf),
                    record = rtype.as_str(),
                    result = "failed",
                    "{label}: {e}; will not update"
                );
                for n in &names {
                    self.status
                        .record(i, n, rtype, Observation::failed(e.to_string()), now);
                }
                summary.failed += names.len();
                self.cache(i, family).reset();
                return FamilyResult::Failed;
            }
        };
        match family {
            Family::V4 => report.ipv4_addr = addr.to_string(),
            Family::V6 => report.ipv6_addr = addr.to_string(),
        }
        let cache_times = self.opts.cache_times;
        if !self.opts.dry_run && !self.cache(i, family).check(addr, cache_times) {
            info!(
                "{label}: {} {addr} has not changed, will wait {} times to compare with DNS provider",
                family.label(),
                self.cache(i, family).remaining()
            );
            for n in &names {
                self.status
                    .record(i, n, rtype, Observation::unchanged(None), now);
            }
            summary.unchanged += names.len();
            return FamilyResult::Unchanged;
        }
        let provider = match self.provider_for(i) {
            Ok(p) => p,
            Err(e) => {
                error!("{label}: {e}");
                for n in &names {
                    self.status
                        .record(i, n, rtype, Observation::failed(e.clone()), now);
                }
                summary.failed += names.len();
                self.cache(i, family).reset();
                return FamilyResult::Failed;
            }
        };
        let mut any_failed = false;
        let mut any_updated = false;
        let mut stop: Option<String> = None;
        for d in &domains {
            let name = d.name();
            if let Some(why) = &stop {
                // The account is unusable this run (bad credentials, rate limit): asking again
                // for every domain would only add failed calls.
                self.status
                    .record(i, &name, rtype, Observation::failed(why.clone()), now);
                summary.failed += 1;
                continue;
            }
            if let Some(why) = self.entries[i].refused.get(&(name.clone(), rtype)) {
                let why = format!("not retried until the configuration changes: {why}");
                warn!("{label}: {} record of {name} {why}", rtype.as_str());
                self.status
                    .record(i, &name, rtype, Observation::failed(why), now);
                summary.failed += 1;
                continue;
            }
            match self.sync_domain(i, &*provider, d, rtype, addr).await {
                Ok(DomainResult::Unchanged(current)) => {
                    info!(
                        entry = label,
                        provider = provider.key(),
                        domain = %name,
                        record = rtype.as_str(),
                        ip = %addr,
                        result = "unchanged",
                        "{label}: Your IP {addr} has not changed! Domain: {name}"
                    );
                    self.status
                        .record(i, &name, rtype, Observation::unchanged(Some(current)), now);
                    summary.unchanged += 1;
                }
                Ok(DomainResult::Written { created }) => {
                    let verb = if created { "Added" } else { "Updated" };
                    info!(
                        entry = label,
                        provider = provider.key(),
                        domain = %name,
                        record = rtype.as_str(),
                        ip = %addr,
                        result = if created { "created" } else { "updated" },
                        "{label}: {verb} domain {name} successfully! IP: {addr}"
                    );
                    self.status.record(
                        i,
                        &name,
                        rtype,
                        Observation::updated(addr.to_string()),
                        now,
                    );
                    summary.updated += 1;
                    any_updated = true;
                }
                Ok(DomainResult::Planned(line)) => {
                    let line = format!("{label}: {} {name}: {line}", rtype.as_str());
                    println!("{line}");
                    summary.plan_lines.push(line);
                    summary.planned += 1;
                    self.status
                        .record(i, &name, rtype, Observation::planned(), now);
                }
                Err(e) => {
                    error!(
                        entry = label,
                        provider = provider.key(),
                        domain = %name,
                        record = rtype.as_str(),
                        ip = %addr,
                        result = "failed",
                        "{label}: Failed to update {} record of {name}: {e}",
                        rtype.as_str()
                    );
                    self.status
                        .record(i, &name, rtype, Observation::failed(e.to_string()), now);
                    summary.failed += 1;
                    any_failed = true;
                    match &e {
                        ProviderError::Refused(why) if !self.opts.dry_run => {
                            self.entries[i]
                                .refused
                                .insert((name.clone(), rtype), why.clone());
                        }
                        ProviderError::Auth(_) | ProviderError::Permission(_) => {
                            stop = Some(format!("skipped after an earlier error: {e}"));
                        }
                        ProviderError::RateLimited { retry_after, .. } => {
                            let wait = retry_after.unwrap_or(Duration::from_secs(60));
                            self.entries[i].hold_until = Some(Instant::now() + wait);
                            stop = Some(format!("skipped after an earlier error: {e}"));
                        }
                        ProviderError::Transport(_) | ProviderError::Api(_) => *transient = true,
                        _ => {}
                    }
                }
            }
        }
        if any_failed {
            self.cache(i, family).reset();
            FamilyResult::Failed
        } else if any_updated {
            FamilyResult::Success
        } else {
            FamilyResult::Unchanged
        }
    }

    /// Counts a run with (or without) a transient provider failure and arms the backoff. The
    /// first failure is retried on the next run as usual; from the second in a row on, the
    /// entry waits [`backoff_delay`], so a provider that is down is not asked every interval.
    fn note_transient(&mut self, i: usize, label: &str, transient: bool) {
        let e = &mut self.entries[i];
        if !transient {
            e.failed_runs = 0;
            return;
        }
        e.failed_runs = e.failed_runs.saturating_add(1);
        if e.failed_runs >= 2 {
            let wait = backoff_delay(e.failed_runs - 1, jitter_unit());
            e.backoff_until = Some(Instant::now() + wait);
            warn!(
                "{label}: {} failed runs in a row; backing off for {}s",
                e.failed_runs,
                wait.as_secs()
            );
        }
    }

    fn cache(&mut self, i: usize, family: Family) -> &mut IpCache {
        match family {
            Family::V4 => &mut self.entries[i].v4,
            Family::V6 => &mut self.entries[i].v6,
        }
    }

    async fn sync_domain(
        &mut self,
        i: usize,
        provider: &dyn Provider,
        d: &Domain,
        rtype: RecordType,
        addr: IpAddr,
    ) -> Result<DomainResult, ProviderError> {
        let key = (d.name(), rtype);
        let lookup = self
            .counted(provider, "lookup", provider.lookup(d, rtype))
            .await?;
        let mut plan = provider.plan(d, &lookup, addr);
        if plan == Plan::Write && self.entries[i].published.get(&key) == Some(&addr) {
            // Change-only provider: it cannot be read, so compare with what we wrote last.
            plan = Plan::NoChange {
                current: addr.to_string(),
            };
        }
        if self.opts.dry_run {
            return Ok(DomainResult::Planned(plan.describe(addr)));
        }
        match &plan {
            Plan::NoChange { current } => {
                self.entries[i].published.insert(key, addr);
                self.note_ok(i, d, rtype, addr);
                Ok(DomainResult::Unchanged(current.clone()))
            }
            _ => match self
                .counted(
                    provider,
                    "write",
                    provider.apply(d, rtype, &lookup, &plan, addr),
                )
                .await
            {
                Ok(()) => {
                    self.entries[i].published.insert(key, addr);
                    self.note_write(i, provider, d, rtype, &plan, addr, false);
                    Ok(DomainResult::Written {
                        created: plan == Plan::Create,
                    })
                }
                Err(e) => {
                    self.entries[i].published.remove(&key);
                    Err(e)
                }
            },
        }
    }

    async fn fire_webhook(&mut self, i: usize, report: &RunReport, details: &RunDetails) {
        let mut hook = self.config.webhook.clone();
        // The gate sees every run, so adding a URL later does not replay an old streak.
        let events = self.entries[i].gate.decide_events(report);
        if events.is_empty() {
            return;
        }
        let lang = crate::config::store::effective_lang(&self.config);
        if !self.config.notify.is_empty() {
            if self.webhook_client.is_none() {
                match crate::http::provider_client(&self.opts.http, None) {
                    Ok(c) => self.webhook_client = Some(c),
                    Err(e) => error!("Failed to send notifications: {e}"),
                }
            }
            if let Some(client) = &self.webhook_client {
                let now_ms = crate::timefmt::unix_now().saturating_mul(1000);
                crate::notify::notify_all(
                    client,
                    &self.config.notify,
                    details,
                    events,
                    lang,
                    now_ms,
                )
                .await;
            }
        }
        if hook.webhookurl.trim().is_empty() {
            return;
        }
        // Secret references are resolved here, so a bad one costs only the webhook, not the
        // notification channels above.
        for (key, v) in [
            ("webhook.webhookurl", &mut hook.webhookurl),
            ("webhook.webhookheaders", &mut hook.webhookheaders),
        ] {
            match crate::config::secrets::resolve(key, v) {
                Ok(r) => *v = r,
                Err(e) => {
                    error!("Failed to call Webhook! {e}");
                    return;
                }
            }
        }
        let req =
            match crate::notify::build_request(&hook, report, lang, crate::timefmt::unix_now()) {
                Ok(r) => r,
                Err(e) => {
                    error!("Failed to call Webhook! Exception: {e}");
                    return;
                }
            };
        for w in &req.warnings {
            warn!("{w}");
        }
        if self.webhook_client.is_none() {
            match crate::http::provider_client(&self.opts.http, None) {
                Ok(c) => self.webhook_client = Some(c),
                Err(e) => {
                    error!("Failed to call Webhook! Exception: {e}");
                    return;
                }
            }
        }
        let Some(client) = &self.webhook_client else {
            return;
        };
        // With a secret reference in the URL, log the URL as written (the reference, not the
        // secret it stands for).
        let written = &self.config.webhook.webhookurl;
        let target = if crate::config::secrets::has_reference(written) {
            crate::notify::redact_url(written)
        } else {
            crate::notify::redact_url(req.url.as_str())
        };
        match crate::notify::send(client, &req).await {
            Ok(body) => info!("Successfully called Webhook {target}! Response body: {body}"),
            Err(e) => error!("Failed to call Webhook {target}! Exception: {e}"),
        }
    }
}

/// First backoff step; doubled for every further failed run.
pub const BACKOFF_BASE: Duration = Duration::from_secs(60);
/// Longest backoff, so a provider back from an outage is used again within the hour.
pub const BACKOFF_MAX: Duration = Duration::from_secs(3600);

/// Backoff after the `step`-th backoff-worthy failure (1-based): `BACKOFF_BASE × 2^(step-1)`,
/// capped at [`BACKOFF_MAX`], scaled by `jitter` in [-1, 1] by up to ±20 % so that many
/// daemons (or entries) failing together do not retry in lockstep.
pub fn backoff_delay(step: u32, jitter: f64) -> Duration {
    let exp = step.saturating_sub(1).min(16);
    let base = BACKOFF_BASE.saturating_mul(1u32 << exp).min(BACKOFF_MAX);
    let factor = 1.0 + 0.2 * jitter.clamp(-1.0, 1.0);
    base.mul_f64(factor)
}

/// A random number in [-1, 1] for the backoff jitter (0 if the OS has no randomness, which
/// only loses the spread).
fn jitter_unit() -> f64 {
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX) * 2.0 - 1.0
}

enum DomainResult {
    Unchanged(String),
    Written { created: bool },
    Planned(String),
}

#[cfg(test)]
mod backoff_tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let d: Vec<u64> = (1..=10).map(|n| backoff_delay(n, 0.0).as_secs()).collect();
        assert_eq!(
            d,
            vec![60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600]
        );
        assert_eq!(backoff_delay(u32::MAX, 0.0), BACKOFF_MAX);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        assert_eq!(backoff_delay(1, 1.0).as_secs(), 72);
        assert_eq!(backoff_delay(1, -1.0).as_secs(), 48);
        assert_eq!(backoff_delay(1, 7.0).as_secs(), 72);
        for _ in 0..1000 {
            let j = jitter_unit();
            assert!((-1.0..=1.0).contains(&j), "{j}");
            let d = backoff_delay(3, j).as_secs_f64();
            assert!((192.0..=288.0).contains(&d), "{d}");
        }
    }
}
