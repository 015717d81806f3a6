//! Volcengine signature v4 (HMAC-SHA256, AWS-v4-like without a key prefix), as
//! `volcengine.auth.SignerV4.SignerV4.sign_only` computes it (spec/provider-apis.md §6, §20.4).
//!
//! Pure functions only: the caller supplies the `X-Date` value, the query, the headers it
//! signs and the body. Only the SDK's family of headers may be signed (`Content-Type`, `Host`
//! and `X-*`); ddns-rs signs `content-type;host;x-content-sha256;x-date`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::aliyun::percent_encode;

/// Region of the credential scope for TrafficRoute DNS.
pub const REGION: &str = "cn-north-1";
/// Service of the credential scope for TrafficRoute DNS.
pub const SERVICE: &str = "DNS";

/// Everything that goes into one signature.
#[derive(Debug, Clone, Copy)]
pub struct VolcInput<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// Query parameters (any order; the canonical form sorts them by name).
    pub query: &'a [(String, String)],
    /// The signed headers, names as sent, values as sent. `X-Date` and `X-Content-Sha256`
    /// must be among them.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body bytes as sent.
    pub payload: &'a [u8],
    /// `X-Date`, `YYYYMMDDTHHMMSSZ`.
    pub date: &'a str,
    /// Region of the scope ([`REGION`]).
    pub region: &'a str,
    /// Service of the scope ([`SERVICE`]).
    pub service: &'a str,
}

fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this constructor cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// The canonical query, sorted by name, names and values percent-encoded (space `%20`). Send
/// exactly this string as the query.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = query.iter().collect();
    // The SDK sorts by name only and keeps the given order of a repeated name.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Hex SHA-256 of the body, the value of `X-Content-Sha256`.
pub fn content_sha256(payload: &[u8]) -> String {
    hex::encode(Sha256::digest(payload))
}

impl VolcInput<'_> {
    /// `YYYYMMDD/<region>/<service>/request`.
    pub fn credential_scope(&self) -> String {
        let day = self.date.get(..8).unwrap_or(self.date);
        format!("{day}/{}/{}/request", self.region, self.service)
    }

    /// Lower-case signed header names, sorted, joined with `;`.
    pub fn signed_headers(&self) -> String {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .collect();
        names.sort();
        names.join(";")
    }

    /// `METHOD\n/\nQUERY\n<name:value\n lines>\nSIGNED\nhex sha256(body)`, with a `:80` or
    /// `:443` suffix dropped from the host value as the SDK does.
    pub fn canonical_request(&self) -> String {
        let mut headers: Vec<(String, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let k = k.to_ascii_lowercase();
                let v = match k.as_str() {
                    "host" => v
                        .strip_suffix(":80")
                        .or_else(|| v.strip_suffix(":443"))
                        .unwrap_or(v),
                    _ => v,
                };
                (k, v)
            })
            .collect();
        headers.sort();
        let lines: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        format!(
            "{}\n/\n{}\n{}\n{}\n{}",
            self.method,
            canonical_query(self.query),
            lines,
            self.signed_headers(),
            content_sha256(self.payload)
        )
    }

    /// `HMAC-SHA256\n<date>\n<scope>\n<hex sha256(canonical request)>`.
    pub fn string_to_sign(&self) -> String {
        format!(
            "HMAC-SHA256\n{}\n{}\n{}",
            self.date,
            self.credential_scope(),
            hex::encode(Sha256::digest(self.canonical_request().as_bytes()))
        )
    }

    /// Hex signature through the SK → date → region → service → `request` key chain.
    pub fn signature(&self, secret_key: &str) -> String {
        let day = self.date.get(..8).unwrap_or(self.date);
        let k = hmac256(secret_key.as_bytes(), day.as_bytes());
        let k = hmac256(&k, self.region.as_bytes());
        let k = hmac256(&k, self.service.as_bytes());
        let k = hmac256(&k, b"request");
        hex::encode(hmac256(&k, self.string_to_sign().as_bytes()))
    }

    /// The `Authorization` header value.
    pub fn authorization(&self, access_key: &str, secret_key: &str) -> String {
        format!(
            "HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
            access_key,
            self.credential_scope(),
            self.signed_headers(),
            self.signature(secret_key)
        )
    }
}

