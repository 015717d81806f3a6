//! Agreement between independent sources: an entry lists several sources (`sources:` under
//! `ipv4`/`ipv6`) and an address is published only when at least `agree` of them (default 2)
//! give the same answer, and no other answer has as many votes. A lying or hijacked echo
//! service, a spoofed STUN reply or a captive portal then cannot make ddns-rs publish a wrong
//! address on its own.
//!
//! Source forms: `https://…` (an echo page, as `gettype: url`), `dns:opendns`, `dns:google`,
//! `dns:cloudflare` (optionally `@ip:port` to use another server), and `stun:host:port`.
//!
//! A source that fails, or answers differently from an agreed majority, is skipped for a while
//! (doubling from [`BACKOFF_START`] up to [`BACKOFF_MAX`]) and forgiven as soon as it agrees
//! again. When skipping would leave fewer than `agree` sources, every source is asked.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::whoami::Whoami;
use super::{DetectCtx, DetectError, Family, check_public};
use crate::config::IpConf;
use crate::http::DETECT_TIMEOUT;

/// `agree` when the key is empty.
pub const DEFAULT_AGREE: usize = 2;
/// First pause for a misbehaving source.
pub const BACKOFF_START: Duration = Duration::from_secs(60);
/// Longest pause for a misbehaving source.
pub const BACKOFF_MAX: Duration = Duration::from_secs(3600);

/// One configured source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// An HTTP(S) echo page.
    Url(String),
    /// A DNS whoami service at a server.
    Dns(Whoami, Option<SocketAddr>),
    /// A STUN server, `host:port`.
    Stun(String),
}

impl Source {
    /// Parses one `sources:` item.
    pub fn parse(s: &str) -> Result<Source, String> {
        let s = s.trim();
        if s.starts_with("https://") || s.starts_with("http://") {
            return Ok(Source::Url(s.to_string()));
        }
        if let Some(rest) = s.strip_prefix("dns:") {
            let (name, server) = match rest.split_once('@') {
                Some((n, a)) => (
                    n,
                    Some(a.parse().map_err(|_| {
                        format!(
                            "source {s:?}: the server after @ must be ip:port, e.g. 192.0.2.53:53"
                        )
                    })?),
                ),
                None => (rest, None),
            };
            let w = Whoami::from_name(name).ok_or_else(|| {
                format!("source {s:?}: use dns:opendns, dns:google or dns:cloudflare")
            })?;
            return Ok(Source::Dns(w, server));
        }
        if let Some(hostport) = s.strip_prefix("stun:") {
            let ok = hostport
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !ok {
                return Err(format!(
                    "source {s:?}: write stun:host:port, e.g. stun:stun.cloudflare.com:3478"
                ));
            }
            return Ok(Source::Stun(hostport.to_string()));
        }
        Err(format!(
            "unknown source {s:?}: use https://…, dns:opendns, dns:google, dns:cloudflare or \
             stun:host:port"
        ))
    }

    /// How the source is named in logs and its back-off key.
    pub fn label(&self) -> String {
        match self {
            Source::Url(u) => u.clone(),
            Source::Dns(w, None) => format!("dns:{}", w.name()),
            Source::Dns(w, Some(a)) => format!("dns:{}@{a}", w.name()),
            Source::Stun(h) => format!("stun:{h}"),
        }
    }
}

/// One source's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The source's label.
    pub source: String,
    /// The address, or why there is none.
    pub result: Result<IpAddr, String>,
}

/// Back-off of one source.
#[derive(Debug, Clone, Default)]
struct Health {
    strikes: u32,
    skip_until: Option<Instant>,
}

/// What the sources of one entry and family have done lately. Cheap to clone (shared), so the
/// sync engine keeps one per entry and family across runs.
#[derive(Debug, Clone, Default)]
pub struct SourceHealth {
    map: Arc<Mutex<HashMap<String, Health>>>,
    /// Where disagreements are counted for `/metrics` (None: not counted).
    counter: Option<Counter>,
}

/// The metrics and the entry label that disagreements are counted under.
#[derive(Debug, Clone)]
struct Counter {
    metrics: crate::metrics::Metrics,
    entry: String,
}

