//! The web UI end to end, in a real headless Chromium against the real binary: first-run
//! account creation (a weak password refused, a strong one accepted), a config entry added and
//! saved through the form and checked in the YAML on disk (mode 0600, values as typed, the
//! secret kept when its mask comes back), the status dashboard and logs, language and theme
//! switches, the phone layout, and the lockout after 5 wrong passwords.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (`.ci/run` installs them); fails loudly
//! without them unless `DDNS_RS_SKIP_BROWSER=1`.

mod browser_support;
mod fakes;

use browser_support::{Browser, Daemon, Netns, http_client, prefix_proxy, skip_browser, wait_for};
use serde_json::{Value, json};

const STRONG: &str = "Correct-Horse-42-battery";
const SECRET: &str = "cf-token-0123456789abcdef";

/// Navigates to the UI at `base` and creates the account through the first-run form; returns
/// on the settings page.
async fn first_run(b: &Browser, d: &Daemon, base: &str) {
    b.goto(base).await;
    let login = wait_for("the redirect to ./login", || async {
        let u = b.url().await;
        u.ends_with("/login").then_some(u)
    })
    .await;
    assert_eq!(login, format!("{base}login"));
    // No account yet: the form says it creates one.
    b.wait_text("#submit", "Create account").await;
    assert_eq!(b.prop("#setupHint", "hidden").await, json!(false));

    b.fill("#username", "admin").await;
    b.fill("#password", "123456").await;
    b.click("#submit").await;
    b.wait_text("#msg", "Password is not secure").await;
    assert!(
        d.yaml()
            .is_none_or(|y| y["user"]["username"] != json!("admin")),
        "a refused password must not create the account"
    );

    b.fill("#password", STRONG).await;
    b.click("#submit").await;
    wait_for("the settings page", || async {
        (b.url().await == base).then_some(())
    })
    .await;
    wait_for("the username field filled from api/state", || async {
        (b.prop("#user", "value").await == json!("admin")).then_some(())
    })
    .await;
}

