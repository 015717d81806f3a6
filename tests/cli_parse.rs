//! The command line parser against Go `flag` semantics: every syntax form, every error message,
//! defaults, and a generated sweep over flag/value-syntax combinations.

use std::path::{Path, PathBuf};

use ddns_rs::cli::{CliError, Flags, ServiceAction, parse, usage};

const HOME: &str = "/home/u";
const CWD: &str = "/work/dir";

fn args(s: &[&str]) -> Vec<String> {
    s.iter().map(|a| a.to_string()).collect()
}

fn ok(s: &[&str]) -> Flags {
    parse(&args(s), Some(Path::new(HOME)), Path::new(CWD)).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// The error message line (before the usage text) of a rejected command line.
fn err(s: &[&str]) -> String {
    match parse(&args(s), Some(Path::new(HOME)), Path::new(CWD)) {
        Err(CliError::Usage(text)) => {
            let (msg, rest) = text.split_once('\n').unwrap();
            assert!(
                rest.starts_with("Usage of ddns-rs:\n"),
                "usage follows the message: {text}"
            );
            assert!(
                rest.contains("(default \"/home/u/.ddns_go_config.yaml\")"),
                "real -c default: {rest}"
            );
            msg.to_string()
        }
        other => panic!("{s:?}: expected a usage error, got {other:?}"),
    }
}

fn defaults() -> Flags {
    Flags {
        listen: ":9876".into(),
        interval: 300,
        cache_times: 5,
        config: PathBuf::from("/home/u/.ddns_go_config.yaml"),
        noweb: false,
        skip_verify: false,
        dns: None,
        reset_password: None,
        service: None,
        self_update: false,
        daemon: false,
        version: false,
        once: false,
        dry_run: false,
        rollback: None,
        headless: Default::default(),
        tls_cert: None,
        tls_key: None,
        log_file: None,
        log_size: 1_048_576,
        log_keep: 3,
        completion: None,
        manpage: false,
        healthcheck: false,
        rest: vec![],
    }
}

#[test]
fn no_arguments_give_the_defaults() {
    assert_eq!(ok(&[]), defaults());
}

#[test]
fn default_config_without_home_is_parent_dir_made_absolute() {
    let f = parse(&[], None, Path::new("/a/b")).unwrap();
    assert_eq!(f.config, PathBuf::from("/a/.ddns_go_config.yaml"));
    let f = parse(&[], Some(Path::new("")), Path::new("/a/b")).unwrap();
    assert_eq!(f.config, PathBuf::from("/a/.ddns_go_config.yaml"));
}

#[test]
fn value_syntaxes_are_equivalent() {
    for form in [
        &["-f", "60"][..],
        &["-f=60"],
        &["--f", "60"],
        &["--f=60"],
        &["-f", "0x3c"],
        &["-f=074"],
        &["-f", "+60"],
        &["-f=6_0"],
    ] {
        assert_eq!(ok(form).interval, 60, "{form:?}");
    }
    assert_eq!(ok(&["-l", "127.0.0.1:80"]).listen, "127.0.0.1:80");
    assert_eq!(ok(&["--l=[::]:9876"]).listen, "[::]:9876");
    assert_eq!(ok(&["-l=0.0.0.0:1"]).listen, "0.0.0.0:1");
    // A value may itself look like a flag or contain '='.
    assert_eq!(
        ok(&["-resetPassword", "-noweb"]).reset_password.as_deref(),
        Some("-noweb")
    );
    assert_eq!(ok(&["-dns=a=b"]).dns.as_deref(), Some("a=b"));
    assert_eq!(ok(&["-cacheTimes", "0"]).cache_times, 0);
}

#[test]
fn bool_forms() {
    for t in ["1", "t", "T", "TRUE", "true", "True"] {
        assert!(ok(&[&format!("-noweb={t}")]).noweb, "{t}");
    }
    for f in ["0", "f", "F", "FALSE", "false", "False"] {
        assert!(!ok(&["-noweb", &format!("--noweb={f}")]).noweb, "{f}");
    }
    assert!(ok(&["-noweb"]).noweb);
    assert!(ok(&["--skipVerify"]).skip_verify);
    // A bool flag never takes the next argument: "false" is the first positional.
    let f = ok(&["-noweb", "false", "-v"]);
    assert!(f.noweb);
    assert!(!f.version);
    assert_eq!(f.rest, args(&["false", "-v"]));
}

#[test]
fn every_flag_is_recognised() {
    let f = ok(&[
        "-l",
        ":1",
        "-f",
        "2",
        "-cacheTimes",
        "3",
        "-c",
        "/x.yaml",
        "-noweb",
        "-skipVerify",
        "-dns",
        "8.8.8.8",
        "-resetPassword",
        "pw",
        "-s",
        "install",
        "-u",
        "-d",
        "-v",
        "-once",
        "-dryRun",
    ]);
    assert_eq!(
        f,
        Flags {
            listen: ":1".into(),
            interval: 2,
            cache_times: 3,
            config: PathBuf::from("/x.yaml"),
            noweb: true,
            skip_verify: true,
            dns: Some("8.8.8.8".into()),
            reset_password: Some("pw".into()),
            service: Some(ServiceAction::Install),
            self_update: true,
            daemon: true,
            version: true,
            once: true,
            dry_run: true,
            rollback: None,
            headless: Default::default(),
            tls_cert: None,
            tls_key: None,
            log_file: None,
            log_size: 1_048_576,
            log_keep: 3,
            completion: None,
            manpage: false,
            healthcheck: false,
            rest: vec![],
        }
    );
}

#[test]
fn once_and_dry_run_combine() {
    let f = ok(&["-once", "-dryRun"]);
    assert!(f.once && f.dry_run);
    let f = ok(&["--dryRun=true", "--once"]);
    assert!(f.once && f.dry_run);
}

#[test]
fn service_values() {
    assert_eq!(ok(&["-s", "install"]).service, Some(ServiceAction::Install));
    assert_eq!(
        ok(&["-s=uninstall"]).service,
        Some(ServiceAction::Uninstall)
    );
    assert_eq!(
        ok(&["--s", "restart"]).service,
        Some(ServiceAction::Restart)
    );
    for other in ["start", "stop", "Install", ""] {
        assert_eq!(ok(&["-s", other]).service, None, "{other}");
    }
}

#[test]
fn config_path_is_made_absolute() {
    assert_eq!(
        ok(&["-c", "conf.yaml"]).config,
        PathBuf::from("/work/dir/conf.yaml")
    );
    assert_eq!(
        ok(&["-c=./a/../b.yaml"]).config,
        PathBuf::from("/work/dir/b.yaml")
    );
    assert_eq!(
        ok(&["-c", "../up.yaml"]).config,
        PathBuf::from("/work/up.yaml")
    );
    assert_eq!(
        ok(&["-c", "/etc/ddns.yaml"]).config,
        PathBuf::from("/etc/ddns.yaml")
    );
    // Empty means "not given", as in ddns-go.
    assert_eq!(
        ok(&["-c="]).config,
        PathBuf::from("/home/u/.ddns_go_config.yaml")
    );
}

#[test]
fn empty_strings_are_none() {
    let f = ok(&["-dns=", "-resetPassword", ""]);
    assert_eq!(f.dns, None);
    assert_eq!(f.reset_password, None);
}

#[test]
fn repeated_flag_last_wins() {
    assert_eq!(ok(&["-f", "10", "-f=20", "--f", "30"]).interval, 30);
    assert!(!ok(&["-noweb", "-noweb=false"]).noweb);
    assert_eq!(ok(&["-l", ":1", "-l", ":2"]).listen, ":2");
    // Only the final value is range-checked.
    assert_eq!(ok(&["-f", "0", "-f", "5"]).interval, 5);
}

#[test]
fn parsing_stops_at_first_positional_or_double_dash() {
    let f = ok(&["-noweb", "run", "-f", "10"]);
    assert!(f.noweb);
    assert_eq!(f.interval, 300);
    assert_eq!(f.rest, args(&["run", "-f", "10"]));

    let f = ok(&["-f", "10", "--", "-noweb", "x"]);
    assert_eq!(f.interval, 10);
    assert!(!f.noweb);
    assert_eq!(f.rest, args(&["-noweb", "x"]));

    let f = ok(&["--", "--"]);
    assert_eq!(f.rest, args(&["--"]));

    // A lone "-" and an empty argument are positionals.
    assert_eq!(ok(&["-", "-noweb"]).rest, args(&["-", "-noweb"]));
    assert_eq!(ok(&["", "-noweb"]).rest, args(&["", "-noweb"]));
    // A value consumed by a flag is not a positional.
    assert_eq!(ok(&["-dns", "x", "y"]).rest, args(&["y"]));
}

#[test]
fn help_forms() {
    for h in ["-h", "-help", "--help", "--h", "-help=1", "-h=x"] {
        match parse(
            &args(&["-noweb", h, "-bogus"]),
            Some(Path::new(HOME)),
            Path::new(CWD),
        ) {
            Err(e @ CliError::Help(_)) => {
                assert_eq!(e.exit_code(), 0);
                let CliError::Help(text) = &e else {
                    unreachable!()
                };
                assert!(text.starts_with("Usage of ddns-rs:\n"));
                assert!(text.contains("/home/u/.ddns_go_config.yaml"));
            }
            other => panic!("{h}: {other:?}"),
        }
    }
    // Help is only recognised where a flag is.
    assert_eq!(ok(&["x", "-h"]).rest, args(&["x", "-h"]));
    // An earlier error wins.
    assert_eq!(
        err(&["-bogus", "-h"]),
        "flag provided but not defined: -bogus"
    );
}

#[test]
fn error_messages_match_go() {
    assert_eq!(err(&["-x"]), "flag provided but not defined: -x");
    assert_eq!(err(&["--nope=1"]), "flag provided but not defined: -nope");
    assert_eq!(err(&["-Noweb"]), "flag provided but not defined: -Noweb");
    assert_eq!(err(&["-f"]), "flag needs an argument: -f");
    assert_eq!(err(&["-noweb", "--l"]), "flag needs an argument: -l");
    assert_eq!(
        err(&["-f", "abc"]),
        "invalid value \"abc\" for flag -f: parse error"
    );
    assert_eq!(
        err(&["-cacheTimes=1.5"]),
        "invalid value \"1.5\" for flag -cacheTimes: parse error"
    );
    assert_eq!(
        err(&["-f", "99999999999999999999"]),
        "invalid value \"99999999999999999999\" for flag -f: value out of range"
    );
    assert_eq!(
        err(&["-noweb=yes"]),
        "invalid boolean value \"yes\" for -noweb: parse error"
    );
    assert_eq!(
        err(&["-once="]),
        "invalid boolean value \"\" for -once: parse error"
    );
    assert_eq!(err(&["---x"]), "bad flag syntax: ---x");
    assert_eq!(err(&["-=x"]), "bad flag syntax: -=x");
    assert_eq!(err(&["--=1"]), "bad flag syntax: --=1");
    assert_eq!(
        err(&["-f", "\"1\""]),
        "invalid value \"\\\"1\\\"\" for flag -f: parse error"
    );
}

#[test]
fn range_checks() {
    assert_eq!(
        err(&["-f=0"]),
        "invalid value \"0\" for flag -f: the sync interval must be at least 1 second"
    );
    assert_eq!(
        err(&["-f", "-1"]),
        "invalid value \"-1\" for flag -f: the sync interval must be at least 1 second"
    );
    assert_eq!(ok(&["-f", "1"]).interval, 1);
    assert_eq!(
        err(&["-cacheTimes", "-1"]),
        "invalid value \"-1\" for flag -cacheTimes: must be between 0 and 4294967295"
    );
    assert_eq!(
        err(&["-cacheTimes=4294967296"]),
        "invalid value \"4294967296\" for flag -cacheTimes: must be between 0 and 4294967295"
    );
    assert_eq!(ok(&["-cacheTimes=4294967295"]).cache_times, u32::MAX);
}

#[test]
fn listen_address_is_validated() {
    for bad in ["9876", "abc", "", ":99999", "::1:80", "[::1]"] {
        assert_eq!(
            err(&["-l", bad]),
            format!(
                "Parse listen address failed! {bad}: use [host]:port, e.g. :9876, 127.0.0.1:9876 or [::]:9876"
            )
        );
    }
    for good in [
        ":9876",
        "0.0.0.0:9876",
        "[::]:9876",
        "127.0.0.1:80",
        "[::1]:8080",
        "localhost:9876",
    ] {
        assert_eq!(ok(&["-l", good]).listen, good);
    }
}

#[test]
fn usage_error_exit_code_and_display() {
    let e = parse(&args(&["-x"]), None, Path::new("/")).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .starts_with("flag provided but not defined: -x\nUsage of ddns-rs:\n")
    );
    // Without a home the usage shows the relative fallback as Go does (made absolute later).
    assert!(
        e.to_string()
            .contains("(default \"../.ddns_go_config.yaml\")")
    );
    assert!(usage().contains("  -once\n    \t"));
    assert!(usage().contains("  -dryRun\n    \t"));
}

