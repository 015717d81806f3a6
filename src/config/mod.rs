//! The YAML config file, in ddns-go's schema: the schema itself, domain lines, and the store
//! (load, migrate old layouts, atomic 0600 save, change detection for hot reload).
//!
//! Not here: what the values mean at run time (that is `detect`, `sync` and `provider`).

pub mod domain;
pub mod schema;
pub mod store;

pub use domain::{Domain, DomainError};
pub use schema::{Config, DnsConfig, DnsProvider, IpConf, User, Webhook};