/// The config file, parsed, once `check` accepts it.
async fn yaml_where(d: &Daemon, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    wait_for(what, || async { d.yaml().filter(|y| check(y)) }).await
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_settings_status_logs_language_theme() {
    if skip_browser() {
        return;
    }
    let d = Daemon::start().await;
    let b = Browser::start(1280, 900).await;
    first_run(&b, &d, &d.url).await;
    let y = yaml_where(&d, "the account in the YAML", |y| {
        y["user"]["username"] == json!("admin")
    })
    .await;
    let hash = y["user"]["password"].as_str().unwrap();
    assert!(
        hash.starts_with("$2"),
        "password stored as bcrypt, got {hash}"
    );

    // Every form control has a label (screen readers, and clicking the label focuses it).
    let unlabeled = b
        .js(
            "return Array.from(document.querySelectorAll('input,select,textarea'))
               .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))
               .map(e => e.id || e.name);",
            vec![],
        )
        .await;
    assert_eq!(unlabeled, json!([]), "controls without a label");

    // Add an entry: Cloudflare has no ID field and names its secret "API Token".
    b.click("#cfgAdd").await;
    b.fill("#cfgName", "home").await;
    b.click("#cfgRenameOk").await;
    b.select("#dnsName", "cloudflare").await;
    assert_eq!(b.prop("#dnsIdRow", "hidden").await, json!(true));
    assert_eq!(b.text("#dnsSecretLabel").await, "API Token");
    assert!(
        b.prop("#dnsLink", "href")
            .await
            .as_str()
            .unwrap()
            .contains("cloudflare.com")
    );
    b.fill("#dnsSecret", SECRET).await;
    b.select("#ttl", "600").await;
    b.click("input[name=v4Type][value=cmd]").await;
    // Only the input of the chosen method is shown.
    let shown = "return ['url','netInterface','cmd'].map(k => !document.querySelector('#v4 .t-' + k).hidden)";
    assert_eq!(b.js(shown, vec![]).await, json!([false, false, true]));
    b.fill("#v4Cmd", "echo 8.8.8.8").await;
    b.fill("#v4Domains", "home.example.com").await;
    // ddns-rs's own keys sit in a closed "Advanced" part and are saved like the rest.
    assert_eq!(b.prop("#v6Adv", "open").await, json!(false));
    b.click("#v6Adv summary").await;
    b.fill("#v6Suffix", "::1234").await;
    b.fill("#v6PrefixLen", "56").await;
    b.click("#v6Enable").await; // new entries have IPv6 on; this one is IPv4 only
    b.click("#save").await;
    b.wait_text("#saveMsg", "Saved").await;

    let y = yaml_where(&d, "the entry in the YAML", |y| {
        y["dnsconf"][0]["name"] == json!("home")
    })
    .await;
    let e = &y["dnsconf"][0];
    assert_eq!(e["dns"]["name"], json!("cloudflare"));
    assert_eq!(e["ipv6"]["suffix"], json!("::1234"));
    assert_eq!(e["ipv6"]["prefixlen"], json!("56"));
    assert!(
        e["ipv4"].get("sources").is_none(),
        "empty keys are not written"
    );
    assert_eq!(e["dns"]["secret"], json!(SECRET));
    assert_eq!(e["dns"]["id"], json!(""));
    assert_eq!(e["ttl"], json!("600"));
    assert_eq!(e["ipv4"]["enable"], json!(true));
    assert_eq!(e["ipv4"]["gettype"], json!("cmd"));
    assert_eq!(e["ipv4"]["cmd"], json!("echo 8.8.8.8"));
    assert_eq!(e["ipv4"]["domains"], json!(["home.example.com"]));
    assert_eq!(e["ipv6"]["enable"], json!(false));
    assert_eq!(
        y["user"]["password"],
        json!(hash),
        "empty password keeps the stored one"
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&d.config).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "config holds secrets: mode 0600");

    // The page now shows the secret masked; saving the mask back keeps the real secret.
    let masked = format!("cf-{}", "*".repeat(SECRET.len() - 3));
    assert_eq!(b.prop("#dnsSecret", "value").await, json!(masked));
    b.fill("#v4Domains", "home.example.com\nnas.example.com")
        .await;
    b.click("#save").await;
    let y = yaml_where(&d, "the second save", |y| {
        y["dnsconf"][0]["ipv4"]["domains"][1] == json!("nas.example.com")
    })
    .await;
    assert_eq!(y["dnsconf"][0]["dns"]["secret"], json!(SECRET));
    assert!(
        !std::fs::read_to_string(&d.config)
            .unwrap()
            .contains(&masked)
    );

    // Status: the saved domains appear on the dashboard (the provider is unreachable, so the
    // result is whatever the run reached; the row itself is what the page must show).
    b.wait_text("#statusBody", "nas.example.com").await;
    b.wait_text("#statusBody", "home.example.com").await;

    // Logs: the panel shows the daemon's lines; Clear empties it.
    b.click("#logsBtn").await;
    wait_for("log lines in the panel", || async {
        let v = b.prop("#logText", "value").await;
        (!v.as_str().unwrap_or_default().is_empty()).then_some(())
    })
    .await;
    b.click("#logsClear").await;
    wait_for("the cleared panel", || async {
        (b.prop("#logText", "value").await == json!("")).then_some(())
    })
    .await;
    b.click("#logsClose").await;
    assert_eq!(b.prop("#logsDlg", "open").await, json!(false));
    assert_eq!(b.prop("#logBadge", "hidden").await, json!(true));

    // "Update now" runs a sync; its log lines are announced while the panel is closed.
    b.click("#updateNow").await;
    b.wait_text("#toasts", "Update started").await;
    wait_for("the unread-log badge", || async {
        (b.prop("#logBadge", "hidden").await == json!(false)).then_some(())
    })
    .await;
    let unread: u64 = b.text("#logBadge").await.parse().unwrap();
    assert!(unread > 0);
    b.click("#logsBtn").await;
    assert_eq!(b.prop("#logBadge", "hidden").await, json!(true));
    b.click("#logsClose").await;

    // "Try it" with no URL: the server's answer arrives as a log line, announced by a toast.
    b.fill("#hookUrl", "").await;
    b.click("#hookTest").await;
    b.wait_text("#toasts", "Please enter the Webhook URL").await;

    // A second entry, then the first deleted: the page sends the deleted one as null so the
    // second keeps its index, and its masked ID and secret still map to the stored values.
    b.click("#cfgAdd").await;
    b.fill("#cfgName", "office").await;
    b.click("#cfgRenameOk").await;
    b.select("#dnsName", "alidns").await;
    assert_eq!(b.prop("#dnsIdRow", "hidden").await, json!(false));
    b.fill("#dnsId", "LTAI-office-id-123").await;
    b.fill("#dnsSecret", "ali-secret-456789").await;
    b.click("input[name=v4Type][value=cmd]").await;
    b.fill("#v4Cmd", "echo 8.8.4.4").await;
    b.fill("#v4Domains", "office.example.com").await;
    b.click("#v6Enable").await;
    b.click("#save").await;
    yaml_where(&d, "two entries", |y| {
        y["dnsconf"][1]["name"] == json!("office")
    })
    .await;
    b.select("#cfgSel", "0").await;
    assert_eq!(b.prop("#dnsName", "value").await, json!("cloudflare"));
    b.click("#cfgDelete").await;
    b.accept_alert().await;
    assert_eq!(b.prop("#dnsId", "value").await, json!("LTA***************"));
    b.click("#save").await;
    let y = yaml_where(&d, "the first entry deleted", |y| {
        y["dnsconf"].as_array().is_some_and(|l| l.len() == 1)
    })
    .await;
    let e = &y["dnsconf"][0];
    assert_eq!(e["name"], json!("office"));
    assert_eq!(e["dns"]["name"], json!("alidns"));
    assert_eq!(e["dns"]["id"], json!("LTAI-office-id-123"));
    assert_eq!(e["dns"]["secret"], json!("ali-secret-456789"));
    b.wait_text("#saveMsg", "Saved").await;
    assert_eq!(b.text("#cfgSel option:checked").await, "office");

    // Language: Chinese at once, remembered by the server and across a reload.
    b.select("#langSel", "zh").await;
    b.wait_text("#save", "保存").await;
    yaml_where(&d, "lang: zh in the YAML", |y| y["lang"] == json!("zh")).await;
    b.goto(&d.url).await;
    b.wait_text("#statusTitle", "状态").await;
    assert_eq!(
        b.js("return document.documentElement.lang", vec![]).await,
        json!("zh-CN")
    );
    b.select("#langSel", "en").await;
    b.wait_text("#save", "Save").await;

    // Theme: auto → light → dark, applied to the page and remembered.
    let theme = || async {
        b.js(
            "return document.documentElement.dataset.theme || 'auto'",
            vec![],
        )
        .await
    };
    let bg = "return getComputedStyle(document.body).backgroundColor";
    let (light_bg, dark_bg) = (json!("rgb(244, 246, 249)"), json!("rgb(15, 20, 26)"));
    assert_eq!(theme().await, json!("auto"));
    assert_eq!(b.js(bg, vec![]).await, light_bg);
    b.color_scheme("dark").await; // auto follows the system
    assert_eq!(b.js(bg, vec![]).await, dark_bg);
    b.click("#themeBtn").await;
    assert_eq!(theme().await, json!("light"));
    assert_eq!(b.js(bg, vec![]).await, light_bg);
    b.click("#themeBtn").await;
    assert_eq!(theme().await, json!("dark"));
    b.color_scheme("light").await;
    assert_eq!(b.js(bg, vec![]).await, dark_bg);
    b.goto(&d.url).await;
    b.find("#statusTitle").await;
    assert_eq!(theme().await, json!("dark"));
    assert_eq!(b.text("#themeLabel").await, "☾ Dark");

    // The strict CSP (no inline script or style) never had to block anything, and no script
    // failed.
    let bad: Vec<String> = b
        .console()
        .await
        .into_iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Uncaught"))
        .collect();
    assert!(bad.is_empty(), "browser console: {bad:#?}");

    // Phone width: nothing wider than the screen.
    b.viewport(390, 844, true).await;
    b.goto(&d.url).await;
    b.wait_text("#statusBody", "office.example.com").await;
    let width = b
        .js("return document.documentElement.scrollWidth", vec![])
        .await;
    assert!(
        width.as_u64().unwrap() <= 390,
        "page wider than a phone: {width}"
    );

    // Logout ends the session: the settings page sends back to the login form.
    b.click("#logout").await;
    wait_for("the login page", || async {
        b.url().await.ends_with("/login").then_some(())
    })
    .await;
    b.goto(&d.url).await;
    wait_for("the redirect after logout", || async {
        b.url().await.ends_with("/login").then_some(())
    })
    .await;
    b.wait_text("#submit", "Log in").await;

    // Login: a wrong password is refused with ddns-go's message, the right one opens the page
    // (submitted with the Enter key: the form works from the keyboard alone).
    b.fill("#username", "admin").await;
    b.fill("#password", "not-the-password").await;
    b.click("#submit").await;
    b.wait_text("#msg", "Username or password is incorrect")
        .await;
    b.fill("#password", STRONG).await;
    b.keys("#password", "\u{E007}").await;
    wait_for("the settings page after login", || async {
        (b.url().await == d.url).then_some(())
    })
    .await;
    b.wait_text("#statusBody", "office.example.com").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn five_wrong_passwords_lock_the_login() {
    if skip_browser() {
        return;
    }
    let d = Daemon::start().await;
    // The account is created by a script (no Origin header), as a router plugin would.
    let r: Value = http_client()
        .post(format!("{}loginFunc", d.url))
        .json(&json!({"Username": "admin", "Password": STRONG}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["Code"], json!(200), "first-run setup: {r}");

    let b = Browser::start(1280, 900).await;
    b.goto(&format!("{}login", d.url)).await;
    b.wait_text("#submit", "Log in").await;
    for i in 1..=5 {
        b.fill("#username", "admin").await;
        b.fill("#password", &format!("wrong-{i}")).await;
        b.click("#submit").await;
        wait_for("the answer to a wrong password", || async {
            let m = b.text("#msg").await;
            let done = m.contains("incorrect") || m.contains("Too many");
            (done && b.prop("#submit", "disabled").await == json!(false)).then_some(())
        })
        .await;
        if i == 1 {
            assert!(
                b.text("#msg")
                    .await
                    .contains("Username or password is incorrect")
            );
        }
        // Clear the message so the next answer is a new one.
        b.js("document.getElementById('msg').textContent = ''", vec![])
            .await;
    }
    // Locked: even the right password is refused, and the page stays on the login form.
    b.fill("#password", STRONG).await;
    b.click("#submit").await;
    b.wait_text("#msg", "Too many login failures").await;
    assert!(b.url().await.ends_with("/login"));
    b.quit().await;
}

/// The interface selects list live addresses and the IPv6 selector previews, while typing, the
/// address the server would publish. Runs the daemon and the browser in a network namespace
/// with a made-up interface, so the addresses are known.
#[test]
fn interface_lists_and_ipv6_preview() {
    if skip_browser() {
        return;
    }
    let Some(ns) = Netns::create() else { return };
    ns.ip("link add v0 type veth peer name v1");
    ns.ip("link set v0 up");
    ns.ip("addr add 192.168.7.2/24 dev v0");
    ns.ip("-6 addr add 2001:db8:1::1/64 dev v0 nodad");
    ns.ip("-6 addr add 2001:db8:1::2/64 dev v0 nodad");
    ns.run(|| async {
        let d = Daemon::start().await;
        let b = Browser::start(1280, 900).await;
        first_run(&b, &d, &d.url).await;
        b.click("#cfgAdd").await;
        b.click("#cfgRenameOk").await;
        b.click("input[name=v4Type][value=netInterface]").await;
        b.wait_text("#v4If", "192.168.7.2").await;
        b.select("#v4If", "v0").await;
        // New entries read IPv6 from an interface; v0 is offered with both addresses.
        let options = b.wait_text("#v6If", "2001:db8:1::1").await;
        assert!(options.contains("2001:db8:1::2"), "options: {options}");
        b.select("#v6If", "v0").await;
        b.fill("#v6Reg", "::2$").await;
        b.wait_text("#v6Match", "Matched: 2001:db8:1::2").await;
        b.fill("#v6Reg", "::1$").await;
        b.wait_text("#v6Match", "Matched: 2001:db8:1::1").await;
        b.fill("#v4Domains", "v4.example.com").await;
        b.fill("#v6Domains", "v6.example.com").await;
        b.click("#save").await;
        let y = yaml_where(&d, "the interface entry", |y| {
            y["dnsconf"][0]["ipv6"]["ipv6reg"] == json!("::1$")
        })
        .await;
        assert_eq!(y["dnsconf"][0]["ipv4"]["gettype"], json!("netInterface"));
        assert_eq!(y["dnsconf"][0]["ipv4"]["netinterface"], json!("v0"));
        assert_eq!(y["dnsconf"][0]["ipv6"]["netinterface"], json!("v0"));
        b.quit().await;
    });
}

/// Behind a reverse proxy that serves the UI under `/ddns/` (ddns-go #1137): every redirect,
/// asset, API call and the logout stay under the prefix.
#[tokio::test(flavor = "multi_thread")]
async fn works_under_a_reverse_proxy_sub_path() {
    if skip_browser() {
        return;
    }
    let d = Daemon::start().await;
    let proxy = fakes::serve_http(prefix_proxy(d.url.clone(), "/ddns/")).await;
    let base = format!("http://{proxy}/ddns/");
    let b = Browser::start(1280, 900).await;
    first_run(&b, &d, &base).await;
    // Styles and scripts came through the prefix: the page is styled and filled in.
    let bg = "return getComputedStyle(document.body).backgroundColor";
    assert_ne!(b.js(bg, vec![]).await, json!("rgba(0, 0, 0, 0)"));
    b.click("#cfgAdd").await;
    b.fill("#cfgName", "proxied").await;
    b.click("#cfgRenameOk").await;
    b.click("input[name=v4Type][value=cmd]").await;
    b.fill("#v4Cmd", "echo 8.8.8.8").await;
    b.fill("#v4Domains", "proxied.example.com").await;
    b.click("#save").await;
    b.wait_text("#saveMsg", "Saved").await;
    yaml_where(&d, "the entry saved through the proxy", |y| {
        y["dnsconf"][0]["name"] == json!("proxied")
    })
    .await;
    b.wait_text("#statusBody", "proxied.example.com").await;
    b.click("#logout").await;
    wait_for("the login page under the prefix", || async {
        (b.url().await == format!("{base}login")).then_some(())
    })
    .await;
    b.quit().await;
}
