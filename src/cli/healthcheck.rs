//! `-healthcheck`: asks the running instance's `/healthz` and turns the answer into an exit
//! code, so that a container's `HEALTHCHECK` needs no shell, curl or wget in the image. The
//! address comes from `-l` (an unspecified host means the loopback address of its family);
//! with `-tlsCert` the request is HTTPS, and the certificate is not verified only when the
//! address is a loopback one (a self-signed certificate is the usual case there, and nothing
//! leaves the host).
//!
//! Reads no config, takes no lock, writes nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use serde::Deserialize;

/// Time allowed for the whole request (the instance caches its report, so it answers fast
/// unless it is stuck, which is then rightly reported as unhealthy).
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Where to ask: the URL and whether its host is a loopback address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http(s)://host:port/healthz`.
    pub url: String,
    /// The host is 127.0.0.0/8 or ::1.
    pub loopback: bool,
}

/// The `/healthz` URL for a `-l` value (already checked by the parser); `tls` for HTTPS.
pub fn target(listen: &str, tls: bool) -> Option<Target> {
    let (host, port) = listen.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.split_once('%').map_or(host, |(h, _)| h);
    let ip: Option<IpAddr> = match host {
        "" => Some(Ipv4Addr::LOCALHOST.into()),
        h => h.parse().ok(),
    };
    let (shown, loopback) = match ip {
        Some(IpAddr::V4(v4)) if v4.is_unspecified() => ("127.0.0.1".to_string(), true),
        Some(IpAddr::V6(v6)) if v6.is_unspecified() => (format!("[{}]", Ipv6Addr::LOCALHOST), true),
        Some(IpAddr::V4(v4)) => (v4.to_string(), v4.is_loopback()),
        Some(IpAddr::V6(v6)) => (format!("[{v6}]"), v6.is_loopback()),
        // A host name: asked as written; "localhost" counts as loopback.
        None => (host.to_string(), host.eq_ignore_ascii_case("localhost")),
    };
    let scheme = if tls { "https" } else { "http" };
    Some(Target {
        url: format!("{scheme}://{shown}:{port}/healthz"),
        loopback,
    })
}

/// The parts of the `/healthz` answer that are printed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Report {
    healthy: bool,
    ok: Vec<String>,
    problems: Vec<String>,
}

/// What the check found: healthy or not, and lines to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// HTTP 200 from `/healthz`.
    pub healthy: bool,
    /// What to print, one line each: the records found right, or the reasons.
    pub lines: Vec<String>,
}

/// Turns a `/healthz` answer into an [`Outcome`]: healthy only with status 200.
pub fn judge(status: u16, body: &str) -> Outcome {
    let report: Option<Report> = serde_json::from_str(body).ok();
    let healthy = status == 200;
    let mut lines = Vec::new();
    match report {
        Some(r) if healthy => {
            lines.push(format!(
                "healthy: {} record(s) hold the current address",
                r.ok.len()
            ));
            lines.extend(r.ok.into_iter().map(|l| format!("  ok: {l}")));
        }
        Some(r) => {
            lines.push(format!("not healthy (HTTP {status})"));
            lines.extend(r.problems.into_iter().map(|l| format!("  {l}")));
            if r.healthy {
                lines.push("  the report says healthy but the status is not 200".into());
            }
        }
        None => {
            let head: String = body.chars().take(200).collect();
            lines.push(format!(
                "{} (HTTP {status}); the answer is not a ddns-rs health report: {head}",
                if healthy { "healthy" } else { "not healthy" }
            ));
        }
    }
    Outcome { healthy, lines }
}

/// Asks the instance listening on `listen` (`tls`: it serves HTTPS).
pub async fn check(listen: &str, tls: bool) -> Outcome {
    let unhealthy = |line: String| Outcome {
        healthy: false,
        lines: vec![line],
    };
    let Some(t) = target(listen, tls) else {
        return unhealthy(format!("cannot tell the address to ask from -l {listen}"));
    };
    let opts = crate::http::HttpOptions {
        skip_verify: tls && t.loopback,
        provider_timeout: Some(TIMEOUT),
        // A LAN address is verified, possibly against a CA only the OS store knows.
        os_roots: if tls && !t.loopback {
            crate::http::OsRoots::load()
        } else {
            Default::default()
        },
        ..Default::default()
    };
    let client = match crate::http::provider_client(&opts, None) {
        Ok(c) => c,
        Err(e) => return unhealthy(e.to_string()),
    };
    let resp = match client.get(&t.url).send().await {
        Ok(r) => r,
        Err(e) => {
            return unhealthy(format!(
                "no answer from {}: {e}; is ddns-rs running with its web UI on {listen}?",
                t.url
            ));
        }
    };
    // A health report is small; a larger answer is not one.
    match crate::http::read_body(resp, 64 * 1024).await {
        Ok((status, body)) => judge(status, &body),
        Err(e) => unhealthy(format!("reading the answer of {} failed: {e}", t.url)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_from_listen_addresses() {
        let t = |l, tls| target(l, tls).unwrap();
        assert_eq!(t(":9876", false).url, "http://127.0.0.1:9876/healthz");
        assert!(t(":9876", false).loopback);
        assert_eq!(t("0.0.0.0:80", true).url, "https://127.0.0.1:80/healthz");
        assert_eq!(t("[::]:9876", false).url, "http://[::1]:9876/healthz");
        assert_eq!(t("[::1]:9876", false).url, "http://[::1]:9876/healthz");
        assert!(t("127.0.0.2:1", false).loopback);
        let lan = t("192.168.1.5:9876", true);
        assert_eq!(lan.url, "https://192.168.1.5:9876/healthz");
        assert!(!lan.loopback);
        assert!(t("localhost:9", false).loopback);
        assert!(!t("example.com:9", false).loopback);
        assert_eq!(
            t("[fe80::1%eth0]:7", false).url,
            "http://[fe80::1]:7/healthz"
        );
        assert_eq!(target("nope", false), None);
    }

    #[test]
    fn only_200_is_healthy_and_reasons_are_shown() {
        let ok = judge(
            200,
            r#"{"healthy":true,"ok":["a.example.com A 203.0.113.7"],"problems":[]}"#,
        );
        assert!(ok.healthy);
        assert_eq!(ok.lines[1], "  ok: a.example.com A 203.0.113.7");
        let bad = judge(
            503,
            r#"{"healthy":false,"ok":[],"problems":["a.example.com A holds 198.51.100.1, not 203.0.113.7"]}"#,
        );
        assert!(!bad.healthy);
        assert_eq!(bad.lines[0], "not healthy (HTTP 503)");
        assert_eq!(
            bad.lines[1],
            "  a.example.com A holds 198.51.100.1, not 203.0.113.7"
        );
        let other = judge(404, "404 page not found");
        assert!(!other.healthy);
        assert!(other.lines[0].contains("not a ddns-rs health report"));
    }
}
