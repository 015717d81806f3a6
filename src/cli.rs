//! Go `flag`-compatible command line (spec §1), so scripts and service units written for ddns-go
//! keep working: `-x` and `--x` are the same flag, values go as `-x=v` or `-x v`, bool flags are
//! `-x`, `-x=true` or `-x=false` and never take the next argument, and parsing stops at the first
//! argument that is not a flag or after `--`. Error messages and the usage text follow Go's
//! `flag.PrintDefaults` layout.
//!
//! This module only parses: it reads no environment, touches no file and prints nothing. `main`
//! prints a [`CliError`] on stderr and exits with [`CliError::exit_code`].

use std::path::{Component, Path, PathBuf};

pub mod completion;
pub mod healthcheck;
pub mod manpage;

/// Default config file name, in the home directory (ddns-go's name, so existing files are found).
const CONFIG_FILE_NAME: &str = ".ddns_go_config.yaml";

/// What `-s` asks for; ddns-go ignores any other value and runs normally, and so do we.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAction {
    /// `-s install`: install and start the system service.
    Install,
    /// `-s uninstall`: stop and remove the system service.
    Uninstall,
    /// `-s restart`: restart (or start) the installed service.
    Restart,
}

/// The parsed command line, with typed and validated values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flags {
    /// `-l`: web UI listen address (`[host]:port`, checked syntactically).
    pub listen: String,
    /// `-f`: seconds to sleep after each full sync run (at least 1).
    pub interval: u64,
    /// `-cacheTimes`: runs with an unchanged address before the provider is compared again.
    pub cache_times: u32,
    /// `-c`: absolute path of the config file.
    pub config: PathBuf,
    /// `-noweb`: do not start the web UI.
    pub noweb: bool,
    /// `-skipVerify`: do not verify TLS certificates.
    pub skip_verify: bool,
    /// `-dns`: custom DNS server for outgoing lookups (None when empty).
    pub dns: Option<String>,
    /// `-resetPassword`: set this web UI password and exit (None when empty).
    pub reset_password: Option<String>,
    /// `-s`: service management action (None for empty or unknown values).
    pub service: Option<ServiceAction>,
    /// `-u`: self-update (parsed for compatibility; not available in ddns-rs).
    pub self_update: bool,
    /// `-d`: detach and run in the background.
    pub daemon: bool,
    /// `-v`: print the version and exit.
    pub version: bool,
    /// `-once`: run one full sync and exit (ddns-rs only).
    pub once: bool,
    /// `-dryRun`: plan only, never write to a provider (ddns-rs only).
    pub dry_run: bool,
    /// `-rollback <domain>:<A|AAAA>[:<value>]`: put one record back and exit (ddns-rs only);
    /// raw, parsed by `sync::RollbackRequest::parse_flag`.
    pub rollback: Option<String>,
    /// Headless set-up and log format flags (ddns-rs only), raw; `config::headless` merges them
    /// with the `DDNS_*` environment and checks them.
    pub headless: HeadlessArgs,
    /// `-tlsCert`: PEM certificate chain; with `-tlsKey` the web UI is served over HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// `-tlsKey`: PEM private key for `-tlsCert`.
    pub tls_key: Option<PathBuf>,
    /// `-log`: absolute path of the log file (None: log to stderr).
    pub log_file: Option<PathBuf>,
    /// `-logSize`: the log file is rotated before it grows beyond this many bytes.
    pub log_size: u64,
    /// `-logKeep`: rotated log files kept (`FILE.1` … `FILE.N`).
    pub log_keep: u32,
    /// `-completion`: print the completion script for this shell and exit.
    pub completion: Option<Shell>,
    /// `-manpage`: print the man page and exit.
    pub manpage: bool,
    /// `-healthcheck`: query the running instance's `/healthz` and exit 0 or 1.
    pub healthcheck: bool,
    /// Arguments after the flags (after the first non-flag argument or `--`); unused.
    pub rest: Vec<String>,
}

