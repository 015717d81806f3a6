//! Inputs found by the `config_yaml` fuzz target, kept as tests.
//!
//! 2026-11-21: a config with `ipv6reg` under `ipv4` (and broken-up keys around it). Not a crash:
//! the first save drops the key (ddns-go's ipv4 section has no `ipv6reg`), which the target's
//! first invariant ("load(save(c)) == c") flagged. The real property is that a saved file loads
//! back and saves to the same bytes, and that everything ddns-go knows survives.

use ddns_rs::config::store;

const FOUND: &str = "dnsconf:\n    - name: home\n      ipv4dnsconf:\n    - name: home\n      ipv4:\n        enable      e at line 11 col     getdnsctype: netInterface\n        netinterface: eth0\n        ipv6reg: '@1'\n        domains:\n            - v6.example.com\n      donf:\n    - name: home\n      ipv4:\n       ns:\n        name: cloudfl ea";

#[test]
fn ipv6reg_under_ipv4_is_dropped_once_then_saves_are_stable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, FOUND).unwrap();
    let first = store::load(&path).unwrap().config;
    assert_eq!(first.dnsconf.len(), 3);
    assert_eq!(first.dnsconf[1].ipv4.ipv6reg, "@1");
    assert_eq!(first.dnsconf[1].ipv4.netinterface, "eth0");

    store::save(&path, &first).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    let second = store::load(&path).unwrap().config;
    assert_eq!(
        second.dnsconf[1].ipv4.ipv6reg, "",
        "ipv4 has no ipv6reg in ddns-go's layout"
    );
    assert_eq!(second.dnsconf[1].ipv4.netinterface, "eth0");
    assert_eq!(second.dnsconf[1].ipv4.domains, ["v6.example.com"]);

    store::save(&path, &second).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), saved);
}
