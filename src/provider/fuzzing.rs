//! Entry points for the fuzz targets in `fuzz/` (hidden from the documentation; not part of the
//! product API). [`parse_answer`] hands untrusted bytes to the very functions each provider
//! uses to read its API's answers — record lists, zone ids, write confirmations, error
//! envelopes — so a fuzzer can reach them without a network.

use std::time::Duration;

use super::{Answer, Existing, ProviderError, RecordType};
use super::{alidns, aliesa, baiducloud, cloudflare, cloudns, dnsla, hipmdnsmgr};

/// Which answer of a provider to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A lookup's answer: the record list (or the value) of one name.
    Records,
    /// A zone or domain search, where the provider has one.
    Zone,
    /// The answer to a create or an update.
    Write,
}

/// Every provider [`parse_answer`] knows, in a fixed order (the fuzz target picks by index).
pub const PROVIDERS: &[&str] = &[
    "alidns",
    "aliesa",
    "baiducloud",
    "cloudflare",
    "cloudns",
    "dnsla",
    "hipmdnsmgr",
];

/// The zone every parser is given where it needs one.
const ROOT: &str = "example.com";

/// The name every parser looks for where it needs one (the fakes use `www`).
const NAME: &str = "www.example.com";

/// Reads `body`, answered with HTTP `status`, as `provider`'s answer to `op` would be read, for
/// `rtype`. Returns the records found (a zone id or a confirmation as one record's `id`), or the
/// error the provider would report. An unknown provider or an op it does not have is an
/// [`ProviderError::Api`] error.
pub fn parse_answer(
    provider: &str,
    op: Op,
    rtype: RecordType,
    status: u16,
    body: &[u8],
) -> Result<Vec<Existing>, ProviderError> {
    let answer = Answer {
        status,
        body: String::from_utf8_lossy(body).into_owned(),
        retry_after: Some(Duration::from_secs(7)),
    };
    match (provider, op) {
        ("alidns", Op::Records) => alidns::read_records(&alidns::answer_body(answer, ROOT)?, rtype),
        ("alidns", Op::Write) => {
            alidns::write_confirmed(&alidns::answer_body(answer, ROOT)?, ROOT).map(|()| Vec::new())
        }
        ("cloudflare", Op::Zone) => {
            cloudflare::first_zone(cloudflare::decode(answer)?, ROOT).map(id_only)
        }
        ("cloudflare", Op::Records) => cloudflare::decode(answer).map(cloudflare::existing),
        ("aliesa", Op::Zone) => {
            let (id, access) = aliesa::site_of(&aliesa::answer_body(answer, ROOT)?, ROOT)?;
            Ok(id_only(format!("{id}/{access}")))
        }
        ("aliesa", Op::Records) => aliesa::read_records(&aliesa::answer_body(answer, ROOT)?, NAME),
        ("baiducloud", Op::Records) => {
            let page = baiducloud::read_page(&baiducloud::answer_body(answer, ROOT)?)?;
            Ok(baiducloud::matching(page.result, "www", rtype))
        }
        ("cloudns", Op::Records) => {
            let v = cloudns::decode("records.json", answer, ROOT)?;
            Ok(cloudns::read_records(&v, "www", rtype))
        }
        ("cloudns", Op::Write) => {
            cloudns::decode("add-record.json", answer, ROOT).map(|_| Vec::new())
        }
        ("dnsla", Op::Records) => {
            let data = dnsla::decode(answer, ROOT)?;
            let apex = dnsla::read_records(data.clone(), rtype, "@", true)?;
            let mut www = dnsla::read_records(data, rtype, "www", false)?;
            www.extend(apex);
            Ok(www)
        }
        ("hipmdnsmgr", Op::Records) => {
            let (list, _) = hipmdnsmgr::record_page(hipmdnsmgr::decode(answer, ROOT)?)?;
            Ok(hipmdnsmgr::matching(list, rtype, "@", true).collect())
        }
        _ => Err(ProviderError::Api(format!(
            "{provider} has no {op:?} answer here"
        ))),
    }
}

/// An id (a zone, a new record) as a one-record result.
fn id_only(id: String) -> Vec<Existing> {
    vec![Existing {
        id,
        value: String::new(),
        ttl: None,
        proxied: None,
    }]
}
