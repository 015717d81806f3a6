//! Finding an address in free text: the body of an echo URL or the output of a command (§3.1,
//! §3.3). Only the text is looked at here; whether the address may be published is `validate`'s
//! business.
//!
//! Differences from ddns-go, on purpose:
//! - IPv4: ddns-go takes the first match of an unanchored regex, so `1.2.3.4567` yields
//!   `1.2.3.45` and `v1.2.3.4.5` yields `1.2.3.4`. Here a candidate is a whole run of digits and
//!   dots (leading and trailing dots trimmed, so a sentence may end with an address); a run that
//!   is not exactly a dotted quad is not an address at all. Octets with leading zeros (`01`) are
//!   refused, as they are ambiguous (octal in some parsers).
//! - IPv6: ddns-go's scan of `[0-9A-Fa-f:.]{2,}` tokens is kept; a trailing dot (end of sentence)
//!   is trimmed and a single leading colon (`addr:2606:…`) is tolerated.
//! - An HTML page (a body starting with `<`) is searched only in its visible text: tags (with
//!   their attributes) and `<script>`/`<style>` contents are skipped, so a challenge page's
//!   `/orchestrate/1.2.1.1/v1` script path is not taken for an address (#1402).
//! - Only the FIRST candidate counts. If it turns out to be unpublishable the caller treats the
//!   whole source as failed instead of hunting further down the page: a page whose first
//!   address is wrong is not a page to trust.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Family;

/// The first address of `family` in `text`, if any.
pub fn first(text: &str, family: Family) -> Option<IpAddr> {
    match family {
        Family::V4 => ipv4_candidates(text).next().map(IpAddr::V4),
        Family::V6 => ipv6_candidates(text).next().map(IpAddr::V6),
    }
}

/// The text a browser would show when `body` is an HTML page; other bodies unchanged.
pub fn visible_text(body: &str) -> std::borrow::Cow<'_, str> {
    if !body.trim_start().starts_with('<') {
        return body.into();
    }
    // ASCII lowercasing keeps byte offsets, so positions found in `lower` index `body` too.
    let lower = body.to_ascii_lowercase();
    let mut out = String::with_capacity(body.len());
    let mut pos = 0;
    while let Some(open) = body[pos..].find('<').map(|i| pos + i) {
        out.push_str(&body[pos..open]);
        out.push(' ');
        let Some(close) = body[open..].find('>').map(|i| open + i) else {
            // An unterminated tag: nothing after it is visible.
            return out.into();
        };
        let name_len = lower[open + 1..close]
            .bytes()
            .take_while(u8::is_ascii_alphanumeric)
            .count();
        let name = &lower[open + 1..open + 1 + name_len];
        pos = close + 1;
        if name == "script" || name == "style" {
            match lower[pos..].find(&format!("</{name}")) {
                Some(at) => pos += at,
                None => return out.into(),
            }
        }
    }
    out.push_str(&body[pos..]);
    out.into()
}

/// Every IPv4 candidate in `text`, in order.
pub fn ipv4_candidates(text: &str) -> impl Iterator<Item = Ipv4Addr> + '_ {
    tokens(text, |b| b.is_ascii_digit() || b == b'.').filter_map(|tok| {
        let tok = tok.trim_matches('.');
        // Ipv4Addr's parser wants exactly four decimal octets without leading zeros.
        tok.parse::<Ipv4Addr>().ok()
    })
}

/// Every IPv6 candidate in `text`, in order; IPv4-mapped addresses are skipped, as in ddns-go.
pub fn ipv6_candidates(text: &str) -> impl Iterator<Item = Ipv6Addr> + '_ {
    tokens(text, |b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        .filter(|tok| tok.len() >= 2)
        .filter_map(|tok| {
            let tok = tok.trim_end_matches('.');
            let parsed = tok.parse::<Ipv6Addr>().ok().or_else(|| {
                // "addr:2606:…" glues the label's colon to the address; "::1" must stay as is.
                let rest = tok.strip_prefix(':').filter(|r| !r.starts_with(':'))?;
                rest.parse::<Ipv6Addr>().ok()
            })?;
            (parsed.to_ipv4_mapped().is_none()).then_some(parsed)
        })
}

