//! Running ddns-rs for years: installing it as a system service (`-s install|uninstall|restart`,
//! ddns-go §1.1), one instance per config file ([`lock`]), signals ([`signals`]) and waiting for
//! the network at start-up ([`netwait`]).
//!
//! The unit/script generators are pure functions of a [`ServiceSpec`]; [`install::Installer`]
//! writes them under a root prefix and runs the service manager through a [`install::Runner`], so
//! tests use a temporary directory and record the commands instead of running them.

pub mod install;
pub mod launchd;
pub mod lock;
pub mod netwait;
pub mod openrc;
pub mod procd;
pub mod signals;
pub mod systemd;
pub mod sysv;
pub mod windows;

use std::path::{Path, PathBuf};

use crate::cli::Flags;
use crate::config::Config;

/// The service name (ddns-go uses `ddns-go`; ours differs so both can be installed side by side).
pub const NAME: &str = "ddns-rs";

/// One-line description shown by the service manager.
pub const DESCRIPTION: &str = "Simple and easy to use DDNS. Automatically update domain name \
resolution to public IP (ddns-rs, compatible with ddns-go)";

/// Everything a generator needs to know about the service to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// Absolute path of the ddns-rs binary.
    pub exe: PathBuf,
    /// Arguments baked into the service (see [`baked_args`]).
    pub args: Vec<String>,
    /// Absolute config file path; its directory must stay writable under the service's sandbox.
    pub config: PathBuf,
    /// TCP port of the web UI, None with `-noweb` (binding below 1024 needs a capability).
    pub listen_port: Option<u16>,
    /// Some config entry binds to an interface (`httpinterface`): SO_BINDTODEVICE needs CAP_NET_RAW.
    pub binds_interface: bool,
    /// Owner (uid, gid) of the config directory when it is not root; the unit runs as that user
    /// so that it can write the file without CAP_DAC_OVERRIDE.
    pub run_as: Option<(u32, u32)>,
    /// Directory of the `-log` file, when one is given: it must be writable under the sandbox too.
    pub log_dir: Option<PathBuf>,
}

impl ServiceSpec {
    /// The spec for the running binary and these flags; `config` is the parsed config file, if
    /// it exists already (for `httpinterface`).
    pub fn new(exe: PathBuf, flags: &Flags, config: Option<&Config>) -> ServiceSpec {
        ServiceSpec {
            exe,
            args: baked_args(flags),
            config: flags.config.clone(),
            listen_port: if flags.noweb {
                None
            } else {
                listen_port(&flags.listen)
            },
            binds_interface: config
                .is_some_and(|c| c.dnsconf.iter().any(|d| !d.httpinterface.trim().is_empty())),
            log_dir: flags
                .log_file
                .as_deref()
                .and_then(Path::parent)
                .map(Path::to_path_buf),
            run_as: None,
        }
    }

    /// The directory holding the config file (and its lock file).
    pub fn config_dir(&self) -> &Path {
        self.config.parent().unwrap_or(Path::new("/"))
    }

    /// Every directory the service writes to: the config directory, and the `-log` file's
    /// directory when it lies elsewhere.
    pub fn writable_dirs(&self) -> Vec<&Path> {
        let mut v = vec![self.config_dir()];
        if let Some(d) = self
            .log_dir
            .as_deref()
            .filter(|d| !d.starts_with(self.config_dir()))
        {
            v.push(d);
        }
        v
    }

    /// The full command line: the binary, then the arguments.
    pub fn argv(&self) -> Vec<String> {
        let mut v = vec![self.exe.display().to_string()];
        v.extend(self.args.iter().cloned());
        v
    }
}

/// The arguments written into the service, as ddns-go does: `-l -f -cacheTimes -c`, plus
/// `-noweb`, `-skipVerify` and `-dns` when given. The config path is already absolute (the
/// CLI makes it so), unlike ddns-go, whose service resolves a relative `-c` against `/`.
pub fn baked_args(flags: &Flags) -> Vec<String> {
    let mut a = vec![
        "-l".to_string(),
        flags.listen.clone(),
        "-f".to_string(),
        flags.interval.to_string(),
        "-cacheTimes".to_string(),
        flags.cache_times.to_string(),
        "-c".to_string(),
        flags.config.display().to_string(),
    ];
    if flags.noweb {
        a.push("-noweb".into());
    }
    if flags.skip_verify {
        a.push("-skipVerify".into());
    }
    if let Some(d) = flags.dns.as_deref().filter(|d| !d.is_empty()) {
        a.push("-dns".into());
        a.push(d.to_string());
    }
    // Paths are already absolute (cli::parse), so the service finds them from any directory.
    for (flag, path) in [("-tlsCert", &flags.tls_cert), ("-tlsKey", &flags.tls_key)] {
        if let Some(p) = path {
            a.push(flag.into());
            a.push(p.display().to_string());
        }
    }
    if let Some(log) = &flags.log_file {
        a.push("-log".into());
        a.push(log.display().to_string());
        if flags.log_size != crate::cli::DEFAULT_LOG_SIZE {
            a.push("-logSize".into());
            a.push(flags.log_size.to_string());
        }
        if flags.log_keep != crate::cli::DEFAULT_LOG_KEEP {
            a.push("-logKeep".into());
            a.push(flags.log_keep.to_string());
        }
    }
    if let Some(f) = flags
        .headless
        .log_format
        .as_deref()
        .filter(|f| !f.is_empty())
    {
        a.push("-logFormat".into());
        a.push(f.to_string());
    }
    a
}