/// The sources that disagreed: with an agreed address, those that answered another one;
/// without one, every source that gave an address when the addresses differ. A failed source
/// did not disagree (it is counted as a failed detection).
pub fn dissenters<'a>(answers: &'a [Answer], decided: &Result<IpAddr, String>) -> Vec<&'a str> {
    let given = || {
        answers
            .iter()
            .filter_map(|a| a.result.as_ref().ok().map(|ip| (a.source.as_str(), ip)))
    };
    match decided {
        Ok(winner) => given()
            .filter(|(_, ip)| *ip != winner)
            .map(|(s, _)| s)
            .collect(),
        Err(_) => {
            let first = given().next().map(|(_, ip)| *ip);
            if given().any(|(_, ip)| Some(*ip) != first) {
                given().map(|(s, _)| s).collect()
            } else {
                Vec::new()
            }
        }
    }
}

impl SourceHealth {
    /// The same shared state, counting each source's answers and disagreements into `metrics`
    /// (`ddns_source_answers_total`, `ddns_detection_disagreements_total`) under the entry
    /// label `entry`.
    pub fn counted(&self, metrics: &crate::metrics::Metrics, entry: &str) -> SourceHealth {
        SourceHealth {
            map: self.map.clone(),
            counter: Some(Counter {
                metrics: metrics.clone(),
                entry: entry.to_string(),
            }),
        }
    }

    /// The sources to ask now: those not in back-off, or all of them when fewer than `k` are.
    pub fn pick(&self, sources: &[Source], k: usize, now: Instant) -> Vec<Source> {
        let map = self.lock();
        let ready: Vec<Source> = sources
            .iter()
            .filter(|s| {
                map.get(&s.label())
                    .and_then(|h| h.skip_until)
                    .is_none_or(|t| now >= t)
            })
            .cloned()
            .collect();
        if ready.len() < k {
            sources.to_vec()
        } else {
            ready
        }
    }

