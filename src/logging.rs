//! Log lines: ddns-go's format (`YYYY/MM/DD HH:MM:SS message`, local time) on stderr, plus a
//! bounded ring of recent lines that the web UI's log panel reads (ddns-go keeps 50; we keep
//! [`RING_CAPACITY`]).
//!
//! Structured fields given to `tracing` macros are appended as `key=value`, except the context
//! fields ([`CONTEXT_FIELDS`]: entry, provider, domain, …) that the message already says in words.
//! With [`LogFormat::Json`] (`-logFormat json`) stderr gets one JSON object per line instead,
//! with every field, for log collectors; the ring keeps the text lines for the web UI.
//! Nothing here redacts: callers never pass secrets to the log in the first place.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Fields the sync engine attaches for collectors: shown in JSON lines, left out of text lines
/// (whose message already names the entry, domain and result, in ddns-go's wording).
pub const CONTEXT_FIELDS: &[&str] = &["entry", "provider", "domain", "record", "ip", "result"];

/// The format of the lines written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `YYYY/MM/DD HH:MM:SS message`, local time, as ddns-go writes.
    #[default]
    Text,
    /// One JSON object per line: `time` (RFC 3339, UTC), `level`, `message`, then the fields.
    Json,
}

impl LogFormat {
    /// Parses `text` or `json` (the `-logFormat` values).
    pub fn parse(s: &str) -> Option<LogFormat> {
        match s {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

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
        } else if !CONTEXT_FIELDS.contains(&field.name()) {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else if !CONTEXT_FIELDS.contains(&field.name()) {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

/// Collects an event as a JSON object: numbers and booleans keep their type, everything else
/// becomes a string (`Display` for strings, `Debug` otherwise, as `tracing` gives it).
struct JsonVisitor {
    map: serde_json::Map<String, serde_json::Value>,
}

impl JsonVisitor {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        self.map.insert(field.name().to_string(), value);
    }
}

impl Visit for JsonVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}

/// One event as a JSON line (without the newline). `unix_secs` is the event's time.
fn json_line(event: &Event<'_>, unix_secs: i64) -> String {
    let mut v = JsonVisitor {
        map: serde_json::Map::new(),
    };
    v.map.insert(
        "time".into(),
        crate::timefmt::civil_from_unix(unix_secs).iso8601().into(),
    );
    let level = match *event.metadata().level() {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    };
    v.map.insert("level".into(), level.into());
    v.map.insert("message".into(), "".into());
    event.record(&mut v);
    // A field named time/level would overwrite ours; the event's own value is kept then, which
    // is what its author meant. No field in ddns-rs uses those names.
    serde_json::Value::Object(v.map).to_string()
}

/// The layer that writes every event to stderr and the ring.
struct RingLayer {
    ring: LogRing,
    max_level: Level,
    format: LogFormat,
    /// Where JSON lines go (stderr in production; a buffer in tests).
    json_sink: JsonSink,
}

/// Destination of JSON lines.
#[derive(Clone)]
enum JsonSink {
    Stderr,
    #[cfg(test)]
    Buffer(Arc<Mutex<Vec<String>>>),
}

impl JsonSink {
    fn write(&self, line: &str) {
        match self {
            JsonSink::Stderr => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            #[cfg(test)]
            JsonSink::Buffer(b) => b
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line.to_string()),
        }
    }
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
        match self.format {
            LogFormat::Text => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            LogFormat::Json => self
                .json_sink
                .write(&json_line(event, crate::timefmt::unix_now())),
        }
        // The web UI shows text lines whatever the stderr format.
        self.ring.push(line);
    }
}

/// Installs the global logger writing text lines to stderr and `ring`. Call once at start; a
/// second call is ignored.
pub fn init(ring: LogRing, debug: bool) {
    init_with_format(ring, debug, LogFormat::Text);
}

/// Like [`init`], with stderr lines in `format`.
pub fn init_with_format(ring: LogRing, debug: bool, format: LogFormat) {
    let layer = RingLayer {
        ring,
        max_level: if debug { Level::DEBUG } else { Level::INFO },
        format,
        json_sink: JsonSink::Stderr,
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
            format: LogFormat::Text,
            json_sink: JsonSink::Stderr,
        };
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || {
            tracing::info!(attempt = 2, "Updated domain successfully");
            // Context fields are for JSON only: the text message already says them.
            tracing::info!(
                domain = "a.example.com",
                result = "updated",
                "Updated a.example.com"
            );
            tracing::debug!("hidden at info level");
            tracing::warn!("careful");
        });
        let lines = ring.lines();
        assert_eq!(lines.len(), 3);
        // `YYYY/MM/DD HH:MM:SS ` prefix.
        assert_eq!(&lines[0][4..5], "/");
        assert_eq!(&lines[0][19..20], " ");
        assert!(lines[0].ends_with("Updated domain successfully attempt=2"));
        assert!(lines[1].ends_with(" Updated a.example.com"), "{}", lines[1]);
        assert!(lines[2].ends_with("WARN careful"));
    }

    #[test]
    fn json_lines_carry_time_level_message_and_fields() {
        let ring = LogRing::new();
        let out = Arc::new(Mutex::new(Vec::new()));
        let layer = RingLayer {
            ring: ring.clone(),
            max_level: Level::INFO,
            format: LogFormat::Json,
            json_sink: JsonSink::Buffer(out.clone()),
        };
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || {
            tracing::error!(
                entry = "home",
                provider = "cloudflare",
                domain = "a.example.com",
                result = "failed",
                attempt = 3u64,
                ok = false,
                "home: Failed to update \"A\" record\nof a.example.com"
            );
            tracing::debug!("hidden at info level");
        });
        let lines = out.lock().unwrap().clone();
        assert_eq!(lines.len(), 1);
        assert!(!lines[0].contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(v["level"], "error");
        assert_eq!(
            v["message"],
            "home: Failed to update \"A\" record\nof a.example.com"
        );
        assert_eq!(v["entry"], "home");
        assert_eq!(v["provider"], "cloudflare");
        assert_eq!(v["domain"], "a.example.com");
        assert_eq!(v["result"], "failed");
        assert_eq!(v["attempt"], 3);
        assert_eq!(v["ok"], false);
        let time = v["time"].as_str().unwrap();
        // RFC 3339 in UTC: 2026-11-21T05:42:57Z
        assert_eq!(time.len(), 20);
        assert_eq!(&time[4..5], "-");
        assert_eq!(&time[10..11], "T");
        assert!(time.ends_with('Z'));
        // The ring still gets the text line for the web UI.
        assert_eq!(ring.lines().len(), 1);
        assert!(ring.lines()[0].contains("ERROR home: Failed"));
    }

    #[test]
    fn log_format_values() {
        assert_eq!(LogFormat::parse("json"), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("JSON"), None);
        assert_eq!(LogFormat::default(), LogFormat::Text);
    }
}
