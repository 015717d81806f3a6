//! The write history: every provider write appended as one JSON line to a file beside the
//! config (`.ddns_rs_history.jsonl`), for the UI's per-record timeline and for rollback.
//!
//! The file is bounded: past [`MAX_BYTES`] it is renamed to `….1` (one old file kept) and a new
//! one started. Lines are appended and fsynced, mode 0600. A history that cannot be written
//! never stops a sync run: the first failure is logged, later ones only while it keeps failing
//! are not (no log flood). Not here: deciding what to write (`sync`) or showing it (`web`).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

/// File name of the history, in the config file's directory.
pub const FILE_NAME: &str = ".ddns_rs_history.jsonl";
/// Size at which the file is rotated to `<name>.1`.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// Why a record was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// The record held another address.
    Changed,
    /// No record existed.
    Created,
    /// A change-only provider was written without knowing the old value.
    Forced,
    /// A person put an earlier value back (UI or `-rollback`).
    Rollback,
}

/// One provider write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Unix seconds.
    pub time: i64,
    /// The config entry's label (its name, or `<n> - <provider>`).
    pub entry: String,
    /// The record's full name.
    pub domain: String,
    /// `A` or `AAAA`.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The value before the write, when the provider could be read.
    pub old: Option<String>,
    /// The value written.
    pub new: String,
    /// Why it was written.
    pub reason: Reason,
    /// Where the address came from: `url`, `netInterface`, `cmd`, `push` or `rollback`.
    pub source: String,
    /// Provider key.
    pub provider: String,
}

/// The history file of one config. Cheap to clone; clones share the "already warned" flag.
#[derive(Debug, Clone)]
pub struct HistoryLog {
    path: PathBuf,
    max_bytes: u64,
    warned: Arc<AtomicBool>,
}

impl HistoryLog {
    /// The history beside `config_path`.
    pub fn beside(config_path: &Path) -> HistoryLog {
        let dir = config_path.parent().unwrap_or_else(|| Path::new("."));
        HistoryLog::at(dir.join(FILE_NAME), MAX_BYTES)
    }

    /// A history at `path`, rotated past `max_bytes`.
    pub fn at(path: PathBuf, max_bytes: u64) -> HistoryLog {
        HistoryLog {
            path,
            max_bytes,
            warned: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn rotated(&self) -> PathBuf {
        let mut s = self.path.clone().into_os_string();
        s.push(".1");
        PathBuf::from(s)
    }

    /// Appends `e`; a failure is logged (once until a write succeeds again), never returned.
    pub fn append(&self, e: &HistoryEntry) {
        self.append_all(std::slice::from_ref(e));
    }

    /// Appends every entry of `es` with one write and one `fsync` (a run that updates many
    /// records would otherwise block on one `fsync` per record); failures as [`Self::append`].
    pub fn append_all(&self, es: &[HistoryEntry]) {
        if es.is_empty() {
            return;
        }
        match self.try_append(es) {
            Ok(()) => self.warned.store(false, Ordering::Relaxed),
            Err(err) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "Cannot write the history file {}: {err}; records are still updated, \
                         but this write is not in the history",
                        self.path.display()
                    );
                }
            }
        }
    }

    fn try_append(&self, es: &[HistoryEntry]) -> std::io::Result<()> {
        let mut line = Vec::new();
        for e in es {
            serde_json::to_writer(&mut line, e).map_err(std::io::Error::other)?;
            line.push(b'\n');
        }
        if let Ok(meta) = std::fs::metadata(&self.path)
            && meta.len() + line.len() as u64 > self.max_bytes
        {
            std::fs::rename(&self.path, self.rotated())?;
        }
        let mut f = open_append(&self.path)?;
        f.write_all(&line)?;
        f.sync_data()
    }

    /// Every entry, oldest first, optionally only those of `domain` and/or `rtype`. Lines that
    /// do not parse (a torn write after a crash) are skipped.
    pub fn read(&self, domain: Option<&str>, rtype: Option<&str>) -> Vec<HistoryEntry> {
        let mut out = Vec::new();
        for p in [self.rotated(), self.path.clone()] {
            let Ok(f) = File::open(&p) else { continue };
            for line in BufReader::new(f).lines() {
                let Ok(line) = line else { break };
                let Ok(e) = serde_json::from_str::<HistoryEntry>(&line) else {
                    continue;
                };
                let dom_ok = domain.is_none_or(|d| e.domain.eq_ignore_ascii_case(d));
                let type_ok = rtype.is_none_or(|t| e.rtype.eq_ignore_ascii_case(t));
                if dom_ok && type_ok {
                    out.push(e);
                }
            }
        }
        out
    }

    /// The value the record held before its last write (what `-rollback` without a value
    /// restores), and the entry label of that write.
    pub fn previous(&self, domain: &str, rtype: &str) -> Option<(String, String)> {
        let last = self.read(Some(domain), Some(rtype)).pop()?;
        Some((last.old?, last.entry))
    }

    /// Whether `value` was ever written to or read from this record (a value from the history
    /// needs no further validation: it was published before).
    pub fn knows(&self, domain: &str, rtype: &str, value: &str) -> bool {
        self.read(Some(domain), Some(rtype))
            .iter()
            .any(|e| e.new == value || e.old.as_deref() == Some(value))
    }
}

