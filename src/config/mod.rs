//! The YAML config file, in ddns-go's schema: the schema itself, domain lines, and the store
//! (load, migrate old layouts, atomic 0600 save, change detection for hot reload).
//!
//! Not here: what the values mean at run time (that is `detect`, `sync` and `provider`).

pub mod domain;
mod emit;
pub mod headless;
mod lenient;
pub mod password;
mod scalar;
mod scalar_time;
pub mod schema;
pub mod secrets;
pub mod store;
mod suffix_list;
pub mod watch;

pub use domain::{Domain, DomainError, parse_domain_line, parse_domains};
pub use schema::{Config, DnsConfig, DnsProvider, IpConf, NotifyChannel, Push, User, Webhook};
pub use store::{
    Fingerprint, LoadError, Loaded, SaveError, default_path, effective_lang, fingerprint, load,
    save, to_yaml, wan_access_forbidden,
};
