//! The query signature of the Now.cn API family (Now.cn, Eranet, TNet HK; ddns-go-behaviour.md
//! §4.3 "nowcn / eranet / tnethk").
//!
//! It is Aliyun's RPC v1 HMAC-SHA1 algorithm ([`super::aliyun`]) applied to a different set of
//! common parameters: `AccessInstanceID` (the account's auth-userid) instead of `AccessKeyId`,
//! and no `Version`, `Format` or `SignatureVersion`. The string to sign is always
//! `GET&%2F&<encoded canonical query>`: the API path is not part of it. No vendor SDK exists,
//! so the vectors in the tests come from the official Aliyun SDK, which computes the same
//! algorithm over any parameter set.

use std::collections::BTreeMap;

use super::aliyun;

/// The HTTP method every call of this API uses, and the one the signature covers.
const METHOD: &str = "GET";

/// `params` plus the four common parameters: `AccessInstanceID`, `SignatureMethod=HMAC-SHA1`,
/// `SignatureNonce` and `Timestamp` (`YYYY-MM-DDThh:mm:ssZ`, UTC).
pub fn with_common(
    params: &BTreeMap<String, String>,
    instance_id: &str,
    nonce: &str,
    timestamp: &str,
) -> BTreeMap<String, String> {
    let mut p = params.clone();
    for (k, v) in [
        ("AccessInstanceID", instance_id),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", nonce),
        ("Timestamp", timestamp),
    ] {
        p.insert(k.to_string(), v.to_string());
    }
    p
}

/// `GET&%2F&<percent-encoded canonical query>` of the complete parameter set.
pub fn string_to_sign(params: &BTreeMap<String, String>) -> String {
    aliyun::string_to_sign(METHOD, params)
}

/// Base64(HMAC-SHA1(secret + "&", string-to-sign)).
pub fn signature(params: &BTreeMap<String, String>, secret: &str) -> String {
    aliyun::signature(METHOD, params, secret)
}

/// The query string to send: the canonical query plus `&Signature=<encoded signature>`.
pub fn signed_query(params: &BTreeMap<String, String>, secret: &str) -> String {
    aliyun::signed_query(METHOD, params, secret)
}

#[cfg(test)]
mod tests {
    //! No Now.cn SDK exists. The algorithm is Aliyun RPC v1 over other parameters, so the
    //! vectors were computed with the official Aliyun SDK (aliyun-python-sdk-core 2.16.1),
    //! Python 3.11:
    //!
    //! ```python
    //! import aliyunsdkcore.auth.composer.rpc_signature_composer as c
    //! common = {"AccessInstanceID": "nowcn-user-01", "SignatureMethod": "HMAC-SHA1"}
    //! p = dict(common, SignatureNonce=..., Timestamp=..., **action_params)
    //! sts = getattr(c, "__compose_string_to_sign")("GET", p)
    //! sig = getattr(c, "__get_signature")(sts, secret)
    //! ```
    //!
    //! with the nonce, timestamp, action parameters and secret of each test below.
    use super::*;

    fn build(nonce: &str, ts: &str, own: &[(&str, &str)]) -> BTreeMap<String, String> {
        let own: BTreeMap<String, String> = own
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        with_common(&own, "nowcn-user-01", nonce, ts)
    }

    #[test]
    fn common_parameters_are_added_and_override_custom_ones() {
        let mut own = BTreeMap::new();
        own.insert("SignatureMethod".to_string(), "MD5".to_string());
        let p = with_common(&own, "id", "n", "t");
        let keys: Vec<&str> = p.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "AccessInstanceID",
                "SignatureMethod",
                "SignatureNonce",
                "Timestamp"
            ]
        );
        assert_eq!(p["SignatureMethod"], "HMAC-SHA1");
    }

    #[test]
    fn vector_describe_apex() {
        let p = build(
            "1711111111000000001",
            "2024-03-22T12:38:31Z",
            &[("Domain", "example.com"), ("Type", "A"), ("Host", "@")],
        );
        assert_eq!(
            string_to_sign(&p),
            "GET&%2F&AccessInstanceID%3Dnowcn-user-01%26Domain%3Dexample.com%26Host%3D%2540%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D1711111111000000001%26Timestamp%3D2024-03-22T12%253A38%253A31Z%26Type%3DA"
        );
        assert_eq!(
            signature(&p, "api-key-secret"),
            "m0PYwYuwA692tkIOv2CETykF8fE="
        );
    }

    #[test]
    fn vector_update_wildcard_ipv6() {
        let p = build(
            "nonce with space*~/",
            "2021-03-23T12:34:56Z",
            &[
                ("Id", "12345"),
                ("Domain", "example.com"),
                ("Host", "*"),
                ("Type", "AAAA"),
                ("Value", "2001:db8::1"),
                ("Ttl", "600"),
            ],
        );
        assert_eq!(
            string_to_sign(&p),
            "GET&%2F&AccessInstanceID%3Dnowcn-user-01%26Domain%3Dexample.com%26Host%3D%252A%26Id%3D12345%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dnonce%2520with%2520space%252A~%252F%26Timestamp%3D2021-03-23T12%253A34%253A56Z%26Ttl%3D600%26Type%3DAAAA%26Value%3D2001%253Adb8%253A%253A1"
        );
        assert_eq!(
            signature(&p, "s3cr3t/with+special=chars"),
            "Z4PJBnuVKnO/2oagSsbJw2Bqbgc="
        );
    }

    #[test]
    fn vector_add_unicode_and_space() {
        let p = build(
            "abc-DEF_123.~",
            "2030-12-31T23:59:59Z",
            &[
                ("Domain", "例子.cn"),
                ("Host", "a b"),
                ("Type", "A"),
                ("Value", "192.0.2.1"),
                ("Ttl", "1"),
            ],
        );
        assert_eq!(signature(&p, "密钥 secret"), "X39UUBMrGxBaeC2q2u8RsBLKVNA=");
        let q = signed_query(&p, "密钥 secret");
        assert!(
            q.ends_with("&Signature=X39UUBMrGxBaeC2q2u8RsBLKVNA%3D"),
            "{q}"
        );
        assert!(
            q.contains("Domain=%E4%BE%8B%E5%AD%90.cn&Host=a%20b&"),
            "{q}"
        );
    }
}
