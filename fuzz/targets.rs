//! The bodies of the fuzz targets, as plain functions: `fuzz/fuzz_targets/*.rs` wrap them for
//! cargo-fuzz (nightly), and `tests/fuzz_corpus.rs` runs them over the committed seed corpora on
//! stable, so CI exercises every target even without a nightly toolchain.
//!
//! Each body feeds untrusted bytes to one parser and checks what must hold for any input: no
//! panic, and where there is an invariant (a parsed config saves and loads back, an extracted
//! address really occurs in the text), that invariant.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ddns_rs::config::{Config, DnsConfig, Webhook, domain, store};
use ddns_rs::detect::{self, Family};
use ddns_rs::notify::{FamilyResult, RunReport};
use ddns_rs::provider::sign::tsig;
use ddns_rs::provider::{self, RecordType, rfc2136, xmltext};
use ddns_rs::web::save;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RecordType as WireType};

/// A target's body: takes the fuzzer's bytes, panics on a finding.
pub type Body = fn(&[u8]);

/// Every target: its corpus directory name and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("config_yaml", config_yaml),
    ("domain_line", domain_line),
    ("detect_extract", detect_extract),
    ("provider_answers", provider_answers),
    ("netlink", netlink),
    ("dns_answer", dns_answer),
    ("tsig_verify", tsig_verify),
    ("webhook_template", webhook_template),
    ("web_save", web_save),
    ("provider_json", provider_json),
    ("web_login", web_login),
];

/// Splits `data` at NUL bytes into at most `n` text fields (lossy UTF-8; missing ones empty).
fn fields(data: &[u8], n: usize) -> Vec<String> {
    let mut out: Vec<String> = data
        .splitn(n, |&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    out.resize(n, String::new());
    out
}

/// The YAML loader: anything that parses must save, and the saved text must load back and save
/// to the same text.
pub fn config_yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = store::parse_for_fuzzing(text) else {
        return;
    };
    let yaml = store::to_yaml(&config);
    // A key ddns-go does not have where it stands (e.g. `ipv6reg` under `ipv4`) is dropped by
    // the first save; from then on save/load is a fixed point.
    let again = store::parse_for_fuzzing(&yaml)
        .unwrap_or_else(|e| panic!("saved config does not load: {e}\n{yaml}"));
    assert_eq!(store::to_yaml(&again), yaml, "save/load is not stable");
    let _ = store::effective_lang(&config);
    let _ = store::wan_access_forbidden(&config);
}

/// The `Ipv4Domains`/`Ipv6Domains` line parser and every accessor of its result.
pub fn domain_line(data: &[u8]) {
    let line = String::from_utf8_lossy(data);
    if let Ok(Some(d)) = domain::parse_domain_line(&line) {
        let _ = (d.name(), d.sub_or_at(), d.full_at(), d.params_query());
        let _ = (d.to_ascii(), d.root_ascii(), d.param("a"));
    }
    let lines: Vec<String> = line.lines().map(str::to_string).collect();
    let (ok, errors) = domain::parse_domains(&lines);
    assert!(ok.len() + errors.len() <= lines.len());
}

/// Address extraction from echo-service bodies and command output.
pub fn detect_extract(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for family in [Family::V4, Family::V6] {
        if let Some(ip) = detect::extract_first(&text, family) {
            match (family, ip) {
                (Family::V4, IpAddr::V4(_)) | (Family::V6, IpAddr::V6(_)) => {}
                _ => panic!("{family:?} extraction returned {ip}"),
            }
        }
    }
    let visible = detect::visible_text(&text);
    for v4 in detect::ipv4_candidates(&visible) {
        assert!(visible.contains(&v4.to_string()), "{v4} is not in the text");
    }
    let _ = detect::ipv6_candidates(&visible).count();
}

