//! The config store against real files: ddns-go's files round-trip byte for byte, migrations
//! rewrite the file (and only they do), errors name line and column, saves are atomic and 0600.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ddns_rs::config::{self, Config, LoadError, store};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/config")
        .join(name);
    fs::read_to_string(path).unwrap()
}

/// Writes `content` to a fresh file in a new temp dir (kept alive by the returned guard).
fn file_with(content: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".ddns_go_config.yaml");
    fs::write(&path, content).unwrap();
    (dir, path)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The file's bytes and mtime, to prove it was not touched.
fn snapshot(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    (
        fs::read(path).unwrap(),
        fs::metadata(path).unwrap().modified().unwrap(),
    )
}

#[test]
fn ddns_go_example_round_trips_byte_identically_and_is_not_rewritten() {
    let text = fixture("ddns_go_example.yaml");
    let (_dir, path) = file_with(&text);
    let before = snapshot(&path);
    let loaded = config::load(&path).unwrap();
    assert!(!loaded.migrated);
    assert!(loaded.save_error.is_none());
    assert_eq!(
        snapshot(&path),
        before,
        "load must not rewrite an unchanged file"
    );
    assert_eq!(config::to_yaml(&loaded.config), text);

    let c = &loaded.config;
    assert_eq!(c.dnsconf.len(), 1);
    let d = &c.dnsconf[0];
    assert_eq!(d.name, "home");
    assert_eq!(d.ipv6.ipv6reg, "@1");
    assert_eq!(d.ipv4.cmd, "");
    assert_eq!(
        d.ipv4.domains[3],
        "api.example.com?Line=telecom&RecordId=123"
    );
    assert_eq!(d.dns.extparam, "");
    assert!(c.notallowwanaccess);
    assert_eq!(c.lang, "zh");
    assert_eq!(
        c.user.password,
        "$2a$10$t8pMXiYscv9Zi4SEUjw9S.1H0XeGbDrSxcC8O0hvjDphPd./2Anh."
    );
    assert_eq!(Some(loaded.fingerprint), config::fingerprint(&path));
}

#[test]
fn quoting_fixture_round_trips_and_decodes_to_the_intended_values() {
    let text = fixture("quoting.yaml");
    let (_dir, path) = file_with(&text);
    let loaded = config::load(&path).unwrap();
    assert!(
        !loaded.migrated,
        "the fixture's password is not plaintext-looking? {:?}",
        loaded.config.user
    );
    assert_eq!(config::to_yaml(&loaded.config), text);

    let c = &loaded.config;
    let (a, b) = (&c.dnsconf[0], &c.dnsconf[1]);
    assert_eq!(a.name, "@home");
    assert_eq!(a.ipv4.url, "a: b");
    assert_eq!(a.ipv4.netinterface, "true");
    assert_eq!(
        a.ipv4.cmd,
        "ip -4 addr show eth0 | grep -oE 'inet [0-9.]+'\necho \"done\"  # note"
    );
    assert_eq!(
        a.ipv4.domains,
        [
            "example.com",
            "*.example.com",
            ":example.com",
            "api.example.com?Line=telecom&RecordId=123",
            "123",
            "- dash",
            "x #y",
            "😺.com",
            "",
            "[x",
            "{x",
            ",x",
            "a,b[c]{d}",
        ]
    );
    assert_eq!(
        (
            a.ipv6.url.as_str(),
            a.ipv6.netinterface.as_str(),
            a.ipv6.cmd.as_str()
        ),
        ("~", "null", "yes")
    );
    assert_eq!((a.dns.name.as_str(), a.dns.id.as_str()), ("0x1F", "1.5"));
    assert_eq!(
        (a.dns.secret.as_str(), a.dns.extparam.as_str()),
        ("it's", " lead")
    );
    assert_eq!(
        (a.ttl.as_str(), a.httpinterface.as_str()),
        ("600", "trail ")
    );
    assert_eq!(b.name, "multi\nline");
    assert_eq!(
        (b.ipv4.gettype.as_str(), b.ipv4.url.as_str()),
        ("2024-01-02", "1:20")
    );
    assert_eq!(b.ipv4.netinterface, "a\tb");
    assert_eq!(b.ipv4.cmd, "ends with space \nnext");
    assert_eq!(b.ipv6.gettype, "-");
    assert_eq!(
        (b.ipv6.url.as_str(), b.ipv6.netinterface.as_str()),
        ("-1", "+1")
    );
    assert_eq!(b.ipv6.cmd, "one trailing newline\n");
    assert_eq!(b.httpinterface, "'x");
    assert_eq!(c.user.username, "\"x");
    assert_eq!(
        c.webhook.webhookrequestbody,
        "{\n    \"msg_type\": \"text\",\n    \"content\": {\"text\": \"#{ipv4Addr} #{ipv4Result}\"}\n}"
    );
    assert_eq!(
        c.webhook.webhookheaders,
        "Authorization: Bearer abc\nX-Other: 1\n\n"
    );
    assert_eq!(c.lang, "\u{feff}zh");
}

