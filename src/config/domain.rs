//! Domain lines (`www.example.com`, `sub:root`, `name?Key=Value`), split into sub-domain and
//! root with the Public Suffix List, as ddns-go's `checkParseDomains` does (spec §2.3).
//!
//! Not here: what the custom parameters mean to a provider (each provider reads its own keys).

use std::borrow::Cow;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// One parsed domain line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Domain {
    /// Host part below the root: "" for the apex, "*" for a wildcard, may contain dots.
    pub sub: String,
    /// Registrable root (zone), e.g. `example.com` or `example.cn.eu.org`.
    pub root: String,
    /// Custom parameters from `?k=v&…`, decoded, sorted by key (stable for repeated keys), as
    /// ddns-go stores them after re-encoding.
    pub params: Vec<(String, String)>,
}

/// Why a domain line was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The line is a public suffix, a single label, or otherwise not a domain.
    #[error(
        "the domain {0} is incorrect: write a name below a registrable domain (www.example.com), \
         or force the split with sub:root (www:example.com)"
    )]
    Incorrect(String),
    /// The `?…` part could not be parsed as a URL query (control character or bad `%` escape).
    #[error(
        "the custom parameters of domain {0} cannot be parsed: write them as a URL query, \
         e.g. {0}?Key=Value&Other=1, with % followed by two hex digits"
    )]
    BadParams(String),
}

impl Domain {
    /// `sub.root`, or `root` for the apex (ddns-go `String()`).
    pub fn name(&self) -> String {
        if self.sub.is_empty() {
            self.root.clone()
        } else {
            format!("{}.{}", self.sub, self.root)
        }
    }

    /// `sub`, or `@` for the apex (ddns-go `GetSubDomain()`).
    pub fn sub_or_at(&self) -> &str {
        if self.sub.is_empty() { "@" } else { &self.sub }
    }

    /// `sub.root`, or `@.root` for the apex (ddns-go `GetFullDomain()`).
    pub fn full_at(&self) -> String {
        format!("{}.{}", self.sub_or_at(), self.root)
    }

    /// The first value of custom parameter `key`, if present.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The parameters re-encoded as ddns-go stores them (Go `url.Values.Encode()`): keys sorted,
    /// `k=v` joined by `&`, everything but `A-Za-z0-9-_.~` percent-encoded, space as `+`.
    pub fn params_query(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.params {
            if !out.is_empty() {
                out.push('&');
            }
            query_escape(k, &mut out);
            out.push('=');
            query_escape(v, &mut out);
        }
        out
    }

    /// The name in ASCII form: IDNA UTS-46 non-transitional lookup with the checks ddns-go turns
    /// off ignored, keeping partial results (`😺.com` → `xn--138h.com`). Like ddns-go, the
    /// UTS-46 mapping lower-cases (`ÖBB.at` → `xn--bb-eka.at`); lower-case ASCII is unchanged.
    pub fn to_ascii(&self) -> String {
        to_ascii(&self.name())
    }

    /// The root (zone) in ASCII form, by the same rule as [`Domain::to_ascii`].
    pub fn root_ascii(&self) -> String {
        to_ascii(&self.root)
    }
}

/// Parses one `domains` item. Empty (after trimming) gives `Ok(None)`, as ddns-go skips it.
pub fn parse_domain_line(line: &str) -> Result<Option<Domain>, DomainError> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = line.split('?').collect();
    let host = parts[0];
    let (sub, root) = split_host(host)?;
    // ddns-go uses the parameters only when there is exactly one `?`; `a?b?c` keeps `a`.
    let params = if parts.len() == 2 {
        parse_params(parts[1]).ok_or_else(|| DomainError::BadParams(host.to_string()))?
    } else {
        Vec::new()
    };
    Ok(Some(Domain { sub, root, params }))
}

/// Parses every line, keeping the valid domains in order and collecting the errors.
pub fn parse_domains(lines: &[String]) -> (Vec<Domain>, Vec<DomainError>) {
    let mut domains = Vec::new();
    let mut errors = Vec::new();
    for line in lines {
        match parse_domain_line(line) {
            Ok(Some(d)) => domains.push(d),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    (domains, errors)
}

/// Splits `host` into (sub, root): by the Public Suffix List, or at the `:` of `sub:root`.
fn split_host(host: &str) -> Result<(String, String), DomainError> {
    let incorrect = || DomainError::Incorrect(host.to_string());
    let pieces: Vec<&str> = host.split(':').collect();
    match pieces.as_slice() {
        [name] => {
            // Go's EffectiveTLDPlusOne refuses empty labels; the suffix list lookup refuses them too.
            if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
                return Err(incorrect());
            }
            let root = super::suffix_list::domain_str(name).ok_or_else(incorrect)?;
            let sub_len = name.len() - root.len();
            let sub = if sub_len > 0 {
                // domain_str returns a suffix of `name`, so `sub_len - 1` is the byte before the dot.
                name.get(..sub_len - 1).ok_or_else(incorrect)?
            } else {
                ""
            };
            Ok((sub.to_string(), root.to_string()))
        }
        [sub, root] if root.contains('.') => Ok((sub.to_string(), root.to_string())),
        _ => Err(incorrect()),
    }
}

/// Parses the `?` part like Go's `url.Parse("https://baidu.com?" + q).Query()`: `None` where Go
/// fails the whole URL (control characters, a bad escape in the `#fragment`); bad pairs are
/// skipped as `Query()` does. The result is sorted by key, stable.
fn parse_params(q: &str) -> Option<Vec<(String, String)>> {
    let (query, fragment) = match q.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (q, None),
    };
    if query.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    if let Some(f) = fragment {
        unescape(f, false)?;
    }
    let mut params = Vec::new();
    for pair in query.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if let (Some(k), Some(v)) = (unescape(k, true), unescape(v, true)) {
            params.push((k, v));
        }
    }
    params.sort_by(|a, b| a.0.cmp(&b.0));
    Some(params)
}

