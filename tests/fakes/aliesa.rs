//! A fake Aliyun ESA API (`https://esa.cn-hangzhou.aliyuncs.com/`, RPC style, version
//! 2024-09-10).
//!
//! Like the real service it recomputes the RPC v1 HMAC-SHA1 signature of every request from the
//! documented algorithm (independently of the client's signer), for GET and for POST with
//! everything in the query; rejects unknown AccessKeyIds, bad signatures, timestamps more than
//! 15 minutes off and reused nonces with Aliyun's error bodies; and serves `ListSites`,
//! `ListRecords`, `CreateRecord` and `UpdateRecord` from an in-memory account where addresses
//! live in `A/AAAA` records with `Data={"Value":…}`.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use super::Seen;
use super::p1_common::{self as c, Faults};

/// The production host name.
pub const HOST: &str = "esa.cn-hangzhou.aliyuncs.com";

/// One ESA record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsaRecord {
    /// RecordId.
    pub id: u64,
    /// Site id.
    pub site_id: u64,
    /// Full name (`www.example.com`).
    pub name: String,
    /// Record type (`A/AAAA`, `CNAME`, …).
    pub rtype: String,
    /// `Data.Value`.
    pub value: String,
    /// TTL.
    pub ttl: u64,
    /// Proxied flag.
    pub proxied: bool,
    /// Every query parameter of the request that created it (for assertions).
    pub created_with: BTreeMap<String, String>,
}

#[derive(Default)]
struct Inner {
    sites: Vec<(u64, String, String)>,
    records: Vec<EsaRecord>,
    pools: Vec<(u64, u64, String, Vec<Value>)>,
    seen: Vec<Seen>,
    nonces: HashSet<String>,
    faults: Faults,
    next_id: u64,
}

/// The fake service.
pub struct FakeEsa {
    key_id: String,
    secret: String,
    inner: Mutex<Inner>,
}

type Answer = (u16, Value);

fn error(status: u16, code: &str, message: &str) -> Answer {
    (
        status,
        json!({"RequestId": "FAKE-REQ", "HostId": HOST, "Code": code, "Message": message}),
    )
}

impl FakeEsa {
    /// A fake accepting `key_id`/`secret`.
    pub fn new(key_id: &str, secret: &str) -> Arc<Self> {
        let inner = Inner {
            next_id: 7_000_000_000,
            ..Default::default()
        };
        Arc::new(FakeEsa {
            key_id: key_id.into(),
            secret: secret.into(),
            inner: Mutex::new(inner),
        })
    }

    /// The router.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Adds a site with access type `NS` or `CNAME`; returns its id.
    pub fn add_site(&self, name: &str, access: &str) -> u64 {
        let mut s = self.inner.lock().unwrap();
        if let Some((id, ..)) = s.sites.iter().find(|(_, n, _)| n == name) {
            return *id;
        }
        s.next_id += 1;
        let id = s.next_id;
        s.sites.push((id, name.into(), access.into()));
        id
    }

    /// Seeds an `A/AAAA` record (adding an NS site); returns its id.
    pub fn add_record(&self, site: &str, name: &str, value: &str) -> u64 {
        let site_id = self.add_site(site, "NS");
        let mut s = self.inner.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        s.records.push(EsaRecord {
            id,
            site_id,
            name: name.into(),
            rtype: "A/AAAA".into(),
            value: value.into(),
            ttl: 600,
            proxied: false,
            created_with: BTreeMap::new(),
        });
        id
    }

    /// Adds origin pool `name` to site `site` with origins `(name, address)`; returns its id.
    pub fn add_pool(&self, site: &str, name: &str, origins: &[(&str, &str)]) -> u64 {
        let site_id = self.add_site(site, "NS");
        let mut s = self.inner.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        let list = origins
            .iter()
            .enumerate()
            .map(|(i, (n, a))| {
                json!({"Id": id * 10 + i as u64, "Name": n, "Address": a, "Type": "ip_domain",
                       "Weight": 50, "Enabled": true, "Header": {}})
            })
            .collect();
        s.pools.push((id, site_id, name.into(), list));
        id
    }

    /// The origins of pool `id`.
    pub fn pool_origins(&self, id: u64) -> Vec<Value> {
        let s = self.inner.lock().unwrap();
        s.pools
            .iter()
            .find(|p| p.0 == id)
            .map(|p| p.3.clone())
            .unwrap_or_default()
    }

