//! `gettype: netInterface` against real kernel interfaces in a network namespace made for the
//! test: a veth whose peer is down (so an address added without `nodad` stays tentative), a
//! deprecated address, a ULA, a link-local, an interface that is down. Only veth is used: the
//! dummy driver is not available everywhere.
//!
//! Needs root and `ip`. Without network namespaces the test fails, unless DDNS_RS_SKIP_NETNS=1.

use std::fs::File;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::process::Command;

use ddns_rs::config::IpConf;
use ddns_rs::detect::{
    DetectCtx, Family, IfaceError, InterfaceAddrs, detect, detect_iface, list_interfaces,
};

/// A network namespace that is deleted when dropped, even if the test panics.
struct Netns {
    name: String,
}

impl Netns {
    /// Creates the namespace; None only when DDNS_RS_SKIP_NETNS=1 and creation failed.
    fn create() -> Option<Netns> {
        let mut rand = [0u8; 4];
        getrandom::fill(&mut rand).unwrap();
        let name = format!("ddnsrs-test-{}", hex::encode(rand));
        let out = Command::new("ip").args(["netns", "add", &name]).output();
        match out {
            Ok(o) if o.status.success() => Some(Netns { name }),
            other => {
                let why = format!("cannot create network namespace {name}: {other:?}");
                if std::env::var("DDNS_RS_SKIP_NETNS").as_deref() == Ok("1") {
                    eprintln!("SKIPPED (DDNS_RS_SKIP_NETNS=1): {why}");
                    None
                } else {
                    panic!("{why}; run as root with iproute2, or set DDNS_RS_SKIP_NETNS=1 to skip");
                }
            }
        }
    }

