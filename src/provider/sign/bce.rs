//! Baidu AI Cloud `bce-auth-v1`, as `baidubce.auth.bce_v1_signer.sign` computes it with an
//! explicit list of signed headers (spec/provider-apis.md §5, §20.2).
//!
//! Pure functions only: the caller supplies the timestamp, the headers it signs (name and value
//! as sent) and the path. ddns-rs signs `host`, `x-bce-content-sha256` and `x-bce-date`, so the
//! real Host (with its port) and the body are both covered, unlike ddns-go's host-only form.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::aliyun::percent_encode;

/// Signature validity announced in the auth string, in seconds (the SDK's default).
pub const EXPIRATION_SECS: u32 = 1800;

/// Everything that goes into one signature.
#[derive(Debug, Clone, Copy)]
pub struct BceInput<'a> {
    /// `POST`, `GET`, …
    pub method: &'a str,
    /// The path as sent (`/v1/domain/resolve/list`).
    pub path: &'a str,
    /// Query parameters (empty for the BCD API).
    pub query: &'a [(String, String)],
    /// The headers to sign, lower-case names in the order they are listed in the auth string,
    /// values as sent.
    pub headers: &'a [(&'a str, &'a str)],
    /// `YYYY-MM-DDThh:mm:ssZ` (UTC), the same value as the `x-bce-date` header.
    pub timestamp: &'a str,
}

fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    // HMAC accepts keys of any length, so this constructor cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

impl BceInput<'_> {
    /// `bce-auth-v1/<AK>/<timestamp>/<expiration>`.
    pub fn auth_prefix(&self, access_key: &str) -> String {
        format!(
            "bce-auth-v1/{access_key}/{}/{EXPIRATION_SECS}",
            self.timestamp
        )
    }

    /// `METHOD\nURI\nQUERY\nHEADERS`: the path encoded except `/`, the sorted encoded query,
    /// and the sorted `name:value` lines (both encoded) of the non-empty signed headers.
    pub fn canonical_request(&self) -> String {
        let uri = self
            .path
            .split('/')
            .map(percent_encode)
            .collect::<Vec<_>>()
            .join("/");
        let mut query: Vec<String> = self
            .query
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        query.sort();
        let mut headers: Vec<String> = self
            .headers
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| {
                format!(
                    "{}:{}",
                    percent_encode(&k.trim().to_ascii_lowercase()),
                    percent_encode(v.trim())
                )
            })
            .collect();
        headers.sort();
        format!(
            "{}\n{}\n{}\n{}",
            self.method,
            uri,
            query.join("&"),
            headers.join("\n")
        )
    }

    /// Hex signature: HMAC-SHA256 keyed with the hex signing key (as text) over the canonical
    /// request; the signing key is hex HMAC-SHA256(SK, auth prefix).
    pub fn signature(&self, access_key: &str, secret_key: &str) -> String {
        let signing_key = hmac_hex(
            secret_key.as_bytes(),
            self.auth_prefix(access_key).as_bytes(),
        );
        hmac_hex(signing_key.as_bytes(), self.canonical_request().as_bytes())
    }

    /// The `Authorization` header value: `<prefix>/<signed headers>/<signature>`.
    pub fn authorization(&self, access_key: &str, secret_key: &str) -> String {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| *k).collect();
        format!(
            "{}/{}/{}",
            self.auth_prefix(access_key),
            names.join(";"),
            self.signature(access_key, secret_key)
        )
    }
}

#[cfg(test)]
mod tests {
    //! Vectors computed with the official SDK (bce-python-sdk 0.9.79), Python 3.11:
    //!
    //! ```python
    //! from baidubce.auth import bce_v1_signer
    //! from types import SimpleNamespace
    //! cred = SimpleNamespace(access_key_id=ak.encode(), secret_access_key=sk.encode())
    //! hs = {b"host": host, b"x-bce-content-sha256": sha, b"x-bce-date": date,
    //!       b"content-type": b"application/json"}
    //! print(bce_v1_signer.sign(cred, b"POST", path, hs, {}, ts, 1800,
    //!       [b"host", b"x-bce-content-sha256", b"x-bce-date"]))
    //! ```
    //!
    //! with `ts = calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%SZ"))`
    //! (`content-type` is sent but not in the list, so the SDK leaves it unsigned too.)
    use super::*;

    fn input<'a>(headers: &'a [(&'a str, &'a str)], ts: &'a str) -> BceInput<'a> {
        BceInput {
            method: "POST",
            path: "/v1/domain/resolve/list",
            query: &[],
            headers,
            timestamp: ts,
        }
    }

    #[test]
    fn canonical_request_encodes_host_port() {
        let h = [
            ("host", "127.0.0.1:8443"),
            ("x-bce-date", "2024-03-22T12:38:31Z"),
        ];
        assert_eq!(
            input(&h, "2024-03-22T12:38:31Z").canonical_request(),
            "POST\n/v1/domain/resolve/list\n\nhost:127.0.0.1%3A8443\nx-bce-date:2024-03-22T12%3A38%3A31Z"
        );
    }

    #[test]
    fn vector_list_production_host() {
        let h = [
            ("host", "bcd.baidubce.com"),
            (
                "x-bce-content-sha256",
                "2f2e2b5e1f0d5b0a2e6c1f0cbb9c7b8a7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
            ),
            ("x-bce-date", "2024-03-22T12:38:31Z"),
        ];
        assert_eq!(
            input(&h, "2024-03-22T12:38:31Z").authorization("AKEXAMPLE", "SKEXAMPLE"),
            VECTOR_PROD
        );
    }

    #[test]
    fn vector_edit_with_port_and_odd_secret() {
        let h = [
            ("host", "127.0.0.1:8443"),
            (
                "x-bce-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ("x-bce-date", "2024-02-29T23:59:59Z"),
        ];
        let mut i = input(&h, "2024-02-29T23:59:59Z");
        i.path = "/v1/domain/resolve/edit";
        assert_eq!(i.authorization("ak2", "s k/+=*~密"), VECTOR_EDIT);
    }

    const VECTOR_PROD: &str = "bce-auth-v1/AKEXAMPLE/2024-03-22T12:38:31Z/1800/host;x-bce-content-sha256;x-bce-date/64a0bce777a2d7f30aaf3711a7c62830f305f7e978bda6459c9f8a4e48792f1c";
    const VECTOR_EDIT: &str = "bce-auth-v1/ak2/2024-02-29T23:59:59Z/1800/host;x-bce-content-sha256;x-bce-date/e19757c54d06765b7b4da6b801c27a4524977a75954838271f2a46c625b4ca98";
}
