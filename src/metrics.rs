//! Counters and gauges the sync engine moves and `/metrics` shows, in the Prometheus text
//! exposition format (written by hand: the format is a few lines of text, a crate is not worth
//! its size). Also keeps the last detected address per entry and family, which `/healthz`
//! compares with the authoritative DNS servers.
//!
//! Not here: the HTTP routes (`web`), or deciding when something counts (`sync`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Label values of one published record: entry label, domain, record type.
type RecordKey = (String, String, String);

#[derive(Debug, Default)]
struct Inner {
    /// (source, family, result) → count.
    detections: BTreeMap<(String, &'static str, &'static str), u64>,
    /// (entry label, family, source) → count.
    disagreements: BTreeMap<(String, &'static str, String), u64>,
    /// (entry label, family, source, result) → answers of agreement sources.
    source_answers: BTreeMap<(String, &'static str, String, &'static str), u64>,
    /// (provider, operation) → count.
    api_calls: BTreeMap<(String, &'static str), u64>,
    /// (provider, kind) → count.
    api_errors: BTreeMap<(String, &'static str), u64>,
    /// Unix seconds of the last successful sync of each record.
    last_success: BTreeMap<RecordKey, i64>,
    /// The address each record was last seen or made to hold.
    published: BTreeMap<RecordKey, String>,
    /// (entry index, "ipv4"/"ipv6") → last detected address.
    detected: BTreeMap<(usize, &'static str), IpAddr>,
}

/// Shared metrics; clones share the same numbers.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Inner>>,
}

/// The `source` label for a `gettype` value (`url` when empty, as ddns-go defaults).
pub fn source_label(gettype: &str) -> &str {
    match gettype {
        "" => "url",
        s => s,
    }
}

impl Metrics {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One detection from `source` for `family` ("ipv4"/"ipv6"); `addr` is None when it failed.
    pub fn detection(
        &self,
        entry: usize,
        source: &str,
        family: &'static str,
        addr: Option<IpAddr>,
    ) {
        let mut g = self.lock();
        let result = if addr.is_some() { "ok" } else { "error" };
        *g.detections
            .entry((source.to_string(), family, result))
            .or_default() += 1;
        match addr {
            Some(a) => g.detected.insert((entry, family), a),
            None => g.detected.remove(&(entry, family)),
        };
    }

    /// Agreement source `source` of entry `entry` answered an address for `family`
    /// ("ipv4"/"ipv6") that the other sources did not agree with.
    pub fn disagreement(&self, entry: &str, family: &'static str, source: &str) {
        *self
            .lock()
            .disagreements
            .entry((entry.to_string(), family, source.to_string()))
            .or_default() += 1;
    }

    /// Agreement source `source` of entry `entry` answered for `family`: with a public
    /// address (`ok`) or not.
    pub fn source_answer(&self, entry: &str, family: &'static str, source: &str, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        *self
            .lock()
            .source_answers
            .entry((entry.to_string(), family, source.to_string(), result))
            .or_default() += 1;
    }

    /// One API call to `provider` (`op`: "lookup" or "write").
    pub fn api_call(&self, provider: &str, op: &'static str) {
        *self
            .lock()
            .api_calls
            .entry((provider.to_string(), op))
            .or_default() += 1;
    }

    /// One failed API call to `provider`; `kind` classifies the error.
    pub fn api_error(&self, provider: &str, kind: &'static str) {
        *self
            .lock()
            .api_errors
            .entry((provider.to_string(), kind))
            .or_default() += 1;
    }

    /// The record holds `addr` as of `now` (written or confirmed).
    pub fn record_ok(&self, entry: &str, domain: &str, rtype: &str, addr: &str, now: i64) {
        let key = (entry.to_string(), domain.to_string(), rtype.to_string());
        let mut g = self.lock();
        g.last_success.insert(key.clone(), now);
        g.published.insert(key, addr.to_string());
    }

    /// The last address detected for entry `entry` (its index in `dnsconf`) and `family`.
    pub fn detected(&self, entry: usize, family: &'static str) -> Option<IpAddr> {
        self.lock().detected.get(&(entry, family)).copied()
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    pub fn render(&self, version: &str) -> String {
        let g = self.lock();
        let mut out = String::new();
        header(
            &mut out,
            "ddns_build_info",
            "gauge",
            "Build information (always 1).",
        );
        line(&mut out, "ddns_build_info", &[("version", version)], 1);
        header(
            &mut out,
            "ddns_detections_total",
            "counter",
            "Address detections by source, family and result.",
        );
        for ((s, f, r), n) in &g.detections {
            let labels = [("source", s.as_str()), ("family", f), ("result", r)];
            line(&mut out, "ddns_detections_total", &labels, *n);
        }
        header(
            &mut out,
            "ddns_detection_disagreements_total",
            "counter",
            "Answers of an agreement source that the other sources did not agree with, by entry, family and source.",
        );
        for ((e, f, s), n) in &g.disagreements {
            let labels = [("entry", e.as_str()), ("family", f), ("source", s.as_str())];
            line(&mut out, "ddns_detection_disagreements_total", &labels, *n);
        }
        header(
            &mut out,
            "ddns_source_answers_total",
            "counter",
            "Answers of each agreement source (sources/agree) by entry, family, source and result.",
        );
        for ((e, f, s, r), n) in &g.source_answers {
            let labels = [
                ("entry", e.as_str()),
                ("family", f),
                ("source", s.as_str()),
                ("result", r),
            ];
            line(&mut out, "ddns_source_answers_total", &labels, *n);
        }
        header(
            &mut out,
            "ddns_provider_api_calls_total",
            "counter",
            "Provider API calls by provider and operation.",
        );
        for ((p, op), n) in &g.api_calls {
            let labels = [("provider", p.as_str()), ("operation", op)];
            line(&mut out, "ddns_provider_api_calls_total", &labels, *n);
        }
        header(
            &mut out,
            "ddns_provider_api_errors_total",
            "counter",
            "Failed provider API calls by provider and kind of error.",
        );
        for ((p, k), n) in &g.api_errors {
            let labels = [("provider", p.as_str()), ("kind", k)];
            line(&mut out, "ddns_provider_api_errors_total", &labels, *n);
        }
        header(
            &mut out,
            "ddns_record_last_success_timestamp_seconds",
            "gauge",
            "When each record was last found or made right (Unix time).",
        );
        for ((e, d, t), ts) in &g.last_success {
            let labels = [("entry", e.as_str()), ("domain", d), ("type", t)];
            let name = "ddns_record_last_success_timestamp_seconds";
            line(&mut out, name, &labels, *ts);
        }
        header(
            &mut out,
            "ddns_record_published",
            "gauge",
            "The address each record holds, as a label (value always 1).",
        );
        for ((e, d, t), a) in &g.published {
            let labels = [
                ("entry", e.as_str()),
                ("domain", d),
                ("type", t),
                ("address", a),
            ];
            line(&mut out, "ddns_record_published", &labels, 1);
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn line(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Label value escaping: backslash, double quote and line feed.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_escaped_labels() {
        let m = Metrics::default();
        m.detection(0, "url", "ipv4", Some("1.2.3.4".parse().unwrap()));
        m.detection(0, "url", "ipv4", None);
        m.api_call("cloudflare", "lookup");
        m.api_call("cloudflare", "lookup");
        m.api_error("cloudflare", "auth");
        m.record_ok("my \"cf\"\n", "a.example.com", "A", "1.2.3.4", 1700000000);
        let text = m.render("0.1.0");
        assert!(
            text.contains(
                "ddns_detections_total{source=\"url\",family=\"ipv4\",result=\"ok\"} 1\n"
            )
        );
        assert!(text.contains(
            "ddns_provider_api_calls_total{provider=\"cloudflare\",operation=\"lookup\"} 2\n"
        ));
        assert!(text.contains("entry=\"my \\\"cf\\\"\\n\""));
        assert!(text.contains("address=\"1.2.3.4\"} 1\n"));
        assert!(text.contains("ddns_build_info{version=\"0.1.0\"} 1\n"));
        // A failed detection forgets the address health checks compare with.
        assert_eq!(m.detected(0, "ipv4"), None);
        m.detection(0, "url", "ipv4", Some("1.2.3.4".parse().unwrap()));
        assert_eq!(m.detected(0, "ipv4"), Some("1.2.3.4".parse().unwrap()));
    }
}