/// A tiny deterministic generator (xorshift), so the sweep is reproducible without extra crates.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Spells `-name value` in one of Go's equivalent forms.
fn spell(rng: &mut Rng, name: &str, value: &str, out: &mut Vec<String>) {
    let dashes = *rng.pick(&["-", "--"]);
    if rng.coin() {
        out.push(format!("{dashes}{name}={value}"));
    } else {
        out.push(format!("{dashes}{name}"));
        out.push(value.to_string());
    }
}

/// Spells a bool flag set to `value` in one of Go's forms (bare only for true).
fn spell_bool(rng: &mut Rng, name: &str, value: bool, out: &mut Vec<String>) {
    let dashes = *rng.pick(&["-", "--"]);
    let lit = if value {
        *rng.pick(&["", "1", "t", "T", "TRUE", "true", "True"])
    } else {
        *rng.pick(&["0", "f", "F", "FALSE", "false", "False"])
    };
    if lit.is_empty() {
        out.push(format!("{dashes}{name}"));
    } else {
        out.push(format!("{dashes}{name}={lit}"));
    }
}

/// Merges the per-flag occurrence lists in a random order, keeping each flag's own occurrences in
/// order (so "last wins" stays predictable).
fn interleave(rng: &mut Rng, mut groups: Vec<Vec<Vec<String>>>) -> Vec<String> {
    let mut out = Vec::new();
    groups.retain(|g| !g.is_empty());
    for g in groups.iter_mut() {
        g.reverse(); // pop from the end = take in order
    }
    while !groups.is_empty() {
        let i = (rng.next() % groups.len() as u64) as usize;
        out.extend(groups[i].pop().unwrap());
        if groups[i].is_empty() {
            groups.remove(i);
        }
    }
    out
}

