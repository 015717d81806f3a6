//! `-resetPassword` through the real binary: ddns-go's strength rule decides, a refused password
//! leaves the config byte for byte as it was, an accepted one is stored as a `$2a$10$` bcrypt hash
//! in a 0600 file, and `notallowwanaccess` picks the 25- or 30-bit bar.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A minimal ddns-go config; `{wan}` is the `notallowwanaccess` value.
const CONFIG: &str = "dnsconf:
    - name: home
      ipv4:
        enable: true
        gettype: url
        url: https://4.ipw.cn
        netinterface: \"\"
        cmd: \"\"
        domains:
            - example.com
      ipv6:
        enable: false
        gettype: netInterface
        url: \"\"
        netinterface: \"\"
        cmd: \"\"
        ipv6reg: \"\"
        domains: []
      dns:
        name: cloudflare
        id: \"\"
        secret: token
        extparam: \"\"
      ttl: \"\"
      httpinterface: \"\"
user:
    username: admin
    password: $2a$10$t8pMXiYscv9Zi4SEUjw9S.1H0XeGbDrSxcC8O0hvjDphPd./2Anh.
webhook:
    webhookurl: \"\"
    webhookrequestbody: \"\"
    webhookheaders: \"\"
notallowwanaccess: {wan}
lang: en
";

fn config_file(not_allow_wan_access: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".ddns_go_config.yaml");
    let text = CONFIG.replace("{wan}", &not_allow_wan_access.to_string());
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    (dir, path)
}

/// Runs `ddns-rs -c <path> -resetPassword <password>` with only PATH and HOME set.
fn reset(path: &Path, password: &str) -> Output {
    let home = path.parent().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_ddns-rs"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .arg("-c")
        .arg(path)
        .arg("-resetPassword")
        .arg(password)
        .output()
        .unwrap()
}

fn stored_password(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("password:"))
        .unwrap();
    line.trim_start()
        .trim_start_matches("password:")
        .trim()
        .to_string()
}

#[test]
fn a_weak_password_is_refused_and_the_file_is_untouched() {
    let (_dir, path) = config_file(true);
    let before = fs::read(&path).unwrap();
    let out = reset(&path, "123456");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Password is not secure! Try using a more complex password"),
        "{stderr}"
    );
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn a_strong_password_is_stored_as_a_go_style_bcrypt_hash_in_a_0600_file() {
    let (_dir, path) = config_file(false);
    let old = stored_password(&path);
    let out = reset(&path, "Correct-Horse-Battery-9");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let hash = stored_password(&path);
    assert_ne!(hash, old);
    assert!(hash.starts_with("$2a$10$"), "{hash}");
    assert!(bcrypt::verify("Correct-Horse-Battery-9", &hash).unwrap());
    assert!(!bcrypt::verify("123456", &hash).unwrap());
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Everything else is kept.
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("username: admin"), "{text}");
    assert!(text.contains("- example.com"), "{text}");
}

#[test]
fn notallowwanaccess_lowers_the_bar_to_25_bits() {
    // "a.b`c": base 26 + 5 + 1 = 32, 5 bytes, so exactly 5 × log2(32) = 25 bits.
    let (_dir, lan_only) = config_file(true);
    let out = reset(&lan_only, "a.b`c");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(bcrypt::verify("a.b`c", &stored_password(&lan_only)).unwrap());

    let (_dir2, wan) = config_file(false);
    let before = fs::read(&wan).unwrap();
    let out = reset(&wan, "a.b`c");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("25.0 of the 30 bits"),
        "{out:?}"
    );
    assert_eq!(fs::read(&wan).unwrap(), before);
}

#[test]
fn an_over_long_password_is_refused_with_the_bcrypt_limit() {
    let (_dir, path) = config_file(false);
    let before = fs::read(&path).unwrap();
    let out = reset(&path, &"Tr0ub4dor&3-".repeat(7));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("at most 72 bytes"),
        "{out:?}"
    );
    assert_eq!(fs::read(&path).unwrap(), before);
}
