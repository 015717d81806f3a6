//! The systemd unit: started after the network is online, restarted on failure, and sandboxed
//! (read-only system, no capabilities beyond what the config needs, only the address families
//! ddns-rs uses). The config directory is the one writable place: the web UI saves the config
//! there and the instance lock lives beside it.

use std::fmt::Write;
use std::path::Path;

use super::{DESCRIPTION, NAME, ServiceSpec};

/// Where the unit is installed (below the root prefix).
pub fn unit_path() -> String {
    format!("/etc/systemd/system/{NAME}.service")
}

/// Quotes one `ExecStart=` word: systemd splits on spaces, honours double quotes with C-style
/// escapes, and expands `%` specifiers and `$VAR`, so those are doubled.
pub fn exec_quote(s: &str) -> String {
    let doubled = s.replace('%', "%%").replace('$', "$$");
    let plain = !doubled.is_empty()
        && !doubled
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '\\' || c == ';');
    if plain {
        return doubled;
    }
    let mut q = String::from("\"");
    for c in doubled.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// Quotes a path for a path-list setting (`ReadWritePaths=`): `%` specifiers are expanded
/// there, `$` is not.
fn path_quote(s: &str) -> String {
    let s = s.replace('%', "%%");
    if s.chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\\')
    {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s
    }
}

/// Whether `dir` lies under a directory that `ProtectHome=` hides.
fn under_home(dir: &Path) -> bool {
    ["/home", "/root", "/run/user"]
        .iter()
        .any(|h| dir.starts_with(h))
}

/// The unit file text.
pub fn unit(spec: &ServiceSpec) -> String {
    let exec: Vec<String> = spec.argv().iter().map(|a| exec_quote(a)).collect();
    let dirs = spec.writable_dirs();
    let mut caps = Vec::new();
    // Ports below 1024 need CAP_NET_BIND_SERVICE; SO_BINDTODEVICE (`httpinterface`) needs
    // CAP_NET_RAW. Nothing else: the daemon only talks HTTP(S)/DNS and reads netlink.
    if spec.listen_port.is_some_and(|p| p < 1024) {
        caps.push("CAP_NET_BIND_SERVICE");
    }
    if spec.binds_interface {
        caps.push("CAP_NET_RAW");
    }
    let caps = caps.join(" ");
    let mut u = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        u,
        "[Unit]\n\
         Description={DESCRIPTION}\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         StartLimitIntervalSec=300\n\
         StartLimitBurst=10\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={exec}\n\
         ExecReload=/bin/kill -HUP $MAINPID\n\
         EnvironmentFile=-/etc/sysconfig/{NAME}\n\
         Restart=on-failure\n\
         RestartSec=10\n\
         TimeoutStopSec=10\n",
        exec = exec.join(" "),
    );
    if let Some((uid, gid)) = spec.run_as {
        let _ = writeln!(u, "User={uid}\nGroup={gid}");
    }
    let _ = write!(
        u,
        "NoNewPrivileges=yes\n\
         ProtectSystem=strict\n\
         ReadWritePaths={dir}\n\
         ProtectHome={home}\n\
         PrivateTmp=yes\n\
         PrivateDevices=yes\n\
         ProtectKernelTunables=yes\n\
         ProtectKernelModules=yes\n\
         ProtectKernelLogs=yes\n\
         ProtectControlGroups=yes\n\
         ProtectClock=yes\n\
         ProtectHostname=yes\n\
         RestrictNamespaces=yes\n\
         RestrictRealtime=yes\n\
         RestrictSUIDSGID=yes\n\
         LockPersonality=yes\n\
         MemoryDenyWriteExecute=yes\n\
         SystemCallArchitectures=native\n\
         CapabilityBoundingSet={caps}\n\
         AmbientCapabilities={caps}\n\
         RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_UNIX\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        dir = dirs
            .iter()
            .map(|d| path_quote(&d.display().to_string()))
            .collect::<Vec<_>>()
            .join(" "),
        // A config (or log) under a home directory: homes stay readable and that one directory
        // is made writable by ReadWritePaths; otherwise homes are hidden altogether.
        home = if dirs.iter().any(|d| under_home(d)) {
            "read-only"
        } else {
            "yes"
        },
    );
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_support::{golden, spec};

    #[test]
    fn unit_for_a_config_in_etc() {
        golden(
            "systemd-etc.service",
            &unit(&spec("/etc/ddns-rs/ddns.yaml", Some(9876), false)),
        );
    }

    #[test]
    fn unit_for_a_config_in_root_home_on_port_80_with_interface_binding() {
        let mut s = spec("/root/.ddns_go_config.yaml", Some(80), true);
        s.args.push("-dns".into());
        s.args.push("1.1.1.1".into());
        golden("systemd-root-port80.service", &unit(&s));
    }

    #[test]
    fn a_log_file_elsewhere_is_writable_too() {
        let mut s = spec("/etc/ddns-rs/ddns.yaml", Some(9876), false);
        s.log_dir = Some("/var/log/ddns rs".into());
        let u = unit(&s);
        assert!(
            u.contains("ReadWritePaths=/etc/ddns-rs \"/var/log/ddns rs\"\n"),
            "{u}"
        );
        assert!(u.contains("ProtectHome=yes\n"));
        s.log_dir = Some("/home/ann/logs".into());
        assert!(unit(&s).contains("ProtectHome=read-only\n"));
    }

    #[test]
    fn unit_for_a_user_config_runs_as_its_owner() {
        let mut s = spec("/home/ann/my ddns/c.yaml", None, false);
        s.run_as = Some((1000, 1000));
        golden("systemd-user.service", &unit(&s));
    }

    #[test]
    fn exec_quoting() {
        assert_eq!(exec_quote("/usr/bin/ddns-rs"), "/usr/bin/ddns-rs");
        assert_eq!(exec_quote("a b"), "\"a b\"");
        assert_eq!(exec_quote("100%$x"), "100%%$$x");
        assert_eq!(exec_quote(r#"q"\"#), r#""q\"\\""#);
        assert_eq!(exec_quote(""), "\"\"");
    }
}