/// The headless set-up flags as given (`None` / empty = not given). Checked by
/// `config::headless`, which also reads the matching [`ENV_VARS`], so that an error can name
/// the flag or the variable the bad value came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadlessArgs {
    /// `-domain`, every occurrence in order.
    pub domains: Vec<String>,
    /// `-name`: the config entry to create or amend.
    pub name: Option<String>,
    /// `-provider`: provider key.
    pub provider: Option<String>,
    /// `-id`.
    pub id: Option<String>,
    /// `-secret`.
    pub secret: Option<String>,
    /// `-secretFile`: file holding the secret.
    pub secret_file: Option<String>,
    /// `-ipVersion`: ipv4, ipv6 or both.
    pub ip_version: Option<String>,
    /// `-ipUrl`: comma-separated echo URLs.
    pub ip_url: Option<String>,
    /// `-netInterface`.
    pub net_interface: Option<String>,
    /// `-ipv6Prefix`: prefix length kept from the detected IPv6 address.
    pub ipv6_prefix: Option<String>,
    /// `-ipv6Suffix`: fixed interface identifier.
    pub ipv6_suffix: Option<String>,
    /// `-ttl`.
    pub ttl: Option<String>,
    /// `-logFormat`: text or json.
    pub log_format: Option<String>,
}

/// Why the command line was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    /// `-h`, `-help` or `--help`: the usage text, to print on stderr before exiting 0.
    #[error("{0}")]
    Help(String),
    /// A bad command line: the message, a newline and the usage text; exit 2.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// The process exit code Go's `flag` package uses: 0 for help, 2 for a bad command line.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Help(_) => 0,
            CliError::Usage(_) => 2,
        }
    }
}

/// The value type of a flag, which decides its syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Str,
    /// A string flag that may be repeated, every value kept (Go: a custom `flag.Value` whose
    /// `Set` appends; the usage shows its type as `value`).
    List,
}

/// One row of the flag table.
struct Spec {
    name: &'static str,
    kind: Kind,
    /// Default as Go would print it; "" (or "false"/"0") is not shown in the usage.
    default: &'static str,
    usage: &'static str,
}

const fn spec(name: &'static str, kind: Kind, default: &'static str, usage: &'static str) -> Spec {
    Spec {
        name,
        kind,
        default,
        usage,
    }
}

/// Every flag, in one table: parsing, defaults and the usage text all come from here.
/// The `-c` default depends on $HOME, so `parse` and `usage` fill it in.
#[rustfmt::skip]
const SPECS: &[Spec] = &[
    spec("l", Kind::Str, ":9876", "listen address of the web UI, [host]:port"),
    spec("f", Kind::Int, "300", "seconds to wait after each sync run (at least 1)"),
    spec("cacheTimes", Kind::Int, "5", "runs with an unchanged address before the records are compared again"),
    spec("c", Kind::Str, "", "config file path"),
    spec("noweb", Kind::Bool, "false", "do not start the web UI"),
    spec("skipVerify", Kind::Bool, "false", "do not verify TLS certificates (insecure)"),
    spec("dns", Kind::Str, "", "DNS server for all lookups, e.g. 8.8.8.8, 1.1.1.1:53, tcp://1.1.1.1"),
    spec("resetPassword", Kind::Str, "", "set a new web UI password and exit"),
    spec("s", Kind::Str, "", "service management: install | uninstall | restart"),
    spec("u", Kind::Bool, "false", "self-update (not available in ddns-rs)"),
    spec("d", Kind::Bool, "false", "detach and run in the background"),
    spec("v", Kind::Bool, "false", "print the version and exit"),
    spec("once", Kind::Bool, "false", "run one full sync and exit: 0 all done, 1 some domain failed, 2 usage or config error"),
    spec("dryRun", Kind::Bool, "false", "show what would change without writing to any provider"),
    spec("rollback", Kind::Str, "", "put one record back and exit: <domain>:<A|AAAA>[:<value>]; without a value, the value before its last write (from the history)"),
    spec("logFormat", Kind::Str, "text", "log line format: text (ddns-go's) or json (one object per line, for log collectors)"),
    // Headless set-up (docs/headless.md): create or amend one config entry, then run.
    spec("domain", Kind::List, "", "headless: a domain to update, sub.example.com or sub:example.com; repeat the flag for more"),
    spec("name", Kind::Str, "", "headless: name of the config entry to create or amend (\"headless\" when not given)"),
    spec("provider", Kind::Str, "", "headless: DNS provider key, e.g. cloudflare, alidns, tencentcloud, dnspod, callback"),
    spec("id", Kind::Str, "", "headless: the provider's ID (AccessKey ID, SecretId, callback URL, ...)"),
    spec("secret", Kind::Str, "", "headless: the provider's secret or token (prefer -secretFile: the command line is visible to other users)"),
    spec("secretFile", Kind::Str, "", "headless: read the secret from this file (surrounding white space is removed)"),
    spec("ipVersion", Kind::Str, "", "headless: which records the domains get: ipv4 (A), ipv6 (AAAA) or both (ipv4 for a new entry)"),
    spec("ipUrl", Kind::Str, "", "headless: comma-separated URLs that echo the public address (with -netInterface and -ipVersion both: used for IPv4)"),
    spec("netInterface", Kind::Str, "", "headless: take the address from this network interface (with -ipUrl and -ipVersion both: used for IPv6)"),
    spec("ipv6Prefix", Kind::Str, "", "headless: with -ipv6Suffix, length of the prefix kept from the detected IPv6 address (64 when not given)"),
    spec("ipv6Suffix", Kind::Str, "", "headless: publish the detected IPv6 prefix followed by this interface identifier, e.g. ::1234:5678 (a LAN host on a moving prefix)"),
    spec("ttl", Kind::Str, "", "headless: record TTL in seconds (the provider's default when not given)"),
    spec("tlsCert", Kind::Str, "", "serve the web UI over HTTPS with this PEM certificate chain (needs -tlsKey)"),
    spec("tlsKey", Kind::Str, "", "PEM private key for -tlsCert"),
    // Operations (docs/install.md, docs/monitoring.md).
    spec("log", Kind::Str, "", "write log lines to this file instead of stderr, rotated by size (see -logSize, -logKeep)"),
    spec("logSize", Kind::Int, "1048576", "rotate the -log file before it grows beyond this many bytes (at least 4096)"),
    spec("logKeep", Kind::Int, "3", "rotated -log files kept, FILE.1 (newest) to FILE.N; 0 keeps none"),
    spec("completion", Kind::Str, "", "print a shell completion script and exit: bash | zsh | fish"),
    spec("manpage", Kind::Bool, "false", "print the man page (roff source of ddns-rs.1) and exit"),
    spec("healthcheck", Kind::Bool, "false", "ask the running instance's /healthz on 127.0.0.1 at the -l port and exit: 0 healthy, 1 not (for Docker HEALTHCHECK)"),
];

