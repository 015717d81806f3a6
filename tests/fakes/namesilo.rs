//! A fake NameSilo API (`GET /api/dnsListRecords|dnsAddRecord|dnsUpdateRecord` as on
//! www.namesilo.com): `version=1&type=xml&key=…`, XML replies with `code` 300 on success and
//! HTTP 200 either way, full host names in listings, a new record id on every update, TTL at
//! least 3600, a request log and fault injection.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use super::Seen;
use super::p2zone::{Core, family_ok, full, one, query};

pub const HOST: &str = "www.namesilo.com";

/// The fake NameSilo account.
pub struct FakeNameSilo {
    key: String,
    core: Core,
}

/// A whole answer around `reply` (code, detail and extra elements).
pub fn reply_xml(operation: &str, code: u32, detail: &str, extra: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<namesilo><request><operation>{operation}</operation><ip>127.0.0.1</ip></request><reply><code>{code}</code><detail>{detail}</detail>{extra}</reply></namesilo>"
    )
}

fn xml(body: String) -> Response {
    ([("content-type", "text/xml")], body).into_response()
}

/// The shared account (zones, records, request log, faults) is reached through the fake.
impl std::ops::Deref for FakeNameSilo {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl FakeNameSilo {
    pub fn new(key: &str) -> Arc<Self> {
        Arc::new(FakeNameSilo {
            key: key.into(),
            core: Core::default(),
        })
    }
    /// Seeds a record (TTL 7207, NameSilo's default); `name` is the full host name.
    pub fn seed(&self, zone: &str, name: &str, rtype: &str, value: &str) -> String {
        self.core.seed(zone, name, rtype, value, 7207)
    }
    /// The operation (path after `/api/`) of every request.
    pub fn operations(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|s| {
                let p = s.uri.split('?').next().unwrap_or("");
                p.trim_start_matches("/api/").to_string()
            })
            .collect()
    }
    pub fn writes(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| !s.uri.starts_with("/api/dnsListRecords"))
            .collect()
    }
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        let mut st = match self.core.begin(method, uri, headers, body) {
            Ok(st) => st,
            Err(fault) => return *fault,
        };
        let op = uri.path().strip_prefix("/api/").unwrap_or("").to_string();
        let q = query(uri);
        let get = |k: &str| one(&q, k);
        if get("version").as_deref() != Some("1") {
            return xml(reply_xml(&op, 103, "Invalid API version", ""));
        }
        if get("type").as_deref() != Some("xml") {
            return xml(reply_xml(&op, 105, "Invalid API type", ""));
        }
        match get("key") {
            None => return xml(reply_xml(&op, 109, "No API key specified", "")),
            Some(k) if k != self.key => return xml(reply_xml(&op, 110, "Invalid API Key", "")),
            Some(_) => {}
        }
        if !matches!(
            op.as_str(),
            "dnsListRecords" | "dnsAddRecord" | "dnsUpdateRecord"
        ) {
            return xml(reply_xml(&op, 107, "Invalid API operation", ""));
        }
        let zone = get("domain").unwrap_or_default();
        if !st.has_zone(&zone) {
            return xml(reply_xml(
                &op,
                200,
                "Domain is not active, or does not belong to this user",
                "",
            ));
        }
        if op == "dnsListRecords" {
            let rows: String = st
                .records
                .iter()
                .filter(|r| r.zone == zone)
                .map(|r| {
                    format!(
                        "<resource_record><record_id>{}</record_id><type>{}</type><host>{}</host><value>{}</value><ttl>{}</ttl><distance>0</distance></resource_record>",
                        r.id, r.rtype, r.name, r.value, r.ttl
                    )
                })
                .collect();
            return xml(reply_xml(&op, 300, "success", &rows));
        }
        let (Some(host), Some(value)) = (get("rrhost"), get("rrvalue")) else {
            return xml(reply_xml(&op, 108, "Missing parameters", ""));
        };
        let ttl = match get("rrttl").map(|t| t.parse::<u32>()) {
            None => 7207,
            Some(Ok(t)) if (3600..=2_592_000).contains(&t) => t,
            _ => {
                return xml(reply_xml(
                    &op,
                    280,
                    "DNS modification error: TTL must be at least 3600",
                    "",
                ));
            }
        };
        let name = full(&host, &zone);
        let id = if op == "dnsAddRecord" {
            let rtype = get("rrtype").unwrap_or_default();
            if !family_ok(&rtype, &value) {
                return xml(reply_xml(
                    &op,
                    280,
                    "DNS modification error: invalid value",
                    "",
                ));
            }
            st.add(&zone, &name, &rtype, &value, ttl)
        } else {
            let rrid = get("rrid").unwrap_or_default();
            let Some(pos) = st
                .records
                .iter()
                .position(|r| r.id == rrid && r.zone == zone)
            else {
                return xml(reply_xml(
                    &op,
                    280,
                    "DNS modification error: invalid rrid",
                    "",
                ));
            };
            if !family_ok(&st.records[pos].rtype, &value) {
                return xml(reply_xml(
                    &op,
                    280,
                    "DNS modification error: invalid value",
                    "",
                ));
            }
            // NameSilo gives the record a new id on every update.
            let new_id = st.new_id();
            let r = &mut st.records[pos];
            r.id = new_id.clone();
            r.name = name;
            r.value = value;
            r.ttl = ttl;
            new_id
        };
        xml(reply_xml(
            &op,
            300,
            "success",
            &format!("<record_id>{id}</record_id>"),
        ))
    }
}

async fn handle(
    State(fake): State<Arc<FakeNameSilo>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
