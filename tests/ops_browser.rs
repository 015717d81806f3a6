//! The History section in a real headless Chromium against the real binary: the per-record
//! list and step chart drawn from the history file (under the strict CSP, no console errors),
//! and a Restore button that confirms, posts `api/rollback` with the page's CSRF headers and
//! reports the provider's answer (here a failure: provider calls go to a closed proxy port).
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver; skipped with `DDNS_RS_SKIP_BROWSER=1`.

mod browser_support;

use browser_support::{Browser, Daemon, skip_browser, wait_for};
use ddns_rs::config::{Config, DnsConfig, DnsProvider, IpConf};
use ddns_rs::history::{HistoryEntry, HistoryLog, Reason};
use serde_json::json;

const STRONG: &str = "Correct-Horse-42-battery";

fn write(h: &HistoryLog, time: i64, old: Option<&str>, new: &str, reason: Reason) {
    h.append(&HistoryEntry {
        time,
        entry: "home".into(),
        domain: "www.example.com".into(),
        rtype: "A".into(),
        old: old.map(str::to_string),
        new: new.into(),
        reason,
        source: "url".into(),
        provider: "callback".into(),
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn history_section_draws_the_timeline_and_restores_through_the_api() {
    if skip_browser() {
        return;
    }
    let d = Daemon::start().await;
    let mut c = Config::default();
    c.user.username = "admin".into();
    c.user.password = ddns_rs::config::store::hash_password(STRONG).unwrap();
    c.dnsconf = vec![DnsConfig {
        name: "home".into(),
        ipv4: IpConf {
            enable: true,
            gettype: "url".into(),
            domains: vec!["www.example.com".into()],
            ..Default::default()
        },
        dns: DnsProvider {
            name: "callback".into(),
            id: "http://callback.example/u?ip=#{ip}".into(),
            ..Default::default()
        },
        ..Default::default()
    }];
    ddns_rs::config::store::save(&d.config, &c).unwrap();
    let h = HistoryLog::beside(&d.config);
    write(&h, 1763600000, None, "45.77.1.1", Reason::Created);
    write(
        &h,
        1763650000,
        Some("45.77.1.1"),
        "45.77.1.2",
        Reason::Changed,
    );
    write(
        &h,
        1763700000,
        Some("45.77.1.2"),
        "45.77.1.3",
        Reason::Changed,
    );

    let b = Browser::start(1200, 900).await;
    b.goto(&format!("{}login", d.url)).await;
    b.fill("#username", "admin").await;
    b.fill("#password", STRONG).await;
    b.click("#submit").await;
    wait_for("the settings page", || async {
        (b.url().await == d.url).then_some(())
    })
    .await;
    b.click("#histLoad").await;
    b.wait_text("#histList", "www.example.com A").await;
    let shape = b
        .js(
            "const s = document.querySelector('#histList svg'); \
             return [document.querySelectorAll('#histList li').length, \
                     s ? s.querySelectorAll('circle').length : 0, \
                     s ? s.querySelector('path').getAttribute('d').split('V').length : 0, \
                     Array.from(document.querySelectorAll('#histList li button')).map(x => x.textContent)];",
            vec![],
        )
        .await;
    assert_eq!(shape[0], json!(3), "{shape}");
    assert_eq!(shape[1], json!(3), "{shape}");
    // Three points: a start and two steps.
    assert_eq!(shape[2], json!(3), "{shape}");
    let buttons = shape[3].as_array().unwrap();
    assert!(buttons.iter().any(|b| b == "Restore 45.77.1.1"), "{shape}");
    assert!(
        !buttons.iter().any(|b| b == "Restore 45.77.1.3"),
        "the current value has no button: {shape}"
    );

    b.click("#histList li button").await;
    b.accept_alert().await;
    // The request passed login and CSRF and reached the provider, which is unreachable.
    let toast = b.wait_text("#toasts", "request failed").await;
    assert!(!toast.contains("cross-site"), "{toast}");
    let console = b.console().await;
    assert!(
        !console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "{console:?}"
    );
    b.quit().await;
}
