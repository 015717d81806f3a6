//! The webhook request: built from the templates without I/O ([`build_request`]), then sent
//! ([`send`]). Building follows ddns-go (spec §7.1) so existing webhook settings produce the
//! same request: GET without a body template, POST with one, `#{var}` substitution in URL and
//! body, the URL query re-encoded the way Go's `url.Values.Encode` does, and a Content-Type
//! guessed from the body. Unlike ddns-go, a Content-Type the user set is the only one sent.

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::RunReport;
use crate::config::Webhook;
use crate::template;

/// How much of a response body is kept for logs and errors.
const RESPONSE_LOG_LIMIT: usize = 1024;

/// A webhook request ready to send.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    /// GET when the body template is empty, POST otherwise.
    pub method: Method,
    /// The substituted URL with its query re-encoded.
    pub url: Url,
    /// The user's headers plus the Content-Type (unless the user set one).
    pub headers: HeaderMap,
    /// The substituted body ("" for GET).
    pub body: String,
    /// Problems in the settings that did not stop the request (to log as warnings).
    pub warnings: Vec<String>,
}

/// Why a webhook could not be built or was not accepted. URLs in messages are redacted.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No URL is configured.
    #[error("the webhook URL is empty; set it in the webhook settings")]
    NoUrl,
    /// The substituted URL cannot be used.
    #[error(
        "the webhook URL {url} is not a valid http(s) URL ({reason}); fix it in the webhook settings"
    )]
    BadUrl {
        /// The URL, redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request could not be sent or the response not read.
    #[error(
        "calling the webhook {url} failed: {reason}; check the URL and that the server is reachable"
    )]
    Transport {
        /// The URL, redacted.
        url: String,
        /// The error chain, without the URL.
        reason: String,
    },
    /// The server answered with a status of 300 or more.
    #[error("the webhook {url} answered HTTP {status}: {body}")]
    Status {
        /// The URL, redacted.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
}

