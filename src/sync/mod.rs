//! The sync engine: for each config entry, detect each enabled family's address, consult the
//! IP cache, then per domain ask the provider (lookup → plan → apply), record the status and
//! fire the webhook. Entries are independent; one failing domain does not stop the others.
//!
//! A run syncs entries, and the records of an entry, concurrently on the current task, within
//! the bounds of [`limit`]: a few entries at once, a few requests in flight per provider
//! account, and a rate limit pausing the whole account. What a run found is applied to the
//! status board, the history and the notifications in config and domain order, so their
//! content does not depend on which request finished first.
//!
//! Not here: the timer, reload and signals (`schedule`), or how addresses are found
//! (`detect`) and written (`provider`).

pub mod cache;
pub mod limit;
mod ops;
pub mod push;
pub mod schedule;
pub mod status;

pub use ops::{RollbackError, RollbackOutcome, RollbackRequest};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use tracing::{error, info, warn};

use crate::config::domain::parse_domains;
use crate::config::{Config, DnsConfig, Domain, IpConf};
use crate::detect::{DetectCtx, Family};
use crate::http::HttpOptions;
use crate::notify::{FamilyResult, RunDetails, RunReport, WebhookGate};
use crate::provider::{self, Plan, Provider, ProviderError, ProviderSettings, RecordType};
use cache::IpCache;
use limit::{Account, AccountKey};
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

/// What one entry's run found, kept until every entry of the run is done and then applied to
/// the shared state (status board, history, summary, webhook) in config order, so the result
/// does not depend on which request happened to finish first.
#[derive(Default)]
struct EntryRun {
    /// Unix time of the run's start (the status lines' `checked_at`).
    now: i64,
    /// False when the entry was skipped (hold, backoff): no webhook then.
    ran: bool,
    summary: RunSummary,
    report: RunReport,
    /// Status of each record, in domain order.
    status: Vec<(String, RecordType, Observation)>,
    /// Successful writes, for the history.
    writes: Vec<Write>,
}

/// One successful write, recorded in the history after the run.
struct Write {
    provider: Arc<dyn Provider>,
    domain: Domain,
    rtype: RecordType,
    plan: Plan,
    addr: IpAddr,
}

