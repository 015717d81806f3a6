//! Disk full and a read-only config directory: the save fails with a message that says what
//! happened and that the old file was kept, the old file stays byte for byte, and the daemon
//! keeps serving with the config it has. Both through `config::store::save` and through the
//! web UI's `/save` of the real binary.
//!
//! The filesystems are a 64 KiB tmpfs and a read-only bind mount, created inside a private
//! mount namespace (`unshare -m`) so nothing leaks to the host. Needs root; fails loudly when
//! mounts are not permitted, unless `DDNS_RS_SKIP_MOUNT=1`.

mod crash_common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crash_common::*;
use ddns_rs::config::{Config, DnsConfig, store};

/// Set in the copy of this test binary that runs inside the mount namespace.
const INSIDE: &str = "DDNS_RS_TEST_IN_MOUNT_NS";

fn config(name: &str) -> Config {
    let mut c = Config::default();
    c.user.username = USER.into();
    c.user.password = store::hash_password(PASSWORD).unwrap();
    c.notallowwanaccess = true;
    let mut e = DnsConfig {
        name: name.into(),
        ..DnsConfig::default()
    };
    e.dns.name = "cloudflare".into();
    e.dns.secret = format!("secret-{name}");
    e.ipv4.domains = vec![format!("{name}.example.com")];
    c.dnsconf.push(e);
    c
}

fn sh(script: &str) {
    let ok = Command::new("sh").args(["-ec", script]).status().unwrap();
    assert!(ok.success(), "{script}");
}

fn entries_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Saves `old`, breaks the directory with `break_it`, then checks that saving `new` fails
/// cleanly with `why` in the message and leaves the old file as it was.
fn save_fails_cleanly(dir: &Path, break_it: &str, why: &str) {
    let path = dir.join("ddns.yaml");
    store::save(&path, &config("old")).unwrap();
    let before = std::fs::read(&path).unwrap();
    sh(break_it);
    let listing = entries_in(dir);
    let err = store::save(&path, &config("new")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("could not save the config file"), "{msg}");
    assert!(
        msg.contains("the previous file was kept unchanged"),
        "{msg}"
    );
    assert!(msg.contains(why), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(entries_in(dir), listing, "a temporary file was left behind");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let loaded = store::load(&path).unwrap().config;
    assert_eq!(loaded.dnsconf[0].name, "old");
}

/// Runs the named test of this binary again inside a private mount namespace.
fn rerun_in_mount_ns(test: &str) {
    if mount_ns_command("true").is_none() {
        return;
    }
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("1 passed"),
        "the inner run did not run the test:\n{text}"
    );
}

#[test]
fn store_save_on_a_full_disk_keeps_the_old_file() {
    if std::env::var_os(INSIDE).is_none() {
        return rerun_in_mount_ns("store_save_on_a_full_disk_keeps_the_old_file");
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().display();
    sh(&format!("mount -t tmpfs -o size=64k,mode=0700 none {d}"));
    save_fails_cleanly(
        tmp.path(),
        &format!("dd if=/dev/zero of={d}/fill bs=4k 2>/dev/null || true"),
        "No space left on device",
    );
    sh(&format!("umount {d}"));
}

#[test]
fn store_save_in_a_read_only_directory_keeps_the_old_file() {
    if std::env::var_os(INSIDE).is_none() {
        return rerun_in_mount_ns("store_save_in_a_read_only_directory_keeps_the_old_file");
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().display();
    save_fails_cleanly(
        tmp.path(),
        &format!("mount --bind {d} {d} && mount -o remount,bind,ro {d}"),
        "Read-only file system",
    );
    sh(&format!("umount {d}"));
}

/// Starts the daemon inside a mount namespace after `prepare` (run with `$D` = the config's
/// directory), saves through the UI, and checks the answer, the file and that it keeps serving.
fn web_save_fails_cleanly(prepare: &str, why: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("conf");
    std::fs::create_dir(&dir).unwrap();
    let seed = tmp.path().join("seed.yaml");
    store::save(&seed, &config("old")).unwrap();
    let before = std::fs::read(&seed).unwrap();
    let port = free_port();
    let cfg = dir.join("ddns.yaml");
    let script = format!(
        "{prepare}\nexec \"$BIN\" {}",
        daemon_args(&cfg, port).join(" ")
    );
    let Some(mut cmd) = mount_ns_command(&script) else {
        return;
    };
    crash_common::isolate(&mut cmd, tmp.path());
    let mut child = cmd
        .env("D", &dir)
        .env("SEED", &seed)
        .env("BIN", env!("CARGO_BIN_EXE_ddns-rs"))
        .spawn()
        .unwrap();
    wait_ready(&mut child, port);
    // The file as the daemon sees it, through its own mount namespace.
    let inside =
        PathBuf::from(format!("/proc/{}/root", child.id())).join(cfg.strip_prefix("/").unwrap());
    assert_eq!(std::fs::read(&inside).unwrap(), before);

    let token = login(port);
    let r = post(port, "/save", Some(&token), &save_body(1)).unwrap();
    assert_eq!(r.status, 200);
    let v = r.json();
    let result = v["result"].as_str().unwrap();
    assert!(result.contains("could not save the config file"), "{v}");
    assert!(
        result.contains("the previous file was kept unchanged"),
        "{v}"
    );
    assert!(result.contains(why), "{v}");
    assert_eq!(v["dnsConf"], "[]");
    assert_eq!(
        std::fs::read(&inside).unwrap(),
        before,
        "the old file changed"
    );

    // Still serving, still with the old config.
    let state = get(port, "/api/state", Some(&token)).unwrap();
    assert_eq!(state.status, 200, "{}", state.body);
    let names: Vec<_> = state.json()["dnsConf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["old"]);
    assert!(child.try_wait().unwrap().is_none(), "the daemon exited");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn web_save_on_a_full_disk_answers_the_error_and_keeps_serving() {
    web_save_fails_cleanly(
        "mount -t tmpfs -o size=64k,mode=0700 none \"$D\"\ncp \"$SEED\" \"$D/ddns.yaml\"\n\
         chmod 600 \"$D/ddns.yaml\"\ndd if=/dev/zero of=\"$D/fill\" bs=4k 2>/dev/null || true",
        "No space left on device",
    );
}

#[test]
fn web_save_in_a_read_only_directory_answers_the_error_and_keeps_serving() {
    web_save_fails_cleanly(
        "cp \"$SEED\" \"$D/ddns.yaml\"\nchmod 600 \"$D/ddns.yaml\"\n\
         mount --bind \"$D\" \"$D\"\nmount -o remount,bind,ro \"$D\"",
        "Read-only file system",
    );
}
