//! Entry points for the fuzz targets in `fuzz/` (hidden from the documentation; not part of the
//! product API). [`parse_answer`] hands untrusted bytes to the very functions each provider
//! uses to read its API's answers — record lists, zone searches, write confirmations, error
//! envelopes — so a fuzzer reaches them without a network. Only the glue that picks the
//! function lives here; the parsing is the providers' own code.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::{Answer, Existing, ProviderError, RecordType};
use super::{
    alidns, aliesa, baiducloud, cloudflare, cloudns, desec, dnsla, dnspod, dynadot, dynv6, edgeone,
    gcore, godaddy, hipmdnsmgr, huaweicloud, name_com, nowcn, nsone, porkbun, powerdns, rainyun,
    spaceship, tencentcloud, trafficroute, vercel,
};
use crate::config::domain::{Domain, parse_domain_line};

/// Which answer of a provider to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A lookup's answer: the record list (or the record) of one name.
    Records,
    /// A zone or site search, where the provider has one.
    Zone,
    /// The answer to a create or an update, where the provider reads it; for ESA and EdgeOne,
    /// the origin pool / origin group their origin modes read instead of a record list.
    Write,
}

/// Every provider [`parse_answer`] knows, in a fixed order (the fuzz target picks by index).
pub const PROVIDERS: &[&str] = &[
    "alidns",
    "aliesa",
    "baiducloud",
    "cloudflare",
    "cloudns",
    "desec",
    "dnsla",
    "dnspod",
    "dynadot",
    "dynv6",
    "edgeone",
    "gcore",
    "godaddy",
    "hipmdnsmgr",
    "huaweicloud",
    "name_com",
    "nowcn",
    "nsone",
    "porkbun",
    "powerdns",
    "rainyun",
    "spaceship",
    "tencentcloud",
    "trafficroute",
    "vercel",
];

/// The zone every parser is given where it needs one.
const ROOT: &str = "example.com";

/// The name every parser looks for where it needs one (the fakes serve `www`).
const NAME: &str = "www.example.com";