/// Go's `QueryUnescape` (`plus_is_space`) or fragment unescaping: `%XX` decoded, a bad escape is
/// `None`. Invalid UTF-8 after decoding is replaced, since Rust strings must be valid.
fn unescape(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16))?;
                let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16))?;
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `QueryEscape`.
fn query_escape(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

/// UTS-46 ToASCII keeping partial results. The whole name is tried first; if the `idna` crate
/// reports an error (it always checks bidi and joiner rules, which ddns-go turns off), each label
/// is converted on its own and a failing label is mapped as well as possible and Punycode-encoded.
fn to_ascii(name: &str) -> String {
    let uts46 = Uts46::new();
    let strict = |s: &str| -> Option<String> {
        uts46
            .to_ascii(
                s.as_bytes(),
                AsciiDenyList::EMPTY,
                Hyphens::Allow,
                DnsLength::Ignore,
            )
            .ok()
            .map(Cow::into_owned)
    };
    if let Some(ascii) = strict(name) {
        return ascii;
    }
    // UTS-46 maps these full stops to '.', so they separate labels too.
    let labels = name.split(['.', '\u{3002}', '\u{FF0E}', '\u{FF61}']);
    let converted: Vec<String> = labels
        .map(|label| strict(label).unwrap_or_else(|| lenient_label(&uts46, label)))
        .collect();
    converted.join(".")
}

/// A label the strict conversion refused: map each character on its own (so no context rule can
/// fail), then Punycode-encode if anything non-ASCII is left, as Go does with its checks off.
fn lenient_label(uts46: &Uts46, label: &str) -> String {
    if label.is_ascii() {
        let lower = label.to_ascii_lowercase();
        // Go decodes "xn--" to the empty label and keeps it; other bad Punycode stays as it is.
        return if lower == "xn--" {
            String::new()
        } else {
            lower
        };
    }
    let mut mapped = String::new();
    for c in label.chars() {
        let mut buf = [0u8; 4];
        let one = c.encode_utf8(&mut buf);
        let (m, result) = uts46.to_unicode(one.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
        if result.is_ok() {
            mapped.push_str(&m);
        } else {
            mapped.extend(c.to_lowercase());
        }
    }
    if mapped.is_ascii() {
        return mapped;
    }
    match idna::punycode::encode_str(&mapped) {
        Some(p) => format!("xn--{p}"),
        None => mapped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Domain {
        parse_domain_line(line).unwrap().unwrap()
    }

    #[test]
    fn ddns_go_table() {
        let cases = [
            ("mydomain.com", "mydomain.com", ""),
            ("test2.test.mydomain.com", "mydomain.com", "test2.test"),
            ("mydomain.com.mydomain.com", "mydomain.com", "mydomain.com"),
            ("test.mydomain.com.cn", "mydomain.com.cn", "test"),
            ("test:mydomain.com.cn", "mydomain.com.cn", "test"),
            (
                "test2:test.mydomain.com?Line=oversea&RecordId=123",
                "test.mydomain.com",
                "test2",
            ),
        ];
        for (input, root, sub) in cases {
            let d = parse(input);
            assert_eq!((d.root.as_str(), d.sub.as_str()), (root, sub), "{input}");
        }
        let d = parse("test2:test.mydomain.com?Line=oversea&RecordId=123");
        assert_eq!(d.params_query(), "Line=oversea&RecordId=123");
        assert_eq!(d.param("RecordId"), Some("123"));
    }

    #[test]
    fn wildcard_apex_and_forced_split() {
        let d = parse("*.example.com");
        assert_eq!((d.sub.as_str(), d.root.as_str()), ("*", "example.com"));
        assert_eq!(d.name(), "*.example.com");
        let d = parse("example.com");
        assert_eq!((d.sub_or_at(), d.full_at()), ("@", "@.example.com".into()));
        let d = parse(":example.com");
        assert_eq!((d.sub.as_str(), d.root.as_str()), ("", "example.com"));
        let d = parse("www:domain.example.com");
        assert_eq!(
            (d.sub.as_str(), d.root.as_str()),
            ("www", "domain.example.com")
        );
        let d = parse("  www.example.com  ");
        assert_eq!(d.name(), "www.example.com");
    }

    #[test]
    fn private_suffixes_count() {
        let d = parse("x.github.io");
        assert_eq!((d.sub.as_str(), d.root.as_str()), ("", "x.github.io"));
        let d = parse("a.b.x.github.io");
        assert_eq!((d.sub.as_str(), d.root.as_str()), ("a.b", "x.github.io"));
        let d = parse("nas.sub.example.cn.eu.org");
        assert_eq!(
            (d.sub.as_str(), d.root.as_str()),
            ("nas.sub", "example.cn.eu.org")
        );
        let d = parse("nas:sub.example.cn.eu.org");
        assert_eq!(
            (d.sub.as_str(), d.root.as_str()),
            ("nas", "sub.example.cn.eu.org")
        );
    }

    #[test]
    fn rejects_suffixes_single_labels_and_bad_splits() {
        for bad in [
            "com",
            "github.io",
            "cn.eu.org",
            "localhost",
            "a:b",
            "a:b:c.com",
            "example.com.",
            ".example.com",
            "www..example.com",
        ] {
            assert_eq!(
                parse_domain_line(bad),
                Err(DomainError::Incorrect(bad.to_string())),
                "{bad}"
            );
        }
        assert_eq!(parse_domain_line("   "), Ok(None));
        assert_eq!(parse_domain_line(""), Ok(None));
    }

    #[test]
    fn params_need_exactly_one_question_mark() {
        let d = parse("a.example.com?b=1?c=2");
        assert_eq!(d.name(), "a.example.com");
        assert!(d.params.is_empty());
        let d = parse("a.example.com?");
        assert!(d.params.is_empty());
    }

    #[test]
    fn params_are_decoded_sorted_and_reencoded_like_go() {
        let d = parse("www.example.com?z=1&a=x+y&m=%E4%B8%AD&a=2&bad=%zz&semi;x=1&&k");
        assert_eq!(
            d.params,
            vec![
                ("a".into(), "x y".into()),
                ("a".into(), "2".into()),
                ("k".into(), "".into()),
                ("m".into(), "中".into()),
                ("z".into(), "1".into()),
            ]
        );
        assert_eq!(d.params_query(), "a=x+y&a=2&k=&m=%E4%B8%AD&z=1");
        let d = parse("www.example.com?u=https://a/b?c");
        assert!(d.params.is_empty(), "two question marks drop the params");
        let d = parse("www.example.com?u=a/b:c@d&t=~-._!");
        assert_eq!(d.params_query(), "t=~-._%21&u=a%2Fb%3Ac%40d");
        let d = parse("www.example.com?x=1#frag");
        assert_eq!(d.params_query(), "x=1");
    }

    #[test]
    fn unparsable_params_reject_the_line() {
        assert!(matches!(
            parse_domain_line("www.example.com?x=1#%zz"),
            Err(DomainError::BadParams(_))
        ));
        assert!(matches!(
            parse_domain_line("www.example.com?x=\u{1}"),
            Err(DomainError::BadParams(_))
        ));
    }

    #[test]
    fn parse_domains_keeps_order_and_errors() {
        let lines: Vec<String> = ["b.example.com", "", "com", "a.example.com"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (ok, errs) = parse_domains(&lines);
        let names: Vec<String> = ok.iter().map(Domain::name).collect();
        assert_eq!(names, ["b.example.com", "a.example.com"]);
        assert_eq!(errs, [DomainError::Incorrect("com".into())]);
    }

    #[test]
    fn case_is_kept_in_names() {
        let d = parse("WWW.Example.COM");
        assert_eq!((d.sub.as_str(), d.root.as_str()), ("WWW", "Example.COM"));
    }

    #[test]
    fn to_ascii_matches_ddns_go_table() {
        // ddns-go config/domains_test.go TestToASCII, plus a few common names.
        let cases = [
            ("", ""),
            ("😺.com", "xn--138h.com"),
            ("ÖBB.at", "xn--bb-eka.at"),
            ("xn--138h.com", "xn--138h.com"),
            ("s3--s4.com", "s3--s4.com"),
            ("℀.com", "a/c.com"),
            ("englishﻋﺮﺑﻲ.com", "xn--english-gqjzfwd1j.com"),
            ("a\u{200c}b.com", "xn--ab-j1t.com"),
            ("xn--:D.xn--.😺.com", "xn--:d..xn--138h.com"),
            ("例子.公司", "xn--fsqu00a.xn--55qx5d"),
            ("中文域名.cn", "xn--fiq06l2rdsvs.cn"),
            ("www.example.com", "www.example.com"),
        ];
        for (input, want) in cases {
            let d = Domain {
                root: input.into(),
                ..Domain::default()
            };
            assert_eq!(d.to_ascii(), want, "{input:?}");
        }
    }
}
