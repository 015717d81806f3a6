//! Log lines: ddns-go's format (`YYYY/MM/DD HH:MM:SS message`, local time) on stderr, plus a
//! bounded ring of recent lines that the web UI's log panel reads (ddns-go keeps 50; we keep
//! [`RING_CAPACITY`]).
//!
//! Structured fields given to `tracing` macros are appended as `key=value`, except the context
//! fields ([`CONTEXT_FIELDS`]: entry, provider, domain, …) that the message already says in words.
//! With [`LogFormat::Json`] (`-logFormat json`) stderr gets one JSON object per line instead,
//! with every field, for log collectors; the ring keeps the text lines for the web UI.
//! Nothing here redacts: callers never pass secrets to the log in the first place.
//!
//! Where lines go ([`LogOptions`]): stderr, or with `-log FILE` a size-rotated file instead
//! ([`rotate::RotatingFile`]). Under systemd with stderr connected to the journal
//! (`JOURNAL_STREAM`, see [`journal_stream_matches`]), text lines leave out the time stamp (the
//! journal adds its own) and start with an sd-daemon priority prefix (`<3>` error, `<4>`
//! warning, `<6>` info, `<7>` debug) so that `journalctl -p` filters and colours them.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

pub mod rotate;

use rotate::RotatingFile;

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

/// The sd-daemon(3) priority of a level: `<3>` error, `<4>` warning, `<6>` info, `<7>` debug.
pub fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// One text line. `stamp` is the time stamp (None under the journal, which adds its own);
/// `journal` prefixes the sd-daemon priority. `message` and `fields` as the event gave them.
pub fn text_line(
    stamp: Option<&str>,
    level: Level,
    message: &str,
    fields: &str,
    journal: bool,
) -> String {
    let tag = match level {
        Level::ERROR => "ERROR ",
        Level::WARN => "WARN ",
        _ => "",
    };
    let mut line = String::with_capacity(message.len() + fields.len() + 32);
    if journal {
        let _ = write!(line, "<{}>", priority(level));
    }
    if let Some(stamp) = stamp {
        line.push_str(stamp);
        line.push(' ');
    }
    line.push_str(tag);
    line.push_str(message);
    line.push_str(fields);
    line
}

/// Whether `JOURNAL_STREAM` (`<device>:<inode>`, set by systemd) names the file stderr is
/// (`dev`, `ino`): only then does stderr go to the journal. A process started from a unit with
/// its stderr redirected elsewhere inherits the variable but keeps its time stamps.
pub fn journal_stream_matches(value: &str, dev: u64, ino: u64) -> bool {
    let Some((d, i)) = value.trim().split_once(':') else {
        return false;
    };
    d.parse::<u64>() == Ok(dev) && i.parse::<u64>() == Ok(ino)
}

/// Whether this process's stderr is the journal stream systemd announced in `JOURNAL_STREAM`.
pub fn stderr_is_journal() -> bool {
    let Some(value) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
            return false;
        };
        let Ok(meta) = std::fs::File::from(fd).metadata() else {
            return false;
        };
        journal_stream_matches(&value.to_string_lossy(), meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = value;
        false
    }
}

/// Where log lines go and how they look.
#[derive(Debug, Default)]
pub struct LogOptions {
    /// Include debug lines.
    pub debug: bool,
    /// Text or JSON lines.
    pub format: LogFormat,
    /// `-log FILE`: write here instead of stderr.
    pub file: Option<RotatingFile>,
    /// stderr is the systemd journal: text lines without time stamp, with a priority prefix.
    /// Ignored when `file` is set.
    pub journal: bool,
}

/// The layer that writes every event to its sink and the ring.
struct RingLayer {
    ring: LogRing,
    max_level: Level,
    format: LogFormat,
    /// Text lines for the journal (see [`LogOptions::journal`]).
    journal: bool,
    sink: Sink,
}

/// Destination of the lines.
enum Sink {
    Stderr,
    File(Mutex<FileSink>),
    #[cfg(test)]
    Buffer(Arc<Mutex<Vec<String>>>),
}

/// The log file and whether the last write to it failed (so the note about it is written
/// once per failure streak, not once per line).
struct FileSink {
    file: RotatingFile,
    failing: bool,
}