#[test]
fn pre_v5_file_is_migrated_into_dnsconf_and_rewritten_as_v6() {
    let (_dir, path) = file_with(&fixture("pre_v5.yaml"));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let loaded = config::load(&path).unwrap();
    assert!(loaded.migrated);
    assert!(loaded.save_error.is_none());
    let c = &loaded.config;
    assert_eq!(c.dnsconf.len(), 1);
    let d = &c.dnsconf[0];
    assert_eq!(d.dns.name, "cloudflare");
    assert_eq!(d.dns.secret, "token123");
    assert_eq!(d.ttl, "600");
    assert!(d.ipv4.enable);
    assert_eq!(
        d.ipv4.domains,
        ["home.example.com", "nas:example.cn.eu.org"]
    );
    assert_eq!(d.ipv6.netinterface, "eth0");
    assert_eq!(d.ipv6.domains, [""]);
    assert!(
        c.user.password.starts_with("$2a$10$"),
        "{}",
        c.user.password
    );
    assert!(bcrypt::verify("admin123", &c.user.password).unwrap());

    // The file now holds exactly the v6 layout ddns-go writes, with mode 0600.
    let written = fs::read_to_string(&path).unwrap();
    assert_eq!(written, config::to_yaml(c));
    assert!(written.starts_with("dnsconf:\n    - name: \"\"\n      ipv4:\n"));
    assert!(!written.contains("\nipv4:") && !written.contains("\nttl:"));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(Some(loaded.fingerprint.clone()), config::fingerprint(&path));

    // Loading again changes nothing.
    let before = snapshot(&path);
    let again = config::load(&path).unwrap();
    assert!(!again.migrated);
    assert_eq!(again.config, loaded.config);
    assert_eq!(snapshot(&path), before);
}

#[test]
fn plaintext_password_is_hashed_and_the_file_rewritten_0600() {
    let text = fixture("ddns_go_example.yaml").replace(
        "$2a$10$t8pMXiYscv9Zi4SEUjw9S.1H0XeGbDrSxcC8O0hvjDphPd./2Anh.",
        "s3cret pass",
    );
    let (_dir, path) = file_with(&text);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let loaded = config::load(&path).unwrap();
    assert!(loaded.migrated);
    let hash = &loaded.config.user.password;
    assert!(hash.starts_with("$2a$10$") && hash.len() == 60, "{hash}");
    assert!(bcrypt::verify("s3cret pass", hash).unwrap());
    let written = fs::read_to_string(&path).unwrap();
    assert_eq!(written, config::to_yaml(&loaded.config));
    assert!(written.contains(&format!("    password: {hash}\n")));
    assert!(!written.contains("s3cret"));
    assert_eq!(mode(&path), 0o600);
    // Everything else is exactly what ddns-go wrote.
    assert_eq!(
        written.replace(hash.as_str(), "X"),
        text.replace("s3cret pass", "X")
    );
}

#[test]
fn lang_and_empty_account_are_not_migrations() {
    let text = "dnsconf: []\nuser:\n    username: \"\"\n    password: \"\"\nwebhook:\n    \
                webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\n\
                notallowwanaccess: false\nlang: zh-CN\n";
    let (_dir, path) = file_with(text);
    let before = snapshot(&path);
    let loaded = config::load(&path).unwrap();
    assert!(!loaded.migrated);
    assert_eq!(snapshot(&path), before);
    assert_eq!(loaded.config.lang, "zh-CN");
    assert!(!loaded.config.notallowwanaccess);
    assert_eq!(config::effective_lang(&loaded.config), "zh");
    assert!(config::wan_access_forbidden(&loaded.config));
}

