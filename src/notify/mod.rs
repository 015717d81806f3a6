//! Notifications after a run: the webhook (spec §7.1) and its templates, and ready-made
//! channels (Telegram, Discord, Slack, DingTalk, Feishu/Lark, WeCom, Bark, ServerChan, ntfy,
//! Gotify) configured in the `notify` list, each subscribed to some of the gate's events.
//!
//! After each config entry's run, `sync` fills a [`RunReport`], asks that entry's [`WebhookGate`]
//! whether to notify, and if so builds the request with [`build_request`] and sends it with
//! [`send`]. Building is pure, so what goes on the wire is tested without sockets.
//!
//! Deliberate differences from ddns-go: a failure streak notifies once, when it starts, and once
//! more when it ends (ddns-go notifies on exactly the 3rd failure of a global counter, and never
//! on recovery); a Content-Type the user set is not duplicated; the webhook URL, which often holds
//! a token, is redacted in logs and errors ([`redact_url`]).

mod channel;
mod message;
mod sign;
mod webhook;

pub use channel::{
    ChannelRequest, KINDS, Kind, NotifyError, build as build_channel_request,
    send as send_channel_request, validate as validate_channel, wanted_events,
};
pub use message::{Events, Message, RecordLine, RunDetails, compose, record_lines};
pub use sign::{dingtalk_sign, feishu_sign};
pub use webhook::{WebhookError, WebhookRequest, build_request, redact_url, send};

use crate::config::NotifyChannel;

/// Sends one channel the message for `events` about `details`, whatever events it subscribed
/// to (the "Try it" button uses this directly). `now_ms` is the unix time in milliseconds.
pub async fn send_to_channel(
    client: &reqwest::Client,
    channel: &NotifyChannel,
    details: &RunDetails,
    events: Events,
    lang: &str,
    now_ms: i64,
) -> Result<(), NotifyError> {
    let msg = compose(details, events, lang);
    let req = build_channel_request(channel, &msg, now_ms)?;
    send_channel_request(client, &req).await
}

/// Sends every channel subscribed to one of `events`, one after the other; a channel that
/// fails does not stop the others. Returns each attempted channel's index and outcome, and
/// logs them (channels are named by index and type, never by URL or token).
pub async fn notify_all(
    client: &reqwest::Client,
    channels: &[NotifyChannel],
    details: &RunDetails,
    events: Events,
    lang: &str,
    now_ms: i64,
) -> Vec<(usize, Result<(), NotifyError>)> {
    let mut out = Vec::new();
    for (i, ch) in channels.iter().enumerate() {
        let wanted = match wanted_events(ch) {
            Ok(w) => w,
            Err(e) => {
                out.push((i, Err(e)));
                continue;
            }
        };
        let hit = events.intersect(wanted);
        if hit.is_empty() {
            continue;
        }
        // The message names the events this channel asked for: a channel that only wants
        // recoveries gets "recovered", not "updated".
        let result = send_to_channel(client, ch, details, hit, lang, now_ms).await;
        out.push((i, result));
    }
    for (i, r) in &out {
        let kind = channels.get(*i).map_or("", |c| c.kind.as_str());
        match r {
            Ok(()) => tracing::info!("Notification {} ({kind}) sent", i + 1),
            Err(e) => tracing::error!("Notification {} ({kind}) failed: {e}", i + 1),
        }
    }
    out
}

/// What happened to one address family's records in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FamilyResult {
    /// Nothing to do (or the family is disabled).
    #[default]
    Unchanged,
    /// At least one record was published and none failed.
    Success,
    /// At least one record (or the address detection) failed.
    Failed,
}

impl FamilyResult {
    /// The word put in `#{ipv4Result}`/`#{ipv6Result}`: Chinese when `lang` starts with "zh"
    /// (ddns-go's rule), English otherwise.
    pub fn label(self, lang: &str) -> &'static str {
        let zh = lang.starts_with("zh");
        match (self, zh) {
            (FamilyResult::Unchanged, true) => "未改变",
            (FamilyResult::Failed, true) => "失败",
            (FamilyResult::Success, true) => "成功",
            (FamilyResult::Unchanged, false) => "unchanged",
            (FamilyResult::Failed, false) => "failed",
            (FamilyResult::Success, false) => "success",
        }
    }
}

/// The outcome of one config entry's run, as the webhook templates see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunReport {
    /// IPv4 address detected this run ("" when none or disabled).
    pub ipv4_addr: String,
    /// IPv6 address detected this run ("" when none or disabled).
    pub ipv6_addr: String,
    /// What happened to the IPv4 records.
    pub ipv4_result: FamilyResult,
    /// What happened to the IPv6 records.
    pub ipv6_result: FamilyResult,
    /// IPv4 domains as `sub.root` names.
    pub ipv4_domains: Vec<String>,
    /// IPv6 domains as `sub.root` names.
    pub ipv6_domains: Vec<String>,
}

impl RunReport {
    /// The fake report the web UI's "try it" button sends (ddns-go's `/webhookTest` data).
    pub fn test_sample() -> RunReport {
        RunReport {
            ipv4_addr: "127.0.0.1".into(),
            ipv6_addr: "::1".into(),
            ipv4_result: FamilyResult::Success,
            ipv6_result: FamilyResult::Success,
            ipv4_domains: vec!["test.example.com".into()],
            ipv6_domains: vec!["test.example.com".into()],
        }
    }

