//! TNet HK (`dns.name: tnethk`): the Now.cn API at TNet's host; see [`super::nowcn`].

use super::ProviderSettings;
use super::nowcn::{Flavor, Nowcn};

/// TNet HK's API host.
pub const FLAVOR: Flavor = Flavor {
    key: "tnethk",
    name: "TNet HK",
    production: "https://www.tnet.hk",
};

/// Labels and help for the web UI and docs.
pub const META: super::ProviderMeta = super::ProviderMeta {
    key: "tnethk",
    name: "Tnethk",
    id_label: "auth-userid",
    secret_label: "api-key",
    extparam_label: "",
    help_url: "https://www.tnet.hk/",
    help: "The account's auth-userid and api-key from the member centre's API settings. Param: Id.",
    default_ttl: "600",
    change_only: false,
};

/// Builds the provider (`id` = auth-userid, `secret` = api-key).
pub fn new(s: ProviderSettings) -> Nowcn {
    Nowcn::new(s, FLAVOR)
}