    /// Every record.
    pub fn records(&self) -> Vec<EsaRecord> {
        self.inner.lock().unwrap().records.clone()
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// The decoded query of request `i`.
    pub fn query(&self, i: usize) -> BTreeMap<String, String> {
        let s = &self.seen()[i];
        c::query_pairs(s.uri.split_once('?').map(|x| x.1).unwrap_or(""))
            .into_iter()
            .collect()
    }

    /// The `Action` of every request, in order.
    pub fn actions(&self) -> Vec<String> {
        (0..self.seen().len())
            .map(|i| self.query(i).get("Action").cloned().unwrap_or_default())
            .collect()
    }

    /// Makes the next authenticated request fail.
    pub fn fail_next(&self, status: u16, code: &str, message: &str, retry_after: Option<u64>) {
        self.inner
            .lock()
            .unwrap()
            .faults
            .push(status, code, message, retry_after);
    }

    fn authenticate(
        &self,
        s: &mut Inner,
        method: &str,
        q: &BTreeMap<String, String>,
    ) -> Result<(), Answer> {
        if q.get("Version").map(String::as_str) != Some("2024-09-10") {
            return Err(error(
                400,
                "InvalidVersion",
                "Specified parameter Version is not valid.",
            ));
        }
        if q.get("SignatureMethod").map(String::as_str) != Some("HMAC-SHA1")
            || q.get("SignatureVersion").map(String::as_str) != Some("1.0")
        {
            return Err(error(
                400,
                "InvalidParameter",
                "Signature method or version is invalid.",
            ));
        }
        if q.get("AccessKeyId") != Some(&self.key_id) {
            return Err(error(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            ));
        }
        let ts = q.get("Timestamp").and_then(|t| c::parse_iso(t));
        if ts.is_none_or(|t| (c::now() - t).abs() > 15 * 60) {
            return Err(error(
                400,
                "InvalidTimeStamp.Expired",
                "Specified time stamp or date value is expired.",
            ));
        }
        let canonical: Vec<String> = q
            .iter()
            .filter(|(k, _)| *k != "Signature")
            .map(|(k, v)| format!("{}={}", c::pct(k), c::pct(v)))
            .collect();
        let sts = format!("{method}&%2F&{}", c::pct(&canonical.join("&")));
        let mut mac =
            Hmac::<sha1::Sha1>::new_from_slice(format!("{}&", self.secret).as_bytes()).unwrap();
        mac.update(sts.as_bytes());
        let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        if q.get("Signature") != Some(&want) {
            return Err(error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            ));
        }
        let nonce = q.get("SignatureNonce").cloned().unwrap_or_default();
        if !s.nonces.insert(nonce) {
            return Err(error(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ));
        }
        Ok(())
    }
}

async fn handle(
    State(fake): State<Arc<FakeEsa>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut s = fake.inner.lock().unwrap();
    s.seen.push(seen);
    let q: BTreeMap<String, String> = c::query_pairs(uri.query().unwrap_or(""))
        .into_iter()
        .collect();
    if uri.path() != "/" || !(method == Method::GET || method == Method::POST) || !body.is_empty() {
        let (st, v) = error(
            400,
            "InvalidParameter",
            "Parameters go in the query of GET or POST /.",
        );
        return c::respond(st, v, None);
    }
    if let Err((st, v)) = fake.authenticate(&mut s, method.as_str(), &q) {
        return c::respond(st, v, None);
    }
    if let Some(f) = s.faults.pop() {
        let (st, v) = error(f.status, &f.code, &f.message);
        return c::respond(st, v, f.retry_after);
    }
    let action = q.get("Action").cloned().unwrap_or_default();
    let (st, v) = match (method.as_str(), action.as_str()) {
        ("GET", "ListSites") => {
            let want = q.get("SiteName");
            let sites: Vec<Value> = s
                .sites
                .iter()
                // The real SiteName search is fuzzy by default.
                .filter(|(_, n, _)| want.is_none_or(|w| n.contains(w.as_str())))
                .map(|(id, n, a)| json!({"SiteId": id, "SiteName": n, "AccessType": a, "Status": "active"}))
                .collect();
            (
                200,
                json!({"RequestId": "FAKE-REQ", "TotalCount": sites.len(), "PageNumber": 1, "PageSize": 20, "Sites": sites}),
            )
        }
        ("GET", "ListRecords") => list_records(&s, &q),
        ("POST", "CreateRecord") => create(&mut s, &q),
        ("POST", "UpdateRecord") => update(&mut s, &q),
        ("GET", "ListOriginPools") => list_pools(&s, &q),
        ("POST", "UpdateOriginPool") => update_pool(&mut s, &q),
        _ => error(404, "InvalidAction.NotFound", "Specified api is not found."),
    };
    c::respond(st, v, None)
}

fn site_of(s: &Inner, q: &BTreeMap<String, String>) -> Result<u64, Answer> {
    let id = q.get("SiteId").and_then(|v| v.parse::<u64>().ok());
    match id {
        Some(id) if s.sites.iter().any(|(i, ..)| *i == id) => Ok(id),
        _ => Err(error(400, "SiteNotFound", "The site does not exist.")),
    }
}

fn list_records(s: &Inner, q: &BTreeMap<String, String>) -> Answer {
    let site_id = match site_of(s, q) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let list: Vec<Value> = s
        .records
        .iter()
        .filter(|r| r.site_id == site_id)
        .filter(|r| q.get("RecordName").is_none_or(|n| &r.name == n))
        .filter(|r| q.get("Type").is_none_or(|t| &r.rtype == t))
        .map(|r| {
            json!({"RecordId": r.id, "RecordName": r.name, "RecordType": r.rtype, "SiteId": r.site_id,
                   "Data": {"Value": r.value}, "Ttl": r.ttl, "Proxied": r.proxied,
                   "CreateTime": "2024-01-01T00:00:00Z"})
        })
        .collect();
    (
        200,
        json!({"RequestId": "FAKE-REQ", "TotalCount": list.len(), "PageNumber": 1, "PageSize": 500, "Records": list}),
    )
}