/// Builds the request for `report`. `lang` picks the result words, `timestamp` is the unix time
/// put in `#{timestamp}`.
pub fn build_request(
    webhook: &Webhook,
    report: &RunReport,
    lang: &str,
    timestamp: i64,
) -> Result<WebhookRequest, WebhookError> {
    if webhook.webhookurl.trim().is_empty() {
        return Err(WebhookError::NoUrl);
    }
    let ipv4_domains = report.ipv4_domains.join(",");
    let ipv6_domains = report.ipv6_domains.join(",");
    let timestamp = timestamp.to_string();
    let vars = [
        ("ipv4Addr", report.ipv4_addr.as_str()),
        ("ipv6Addr", report.ipv6_addr.as_str()),
        ("ipv4Result", report.ipv4_result.label(lang)),
        ("ipv6Result", report.ipv6_result.label(lang)),
        ("ipv4Domains", ipv4_domains.as_str()),
        ("ipv6Domains", ipv6_domains.as_str()),
        ("timestamp", timestamp.as_str()),
    ];
    let mut warnings = Vec::new();

    let raw_url = template::expand(webhook.webhookurl.trim(), &vars);
    let url = reencode_url(&raw_url, &mut warnings);
    let url = Url::parse(&url).map_err(|e| bad_url(&raw_url, e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad_url(
            &raw_url,
            format!("scheme {} is not http or https", url.scheme()),
        ));
    }

    let mut headers = parse_headers(&webhook.webhookheaders, &mut warnings);
    let (method, body) = if webhook.webhookrequestbody.is_empty() {
        (Method::GET, String::new())
    } else {
        let body = template::expand(&webhook.webhookrequestbody, &vars);
        let is_json = serde_json::from_str::<serde::de::IgnoredAny>(&body).is_ok();
        let trimmed = body.trim_start();
        if !is_json && (trimmed.starts_with('{') || trimmed.starts_with('[')) {
            warnings.push("webhook request body is not valid JSON".to_string());
        }
        if !headers.contains_key(CONTENT_TYPE) {
            let ct = if is_json {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            };
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        (Method::POST, body)
    };
    Ok(WebhookRequest {
        method,
        url,
        headers,
        body,
        warnings,
    })
}

/// Sends `req` and returns the start of the response body when the status is below 300.
pub async fn send(client: &reqwest::Client, req: &WebhookRequest) -> Result<String, WebhookError> {
    let url = redact_url(req.url.as_str());
    let transport = |e: reqwest::Error| WebhookError::Transport {
        url: url.clone(),
        reason: error_chain(e),
    };
    let mut builder = client
        .request(req.method.clone(), req.url.clone())
        .headers(req.headers.clone());
    if req.method == Method::POST {
        builder = builder.body(req.body.clone());
    }
    let resp = builder.send().await.map_err(transport)?;
    // One byte more than we keep tells whether the body was cut.
    let (status, body) = crate::http::read_body(resp, RESPONSE_LOG_LIMIT + 1)
        .await
        .map_err(transport)?;
    let body = shorten(body);
    if status < 300 {
        Ok(body)
    } else {
        Err(WebhookError::Status { url, status, body })
    }
}

/// The URL reduced to what is safe to log: scheme, host, port and path, with every path
/// segment that may be a token (it has a digit or is longer than 24 characters) shown as
/// `***`. Telegram, Discord, Slack, Bark and ServerChan all put the secret in the path, so
/// dropping the query alone is not enough.
pub fn redact_url(url: &str) -> String {
    let Ok(u) = Url::parse(url) else {
        return "<invalid URL>".to_string();
    };
    let mut out = format!("{}://{}", u.scheme(), u.host_str().unwrap_or(""));
    if let Some(port) = u.port() {
        out.push_str(&format!(":{port}"));
    }
    match u.path_segments() {
        Some(segments) => {
            for seg in segments {
                out.push('/');
                let secret = seg.len() > 24 || seg.bytes().any(|b| b.is_ascii_digit());
                out.push_str(if secret { "***" } else { seg });
            }
        }
        None => out.push_str("/***"),
    }
    out
}

fn bad_url(raw: &str, reason: String) -> WebhookError {
    WebhookError::BadUrl {
        url: redact_url(raw),
        reason,
    }
}

/// A reqwest error and its causes on one line, without the URL (it may hold a token).
pub(super) fn error_chain(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut out = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Cuts a response body to [`RESPONSE_LOG_LIMIT`] bytes on a character boundary.
fn shorten(mut body: String) -> String {
    if body.len() > RESPONSE_LOG_LIMIT {
        let mut end = RESPONSE_LOG_LIMIT;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
        body.push('…');
    }
    body
}

/// `Key: Value` lines, split at the first `:` and trimmed; blank lines are skipped and bad lines
/// reported by number only (their text may be a credential).
fn parse_headers(text: &str, warnings: &mut Vec<String>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (n, line) in text.split('\n').enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let n = n + 1;
        let Some((key, value)) = line.split_once(':') else {
            warnings.push(format!(
                "webhook header line {n} is invalid (expected \"Key: Value\"); it was skipped"
            ));
            continue;
        };
        let name = HeaderName::from_bytes(key.trim().as_bytes());
        let value = HeaderValue::from_str(value.trim());
        match (name, value) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            (Err(_), _) => warnings.push(format!(
                "webhook header line {n} has an invalid name {:?}; it was skipped",
                key.trim()
            )),
            (_, Err(_)) => warnings.push(format!(
                "webhook header line {n} has a value with control characters; it was skipped"
            )),
        }
    }
    headers
}

