//! Huawei Cloud APIG "SDK-HMAC-SHA256", as `huaweicloudsdkcore.signer.Signer` computes it
//! (spec/provider-apis.md §4, §20.3).
//!
//! Pure functions only: the caller supplies the `X-Sdk-Date` value, the exact headers it signs
//! (name and value as sent) and the body bytes, so the output can be checked against vectors
//! made with the official SDK. There is no key derivation: the secret key signs directly.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::aliyun::percent_encode;

/// Everything that goes into one signature.
#[derive(Debug, Clone, Copy)]
pub struct HuaweiInput<'a> {
    /// `GET`, `POST`, `PUT`.
    pub method: &'a str,
    /// The path as sent (`/v2.1/recordsets`), not yet percent-encoded.
    pub path: &'a str,
    /// Query parameters (any order; the canonical form sorts them).
    pub query: &'a [(String, String)],
    /// The headers to sign, names in any case, values as sent. Must include `X-Sdk-Date`
    /// and `Host`.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body bytes as sent (empty for GET).
    pub payload: &'a [u8],
    /// `X-Sdk-Date`, `YYYYMMDDTHHMMSSZ`.
    pub date: &'a str,
}

/// The canonical query: pairs sorted by name then value, both percent-encoded with only
/// `A-Z a-z 0-9 - _ . ~` kept, joined with `&`. Send exactly this string as the query, so what
/// is signed is what arrives.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = query.iter().collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical URI: each segment percent-encoded, always ending in `/`.
pub fn canonical_uri(path: &str) -> String {
    let mut uri = path
        .split('/')
        .map(percent_encode)
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

impl HuaweiInput<'_> {
    /// The signed header names, lower-case, sorted, joined with `;`.
    pub fn signed_headers(&self) -> String {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .collect();
        names.sort();
        names.join(";")
    }

    /// `METHOD\nURI\nQUERY\n<name:value lines>\n\n<signed headers>\n<hex sha256(body)>`.
    pub fn canonical_request(&self) -> String {
        let mut headers: Vec<(String, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim()))
            .collect();
        headers.sort();
        let lines: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method.to_ascii_uppercase(),
            canonical_uri(self.path),
            canonical_query(self.query),
            lines,
            self.signed_headers(),
            hex::encode(Sha256::digest(self.payload))
        )
    }

    /// `SDK-HMAC-SHA256\n<date>\n<hex sha256(canonical request)>`.
    pub fn string_to_sign(&self) -> String {
        format!(
            "SDK-HMAC-SHA256\n{}\n{}",
            self.date,
            hex::encode(Sha256::digest(self.canonical_request().as_bytes()))
        )
    }

    /// Hex HMAC-SHA256 of the string to sign, keyed with the secret key itself.
    pub fn signature(&self, secret_key: &str) -> String {
        // HMAC accepts keys of any length, so this constructor cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret_key.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(self.string_to_sign().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The `Authorization` header value.
    pub fn authorization(&self, access_key: &str, secret_key: &str) -> String {
        format!(
            "SDK-HMAC-SHA256 Access={}, SignedHeaders={}, Signature={}",
            access_key,
            self.signed_headers(),
            self.signature(secret_key)
        )
    }
}

#[cfg(test)]
mod tests {
    //! Vectors computed with the official SDK (huaweicloudsdkcore 3.1.219), Python 3.11:
    //!
    //! ```python
    //! from huaweicloudsdkcore.signer.signer import Signer
    //! from huaweicloudsdkcore.sdk_request import SdkRequest
    //! from types import SimpleNamespace
    //! req = SdkRequest(method=m, schema="https", host=host, resource_path=path,
    //!                  query_params=query, header_params=dict(headers), body=body)
    //! s = Signer(SimpleNamespace(ak=ak, sk=sk)); s.sign(req)
    //! print(req.header_params["Authorization"], req.uri)
    //! ```
    //!
    //! with `headers` = `Content-Type`, `Host` and `X-Sdk-Date` as in each test (the SDK signs
    //! every header it is given; `X-Sdk-Date` given fixes the time).
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn uri_and_query_forms() {
        assert_eq!(canonical_uri("/v2.1/recordsets"), "/v2.1/recordsets/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(
            canonical_query(&q(&[
                ("type", "A"),
                ("name", "*.example.com."),
                ("a", "x y")
            ])),
            "a=x%20y&name=%2A.example.com.&type=A"
        );
    }

    #[test]
    fn vector_list_wildcard() {
        let query = q(&[("type", "AAAA"), ("name", "*.example.com.")]);
        let input = HuaweiInput {
            method: "GET",
            path: "/v2.1/recordsets",
            query: &query,
            headers: &[
                ("Content-Type", "application/json"),
                ("Host", "dns.myhuaweicloud.com"),
                ("X-Sdk-Date", "20240322T123831Z"),
            ],
            payload: b"",
            date: "20240322T123831Z",
        };
        assert_eq!(
            input.authorization("HPUAEXAMPLEAK", "secretExampleSK"),
            VECTOR_LIST
        );
    }

    #[test]
    fn vector_update_with_port_in_host() {
        let body = br#"{"name":"www.example.com.","type":"A","records":["192.0.2.1"],"ttl":300}"#;
        let input = HuaweiInput {
            method: "PUT",
            path: "/v2.1/zones/ff8080825b8fc86c015b94bc6f8712c3/recordsets/ff80808275f5fc0f017b0b6e2e6b3b4e",
            query: &[],
            headers: &[
                ("Content-Type", "application/json"),
                ("Host", "127.0.0.1:8443"),
                ("X-Sdk-Date", "20240229T235959Z"),
            ],
            payload: body,
            date: "20240229T235959Z",
        };
        assert_eq!(input.authorization("AK2", "s k/+=*~密"), VECTOR_PUT);
    }

    const VECTOR_LIST: &str = "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK, SignedHeaders=content-type;host;x-sdk-date, Signature=905abda0f5966fb96229cdc06c64422404a4d29c933e69f04175e9daf70783eb";
    const VECTOR_PUT: &str = "SDK-HMAC-SHA256 Access=AK2, SignedHeaders=content-type;host;x-sdk-date, Signature=0b7ce8b69e1d434c3e7c16174078cd13d7b7cbdda5f396c06d40b68c73a4f8b4";
}