    /// Decides on `answers` (see [`decide`]), updates each source's back-off and logs.
    pub fn settle(
        &self,
        answers: &[Answer],
        k: usize,
        family: Family,
        now: Instant,
    ) -> Result<IpAddr, DetectError> {
        let decided = decide(answers, k);
        if let Some(c) = &self.counter {
            let fam = match family {
                Family::V4 => "ipv4",
                Family::V6 => "ipv6",
            };
            for a in answers {
                c.metrics
                    .source_answer(&c.entry, fam, &a.source, a.result.is_ok());
            }
            for source in dissenters(answers, &decided) {
                c.metrics.disagreement(&c.entry, fam, source);
            }
        }
        let mut map = self.lock();
        for a in answers {
            let good = match (&a.result, &decided) {
                (Ok(ip), Ok(winner)) => ip == winner,
                // Without a majority nobody can be called a liar.
                (Ok(_), Err(_)) => true,
                (Err(_), _) => false,
            };
            let h = map.entry(a.source.clone()).or_default();
            if good {
                *h = Health::default();
            } else {
                h.strikes = h.strikes.saturating_add(1);
                let pause = BACKOFF_START
                    .saturating_mul(1u32 << (h.strikes - 1).min(16))
                    .min(BACKOFF_MAX);
                h.skip_until = Some(now + pause);
                tracing::warn!(
                    "{} source {} {}; not asked for {}s",
                    family.label(),
                    a.source,
                    match &a.result {
                        Ok(ip) => format!("answered {ip}, unlike the others"),
                        Err(e) => format!("failed: {e}"),
                    },
                    pause.as_secs()
                );
            }
        }
        let listing = || {
            answers
                .iter()
                .map(|a| match &a.result {
                    Ok(ip) => format!("{} → {ip}", a.source),
                    Err(e) => format!("{} → error: {e}", a.source),
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        match decided {
            Ok(ip) => {
                tracing::info!(
                    "{} address {ip} agreed by sources: {}",
                    family.label(),
                    listing()
                );
                Ok(ip)
            }
            Err(why) => Err(DetectError::Failed {
                family: family.label(),
                reason: format!("{why}; not publishing. Answers: {}", listing()),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Health>> {
        // A poisoned lock only means a panic elsewhere mid-update; the map is still usable.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The address at least `k` answers agree on, with strictly more votes than any other; answers
/// that are not public addresses count as failures.
pub fn decide(answers: &[Answer], k: usize) -> Result<IpAddr, String> {
    let mut votes: Vec<(IpAddr, usize)> = Vec::new();
    for ip in answers.iter().filter_map(|a| a.result.as_ref().ok()) {
        match votes.iter_mut().find(|(v, _)| v == ip) {
            Some((_, n)) => *n += 1,
            None => votes.push((*ip, 1)),
        }
    }
    votes.sort_by_key(|v| std::cmp::Reverse(v.1));
    match votes.as_slice() {
        [] => Err("no source gave an address".into()),
        [(_, n), (_, m), ..] if n == m => Err("the sources disagree".into()),
        [(ip, n), ..] if *n >= k => Ok(*ip),
        [(_, n), ..] => Err(format!("only {n} of the {k} sources needed agree")),
    }
}

/// The sources and `agree` of `conf`; None when the entry does not use agreement.
pub fn configured(conf: &IpConf) -> Result<Option<(Vec<Source>, usize)>, String> {
    if conf.sources.iter().all(|s| s.trim().is_empty()) {
        return Ok(None);
    }
    let sources = conf
        .sources
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Source::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let k = match conf.agree.trim() {
        "" => DEFAULT_AGREE,
        n => n
            .parse::<usize>()
            .ok()
            .filter(|k| *k >= 1)
            .ok_or_else(|| format!("agree {n:?} must be a whole number of at least 1"))?,
    };
    if k > sources.len() {
        return Err(format!(
            "agree is {k} but only {} sources are listed; add sources or lower agree",
            sources.len()
        ));
    }
    Ok(Some((sources, k)))
}

/// Asks every source at once through `ask`, each bounded by `timeout`; answers keep the
/// sources' order and are checked with `check_public`.
pub async fn gather<F, Fut>(sources: &[Source], timeout: Duration, ask: F) -> Vec<Answer>
where
    F: Fn(Source) -> Fut,
    Fut: Future<Output = Result<IpAddr, String>> + Send + 'static,
{
    let mut set = JoinSet::new();
    for (i, s) in sources.iter().enumerate() {
        let fut = ask(s.clone());
        set.spawn(async move {
            let r = match tokio::time::timeout(timeout, fut).await {
                Ok(r) => r,
                Err(_) => Err(format!("no answer in {timeout:?}")),
            };
            (i, r)
        });
    }
    let mut out: Vec<Answer> = sources
        .iter()
        .map(|s| Answer {
            source: s.label(),
            result: Err("the query task failed".into()),
        })
        .collect();
    while let Some(done) = set.join_next().await {
        if let Ok((i, r)) = done {
            out[i].result =
                r.and_then(|ip| check_public(ip).map(|_| ip).map_err(|e| e.to_string()));
        }
    }
    out
}

/// Detects through agreement of `sources`, at least `k` of them.
pub async fn detect_agreed(
    sources: &[Source],
    k: usize,
    family: Family,
    ctx: &DetectCtx,
) -> Result<IpAddr, DetectError> {
    let health = ctx.sources.clone();
    let asked = health.pick(sources, k, Instant::now());
    let ctx = ctx.clone();
    let answers = gather(&asked, DETECT_TIMEOUT, move |s| ask(s, family, ctx.clone())).await;
    health.settle(&answers, k, family, Instant::now())
}

/// Asks one real source.
async fn ask(source: Source, family: Family, ctx: DetectCtx) -> Result<IpAddr, String> {
    match source {
        Source::Url(u) => {
            let interface = Some(ctx.httpinterface.as_str()).filter(|s| !s.is_empty());
            let client = crate::http::detect_client(&ctx.http, family, interface)
                .map_err(|e| e.to_string())?;
            super::detect_url(&u, family, &client, DETECT_TIMEOUT)
                .await
                .map_err(|e| e.to_string())
        }
        Source::Dns(w, server) => {
            let server = server.unwrap_or_else(|| w.default_server(family));
            super::whoami::ask(w, server, family, DETECT_TIMEOUT)
                .await
                .map_err(|e| e.to_string())
        }
        Source::Stun(hostport) => {
            let server = tokio::net::lookup_host(hostport.as_str())
                .await
                .map_err(|e| format!("cannot resolve {hostport}: {e}"))?
                .find(|a| a.is_ipv4() == (family == Family::V4))
                .ok_or_else(|| format!("{hostport} has no {} address", family.label()))?;
            super::stun::query(server, DETECT_TIMEOUT)
                .await
                .map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ans(src: &str, r: Result<&str, &str>) -> Answer {
        Answer {
            source: src.into(),
            result: r.map(|s| s.parse().unwrap()).map_err(str::to_string),
        }
    }

    #[test]
    fn parses_each_source_form() {
        assert_eq!(
            Source::parse("https://ip.example/").unwrap(),
            Source::Url("https://ip.example/".into())
        );
        assert_eq!(
            Source::parse("dns:google").unwrap(),
            Source::Dns(Whoami::Google, None)
        );
        assert_eq!(
            Source::parse("dns:cloudflare@127.0.0.1:5353").unwrap(),
            Source::Dns(Whoami::Cloudflare, Some("127.0.0.1:5353".parse().unwrap()))
        );
        assert_eq!(
            Source::parse("stun:stun.l.google.com:19302")
                .unwrap()
                .label(),
            "stun:stun.l.google.com:19302"
        );
        for bad in [
            "dns:quad9",
            "stun:host",
            "stun::1",
            "ftp://x",
            "dns:google@nohost",
        ] {
            assert!(Source::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decide_needs_k_votes_and_a_clear_winner() {
        let a = |v: &[Result<&str, &str>]| -> Vec<Answer> {
            v.iter()
                .enumerate()
                .map(|(i, r)| ans(&i.to_string(), *r))
                .collect()
        };
        let x = "1.2.3.4";
        let y = "5.6.7.9";
        assert_eq!(
            decide(&a(&[Ok(x), Ok(x), Ok(y)]), 2).unwrap().to_string(),
            x
        );
        assert!(decide(&a(&[Ok(x), Ok(y)]), 1).is_err(), "a tie never wins");
        assert!(decide(&a(&[Ok(x), Err("timeout")]), 2).is_err());
        assert!(decide(&a(&[Err("a"), Err("b")]), 1).is_err());
        assert_eq!(decide(&a(&[Ok(x)]), 1).unwrap().to_string(), x);
    }

    #[test]
    fn config_keys_are_validated() {
        let mut c = IpConf::default();
        assert_eq!(configured(&c), Ok(None));
        c.sources = vec!["dns:google".into(), "dns:opendns".into()];
        assert_eq!(configured(&c).unwrap().unwrap().1, 2);
        c.agree = "3".into();
        assert!(configured(&c).unwrap_err().contains("only 2 sources"));
        c.agree = "0".into();
        assert!(configured(&c).is_err());
        c.agree = "1".into();
        assert_eq!(configured(&c).unwrap().unwrap().1, 1);
    }

    #[test]
    fn a_lying_source_backs_off_doubling_and_is_forgiven_on_agreement() {
        let h = SourceHealth::default();
        let src: Vec<Source> = ["dns:google", "dns:opendns", "dns:cloudflare"]
            .iter()
            .map(|s| Source::parse(s).unwrap())
            .collect();
        let t0 = Instant::now();
        let liar = |ip: &str| {
            vec![
                ans("dns:google", Ok("1.2.3.4")),
                ans("dns:opendns", Ok("1.2.3.4")),
                ans("dns:cloudflare", Ok(ip)),
            ]
        };
        let got = h.settle(&liar("5.6.7.8"), 2, Family::V4, t0).unwrap();
        assert_eq!(got.to_string(), "1.2.3.4");
        // The liar is skipped until its first pause is over.
        assert_eq!(h.pick(&src, 2, t0).len(), 2);
        assert_eq!(h.pick(&src, 2, t0 + BACKOFF_START).len(), 3);
        // It lies again: twice the pause.
        let t1 = t0 + BACKOFF_START;
        h.settle(&liar("5.6.7.8"), 2, Family::V4, t1).unwrap();
        assert_eq!(h.pick(&src, 2, t1 + BACKOFF_START).len(), 2);
        assert_eq!(h.pick(&src, 2, t1 + 2 * BACKOFF_START).len(), 3);
        // It agrees: forgiven at once.
        let t2 = t1 + 2 * BACKOFF_START;
        h.settle(&liar("1.2.3.4"), 2, Family::V4, t2).unwrap();
        h.settle(&liar("5.6.7.8"), 2, Family::V4, t2).unwrap();
        assert_eq!(
            h.pick(&src, 2, t2 + BACKOFF_START).len(),
            3,
            "back to the first pause"
        );
        // Skipping never leaves fewer than k sources to ask.
        assert_eq!(h.pick(&src, 3, t2).len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn gather_times_out_slow_sources_and_rejects_private_answers() {
        let src: Vec<Source> = [
            "dns:google",
            "dns:opendns",
            "stun:slow.test:1",
            "https://lan/",
        ]
        .iter()
        .map(|s| Source::parse(s).unwrap())
        .collect();
        let answers = gather(&src, Duration::from_secs(5), |s| async move {
            match s {
                Source::Dns(..) => Ok("1.2.3.4".parse().unwrap()),
                Source::Stun(_) => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok("1.2.3.4".parse().unwrap())
                }
                Source::Url(_) => Ok("192.168.1.1".parse().unwrap()),
            }
        })
        .await;
        assert_eq!(answers[0].result, Ok("1.2.3.4".parse().unwrap()));
        assert_eq!(answers[1].result, Ok("1.2.3.4".parse().unwrap()));
        assert!(
            answers[2]
                .result
                .as_ref()
                .unwrap_err()
                .contains("no answer")
        );
        assert!(answers[3].result.is_err(), "a private address is no vote");
        assert_eq!(decide(&answers, 2).unwrap().to_string(), "1.2.3.4");
    }

    fn answer(source: &str, r: Result<&str, &str>) -> Answer {
        Answer {
            source: source.into(),
            result: r.map(|ip| ip.parse().unwrap()).map_err(str::to_string),
        }
    }

    #[test]
    fn dissenters_are_the_outvoted_or_all_when_nobody_wins() {
        let outvoted = [
            answer("a", Ok("1.1.1.1")),
            answer("b", Ok("1.1.1.1")),
            answer("c", Ok("9.9.9.9")),
            answer("d", Err("timeout")),
        ];
        let d = decide(&outvoted, 2);
        assert_eq!(dissenters(&outvoted, &d), ["c"]);
        let tie = [answer("a", Ok("1.1.1.1")), answer("b", Ok("9.9.9.9"))];
        assert_eq!(dissenters(&tie, &decide(&tie, 2)), ["a", "b"]);
        // Too few answers, but those given agree: nobody disagreed.
        let few = [answer("a", Ok("1.1.1.1")), answer("b", Err("down"))];
        assert!(dissenters(&few, &decide(&few, 2)).is_empty());
    }

    #[test]
    fn settle_counts_disagreements_only_when_counted() {
        let m = crate::metrics::Metrics::default();
        let plain = SourceHealth::default();
        let counted = plain.counted(&m, "home");
        let tie = [
            answer("stun:a:1", Ok("1.1.1.1")),
            answer("dns:google", Ok("9.9.9.9")),
        ];
        let now = Instant::now();
        assert!(plain.settle(&tie, 1, Family::V4, now).is_err());
        assert!(
            !m.render("x")
                .contains("ddns_detection_disagreements_total{")
        );
        assert!(counted.settle(&tie, 1, Family::V6, now).is_err());
        assert!(counted.settle(&tie, 1, Family::V6, now).is_err());
        let text = m.render("x");
        assert!(text.contains(
            "ddns_detection_disagreements_total{entry=\"home\",family=\"ipv6\",source=\"stun:a:1\"} 2\n"
        ), "{text}");
        assert!(text.contains(
            "ddns_detection_disagreements_total{entry=\"home\",family=\"ipv6\",source=\"dns:google\"} 2\n"
        ));
        assert!(text.contains(
            "ddns_source_answers_total{entry=\"home\",family=\"ipv6\",source=\"stun:a:1\",result=\"ok\"} 2\n"
        ), "{text}");
        // The counted handle shares the back-off state with the plain one.
        assert_eq!(plain.lock().len(), 2);
    }
}