/// Reads `body`, answered with HTTP `status`, as `provider` reads its answer to `op` for a
/// record of type `rtype` on `www.example.com`. Returns the records found (a zone id or a
/// write confirmation as a record's `id`), or the error the provider would report. An unknown
/// provider, or an op the provider does not have, is an [`ProviderError::Api`] error.
pub fn parse_answer(
    provider: &str,
    op: Op,
    rtype: RecordType,
    status: u16,
    body: &[u8],
) -> Result<Vec<Existing>, ProviderError> {
    let a = Answer {
        status,
        body: String::from_utf8_lossy(body).into_owned(),
        retry_after: Some(Duration::from_secs(7)),
    };
    match (provider, op) {
        ("alidns", Op::Records) => alidns::read_records(&alidns::answer_body(a, ROOT)?, rtype),
        ("alidns", Op::Write) => {
            alidns::write_confirmed(&alidns::answer_body(a, ROOT)?, NAME).map(|()| Vec::new())
        }
        ("aliesa", Op::Zone) => {
            let (id, access) = aliesa::site_of(&aliesa::answer_body(a, ROOT)?, ROOT)?;
            Ok(id_only(format!("{id}/{access}")))
        }
        ("aliesa", Op::Records) => aliesa::read_records(&aliesa::answer_body(a, ROOT)?, NAME),
        // An origin pool named `pool` with an origin `www` (ESA's pool mode).
        ("aliesa", Op::Write) => {
            let body = aliesa::answer_body(a, ROOT)?;
            aliesa::pool::read_pool(&body, "pool", "www", "77").map(|(_, origins)| origins)
        }
        ("baiducloud", Op::Records) => {
            let page = baiducloud::read_page(&baiducloud::answer_body(a, ROOT)?)?;
            Ok(baiducloud::matching(page.result, "www", rtype))
        }
        ("cloudflare", Op::Zone) => {
            cloudflare::first_zone(cloudflare::decode(a)?, ROOT).map(id_only)
        }
        ("cloudflare", Op::Records) => cloudflare::decode(a).map(cloudflare::existing),
        ("cloudns", Op::Records) => {
            let v = cloudns::decode("records.json", a, ROOT)?;
            cloudns::read_records(&v, "www", rtype)
        }
        ("cloudns", Op::Write) => cloudns::decode("add-record.json", a, ROOT).map(|_| Vec::new()),
        ("desec", Op::Records) => {
            let body = ok_or(a, |a| {
                desec::classify(a.status, a.retry_after, &a.body, ROOT)
            })?;
            desec::read_records(&body, "www", rtype)
        }
        ("dnsla", Op::Records) => {
            let data = dnsla::decode(a, ROOT)?;
            let mut found = dnsla::read_records(data.clone(), rtype, "www", false)?;
            found.extend(dnsla::read_records(data, rtype, "@", true)?);
            Ok(found)
        }
        ("dnspod", Op::Records) => {
            let (code, v) = dnspod::decode("Record.List", a, &["10"], ROOT)?;
            dnspod::read_records(&code, &v)
        }
        ("dnspod", Op::Write) => dnspod::decode("Record.Modify", a, &[], ROOT).map(|_| Vec::new()),
        ("dynadot", Op::Write) => {
            dynadot::check(a.status, a.retry_after, &a.body, ROOT).map(|()| Vec::new())
        }
        ("dynv6", Op::Zone) => {
            let body = ok_or(a, |a| {
                dynv6::classify(a.status, a.retry_after, &a.body, ROOT)
            })?;
            dynv6::pick_listed_zone(&body, NAME, ROOT).map(|(_, rel)| id_only(rel))
        }
        ("dynv6", Op::Records) => {
            let body = ok_or(a, |a| {
                dynv6::classify(a.status, a.retry_after, &a.body, ROOT)
            })?;
            dynv6::read_records(&body, "www", rtype)
        }
        ("edgeone", Op::Zone) => edgeone::zone_of(edgeone::decode(a, ROOT)?, ROOT).map(id_only),
        // EdgeOne's origin-group mode: group `www` (an id or a name).
        ("edgeone", Op::Write) => {
            edgeone::origin::read_group(edgeone::decode(a, ROOT)?, "www", "zone-1")
                .map(|(_, origins)| origins)
        }
        ("edgeone", Op::Records) => edgeone::read_records(edgeone::decode(a, ROOT)?, NAME, rtype),
        ("gcore", Op::Records) => {
            let body = ok_or(a, |a| gcore::classify(&a, ROOT))?;
            gcore::read_rrset(&body, NAME)
        }
        ("godaddy", Op::Records) => {
            let body = ok_or(a, |a| {
                godaddy::classify(a.status, a.retry_after, &a.body, ROOT)
            })?;
            godaddy::read_records(&body)
        }
        ("hipmdnsmgr", Op::Records) => {
            let (list, _) = hipmdnsmgr::record_page(hipmdnsmgr::decode(a, ROOT)?)?;
            Ok(hipmdnsmgr::matching(list, rtype, "www", false).collect())
        }
        ("huaweicloud", Op::Zone) => {
            huaweicloud::zone_of(&huaweicloud::answer_body(a, ROOT)?, ROOT).map(id_only)
        }
        ("huaweicloud", Op::Records) => {
            let body = huaweicloud::answer_body(a, ROOT)?;
            let sets = huaweicloud::parse::<huaweicloud::RecordSets>(&body, "record set list")?;
            Ok(huaweicloud::matching(
                sets.recordsets,
                "www.example.com.",
                rtype,
            ))
        }
        ("huaweicloud", Op::Write) => {
            let body = huaweicloud::answer_body(a, ROOT)?;
            let addr = match rtype {
                RecordType::A => IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                RecordType::Aaaa => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            };
            huaweicloud::HuaweiCloud::confirm(&body, &domain()?, addr).map(|()| Vec::new())
        }
        ("name_com", Op::Records) => {
            let body = ok_or(a, |a| {
                name_com::classify(a.status, a.retry_after, &a.body, ROOT)
            })?;
            name_com::read_page(&body, "www", rtype).map(|(found, _)| found)
        }
        ("nowcn", Op::Records) => match nowcn::list_body("Now.cn", a, ROOT)? {
            Some(body) => nowcn::read_records(&body, "Now.cn", rtype, "www", false),
            None => Ok(Vec::new()),
        },
        ("nsone", Op::Records) => {
            let body = ok_or(a, |a| nsone::classify(&a, ROOT))?;
            nsone::read_record(&body).map(|r| vec![r])
        }
        ("porkbun", Op::Records) => Ok(porkbun::read_records(&porkbun::decode(a, ROOT)?)),
        ("powerdns", Op::Records) => {
            powerdns::records_of(&powerdns::answer_body(a, ROOT)?, NAME, rtype)
        }
        ("rainyun", Op::Records) => {
            let (list, _) = rainyun::read_page(rainyun::decode(a, "42")?)?;
            let domain = domain()?;
            Ok(list
                .iter()
                .filter(|r| rainyun::matches(r, &domain, rtype))
                .map(|r| rainyun::existing(r.clone()))
                .collect())
        }
        ("spaceship", Op::Records) => {
            let body = ok_or(a, |a| {
                spaceship::classify(a.status, a.retry_after, &a.body, ROOT)
            })?;
            spaceship::read_page(&body, "www", rtype).map(|(found, _, _)| found)
        }
        ("tencentcloud", Op::Records) => {
            tencentcloud::read_records(tencentcloud::decode(a)?, rtype, ROOT)
        }
        ("trafficroute", Op::Zone) => trafficroute::zone_of(trafficroute::decode(a, ROOT)?, ROOT)
            .map(|z| id_only(z.to_string())),
        ("trafficroute", Op::Records) => {
            trafficroute::read_records(trafficroute::decode(a, ROOT)?, "www", rtype)
        }
        ("vercel", Op::Records) => {
            let body = ok_or(a, |a| {
                vercel::classify(a.status, a.retry_after, &a.body, ROOT)
            })?;
            vercel::read_page(&body, "www", rtype).map(|(found, _)| found)
        }
        _ => Err(ProviderError::Api(format!(
            "{provider} has no {op:?} answer here"
        ))),
    }
}

/// The body of a 2xx answer, or the provider's classification of any other (the `call` of the
/// providers that read a plain body).
fn ok_or(
    a: Answer,
    classify: impl FnOnce(Answer) -> ProviderError,
) -> Result<String, ProviderError> {
    a.into_result().map_err(classify)
}

/// `www.example.com` as the config would give it.
fn domain() -> Result<Domain, ProviderError> {
    match parse_domain_line(NAME) {
        Ok(Some(d)) => Ok(d),
        _ => Err(ProviderError::Api(format!("{NAME} does not parse"))),
    }
}

/// An id (a zone, a site) as a one-record result.
fn id_only(id: String) -> Vec<Existing> {
    vec![Existing {
        id,
        value: String::new(),
        ttl: None,
        proxied: None,
    }]
}
