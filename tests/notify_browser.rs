//! The Notifications section in a real headless Chromium against the real binary: a channel
//! added, its fields and events set, "Try it" refused before saving, the channel saved to the
//! YAML, then "Try it" delivering a sample message. The daemon's HTTP proxy is a local fake, so
//! the channel's URL never leaves the machine.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver; fails loudly without them unless
//! `DDNS_RS_SKIP_BROWSER=1`.

mod browser_support;
mod fakes;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use browser_support::{Browser, Daemon, skip_browser, wait_for};
use serde_json::{Value, json};

const STRONG: &str = "Correct-Horse-42-battery";

async fn toasts(b: &Browser) -> String {
    b.js(
        "return [...document.querySelectorAll('#toasts .toast')].map(e => e.textContent).join('|')",
        vec![],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn add_save_and_try_a_channel() {
    if skip_browser() {
        return;
    }
    let seen: Arc<Mutex<Vec<fakes::Seen>>> = Arc::default();
    let s2 = seen.clone();
    let proxy = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let s2 = s2.clone();
            async move {
                s2.lock()
                    .unwrap()
                    .push(fakes::seen(&method, &uri, &headers, &body));
                "ok"
            }
        },
    );
    let proxy_addr = fakes::serve_http(proxy).await;
    let d = Daemon::start_with(&format!("http://{proxy_addr}"), &[]).await;
    let b = Browser::start(1280, 900).await;

    // First run: create the account.
    b.goto(&d.url).await;
    b.wait_text("#submit", "Create account").await;
    b.fill("#username", "admin").await;
    b.fill("#password", STRONG).await;
    b.click("#submit").await;
    wait_for("the settings page", || async {
        (b.prop("#user", "value").await == json!("admin")).then_some(())
    })
    .await;

    b.click("#notifyAdd").await;
    b.select("#n0type", "slack").await;
    b.fill("#n0url", "http://hooks.test/services/T0/B0/xyz")
        .await;
    b.click("#n0ev_success").await; // untick: failures and recoveries only
    assert_eq!(b.prop("#n0ev_success", "checked").await, json!(false));
    // Every generated control has a label.
    let unlabeled = b
        .js(
            "return [...document.querySelectorAll('#notifyList input:not([type=checkbox]), #notifyList select')]\
             .filter(e => !e.labels || !e.labels.length).map(e => e.id)",
            vec![],
        )
        .await;
    assert_eq!(unlabeled, json!([]));

    b.click("#n0try").await;
    wait_for("the save-first toast", || async {
        toasts(&b).await.contains("Save first").then_some(())
    })
    .await;
    assert!(seen.lock().unwrap().is_empty());

    b.click("#save").await;
    let y = wait_for("the channel in the YAML", || async {
        d.yaml()
            .filter(|y| y["notify"][0]["type"] == json!("slack"))
    })
    .await;
    assert_eq!(
        y["notify"][0]["url"],
        json!("http://hooks.test/services/T0/B0/xyz")
    );
    assert_eq!(y["notify"][0]["events"], json!(["failure", "recovery"]));

    // After the save the page reloads the channels; "Try it" now sends.
    wait_for("the page to reload the channels", || async {
        (b.prop("#n0url", "value").await == json!("http://hooks.test/services/T0/B0/xyz"))
            .then_some(())
    })
    .await;
    b.click("#n0try").await;
    wait_for("the sent toast", || async {
        toasts(&b).await.contains("Test message sent").then_some(())
    })
    .await;
    let sent: Vec<fakes::Seen> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.uri.contains("/services/T0/B0/xyz"))
        .cloned()
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert!(
        body["text"].as_str().unwrap().contains("test.example.com"),
        "{body}"
    );

    // Removing the channel and saving drops the key from the file.
    b.click("#n0remove").await;
    b.click("#save").await;
    wait_for("the notify key to leave the YAML", || async {
        d.yaml().filter(|y| y.get("notify").is_none())
    })
    .await;
    let shot = b.screenshot().await;
    assert!(!shot.is_empty());
    b.quit().await;
}