#[cfg(test)]
mod tests {
    //! Vectors computed with the official SDK (volcengine 1.0.229), Python 3.11:
    //!
    //! ```python
    //! from volcengine.auth.SignerV4 import SignerV4
    //! from volcengine.auth.SignParam import SignParam
    //! from volcengine.Credentials import Credentials
    //! p = SignParam(); p.method = m; p.path = "/"; p.body = body; p.query = OrderedDict(query)
    //! p.header_list = {"Content-Type": "application/json", "Host": host}
    //! p.date = datetime.datetime.strptime(x_date, "%Y%m%dT%H%M%SZ")
    //! print(SignerV4.sign_only(p, Credentials(ak, sk, "DNS", "cn-north-1")).authorization)
    //! ```
    //!
    //! (`sign_only` adds `X-Date` and `X-Content-Sha256` and signs them with the given headers.)
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn input<'a>(
        method: &'a str,
        query: &'a [(String, String)],
        headers: &'a [(&'a str, &'a str)],
        payload: &'a [u8],
        date: &'a str,
    ) -> VolcInput<'a> {
        VolcInput {
            method,
            query,
            headers,
            payload,
            date,
            region: REGION,
            service: SERVICE,
        }
    }

    #[test]
    fn vector_list_records_get() {
        let query = q(&[
            ("Action", "ListRecords"),
            ("Version", "2018-08-01"),
            ("ZID", "123456"),
            ("Host", "@"),
            ("Type", "A"),
            ("SearchMode", "exact"),
        ]);
        let sha = content_sha256(b"");
        let h = [
            ("Content-Type", "application/json"),
            ("Host", "open.volcengineapi.com"),
            ("X-Content-Sha256", sha.as_str()),
            ("X-Date", "20240322T123831Z"),
        ];
        let i = input("GET", &query, &h, b"", "20240322T123831Z");
        assert_eq!(
            i.authorization("AKLTexample", "secretExample=="),
            VECTOR_GET
        );
    }

    #[test]
    fn vector_update_post_with_port() {
        let query = q(&[("Action", "UpdateRecord"), ("Version", "2018-08-01")]);
        let body = br#"{"RecordID":"987","Host":"*","Type":"AAAA","Value":"2001:db8::1","TTL":600,"Line":"default"}"#;
        let sha = content_sha256(body);
        let h = [
            ("Content-Type", "application/json"),
            ("Host", "127.0.0.1:8443"),
            ("X-Content-Sha256", sha.as_str()),
            ("X-Date", "20240229T235959Z"),
        ];
        let i = input("POST", &query, &h, body, "20240229T235959Z");
        assert_eq!(i.credential_scope(), "20240229/cn-north-1/DNS/request");
        assert_eq!(i.authorization("AK2", "s k/+=*~密"), VECTOR_POST);
    }

    #[test]
    fn default_ports_are_dropped_from_host() {
        let h = [
            ("Host", "open.volcengineapi.com:443"),
            ("X-Date", "20240101T000000Z"),
        ];
        let i = input("GET", &[], &h, b"", "20240101T000000Z");
        assert!(
            i.canonical_request()
                .contains("\nhost:open.volcengineapi.com\n")
        );
    }

    const VECTOR_GET: &str = "HMAC-SHA256 Credential=AKLTexample/20240322/cn-north-1/DNS/request, SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=0d5e92eecf8dcd7987f308149f2b57a1a582a7ee88f4d7d7eae03f82c2b5ac5b";
    const VECTOR_POST: &str = "HMAC-SHA256 Credential=AK2/20240229/cn-north-1/DNS/request, SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=d55f70c689a5a2aab213d6fc9c6f3371def85926721ce5d8bde4aabf6d93ec9e";
}
