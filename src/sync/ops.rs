//! The engine's operational side: recording detections, API calls and writes for `/metrics`
//! and the history, and rollback — writing one record to a given value through its provider
//! (the web UI's "roll back" button and `-rollback`).

use std::future::Future;
use std::net::IpAddr;

use super::status::Observation;
use super::{Engine, entry_label, provider_key};
use crate::config::domain::parse_domains;
use crate::config::{Domain, IpConf};
use crate::detect::{DetectError, Family};
use crate::history::{HistoryEntry, Reason};
use crate::metrics::source_label;
use crate::provider::{Plan, Provider, ProviderError, RecordType};

/// A request to put a record back to an earlier value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackRequest {
    /// The config entry's label; None: the first entry listing the record.
    pub entry: Option<String>,
    /// The record's full name.
    pub domain: String,
    /// A or AAAA.
    pub rtype: RecordType,
    /// The value to restore; None: the value before the record's last write, from the history.
    pub value: Option<String>,
}

impl RollbackRequest {
    /// Parses `-rollback <domain>:<A|AAAA>[:<value>]` (an IPv6 value keeps its colons).
    pub fn parse_flag(s: &str) -> Result<RollbackRequest, String> {
        let mut parts = s.trim().splitn(3, ':');
        let domain = parts.next().unwrap_or_default().trim();
        let rtype = match parts
            .next()
            .map(|t| t.trim().to_ascii_uppercase())
            .as_deref()
        {
            Some("A") => RecordType::A,
            Some("AAAA") => RecordType::Aaaa,
            _ => {
                return Err(format!(
                    "-rollback {s:?}: expected <domain>:<A|AAAA>[:<value>], e.g. www.example.com:A or www.example.com:AAAA:2001:db8::1"
                ));
            }
        };
        if domain.is_empty() {
            return Err(format!("-rollback {s:?}: the domain is missing"));
        }
        let value = parts.next().map(str::trim).filter(|v| !v.is_empty());
        Ok(RollbackRequest {
            entry: None,
            domain: domain.to_string(),
            rtype,
            value: value.map(str::to_string),
        })
    }
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackOutcome {
    /// The entry label whose provider was used.
    pub entry: String,
    /// The value the record now holds.
    pub value: IpAddr,
    /// False when the record already held the value (nothing was written).
    pub written: bool,
}

/// Why a rollback was not done.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    /// No config entry lists the record.
    #[error(
        "no config entry has the {rtype} record {domain}; check the domain, the type and the entry name"
    )]
    NoSuchRecord {
        /// The record name asked for.
        domain: String,
        /// A or AAAA.
        rtype: &'static str,
    },
    /// No value given and the history has no earlier one.
    #[error(
        "the history has no earlier value of the {rtype} record {domain}; give the value to restore"
    )]
    NoHistory {
        /// The record name.
        domain: String,
        /// A or AAAA.
        rtype: &'static str,
    },
    /// The value is not an address of the record's type, or is not publishable.
    #[error("{value:?} cannot be put in the {rtype} record: {why}")]
    BadValue {
        /// The value given.
        value: String,
        /// A or AAAA.
        rtype: &'static str,
        /// Why not.
        why: String,
    },
    /// The provider could not be set up.
    #[error("{0}")]
    Setup(String),
    /// The provider refused or failed.
    #[error("{0}")]
    Provider(#[from] ProviderError),
}

/// Short machine-readable kind of a provider error, for the `kind` metric label.
fn error_kind(e: &ProviderError) -> &'static str {
    match e {
        ProviderError::Auth(_) => "auth",
        ProviderError::ZoneNotFound(_) => "zone_not_found",
        ProviderError::Permission(_) => "permission",
        ProviderError::RateLimited { .. } => "rate_limited",
        ProviderError::Transport(_) => "transport",
        ProviderError::Api(_) => "api",
        ProviderError::Unsupported(_) => "unsupported",
        ProviderError::Refused(_) => "refused",
    }
}

