//! Ready-made notification channels: each service's request format, built without I/O
//! ([`build`]), then sent and its answer judged ([`send`]). Several group-bot APIs answer HTTP
//! 200 with an error code in the body, so the body is checked too.
//!
//! Tokens stay out of logs and errors: URLs are shown through [`redact_url`], Gotify's token
//! goes in a header, and the message text never holds a credential.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::message::{Events, Message};
use super::redact_url;
use super::sign::{dingtalk_sign, feishu_sign};
use crate::config::NotifyChannel;

/// How much of a response body is kept for errors.
const RESPONSE_LIMIT: usize = 512;
/// Discord refuses a `content` longer than this many characters.
const DISCORD_MAX: usize = 2000;
/// Telegram refuses a `text` longer than this many characters.
const TELEGRAM_MAX: usize = 4096;

/// The services a channel can talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bot API `sendMessage`.
    Telegram,
    /// Channel webhook.
    Discord,
    /// Incoming webhook.
    Slack,
    /// Group robot webhook, optionally signed.
    DingTalk,
    /// Feishu/Lark bot webhook, optionally signed.
    Feishu,
    /// WeCom (WeChat Work) group robot webhook.
    WeCom,
    /// Bark iOS push.
    Bark,
    /// ServerChan (Server酱) Turbo.
    ServerChan,
    /// ntfy topic.
    Ntfy,
    /// Gotify application.
    Gotify,
}

/// Every accepted `type`, for messages and the web page.
pub const KINDS: &[&str] = &[
    "telegram",
    "discord",
    "slack",
    "dingtalk",
    "feishu",
    "lark",
    "wecom",
    "bark",
    "serverchan",
    "ntfy",
    "gotify",
];

impl Kind {
    /// The kind named by a config `type` (case-insensitive; `lark` is Feishu's international
    /// name, `wework` an old name of WeCom).
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "telegram" => Kind::Telegram,
            "discord" => Kind::Discord,
            "slack" => Kind::Slack,
            "dingtalk" => Kind::DingTalk,
            "feishu" | "lark" => Kind::Feishu,
            "wecom" | "wework" => Kind::WeCom,
            "bark" => Kind::Bark,
            "serverchan" => Kind::ServerChan,
            "ntfy" => Kind::Ntfy,
            "gotify" => Kind::Gotify,
            _ => return None,
        })
    }

    /// The canonical config name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Telegram => "telegram",
            Kind::Discord => "discord",
            Kind::Slack => "slack",
            Kind::DingTalk => "dingtalk",
            Kind::Feishu => "feishu",
            Kind::WeCom => "wecom",
            Kind::Bark => "bark",
            Kind::ServerChan => "serverchan",
            Kind::Ntfy => "ntfy",
            Kind::Gotify => "gotify",
        }
    }
}

/// Why a channel could not be used or its service refused the message. URLs are redacted.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// `type` names no known service.
    #[error("unknown notification type {0:?}; use one of: {list}", list = KINDS.join(", "))]
    UnknownType(String),
    /// An `events` item is not an event.
    #[error("unknown notification event {0:?}; use success, failure or recovery")]
    UnknownEvent(String),
    /// A field the service needs is empty.
    #[error("the {kind} notification needs `{field}`; set it in the notification settings")]
    Missing {
        /// Channel type.
        kind: &'static str,
        /// The config field.
        field: &'static str,
    },
    /// The URL cannot be used.
    #[error(
        "the {kind} notification URL {url} is not a valid http(s) URL; fix it in the notification settings"
    )]
    BadUrl {
        /// Channel type.
        kind: &'static str,
        /// The URL, redacted.
        url: String,
    },
    /// The request could not be sent or the answer not read.
    #[error(
        "sending the {kind} notification to {url} failed: {reason}; check the URL and that the server is reachable"
    )]
    Transport {
        /// Channel type.
        kind: &'static str,
        /// The URL, redacted.
        url: String,
        /// The error chain, without the URL.
        reason: String,
    },
    /// The service answered with an error.
    #[error("the {kind} notification to {url} was refused (HTTP {status}): {body}")]
    Refused {
        /// Channel type.
        kind: &'static str,
        /// The URL, redacted.
        url: String,
        /// HTTP status.
        status: u16,
        /// The start of the answer.
        body: String,
    },
}

/// A channel request ready to send.
#[derive(Debug, Clone)]
pub struct ChannelRequest {
    /// Which service.
    pub kind: Kind,
    /// Always POST today; kept explicit for tests.
    pub method: Method,
    /// Where to send it.
    pub url: Url,
    /// Content-Type and any authentication header.
    pub headers: HeaderMap,
    /// The body bytes (JSON, or a form for ServerChan).
    pub body: String,
}

