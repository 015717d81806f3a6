//! Domain lines from a real ddns-go file, through the public API.

use ddns_rs::config::{self, DomainError, parse_domains};

#[test]
fn example_file_domains_parse_as_ddns_go_would() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/config/ddns_go_example.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let c: config::Config = yaml_serde::from_str(&text).unwrap();
    let (v4, errors) = parse_domains(&c.dnsconf[0].ipv4.domains);
    assert!(errors.is_empty());
    let split: Vec<(&str, &str)> = v4
        .iter()
        .map(|d| (d.sub.as_str(), d.root.as_str()))
        .collect();
    assert_eq!(
        split,
        [
            ("", "example.com"),
            ("www", "example.com"),
            ("nas", "sub.example.cn.eu.org"),
            ("api", "example.com"),
        ]
    );
    assert_eq!(v4[3].params_query(), "Line=telecom&RecordId=123");
    assert_eq!(v4[3].param("Line"), Some("telecom"));
    assert_eq!(v4[0].full_at(), "@.example.com");
}

#[test]
fn errors_say_what_to_write_instead() {
    let (ok, errors) = parse_domains(&["github.io".to_string(), "a:b:c".to_string()]);
    assert!(ok.is_empty());
    assert_eq!(
        errors,
        [
            DomainError::Incorrect("github.io".into()),
            DomainError::Incorrect("a:b:c".into())
        ]
    );
    let msg = errors[0].to_string();
    assert!(
        msg.contains("github.io") && msg.contains("sub:root"),
        "{msg}"
    );
}
