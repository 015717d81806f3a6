//! Regenerates the screenshots in `docs/screenshots/` (light and dark, English and Chinese,
//! desktop 1280 px and phone 390 px) from the real binary, with a fake Cloudflare behind a
//! local CONNECT proxy so the dashboard shows real outcomes. Not a test of behaviour, so it is
//! ignored by default; run it with
//! `cargo test --test browser_screenshots -- --ignored` (Chinese needs a CJK font, e.g.
//! `fonts-wqy-microhei`).

mod browser_support;
mod fakes;

use std::path::PathBuf;

use browser_support::{Browser, Daemon, skip_browser, wait_for};
use fakes::cloudflare::FakeCloudflare;
use serde_json::json;

const TOKEN: &str = "cf-token-0123456789abcdef";

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Removes toasts so a shot shows the page, not the last notification.
async fn quiet(b: &Browser) {
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    b.js("document.getElementById('toasts').textContent = ''", vec![])
        .await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "writes docs/screenshots; run on demand"]
async fn screenshots() {
    if skip_browser() {
        return;
    }
    let cf = FakeCloudflare::new(TOKEN);
    cf.add_zone("example.com");
    let cf_addr = fakes::serve_tls(cf.router(), &["api.cloudflare.com"]).await;
    let proxy =
        fakes::ConnectProxy::start(fakes::routes(&[("api.cloudflare.com:443", cf_addr)])).await;
    let d = Daemon::start_with(&format!("http://{}", proxy.addr), &["-skipVerify"]).await;
    let dir = out_dir();
    let b = Browser::start(1280, 900).await;

    // First run: the account-creation form.
    b.goto(&format!("{}login", d.url)).await;
    b.wait_text("#submit", "Create account").await;
    b.fill("#username", "admin").await;
    b.viewport(390, 700, true).await;
    std::fs::write(
        dir.join("login-setup-en-light-phone.png"),
        b.screenshot().await,
    )
    .unwrap();
    b.viewport(1280, 900, false).await;
    b.fill("#password", "Correct-Horse-42-battery").await;
    b.click("#submit").await;
    wait_for("the settings page", || async {
        (b.url().await == d.url).then_some(())
    })
    .await;

    // One dual-stack entry; printer.example.org is in no zone of the account, so it fails.
    b.click("#cfgAdd").await;
    b.fill("#cfgName", "home").await;
    b.click("#cfgRenameOk").await;
    b.select("#dnsName", "cloudflare").await;
    b.fill("#dnsSecret", TOKEN).await;
    b.click("input[name=v4Type][value=cmd]").await;
    b.fill("#v4Cmd", "echo 8.8.8.8").await;
    b.fill(
        "#v4Domains",
        "home.example.com\nnas.example.com\nprinter.example.org",
    )
    .await;
    b.click("input[name=v6Type][value=cmd]").await;
    b.fill("#v6Cmd", "echo 2001:4860:4860::8888").await;
    b.fill("#v6Domains", "home.example.com").await;
    b.click("#save").await;
    b.wait_text("#saveMsg", "Saved").await;
    wait_for("records at the fake Cloudflare", || async {
        (cf.records().len() >= 3).then_some(())
    })
    .await;

    for lang in ["en", "zh"] {
        for theme in ["light", "dark"] {
            for (device, w, h, mobile) in
                [("desktop", 1280, 1000, false), ("phone", 390, 844, true)]
            {
                b.viewport(w, h, mobile).await;
                b.js(
                    "localStorage.setItem('lang', arguments[0]); localStorage.setItem('theme', arguments[1]);",
                    vec![json!(lang), json!(theme)],
                )
                .await;
                b.goto(&d.url).await;
                b.wait_text("#statusBody", "printer.example.org").await;
                quiet(&b).await;
                let name = format!("settings-{lang}-{theme}-{device}.png");
                std::fs::write(dir.join(name), b.screenshot().await).unwrap();
            }
        }
    }
    b.quit().await;
}