/// The events a channel asked for (empty list = all three).
pub fn wanted_events(ch: &NotifyChannel) -> Result<Events, NotifyError> {
    if ch.events.iter().all(|e| e.trim().is_empty()) {
        return Ok(Events {
            success: true,
            failure: true,
            recovery: true,
        });
    }
    let mut ev = Events::default();
    for e in ch.events.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        match e.to_ascii_lowercase().as_str() {
            "success" => ev.success = true,
            "failure" => ev.failure = true,
            "recovery" => ev.recovery = true,
            _ => return Err(NotifyError::UnknownEvent(e.to_string())),
        }
    }
    Ok(ev)
}

/// Checks what can be checked without sending: the type, the events and the required fields.
pub fn validate(ch: &NotifyChannel) -> Result<(), NotifyError> {
    wanted_events(ch)?;
    let msg = Message {
        title: String::new(),
        body: String::new(),
    };
    build(ch, &msg, 0).map(|_| ())
}

fn need<'a>(kind: Kind, field: &'static str, value: &'a str) -> Result<&'a str, NotifyError> {
    let v = value.trim();
    if v.is_empty() {
        Err(NotifyError::Missing {
            kind: kind.name(),
            field,
        })
    } else {
        Ok(v)
    }
}

/// The user's base URL without a trailing slash, or the public service's.
fn base<'a>(ch: &'a NotifyChannel, default: &'a str) -> &'a str {
    let u = ch.url.trim();
    if u.is_empty() {
        default
    } else {
        u.trim_end_matches('/')
    }
}

fn parse_url(kind: Kind, raw: &str) -> Result<Url, NotifyError> {
    match Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => Err(NotifyError::BadUrl {
            kind: kind.name(),
            url: redact_url(raw),
        }),
    }
}

/// A path segment (token, topic) percent-encoded so it cannot change the URL's structure.
fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// At most `max` characters, the last one an ellipsis when cut.
fn cut_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let end = s
        .char_indices()
        .nth(max.saturating_sub(1))
        .map_or(s.len(), |(i, _)| i);
    format!("{}…", &s[..end])
}