#[test]
fn generated_combinations_parse_to_their_values() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let bools = ["noweb", "skipVerify", "u", "d", "v", "once", "dryRun"];
    for round in 0..3000 {
        let mut want = defaults();
        // One group per flag: each flag is absent or given once or twice (the last must win).
        let mut groups: Vec<Vec<Vec<String>>> = Vec::new();
        for name in bools {
            let mut group = Vec::new();
            let mut last = false;
            for _ in 0..rng.next() % 3 {
                last = rng.coin();
                let mut w = vec![];
                spell_bool(&mut rng, name, last, &mut w);
                group.push(w);
            }
            let field = match name {
                "noweb" => &mut want.noweb,
                "skipVerify" => &mut want.skip_verify,
                "u" => &mut want.self_update,
                "d" => &mut want.daemon,
                "v" => &mut want.version,
                "once" => &mut want.once,
                _ => &mut want.dry_run,
            };
            *field = last;
            groups.push(group);
        }
        let mut valued = |rng: &mut Rng, name: &str, value: &str| {
            let mut w = vec![];
            spell(rng, name, value, &mut w);
            groups.push(vec![w]);
        };
        if rng.coin() {
            let n = 1 + rng.next() % 100_000;
            let text = match rng.next() % 4 {
                0 => n.to_string(),
                1 => format!("{n:#x}"),
                2 => format!("0{n:o}"),
                _ => format!("{n:#b}"),
            };
            valued(&mut rng, "f", &text);
            want.interval = n;
        }
        if rng.coin() {
            let n = rng.next() % 50;
            valued(&mut rng, "cacheTimes", &n.to_string());
            want.cache_times = n as u32;
        }
        if rng.coin() {
            let l = rng
                .pick(&[
                    ":80",
                    "127.0.0.1:9876",
                    "[::1]:1",
                    "[::]:65535",
                    "host.lan:8080",
                ])
                .to_string();
            valued(&mut rng, "l", &l);
            want.listen = l;
        }
        if rng.coin() {
            let c = format!("cfg{round}.yaml");
            valued(&mut rng, "c", &c);
            want.config = PathBuf::from(CWD).join(c);
        }
        if rng.coin() {
            let s = *rng.pick(&["install", "uninstall", "restart", "start"]);
            valued(&mut rng, "s", s);
            want.service = match s {
                "install" => Some(ServiceAction::Install),
                "uninstall" => Some(ServiceAction::Uninstall),
                "restart" => Some(ServiceAction::Restart),
                _ => None,
            };
        }
        if rng.coin() {
            // Values that look like flags are still values of a non-bool flag.
            let d = rng
                .pick(&["8.8.8.8", "-noweb", "tcp://1.1.1.1:53", "a=b"])
                .to_string();
            valued(&mut rng, "dns", &d);
            want.dns = Some(d);
        }
        let mut argv = interleave(&mut rng, groups);
        match rng.next() % 4 {
            0 => {
                argv.extend(args(&["--", "-noweb"]));
                want.rest = args(&["-noweb"]);
            }
            1 => {
                argv.extend(args(&["pos", "-v"]));
                want.rest = args(&["pos", "-v"]);
            }
            2 => {
                argv.extend(args(&["-", "-once"]));
                want.rest = args(&["-", "-once"]);
            }
            _ => {}
        }
        let got = parse(&argv, Some(Path::new(HOME)), Path::new(CWD))
            .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        assert_eq!(got, want, "round {round}: {argv:?}");
    }
}