/// Values offered by shell completion for flags that take one of a few words.
#[rustfmt::skip]
const CHOICES: &[(&str, &[&str])] = &[
    ("s", &["install", "uninstall", "restart"]),
    ("completion", &["bash", "zsh", "fish"]),
    ("logFormat", &["text", "json"]),
    ("ipVersion", &["ipv4", "ipv6", "both"]),
];

/// Flags whose value is a path: shell completion offers file names.
const FILE_FLAGS: &[&str] = &["c", "secretFile", "tlsCert", "tlsKey", "log"];

/// Smallest `-logSize`: a rotation per line would lose the point of the file.
pub const MIN_LOG_SIZE: u64 = 4096;
/// `-logSize` when not given (the flag table spells the same value; a test keeps them equal).
pub const DEFAULT_LOG_SIZE: u64 = 1_048_576;
/// `-logKeep` when not given.
pub const DEFAULT_LOG_KEEP: u32 = 3;

/// A shell `-completion` can generate a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// GNU bash (`complete -F`).
    Bash,
    /// zsh (`#compdef`, `_arguments`).
    Zsh,
    /// fish (`complete -c`).
    Fish,
}

/// One flag as documentation and completion see it, built from the flag table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagDoc {
    /// Name without the dash.
    pub name: &'static str,
    /// The value's type name as the usage shows it (`int`, `string`, `value`); None for a bool.
    pub arg: Option<&'static str>,
    /// The default as the usage shows it ("" = none shown).
    pub default: String,
    /// The help text.
    pub usage: &'static str,
    /// The accepted words, for flags that take one of a few (empty otherwise).
    pub choices: Vec<&'static str>,
    /// Whether the value is a file path.
    pub file: bool,
}

/// Every flag, sorted by name as the usage lists them: the single source for completions and
/// the man page. The `-c` default is shown as `$HOME/.ddns_go_config.yaml`, and `-provider`
/// offers the provider keys.
pub fn flag_docs() -> Vec<FlagDoc> {
    let mut specs: Vec<&Spec> = SPECS.iter().collect();
    specs.sort_by(|a, b| a.name.cmp(b.name));
    specs
        .into_iter()
        .map(|s| {
            let default = match (s.name, s.kind) {
                ("c", _) => format!("$HOME/{CONFIG_FILE_NAME}"),
                (_, Kind::Bool) => String::new(),
                (_, Kind::Int) if s.default == "0" => String::new(),
                _ => s.default.to_string(),
            };
            let choices = if s.name == "provider" {
                crate::provider::PROVIDERS.iter().map(|m| m.key).collect()
            } else {
                CHOICES
                    .iter()
                    .find(|(n, _)| *n == s.name)
                    .map_or_else(Vec::new, |(_, c)| c.to_vec())
            };
            FlagDoc {
                name: s.name,
                arg: type_name(s.kind),
                default,
                usage: s.usage,
                choices,
                file: FILE_FLAGS.contains(&s.name),
            }
        })
        .collect()
}