/// Builds the request for `msg`. `now_ms` is the unix time in milliseconds used for signing.
pub fn build(
    ch: &NotifyChannel,
    msg: &Message,
    now_ms: i64,
) -> Result<ChannelRequest, NotifyError> {
    let kind = Kind::parse(&ch.kind).ok_or_else(|| NotifyError::UnknownType(ch.kind.clone()))?;
    let text = msg.text();
    let mut headers = HeaderMap::new();
    let json_ct = HeaderValue::from_static("application/json; charset=utf-8");
    let (url, body) = match kind {
        Kind::Telegram => {
            let token = need(kind, "token", &ch.token)?;
            let chat = need(kind, "to", &ch.to)?;
            let url = format!(
                "{}/bot{token}/sendMessage",
                base(ch, "https://api.telegram.org")
            );
            let body = json!({
                "chat_id": chat,
                "text": cut_chars(&text, TELEGRAM_MAX),
                "disable_web_page_preview": true,
            });
            (url, body.to_string())
        }
        Kind::Discord => {
            let url = need(kind, "url", &ch.url)?.to_string();
            let body = json!({"content": cut_chars(&text, DISCORD_MAX)});
            (url, body.to_string())
        }
        Kind::Slack => {
            let url = need(kind, "url", &ch.url)?.to_string();
            (url, json!({"text": text}).to_string())
        }
        Kind::DingTalk => {
            let mut url = match ch.url.trim() {
                "" => format!(
                    "https://oapi.dingtalk.com/robot/send?access_token={}",
                    seg(need(kind, "url", &ch.token)?)
                ),
                u => u.to_string(),
            };
            let secret = ch.secret.trim();
            if !secret.is_empty() {
                let sign = dingtalk_sign(now_ms, secret);
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!("{url}{sep}timestamp={now_ms}&sign={}", seg(&sign));
            }
            let body = json!({"msgtype": "text", "text": {"content": text}});
            (url, body.to_string())
        }
        Kind::Feishu => {
            let url = match ch.url.trim() {
                "" => format!(
                    "https://open.feishu.cn/open-apis/bot/v2/hook/{}",
                    seg(need(kind, "url", &ch.token)?)
                ),
                u => u.to_string(),
            };
            let mut body = json!({"msg_type": "text", "content": {"text": text}});
            let secret = ch.secret.trim();
            if !secret.is_empty() {
                let ts = now_ms.div_euclid(1000);
                body["timestamp"] = Value::String(ts.to_string());
                body["sign"] = Value::String(feishu_sign(ts, secret));
            }
            (url, body.to_string())
        }
        Kind::WeCom => {
            let url = match ch.url.trim() {
                "" => format!(
                    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={}",
                    seg(need(kind, "url", &ch.token)?)
                ),
                u => u.to_string(),
            };
            let body = json!({"msgtype": "text", "text": {"content": text}});
            (url, body.to_string())
        }
        Kind::Bark => {
            let key = need(kind, "token", &ch.token)?;
            let url = format!("{}/push", base(ch, "https://api.day.app"));
            let body = json!({
                "device_key": key, "title": msg.title, "body": msg.body, "group": "ddns-rs",
            });
            (url, body.to_string())
        }
        Kind::ServerChan => {
            let key = need(kind, "token", &ch.token)?;
            let url = format!("{}/{}.send", serverchan_base(ch, key), seg(key));
            let body = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("title", &msg.title)
                .append_pair("desp", &msg.body)
                .finish();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            (url, body)
        }
        Kind::Ntfy => {
            let topic = need(kind, "to", &ch.to)?;
            // JSON publishing (POST to the root) carries a UTF-8 title, which a header cannot.
            let url = format!("{}/", base(ch, "https://ntfy.sh"));
            if !ch.token.trim().is_empty() {
                headers.insert(AUTHORIZATION, bearer(kind, ch.token.trim())?);
            }
            let body = json!({"topic": topic, "title": msg.title, "message": msg.body});
            (url, body.to_string())
        }
        Kind::Gotify => {
            let server = need(kind, "url", &ch.url)?.trim_end_matches('/');
            let token = need(kind, "token", &ch.token)?;
            let value = HeaderValue::from_str(token).map_err(|_| NotifyError::Missing {
                kind: kind.name(),
                field: "token",
            })?;
            headers.insert(HeaderName::from_static("x-gotify-key"), value);
            let body = json!({"title": msg.title, "message": msg.body, "priority": 5});
            (format!("{server}/message"), body.to_string())
        }
    };
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, json_ct);
    }
    Ok(ChannelRequest {
        kind,
        method: Method::POST,
        url: parse_url(kind, &url)?,
        headers,
        body,
    })
}

fn bearer(kind: Kind, token: &str) -> Result<HeaderValue, NotifyError> {
    let mut v =
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| NotifyError::Missing {
            kind: kind.name(),
            field: "token",
        })?;
    v.set_sensitive(true);
    Ok(v)
}

/// ServerChan³ keys (`sctp<uid>t…`) have their own host; Turbo keys use sctapi.
fn serverchan_base(ch: &NotifyChannel, key: &str) -> String {
    if !ch.url.trim().is_empty() {
        return ch.url.trim().trim_end_matches('/').to_string();
    }
    if let Some(rest) = key.strip_prefix("sctp")
        && let Some(end) = rest.find('t')
        && end > 0
        && rest[..end].bytes().all(|b| b.is_ascii_digit())
    {
        return format!("https://{}.push.ft07.com/send", &rest[..end]);
    }
    "https://sctapi.ftqq.com".to_string()
}

/// Whether a 2xx answer really means "sent": group-bot APIs report errors in the body.
fn accepted(kind: Kind, body: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        // Discord (204, empty), Slack ("ok") and ntfy answer without a code to check.
        return !matches!(
            kind,
            Kind::DingTalk | Kind::WeCom | Kind::ServerChan | Kind::Feishu
        );
    };
    let int = |k: &str| v.get(k).and_then(Value::as_i64);
    match kind {
        Kind::DingTalk | Kind::WeCom => int("errcode") == Some(0),
        Kind::ServerChan => int("code") == Some(0),
        // Newer answers carry `code`, older ones `StatusCode`.
        Kind::Feishu => int("code").or_else(|| int("StatusCode")) == Some(0),
        Kind::Telegram => v.get("ok").and_then(Value::as_bool) != Some(false),
        Kind::Bark => int("code").is_none_or(|c| c == 200),
        _ => true,
    }
}

