//! Bounds on how hard one run presses on a provider: how many entries run at once, how many
//! requests one provider account has in flight, and the pause a rate limit (`429`,
//! `Retry-After`) puts on the whole account — the account's other entries included, the other
//! accounts not at all.
//!
//! Everything runs on the daemon's current-thread runtime: concurrency here means requests
//! waiting on the network together, never extra threads.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::config::DnsConfig;

/// Entries synced at once. Each holds at most its account's limit of requests in flight, so a
/// run never has more than `ENTRY_CONCURRENCY × limit` requests (and their buffers) alive.
/// Four, not more: every running entry holds its own detection and provider clients (each
/// with a TLS root store) and connections, so this also bounds a run's peak memory
/// (docs/benchmarks.md, figure 5).
pub const ENTRY_CONCURRENCY: usize = 4;

/// Requests one account may have in flight when its provider has no stricter rule.
pub const DEFAULT_ACCOUNT_LIMIT: usize = 4;

/// A rate-limit pause up to this long is waited out within the run (the request is then
/// retried); a longer one ends the run for the account and holds it across runs.
pub const INLINE_WAIT_MAX: Duration = Duration::from_secs(10);

/// How often one record is retried after short rate-limit pauses within a run.
pub const MAX_RATE_RETRIES: u32 = 2;

/// Pause after a rate limit that gave no `Retry-After`.
pub const DEFAULT_RATE_WAIT: Duration = Duration::from_secs(60);

/// Providers known to want fewer parallel requests per account than the default.
///
/// Dynadot's `set_ddns` is a per-domain DDNS password endpoint whose limits this project could
/// not find documented; it is asked one request at a time to be safe.
const STRICT: &[(&str, usize)] = &[("dynadot", 1)];

/// Requests in flight allowed per account of `provider` (a config `dns.name`).
pub fn account_limit(provider: &str) -> usize {
    STRICT
        .iter()
        .find(|(k, _)| *k == provider)
        .map_or(DEFAULT_ACCOUNT_LIMIT, |(_, n)| *n)
}

/// Identifies one provider account: the provider and the credentials as written in the config
/// (a hash, so the key never holds or prints a secret). Entries that share it share a limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountKey(u64);

impl AccountKey {
    /// The account of config entry `c`, whose provider key is `provider`.
    pub fn of(provider: &str, c: &DnsConfig) -> AccountKey {
        let mut h = std::hash::DefaultHasher::new();
        (provider, &c.dns.id, &c.dns.secret).hash(&mut h);
        AccountKey(h.finish())
    }
}

/// The limiter of one provider account, shared by every entry using it.
#[derive(Debug)]
pub struct Account {
    permits: Semaphore,
    /// No request before this instant (a rate limit). Tokio's clock, so tests can pause it.
    hold_until: Mutex<Option<Instant>>,
}

/// Why a request was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// How long the account is still held.
    pub left: Duration,
}

impl Account {
    /// A limiter allowing `limit` requests in flight (at least one).
    pub fn new(limit: usize) -> Account {
        Account {
            permits: Semaphore::new(limit.max(1)),
            hold_until: Mutex::new(None),
        }
    }

    /// How long the account is still held by a rate limit, if at all.
    pub fn held_for(&self) -> Option<Duration> {
        let until = (*self.lock())?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    /// Holds the whole account for `wait` (never shortening a longer hold already in force).
    pub fn hold(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut h = self.lock();
        if h.is_none_or(|old| old < until) {
            *h = Some(until);
        }
    }

    /// Waits for a free slot; a short hold is waited out first, a long one is returned so the
    /// caller can skip the request instead of blocking the run for minutes.
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, Held> {
        loop {
            if let Some(left) = self.held_for() {
                if left > INLINE_WAIT_MAX {
                    return Err(Held { left });
                }
                tokio::time::sleep(left).await;
                continue;
            }
            // The semaphore is never closed, so this fails only in theory; treat it as a hold
            // of zero length rather than panicking.
            let permit = self.permits.acquire().await.map_err(|_| Held {
                left: Duration::ZERO,
            })?;
            // A hold may have been set while this request queued for its slot.
            if self.held_for().is_none() {
                return Ok(permit);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.hold_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The accounts of a config, one limiter per distinct [`AccountKey`], by entry index.
/// Limiters of accounts that were already in `old` are kept, so a config change does not lift
/// a hold the provider asked for.
pub fn accounts_for(
    entries: &[DnsConfig],
    provider_key: impl Fn(&DnsConfig) -> &str,
    old: &HashMap<AccountKey, Arc<Account>>,
) -> (HashMap<AccountKey, Arc<Account>>, Vec<Arc<Account>>) {
    let mut map: HashMap<AccountKey, Arc<Account>> = HashMap::new();
    let by_entry = entries
        .iter()
        .map(|c| {
            let p = provider_key(c);
            let key = AccountKey::of(p, c);
            map.entry(key)
                .or_insert_with(|| {
                    old.get(&key)
                        .cloned()
                        .unwrap_or_else(|| Arc::new(Account::new(account_limit(p))))
                })
                .clone()
        })
        .collect();
    (map, by_entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DnsProvider;

    fn entry(name: &str, id: &str, secret: &str) -> DnsConfig {
        DnsConfig {
            dns: DnsProvider {
                name: name.into(),
                id: id.into(),
                secret: secret.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn entries_with_the_same_credentials_share_an_account() {
        let cs = [
            entry("cloudflare", "", "tok"),
            entry("cloudflare", "", "tok"),
            entry("cloudflare", "", "other"),
            entry("dynadot", "", "tok"),
        ];
        let (map, by) = accounts_for(&cs, |c| c.dns.name.as_str(), &HashMap::new());
        assert_eq!(map.len(), 3);
        assert!(Arc::ptr_eq(&by[0], &by[1]));
        assert!(!Arc::ptr_eq(&by[0], &by[2]));
        assert!(!Arc::ptr_eq(&by[0], &by[3]));
        assert_eq!(by[0].permits.available_permits(), DEFAULT_ACCOUNT_LIMIT);
        assert_eq!(by[3].permits.available_permits(), 1);
        // A new config keeps the limiter (and its hold) of an account it still has.
        by[2].hold(Duration::from_secs(3600));
        let (_, again) = accounts_for(&cs[2..3], |c| c.dns.name.as_str(), &map);
        assert!(Arc::ptr_eq(&again[0], &by[2]));
        assert!(again[0].held_for().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_hold_is_waited_out_and_a_long_one_refused() {
        let a = Account::new(2);
        a.hold(Duration::from_secs(3));
        let t = Instant::now();
        let p = a.acquire().await.unwrap();
        assert!(t.elapsed() >= Duration::from_secs(3));
        drop(p);
        a.hold(Duration::from_secs(3600));
        let held = a.acquire().await.unwrap_err();
        assert!(held.left > INLINE_WAIT_MAX);
        // A shorter hold never cuts a longer one.
        a.hold(Duration::from_secs(1));
        assert!(a.held_for().unwrap() > Duration::from_secs(3000));
    }

    #[tokio::test]
    async fn permits_bound_the_requests_in_flight() {
        let a = Account::new(2);
        let p1 = a.acquire().await.unwrap();
        let _p2 = a.acquire().await.unwrap();
        assert_eq!(a.permits.available_permits(), 0);
        drop(p1);
        assert_eq!(a.permits.available_permits(), 1);
        assert_eq!(Account::new(0).permits.available_permits(), 1);
    }
}