/// Maximal runs of bytes satisfying `keep`. Only ASCII bytes are kept, so every run is valid
/// UTF-8 on its own and slicing at its ends cannot split a character.
fn tokens(text: &str, keep: impl Fn(u8) -> bool) -> impl Iterator<Item = &str> {
    text.split(move |c: char| !c.is_ascii() || !keep(c as u8))
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Option<String> {
        first(text, Family::V4).map(|ip| ip.to_string())
    }

    fn v6(text: &str) -> Option<String> {
        first(text, Family::V6).map(|ip| ip.to_string())
    }

    #[test]
    fn ipv4_plain_json_and_html() {
        assert_eq!(v4("8.8.8.8\n").as_deref(), Some("8.8.8.8"));
        assert_eq!(v4(r#"{"ip":"8.8.8.8"}"#).as_deref(), Some("8.8.8.8"));
        let page =
            "<html><head><title>IP</title></head><body>Current IP Address: 8.8.8.8</body></html>";
        assert_eq!(v4(page).as_deref(), Some("8.8.8.8"));
        assert_eq!(v4("Your IP is 1.1.1.1.").as_deref(), Some("1.1.1.1"));
        assert_eq!(v4("ip=9.9.9.9&x=1").as_deref(), Some("9.9.9.9"));
        assert_eq!(
            v4("当前 IP：8.8.4.4 来自于：美国").as_deref(),
            Some("8.8.4.4")
        );
    }

    #[test]
    fn ipv4_glued_runs_are_not_addresses() {
        // ddns-go would answer 1.2.3.45 here.
        assert_eq!(v4("1.2.3.4567"), None);
        assert_eq!(v4("v1.2.3.4.5"), None);
        assert_eq!(v4("1..2.3.4"), None);
        assert_eq!(v4("256.1.1.1"), None);
        assert_eq!(v4("01.2.3.4"), None);
        // The scan goes on past a run that is not an address.
        assert_eq!(
            v4("build 1.2.3.4567, you are 8.8.8.8").as_deref(),
            Some("8.8.8.8")
        );
    }

    #[test]
    fn ipv4_first_candidate_wins_even_if_private() {
        // Validation rejects it later; extraction must not skip ahead to a nicer one.
        assert_eq!(v4("10.0.0.1 8.8.8.8").as_deref(), Some("10.0.0.1"));
        let all: Vec<_> = ipv4_candidates("10.0.0.1 x 8.8.8.8").collect();
        assert_eq!(
            all,
            vec![Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(8, 8, 8, 8)]
        );
    }

    #[test]
    fn ipv4_none() {
        assert_eq!(v4(""), None);
        assert_eq!(v4("<html>Just a moment...</html>"), None);
        assert_eq!(v4("2606:4700:4700::1111"), None);
    }

    #[test]
    fn html_pages_are_searched_in_visible_text_only() {
        let challenge = "<!DOCTYPE html><html><head><title>Just a moment...</title>\
            <script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/1.2.1.1/v1\"></script>\
            <SCRIPT>var v = '9.9.9.9';</SCRIPT><style>.a{} /* 7.7.7.7 */</style></head>\
            <body><img alt=\"6.6.6.6\">Checking your browser</body></html>";
        let text = visible_text(challenge);
        assert_eq!(first(&text, Family::V4), None, "{text}");
        let page = "<html><body><p>Current IP Address: 8.8.8.8</p></body></html>";
        assert_eq!(v4(&visible_text(page)).as_deref(), Some("8.8.8.8"));
        assert_eq!(
            v6(&visible_text("<td>2400:cb00::1</td>")).as_deref(),
            Some("2400:cb00::1")
        );
        // Not HTML: unchanged, even with angle brackets later on.
        assert_eq!(visible_text("8.8.8.8 <x>"), "8.8.8.8 <x>");
        // Unterminated tag or script: the rest is not visible.
        assert_eq!(
            first(&visible_text("<p>x <a href='1.1.1.1'"), Family::V4),
            None
        );
        assert_eq!(first(&visible_text("<script>1.1.1.1"), Family::V4), None);
        // Linear time even for a flood of tags.
        let flood = format!("<p>{}8.8.8.8", "<script></script>".repeat(60_000));
        assert_eq!(v4(&visible_text(&flood)).as_deref(), Some("8.8.8.8"));
        // Multi-byte text around tags survives.
        assert_eq!(
            v4(&visible_text("<p>当前 IP：<b>8.8.4.4</b></p>")).as_deref(),
            Some("8.8.4.4")
        );
    }

    #[test]
    fn ipv6_forms() {
        assert_eq!(
            v6("2606:4700:4700::1111\n").as_deref(),
            Some("2606:4700:4700::1111")
        );
        assert_eq!(
            v6(r#"{"ip":"2606:4700:4700:0:0:0:0:1111"}"#).as_deref(),
            Some("2606:4700:4700::1111")
        );
        assert_eq!(
            v6("IP: 2A00:1450:4001:80B::200E").as_deref(),
            Some("2a00:1450:4001:80b::200e")
        );
        assert_eq!(
            v6("Your address is 2001:4860:4860::8888.").as_deref(),
            Some("2001:4860:4860::8888")
        );
        assert_eq!(
            v6("addr:2001:4860:4860::8844").as_deref(),
            Some("2001:4860:4860::8844")
        );
        assert_eq!(v6("<td>2400:cb00::1</td>").as_deref(), Some("2400:cb00::1"));
        // Embedded IPv4 notation in the last 32 bits.
        assert_eq!(v6("64:ff9b::1.2.3.4").as_deref(), Some("64:ff9b::102:304"));
    }

    #[test]
    fn ipv6_skips_ipv4_and_mapped() {
        assert_eq!(v6("8.8.8.8"), None);
        assert_eq!(v6("::ffff:8.8.8.8"), None);
        assert_eq!(
            v6("::ffff:8.8.8.8 then 2606:4700::1").as_deref(),
            Some("2606:4700::1")
        );
        assert_eq!(v6("8.8.8.8 2606:4700::1").as_deref(), Some("2606:4700::1"));
    }

    #[test]
    fn ipv6_none() {
        assert_eq!(v6(""), None);
        assert_eq!(v6("deadbeef cafe"), None);
        assert_eq!(v6("12:34:56"), None);
        assert_eq!(v6("fe80::1%eth0").as_deref(), Some("fe80::1"));
    }
}