/// Re-encodes the query the way ddns-go does (Go's `url.Query().Encode()`): pairs decoded (`+`
/// is a space, as in Go, so every URL that works with ddns-go sends the same bytes here),
/// sorted by key (values of one key keep their order) and percent-encoded again. Pairs Go drops
/// (a `;` in them, or a bad `%` escape) are dropped here too, with a warning.
fn reencode_url(url: &str, warnings: &mut Vec<String>) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let Some((base, query)) = before_fragment.split_once('?') else {
        return url.to_string();
    };
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (idx, part) in query.split('&').enumerate() {
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        match (unescape(k), unescape(v)) {
            (Some(k), Some(v)) if !part.contains(';') => pairs.push((k, v)),
            _ => warnings.push(format!(
                "webhook URL query parameter {} was dropped: it has a ';' or a bad %-escape",
                idx + 1
            )),
        }
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0)); // stable: values of one key keep their order
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect();
    let mut out = base.to_string();
    if !encoded.is_empty() {
        out.push('?');
        out.push_str(&encoded.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte; a malformed escape is an error.
fn unescape(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// Go's `url.QueryEscape`: unreserved bytes kept, space as `+`, all else `%XX` (upper case).
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_reencoding_matches_go() {
        let mut w = Vec::new();
        // Go decodes '+' as a space, so a literal plus must be sent as %2B (as with ddns-go).
        assert_eq!(
            reencode_url("http://h/p?b=2&a=x y%2Bz", &mut w),
            "http://h/p?a=x+y%2Bz&b=2"
        );
        assert_eq!(
            reencode_url("http://h/p?b=2&a=x y+z", &mut w),
            "http://h/p?a=x+y+z&b=2"
        );
        assert_eq!(
            reencode_url("http://h/p?k=2&k=1&a", &mut w),
            "http://h/p?a=&k=2&k=1"
        );
        assert_eq!(
            reencode_url("http://h/p?t=a%2Fb%3D&x=%E4%B8%AD#frag", &mut w),
            "http://h/p?t=a%2Fb%3D&x=%E4%B8%AD#frag"
        );
        assert_eq!(reencode_url("http://h/p?&&", &mut w), "http://h/p");
        assert_eq!(reencode_url("http://h/p", &mut w), "http://h/p");
        assert_eq!(
            reencode_url("http://h/p?d=1.2.3.4,::1&c=~-_.", &mut w),
            "http://h/p?c=~-_.&d=1.2.3.4%2C%3A%3A1"
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            reencode_url("http://h/?a=1;b=2&c=%zz&d=%4&e=ok", &mut w),
            "http://h/?e=ok"
        );
        assert_eq!(w.len(), 3);
        assert!(!w.iter().any(|m| m.contains("zz")), "no values in warnings");
    }

    #[test]
    fn unescape_and_escape_round_trip_bytes() {
        assert_eq!(unescape("a+b%20c%2b"), Some(b"a b c+".to_vec()));
        assert_eq!(unescape("%ff"), Some(vec![0xff]));
        assert_eq!(unescape("%f"), None);
        assert_eq!(unescape("%gg"), None);
        assert_eq!(escape(&[0xff, b' ', b'/', b'a']), "%FF+%2Fa");
    }

    #[test]
    fn redaction_hides_tokens() {
        assert_eq!(
            redact_url("https://api.example.com/hook?token=s3cret"),
            "https://api.example.com/hook"
        );
        assert_eq!(
            redact_url("https://api.telegram.org/bot123456:ABCdef/sendMessage?chat_id=1"),
            "https://api.telegram.org/***/sendMessage"
        );
        assert_eq!(
            redact_url("https://discord.com/api/webhooks/112233/abcdefghijklmnopqrstuvwxyzABCDEF"),
            "https://discord.com/api/webhooks/***/***"
        );
        assert_eq!(
            redact_url("http://user:pw@[::1]:8080/x"),
            "http://[::1]:8080/x"
        );
        assert_eq!(redact_url("not a url"), "<invalid URL>");
    }

    #[test]
    fn shorten_cuts_on_char_boundary() {
        let long = "中".repeat(RESPONSE_LOG_LIMIT);
        let s = shorten(long);
        assert!(s.ends_with('…'));
        assert!(s.len() <= RESPONSE_LOG_LIMIT + '…'.len_utf8());
        assert_eq!(shorten("ok".into()), "ok");
    }
}
