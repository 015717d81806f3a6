//! ddns-rs: a dynamic-DNS client and daemon, drop-in compatible with ddns-go.
//!
//! The pipeline (see DESIGN.md): `config` → `detect` → `sync` (plan → apply) → `provider`, with
//! `notify` fired after each config entry's run. Data moves one way; `provider` knows nothing of
//! detection or the config file.

pub mod cli;
pub mod config;
pub mod detect;
pub mod history;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod provider;
pub mod service;
pub mod sync;
pub mod template;
pub mod timefmt;
pub mod web;

/// The version string printed by `-v` (ddns-go prints its tag; we print ours).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
