//! Domain lines (`www.example.com`, `sub:root`, `name?Key=Value`), split into sub-domain and
//! root with the Public Suffix List, as ddns-go's `checkParseDomains` does (spec §2.3).

/// One parsed domain line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Domain {
    /// Host part below the root: "" for the apex, "*" for a wildcard, may contain dots.
    pub sub: String,
    /// Registrable root (zone), e.g. `example.com` or `example.cn.eu.org`.
    pub root: String,
    /// Custom parameters from `?k=v&…`, keys sorted (ddns-go re-encodes them sorted).
    pub params: Vec<(String, String)>,
}

/// Why a domain line was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The line is a public suffix, a single label, or otherwise not a domain.
    #[error("the domain {0} is incorrect")]
    Incorrect(String),
}

impl Domain {
    /// `sub.root`, or `root` for the apex (ddns-go `String()`).
    pub fn name(&self) -> String {
        if self.sub.is_empty() {
            self.root.clone()
        } else {
            format!("{}.{}", self.sub, self.root)
        }
    }

    /// `sub`, or `@` for the apex (ddns-go `GetSubDomain()`).
    pub fn sub_or_at(&self) -> &str {
        if self.sub.is_empty() { "@" } else { &self.sub }
    }

    /// `sub.root`, or `@.root` for the apex (ddns-go `GetFullDomain()`).
    pub fn full_at(&self) -> String {
        format!("{}.{}", self.sub_or_at(), self.root)
    }

    /// The first value of custom parameter `key`, if present.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
