//! A fake Tencent EdgeOne API (`https://teo.tencentcloudapi.com`, version 2022-09-01).
//!
//! Like the real service it recomputes the TC3-HMAC-SHA256 signature (service `teo`) of every
//! request from the documented algorithm, independently of the client's signer, rejects
//! unknown SecretIds, bad signatures and timestamps more than 5 minutes off with Tencent's own
//! error bodies (HTTP 200), and serves `DescribeZones`, `DescribeDnsRecords`,
//! `CreateDnsRecord` and `ModifyDnsRecords` from an in-memory account.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::Seen;
use super::p1_common::{self as c, Faults};

/// The production host name.
pub const HOST: &str = "teo.tencentcloudapi.com";

/// One DNS record of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EoRecord {
    /// RecordId (`record-…`).
    pub id: String,
    /// Site id (`zone-…`).
    pub zone_id: String,
    /// Full name (`www.example.com`).
    pub name: String,
    /// `A`, `AAAA`, …
    pub rtype: String,
    /// Content.
    pub content: String,
    /// Resolution line.
    pub location: String,
    /// TTL.
    pub ttl: u64,
    /// `enable` or `disable`.
    pub status: String,
}

/// One origin group of a site.
#[derive(Debug, Clone, PartialEq)]
pub struct EoGroup {
    /// GroupId (`og-…`).
    pub id: String,
    /// Site id.
    pub zone_id: String,
    /// Group name.
    pub name: String,
    /// Origins as the API holds them (`{Record, Type, Weight, RecordId, Private}`).
    pub records: Vec<Value>,
}

#[derive(Default)]
struct Inner {
    expected_host: String,
    zones: Vec<(String, String)>,
    records: Vec<EoRecord>,
    groups: Vec<EoGroup>,
    seen: Vec<Seen>,
    faults: Faults,
    next_id: u64,
}

/// The fake service.
pub struct FakeEdgeOne {
    secret_id: String,
    secret_key: String,
    inner: Mutex<Inner>,
}

fn error(code: &str, message: &str) -> Value {
    json!({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "fake-req"}})
}

fn ok(mut fields: Value) -> Value {
    fields["RequestId"] = json!("fake-req");
    json!({ "Response": fields })
}

impl FakeEdgeOne {
    /// A fake accepting `secret_id`/`secret_key` and requests whose Host is `expected_host`.
    pub fn new(secret_id: &str, secret_key: &str, expected_host: &str) -> Arc<Self> {
        let inner = Inner {
            expected_host: expected_host.into(),
            next_id: 100,
            ..Default::default()
        };
        Arc::new(FakeEdgeOne {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            inner: Mutex::new(inner),
        })
    }

    /// The router.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Changes the Host header the fake insists on.
    pub fn set_expected_host(&self, host: &str) {
        self.inner.lock().unwrap().expected_host = host.into();
    }

    /// Adds a site; returns its ZoneId.
    pub fn add_zone(&self, name: &str) -> String {
        let mut s = self.inner.lock().unwrap();
        if let Some((id, _)) = s.zones.iter().find(|(_, n)| n == name) {
            return id.clone();
        }
        s.next_id += 1;
        let id = format!("zone-{:x}", s.next_id);
        s.zones.push((id.clone(), name.into()));
        id
    }

    /// Seeds a record (adding its site); returns its RecordId.
    pub fn add_record(
        &self,
        zone: &str,
        name: &str,
        rtype: &str,
        content: &str,
        status: &str,
    ) -> String {
        let zone_id = self.add_zone(zone);
        let mut s = self.inner.lock().unwrap();
        s.next_id += 1;
        let id = format!("record-{:x}", s.next_id);
        s.records.push(EoRecord {
            id: id.clone(),
            zone_id,
            name: name.into(),
            rtype: rtype.into(),
            content: content.into(),
            location: "Default".into(),
            ttl: 300,
            status: status.into(),
        });
        id
    }

    /// Adds an origin group to site `zone` with `origins` (`(address or domain, weight)`);
    /// returns its GroupId.
    pub fn add_group(&self, zone: &str, name: &str, origins: &[(&str, u64)]) -> String {
        let zone_id = self.add_zone(zone);
        let mut s = self.inner.lock().unwrap();
        s.next_id += 1;
        let id = format!("og-{:x}", s.next_id);
        let records = origins
            .iter()
            .enumerate()
            .map(|(i, (r, w))| {
                json!({"RecordId": format!("origin-{i}"), "Record": r, "Type": "IP_DOMAIN",
                       "Weight": w, "Private": false, "PrivateParameters": []})
            })
            .collect();
        s.groups.push(EoGroup {
            id: id.clone(),
            zone_id,
            name: name.into(),
            records,
        });
        id
    }

    /// Every origin group.
    pub fn groups(&self) -> Vec<EoGroup> {
        self.inner.lock().unwrap().groups.clone()
    }