    fn any(&self, r: FamilyResult) -> bool {
        self.ipv4_result == r || self.ipv6_result == r
    }
}

/// Decides, per config entry, whether a run is worth a notification. One gate lives as long as
/// its config entry; the caller consults it on every run, even when no webhook URL is set, so
/// that adding a URL later does not replay an old streak.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookGate {
    /// A failure has been notified and no run has succeeded since.
    failing: bool,
}

impl WebhookGate {
    /// A gate with no open failure streak.
    pub fn new() -> WebhookGate {
        WebhookGate::default()
    }

    /// True while a failure streak is open (its first failure was notified, no recovery yet).
    pub fn is_failing(&self) -> bool {
        self.failing
    }

    /// Whether to fire for `report`: a failure in either family fires only on the first failure
    /// of a streak; a success with no failure fires and ends the streak; a run where nothing
    /// changed fires only to announce the end of a streak (recovery).
    pub fn decide(&mut self, report: &RunReport) -> bool {
        !self.decide_events(report).is_empty()
    }

    /// Like [`decide`](Self::decide), but says which events the run is: `failure` on the first
    /// failure of a streak, `success` when something was published and nothing failed,
    /// `recovery` when a streak ends (with or without a success).
    pub fn decide_events(&mut self, report: &RunReport) -> Events {
        let was_failing = self.failing;
        if report.any(FamilyResult::Failed) {
            self.failing = true;
            Events {
                failure: !was_failing,
                ..Events::default()
            }
        } else {
            self.failing = false;
            Events {
                success: report.any(FamilyResult::Success),
                recovery: was_failing,
                failure: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(v4: FamilyResult, v6: FamilyResult) -> RunReport {
        RunReport {
            ipv4_result: v4,
            ipv6_result: v6,
            ..RunReport::default()
        }
    }

    #[test]
    fn labels() {
        use FamilyResult::*;
        assert_eq!(Unchanged.label("zh"), "未改变");
        assert_eq!(Failed.label("zh-CN"), "失败");
        assert_eq!(Success.label("zh"), "成功");
        assert_eq!(Unchanged.label("en"), "unchanged");
        assert_eq!(Failed.label(""), "failed");
        assert_eq!(Success.label("fr"), "success");
    }

    #[test]
    fn gate_first_failure_and_recovery() {
        use FamilyResult::*;
        let mut g = WebhookGate::new();
        let runs = [
            (Success, Unchanged, true),    // a real change
            (Failed, Unchanged, true),     // first failure of a streak
            (Unchanged, Failed, false),    // still failing
            (Failed, Failed, false),       // still failing
            (Unchanged, Unchanged, true),  // recovery
            (Unchanged, Unchanged, false), // nothing happened
        ];
        for (i, (a, b, want)) in runs.into_iter().enumerate() {
            assert_eq!(g.decide(&report(a, b)), want, "run {i}");
        }
    }

    #[test]
    fn gate_fail_fail_success_fires_twice() {
        use FamilyResult::*;
        let mut g = WebhookGate::new();
        let fired: Vec<bool> = [Failed, Failed, Success]
            .iter()
            .map(|&r| g.decide(&report(r, Unchanged)))
            .collect();
        assert_eq!(fired, [true, false, true]);
        assert!(!g.is_failing());
        // The success closed the streak: nothing more to announce, and a new failure fires.
        assert!(!g.decide(&report(Unchanged, Unchanged)));
        assert!(g.decide(&report(Unchanged, Failed)));
        assert!(g.is_failing());
    }

    #[test]
    fn gate_failure_beats_success_in_the_same_run() {
        use FamilyResult::*;
        let mut g = WebhookGate::new();
        assert!(g.decide(&report(Success, Failed)));
        assert!(
            !g.decide(&report(Success, Failed)),
            "a mixed run does not end the streak"
        );
        assert!(g.decide(&report(Success, Success)));
    }

    #[test]
    fn gate_events_name_what_happened() {
        use FamilyResult::*;
        let mut g = WebhookGate::new();
        let ev = |s, f, r| Events {
            success: s,
            failure: f,
            recovery: r,
        };
        let runs = [
            (Success, Unchanged, ev(true, false, false)),
            (Failed, Unchanged, ev(false, true, false)),
            (Failed, Success, ev(false, false, false)),
            (Success, Unchanged, ev(true, false, true)),
            (Failed, Unchanged, ev(false, true, false)),
            (Unchanged, Unchanged, ev(false, false, true)),
            (Unchanged, Unchanged, ev(false, false, false)),
        ];
        for (i, (a, b, want)) in runs.into_iter().enumerate() {
            assert_eq!(g.decide_events(&report(a, b)), want, "run {i}");
        }
    }

    #[test]
    fn gate_quiet_when_nothing_ever_changes() {
        let mut g = WebhookGate::new();
        for _ in 0..5 {
            assert!(!g.decide(&RunReport::default()));
        }
    }
}
