//! Building webhook requests (no I/O): method, variables, query re-encoding, headers, content
//! type, labels, and the notification gate over whole run sequences.

use ddns_rs::config::Webhook;
use ddns_rs::notify::{FamilyResult, RunReport, WebhookError, WebhookGate, build_request};
use reqwest::Method;

fn hook(url: &str, body: &str, headers: &str) -> Webhook {
    Webhook {
        webhookurl: url.into(),
        webhookrequestbody: body.into(),
        webhookheaders: headers.into(),
    }
}

fn report() -> RunReport {
    RunReport {
        ipv4_addr: "203.0.113.7".into(),
        ipv6_addr: "2001:db8::1".into(),
        ipv4_result: FamilyResult::Success,
        ipv6_result: FamilyResult::Failed,
        ipv4_domains: vec!["a.example.com".into(), "example.com".into()],
        ipv6_domains: vec!["v6.example.com".into()],
    }
}

fn content_types(req: &ddns_rs::notify::WebhookRequest) -> Vec<String> {
    req.headers
        .get_all("content-type")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[test]
fn get_without_body_substitutes_url_variables() {
    let w = hook(
        "https://hook.example/notify/#{ipv4Result}?ip=#{ipv4Addr}&v6=#{ipv6Addr}&d=#{ipv4Domains}&t=#{timestamp}&r6=#{ipv6Result}",
        "",
        "",
    );
    let req = build_request(&w, &report(), "en", 1_700_000_000).unwrap();
    assert_eq!(req.method, Method::GET);
    assert_eq!(req.body, "");
    assert!(
        content_types(&req).is_empty(),
        "no content type without a body"
    );
    // Keys sorted, values Go-query-escaped (':' and ',' become %3A and %2C).
    assert_eq!(
        req.url.as_str(),
        "https://hook.example/notify/success?d=a.example.com%2Cexample.com&ip=203.0.113.7&r6=failed&t=1700000000&v6=2001%3Adb8%3A%3A1"
    );
    assert!(req.warnings.is_empty());
}

#[test]
fn post_with_json_body() {
    let body = r##"{"v4":"#{ipv4Addr}","r4":"#{ipv4Result}","v6":"#{ipv6Addr}","r6":"#{ipv6Result}","d4":"#{ipv4Domains}","d6":"#{ipv6Domains}","ts":#{timestamp}}"##;
    let req = build_request(&hook("http://127.0.0.1:1/h", body, ""), &report(), "en", 42).unwrap();
    assert_eq!(req.method, Method::POST);
    let v: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "v4": "203.0.113.7", "r4": "success", "v6": "2001:db8::1", "r6": "failed",
            "d4": "a.example.com,example.com", "d6": "v6.example.com", "ts": 42
        })
    );
    assert_eq!(content_types(&req), ["application/json"]);
    assert_eq!(req.url.as_str(), "http://127.0.0.1:1/h");
}

#[test]
fn post_with_form_body() {
    let req = build_request(
        &hook("http://h.example/x", "ip=#{ipv4Addr}&r=#{ipv4Result}", ""),
        &report(),
        "en",
        0,
    )
    .unwrap();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.body, "ip=203.0.113.7&r=success");
    assert_eq!(content_types(&req), ["application/x-www-form-urlencoded"]);
    assert!(req.warnings.is_empty());
}

#[test]
fn invalid_json_looking_body_warns_and_is_sent_as_form() {
    for body in [r##"{"ip": #{ipv4Addr}}"##, "[1,2", "  {oops"] {
        let req = build_request(&hook("http://h.example/", body, ""), &report(), "en", 0).unwrap();
        assert_eq!(
            req.warnings,
            ["webhook request body is not valid JSON"],
            "{body}"
        );
        assert_eq!(content_types(&req), ["application/x-www-form-urlencoded"]);
    }
    // Any JSON value counts as JSON, as with Go's json.Valid.
    let req = build_request(
        &hook("http://h.example/", "\"#{ipv4Addr}\"", ""),
        &report(),
        "en",
        0,
    )
    .unwrap();
    assert_eq!(content_types(&req), ["application/json"]);
}

