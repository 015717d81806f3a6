//! Aliyun RPC ("POP") signature version 1.0, HMAC-SHA1, as `aliyunsdkcore`'s
//! `rpc_signature_composer` computes it (spec/provider-apis.md §1).
//!
//! Pure functions only: the caller supplies every parameter, including the nonce and the
//! timestamp, so the output can be checked against vectors made with the official SDK.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Percent-encodes `s` with the "RFC 3986 strict" rule: only `A-Z a-z 0-9 - _ . ~` are kept,
/// every other UTF-8 byte becomes `%XX` (upper-case hex), so a space is `%20` and `*` is `%2A`.
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0x0f)] as char);
        }
    }
    out
}

/// The canonical query: parameters sorted by name (byte order, which a `BTreeMap` gives),
/// names and values strictly percent-encoded, joined as `name=value` with `&`. `Signature` is
/// left out, since it is not part of what is signed.
pub fn canonical_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&<percent_encode(canonical query)>`.
pub fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!(
        "{}&{}&{}",
        method,
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    )
}

/// The `Signature` value: Base64(HMAC-SHA1(secret + "&", string-to-sign)).
pub fn signature(method: &str, params: &BTreeMap<String, String>, secret: &str) -> String {
    let key = format!("{secret}&");
    // HMAC accepts keys of any length, so this constructor cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign(method, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The query string to send: the canonical query plus `&Signature=<encoded signature>`.
pub fn signed_query(method: &str, params: &BTreeMap<String, String>, secret: &str) -> String {
    let sig = signature(method, params, secret);
    format!(
        "{}&Signature={}",
        canonical_query(params),
        percent_encode(&sig)
    )
}

#[cfg(test)]
mod tests {
    //! Vectors computed with the official SDK (aliyun-python-sdk-core 2.16.1), Python 3.11:
    //!
    //! ```python
    //! import aliyunsdkcore.auth.composer.rpc_signature_composer as c
    //! sts = getattr(c, "__compose_string_to_sign")("GET", params)
    //! sig = getattr(c, "__get_signature")(sts, secret)
    //! ```
    //!
    //! with `params` (a dict) and `secret` as in each test below.
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn strict_encoding() {
        assert_eq!(
            percent_encode("a b*c~d/e+f=g&h"),
            "a%20b%2Ac~d%2Fe%2Bf%3Dg%26h"
        );
        assert_eq!(percent_encode("默认"), "%E9%BB%98%E8%AE%A4");
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
    }

    fn common(action: &str, nonce: &str, ts: &str) -> Vec<(&'static str, String)> {
        vec![
            ("Action", action.to_string()),
            ("Version", "2015-01-09".into()),
            ("Format", "JSON".into()),
            ("AccessKeyId", "LTAI5tExampleKeyId".into()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            ("SignatureVersion", "1.0".into()),
            ("SignatureNonce", nonce.to_string()),
            ("Timestamp", ts.to_string()),
        ]
    }

    fn with(
        mut base: Vec<(&'static str, String)>,
        extra: &[(&'static str, &str)],
    ) -> BTreeMap<String, String> {
        base.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        base.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    #[test]
    fn vector_describe_apex() {
        let p = with(
            common(
                "DescribeSubDomainRecords",
                "1711111111000000001",
                "2024-03-22T12:38:31Z",
            ),
            &[
                ("SubDomain", "@.example.com"),
                ("Type", "A"),
                ("DomainName", "example.com"),
            ],
        );
        assert_eq!(
            string_to_sign("GET", &p),
            "GET&%2F&AccessKeyId%3DLTAI5tExampleKeyId%26Action%3DDescribeSubDomainRecords%26DomainName%3Dexample.com%26Format%3DJSON%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D1711111111000000001%26SignatureVersion%3D1.0%26SubDomain%3D%2540.example.com%26Timestamp%3D2024-03-22T12%253A38%253A31Z%26Type%3DA%26Version%3D2015-01-09"
        );
        assert_eq!(
            signature("GET", &p, "testsecret"),
            "2Qo4Yd15EPsi4AI73HoYwwcz/Z4="
        );
    }

    #[test]
    fn vector_add_wildcard_chinese_line() {
        let p = with(
            common(
                "AddDomainRecord",
                "nonce with space*~/",
                "2021-03-23T12:34:56Z",
            ),
            &[
                ("DomainName", "example.com"),
                ("RR", "*"),
                ("Type", "AAAA"),
                ("Value", "2001:db8::1"),
                ("TTL", "600"),
                ("Line", "默认"),
            ],
        );
        assert_eq!(
            string_to_sign("GET", &p),
            "GET&%2F&AccessKeyId%3DLTAI5tExampleKeyId%26Action%3DAddDomainRecord%26DomainName%3Dexample.com%26Format%3DJSON%26Line%3D%25E9%25BB%2598%25E8%25AE%25A4%26RR%3D%252A%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dnonce%2520with%2520space%252A~%252F%26SignatureVersion%3D1.0%26TTL%3D600%26Timestamp%3D2021-03-23T12%253A34%253A56Z%26Type%3DAAAA%26Value%3D2001%253Adb8%253A%253A1%26Version%3D2015-01-09"
        );
        assert_eq!(
            signature("GET", &p, "s3cr3t/with+special=chars"),
            "pXnqNID32qDb2ubt7dMl2TX9OTE="
        );
    }

    #[test]
    fn vector_update_special_characters() {
        let p = with(
            common(
                "UpdateDomainRecord",
                "abc-DEF_123.~",
                "2030-12-31T23:59:59Z",
            ),
            &[
                ("RR", "a b"),
                ("RecordId", "9999985"),
                ("Type", "A"),
                ("Value", "192.0.2.1"),
                ("TTL", "1"),
                ("Remark", "x&y=z%20/'()!"),
            ],
        );
        assert_eq!(
            signature("GET", &p, "密钥 secret"),
            "YxazXQuNN7NPzRXn/2BihO1G6Jw="
        );
    }

    #[test]
    fn signed_query_carries_encoded_signature_and_ignores_old_one() {
        let mut p = map(&[("B", "2"), ("A", "x y")]);
        let plain = signed_query("GET", &p, "k");
        p.insert("Signature".into(), "stale".into());
        assert_eq!(signed_query("GET", &p, "k"), plain);
        let sig = signature("GET", &p, "k");
        assert_eq!(
            plain,
            format!("A=x%20y&B=2&Signature={}", percent_encode(&sig))
        );
    }
}
