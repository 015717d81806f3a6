//! Legacy DNSPod token API (`dns.name: dnspod`, `https://dnsapi.cn`): form POSTs to
//! `Record.List`, `Record.Create` and `Record.Modify` with `login_token=<id>,<token>`.
//!
//! Every custom param is copied into every call (e.g. `record_line=电信`); `record_id` picks a
//! record when the name has several. Answers are HTTP 200 with a string `status.code` inside.

use std::net::IpAddr;

use serde_json::Value;

use super::{
    BoxFut, Existing, Lookup, Plan, Provider, ProviderError, ProviderSettings, RecordType,
    default_plan,
};
use crate::config::Domain;

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "dnspod",
    name: "DNSPod (token API)",
    id_label: "ID",
    secret_label: "Token",
    extparam_label: "",
    help_url: "https://console.dnspod.cn/account/token/token",
    help: "An API token of the account. Params: record_line, record_id.",
    default_ttl: "600",
    change_only: false,
};

const PRODUCTION: &str = "https://dnsapi.cn";
const DEFAULT_TTL: u32 = 600;
/// The line (ISP route) records are written to unless the `record_line` param says otherwise.
const DEFAULT_LINE: &str = "默认";
/// DNSPod bans clients that send no or a browser-like User-Agent; its rules ask for
/// `Program/Version (contact)`.
const USER_AGENT: &str = if env!("CARGO_PKG_REPOSITORY").is_empty() {
    concat!(
        "ddns-rs/",
        env!("CARGO_PKG_VERSION"),
        " (ddns-rs dynamic DNS client)"
    )
} else {
    concat!(
        "ddns-rs/",
        env!("CARGO_PKG_VERSION"),
        " (",
        env!("CARGO_PKG_REPOSITORY"),
        ")"
    )
};

/// A DNSPod account reached with an API token (`id` = token ID, `secret` = token).
pub struct Dnspod {
    s: ProviderSettings,
}

impl Dnspod {
    /// Builds the provider from its settings.
    pub fn new(s: ProviderSettings) -> Self {
        Dnspod { s }
    }

    /// Posts `action` with the custom params, then `fields` and the credentials on top (so a
    /// param cannot override what the call itself needs). Returns the decoded answer when
    /// `status.code` is "1" or one of `tolerated`.
    async fn call(
        &self,
        action: &str,
        domain: &Domain,
        fields: &[(&str, &str)],
        tolerated: &[&str],
    ) -> Result<(String, Value), ProviderError> {
        let login = format!("{},{}", self.s.id, self.s.secret);
        let mut form: Vec<(&str, &str)> = Vec::new();
        let fixed = [("login_token", login.as_str()), ("format", "json")];
        for (k, v) in domain.params.iter().map(|(k, v)| (k.as_str(), v.as_str())) {
            if !fixed.iter().chain(fields).any(|(f, _)| *f == k) {
                form.push((k, v));
            }
        }
        form.extend_from_slice(&fixed);
        form.extend_from_slice(fields);
        let url = format!("{}/{action}", self.s.base(PRODUCTION));
        let req = self
            .s
            .http
            .post(url)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .form(&form);
        decode(action, super::send(req).await?, tolerated, &domain.root)
    }

    /// Creates or modifies one record; `record_id` is `None` for a create.
    async fn write(
        &self,
        domain: &Domain,
        rtype: RecordType,
        addr: IpAddr,
        record_id: Option<&str>,
    ) -> Result<(), ProviderError> {
        let value = addr.to_string();
        let ttl = self.s.ttl_or(DEFAULT_TTL).to_string();
        let line = domain.param("record_line").unwrap_or(DEFAULT_LINE);
        let mut fields = vec![
            ("domain", domain.root.as_str()),
            ("sub_domain", domain.sub_or_at()),
            ("record_type", rtype.as_str()),
            ("value", value.as_str()),
            ("ttl", ttl.as_str()),
            ("record_line", line),
        ];
        let action = match record_id {
            Some(id) => {
                fields.push(("record_id", id));
                "Record.Modify"
            }
            None => "Record.Create",
        };
        self.call(action, domain, &fields, &[]).await.map(|_| ())
    }
}

impl Provider for Dnspod {
    fn key(&self) -> &'static str {
        "dnspod"
    }

    fn lookup<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
    ) -> BoxFut<'a, Result<Lookup, ProviderError>> {
        Box::pin(async move {
            let fields = [
                ("domain", domain.root.as_str()),
                ("record_type", rtype.as_str()),
                ("sub_domain", domain.sub_or_at()),
            ];
            // Code 10 is "no records": the name simply does not exist yet.
            let (code, v) = self.call("Record.List", domain, &fields, &["10"]).await?;
            let records = read_records(&code, &v)?;
            Ok(Lookup::Found {
                zone: None,
                records,
            })
        })
    }

    fn plan(&self, domain: &Domain, lookup: &Lookup, addr: IpAddr) -> Plan {
        default_plan(domain, lookup, addr, "record_id")
    }

    fn apply<'a>(
        &'a self,
        domain: &'a Domain,
        rtype: RecordType,
        _lookup: &'a Lookup,
        plan: &'a Plan,
        addr: IpAddr,
    ) -> BoxFut<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            match plan {
                Plan::NoChange { .. } => Ok(()),
                Plan::Create | Plan::Write => self.write(domain, rtype, addr, None).await,
                Plan::Update { records } => {
                    for r in records {
                        self.write(domain, rtype, addr, Some(&r.id)).await?;
                    }
                    Ok(())
                }
            }
        })
    }
}