#[test]
fn query_is_reencoded_like_go() {
    let req = build_request(
        &hook("http://h.example/p?b=2&a=x y%2Bz", "", ""),
        &report(),
        "en",
        0,
    )
    .unwrap();
    assert_eq!(req.url.as_str(), "http://h.example/p?a=x+y%2Bz&b=2");
    // '+' is a space for Go, so it is sent as '+' again; a pair Go drops is dropped with a warning.
    let req = build_request(
        &hook("http://h.example/p?z=1&a=x y+z&bad=%zz&k=v;w", "", ""),
        &report(),
        "en",
        0,
    )
    .unwrap();
    assert_eq!(req.url.as_str(), "http://h.example/p?a=x+y+z&z=1");
    assert_eq!(req.warnings.len(), 2, "{:?}", req.warnings);
}

#[test]
fn headers_are_parsed_line_by_line() {
    let headers = "Authorization: Bearer abc:def\r\n\r\nX-One:1\n  X-Two :  two words  \nbroken line\nbad name: x\nX-One: again\n";
    let req = build_request(&hook("http://h.example/", "", headers), &report(), "en", 0).unwrap();
    let h = &req.headers;
    // Split at the first ':' only; both sides trimmed; CRLF handled.
    assert_eq!(h.get("authorization").unwrap(), "Bearer abc:def");
    assert_eq!(h.get("x-two").unwrap(), "two words");
    let ones: Vec<_> = h
        .get_all("x-one")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(ones, ["1", "again"]);
    assert_eq!(h.len(), 4);
    assert_eq!(req.warnings.len(), 2, "{:?}", req.warnings);
    assert!(req.warnings[0].contains("line 5"), "{:?}", req.warnings);
    assert!(req.warnings[1].contains("line 6"), "{:?}", req.warnings);
    assert!(
        !req.warnings.iter().any(|w| w.contains("broken")),
        "line text is not logged"
    );
}

#[test]
fn user_content_type_wins() {
    for ct_line in ["Content-Type: text/plain", "content-type:text/plain"] {
        let req = build_request(
            &hook("http://h.example/", "{}", ct_line),
            &report(),
            "en",
            0,
        )
        .unwrap();
        assert_eq!(
            content_types(&req),
            ["text/plain"],
            "exactly one content-type: {ct_line}"
        );
    }
}

#[test]
fn chinese_labels() {
    let mut r = report();
    r.ipv6_result = FamilyResult::Unchanged;
    let w = hook("http://h.example/", "#{ipv4Result}/#{ipv6Result}", "");
    let req = build_request(&w, &r, "zh", 0).unwrap();
    assert_eq!(req.body, "成功/未改变");
    r.ipv4_result = FamilyResult::Failed;
    assert_eq!(
        build_request(&w, &r, "zh-CN", 0).unwrap().body,
        "失败/未改变"
    );
    assert_eq!(
        build_request(&w, &r, "en", 0).unwrap().body,
        "failed/unchanged"
    );
    // Chinese in the URL query is percent-encoded as UTF-8.
    let req = build_request(
        &hook("http://h.example/?r=#{ipv4Result}", "", ""),
        &r,
        "zh",
        0,
    )
    .unwrap();
    assert_eq!(req.url.as_str(), "http://h.example/?r=%E5%A4%B1%E8%B4%A5");
}