fn parse_error(content: &str) -> (usize, usize, String) {
    let (_dir, path) = file_with(content);
    let before = snapshot(&path);
    let err = config::load(&path).unwrap_err();
    assert_eq!(
        snapshot(&path),
        before,
        "a file that fails to parse must be left untouched"
    );
    let display = err.to_string();
    match err {
        LoadError::Parse {
            path: p,
            line,
            column,
            message,
        } => {
            assert_eq!(p, path);
            assert!(display.contains(&path.display().to_string()), "{display}");
            assert!(
                display.contains(&format!("line {line}, column {column}")),
                "{display}"
            );
            (line, column, message)
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn wrong_type_names_the_key_line_column_and_what_was_expected() {
    let (line, column, message) = parse_error(
        "dnsconf:\n    - name: x\n      ipv4:\n        enable: maybe\n        gettype: url\n",
    );
    assert_eq!((line, column), (4, 17));
    assert!(message.contains("dnsconf[0].ipv4.enable"), "{message}");
    assert!(
        message.contains("maybe") && message.contains("true or false"),
        "{message}"
    );
    assert!(
        !message.contains("at line"),
        "position is not repeated: {message}"
    );
}

#[test]
fn tab_indentation_gets_a_hint() {
    let (line, column, message) = parse_error("dnsconf:\n\t- name: x\n");
    assert_eq!((line, column), (2, 1));
    assert!(
        message.contains("tab") && message.contains("spaces"),
        "{message}"
    );
}

#[test]
fn syntax_errors_name_their_position() {
    let (line, column, _) = parse_error("user:\n    username: a\n  password: b\n");
    assert_eq!((line, column), (3, 3));
    let (line, _, message) = parse_error("lang: \"zh\nuser: x\n");
    assert_eq!(line, 3);
    assert!(message.contains("quoted scalar"), "{message}");
    let (line, column, message) = parse_error("dnsconf: 5\n");
    assert_eq!((line, column), (1, 10));
    assert!(message.contains("expected a sequence"), "{message}");
}

#[test]
fn invalid_utf8_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    fs::write(&path, b"lang: en\nuser:\n    username: ab\xff\n").unwrap();
    match config::load(&path).unwrap_err() {
        LoadError::Parse { line, column, .. } => assert_eq!((line, column), (3, 17)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fs::read(&path).unwrap(),
        b"lang: en\nuser:\n    username: ab\xff\n"
    );
}

#[test]
fn missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.yaml");
    match config::load(&path) {
        Err(LoadError::NotFound(p)) => assert_eq!(p, path),
        other => panic!("{other:?}"),
    }
    assert!(!path.exists());
    assert_eq!(config::fingerprint(&path), None);
}

#[test]
fn go_style_nulls_and_yaml_1_1_bools_load() {
    let text = "dnsconf:\n    - name: x\n      ipv4:\n        enable: yes\n        domains: ~\n      \
                ipv6:\n        enable:\n        domains:\nnotallowwanaccess: Off\n";
    let (_dir, path) = file_with(text);
    let c = config::load(&path).unwrap().config;
    assert!(c.dnsconf[0].ipv4.enable);
    assert!(!c.dnsconf[0].ipv6.enable);
    assert!(c.dnsconf[0].ipv4.domains.is_empty());
    assert!(!c.notallowwanaccess);
    let (_dir, path) = file_with("dnsconf: ~\nnotallowwanaccess: ON\n");
    let c = config::load(&path).unwrap().config;
    assert!(c.dnsconf.is_empty() && c.notallowwanaccess);
}

#[test]
fn empty_file_loads_as_defaults_without_rewrite() {
    let (_dir, path) = file_with("");
    let loaded = config::load(&path).unwrap();
    assert_eq!(loaded.config, Config::default());
    assert!(!loaded.migrated);
    assert_eq!(fs::read(&path).unwrap(), b"");
}

#[test]
fn save_creates_parents_uses_0600_and_leaves_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/c/.ddns_go_config.yaml");
    let c = Config {
        lang: "en".into(),
        ..Config::default()
    };
    config::save(&path, &c).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), config::to_yaml(&c));
    assert_eq!(mode(&path), 0o600);
    let entries: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(entries.len(), 1, "only the config file is left");
}

#[test]
fn save_over_a_0644_file_makes_it_0600_and_replaces_it_whole() {
    let (dir, path) = file_with("old content that is much longer than the new one ...........\n");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let c = Config::default();
    config::save(&path, &c).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), config::to_yaml(&c));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn save_follows_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.yaml");
    fs::write(&real, "lang: en\n").unwrap();
    let link = dir.path().join(".ddns_go_config.yaml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    config::save(&link, &Config::default()).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read_to_string(&real).unwrap(),
        config::to_yaml(&Config::default())
    );
}

#[test]
fn save_error_names_the_path_and_os_error_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a parent directory should be: creating the directory fails.
    let blocker = dir.path().join("blocker");
    fs::write(&blocker, "x").unwrap();
    let path = blocker.join("cfg.yaml");
    let err = config::save(&path, &Config::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains(&err.source.to_string()), "{msg}");
    assert!(msg.contains("previous file was kept"), "{msg}");
    assert_eq!(fs::read_to_string(&blocker).unwrap(), "x");
}

#[test]
fn fingerprint_changes_with_content_even_at_equal_length() {
    let (_dir, path) = file_with("lang: en\n");
    let a = config::fingerprint(&path).unwrap();
    assert_eq!(config::fingerprint(&path), Some(a.clone()));
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    fs::write(&path, "lang: zh\n").unwrap();
    // Restore the mtime so only the content hash can tell the versions apart.
    let f = fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(mtime).unwrap();
    drop(f);
    let b = config::fingerprint(&path).unwrap();
    assert_ne!(a, b);
}

#[test]
fn default_path_is_in_home() {
    assert_eq!(
        store::default_path(Some(Path::new("/home/u"))),
        PathBuf::from("/home/u/.ddns_go_config.yaml")
    );
}