/// Sends `req`; Ok when the service accepted the message.
pub async fn send(client: &reqwest::Client, req: &ChannelRequest) -> Result<(), NotifyError> {
    let kind = req.kind.name();
    let url = redact_url(req.url.as_str());
    let transport = |e: reqwest::Error| NotifyError::Transport {
        kind,
        url: url.clone(),
        reason: super::webhook::error_chain(e),
    };
    let resp = client
        .request(req.method.clone(), req.url.clone())
        .headers(req.headers.clone())
        .body(req.body.clone())
        .send()
        .await
        .map_err(transport)?;
    let (status, body) = crate::http::read_body(resp, RESPONSE_LIMIT)
        .await
        .map_err(transport)?;
    if status < 300 && accepted(req.kind, &body) {
        Ok(())
    } else {
        Err(NotifyError::Refused {
            kind,
            url,
            status,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(kind: &str) -> NotifyChannel {
        NotifyChannel {
            kind: kind.into(),
            ..NotifyChannel::default()
        }
    }

    #[test]
    fn kinds_parse_and_name() {
        for k in KINDS {
            let kind = Kind::parse(k).unwrap();
            assert_eq!(Kind::parse(kind.name()), Some(kind));
        }
        assert_eq!(Kind::parse(" Lark "), Some(Kind::Feishu));
        assert_eq!(Kind::parse("email"), None);
    }

    #[test]
    fn events_default_to_all_and_reject_typos() {
        let all = wanted_events(&ch("slack")).unwrap();
        assert!(all.success && all.failure && all.recovery);
        let mut c = ch("slack");
        c.events = vec!["Failure".into()];
        assert_eq!(
            wanted_events(&c).unwrap(),
            Events {
                failure: true,
                ..Events::default()
            }
        );
        c.events = vec!["failed".into()];
        assert!(matches!(
            wanted_events(&c),
            Err(NotifyError::UnknownEvent(_))
        ));
    }

    #[test]
    fn validation_names_the_missing_field() {
        let err = validate(&ch("telegram")).unwrap_err().to_string();
        assert!(err.contains("`token`"), "{err}");
        let mut c = ch("telegram");
        c.token = "1:a".into();
        assert!(validate(&c).unwrap_err().to_string().contains("`to`"));
        c.to = "42".into();
        assert!(validate(&c).is_ok());
        assert!(matches!(
            validate(&ch("pager")),
            Err(NotifyError::UnknownType(_))
        ));
        let mut g = ch("gotify");
        g.url = "not a url".into();
        g.token = "t".into();
        assert!(matches!(validate(&g), Err(NotifyError::BadUrl { .. })));
    }

    #[test]
    fn public_urls_when_no_override() {
        let m = Message {
            title: "t".into(),
            body: "b".into(),
        };
        let mut c = ch("serverchan");
        c.token = "SCT123abc".into();
        assert_eq!(
            build(&c, &m, 0).unwrap().url.as_str(),
            "https://sctapi.ftqq.com/SCT123abc.send"
        );
        c.token = "sctp42tXYZ".into();
        assert_eq!(
            build(&c, &m, 0).unwrap().url.as_str(),
            "https://42.push.ft07.com/send/sctp42tXYZ.send"
        );
        let mut d = ch("dingtalk");
        d.token = "abc".into();
        assert_eq!(
            build(&d, &m, 0).unwrap().url.as_str(),
            "https://oapi.dingtalk.com/robot/send?access_token=abc"
        );
        let mut t = ch("telegram");
        t.token = "1:a".into();
        t.to = "@chan".into();
        assert_eq!(
            build(&t, &m, 0).unwrap().url.as_str(),
            "https://api.telegram.org/bot1:a/sendMessage"
        );
    }

    #[test]
    fn answers_are_judged_per_service() {
        assert!(accepted(Kind::DingTalk, r#"{"errcode":0,"errmsg":"ok"}"#));
        assert!(!accepted(
            Kind::DingTalk,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#
        ));
        assert!(!accepted(Kind::WeCom, "oops"));
        assert!(accepted(Kind::Feishu, r#"{"StatusCode":0}"#));
        assert!(!accepted(
            Kind::Feishu,
            r#"{"code":19021,"msg":"sign match fail"}"#
        ));
        assert!(!accepted(Kind::Telegram, r#"{"ok":false}"#));
        assert!(accepted(Kind::Discord, ""));
        assert!(accepted(Kind::Slack, "ok"));
        assert!(!accepted(Kind::Bark, r#"{"code":400}"#));
    }

    #[test]
    fn long_text_is_cut_on_characters() {
        assert_eq!(cut_chars("abc", 3), "abc");
        assert_eq!(cut_chars("abcd", 3), "ab…");
        assert_eq!(cut_chars("中文字符", 3), "中文…");
    }
}