    /// Runs `ip -n <ns> <args>` and insists it succeeds.
    fn ip(&self, args: &str) -> String {
        let out = Command::new("ip")
            .arg("-n")
            .arg(&self.name)
            .args(args.split_whitespace())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ip {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `f` on a thread that has entered the namespace.
    fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/var/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let ns = File::open(&path).unwrap();
            // SAFETY: setns(2) moves only this thread into the namespace; the fd is valid and
            // outlives the call.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
            f()
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// The addresses of `dev` as iproute2 prints them (dump order), with their flag words.
    fn iproute_addrs(&self, family: &str, dev: &str) -> Vec<(IpAddr, Vec<String>)> {
        self.ip(&format!("-o {family} addr show dev {dev}"))
            .lines()
            .map(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                let at = words
                    .iter()
                    .position(|w| *w == "inet" || *w == "inet6")
                    .unwrap();
                let ip = words[at + 1].split('/').next().unwrap().parse().unwrap();
                (ip, words.iter().map(|w| w.to_string()).collect())
            })
            .collect()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// The namespace every test uses; see the module comment.
fn setup() -> Option<Netns> {
    let ns = Netns::create()?;
    ns.ip("link add v0 type veth peer name v1");
    ns.ip("link set v0 up");
    ns.ip("addr add 192.168.7.2/24 dev v0");
    ns.ip("addr add 192.168.7.3/24 dev v0");
    ns.ip("addr add 100.70.0.1/32 dev v0");
    ns.ip("addr add 169.254.9.9/16 dev v0");
    ns.ip("-6 addr add 2001:db8:1::4/64 dev v0 nodad preferred_lft 0 valid_lft forever");
    ns.ip("-6 addr add 2001:db8:1::3/64 dev v0");
    ns.ip("-6 addr add fd00::1/64 dev v0 nodad");
    ns.ip("-6 addr add fe80::1234/64 dev v0 nodad");
    ns.ip("-6 addr add 2001:db8:1::2/64 dev v0 nodad");
    ns.ip("-6 addr add 2001:db8:1::1/64 dev v0 nodad");
    ns.ip("link add d1 type veth peer name d1p");
    ns.ip("addr add 198.51.100.7/32 dev d1");
    ns.ip("-6 addr add 2001:db8:9::1/64 dev d1 nodad");
    ns.ip("link add d2 type veth peer name d2p");
    ns.ip("link set d2 up");
    ns.ip("addr add 10.1.1.1/24 dev d2");
    Some(ns)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn has(words: &[String], flag: &str) -> bool {
    words.iter().any(|w| w == flag)
}

#[test]
fn listing_follows_kernel_order_and_ddns_go_rules() {
    let Some(ns) = setup() else { return };
    let list: Vec<InterfaceAddrs> = ns.run(|| list_interfaces().unwrap());
    let names: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
    // lo (down in a new namespace), v1, d1, d1p and d2p (down) are not listed.
    assert_eq!(names, ["v0", "d2"]);
    let v0 = &list[0];

    // IPv4: private kept, link-local dropped, iproute2's order; "secondary" read from the kernel.
    let want4: Vec<_> = ns
        .iproute_addrs("-4", "v0")
        .into_iter()
        .filter(|(a, _)| *a != ip("169.254.9.9"))
        .collect();
    let got4: Vec<IpAddr> = v0.ipv4.iter().map(|a| a.ip).collect();
    assert_eq!(got4, want4.iter().map(|(a, _)| *a).collect::<Vec<_>>());
    assert_eq!(got4.len(), 3);
    assert!(got4.contains(&ip("192.168.7.2")) && got4.contains(&ip("100.70.0.1")));
    for (a, (_, words)) in v0.ipv4.iter().zip(&want4) {
        assert_eq!(a.flags.temporary, has(words, "secondary"), "{a:?}");
    }

    // IPv6: only 2000::/3, in dump order, with tentative and deprecated flags as iproute2 sees them.
    let want6: Vec<_> = ns
        .iproute_addrs("-6", "v0")
        .into_iter()
        .filter(|(a, _)| !a.to_string().starts_with("fd") && !a.to_string().starts_with("fe80"))
        .collect();
    let got6: Vec<IpAddr> = v0.ipv6.iter().map(|a| a.ip).collect();
    assert_eq!(got6, want6.iter().map(|(a, _)| *a).collect::<Vec<_>>());
    assert_eq!(got6.len(), 4, "{got6:?}");
    for (a, (_, words)) in v0.ipv6.iter().zip(&want6) {
        assert_eq!(a.flags.tentative, has(words, "tentative"), "{a:?}");
        assert_eq!(a.flags.deprecated, has(words, "deprecated"), "{a:?}");
    }
    let flags_of = |s: &str| v0.ipv6.iter().find(|a| a.ip == ip(s)).unwrap().flags;
    assert!(flags_of("2001:db8:1::3").tentative);
    assert!(flags_of("2001:db8:1::4").deprecated);
    assert!(flags_of("2001:db8:1::1").usable() && !flags_of("2001:db8:1::1").deprecated);

    assert_eq!(
        list[1].ipv4.iter().map(|a| a.ip).collect::<Vec<_>>(),
        [ip("10.1.1.1")]
    );
    assert!(list[1].ipv6.is_empty());
}

#[test]
fn selection_in_a_namespace() {
    let Some(ns) = setup() else { return };
    let order: Vec<(IpAddr, Vec<String>)> = ns
        .iproute_addrs("-6", "v0")
        .into_iter()
        .filter(|(a, _)| a.to_string().starts_with("2001:db8:1::"))
        .collect();
    let usable = |words: &Vec<String>| !has(words, "tentative");
    let preferred = order
        .iter()
        .find(|(_, w)| usable(w) && !has(w, "deprecated"))
        .unwrap()
        .0;
    assert!(
        preferred == ip("2001:db8:1::1") || preferred == ip("2001:db8:1::2"),
        "{preferred}"
    );

    let results = ns.run(|| {
        let pick = |name: &str, family, sel: &str| detect_iface(name, family, sel);
        vec![
            ("v4", pick("v0", Family::V4, "")),
            ("none", pick("v0", Family::V6, "")),
            ("@1", pick("v0", Family::V6, "@1")),
            ("@2", pick("v0", Family::V6, "@2")),
            ("@3", pick("v0", Family::V6, "@3")),
            ("@4", pick("v0", Family::V6, "@4")),
            ("@5", pick("v0", Family::V6, "@5")),
            ("@0", pick("v0", Family::V6, "@0")),
            ("re2", pick("v0", Family::V6, "::2$")),
            ("re3", pick("v0", Family::V6, ":1::3$")),
            ("re-none", pick("v0", Family::V6, "^zzz")),
            ("re-bad", pick("v0", Family::V6, "(")),
            ("down", pick("d1", Family::V4, "")),
            ("peer-down", pick("v1", Family::V6, "")),
            ("missing", pick("nope0", Family::V6, "")),
            ("no-v6", pick("d2", Family::V6, "")),
            ("empty-name", pick("", Family::V4, "")),
        ]
    });
    let get = |key: &str| &results.iter().find(|(k, _)| *k == key).unwrap().1;
    let ok = |key: &str| get(key).as_ref().map(|a| *a).map_err(|e| e.to_string());

    // IPv4: the private primary address is kept and chosen.
    assert_eq!(ok("v4").unwrap(), ip("192.168.7.2"));
    // No selector: tentative and deprecated are skipped.
    assert_eq!(ok("none").unwrap(), preferred);
    // @N counts in kernel order; a tentative pick is refused, a deprecated pick honoured.
    for n in 1..=4 {
        let (addr, words) = &order[n - 1];
        let got = ok(&format!("@{n}"));
        if has(words, "tentative") {
            assert!(got.unwrap_err().contains("tentative"), "@{n}");
        } else {
            assert_eq!(got.unwrap(), *addr, "@{n}");
        }
    }
    assert_eq!(
        ok("@5").unwrap(),
        preferred,
        "beyond the count: the preferred address"
    );
    assert!(
        matches!(get("@0"), Err(IfaceError::BadIndex(_))),
        "{:?}",
        get("@0")
    );
    assert_eq!(ok("re2").unwrap(), ip("2001:db8:1::2"));
    assert!(ok("re3").unwrap_err().contains("tentative"));
    assert_eq!(ok("re-none").unwrap(), preferred);
    assert_eq!(ok("re-bad").unwrap(), preferred);
    assert!(
        matches!(get("down"), Err(IfaceError::Down(n)) if n == "d1"),
        "{:?}",
        get("down")
    );
    assert!(
        matches!(get("peer-down"), Err(IfaceError::Down(_))),
        "{:?}",
        get("peer-down")
    );
    assert_eq!(
        ok("missing").unwrap_err(),
        "network interface \"nope0\" does not exist (see `ip link`)"
    );
    assert!(
        matches!(get("no-v6"), Err(IfaceError::NoAddress { .. })),
        "{:?}",
        get("no-v6")
    );
    assert!(matches!(get("empty-name"), Err(IfaceError::NoName)));
}

#[test]
fn detect_dispatches_net_interface_inside_a_runtime() {
    let Some(ns) = setup() else { return };
    let (v4, v6, err) = ns.run(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let ctx = DetectCtx::default();
            let conf = IpConf {
                enable: true,
                gettype: "netInterface".into(),
                netinterface: "v0".into(),
                // Applies to IPv6 only.
                ipv6reg: "::2$".into(),
                ..IpConf::default()
            };
            let v4 = detect(&conf, Family::V4, &ctx).await;
            let v6 = detect(&conf, Family::V6, &ctx).await;
            let missing = IpConf {
                netinterface: "eth99".into(),
                ..conf
            };
            (v4, v6, detect(&missing, Family::V6, &ctx).await)
        })
    });
    assert_eq!(v4.unwrap(), ip("192.168.7.2"));
    assert_eq!(v6.unwrap(), ip("2001:db8:1::2"));
    let text = err.unwrap_err().to_string();
    assert_eq!(
        text,
        "no IPv6 address: interface \"eth99\": network interface \"eth99\" does not exist (see `ip link`)"
    );
}
