//! `-completion bash|zsh|fish` and `-manpage` through the real binary: each output covers every
//! flag of the table, is accepted by the real shell (bash, and zsh/fish where installed:
//! .ci/run installs them) or by groff without a warning, and the run touches no file.

use std::path::Path;
use std::process::{Command, Output};

use ddns_rs::cli::flag_docs;

const BIN: &str = env!("CARGO_BIN_EXE_ddns-rs");

/// Runs the binary with `args` and a fresh, empty HOME (where the default config would be).
fn run(args: &[&str], home: &Path) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .env("HOME", home)
        .env_remove("JOURNAL_STREAM")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
    out
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Generates the script for `shell` into a file in `dir`, checks that nothing else appeared
/// there (no config was written) and returns the file.
fn generate(shell: &str, dir: &Path) -> std::path::PathBuf {
    let home = tempfile::tempdir().unwrap();
    let out = run(&["-completion", shell], home.path());
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    for f in flag_docs() {
        // fish names old-style options without the dash (`-o noweb`).
        let needle = match shell {
            "fish" => format!(" -o {} ", f.name),
            _ => format!("-{}", f.name),
        };
        assert!(text.contains(&needle), "{shell}: -{}", f.name);
    }
    let path = dir.join(format!("ddns-rs.{shell}"));
    std::fs::write(&path, text).unwrap();
    path
}

fn shell_output(shell: &str, script: &str) -> String {
    let out = Command::new(shell).args(["-c", script]).output().unwrap();
    assert!(out.status.success(), "{shell}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completion_parses_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate("bash", dir.path());
    let check = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(check.status.success(), "{check:?}");
    // Ask the completion function itself, as bash would on <Tab>.
    let ask = |words: &str| {
        shell_output(
            "bash",
            &format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
                 _ddns_rs; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                file.display()
            ),
        )
    };
    assert_eq!(ask("ddns-rs -s ''"), "install\nuninstall\nrestart\n");
    assert_eq!(ask("ddns-rs --s re"), "restart\n");
    assert_eq!(ask("ddns-rs -logF"), "-logFormat\n");
    let all = ask("ddns-rs ''");
    assert_eq!(all.lines().count(), flag_docs().len());
    // A free-form value gets no flag names offered.
    assert_eq!(ask("ddns-rs -l ''"), "\n");
}

#[test]
fn zsh_completion_parses() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate("zsh", dir.path());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("#compdef ddns-rs\n"));
    if !have("zsh") {
        eprintln!("zsh is not installed: only the structure was checked");
        return;
    }
    let check = Command::new("zsh").arg("-n").arg(&file).output().unwrap();
    assert!(check.status.success(), "{check:?}");
}

#[test]
fn fish_completion_parses_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate("fish", dir.path());
    if !have("fish") {
        eprintln!("fish is not installed: only the structure was checked");
        return;
    }
    let check = Command::new("fish").arg("-n").arg(&file).output().unwrap();
    assert!(check.status.success(), "{check:?}");
    let ask = |line: &str| {
        shell_output(
            "fish",
            &format!(
                "source {}; complete -C '{line}' | string replace -r '\\t.*' ''",
                file.display()
            ),
        )
    };
    assert_eq!(ask("ddns-rs -s "), "install\nrestart\nuninstall\n");
    assert_eq!(ask("ddns-rs -nowe"), "-noweb\n");
}

#[test]
fn man_page_renders_without_warnings() {
    let home = tempfile::tempdir().unwrap();
    let out = run(&["-manpage"], home.path());
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.starts_with(".TH DDNS\\-RS 1 "));
    if !have("groff") {
        eprintln!("groff is not installed: only the structure was checked");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ddns-rs.1");
    std::fs::write(&file, &page).unwrap();
    // -ww: every warning; the page must produce none. -P-cbou: plain text, no bold escapes.
    let r = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .arg(&file)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    assert!(r.status.success(), "{r:?}");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.is_empty(), "groff warnings:\n{stderr}");
    // Every flag heads its own paragraph of the rendered page.
    let text = String::from_utf8(r.stdout).unwrap();
    for f in flag_docs() {
        // A short tag shares its line with the help text; a long one stands alone.
        let head = match f.arg {
            Some(t) => format!("\n       -{} {t} ", f.name),
            None => format!("\n       -{} ", f.name),
        };
        let alone = head.trim_end().to_string() + "\n";
        assert!(
            text.contains(&head) || text.contains(&alone),
            "-{}:\n{text}",
            f.name
        );
    }
}
