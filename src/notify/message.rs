//! The text every ready-made channel sends: a title naming the config entry and the event, then
//! one line per record that changed or failed (`domain type: old → new`, or the error).
//! Chinese when `lang` starts with "zh", English otherwise. Credentials never reach this text:
//! it is built from domain names, addresses and provider error messages only.

use crate::sync::status::{Outcome, RecordStatus};

/// Which notification-worthy things a run did (several may hold at once: a success that ends
/// a failure streak is also a recovery).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Events {
    /// Something was published and nothing failed.
    pub success: bool,
    /// The first failure of a streak.
    pub failure: bool,
    /// A failure streak ended.
    pub recovery: bool,
}

impl Events {
    /// No event: nothing to send.
    pub fn is_empty(self) -> bool {
        !(self.success || self.failure || self.recovery)
    }

    /// The events both sets hold.
    pub fn intersect(self, other: Events) -> Events {
        Events {
            success: self.success && other.success,
            failure: self.failure && other.failure,
            recovery: self.recovery && other.recovery,
        }
    }
}

/// One record's line in a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLine {
    /// `sub.root`.
    pub domain: String,
    /// "A" or "AAAA".
    pub rtype: String,
    /// What the record held before the run, when known.
    pub old: Option<String>,
    /// What it holds now (set for a write).
    pub new: Option<String>,
    /// Why it failed (set for a failure).
    pub error: Option<String>,
}

/// What a notification is about: the config entry's label and its records' lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunDetails {
    /// The config entry's name (or "N - provider").
    pub entry: String,
    /// Records written or failed this run.
    pub records: Vec<RecordLine>,
}

impl RunDetails {
    /// The sample the "Try it" button sends.
    pub fn test_sample() -> RunDetails {
        RunDetails {
            entry: "ddns-rs test".into(),
            records: vec![
                RecordLine {
                    domain: "test.example.com".into(),
                    rtype: "A".into(),
                    old: Some("192.0.2.1".into()),
                    new: Some("127.0.0.1".into()),
                    error: None,
                },
                RecordLine {
                    domain: "test.example.com".into(),
                    rtype: "AAAA".into(),
                    old: None,
                    new: None,
                    error: Some("example error".into()),
                },
            ],
        }
    }
}

/// A composed notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// One short line: event and entry.
    pub title: String,
    /// One line per record, `\n`-separated.
    pub body: String,
}

impl Message {
    /// Title and body in one text, for channels without a title field.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.title, self.body)
    }
}

/// The records of entry `entry` that this run (stamped `now`) wrote or failed, with the value
/// each held before (from `before`, a status snapshot taken when the run started).
pub fn record_lines(
    entry: usize,
    now: i64,
    before: &[RecordStatus],
    after: &[RecordStatus],
) -> Vec<RecordLine> {
    after
        .iter()
        .filter(|r| r.entry == entry && r.checked_at == now)
        .filter(|r| matches!(r.outcome, Outcome::Updated | Outcome::Failed))
        .map(|r| {
            let old = before
                .iter()
                .find(|b| b.entry == entry && b.domain == r.domain && b.rtype == r.rtype)
                .and_then(|b| b.published.clone());
            let failed = r.outcome == Outcome::Failed;
            RecordLine {
                domain: r.domain.clone(),
                rtype: r.rtype.as_str().to_string(),
                old,
                new: if failed { None } else { r.published.clone() },
                error: if failed { r.error.clone() } else { None },
            }
        })
        .collect()
}

/// The message for `events` about `details`, in `lang`.
pub fn compose(details: &RunDetails, events: Events, lang: &str) -> Message {
    let zh = lang.starts_with("zh");
    // One headline: a failure matters most, then the end of a streak.
    let what = match (events.failure, events.recovery, zh) {
        (true, _, true) => "DDNS 更新失败",
        (true, _, false) => "DDNS update failed",
        (false, true, true) => "DDNS 已恢复",
        (false, true, false) => "DDNS recovered",
        (false, false, true) => "DDNS 已更新",
        (false, false, false) => "DDNS updated",
    };
    let title = if details.entry.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {}", details.entry)
    };
    let mut lines: Vec<String> = details
        .records
        .iter()
        .map(|r| match &r.error {
            Some(e) if zh => format!("{} {}：失败：{e}", r.domain, r.rtype),
            Some(e) => format!("{} {}: failed: {e}", r.domain, r.rtype),
            None => format!(
                "{} {}: {} → {}",
                r.domain,
                r.rtype,
                r.old.as_deref().unwrap_or("?"),
                r.new.as_deref().unwrap_or("?")
            ),
        })
        .collect();
    if lines.is_empty() {
        lines.push(
            if zh {
                "所有记录均为最新"
            } else {
                "all records are up to date"
            }
            .into(),
        );
    }
    Message {
        title,
        body: lines.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::RecordType;

    fn status(domain: &str, published: Option<&str>, outcome: Outcome, at: i64) -> RecordStatus {
        RecordStatus {
            entry: 0,
            domain: domain.into(),
            rtype: RecordType::A,
            published: published.map(Into::into),
            outcome,
            changed_at: None,
            checked_at: at,
            error: (outcome == Outcome::Failed).then(|| "bad credentials".to_string()),
        }
    }

    #[test]
    fn lines_keep_only_this_runs_writes_and_failures() {
        let before = [status(
            "a.example.com",
            Some("192.0.2.1"),
            Outcome::Unchanged,
            5,
        )];
        let after = [
            status("a.example.com", Some("192.0.2.9"), Outcome::Updated, 10),
            status("b.example.com", None, Outcome::Failed, 10),
            status("c.example.com", Some("192.0.2.9"), Outcome::Unchanged, 10),
            status("d.example.com", Some("192.0.2.9"), Outcome::Updated, 9),
        ];
        let lines = record_lines(0, 10, &before, &after);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].old.as_deref(), Some("192.0.2.1"));
        assert_eq!(lines[0].new.as_deref(), Some("192.0.2.9"));
        assert_eq!(lines[1].error.as_deref(), Some("bad credentials"));
        assert!(record_lines(1, 10, &before, &after).is_empty());
    }

    #[test]
    fn compose_in_both_languages() {
        let d = RunDetails::test_sample();
        let fail = Events {
            failure: true,
            ..Events::default()
        };
        let m = compose(&d, fail, "en");
        assert_eq!(m.title, "DDNS update failed: ddns-rs test");
        assert_eq!(
            m.body,
            "test.example.com A: 192.0.2.1 → 127.0.0.1\ntest.example.com AAAA: failed: example error"
        );
        let m = compose(&d, fail, "zh");
        assert_eq!(m.title, "DDNS 更新失败: ddns-rs test");
        assert!(m.body.ends_with("AAAA：失败：example error"), "{}", m.body);
        let rec = Events {
            success: true,
            recovery: true,
            ..Events::default()
        };
        let m = compose(&RunDetails::default(), rec, "en");
        assert_eq!(m.title, "DDNS recovered");
        assert_eq!(m.body, "all records are up to date");
        assert_eq!(m.text(), "DDNS recovered\nall records are up to date");
    }
}
