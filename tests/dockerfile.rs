//! The Dockerfile cannot be built here (no container engine, no image registry), so its
//! promises are checked as text: a static (musl) build, an empty final base, a non-root user, a
//! HEALTHCHECK that runs the binary the image installs with the `-l` the default command uses,
//! and flags the binary really accepts.

use std::path::Path;

fn dockerfile() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile")).unwrap()
}

/// Instructions of the last stage, continuation lines joined.
fn final_stage(text: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    let lines: Vec<&str> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let start = lines.iter().rposition(|l| l.starts_with("FROM ")).unwrap();
    lines[start..].iter().map(|l| l.to_string()).collect()
}

/// The JSON array of an exec-form instruction such as `CMD ["a", "b"]`.
fn exec_form(line: &str, keyword: &str) -> Vec<String> {
    let at = line.find(keyword).unwrap() + keyword.len();
    serde_json::from_str(line[at..].trim()).unwrap()
}

#[test]
fn static_binary_on_an_empty_base_as_non_root() {
    let text = dockerfile();
    let stage = final_stage(&text);
    assert_eq!(stage[0], "FROM scratch");
    assert!(
        text.contains("-unknown-linux-musl"),
        "the build must be static"
    );
    let user = stage.iter().find(|l| l.starts_with("USER ")).unwrap();
    assert!(!user.contains(" 0") && !user.contains("root"), "{user}");
    assert!(stage.iter().any(|l| l == "VOLUME [\"/data\"]"));
}

#[test]
fn healthcheck_runs_the_installed_binary_with_the_default_listen_address() {
    let text = dockerfile();
    let stage = final_stage(&text);
    let entry = exec_form(
        stage.iter().find(|l| l.starts_with("ENTRYPOINT ")).unwrap(),
        "ENTRYPOINT",
    );
    let cmd = exec_form(stage.iter().find(|l| l.starts_with("CMD ")).unwrap(), "CMD");
    let health = stage
        .iter()
        .find(|l| l.starts_with("HEALTHCHECK "))
        .unwrap();
    let check = exec_form(health, "CMD");
    // The health check runs the same binary the entrypoint runs, which the build installs.
    assert_eq!(check[0], entry[0]);
    assert!(
        text.contains(&format!("/out{}", entry[0])),
        "{} is not installed",
        entry[0]
    );
    let listen = |args: &[String]| {
        let i = args.iter().position(|a| a == "-l").unwrap();
        args[i + 1].clone()
    };
    assert_eq!(listen(&check[1..]), listen(&cmd));
    // Both command lines parse with the real flag parser.
    for args in [&check[1..], &cmd[..]] {
        let parsed = ddns_rs::cli::parse(args, Some(Path::new("/data")), Path::new("/"));
        assert!(parsed.is_ok(), "{args:?}: {:?}", parsed.err());
    }
    assert!(
        ddns_rs::cli::parse(&check[1..], None, Path::new("/"))
            .unwrap()
            .healthcheck
    );
}