/// Every provider answer classifier that reads a body: dyndns2, the JSON APIs' error
/// classifiers, namecheap's and namesilo's XML, and the XML text helpers.
pub fn provider_answers(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_be_bytes([*a, *b]) % 500, rest),
        _ => (200, data),
    };
    let body = String::from_utf8_lossy(body);
    let wait = Some(Duration::from_secs(7));
    let _ = provider::dyndns2::classify(status, &body, wait);
    let _ = provider::dyndns2::classify(status, &body, None);
    let _ = provider::cloudflare::classify(status, wait, &body);
    let _ = provider::desec::classify(status, wait, &body, "example.com");
    let _ = provider::godaddy::classify(status, wait, &body, "example.com");
    let _ = provider::name_com::classify(status, wait, &body, "example.com");
    let _ = provider::dynv6::classify(status, wait, &body, "example.com");
    let _ = provider::spaceship::classify(status, wait, &body, "example.com");
    let _ = provider::namecheap::check(status, &body, "example.com");
    for rtype in [RecordType::A, RecordType::Aaaa] {
        for e in provider::namesilo::matching(&body, "www.example.com", rtype) {
            let _ = provider::same_address(&e.value, IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
    }
    for el in xmltext::elements(&body, "record") {
        let _ = xmltext::text(el, "value");
    }
    let _ = xmltext::decode(&body);
    let _ = provider::same_address(&body, IpAddr::V6(Ipv6Addr::LOCALHOST));
    let _ = provider::truncate(&body, usize::from(status % 64));
}

/// Every provider's answer readers (record lists, zone searches, write confirmations and the
/// error envelopes around them), through `provider::fuzzing::parse_answer`. Byte 0 picks the
/// provider; byte 1 the answer (`% 3`: records, zone, write), the record type (bit 2) and the
/// status (bit 7 clear: 200; set: one of eight error statuses); the rest is the body.
///
/// Checked besides "no panic": an answer with an error status is never read as a record list,
/// a zone or a confirmation (reading it as "no records" would make the engine create a
/// duplicate), not even as the "no records" Tencent Cloud and Now.cn send as errors.
pub fn provider_json(data: &[u8]) {
    use ddns_rs::provider::fuzzing::{Op, PROVIDERS, parse_answer};
    let [p, sel, body @ ..] = data else {
        return;
    };
    let provider = PROVIDERS[usize::from(*p) % PROVIDERS.len()];
    let op = [Op::Records, Op::Zone, Op::Write][usize::from(sel % 3)];
    let rtype = if sel & 4 == 0 {
        RecordType::A
    } else {
        RecordType::Aaaa
    };
    let status = if sel & 0x80 == 0 {
        200
    } else {
        [400, 401, 403, 404, 429, 500, 502, 503][usize::from((sel >> 3) & 7)]
    };
    let result = parse_answer(provider, op, rtype, status, body);
    // Tencent Cloud's and Now.cn's "no records" errors count only in a success answer.
    if status >= 300
        && let Ok(records) = &result
    {
        panic!("{provider} {op:?}: HTTP {status} read as {records:?}");
    }
}

/// The rtnetlink link and address message parsers.
pub fn netlink(data: &[u8]) {
    #[cfg(target_os = "linux")]
    let _ = detect::fuzz_netlink_parse(data);
    #[cfg(not(target_os = "linux"))]
    let _ = data;
}

/// DNS answers: the resolver's `decode_answer` and the rfc2136 provider's answer reader.
pub fn dns_answer(data: &[u8]) {
    let name = Name::from_ascii("www.example.com.").expect("static name");
    let server = SocketAddr::from(([127, 0, 0, 1], 53));
    let id = match data {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    };
    for rtype in [WireType::A, WireType::AAAA] {
        if let Ok(ddns_rs::http::Answer::Addrs(addrs)) =
            ddns_rs::http::decode_answer(data, id, &name, rtype, server)
        {
            let want_v4 = rtype == WireType::A;
            assert!(addrs.iter().all(|a| a.is_ipv4() == want_v4), "{addrs:?}");
        }
    }
    if let Ok(msg) = Message::from_vec(data) {
        for rtype in [RecordType::A, RecordType::Aaaa] {
            let _ = rfc2136::read_answer(&msg, &name, rtype, "example.com");
        }
    }
}

/// TSIG verification of a server's answer (any key, any request MAC).
pub fn tsig_verify(data: &[u8]) {
    let key = tsig::Key::parse("ddns-key.", "hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQ=")
        .expect("static key");
    let mac = data.get(..32).unwrap_or(&[]);
    let _ = tsig::verify_response(data, &key, mac, 1_700_000_000);
    let _ = tsig::verify_response(data, &key, &[], 0);
}

/// The `#{var}` expander and the webhook request builder (URL, body, headers templates).
pub fn webhook_template(data: &[u8]) {
    let f = fields(data, 4);
    let vars = [("ipv4Addr", f[3].as_str()), ("a", "#{a}"), ("", "x")];
    let out = ddns_rs::template::expand(&f[0], &vars);
    if !f[0].contains("#{") {
        assert_eq!(out, f[0]);
    }
    let webhook = Webhook {
        webhookurl: f[0].clone(),
        webhookrequestbody: f[1].clone(),
        webhookheaders: f[2].clone(),
    };
    let report = RunReport {
        ipv4_addr: f[3].clone(),
        ipv6_addr: "::1".into(),
        ipv4_result: FamilyResult::Failed,
        ipv6_result: FamilyResult::Success,
        ipv4_domains: vec![f[3].clone()],
        ipv6_domains: Vec::new(),
    };
    for lang in ["en", "zh"] {
        if let Ok(req) = ddns_rs::notify::build_request(&webhook, &report, lang, 1_700_000_000) {
            let _ = ddns_rs::notify::redact_url(req.url.as_str());
        }
    }
    let _ = ddns_rs::notify::redact_url(&f[0]);
}

/// The `/save` body: JSON deserialisation, then ddns-go's save rules against a stored config;
/// whatever is accepted must be writable YAML that loads back. A non-empty password is cleared
/// (bcrypt at cost 10 would make every run ~50 ms; the strength check still runs on it).
pub fn web_save(data: &[u8]) {
    let Ok(mut req) = serde_json::from_slice::<save::SaveRequest>(data) else {
        return;
    };
    let _ = ddns_rs::config::password::check_strength(&req.password, req.not_allow_wan_access);
    req.password.clear();
    let mut current = Config::default();
    current.user.username = "admin".into();
    current.user.password = "$2a$10$abcdefghijklmnopqrstuuBvcWMc3VvPQtWmvpU0EaHPxvXaZPvsS".into();
    let mut entry = DnsConfig::default();
    entry.dns.name = "cloudflare".into();
    entry.dns.id = "stored-id".into();
    entry.dns.secret = "stored-secret".into();
    current.dnsconf.push(entry);
    let Ok(applied) = save::apply(&current, req) else {
        return;
    };
    let _ = save::masked_entries(&applied.config);
    let yaml = store::to_yaml(&applied.config);
    let again = store::parse_for_fuzzing(&yaml)
        .unwrap_or_else(|e| panic!("saved config does not load: {e}\n{yaml}"));
    assert_eq!(
        again, applied.config,
        "config changed across save/load:\n{yaml}"
    );
}

/// The password every `web_login` account has.
const LOGIN_PW: &str = "correct horse battery staple 42";

/// bcrypt of [`LOGIN_PW`] at the lowest cost, so a login attempt costs ~1 ms, not ~50 ms.
fn login_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| bcrypt::hash(LOGIN_PW, 4).expect("bcrypt at cost 4"))
}