#[test]
fn bad_urls_are_errors_without_secrets() {
    assert!(matches!(
        build_request(&hook("", "", ""), &report(), "en", 0),
        Err(WebhookError::NoUrl)
    ));
    assert!(matches!(
        build_request(&hook("  ", "", ""), &report(), "en", 0),
        Err(WebhookError::NoUrl)
    ));
    let e = build_request(
        &hook("ftp://h.example/secret123?token=abc", "", ""),
        &report(),
        "en",
        0,
    )
    .unwrap_err();
    assert!(matches!(e, WebhookError::BadUrl { .. }));
    let msg = e.to_string();
    assert!(msg.contains("ftp://h.example/***"), "{msg}");
    assert!(!msg.contains("abc") && !msg.contains("secret123"), "{msg}");
    let e = build_request(&hook("not a url ?token=abc", "", ""), &report(), "en", 0).unwrap_err();
    assert!(matches!(e, WebhookError::BadUrl { .. }));
    assert!(!e.to_string().contains("abc"));
}

#[test]
fn test_sample_matches_ddns_go_try_it_data() {
    let req = build_request(
        &hook(
            "http://h.example/?a=#{ipv4Addr}&b=#{ipv6Addr}&c=#{ipv4Domains}&d=#{ipv6Result}",
            "",
            "",
        ),
        &RunReport::test_sample(),
        "en",
        0,
    )
    .unwrap();
    assert_eq!(
        req.url.query(),
        Some("a=127.0.0.1&b=%3A%3A1&c=test.example.com&d=success")
    );
}

/// A sequence of runs (IPv4 result, IPv6 result) and whether each one should fire.
type Case<'a> = (&'a [(FamilyResult, FamilyResult)], &'a [bool]);

fn run(v4: FamilyResult, v6: FamilyResult) -> RunReport {
    RunReport {
        ipv4_result: v4,
        ipv6_result: v6,
        ..RunReport::default()
    }
}

#[test]
fn gate_sequences() {
    use FamilyResult::*;
    let cases: &[Case] = &[
        // success, fail, fail, fail, unchanged: the change, the first failure, the recovery.
        (
            &[
                (Success, Unchanged),
                (Failed, Unchanged),
                (Failed, Unchanged),
                (Unchanged, Failed),
                (Unchanged, Unchanged),
            ],
            &[true, true, false, false, true],
        ),
        // fail, fail, success: the first failure and the success.
        (
            &[(Failed, Unchanged), (Failed, Failed), (Success, Unchanged)],
            &[true, false, true],
        ),
        // Nothing ever happens: never.
        (
            &[(Unchanged, Unchanged), (Unchanged, Unchanged)],
            &[false, false],
        ),
        // Every success fires (a real change each time).
        (
            &[
                (Success, Unchanged),
                (Unchanged, Success),
                (Success, Success),
            ],
            &[true, true, true],
        ),
        // Two separate streaks each fire once and each recovery fires.
        (
            &[
                (Failed, Unchanged),
                (Unchanged, Unchanged),
                (Unchanged, Unchanged),
                (Unchanged, Failed),
                (Unchanged, Failed),
                (Unchanged, Unchanged),
            ],
            &[true, true, false, true, false, true],
        ),
        // A success in one family does not end a streak while the other fails.
        (
            &[(Failed, Success), (Success, Failed), (Success, Unchanged)],
            &[true, false, true],
        ),
    ];
    for (runs, want) in cases {
        let mut gate = WebhookGate::new();
        let got: Vec<bool> = runs.iter().map(|&(a, b)| gate.decide(&run(a, b))).collect();
        assert_eq!(&got, want, "{runs:?}");
    }
}

#[test]
fn gates_are_independent_per_config_entry() {
    use FamilyResult::*;
    let (mut a, mut b) = (WebhookGate::new(), WebhookGate::new());
    assert!(a.decide(&run(Failed, Unchanged)));
    assert!(
        b.decide(&run(Failed, Unchanged)),
        "b's first failure fires although a is failing"
    );
    assert!(!a.decide(&run(Failed, Unchanged)));
    assert!(b.decide(&run(Unchanged, Unchanged)));
    assert!(a.is_failing() && !b.is_failing());
}