    /// Every record.
    pub fn records(&self) -> Vec<EoRecord> {
        self.inner.lock().unwrap().records.clone()
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// The `X-TC-Action` of every request, in order.
    pub fn actions(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| s.header("x-tc-action").unwrap_or("").to_string())
            .collect()
    }

    /// Makes the next authenticated request fail (HTTP `status`, Tencent error `code`).
    pub fn fail_next(&self, status: u16, code: &str, message: &str, retry_after: Option<u64>) {
        self.inner
            .lock()
            .unwrap()
            .faults
            .push(status, code, message, retry_after);
    }

    fn authenticate(&self, s: &Inner, seen: &Seen) -> Result<(), Value> {
        let host = seen.header("host").unwrap_or("");
        if host != s.expected_host {
            return Err(error("FakeHostMismatch", "The Host header is wrong."));
        }
        if seen.header("x-tc-version") != Some("2022-09-01") {
            return Err(error(
                "NoSuchVersion",
                "The requested version is not supported.",
            ));
        }
        let ct = seen.header("content-type").unwrap_or("");
        let sig_fail = |why: &str| error("AuthFailure.SignatureFailure", why);
        let auth = seen.header("authorization").unwrap_or("");
        let Some(rest) = auth.strip_prefix("TC3-HMAC-SHA256 ") else {
            return Err(sig_fail("Unsupported algorithm."));
        };
        let Some((cred, signed, sig)) = c::tc3_fields(rest) else {
            return Err(sig_fail("Malformed Authorization."));
        };
        let parts: Vec<&str> = cred.split('/').collect();
        let [id, date, "teo", "tc3_request"] = parts.as_slice() else {
            return Err(sig_fail("The credential scope is wrong."));
        };
        if *id != self.secret_id {
            return Err(error(
                "AuthFailure.SecretIdNotFound",
                "The SecretId is not found.",
            ));
        }
        let Some(ts) = seen
            .header("x-tc-timestamp")
            .and_then(|t| t.parse::<i64>().ok())
        else {
            return Err(error("MissingParameter", "X-TC-Timestamp is missing."));
        };
        if (c::now() - ts).abs() > 300 {
            return Err(error("AuthFailure.SignatureExpire", "Signature expired."));
        }
        if *date != c::utc_date(ts) || signed != "content-type;host" {
            return Err(sig_fail("The scope date or signed headers are wrong."));
        }
        if c::tc3_signature(&self.secret_key, "teo", date, ts, (seen, "", ct, host)) != sig {
            return Err(sig_fail("The signature does not match."));
        }
        Ok(())
    }
}

async fn handle(
    State(fake): State<Arc<FakeEdgeOne>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut s = fake.inner.lock().unwrap();
    s.seen.push(seen.clone());
    if uri.path() != "/" || method != Method::POST {
        return c::respond(404, error("UnsupportedOperation", "POST / only."), None);
    }
    if let Err(v) = fake.authenticate(&s, &seen) {
        return c::respond(200, v, None);
    }
    if let Some(f) = s.faults.pop() {
        return c::respond(f.status, error(&f.code, &f.message), f.retry_after);
    }
    let b: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let v = match seen.header("x-tc-action").unwrap_or("") {
        "DescribeZones" => describe_zones(&s, &b),
        "DescribeDnsRecords" => describe_records(&s, &b),
        "CreateDnsRecord" => create(&mut s, &b),
        "ModifyDnsRecords" => modify(&mut s, &b),
        "DescribeOriginGroup" => describe_groups(&s, &b),
        "ModifyOriginGroup" => modify_group(&mut s, &b),
        _ => error("InvalidAction", "The requested action does not exist."),
    };
    c::respond(200, v, None)
}

fn filter_value<'a>(b: &'a Value, name: &str) -> Option<&'a str> {
    b["Filters"]
        .as_array()?
        .iter()
        .find(|f| f["Name"] == name)?["Values"][0]
        .as_str()
}

fn zone_known(s: &Inner, zone_id: &str) -> bool {
    s.zones.iter().any(|(z, _)| z == zone_id)
}

fn describe_zones(s: &Inner, b: &Value) -> Value {
    let want = filter_value(b, "zone-name");
    let zones: Vec<Value> = s
        .zones
        .iter()
        .filter(|(_, n)| want.is_none_or(|w| n == w))
        .map(|(id, n)| json!({"ZoneId": id, "ZoneName": n, "Type": "full", "Status": "active"}))
        .collect();
    ok(json!({"TotalCount": zones.len(), "Zones": zones}))
}

fn record_json(r: &EoRecord) -> Value {
    json!({"ZoneId": r.zone_id, "RecordId": r.id, "Name": r.name, "Type": r.rtype,
           "Location": r.location, "Content": r.content, "TTL": r.ttl, "Weight": -1,
           "Priority": 0, "Status": r.status, "CreatedOn": "2024-01-01T00:00:00Z",
           "ModifiedOn": "2024-01-01T00:00:00Z"})
}

