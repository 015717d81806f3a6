//! What the daemon knows about each record, for the web UI's dashboard and for `-once`'s exit
//! code: published value, last result, when it last changed, last error.

use std::sync::{Arc, Mutex, PoisonError};

use crate::provider::RecordType;

/// Outcome of the last run for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider already held the address (or the cache said nothing changed).
    Unchanged,
    /// A record was created or updated.
    Updated,
    /// Detection or the provider failed.
    Failed,
    /// `-dryRun`: a write was planned but not made.
    Planned,
    /// `gettype: push` and no router has pushed an address yet: nothing to publish, no error.
    Waiting,
}

impl Outcome {
    /// Short English label.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Unchanged => "unchanged",
            Outcome::Updated => "updated",
            Outcome::Failed => "failed",
            Outcome::Planned => "planned",
            Outcome::Waiting => "waiting",
        }
    }
}

/// What one run found out about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The outcome.
    pub outcome: Outcome,
    /// The address the record now holds, when known.
    pub published: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

impl Observation {
    /// The record already held `current` (or the cache skipped the comparison: `None`).
    pub fn unchanged(current: Option<String>) -> Observation {
        Observation {
            outcome: Outcome::Unchanged,
            published: current,
            error: None,
        }
    }
    /// We wrote `addr`.
    pub fn updated(addr: String) -> Observation {
        Observation {
            outcome: Outcome::Updated,
            published: Some(addr),
            error: None,
        }
    }
    /// It failed for this reason.
    pub fn failed(error: String) -> Observation {
        Observation {
            outcome: Outcome::Failed,
            published: None,
            error: Some(error),
        }
    }
    /// Nothing to publish yet, for this reason (router push: no address pushed so far).
    pub fn waiting(why: String) -> Observation {
        Observation {
            outcome: Outcome::Waiting,
            published: None,
            error: Some(why),
        }
    }
    /// `-dryRun` planned a write.
    pub fn planned() -> Observation {
        Observation {
            outcome: Outcome::Planned,
            published: None,
            error: None,
        }
    }
}

/// One record's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordStatus {
    /// Index of the config entry.
    pub entry: usize,
    /// `sub.root`.
    pub domain: String,
    /// A or AAAA.
    pub rtype: RecordType,
    /// The address the record is known to hold, if known.
    pub published: Option<String>,
    /// Last run's outcome.
    pub outcome: Outcome,
    /// Unix time of the last change we made.
    pub changed_at: Option<i64>,
    /// Unix time of the last run that touched this record.
    pub checked_at: i64,
    /// Last error, cleared by a success.
    pub error: Option<String>,
}

/// All records, shared between the sync engine and readers.
#[derive(Debug, Clone, Default)]
pub struct StatusBoard {
    inner: Arc<Mutex<Vec<RecordStatus>>>,
}

impl StatusBoard {
    /// A snapshot of every record.
    pub fn snapshot(&self) -> Vec<RecordStatus> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records a run's result for one record, keeping `changed_at` and `published` when the
    /// new result does not know better.
    pub fn record(
        &self,
        entry: usize,
        domain: &str,
        rtype: RecordType,
        obs: Observation,
        now: i64,
    ) {
        let Observation {
            outcome,
            published,
            error,
        } = obs;
        let mut all = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let pos = all
            .iter()
            .position(|r| r.entry == entry && r.domain == domain && r.rtype == rtype);
        let slot = match pos {
            Some(i) => &mut all[i],
            None => {
                all.push(RecordStatus {
                    entry,
                    domain: domain.to_string(),
                    rtype,
                    published: None,
                    outcome,
                    changed_at: None,
                    checked_at: now,
                    error: None,
                });
                let last = all.len() - 1;
                &mut all[last]
            }
        };
        slot.outcome = outcome;
        slot.checked_at = now;
        if outcome == Outcome::Updated {
            slot.changed_at = Some(now);
        }
        if published.is_some() {
            slot.published = published;
        }
        // A waiting record shows why it waits where errors are shown.
        slot.error = if matches!(outcome, Outcome::Failed | Outcome::Waiting) {
            error
        } else {
            None
        };
    }

    /// Drops records whose config entry or domain no longer exists.
    pub fn retain(&self, keep: impl Fn(&RecordStatus) -> bool) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|r| keep(r));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_last_change_and_published_value() {
        let b = StatusBoard::default();
        b.record(
            0,
            "a.example.com",
            RecordType::A,
            Observation::updated("8.8.8.8".into()),
            10,
        );
        b.record(
            0,
            "a.example.com",
            RecordType::A,
            Observation::failed("boom".into()),
            20,
        );
        let s = &b.snapshot()[0];
        assert_eq!(s.published.as_deref(), Some("8.8.8.8"));
        assert_eq!(s.changed_at, Some(10));
        assert_eq!(s.checked_at, 20);
        assert_eq!(s.error.as_deref(), Some("boom"));
        b.record(
            0,
            "a.example.com",
            RecordType::A,
            Observation::unchanged(Some("8.8.8.8".into())),
            30,
        );
        let s = &b.snapshot()[0];
        assert_eq!(s.error, None);
        assert_eq!(s.changed_at, Some(10));
        b.record(
            0,
            "a.example.com",
            RecordType::Aaaa,
            Observation::unchanged(None),
            30,
        );
        assert_eq!(b.snapshot().len(), 2);
        b.retain(|r| r.rtype == RecordType::A);
        assert_eq!(b.snapshot().len(), 1);
    }
}
