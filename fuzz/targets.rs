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