/// The port of a `-l` value (`:9876`, `0.0.0.0:80`, `[::]:443`).
pub fn listen_port(listen: &str) -> Option<u16> {
    listen.rsplit_once(':').and_then(|(_, p)| p.parse().ok())
}

/// Quotes `s` for a POSIX shell (single quotes unless it is plainly safe).
pub fn sh_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%[]".contains(&b));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A typical spec used by the golden-file tests.
    pub fn spec(config: &str, port: Option<u16>, binds: bool) -> ServiceSpec {
        let mut args = vec![
            "-l".into(),
            format!(":{}", port.unwrap_or(9876)),
            "-f".into(),
            "300".into(),
            "-cacheTimes".into(),
            "5".into(),
            "-c".into(),
            config.into(),
        ];
        if port.is_none() {
            args.push("-noweb".into());
        }
        ServiceSpec {
            exe: "/usr/local/bin/ddns-rs".into(),
            args,
            config: config.into(),
            listen_port: port,
            binds_interface: binds,
            run_as: None,
            log_dir: None,
        }
    }

    /// Compares `actual` with `tests/golden/service/<name>`; `DDNS_RS_UPDATE_GOLDEN=1` rewrites
    /// the file instead (review the diff before committing it).
    pub fn golden(name: &str, actual: &str) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden/service")
            .join(name);
        if std::env::var_os("DDNS_RS_UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, actual).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (DDNS_RS_UPDATE_GOLDEN=1 creates it)",
                path.display()
            )
        });
        assert_eq!(
            actual, want,
            "generated {name} differs from the golden file"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> Flags {
        let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        crate::cli::parse(&a, Some(Path::new("/root")), Path::new("/srv/work")).unwrap()
    }

    #[test]
    fn baked_args_make_the_config_path_absolute_and_keep_optional_flags() {
        let f = flags(&[
            "-c",
            "conf/d.yaml",
            "-noweb",
            "-skipVerify",
            "-dns",
            "1.1.1.1",
            "-f",
            "60",
        ]);
        assert_eq!(
            baked_args(&f),
            [
                "-l",
                ":9876",
                "-f",
                "60",
                "-cacheTimes",
                "5",
                "-c",
                "/srv/work/conf/d.yaml",
                "-noweb",
                "-skipVerify",
                "-dns",
                "1.1.1.1"
            ]
        );
        let f = flags(&[
            "-c",
            "d.yaml",
            "-tlsCert",
            "tls/c.pem",
            "-tlsKey",
            "/etc/k.pem",
            "-log",
            "/var/log/ddns/x.log",
            "-logKeep",
            "5",
            "-logFormat",
            "json",
        ]);
        let baked = baked_args(&f);
        assert_eq!(
            baked[7..],
            [
                "/srv/work/d.yaml",
                "-tlsCert",
                "/srv/work/tls/c.pem",
                "-tlsKey",
                "/etc/k.pem",
                "-log",
                "/var/log/ddns/x.log",
                "-logKeep",
                "5",
                "-logFormat",
                "json"
            ]
        );
        let spec = ServiceSpec::new("/bin/x".into(), &f, None);
        assert_eq!(
            spec.writable_dirs(),
            [Path::new("/srv/work"), Path::new("/var/log/ddns")]
        );
        let inside = ServiceSpec::new("/bin/x".into(), &flags(&["-log", "/root/l.log"]), None);
        assert_eq!(inside.writable_dirs(), [Path::new("/root")]);
        let f = flags(&[]);
        assert_eq!(
            baked_args(&f),
            [
                "-l",
                ":9876",
                "-f",
                "300",
                "-cacheTimes",
                "5",
                "-c",
                "/root/.ddns_go_config.yaml"
            ]
        );
    }

    #[test]
    fn spec_reads_port_and_interface_binding() {
        let mut c = Config::default();
        let f = flags(&["-l", "[::]:80"]);
        let s = ServiceSpec::new("/bin/x".into(), &f, Some(&c));
        assert_eq!(s.listen_port, Some(80));
        assert!(!s.binds_interface);
        c.dnsconf.push(Default::default());
        c.dnsconf[0].httpinterface = "eth0".into();
        let s = ServiceSpec::new("/bin/x".into(), &flags(&["-noweb"]), Some(&c));
        assert_eq!(s.listen_port, None);
        assert!(s.binds_interface);
        assert_eq!(s.config_dir(), Path::new("/root"));
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(sh_quote("/usr/bin/ddns-rs"), "/usr/bin/ddns-rs");
        assert_eq!(sh_quote(":9876"), ":9876");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
    }
}