/// `Data.Value` of an `A/AAAA` write: one to several comma-separated addresses.
fn address_value(q: &BTreeMap<String, String>) -> Result<String, Answer> {
    let data: Value = q
        .get("Data")
        .and_then(|d| serde_json::from_str(d).ok())
        .ok_or_else(|| error(400, "InvalidParameter.Data", "Data must be a JSON object."))?;
    let value = data["Value"].as_str().unwrap_or("").to_string();
    let ok = !value.is_empty()
        && value
            .split(',')
            .all(|v| v.parse::<std::net::IpAddr>().is_ok());
    if !ok {
        return Err(error(
            400,
            "InvalidParameter.Data",
            "Data.Value must be IP addresses.",
        ));
    }
    Ok(value)
}

fn create(s: &mut Inner, q: &BTreeMap<String, String>) -> Answer {
    let site_id = match site_of(s, q) {
        Ok(id) => id,
        Err(e) => return e,
    };
    if q.get("Type").map(String::as_str) != Some("A/AAAA") {
        return error(
            400,
            "InvalidParameter.Type",
            "The fake only serves A/AAAA records.",
        );
    }
    let value = match address_value(q) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let name = q.get("RecordName").cloned().unwrap_or_default();
    if s.records
        .iter()
        .any(|r| r.name == name && r.rtype == "A/AAAA")
    {
        return error(400, "RecordExist", "The record already exists.");
    }
    let access = s
        .sites
        .iter()
        .find(|(i, ..)| *i == site_id)
        .map(|x| x.2.clone())
        .unwrap_or_default();
    let proxied = q.get("Proxied").map(String::as_str) == Some("true");
    if access == "CNAME" && !proxied {
        return error(
            400,
            "InvalidParameter.Proxied",
            "Records of CNAME-access sites must be proxied.",
        );
    }
    if proxied && q.get("BizName").is_none() {
        return error(
            400,
            "InvalidParameter.BizName",
            "BizName is required for proxied records.",
        );
    }
    s.next_id += 1;
    let id = s.next_id;
    s.records.push(EsaRecord {
        id,
        site_id,
        name,
        rtype: "A/AAAA".into(),
        value,
        ttl: q.get("Ttl").and_then(|t| t.parse().ok()).unwrap_or(1),
        proxied,
        created_with: q.clone(),
    });
    (200, json!({"RequestId": "FAKE-REQ", "RecordId": id}))
}

fn update(s: &mut Inner, q: &BTreeMap<String, String>) -> Answer {
    let value = match address_value(q) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let id = q.get("RecordId").and_then(|v| v.parse::<u64>().ok());
    let Some(r) = s.records.iter_mut().find(|r| Some(r.id) == id) else {
        return error(400, "RecordNotFound", "The record does not exist.");
    };
    r.value = value;
    if let Some(t) = q.get("Ttl").and_then(|t| t.parse().ok()) {
        r.ttl = t;
    }
    (200, json!({"RequestId": "FAKE-REQ"}))
}

fn list_pools(s: &Inner, q: &BTreeMap<String, String>) -> Answer {
    let site_id = match site_of(s, q) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let exact = q.get("MatchType").map(String::as_str) == Some("exact");
    let pools: Vec<Value> = s
        .pools
        .iter()
        .filter(|p| p.1 == site_id)
        .filter(|p| match q.get("Name") {
            None => true,
            Some(n) if exact => &p.2 == n,
            Some(n) => p.2.contains(n.as_str()),
        })
        .map(|p| json!({"Id": p.0, "SiteId": p.1, "Name": p.2, "Enabled": true, "Origins": p.3}))
        .collect();
    (
        200,
        json!({"RequestId": "FAKE-REQ", "TotalCount": pools.len(), "OriginPools": pools}),
    )
}

fn update_pool(s: &mut Inner, q: &BTreeMap<String, String>) -> Answer {
    let site_id = match site_of(s, q) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let id = q.get("Id").and_then(|v| v.parse::<u64>().ok());
    let origins: Option<Vec<Value>> = q.get("Origins").and_then(|o| serde_json::from_str(o).ok());
    let Some(origins) = origins else {
        return error(
            400,
            "InvalidParameter.Origins",
            "Origins must be a JSON array.",
        );
    };
    if origins
        .iter()
        .any(|o| o["Address"].as_str().is_none_or(str::is_empty) || o["Name"].as_str().is_none())
    {
        return error(
            400,
            "InvalidParameter.Origins",
            "Every origin needs Name and Address.",
        );
    }
    let Some(pool) = s
        .pools
        .iter_mut()
        .find(|p| Some(p.0) == id && p.1 == site_id)
    else {
        return error(400, "OriginPoolNotFound", "The origin pool does not exist.");
    };
    pool.3 = origins;
    (200, json!({"RequestId": "FAKE-REQ"}))
}