/// The code and JSON of an answer whose `status.code` is "1" or one of `tolerated`, or the
/// error the answer carries.
pub(super) fn decode(
    action: &str,
    answer: super::Answer,
    tolerated: &[&str],
    root: &str,
) -> Result<(String, Value), ProviderError> {
    let super::Answer { status, body, .. } = answer;
    if status >= 300 {
        return Err(ProviderError::Api(format!(
            "DNSPod {action} answered HTTP {status}: {}",
            super::truncate(&body, 300)
        )));
    }
    let v: Value = serde_json::from_str(&body).map_err(|_| {
        ProviderError::Api(format!(
            "DNSPod {action} answered something that is not JSON: {}",
            super::truncate(&body, 300)
        ))
    })?;
    let code = text(&v["status"]["code"]);
    if code == "1" || tolerated.contains(&code.as_str()) {
        return Ok((code, v));
    }
    Err(classify(
        action,
        &code,
        &text(&v["status"]["message"]),
        root,
    ))
}

/// The records of a `Record.List` answer (none for code 10, "no records"). A success without
/// a record list is an error: read as "no records" it would make the engine create a second
/// record next to the existing one.
pub(super) fn read_records(code: &str, v: &Value) -> Result<Vec<Existing>, ProviderError> {
    if code != "1" {
        return Ok(Vec::new());
    }
    let Some(list) = v["records"].as_array() else {
        return Err(ProviderError::Api(format!(
            "DNSPod Record.List answered success without a record list: {}",
            super::truncate(&v.to_string(), 300)
        )));
    };
    Ok(list
        .iter()
        .map(|r| Existing {
            id: text(&r["id"]),
            value: text(&r["value"]),
            ttl: text(&r["ttl"]).parse().ok(),
            proxied: None,
        })
        .collect())
}

/// DNSPod sends codes and ids as strings, but tolerate numbers.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Maps a `status.code` other than success to a [`ProviderError`].
fn classify(action: &str, code: &str, message: &str, root: &str) -> ProviderError {
    let detail = format!("DNSPod {action} code {code}: {message}");
    match code {
        "-1" => ProviderError::Auth(detail),
        "-8" => ProviderError::Auth(format!(
            "{detail}; the account is temporarily banned from the API after too many failed \
             logins, wait before retrying with the correct token"
        )),
        "-2" => ProviderError::RateLimited {
            retry_after: None,
            msg: detail,
        },
        "6" => ProviderError::ZoneNotFound(root.to_string()),
        "7" => ProviderError::Permission(detail),
        _ => ProviderError::Api(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_is_program_version_contact() {
        assert!(USER_AGENT.starts_with(concat!("ddns-rs/", env!("CARGO_PKG_VERSION"), " (")));
        assert!(USER_AGENT.ends_with(')'));
        assert!(!USER_AGENT.contains("Mozilla"));
    }

    #[test]
    fn a_success_without_a_record_list_is_an_error() {
        let v: Value = serde_json::from_str(r#"{"status":{"code":"1","message":"ok"}}"#).unwrap();
        assert!(matches!(read_records("1", &v), Err(ProviderError::Api(_))));
        let v: Value = serde_json::from_str(r#"{"status":{"code":"10"}}"#).unwrap();
        assert!(read_records("10", &v).unwrap().is_empty());
        let v: Value = serde_json::from_str(
            r#"{"status":{"code":"1"},"records":[{"id":7,"value":"192.0.2.1","ttl":"600"}]}"#,
        )
        .unwrap();
        let r = read_records("1", &v).unwrap();
        assert_eq!(
            (r[0].id.as_str(), r[0].value.as_str(), r[0].ttl),
            ("7", "192.0.2.1", Some(600))
        );
    }

    #[test]
    fn codes_are_classified() {
        assert!(matches!(
            classify("Record.List", "-1", "Login failed", "example.com"),
            ProviderError::Auth(_)
        ));
        assert!(
            matches!(classify("Record.List", "-8", "x", "example.com"), ProviderError::Auth(m) if m.contains("banned"))
        );
        assert!(matches!(
            classify("Record.List", "-2", "limit", "example.com"),
            ProviderError::RateLimited {
                retry_after: None,
                ..
            }
        ));
        assert!(matches!(
            classify("Record.List", "6", "x", "example.com"),
            ProviderError::ZoneNotFound(_)
        ));
        assert!(matches!(
            classify("Record.List", "7", "x", "example.com"),
            ProviderError::Permission(_)
        ));
        assert!(
            matches!(classify("Record.Create", "29", "TTL too small", "example.com"), ProviderError::Api(m) if m.contains("code 29: TTL too small"))
        );
    }
}