/// The usage's type name of a flag kind (None for bools, which take no value).
fn type_name(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Bool => None,
        Kind::Int => Some("int"),
        Kind::Str => Some("string"),
        Kind::List => Some("value"),
    }
}

/// The environment variables that stand for flags, with the flag each stands for.
pub fn env_docs() -> &'static [(&'static str, &'static str)] {
    ENV_VARS
}

/// The environment variable that stands for each headless flag (for containers). A flag wins
/// over its variable; both win over the config file. An empty variable counts as not set.
#[rustfmt::skip]
pub const ENV_VARS: &[(&str, &str)] = &[
    ("domain", "DDNS_DOMAINS"),
    ("name", "DDNS_NAME"),
    ("provider", "DDNS_PROVIDER"),
    ("id", "DDNS_ID"),
    ("secret", "DDNS_SECRET"),
    ("secretFile", "DDNS_SECRET_FILE"),
    ("ipVersion", "DDNS_IP_VERSION"),
    ("ipUrl", "DDNS_IP_URL"),
    ("netInterface", "DDNS_NET_INTERFACE"),
    ("ipv6Prefix", "DDNS_IPV6_PREFIX"),
    ("ipv6Suffix", "DDNS_IPV6_SUFFIX"),
    ("ttl", "DDNS_TTL"),
    ("logFormat", "DDNS_LOG_FORMAT"),
];

/// The variable standing for flag `flag` (without the dash), if any.
pub fn env_var(flag: &str) -> Option<&'static str> {
    ENV_VARS.iter().find(|(f, _)| *f == flag).map(|(_, e)| *e)
}

/// A value as given on the command line, already checked against its kind.
#[derive(Debug, Clone)]
enum Value {
    Bool(bool),
    /// The parsed number and the text it came from (for error messages).
    Int(i64, String),
    Str(String),
    /// Every value of a repeatable flag, in order.
    List(Vec<String>),
}

/// The usage text, with the `-c` default shown as `$HOME/.ddns_go_config.yaml`.
pub fn usage() -> String {
    render_usage(&format!("$HOME/{CONFIG_FILE_NAME}"))
}