fn describe_records(s: &Inner, b: &Value) -> Value {
    let zone_id = b["ZoneId"].as_str().unwrap_or("");
    if !zone_known(s, zone_id) {
        return error("ResourceNotFound", "The site does not exist.");
    }
    let list: Vec<Value> = s
        .records
        .iter()
        .filter(|r| r.zone_id == zone_id)
        .filter(|r| filter_value(b, "name").is_none_or(|n| r.name == n))
        .filter(|r| filter_value(b, "type").is_none_or(|t| r.rtype == t))
        .map(record_json)
        .collect();
    ok(json!({"TotalCount": list.len(), "DnsRecords": list}))
}

fn fields(b: &Value) -> Result<(String, String, String, String, u64), Value> {
    let get = |k: &str| b[k].as_str().map(String::from);
    let (Some(name), Some(rtype), Some(content)) = (get("Name"), get("Type"), get("Content"))
    else {
        return Err(error(
            "MissingParameter",
            "Name, Type and Content are required.",
        ));
    };
    if !c::valid_for(&rtype, &content) {
        return Err(error(
            "InvalidParameter.InvalidDnsContent",
            "The content is invalid.",
        ));
    }
    let ttl = b["TTL"].as_u64().unwrap_or(300);
    if !(60..=86_400).contains(&ttl) {
        return Err(error(
            "InvalidParameter.InvalidDnsTTL",
            "TTL must be 60..86400.",
        ));
    }
    Ok((
        name,
        rtype,
        content,
        get("Location").unwrap_or_else(|| "Default".into()),
        ttl,
    ))
}

fn create(s: &mut Inner, b: &Value) -> Value {
    let zone_id = b["ZoneId"].as_str().unwrap_or("").to_string();
    if !zone_known(s, &zone_id) {
        return error("ResourceNotFound", "The site does not exist.");
    }
    let (name, rtype, content, location, ttl) = match fields(b) {
        Ok(f) => f,
        Err(e) => return e,
    };
    s.next_id += 1;
    let id = format!("record-{:x}", s.next_id);
    s.records.push(EoRecord {
        id: id.clone(),
        zone_id,
        name,
        rtype,
        content,
        location,
        ttl,
        status: "enable".into(),
    });
    ok(json!({"RecordId": id}))
}

fn modify(s: &mut Inner, b: &Value) -> Value {
    let zone_id = b["ZoneId"].as_str().unwrap_or("").to_string();
    if !zone_known(s, &zone_id) {
        return error("ResourceNotFound", "The site does not exist.");
    }
    let Some(list) = b["DnsRecords"].as_array() else {
        return error("MissingParameter", "DnsRecords is required.");
    };
    for r in list {
        let (name, rtype, content, location, ttl) = match fields(r) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let id = r["RecordId"].as_str().unwrap_or("");
        let Some(slot) = s
            .records
            .iter_mut()
            .find(|x| x.id == id && x.zone_id == zone_id)
        else {
            return error(
                "InvalidParameter.RecordNotFound",
                "The record does not exist.",
            );
        };
        slot.name = name;
        slot.rtype = rtype;
        slot.content = content;
        slot.location = location;
        slot.ttl = ttl;
    }
    ok(json!({}))
}

fn describe_groups(s: &Inner, b: &Value) -> Value {
    let zone_id = b["ZoneId"].as_str().unwrap_or("");
    if !zone_known(s, zone_id) {
        return error("ResourceNotFound", "The site does not exist.");
    }
    let list: Vec<Value> = s
        .groups
        .iter()
        .filter(|g| g.zone_id == zone_id)
        .filter(|g| filter_value(b, "origin-group-id").is_none_or(|id| g.id == id))
        .filter(|g| filter_value(b, "origin-group-name").is_none_or(|n| g.name == n))
        .map(|g| {
            json!({"GroupId": g.id, "Name": g.name, "Type": "GENERAL", "Records": g.records,
                   "References": [], "CreateTime": "2024-01-01T00:00:00Z",
                   "UpdateTime": "2024-01-01T00:00:00Z"})
        })
        .collect();
    ok(json!({"TotalCount": list.len(), "OriginGroups": list}))
}

fn modify_group(s: &mut Inner, b: &Value) -> Value {
    let zone_id = b["ZoneId"].as_str().unwrap_or("").to_string();
    let group_id = b["GroupId"].as_str().unwrap_or("");
    let Some(records) = b["Records"].as_array() else {
        return error("MissingParameter", "Records is required.");
    };
    for r in records {
        let weight_ok = r["Weight"].as_u64().is_none_or(|w| w <= 100);
        if r["Record"].as_str().is_none_or(str::is_empty)
            || r["Type"].as_str().is_none()
            || !weight_ok
        {
            return error(
                "InvalidParameter.InvalidOriginRecord",
                "An origin record is invalid.",
            );
        }
    }
    let Some(g) = s
        .groups
        .iter_mut()
        .find(|g| g.id == group_id && g.zone_id == zone_id)
    else {
        return error("ResourceNotFound", "The origin group does not exist.");
    };
    g.records = records.clone();
    ok(json!({}))
}
