//! A fake Namecheap dynamic DNS endpoint (`GET /update?host&domain&password&ip` as on
//! dynamicdns.park-your-domain.com): one password per domain, hosts that must already exist,
//! XML answers with HTTP 200 whatever happened, a request log and fault injection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use super::p2zone::{Core, full, one, query};

pub const HOST: &str = "dynamicdns.park-your-domain.com";

/// The fake Namecheap service.
pub struct FakeNamecheap {
    passwords: Mutex<HashMap<String, String>>,
    core: Core,
}

fn xml(body: String) -> Response {
    ([("content-type", "text/xml; charset=utf-8")], body).into_response()
}

/// The success answer.
pub fn ok_xml(ip: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<interface-response><Command>SETDNSHOST</Command><Language>eng</Language><IP>{ip}</IP><ErrCount>0</ErrCount><errors /><ResponseCount>0</ResponseCount><responses /><Done>true</Done><debug><![CDATA[]]></debug></interface-response>"
    )
}

/// A failure answer with one error (`msg` is inserted as XML text).
pub fn err_xml(msg: &str, number: u32) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<interface-response><Command>SETDNSHOST</Command><Language>eng</Language><ErrCount>1</ErrCount><errors><Err1>{msg}</Err1></errors><ResponseCount>1</ResponseCount><responses><response><ResponseNumber>{number}</ResponseNumber><ResponseString>Validation error; {msg}</ResponseString></response></responses><Done>true</Done><debug><![CDATA[]]></debug></interface-response>"
    )
}

/// The shared account (zones, records, request log, faults) is reached through the fake.
impl std::ops::Deref for FakeNamecheap {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl FakeNamecheap {
    pub fn new() -> Arc<Self> {
        Arc::new(FakeNamecheap {
            passwords: Mutex::default(),
            core: Core::default(),
        })
    }
    /// Adds a domain with its Dynamic DNS password.
    pub fn add_domain(&self, zone: &str, password: &str) {
        self.core.add_zone(zone);
        self.passwords
            .lock()
            .unwrap()
            .insert(zone.to_string(), password.to_string());
    }
    /// Seeds an "A + Dynamic DNS" host; `name` is the full host name.
    pub fn seed(&self, zone: &str, name: &str, value: &str) -> String {
        self.core.seed(zone, name, "A", value, 60)
    }
    pub fn values(&self, name: &str) -> Vec<String> {
        self.core.values(name, "A")
    }
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        let mut st = match self.core.begin(method, uri, headers, body) {
            Ok(st) => st,
            Err(fault) => return *fault,
        };
        if method != Method::GET || uri.path() != "/update" {
            return xml(err_xml("Invalid request", 304155));
        }
        let q = query(uri);
        let (Some(host), Some(zone), Some(password), Some(ip)) = (
            one(&q, "host"),
            one(&q, "domain"),
            one(&q, "password"),
            one(&q, "ip"),
        ) else {
            return xml(err_xml("Missing or repeated parameter", 304156));
        };
        if !st.has_zone(&zone) {
            return xml(err_xml("Domain name not found", 316153));
        }
        if self.passwords.lock().unwrap().get(&zone) != Some(&password) {
            return xml(err_xml("Passwords do not match", 304156));
        }
        if ip.parse::<std::net::Ipv4Addr>().is_err() {
            return xml(err_xml("Invalid IP", 304156));
        }
        let name = full(&host, &zone);
        let mut found = st.matching_mut(&name, "A");
        if found.is_empty() {
            return xml(err_xml("No Records updated. A record not Found;", 380091));
        }
        for r in found.iter_mut() {
            r.value = ip.clone();
        }
        xml(ok_xml(&ip))
    }
}

async fn handle(
    State(fake): State<Arc<FakeNamecheap>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.answer(&method, &uri, &headers, &body)
}