impl Sink {
    fn write(&self, line: &str) {
        match self {
            Sink::Stderr => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            Sink::File(f) => {
                let mut g = f.lock().unwrap_or_else(PoisonError::into_inner);
                match g.file.write_line(line) {
                    Ok(()) => g.failing = false,
                    // A full disk must not lose the line: it goes to stderr instead.
                    Err(e) => {
                        let mut err = std::io::stderr().lock();
                        if !g.failing {
                            let _ = writeln!(
                                err,
                                "cannot write to the log file: {e}; writing to stderr until it works again"
                            );
                        }
                        g.failing = true;
                        let _ = writeln!(err, "{line}");
                    }
                }
            }
            #[cfg(test)]
            Sink::Buffer(b) => b
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
        let stamp = crate::timefmt::local_now().log_stamp();
        // The web UI shows stamped text lines whatever the output format.
        let line = text_line(Some(&stamp), level, &v.message, &v.fields, false);
        match self.format {
            LogFormat::Text if self.journal => {
                self.sink
                    .write(&text_line(None, level, &v.message, &v.fields, true));
            }
            LogFormat::Text => self.sink.write(&line),
            LogFormat::Json => self
                .sink
                .write(&json_line(event, crate::timefmt::unix_now())),
        }
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
    init_with(
        ring,
        LogOptions {
            debug,
            format,
            ..LogOptions::default()
        },
    );
}

/// Installs the global logger as `opts` says. Call once at start; a second call is ignored.
pub fn init_with(ring: LogRing, opts: LogOptions) {
    let layer = layer(ring, opts);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

fn layer(ring: LogRing, opts: LogOptions) -> RingLayer {
    let (sink, journal) = match opts.file {
        Some(file) => (
            Sink::File(Mutex::new(FileSink {
                file,
                failing: false,
            })),
            false,
        ),
        None => (Sink::Stderr, opts.journal),
    };
    RingLayer {
        ring,
        max_level: if opts.debug {
            Level::DEBUG
        } else {
            Level::INFO
        },
        format: opts.format,
        journal,
        sink,
    }
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
            journal: false,
            sink: Sink::Stderr,
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
            journal: false,
            sink: Sink::Buffer(out.clone()),
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
    fn journal_lines_have_a_priority_and_no_stamp() {
        assert_eq!(
            text_line(
                Some("2026/11/21 08:00:00"),
                Level::INFO,
                "Updated",
                " n=1",
                false
            ),
            "2026/11/21 08:00:00 Updated n=1"
        );
        assert_eq!(
            text_line(
                Some("2026/11/21 08:00:00"),
                Level::ERROR,
                "Failed",
                "",
                false
            ),
            "2026/11/21 08:00:00 ERROR Failed"
        );
        assert_eq!(
            text_line(None, Level::ERROR, "Failed", "", true),
            "<3>ERROR Failed"
        );
        assert_eq!(
            text_line(None, Level::WARN, "careful", "", true),
            "<4>WARN careful"
        );
        assert_eq!(
            text_line(None, Level::INFO, "ok", " a=b", true),
            "<6>ok a=b"
        );
        assert_eq!(text_line(None, Level::DEBUG, "dbg", "", true), "<7>dbg");
    }

    #[test]
    fn journal_stream_must_name_stderr() {
        assert!(journal_stream_matches("8:12345", 8, 12345));
        assert!(!journal_stream_matches("8:12346", 8, 12345));
        assert!(!journal_stream_matches("9:12345", 8, 12345));
        assert!(!journal_stream_matches("", 8, 12345));
        assert!(!journal_stream_matches("812345", 8, 12345));
    }

    #[test]
    fn the_journal_layer_writes_priorities_and_the_ring_keeps_stamps() {
        let ring = LogRing::new();
        let out = Arc::new(Mutex::new(Vec::new()));
        let layer = RingLayer {
            ring: ring.clone(),
            max_level: Level::INFO,
            format: LogFormat::Text,
            journal: true,
            sink: Sink::Buffer(out.clone()),
        };
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || {
            tracing::warn!("careful");
            tracing::info!(n = 2, "fine");
        });
        assert_eq!(*out.lock().unwrap(), ["<4>WARN careful", "<6>fine n=2"]);
        assert!(ring.lines()[0].ends_with(" WARN careful"));
        assert_eq!(&ring.lines()[0][4..5], "/");
    }

    #[test]
    fn file_sink_gets_the_lines_and_ignores_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.log");
        let ring = LogRing::new();
        let layer = layer(
            ring,
            LogOptions {
                file: Some(RotatingFile::open(&path, 4096, 1).unwrap()),
                journal: true,
                ..LogOptions::default()
            },
        );
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || {
            tracing::error!("to the file");
        });
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with(" ERROR to the file\n"), "{text:?}");
        assert_eq!(&text[4..5], "/");
    }

    #[test]
    fn log_format_values() {
        assert_eq!(LogFormat::parse("json"), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("JSON"), None);
        assert_eq!(LogFormat::default(), LogFormat::Text);
    }
}
