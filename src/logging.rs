//! Log lines: ddns-go's format (`YYYY/MM/DD HH:MM:SS message`, local time) on stderr, plus a
//! bounded ring of recent lines that the web UI's log panel reads (ddns-go keeps 50; we keep
//! [`RING_CAPACITY`]).
//!
//! Structured fields given to `tracing` macros are appended as `key=value`. Nothing here
//! redacts: callers never pass secrets to the log in the first place.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// How many recent lines the ring keeps.
pub const RING_CAPACITY: usize = 100;

/// Recent log lines, shared between the logger and the web UI.
#[derive(Debug, Clone, Default)]
pub struct LogRing {
    inner: Arc<Mutex<RingInner>>,
}

#[derive(Debug, Default)]
struct RingInner {
    lines: VecDeque<String>,
    /// Lines ever pushed, so a reader can tell what is new since it last looked.
    total: u64,
}

impl LogRing {
    /// An empty ring.
    pub fn new() -> LogRing {
        LogRing::default()
    }

    /// Appends a line, dropping the oldest beyond [`RING_CAPACITY`].
    pub fn push(&self, line: String) {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if g.lines.len() == RING_CAPACITY {
            g.lines.pop_front();
        }
        g.lines.push_back(line);
        g.total += 1;
    }

    /// The lines kept, oldest first.
    pub fn lines(&self) -> Vec<String> {
        let g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.lines.iter().cloned().collect()
    }

    /// Number of lines ever pushed (not reset by [`LogRing::clear`]).
    pub fn total(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }

    /// Forgets the kept lines (the web UI's "clear").
    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .lines
            .clear();
    }
}

/// Formats one event as a line without the time stamp: the message, then `key=value` fields.
struct LineVisitor {
    message: String,
    fields: String,
}

impl Visit for LineVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

/// The layer that writes every event to stderr and the ring.
struct RingLayer {
    ring: LogRing,
    max_level: Level,
}

impl<S: Subscriber> Layer<S> for RingLayer {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        *meta.level() <= self.max_level
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut v = LineVisitor {
            message: String::new(),
            fields: String::new(),
        };
        event.record(&mut v);
        let level = *event.metadata().level();
        let tag = match level {
            Level::ERROR => "ERROR ",
            Level::WARN => "WARN ",
            _ => "",
        };
        let line = format!(
            "{} {tag}{}{}",
            crate::timefmt::local_now().log_stamp(),
            v.message,
            v.fields
        );
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        self.ring.push(line);
    }
}

/// Installs the global logger writing to stderr and `ring`. Call once at start; a second call
/// is ignored.
pub fn init(ring: LogRing, debug: bool) {
    let layer = RingLayer {
        ring,
        max_level: if debug { Level::DEBUG } else { Level::INFO },
    };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_newest_lines() {
        let ring = LogRing::new();
        for i in 0..(RING_CAPACITY + 5) {
            ring.push(format!("line {i}"));
        }
        let lines = ring.lines();
        assert_eq!(lines.len(), RING_CAPACITY);
        assert_eq!(lines[0], "line 5");
        assert_eq!(
            lines.last().unwrap(),
            &format!("line {}", RING_CAPACITY + 4)
        );
        assert_eq!(ring.total(), (RING_CAPACITY + 5) as u64);
        ring.clear();
        assert!(ring.lines().is_empty());
        assert_eq!(ring.total(), (RING_CAPACITY + 5) as u64);
    }

    #[test]
    fn events_are_formatted_with_fields() {
        let ring = LogRing::new();
        let layer = RingLayer {
            ring: ring.clone(),
            max_level: Level::INFO,
        };
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || {
            tracing::info!(domain = "a.example.com", "Updated domain successfully");
            tracing::debug!("hidden at info level");
            tracing::warn!("careful");
        });
        let lines = ring.lines();
        assert_eq!(lines.len(), 2);
        // `YYYY/MM/DD HH:MM:SS ` prefix.
        assert_eq!(&lines[0][4..5], "/");
        assert_eq!(&lines[0][19..20], " ");
        assert!(lines[0].ends_with("Updated domain successfully domain=a.example.com"));
        assert!(lines[1].ends_with("WARN careful"));
    }
}