fn family_label(f: Family) -> &'static str {
    match f {
        Family::V4 => "ipv4",
        Family::V6 => "ipv6",
    }
}

impl Engine {
    /// Counts one detection for `/metrics` and remembers the address for `/healthz`.
    pub(super) fn note_detection(
        &self,
        i: usize,
        ipconf: &IpConf,
        family: Family,
        r: &Result<IpAddr, DetectError>,
    ) {
        let source = source_label(&ipconf.gettype);
        let fam = family_label(family);
        self.opts
            .metrics
            .detection(i, source, fam, r.as_ref().ok().copied());
    }

    /// Runs one provider call, counting it (and its failure) for `/metrics`.
    pub(super) async fn counted<T>(
        &self,
        provider: &dyn Provider,
        op: &'static str,
        call: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        self.opts.metrics.api_call(provider.key(), op);
        let r = call.await;
        if let Err(e) = &r {
            self.opts.metrics.api_error(provider.key(), error_kind(e));
        }
        r
    }

    /// The record holds `addr` (found so, or just written).
    pub(super) fn note_ok(&self, i: usize, d: &Domain, rtype: RecordType, addr: IpAddr) {
        let label = entry_label(i, &self.config.dnsconf[i]);
        let now = crate::timefmt::unix_now();
        let value = addr.to_string();
        self.opts
            .metrics
            .record_ok(&label, &d.name(), rtype.as_str(), &value, now);
    }

