//! Fault injection for every HTTP provider family, driven through the real `sync::Engine`:
//! signed JSON APIs (alidns, tencentcloud, huaweicloud), token APIs (cloudflare, porkbun,
//! dnspod) and dyndns2. A [`Faulty`] front sits between the provider and its strict fake and replaces
//! answers with faults: no answer (timeout), connection reset, 500/502/503, 429 with and without
//! Retry-After, HTML instead of JSON, a truncated body, a success status with an error body.
//!
//! For each fault and family: no panic, a failed status with an error text and an error log
//! line, no record holding anything but the old or the new address, a bounded number of
//! requests, the failure retried on the next run (or held after a 429 / backed off after
//! repeated failures), a healthy second entry updated anyway, and recovery once the fault goes.

mod fakes;
mod faults_common;

use ddns_rs::sync::status::Outcome;
use fakes::faulty::Fault;
use faults_common::{FAMILIES, NEW, Rig};

/// What the engine should do with the entry after a fault.
#[derive(Clone, Copy, Debug, PartialEq)]
enum After {
    /// Retry on the next run; back off after the second failed run.
    Backoff,
    /// Hold every call until the Retry-After (or 60 s) has passed.
    Hold,
}

async fn fault_case(key: &'static str, fault: Fault, after: After, expect_text: &[&str]) {
    let (log, _g) = fakes::capture::capture();
    let mut rig = Rig::new(key).await;
    rig.fam.front.always(fault.clone());

    // Run 1: fails cleanly, the healthy entry is updated anyway.
    let r = rig.engine.run_once().await;
    assert!(r.failed >= 1, "{key} {fault:?}: {r:?}");
    let st = rig.under();
    assert_eq!(st.outcome, Outcome::Failed, "{key} {fault:?}");
    let err = st.error.clone().unwrap_or_default();
    assert!(
        expect_text.iter().any(|t| err.to_lowercase().contains(t)),
        "{key} {fault:?}: status error {err:?} should mention one of {expect_text:?}"
    );
    assert!(
        log.text().contains("ERROR") && log.text().contains("Failed to update A record"),
        "{key} {fault:?}: no error log line:\n{}",
        log.text()
    );
    assert!(
        rig.healthy_ok(),
        "{key} {fault:?}: healthy entry not updated"
    );
    rig.no_wrong_value();
    assert!(
        !log.text().contains(&rig.fam.secret),
        "{key}: secret in the log"
    );
    assert!(
        !err.contains(&rig.fam.secret),
        "{key}: secret in the status"
    );
    let n1 = rig.fam.front.count();
    // One lookup and at most one write, possibly a zone lookup first: never a retry storm.
    assert!(
        (1..=3).contains(&n1),
        "{key} {fault:?}: {n1} requests in one run: {:?}",
        rig.fam.front.lines()
    );

    // Run 2.
    rig.engine.run_once().await;
    let n2 = rig.fam.front.count();
    match after {
        After::Backoff => {
            assert!(n2 > n1, "{key} {fault:?}: not retried on the next run");
            // Run 3: the second failure in a row armed the backoff, nothing is sent.
            rig.engine.run_once().await;
            assert_eq!(
                rig.fam.front.count(),
                n2,
                "{key} {fault:?}: no backoff after two failed runs"
            );
            assert!(
                log.text().contains("backing off"),
                "{key}: backoff not logged"
            );
        }
        After::Hold => {
            assert_eq!(
                n2, n1,
                "{key} {fault:?}: Retry-After/60 s hold not honoured"
            );
        }
    }
    assert!(rig.healthy_ok());
    rig.no_wrong_value();

    // Heal; "Update now" lifts the backoff (never a provider's hold), and the record is fixed.
    rig.fam.front.heal();
    rig.engine.force_compare();
    if after == After::Backoff {
        let r = rig.engine.run_once().await;
        assert_eq!(r.failed, 0, "{key} {fault:?}: not recovered: {r:?}");
        assert_eq!((rig.fam.values)(), vec![NEW.to_string()], "{key}");
        assert_eq!(rig.under().outcome, Outcome::Updated, "{key}");
    } else {
        let before = rig.fam.front.count();
        rig.engine.run_once().await;
        assert_eq!(
            rig.fam.front.count(),
            before,
            "{key}: hold lifted by Update now"
        );
    }
}

const TRANSPORT: &[&str] = &["request failed", "timed out", "timeout", "connection"];

macro_rules! per_family {
    ($name:ident, $fault:expr, $after:expr, $texts:expr) => {
        #[tokio::test]
        async fn $name() {
            for key in FAMILIES {
                if matches!($fault, Fault::Truncated) && *key == "dyndns2" {
                    // dyndns2 answers a bare code word; half of `good 9.9.9.9` is still the
                    // real, successful answer of a write that happened: see
                    // `dyndns2_truncated_answer_is_the_real_one`.
                    continue;
                }
                fault_case(key, $fault, $after, $texts).await;
            }
        }
    };
}

per_family!(timeout_no_answer, Fault::Hang, After::Backoff, TRANSPORT);
per_family!(connection_reset, Fault::Reset, After::Backoff, TRANSPORT);
per_family!(http_500, Fault::Status(500), After::Backoff, &["500"]);
per_family!(http_502, Fault::Status(502), After::Backoff, &["502"]);
per_family!(http_503, Fault::Status(503), After::Backoff, &["503"]);
per_family!(
    too_many_with_retry_after,
    Fault::TooMany(Some(3600)),
    After::Hold,
    &["rate limited"]
);
per_family!(
    too_many_without_retry_after,
    Fault::TooMany(None),
    After::Hold,
    &["rate limited"]
);
per_family!(
    html_instead_of_json,
    Fault::Html,
    After::Backoff,
    &[
        "json",
        "html",
        "unexpected",
        "invalid",
        "not understood",
        "answer",
        "parse"
    ]
);
per_family!(
    truncated_body,
    Fault::Truncated,
    After::Backoff,
    &[
        "json",
        "eof",
        "unexpected",
        "invalid",
        "not understood",
        "answer",
        "parse"
    ]
);

#[tokio::test]
async fn dyndns2_truncated_answer_is_the_real_one() {
    let mut rig = Rig::new("dyndns2").await;
    rig.fam.front.always(Fault::Truncated);
    let r = rig.engine.run_once().await;
    // The write reached the service; the client either accepts `good 9` or fails cleanly.
    assert_eq!((rig.fam.values)(), vec![NEW.to_string()]);
    assert!(r.updated + r.failed >= 1);
    assert!(rig.fam.front.count() <= 2);
}
