//! Request signature algorithms, each once, byte-identical to the official SDKs'.

pub mod aliyun;
pub mod bce;
pub mod huawei;
pub mod nowcn;
pub mod tc3;
pub mod tsig;
pub mod volcengine;

/// The `Host` header value a request to `url` carries: the host, plus `:port` when the URL
/// names a non-default port. Signers must sign exactly this (spec/provider-apis.md §0).
pub fn host_header(url: &url::Url) -> Option<String> {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => Some(format!("{h}:{p}")),
        (Some(h), None) => Some(h.to_string()),
        (None, _) => None,
    }
}