/// `/loginFunc` through the real router (guards, body limit, JSON parsing, throttle, first-run
/// setup with the password strength check). Byte 0: bit 0 first-run (no config file) or an
/// existing account, bit 1 with or without `Origin`, bits 2–3 the client (LAN v4, WAN v4,
/// loopback v6, WAN v6); the rest is the body. Also feeds the body's text to the password
/// strength check and entropy directly.
///
/// Checked besides "no panic": a login succeeds only with the account's username and password
/// (or, on first run, with a password the strength check accepts, which is then stored as a
/// bcrypt hash); the hash never appears in an answer.
pub fn web_login(data: &[u8]) {
    use ddns_rs::config::password;
    let [mode, body @ ..] = data else {
        return;
    };
    let text = String::from_utf8_lossy(body);
    for lan in [true, false] {
        let _ = password::check_strength(&text, lan);
    }
    let e = password::entropy(&text);
    assert!(e.is_finite() && e >= 0.0, "entropy {e}");

    let first_run = mode & 1 == 1;
    let origin = mode & 2 == 2;
    let client: SocketAddr = match (mode >> 2) & 3 {
        0 => "192.168.1.20:50000",
        1 => "203.0.113.7:50000",
        2 => "[::1]:50000",
        _ => "[2001:db8::5]:50000",
    }
    .parse()
    .expect("static address");
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("ddns.yaml");
    if !first_run {
        let mut config = Config::default();
        config.user.username = "admin".into();
        config.user.password = login_hash().to_string();
        // A plain write: `store::save`'s fsyncs would slow every input down for nothing.
        std::fs::write(&path, store::to_yaml(&config)).expect("write the account");
    }
    let (tx, _rx) = ddns_rs::sync::schedule::control_channel();
    let opts = ddns_rs::web::WebOptions::new(
        path.clone(),
        ddns_rs::sync::status::StatusBoard::default(),
        ddns_rs::logging::LogRing::new(),
        tx,
    );
    let router = ddns_rs::web::router(opts);
    let mut req = axum::http::Request::builder()
        .method("POST")
        .uri("/loginFunc")
        .header("host", "nas:9876")
        .header("content-type", "application/json");
    if origin {
        req = req
            .header("origin", "http://nas:9876")
            .header("sec-fetch-site", "same-origin");
    }
    let mut req = req
        .body(axum::body::Body::from(body.to_vec()))
        .expect("static request");
    req.extensions_mut()
        .insert(ddns_rs::web::ClientAddr(client));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (status, answer) = runtime.block_on(async {
        use tower::ServiceExt;
        let resp = router.oneshot(req).await.expect("infallible");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, bytes)
    });
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        !answer.contains(login_hash()),
        "hash in the answer: {answer}"
    );
    let accepted = status == 200
        && serde_json::from_str::<serde_json::Value>(&answer).is_ok_and(|v| v["Code"] == 200);
    if !accepted {
        return;
    }
    let sent: serde_json::Value = serde_json::from_slice(body).expect("an accepted body is JSON");
    let user = sent["Username"].as_str().unwrap_or_default().trim();
    let pw = sent["Password"].as_str().unwrap_or_default();
    if first_run {
        let lan = ddns_rs::web::auth::is_lan(client.ip());
        assert!(
            password::check_strength(pw, lan).is_ok(),
            "weak password accepted"
        );
        let saved = store::parse_for_fuzzing(&std::fs::read_to_string(&path).expect("saved"))
            .expect("the saved config loads");
        assert_eq!(saved.user.username, user);
        assert!(saved.user.password.starts_with("$2"), "password not hashed");
    } else {
        assert_eq!(
            (user, pw),
            ("admin", LOGIN_PW),
            "login with wrong credentials"
        );
    }
}