    /// Records a successful write in the history and the metrics. `rollback` marks a write
    /// asked for by a person rather than by detection.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn note_write(
        &self,
        i: usize,
        provider: &dyn Provider,
        d: &Domain,
        rtype: RecordType,
        plan: &Plan,
        addr: IpAddr,
        rollback: bool,
    ) {
        if let Some(e) = self.write_entry(i, provider, d, rtype, plan, addr, rollback)
            && let Some(history) = &self.opts.history
        {
            history.append(&e);
        }
    }

    /// Counts a successful write in the metrics and returns its history line (None when no
    /// history is kept), for the caller to append, possibly with others in one write.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_entry(
        &self,
        i: usize,
        provider: &dyn Provider,
        d: &Domain,
        rtype: RecordType,
        plan: &Plan,
        addr: IpAddr,
        rollback: bool,
    ) -> Option<HistoryEntry> {
        self.note_ok(i, d, rtype, addr);
        self.opts.history.as_ref()?;
        let conf = &self.config.dnsconf[i];
        let (old, reason) = match plan {
            Plan::Update { records } => (records.first().map(|r| r.value.clone()), Reason::Changed),
            Plan::Create => (None, Reason::Created),
            _ => (None, Reason::Forced),
        };
        let gettype = match rtype {
            RecordType::A => &conf.ipv4.gettype,
            RecordType::Aaaa => &conf.ipv6.gettype,
        };
        let (reason, source) = if rollback {
            (Reason::Rollback, "rollback")
        } else {
            (reason, source_label(gettype))
        };
        Some(HistoryEntry {
            time: crate::timefmt::unix_now(),
            entry: entry_label(i, conf),
            domain: d.name(),
            rtype: rtype.as_str().to_string(),
            old,
            new: addr.to_string(),
            reason,
            source: source.to_string(),
            provider: provider.key().to_string(),
        })
    }

    /// Finds the entry and domain line of `req`'s record.
    fn find_record(&self, req: &RollbackRequest) -> Option<(usize, Domain)> {
        for (i, c) in self.config.dnsconf.iter().enumerate() {
            if req.entry.as_ref().is_some_and(|e| *e != entry_label(i, c)) {
                continue;
            }
            let ipconf = match req.rtype {
                RecordType::A => &c.ipv4,
                RecordType::Aaaa => &c.ipv6,
            };
            let found = parse_domains(&ipconf.domains).0.into_iter().find(|d| {
                d.name()
                    .eq_ignore_ascii_case(req.domain.trim_end_matches('.'))
            });
            if let Some(d) = found {
                return Some((i, d));
            }
        }
        None
    }

    /// Puts one record back to an earlier value through its provider. A value that is not in
    /// the record's history is checked like a detected address (globally routable) first.
    pub async fn rollback(
        &mut self,
        req: &RollbackRequest,
    ) -> Result<RollbackOutcome, RollbackError> {
        let rtype = req.rtype.as_str();
        let history = self.opts.history.clone();
        let (text, entry, trusted) = match &req.value {
            Some(v) => {
                let known = history
                    .as_ref()
                    .is_some_and(|h| h.knows(&req.domain, rtype, v.trim()));
                (v.trim().to_string(), req.entry.clone(), known)
            }
            None => {
                let prev = history
                    .as_ref()
                    .and_then(|h| h.previous(&req.domain, rtype));
                let Some((v, e)) = prev else {
                    return Err(RollbackError::NoHistory {
                        domain: req.domain.clone(),
                        rtype,
                    });
                };
                (v, req.entry.clone().or(Some(e)), true)
            }
        };
        let bad = |why: String| RollbackError::BadValue {
            value: text.clone(),
            rtype,
            why,
        };
        let addr: IpAddr = text.parse().map_err(|_| bad("not an IP address".into()))?;
        if RecordType::of(addr) != req.rtype {
            return Err(bad(format!(
                "an {rtype} record holds only IPv{} addresses",
                if req.rtype == RecordType::A { 4 } else { 6 }
            )));
        }
        if !trusted {
            crate::detect::check_public(addr).map_err(|r| bad(r.to_string()))?;
        }
        let req = RollbackRequest {
            entry,
            ..req.clone()
        };
        let Some((i, d)) = self.find_record(&req) else {
            return Err(RollbackError::NoSuchRecord {
                domain: req.domain.clone(),
                rtype,
            });
        };
        let label = entry_label(i, &self.config.dnsconf[i]);
        let provider = self.provider_for(i).map_err(RollbackError::Setup)?;
        let lookup = self
            .counted(&*provider, "lookup", provider.lookup(&d, req.rtype))
            .await?;
        let plan = provider.plan(&d, &lookup, addr);
        let now = crate::timefmt::unix_now();
        if let Plan::NoChange { .. } = plan {
            self.note_ok(i, &d, req.rtype, addr);
            return Ok(RollbackOutcome {
                entry: label,
                value: addr,
                written: false,
            });
        }
        let applied = self
            .counted(
                &*provider,
                "write",
                provider.apply(&d, req.rtype, &lookup, &plan, addr),
            )
            .await;
        if let Err(e) = applied {
            self.status.record(
                i,
                &d.name(),
                req.rtype,
                Observation::failed(e.to_string()),
                now,
            );
            return Err(e.into());
        }
        self.entries[i]
            .published
            .insert((d.name(), req.rtype), addr);
        self.note_write(i, &*provider, &d, req.rtype, &plan, addr, true);
        self.status.record(
            i,
            &d.name(),
            req.rtype,
            Observation::updated(addr.to_string()),
            now,
        );
        tracing::info!(
            "{label}: rolled back the {} record of {} to {addr} ({})",
            rtype,
            d.name(),
            provider_key(&self.config.dnsconf[i])
        );
        Ok(RollbackOutcome {
            entry: label,
            value: addr,
            written: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rollback_flag() {
        let r = RollbackRequest::parse_flag("www.example.com:aaaa:2001:db8::1").unwrap();
        assert_eq!(r.domain, "www.example.com");
        assert_eq!(r.rtype, RecordType::Aaaa);
        assert_eq!(r.value.as_deref(), Some("2001:db8::1"));
        let r = RollbackRequest::parse_flag("a.example.com:A").unwrap();
        assert_eq!((r.rtype, r.value), (RecordType::A, None));
        assert!(RollbackRequest::parse_flag("a.example.com").is_err());
        assert!(RollbackRequest::parse_flag("a.example.com:MX:1.2.3.4").is_err());
        assert!(RollbackRequest::parse_flag(":A").is_err());
    }
}
