//! Small helpers shared by the fakes of provider group p1 (Huawei, Baidu, Volcengine, Aliyun
//! ESA, EdgeOne): hashing, strict percent-encoding, UTC clocks, query parsing and injected
//! faults. Written from the documented algorithms, independently of the crate's signers.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::Seen;

/// HMAC-SHA256 of `msg` under `key`.
pub fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// RFC 3986 percent-encoding keeping only `A-Z a-z 0-9 - _ . ~`.
pub fn pct(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The decoded `(name, value)` pairs of a raw query string.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// (year, month, day, hour, minute, second) of Unix seconds, UTC.
pub fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let z = secs.div_euclid(86_400) + 719_468;
    let rem = secs.rem_euclid(86_400);
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// UTC `YYYY-MM-DD` of Unix seconds.
pub fn utc_date(secs: i64) -> String {
    let (y, m, d, ..) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The `Credential`, `SignedHeaders` and `Signature` fields of a Tencent Cloud Authorization
/// header, given what follows `TC3-HMAC-SHA256 `; None when one is missing.
pub fn tc3_fields(rest: &str) -> Option<(&str, &str, &str)> {
    let field = |name: &str| {
        rest.split(", ")
            .find_map(|part| part.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    };
    Some((
        field("Credential")?,
        field("SignedHeaders")?,
        field("Signature")?,
    ))
}

/// The hex TC3-HMAC-SHA256 signature of a `POST /` with `query`, signing only `content-type`
/// and `host`, made at `ts` (Unix seconds, on UTC day `date`) for `service`.
pub fn tc3_signature(
    secret_key: &str,
    service: &str,
    date: &str,
    ts: i64,
    request: (&Seen, &str, &str, &str),
) -> String {
    let (seen, query, content_type, host) = request;
    let canonical = format!(
        "{}\n/\n{query}\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{}",
        seen.method,
        sha256_hex(&seen.body)
    );
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{ts}\n{date}/{service}/tc3_request\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k = hmac256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k = hmac256(&k, service.as_bytes());
    let k = hmac256(&k, b"tc3_request");
    hex::encode(hmac256(&k, to_sign.as_bytes()))
}

/// Parses `YYYYMMDDTHHMMSSZ` into Unix seconds.
pub fn parse_compact(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    unix_of(
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(9..11)?,
        n(11..13)?,
        n(13..15)?,
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into Unix seconds.
pub fn parse_iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    unix_of(
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    )
}

fn unix_of(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// True when the two values are the same address (or the same text).
pub fn same_value(a: &str, b: &str) -> bool {
    match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// True when `value` is a valid address of record type `rtype` (other types pass).
pub fn valid_for(rtype: &str, value: &str) -> bool {
    match rtype {
        "A" => value.parse::<std::net::Ipv4Addr>().is_ok(),
        "AAAA" => value.parse::<std::net::Ipv6Addr>().is_ok(),
        _ => true,
    }
}

/// An injected failure: the next authenticated request answers with this.
#[derive(Debug, Clone)]
pub struct Fault {
    /// HTTP status.
    pub status: u16,
    /// The provider's error code.
    pub code: String,
    /// The provider's message.
    pub message: String,
    /// `Retry-After` to send, if any.
    pub retry_after: Option<Duration>,
}

/// A queue of injected failures.
#[derive(Debug, Default)]
pub struct Faults(VecDeque<Fault>);

impl Faults {
    /// Queues a failure.
    pub fn push(&mut self, status: u16, code: &str, message: &str, retry_after: Option<u64>) {
        self.0.push_back(Fault {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: retry_after.map(Duration::from_secs),
        });
    }
    /// Takes the next failure, if any.
    pub fn pop(&mut self) -> Option<Fault> {
        self.0.pop_front()
    }
}

/// An axum response with a JSON body, a status and an optional Retry-After.
pub fn respond(
    status: u16,
    body: serde_json::Value,
    retry_after: Option<Duration>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut resp = (
        axum::http::StatusCode::from_u16(status).unwrap(),
        axum::Json(body),
    )
        .into_response();
    if let Some(d) = retry_after {
        resp.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            d.as_secs().to_string().parse().unwrap(),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = parse_compact("20240229T235959Z").unwrap();
        assert_eq!(civil(t), (2024, 2, 29, 23, 59, 59));
        assert_eq!(parse_iso("2024-02-29T23:59:59Z"), Some(t));
    }
}