/// The sync engine. Runs take `&mut self`, so they never overlap; within a run, entries and
/// the records of an entry are synced concurrently within the bounds of [`limit`].
pub struct Engine {
    opts: EngineOptions,
    config: Config,
    entries: Vec<EntryState>,
    status: StatusBoard,
    webhook_client: Option<reqwest::Client>,
    /// Addresses routers pushed (`gettype: push`); kept across config changes.
    pushed: push::Pushed,
    /// One limiter per provider account.
    accounts: HashMap<AccountKey, Arc<Account>>,
    /// The limiter of each entry (by config index).
    entry_accounts: Vec<Arc<Account>>,
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
        let (accounts, entry_accounts) =
            limit::accounts_for(&config.dnsconf, provider_key, &HashMap::new());
        Engine {
            opts,
            config,
            entries,
            status,
            webhook_client: None,
            pushed: push::Pushed::default(),
            accounts,
            entry_accounts,
        }
    }

    /// The config in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Swaps in a new config. Any change resets every cache (as a save does in ddns-go), so the
    /// next run compares every record with its provider. A rate-limit hold on an account the
    /// new config still uses stays in force.
    pub fn set_config(&mut self, config: Config) {
        if config == self.config {
            return;
        }
        self.entries = config
            .dnsconf
            .iter()
            .map(|_| EntryState::default())
            .collect();
        (self.accounts, self.entry_accounts) =
            limit::accounts_for(&config.dnsconf, provider_key, &self.accounts);
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

    /// Runs every entry once.
    pub async fn run_once(&mut self) -> RunSummary {
        let all: Vec<usize> = (0..self.config.dnsconf.len()).collect();
        self.run_entries(&all).await
    }

    /// Runs only the entries with these indices (each once), e.g. those a network change
    /// affects; indices beyond the config are ignored.
    ///
    /// Up to [`limit::ENTRY_CONCURRENCY`] entries run at once, each account with at most its
    /// limit of requests in flight. Results are applied in config order once all are done.
    pub async fn run_entries(&mut self, which: &[usize]) -> RunSummary {
        let mut taken: Vec<(usize, EntryState)> = (0..self.config.dnsconf.len())
            .filter(|i| which.contains(i))
            .map(|i| (i, std::mem::take(&mut self.entries[i])))
            .collect();
        let mut runs: Vec<(usize, EntryRun)> = Vec::with_capacity(taken.len());
        {
            // A plain loop rather than iterator adapters with closures over `&mut` items: the
            // daemon's future must be `Send`, which such closures defeat (rustc's
            // higher-ranked lifetime limits).
            let this = &*self;
            let mut queue = taken.iter_mut();
            let mut pending = FuturesUnordered::new();
            loop {
                while pending.len() < limit::ENTRY_CONCURRENCY {
                    let Some((i, st)) = queue.next() else { break };
                    pending.push(this.run_entry(*i, st));
                }
                match pending.next().await {
                    Some(r) => runs.push(r),
                    None => break,
                }
            }
        }
        for (i, st) in taken {
            self.entries[i] = st;
        }
        runs.sort_by_key(|(i, _)| *i);
        let mut summary = RunSummary::default();
        for (i, run) in runs {
            self.finish_entry(i, run, &mut summary).await;
        }
        summary
    }

    /// The entry's provider client, built on first use and then kept.
    fn provider_for(&mut self, i: usize) -> Result<Arc<dyn Provider>, String> {
        let mut st = std::mem::take(&mut self.entries[i]);
        let p = self.provider_of(i, &mut st);
        self.entries[i] = st;
        p
    }

    fn provider_of(&self, i: usize, st: &mut EntryState) -> Result<Arc<dyn Provider>, String> {
        if let Some(p) = &st.provider {
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
        st.provider = Some(p.clone());
        Ok(p)
    }

    /// Applies one entry's run to the shared state and fires its notifications.
    async fn finish_entry(&mut self, i: usize, run: EntryRun, summary: &mut RunSummary) {
        // What each record held before this run, for the notification's "old → new".
        let before = self.status.snapshot();
        for (name, rtype, obs) in run.status {
            self.status.record(i, &name, rtype, obs, run.now);
        }
        // One history write (and fsync) per entry, not one per record: the fsync blocks the
        // runtime's only thread.
        let lines: Vec<_> = run
            .writes
            .iter()
            .filter_map(|w| {
                self.write_entry(i, &*w.provider, &w.domain, w.rtype, &w.plan, w.addr, false)
            })
            .collect();
        if let Some(history) = &self.opts.history {
            history.append_all(&lines);
        }
        for line in &run.summary.plan_lines {
            println!("{line}");
        }
        summary.updated += run.summary.updated;
        summary.unchanged += run.summary.unchanged;
        summary.failed += run.summary.failed;
        summary.planned += run.summary.planned;
        summary.plan_lines.extend(run.summary.plan_lines);
        if run.ran && !self.opts.dry_run {
            let details = RunDetails {
                entry: entry_label(i, &self.config.dnsconf[i]),
                records: crate::notify::record_lines(i, run.now, &before, &self.status.snapshot()),
            };
            self.fire_webhook(i, &run.report, &details).await;
        }
    }

    /// Detects and syncs one entry; touches only `st` and the entry's account limiter.
    async fn run_entry(&self, i: usize, st: &mut EntryState) -> (usize, EntryRun) {
        let conf = &self.config.dnsconf[i];
        let label = entry_label(i, conf);
        let mut run = EntryRun {
            now: crate::timefmt::unix_now(),
            ..Default::default()
        };
        let account = &self.entry_accounts[i];
        if let Some(left) = account.held_for().filter(|l| *l > limit::INLINE_WAIT_MAX) {
            warn!(
                "{label}: skipped, the provider asked to wait {}s more",
                left.as_secs()
            );
            return (i, run);
        }
        if let Some(until) = st.backoff_until {
            if Instant::now() < until {
                warn!(
                    "{label}: skipped after {} failed runs in a row, next attempt in {}s",
                    st.failed_runs,
                    (until - Instant::now()).as_secs()
                );
                return (i, run);
            }
            st.backoff_until = None;
        }
        run.ran = true;
        let mut transient = false;
        for family in [Family::V4, Family::V6] {
            let ipconf = match family {
                Family::V4 => &conf.ipv4,
                Family::V6 => &conf.ipv6,
            };
            let result = self
                .run_family(i, &label, ipconf, family, st, &mut run, &mut transient)
                .await;
            match family {
                Family::V4 => run.report.ipv4_result = result,
                Family::V6 => run.report.ipv6_result = result,
            }
        }
        note_transient(st, &label, transient);
        (i, run)
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_family(
        &self,
        i: usize,
        label: &str,
        ipconf: &IpConf,
        family: Family,
        st: &mut EntryState,
        run: &mut EntryRun,
        transient: &mut bool,
    ) -> FamilyResult {
        if !ipconf.enable {
            return FamilyResult::Unchanged;
        }
        let conf = &self.config.dnsconf[i];
        let rtype = match family {
            Family::V4 => RecordType::A,
            Family::V6 => RecordType::Aaaa,
        };
        let (domains, bad) = parse_domains(&ipconf.domains);
        for e in &bad {
            error!("{label}: {e}");
            run.summary.failed += 1;
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
            Family::V4 => run.report.ipv4_domains = names.clone(),
            Family::V6 => run.report.ipv6_domains = names.clone(),
        }
        let ctx = DetectCtx {
            http: self.opts.http.clone(),
            httpinterface: conf.httpinterface.clone(),
            sources: match family {
                Family::V4 => st.sources_v4.counted(&self.opts.metrics, label),
                Family::V6 => st.sources_v6.counted(&self.opts.metrics, label),
            },
        };
        let detected = if push::is_push(ipconf) {
            // Router push: the address comes only from pushes (`sync::push`).
            match self.pushed_address(i, label, &names, family, run) {
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
                for n in names {
                    run.status
                        .push((n, rtype, Observation::failed(e.to_string())));
                }
                run.summary.failed += domains.len();
                cache_of(st, family).reset();
                return FamilyResult::Failed;
            }
        };
        match family {
            Family::V4 => run.report.ipv4_addr = addr.to_string(),
            Family::V6 => run.report.ipv6_addr = addr.to_string(),
        }
        let cache_times = self.opts.cache_times;
        if !self.opts.dry_run && !cache_of(st, family).check(addr, cache_times) {
            info!(
                "{label}: {} {addr} has not changed, will wait {} times to compare with DNS provider",
                family.label(),
                cache_of(st, family).remaining()
            );
            run.summary.unchanged += names.len();
            for n in names {
                run.status.push((n, rtype, Observation::unchanged(None)));
            }
            return FamilyResult::Unchanged;
        }
        let provider = match self.provider_of(i, st) {
            Ok(p) => p,
            Err(e) => {
                error!("{label}: {e}");
                run.summary.failed += names.len();
                for n in names {
                    run.status.push((n, rtype, Observation::failed(e.clone())));
                }
                cache_of(st, family).reset();
                return FamilyResult::Failed;
            }
        };
        let account = &self.entry_accounts[i];
        let results = self
            .sync_domains(label, account, &provider, &domains, rtype, addr, st)
            .await;
        let mut any_failed = false;
        let mut any_updated = false;
        for (d, done) in domains.into_iter().zip(results) {
            let name = d.name();
            let key = (name.clone(), rtype);
            let outcome = match done {
                DomainDone::Skipped(why) => {
                    run.status.push((name, rtype, Observation::failed(why)));
                    run.summary.failed += 1;
                    any_failed = true;
                    continue;
                }
                DomainDone::Ran(r) => r,
            };
            match outcome {
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
                    st.published.insert(key, addr);
                    self.note_ok(i, &d, rtype, addr);
                    run.status
                        .push((name, rtype, Observation::unchanged(Some(current))));
                    run.summary.unchanged += 1;
                }
                Ok(DomainResult::Written { plan }) => {
                    let created = plan == Plan::Create;
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
                    st.published.insert(key, addr);
                    run.status
                        .push((name, rtype, Observation::updated(addr.to_string())));
                    run.writes.push(Write {
                        provider: provider.clone(),
                        domain: d,
                        rtype,
                        plan,
                        addr,
                    });
                    run.summary.updated += 1;
                    any_updated = true;
                }
                Ok(DomainResult::Planned(line)) => {
                    let line = format!("{label}: {} {name}: {line}", rtype.as_str());
                    run.summary.plan_lines.push(line);
                    run.summary.planned += 1;
                    run.status.push((name, rtype, Observation::planned()));
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
                    st.published.remove(&key);
                    match &e {
                        ProviderError::Refused(why) if !self.opts.dry_run => {
                            st.refused.insert(key, why.clone());
                        }
                        ProviderError::Transport(_) | ProviderError::Api(_) => *transient = true,
                        _ => {}
                    }
                    run.status
                        .push((name, rtype, Observation::failed(e.to_string())));
                    run.summary.failed += 1;
                    any_failed = true;
                }
            }
        }
        if any_failed {
            cache_of(st, family).reset();
            FamilyResult::Failed
        } else if any_updated {
            FamilyResult::Success
        } else {
            FamilyResult::Unchanged
        }
    }

    /// Syncs `domains` with bounded concurrency; the results come back in domain order.
    ///
    /// The first record goes alone: a bad credential or a rate limit then costs one request,
    /// not a burst. The rest run with up to the account's limit in flight (shared with the
    /// account's other entries). An authentication or permission error, or a rate limit too
    /// long to wait out, stops the records not yet started.
    #[allow(clippy::too_many_arguments)]
    async fn sync_domains(
        &self,
        label: &str,
        account: &Account,
        provider: &Arc<dyn Provider>,
        domains: &[Domain],
        rtype: RecordType,
        addr: IpAddr,
        st: &EntryState,
    ) -> Vec<DomainDone> {
        if domains.is_empty() {
            return Vec::new();
        }
        let stop = OnceLock::new();
        let task = |k: usize| {
            self.domain_task(
                label,
                account,
                &**provider,
                &domains[k],
                rtype,
                addr,
                st,
                &stop,
            )
        };
        let mut out: Vec<Option<DomainDone>> = domains.iter().map(|_| None).collect();
        out[0] = Some(task(0).await);
        let bound = limit::account_limit(provider.key());
        let mut next = 1;
        let mut pending = FuturesUnordered::new();
        loop {
            while pending.len() < bound && next < domains.len() {
                pending.push(tagged(next, task(next)));
                next += 1;
            }
            match pending.next().await {
                Some((k, done)) => out[k] = Some(done),
                None => break,
            }
        }
        // Every index was filled above; the fallback only keeps this free of a panic path.
        out.into_iter()
            .map(|d| d.unwrap_or_else(|| DomainDone::Skipped("not synced".into())))
            .collect()
    }

    /// One record: waits for a slot of the account, syncs, and handles a rate limit — the
    /// whole account pauses; a short pause is waited out and the record retried.
    #[allow(clippy::too_many_arguments)]
    async fn domain_task(
        &self,
        label: &str,
        account: &Account,
        provider: &dyn Provider,
        d: &Domain,
        rtype: RecordType,
        addr: IpAddr,
        st: &EntryState,
        stop: &OnceLock<String>,
    ) -> DomainDone {
        let name = d.name();
        if let Some(why) = st.refused.get(&(name.clone(), rtype)) {
            let why = format!("not retried until the configuration changes: {why}");
            warn!("{label}: {} record of {name} {why}", rtype.as_str());
            return DomainDone::Skipped(why);
        }
        let mut retries = 0;
        loop {
            if let Some(why) = stop.get() {
                // The account is unusable this run (bad credentials, rate limit): asking again
                // for every domain would only add failed calls.
                return DomainDone::Skipped(why.clone());
            }
            let permit = match account.acquire().await {
                Ok(p) => p,
                Err(held) => {
                    return DomainDone::Skipped(format!(
                        "skipped: the provider rate-limited this account; next attempt in {}s",
                        held.left.as_secs()
                    ));
                }
            };
            if let Some(why) = stop.get() {
                return DomainDone::Skipped(why.clone());
            }
            let r = self.sync_domain(provider, d, rtype, addr, st).await;
            drop(permit);
            match &r {
                Err(e @ ProviderError::RateLimited { retry_after, .. }) => {
                    let wait = retry_after.unwrap_or(limit::DEFAULT_RATE_WAIT);
                    account.hold(wait);
                    if wait <= limit::INLINE_WAIT_MAX && retries < limit::MAX_RATE_RETRIES {
                        retries += 1;
                        warn!(
                            "{label}: {e}; pausing this account for {:.0}s, then retrying {name}",
                            wait.as_secs_f32().ceil()
                        );
                        continue;
                    }
                    let _ = stop.set(format!("skipped after an earlier error: {e}"));
                }
                Err(e @ (ProviderError::Auth(_) | ProviderError::Permission(_))) => {
                    let _ = stop.set(format!("skipped after an earlier error: {e}"));
                }
                _ => {}
            }
            return DomainDone::Ran(r);
        }
    }

    async fn sync_domain(
        &self,
        provider: &dyn Provider,
        d: &Domain,
        rtype: RecordType,
        addr: IpAddr,
        st: &EntryState,
    ) -> Result<DomainResult, ProviderError> {
        let key = (d.name(), rtype);
        let lookup = self
            .counted(provider, "lookup", provider.lookup(d, rtype))
            .await?;
        let mut plan = provider.plan(d, &lookup, addr);
        if plan == Plan::Write && st.published.get(&key) == Some(&addr) {
            // Change-only provider: it cannot be read, so compare with what we wrote last.
            plan = Plan::NoChange {
                current: addr.to_string(),
            };
        }
        if self.opts.dry_run {
            return Ok(DomainResult::Planned(plan.describe(addr)));
        }
        match plan {
            Plan::NoChange { current } => Ok(DomainResult::Unchanged(current)),
            plan => {
                self.counted(
                    provider,
                    "write",
                    provider.apply(d, rtype, &lookup, &plan, addr),
                )
                .await?;
                Ok(DomainResult::Written { plan })
            }
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

/// Counts a run with (or without) a transient provider failure and arms the backoff. The
/// first failure is retried on the next run as usual; from the second in a row on, the entry
/// waits [`backoff_delay`], so a provider that is down is not asked every interval.
fn note_transient(e: &mut EntryState, label: &str, transient: bool) {
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

fn cache_of(e: &mut EntryState, family: Family) -> &mut IpCache {
    match family {
        Family::V4 => &mut e.v4,
        Family::V6 => &mut e.v6,
    }
}

/// `fut`'s output tagged with `k`, to put results back in order.
async fn tagged<T>(k: usize, fut: impl std::future::Future<Output = T>) -> (usize, T) {
    (k, fut.await)
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
    Written { plan: Plan },
    Planned(String),
}

/// What became of one record in a run.
enum DomainDone {
    /// Not asked (refused earlier, account stopped or held), with the reason.
    Skipped(String),
    /// Asked; the provider's answer.
    Ran(Result<DomainResult, ProviderError>),
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

#[cfg(test)]
mod send_tests {
    use super::*;

    /// The daemon spawns its loop, so a run's future must stay `Send` however the run is
    /// made concurrent.
    #[test]
    fn a_run_is_send() {
        fn send<T: Send>(_: &T) {}
        let mut e = Engine::new(
            Config::default(),
            EngineOptions::default(),
            StatusBoard::default(),
        );
        let run = e.run_entries(&[0]);
        send(&run);
    }
}