#[cfg(unix)]
fn open_append(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(domain: &str, old: Option<&str>, new: &str) -> HistoryEntry {
        HistoryEntry {
            time: 1,
            entry: "cf".into(),
            domain: domain.into(),
            rtype: "A".into(),
            old: old.map(str::to_string),
            new: new.into(),
            reason: Reason::Changed,
            source: "url".into(),
            provider: "cloudflare".into(),
        }
    }

    #[test]
    fn append_all_writes_every_line_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let h = HistoryLog::beside(&dir.path().join("c.yaml"));
        h.append_all(&[]);
        assert!(!h.path().exists(), "nothing to write, no file");
        h.append(&entry("a.example.com", None, "1.1.1.1"));
        h.append_all(&[
            entry("b.example.com", None, "2.2.2.2"),
            entry("c.example.com", None, "3.3.3.3"),
        ]);
        let names: Vec<String> = h.read(None, None).into_iter().map(|e| e.domain).collect();
        assert_eq!(names, ["a.example.com", "b.example.com", "c.example.com"]);
    }

    #[test]
    fn appends_filters_and_finds_the_previous_value() {
        let dir = tempfile::tempdir().unwrap();
        let h = HistoryLog::beside(&dir.path().join("c.yaml"));
        h.append(&entry("a.example.com", None, "1.1.1.1"));
        h.append(&entry("b.example.com", None, "9.9.9.9"));
        h.append(&entry("a.example.com", Some("1.1.1.1"), "2.2.2.2"));
        assert_eq!(h.read(None, None).len(), 3);
        let a = h.read(Some("A.example.com"), Some("a"));
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].new, "2.2.2.2");
        assert_eq!(
            h.previous("a.example.com", "A"),
            Some(("1.1.1.1".into(), "cf".into()))
        );
        assert_eq!(h.previous("b.example.com", "A"), None);
        assert!(h.knows("a.example.com", "A", "1.1.1.1"));
        assert!(!h.knows("a.example.com", "A", "3.3.3.3"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(h.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn rotates_past_the_limit_and_keeps_one_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let h = HistoryLog::at(dir.path().join("h.jsonl"), 400);
        for i in 0..20 {
            h.append(&entry("a.example.com", None, &format!("10.0.0.{i}")));
        }
        let cur = std::fs::metadata(h.path()).unwrap().len();
        let old = std::fs::metadata(dir.path().join("h.jsonl.1"))
            .unwrap()
            .len();
        assert!(cur <= 400 && old <= 400, "{cur} {old}");
        let all = h.read(None, None);
        assert!(all.len() < 20);
        assert_eq!(all.last().unwrap().new, "10.0.0.19");
        // Oldest first across both files.
        let nums: Vec<u32> = all
            .iter()
            .map(|e| e.new.rsplit('.').next().unwrap().parse().unwrap())
            .collect();
        assert!(nums.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_torn_line_is_skipped_and_a_failing_file_does_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let h = HistoryLog::at(dir.path().join("h.jsonl"), MAX_BYTES);
        h.append(&entry("a.example.com", None, "1.1.1.1"));
        std::fs::OpenOptions::new()
            .append(true)
            .open(h.path())
            .unwrap()
            .write_all(b"{\"time\":")
            .unwrap();
        assert_eq!(h.read(None, None).len(), 1);
        let bad = HistoryLog::at(dir.path().join("no/such/dir/h.jsonl"), MAX_BYTES);
        bad.append(&entry("a.example.com", None, "1.1.1.1"));
        assert!(bad.read(None, None).is_empty());
    }
}
