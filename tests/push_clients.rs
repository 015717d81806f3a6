//! Router push with real dyndns2 clients: ddclient and inadyn (Debian packages, installed by
//! `.ci/run`), configured as a router would be (dyndns2, server 127.0.0.1:PORT, login and
//! password), push an address to the real `ddns-rs` binary, whose config has an `rfc2136`
//! entry with `gettype: push` pointing at a real BIND started by the test. The new A record
//! then resolves in BIND; a wrong password gets `badauth` and BIND is left alone.

mod servers;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use hickory_proto::rr::RecordType as Wire;
use servers::{Bind, free_port, secret_of};

const USER: &str = "router";
const PASS: &str = "Push-Pass-42";

/// The client program, or a panic saying how to install it.
fn client_bin(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} is not installed: `apt-get install -y ddclient inadyn` (.ci/run does it)");
}

fn config(bind: SocketAddr, hosts: &[&str]) -> String {
    let domains: String = hosts
        .iter()
        .map(|h| format!("\n            - {h}"))
        .collect();
    format!(
        "dnsconf:\n    - name: router\n      ipv4:\n        enable: true\n        gettype: push\n        \
         url: \"\"\n        netinterface: \"\"\n        cmd: \"\"\n        domains:{domains}\n      \
         ipv6:\n        enable: false\n        gettype: \"\"\n        url: \"\"\n        \
         netinterface: \"\"\n        cmd: \"\"\n        ipv6reg: \"\"\n        domains: []\n      \
         dns:\n        name: rfc2136\n        id: key-sha256\n        secret: '{}'\n        \
         extparam: '{bind}'\n      ttl: \"\"\n      httpinterface: \"\"\nuser:\n    username: \"\"\n    \
         password: \"\"\nwebhook:\n    webhookurl: \"\"\n    webhookrequestbody: \"\"\n    \
         webhookheaders: \"\"\nnotallowwanaccess: true\nlang: en\npush:\n    username: {USER}\n    \
         password: '{PASS}'\n",
        secret_of("key-sha256")
    )
}

/// The ddns-rs daemon with its web server (and so the push endpoint) on a free port.
struct Daemon {
    child: tokio::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Daemon {
    async fn start(bind: SocketAddr, hosts: &[&str]) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("ddns.yaml");
        std::fs::write(&cfg, config(bind, hosts)).unwrap();
        let port = free_port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ddns-rs"))
            .args(["-c", cfg.to_str().unwrap(), "-f", "3600"])
            .args(["-l", &format!("127.0.0.1:{port}")])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        // Ready once it accepts connections (bounded: a daemon that never listens fails).
        for _ in 0..600 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Daemon {
                    child,
                    port,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("ddns-rs never listened on 127.0.0.1:{port}");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn a_records(bind: SocketAddr, name: &str) -> Vec<IpAddr> {
    servers::query(bind, name, Wire::A).await.1
}

/// ddclient once in the foreground, as a router's ddclient would be set up for dyndns2.
async fn ddclient(port: u16, pass: &str, ip: &str, host: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("ddclient.conf");
    // ddclient 3.10: `use=ip, ip=…` gives the address (usev4 is not used by its dyndns2).
    std::fs::write(
        &conf,
        format!(
            "daemon=0\nssl=no\nuse=ip, ip={ip}\nprotocol=dyndns2\nserver=127.0.0.1:{port}\n\
             login={USER}\npassword='{pass}'\n{host}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&conf, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    tokio::process::Command::new(client_bin("ddclient"))
        .args(["-foreground", "-daemon=0", "-verbose", "-noquiet"])
        .arg("-file")
        .arg(&conf)
        .arg("-cache")
        .arg(dir.path().join("ddclient.cache"))
        .arg("-pid")
        .arg(dir.path().join("ddclient.pid"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .await
        .unwrap()
}

/// inadyn once in the foreground with a `custom` dyndns2 provider section.
async fn inadyn(port: u16, pass: &str, ip: &str, host: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("inadyn.conf");
    std::fs::write(
        &conf,
        format!(
            "period = 300\ncustom push {{\n    ssl = false\n    checkip-command = \"echo {ip}\"\n    \
             ddns-server = 127.0.0.1:{port}\n    \
             ddns-path = \"/nic/update?hostname=%h&myip=%i\"\n    username = {USER}\n    \
             password = \"{pass}\"\n    hostname = {{ \"{host}\" }}\n}}\n"
        ),
    )
    .unwrap();
    tokio::process::Command::new(client_bin("inadyn"))
        .args(["-1", "--foreground", "-l", "debug", "-f"])
        .arg(&conf)
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .arg("-P")
        .arg(dir.path().join("inadyn.pid"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn ddclient_pushes_through_ddns_rs_into_bind() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let host = "ddclient.example.test";
    let d = Daemon::start(bind.addr, &[host]).await;
    assert!(a_records(bind.addr, host).await.is_empty());

    // Wrong password: badauth, and nothing reaches BIND.
    let out = ddclient(d.port, "not-the-password", "45.77.10.1", host).await;
    let t = text(&out);
    assert!(t.contains("badauth"), "{t}");
    assert!(!t.contains("SUCCESS"), "{t}");
    assert_eq!(bind.updates_approved(), 0);
    assert!(a_records(bind.addr, host).await.is_empty());

    let out = ddclient(d.port, PASS, "45.77.10.1", host).await;
    let t = text(&out);
    assert!(t.contains("good 45.77.10.1"), "{t}");
    assert!(t.contains("SUCCESS"), "{t}");
    assert_eq!(
        a_records(bind.addr, host).await,
        vec!["45.77.10.1".parse::<IpAddr>().unwrap()]
    );
    // A new address replaces the record.
    let out = ddclient(d.port, PASS, "45.77.10.9", host).await;
    assert!(text(&out).contains("good 45.77.10.9"), "{}", text(&out));
    assert_eq!(
        a_records(bind.addr, host).await,
        vec!["45.77.10.9".parse::<IpAddr>().unwrap()]
    );
}

#[tokio::test]
async fn inadyn_pushes_through_ddns_rs_into_bind() {
    let Some(bind) = Bind::start().await else {
        return;
    };
    let host = "inadyn.example.test";
    let d = Daemon::start(bind.addr, &[host]).await;

    // Wrong password: inadyn reports the refusal and exits with an error; BIND untouched.
    let out = inadyn(d.port, "not-the-password", "45.77.20.1", host).await;
    let t = text(&out);
    assert!(t.contains("badauth"), "{t}");
    assert!(!out.status.success(), "{t}");
    assert_eq!(bind.updates_approved(), 0);
    assert!(a_records(bind.addr, host).await.is_empty());

    let out = inadyn(d.port, PASS, "45.77.20.1", host).await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("good 45.77.20.1"), "{t}");
    assert_eq!(
        a_records(bind.addr, host).await,
        vec!["45.77.20.1".parse::<IpAddr>().unwrap()]
    );
    // Pushing the same address again is `nochg`, which inadyn counts as success.
    let out = inadyn(d.port, PASS, "45.77.20.1", host).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("nochg 45.77.20.1"), "{}", text(&out));
    assert_eq!(bind.updates_approved(), 1);
}
