//! The IPv6 host suffix inside `detect::detect`: the detected prefix is kept, the suffix fills
//! the host bits, the result is checked again before it may be published, and IPv4 ignores the
//! keys. The address comes from a `cmd` source, so no network is needed.

use std::net::IpAddr;

use ddns_rs::config::IpConf;
use ddns_rs::detect::{DetectCtx, DetectError, Family, detect};

fn conf(cmd: &str, suffix: &str, prefixlen: &str) -> IpConf {
    IpConf {
        enable: true,
        gettype: "cmd".into(),
        cmd: cmd.into(),
        suffix: suffix.into(),
        prefixlen: prefixlen.into(),
        ..IpConf::default()
    }
}

fn reason(e: DetectError) -> String {
    let DetectError::Failed { reason, .. } = e;
    reason
}

#[tokio::test]
async fn detected_prefix_with_the_configured_suffix_is_published() {
    let ctx = DetectCtx::default();
    let c = conf(
        "echo 2606:4700:aa:b200:1c2d:3eff:fe4f:5a6b",
        "::1234:5678",
        "",
    );
    let ip = detect(&c, Family::V6, &ctx).await.unwrap();
    assert_eq!(
        ip,
        "2606:4700:aa:b200::1234:5678".parse::<IpAddr>().unwrap()
    );

    let c = conf("echo 2606:4700:aa:b2ff:1:2:3:4", "::12:0:0:0:9", "56");
    let ip = detect(&c, Family::V6, &ctx).await.unwrap();
    assert_eq!(ip, "2606:4700:aa:b212::9".parse::<IpAddr>().unwrap());

    // Without a suffix the detected address is published as it is.
    let c = conf("echo 2606:4700:aa:b2ff:1:2:3:4", "", "56");
    let ip = detect(&c, Family::V6, &ctx).await.unwrap();
    assert_eq!(ip, "2606:4700:aa:b2ff:1:2:3:4".parse::<IpAddr>().unwrap());

    // The keys belong to IPv6: an IPv4 detection ignores them.
    let c = conf("echo 8.8.4.4", "::1", "x");
    let ip = detect(&c, Family::V4, &ctx).await.unwrap();
    assert_eq!(ip, "8.8.4.4".parse::<IpAddr>().unwrap());
}

#[tokio::test]
async fn a_result_that_is_not_public_or_a_bad_suffix_is_refused() {
    let ctx = DetectCtx::default();
    // A /3 prefix leaves room for a suffix that lands in the documentation range.
    let c = conf("echo 2606:4700::1", "1:db8::1", "3");
    let why = reason(detect(&c, Family::V6, &ctx).await.unwrap_err());
    assert!(why.contains("2001:db8::1"), "{why}");
    assert!(why.contains("documentation"), "{why}");

    // A bad suffix is reported before the source is asked (the command would fail loudly).
    let c = conf("exit 3", "2001:db8::1", "64");
    let why = reason(detect(&c, Family::V6, &ctx).await.unwrap_err());
    assert!(why.contains("has bits inside the first 64 bits"), "{why}");
    let c = conf("exit 3", "::1", "200");
    let why = reason(detect(&c, Family::V6, &ctx).await.unwrap_err());
    assert!(why.contains("is not a prefix length"), "{why}");
}