/// Go's `PrintDefaults` layout: flags sorted by name, the type after the name, the description on
/// the next line indented with four spaces and a tab (on the same line for one-letter bools).
fn render_usage(config_default: &str) -> String {
    let mut specs: Vec<&Spec> = SPECS.iter().collect();
    specs.sort_by(|a, b| a.name.cmp(b.name));
    let mut out = String::from("Usage of ddns-rs:\n");
    for spec in specs {
        let mut line = format!("  -{}", spec.name);
        if let Some(t) = type_name(spec.kind) {
            line.push(' ');
            line.push_str(t);
        }
        // Go keeps a one-letter flag without a type name on the same line.
        line.push_str(if line.len() <= 4 { "\t" } else { "\n    \t" });
        line.push_str(spec.usage);
        let default = if spec.name == "c" {
            config_default
        } else {
            spec.default
        };
        match spec.kind {
            Kind::Bool => {}
            Kind::Int if default != "0" => line.push_str(&format!(" (default {default})")),
            Kind::Str if !default.is_empty() => {
                line.push_str(&format!(" (default {})", go_quote(default)))
            }
            _ => {}
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(
        "\nEnvironment (for containers; a flag wins over its variable, both over the config file;\n\
         an empty variable counts as not set):\n",
    );
    for (flag, var) in ENV_VARS {
        let note = if *flag == "domain" {
            " (comma or space separated list)"
        } else {
            ""
        };
        out.push_str(&format!("  {var:<20}same as -{flag}{note}\n"));
    }
    out
}

/// Parses `args` (without the program name). `home` is the user's home directory (None when
/// unknown) and `cwd` the current directory, used to make `-c` absolute.
pub fn parse(args: &[String], home: Option<&Path>, cwd: &Path) -> Result<Flags, CliError> {
    let config_default = default_config(home);
    let fail = |msg: String| {
        CliError::Usage(format!(
            "{msg}\n{}",
            render_usage(&config_default.to_string_lossy())
        ))
    };

    let mut values: Vec<Option<Value>> = vec![None; SPECS.len()];
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg.len() < 2 || !arg.starts_with('-') {
            break; // first non-flag argument (a lone "-" included)
        }
        let body = if let Some(b) = arg.strip_prefix("--") {
            if b.is_empty() {
                i += 1; // "--" ends the flags and is consumed
                break;
            }
            b
        } else {
            &arg[1..]
        };
        if body.starts_with('-') || body.starts_with('=') {
            return Err(fail(format!("bad flag syntax: {arg}")));
        }
        i += 1;
        // The '=' cannot be the first character (checked above), so a name is never empty.
        let (name, inline) = match body.find('=') {
            Some(eq) => (&body[..eq], Some(&body[eq + 1..])),
            None => (body, None),
        };
        let Some(idx) = SPECS.iter().position(|s| s.name == name) else {
            if name == "h" || name == "help" {
                return Err(CliError::Help(render_usage(
                    &config_default.to_string_lossy(),
                )));
            }
            return Err(fail(format!("flag provided but not defined: -{name}")));
        };
        let value = match SPECS[idx].kind {
            Kind::Bool => match inline {
                None => Value::Bool(true),
                Some(v) => match parse_go_bool(v) {
                    Some(b) => Value::Bool(b),
                    None => {
                        return Err(fail(format!(
                            "invalid boolean value {} for -{name}: parse error",
                            go_quote(v)
                        )));
                    }
                },
            },
            kind => {
                let text = match inline {
                    Some(v) => v.to_string(),
                    None if i < args.len() => {
                        i += 1;
                        args[i - 1].clone()
                    }
                    None => return Err(fail(format!("flag needs an argument: -{name}"))),
                };
                if kind == Kind::List {
                    // Go's custom flag.Value: each occurrence appends.
                    let mut all = match values[idx].take() {
                        Some(Value::List(v)) => v,
                        _ => Vec::new(),
                    };
                    all.push(text);
                    Value::List(all)
                } else if kind == Kind::Str {
                    Value::Str(text)
                } else {
                    match parse_go_int(&text) {
                        Ok(n) => Value::Int(n, text),
                        Err(e) => {
                            return Err(fail(format!(
                                "invalid value {} for flag -{name}: {e}",
                                go_quote(&text)
                            )));
                        }
                    }
                }
            }
        };
        values[idx] = Some(value); // a repeated flag: the last one wins, as in Go
    }
    let rest = args[i..].to_vec();
    build(&values, rest, config_default.clone(), cwd).map_err(fail)
}

/// Turns the raw values into typed [`Flags`], applying defaults and the range checks Go's flag
/// package cannot express.
fn build(
    values: &[Option<Value>],
    rest: Vec<String>,
    config_default: PathBuf,
    cwd: &Path,
) -> Result<Flags, String> {
    let get = |name: &str| {
        SPECS
            .iter()
            .position(|s| s.name == name)
            .and_then(|i| values[i].as_ref())
    };
    let flag = |name: &str| matches!(get(name), Some(Value::Bool(true)));
    let default = |name: &str| {
        SPECS
            .iter()
            .find(|s| s.name == name)
            .map_or("", |s| s.default)
    };
    let text = |name: &str| match get(name) {
        Some(Value::Str(s)) => s.clone(),
        _ => default(name).to_string(),
    };
    // Table defaults are valid Go integers (checked by a unit test).
    let int = |name: &str| match get(name) {
        Some(Value::Int(n, raw)) => (*n, raw.clone()),
        _ => (
            parse_go_int(default(name)).unwrap_or(0),
            default(name).to_string(),
        ),
    };
    let non_empty = |s: String| if s.is_empty() { None } else { Some(s) };
    // Headless values stay raw here: `config::headless` checks them together with the
    // environment, so that its errors name where each value came from.
    let given = |name: &str| match get(name) {
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let headless = HeadlessArgs {
        domains: match get("domain") {
            Some(Value::List(v)) => v.clone(),
            _ => Vec::new(),
        },
        name: given("name"),
        provider: given("provider"),
        id: given("id"),
        secret: given("secret"),
        secret_file: given("secretFile"),
        ip_version: given("ipVersion"),
        ip_url: given("ipUrl"),
        net_interface: given("netInterface"),
        ipv6_prefix: given("ipv6Prefix"),
        ipv6_suffix: given("ipv6Suffix"),
        ttl: given("ttl"),
        log_format: given("logFormat"),
    };

    let listen = text("l");
    if !is_listen_addr(&listen) {
        return Err(format!(
            "Parse listen address failed! {listen}: use [host]:port, e.g. :9876, 127.0.0.1:9876 or [::]:9876"
        ));
    }
    let (f, f_raw) = int("f");
    let interval = u64::try_from(f).ok().filter(|&n| n >= 1).ok_or_else(|| {
        format!(
            "invalid value {} for flag -f: the sync interval must be at least 1 second",
            go_quote(&f_raw)
        )
    })?;
    let (n, n_raw) = int("cacheTimes");
    let cache_times = u32::try_from(n).map_err(|_| {
        format!(
            "invalid value {} for flag -cacheTimes: must be between 0 and {}",
            go_quote(&n_raw),
            u32::MAX
        )
    })?;
    // ddns-go treats an empty -c as "not given".
    let config = match text("c") {
        c if c.is_empty() => config_default,
        c => PathBuf::from(c),
    };
    let service = match text("s").as_str() {
        "install" => Some(ServiceAction::Install),
        "uninstall" => Some(ServiceAction::Uninstall),
        "restart" => Some(ServiceAction::Restart),
        _ => None,
    };
    let completion = match text("completion").as_str() {
        "" => None,
        "bash" => Some(Shell::Bash),
        "zsh" => Some(Shell::Zsh),
        "fish" => Some(Shell::Fish),
        other => {
            return Err(format!(
                "invalid value {} for flag -completion: use bash, zsh or fish",
                go_quote(other)
            ));
        }
    };
    let (size, size_raw) = int("logSize");
    let log_size = u64::try_from(size)
        .ok()
        .filter(|&n| n >= MIN_LOG_SIZE)
        .ok_or_else(|| {
            format!(
                "invalid value {} for flag -logSize: must be at least {MIN_LOG_SIZE} bytes",
                go_quote(&size_raw)
            )
        })?;
    let (keep, keep_raw) = int("logKeep");
    let log_keep = u32::try_from(keep)
        .ok()
        .filter(|&n| n <= 100)
        .ok_or_else(|| {
            format!(
                "invalid value {} for flag -logKeep: must be between 0 and 100",
                go_quote(&keep_raw)
            )
        })?;
    if text("tlsCert").is_empty() != text("tlsKey").is_empty() {
        return Err("-tlsCert and -tlsKey must be given together (PEM certificate chain and its private key)".into());
    }
    Ok(Flags {
        listen,
        interval,
        cache_times,
        config: absolute(cwd, &config),
        noweb: flag("noweb"),
        skip_verify: flag("skipVerify"),
        dns: non_empty(text("dns")),
        reset_password: non_empty(text("resetPassword")),
        service,
        self_update: flag("u"),
        daemon: flag("d"),
        version: flag("v"),
        once: flag("once"),
        dry_run: flag("dryRun"),
        rollback: non_empty(text("rollback")),
        headless,
        tls_cert: non_empty(text("tlsCert")).map(|p| absolute(cwd, Path::new(&p))),
        tls_key: non_empty(text("tlsKey")).map(|p| absolute(cwd, Path::new(&p))),
        log_file: non_empty(text("log")).map(|p| absolute(cwd, Path::new(&p))),
        log_size,
        log_keep,
        completion,
        manpage: flag("manpage"),
        healthcheck: flag("healthcheck"),
        rest,
    })
}

/// ddns-go's default: `<home>/.ddns_go_config.yaml`, or `../.ddns_go_config.yaml` without a home.
fn default_config(home: Option<&Path>) -> PathBuf {
    match home {
        Some(h) if !h.as_os_str().is_empty() => h.join(CONFIG_FILE_NAME),
        _ => Path::new("..").join(CONFIG_FILE_NAME),
    }
}

/// Go's `filepath.Abs`: join with `cwd` when relative, then remove `.` and `..` lexically.
fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for comp in joined.components() {
        match comp {
            Component::CurDir => {}
            // `pop` stops at the root, as `..` at `/` stays at `/`.
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` as the flag package uses it: optional sign, `0x`/`0o`/`0b`
/// or a leading `0` (octal) prefix, `_` between digits. Errors carry Go's wording.
fn parse_go_int(s: &str) -> Result<i64, &'static str> {
    const SYNTAX: &str = "parse error";
    const RANGE: &str = "value out of range";
    let (neg, unsigned) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = unsigned.to_ascii_lowercase();
    // `lead` is true when a base prefix (or the leading octal `0`) precedes the digits: Go lets
    // an underscore follow it.
    let (radix, digits, lead) = if lower.len() >= 3 && lower.starts_with("0x") {
        (16, &lower[2..], true)
    } else if lower.len() >= 3 && lower.starts_with("0o") {
        (8, &lower[2..], true)
    } else if lower.len() >= 3 && lower.starts_with("0b") {
        (2, &lower[2..], true)
    } else if lower.len() >= 2 && lower.starts_with('0') {
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    if digits.is_empty() || !underscores_ok(digits, lead) {
        return Err(SYNTAX);
    }
    let mut n: u64 = 0;
    let mut overflow = false;
    for c in digits.chars().filter(|&c| c != '_') {
        let d = c.to_digit(radix).ok_or(SYNTAX)?;
        match n
            .checked_mul(u64::from(radix))
            .and_then(|m| m.checked_add(u64::from(d)))
        {
            Some(m) => n = m,
            None => overflow = true, // keep scanning: a bad digit later is still a syntax error
        }
    }
    if overflow {
        return Err(RANGE);
    }
    if neg {
        if n > i64::MIN.unsigned_abs() {
            return Err(RANGE);
        }
        Ok(0i64.wrapping_sub_unsigned(n))
    } else {
        i64::try_from(n).map_err(|_| RANGE)
    }
}

/// Go's rule: `_` only between digits, or between a base prefix and a digit.
fn underscores_ok(digits: &str, lead: bool) -> bool {
    let mut prev_digit = lead;
    let mut prev_underscore = false;
    for c in digits.chars() {
        if c == '_' {
            if !prev_digit {
                return false;
            }
            prev_underscore = true;
            prev_digit = false;
        } else {
            prev_digit = true;
            prev_underscore = false;
        }
    }
    !prev_underscore
}

/// Go's `%q` for the strings that appear in flag errors: double quotes, backslash escapes for
/// quotes, backslashes and control characters.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TCP listen address as Go's `net.ResolveTCPAddr` accepts it, checked without resolving:
/// `[host]:port` where host is empty, an IPv4 address, a bracketed IPv6 address (zone allowed) or
/// a host name, and port is a decimal number up to 65535.
fn is_listen_addr(s: &str) -> bool {
    let (host, port) = if let Some(after) = s.strip_prefix('[') {
        let Some((inner, tail)) = after.split_once(']') else {
            return false;
        };
        let Some(port) = tail.strip_prefix(':') else {
            return false;
        };
        let addr = inner.split_once('%').map_or(inner, |(a, _)| a);
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        ("", port)
    } else {
        let Some((host, port)) = s.rsplit_once(':') else {
            return false;
        };
        if host.contains([':', '[', ']']) {
            return false; // an IPv6 address needs brackets
        }
        (host, port)
    };
    let port_ok = !port.is_empty() && port.len() <= 5 && port.parse::<u16>().is_ok();
    port_ok && (host.is_empty() || host.parse::<std::net::Ipv4Addr>().is_ok() || is_host_name(host))
}

/// A syntactically valid DNS host name (letters, digits, `-`, dots between labels).
fn is_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        // All-numeric dotted names are (bad) IPv4 addresses, not host names.
        && !host.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_rotation_defaults_match_the_flag_table() {
        let f = parse(&[], None, Path::new("/")).unwrap();
        assert_eq!(f.log_size, DEFAULT_LOG_SIZE);
        assert_eq!(f.log_keep, DEFAULT_LOG_KEEP);
    }

    #[test]
    fn go_int_syntax() {
        assert_eq!(parse_go_int("300"), Ok(300));
        assert_eq!(parse_go_int("+7"), Ok(7));
        assert_eq!(parse_go_int("-1"), Ok(-1));
        assert_eq!(parse_go_int("0x1F"), Ok(31));
        assert_eq!(parse_go_int("0o17"), Ok(15));
        assert_eq!(parse_go_int("017"), Ok(15));
        assert_eq!(parse_go_int("0b101"), Ok(5));
        assert_eq!(parse_go_int("0"), Ok(0));
        assert_eq!(parse_go_int("1_000"), Ok(1000));
        assert_eq!(parse_go_int("0x_1f"), Ok(31));
        assert_eq!(parse_go_int("0_17"), Ok(15));
        assert_eq!(parse_go_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_go_int("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(
            parse_go_int("9223372036854775808"),
            Err("value out of range")
        );
        assert_eq!(
            parse_go_int("-9223372036854775809"),
            Err("value out of range")
        );
        assert_eq!(parse_go_int("99999999999999999999x"), Err("parse error"));
        for bad in [
            "", "-", "+", "abc", "1_", "_1", "1__0", "08", "0x", "0b2", "1.5", " 1", "1e3", "--1",
        ] {
            assert_eq!(parse_go_int(bad), Err("parse error"), "{bad:?}");
        }
    }

    #[test]
    fn table_defaults_are_valid() {
        for spec in SPECS {
            match spec.kind {
                Kind::Int => assert!(parse_go_int(spec.default).is_ok(), "{}", spec.name),
                Kind::Bool => assert_eq!(spec.default, "false", "{}", spec.name),
                Kind::Str | Kind::List => {}
            }
        }
        for (flag, _) in ENV_VARS {
            assert!(SPECS.iter().any(|s| s.name == *flag), "{flag}");
        }
    }

    #[test]
    fn repeated_domain_flags_are_all_kept() {
        let args: Vec<String> = [
            "-domain",
            "a.example.com",
            "-domain=b:example.com",
            "-id",
            "x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let f = parse(&args, None, Path::new("/")).unwrap();
        assert_eq!(f.headless.domains, ["a.example.com", "b:example.com"]);
        assert_eq!(f.headless.id.as_deref(), Some("x"));
        assert_eq!(f.headless.secret, None);
        let u = usage();
        assert!(u.contains("\n  -domain value\n    \theadless: a domain"));
        assert!(u.contains("\n  DDNS_SECRET_FILE    same as -secretFile\n"));
        assert!(u.contains("  -logFormat string\n"));
    }

    #[test]
    fn listen_addresses() {
        for ok in [
            ":9876",
            "0.0.0.0:9876",
            "[::]:9876",
            "127.0.0.1:80",
            "localhost:80",
            "[fe80::1%eth0]:1",
            ":0",
        ] {
            assert!(is_listen_addr(ok), "{ok}");
        }
        for bad in [
            "", "9876", ":", "::1:80", "[::1]", "[::1]80", "1.2.3:80", ":65536", ":http", "a b:1",
            "[x]:1", "-a:1",
        ] {
            assert!(!is_listen_addr(bad), "{bad}");
        }
    }

    #[test]
    fn absolute_paths_are_cleaned() {
        let cwd = Path::new("/srv/app");
        assert_eq!(
            absolute(cwd, Path::new("conf.yaml")),
            PathBuf::from("/srv/app/conf.yaml")
        );
        assert_eq!(
            absolute(cwd, Path::new("../x/./c.yaml")),
            PathBuf::from("/srv/x/c.yaml")
        );
        assert_eq!(
            absolute(cwd, Path::new("/etc/../../d.yaml")),
            PathBuf::from("/d.yaml")
        );
    }

    #[test]
    fn quoting_matches_go() {
        assert_eq!(go_quote("abc"), "\"abc\"");
        assert_eq!(go_quote("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\x01\"");
        assert_eq!(go_quote("中文"), "\"中文\"");
    }

    #[test]
    fn usage_layout() {
        let u = usage();
        assert!(u.starts_with("Usage of ddns-rs:\n  -c string\n    \tconfig file path (default \"$HOME/.ddns_go_config.yaml\")\n"));
        assert!(u.contains("\n  -d\tdetach"));
        assert!(u.contains(
            "\n  -f int\n    \tseconds to wait after each sync run (at least 1) (default 300)\n"
        ));
        assert!(u.contains(
            "\n  -l string\n    \tlisten address of the web UI, [host]:port (default \":9876\")\n"
        ));
        assert!(u.contains("\n  -noweb\n    \tdo not start the web UI\n"));
        assert!(!u.contains("(default false)"));
        // Sorted by name, as Go's PrintDefaults.
        let names: Vec<&str> = u
            .lines()
            .filter_map(|l| l.strip_prefix("  -"))
            .map(|l| l.split(['\t', ' ']).next().unwrap())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), SPECS.len());
    }
}
