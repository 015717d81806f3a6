//! Router push in the web UI, in a real headless Chromium against the real binary: the dyndns2
//! preset select fills the update URL, "Router push" is a source of its own (no URL, interface
//! or command input), and the push credentials are saved, shown masked, and kept when the
//! mask comes back.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (`.ci/run` installs them); fails loudly
//! without them unless `DDNS_RS_SKIP_BROWSER=1`.

mod browser_support;

use browser_support::{Browser, Daemon, skip_browser, wait_for};
use serde_json::{Value, json};

const STRONG: &str = "Correct-Horse-42-battery";
const PUSH_PW: &str = "router-push-secret";

async fn yaml_where(d: &Daemon, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    wait_for(what, || async { d.yaml().filter(|y| check(y)) }).await
}

#[tokio::test(flavor = "multi_thread")]
async fn preset_fills_the_url_and_push_credentials_are_saved_masked() {
    if skip_browser() {
        return;
    }
    let d = Daemon::start().await;
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

    b.click("#cfgAdd").await;
    b.select("#dnsName", "cloudflare").await;
    // The preset select belongs to dyndns2 only.
    assert_eq!(b.prop("#presetRow", "hidden").await, json!(true));
    b.select("#dnsName", "dyndns2").await;
    assert_eq!(b.prop("#presetRow", "hidden").await, json!(false));
    b.select("#dnsPreset", "https://api.dynu.com/nic/update")
        .await;
    assert_eq!(
        b.prop("#dnsExt", "value").await,
        json!("https://api.dynu.com/nic/update")
    );
    b.fill("#dnsId", "alice").await;
    b.fill("#dnsSecret", "upstream-pass").await;

    b.click("input[name=v4Type][value=push]").await;
    let shown = "return ['url','netInterface','cmd','push'].map(k => \
                 !document.querySelector('#v4 .t-' + k).hidden)";
    assert_eq!(
        b.js(shown, vec![]).await,
        json!([false, false, false, true])
    );
    b.fill("#v4Domains", "home.example.com").await;
    b.click("#v6Enable").await;
    b.fill("#pushUser", "router").await;
    b.fill("#pushPass", PUSH_PW).await;
    b.click("#save").await;
    b.wait_text("#saveMsg", "Saved").await;

    let y = yaml_where(&d, "the push entry in the YAML", |y| {
        y["push"]["username"] == json!("router")
    })
    .await;
    assert_eq!(y["push"]["password"], json!(PUSH_PW));
    let e = &y["dnsconf"][0];
    assert_eq!(e["dns"]["name"], json!("dyndns2"));
    assert_eq!(
        e["dns"]["extparam"],
        json!("https://api.dynu.com/nic/update")
    );
    assert_eq!(e["ipv4"]["gettype"], json!("push"));

    // Reloaded: the password is masked; saving again keeps the stored one.
    b.goto(&d.url).await;
    wait_for("the push user from api/state", || async {
        (b.prop("#pushUser", "value").await == json!("router")).then_some(())
    })
    .await;
    let masked = b.prop("#pushPass", "value").await;
    assert_eq!(
        masked,
        json!(format!("rou{}", "*".repeat(PUSH_PW.len() - 3)))
    );
    b.fill("#pushUser", "fritz").await;
    b.click("#save").await;
    b.wait_text("#saveMsg", "Saved").await;
    let y = yaml_where(&d, "the renamed push user", |y| {
        y["push"]["username"] == json!("fritz")
    })
    .await;
    assert_eq!(y["push"]["password"], json!(PUSH_PW));
    b.quit().await;
}
