//! A SysV init script for systems with neither systemd, OpenRC nor procd. Like ddns-go's it runs
//! ddns-rs in the background with a pid file and log files, and `stop` waits up to 10 s; unlike
//! it, it needs no `/etc/rc.common` (OpenWrt uses the procd script instead), so it works on any
//! `/bin/sh`; it keeps rc.common's shape (`start`/`stop`/`restart` functions, `START`/`STOP`).

use super::{DESCRIPTION, NAME, ServiceSpec, sh_quote};

/// Where the script is installed (below the root prefix).
pub fn script_path() -> String {
    format!("/etc/init.d/{NAME}")
}

/// The run-level links made at install: (directory, link name), like kardianos' S50/K02.
pub fn rc_links() -> Vec<(String, String)> {
    let mut v = Vec::new();
    for level in ["2", "3", "4", "5"] {
        v.push((format!("/etc/rc{level}.d"), format!("S50{NAME}")));
    }
    for level in ["0", "1", "6"] {
        v.push((format!("/etc/rc{level}.d"), format!("K02{NAME}")));
    }
    v
}

/// The script text.
pub fn script(spec: &ServiceSpec) -> String {
    let argv: Vec<String> = spec.argv().iter().map(|a| sh_quote(a)).collect();
    format!(
        "#!/bin/sh\n\
         ### BEGIN INIT INFO\n\
         # Provides:          {NAME}\n\
         # Required-Start:    $network $remote_fs\n\
         # Required-Stop:     $network $remote_fs\n\
         # Default-Start:     2 3 4 5\n\
         # Default-Stop:      0 1 6\n\
         # Short-Description: {NAME} dynamic DNS daemon\n\
         # Description:       {DESCRIPTION}\n\
         ### END INIT INFO\n\
         \n\
         START=99\n\
         STOP=10\n\
         pid_file=\"/var/run/{NAME}.pid\"\n\
         stdout_log=\"/var/log/{NAME}.log\"\n\
         stderr_log=\"/var/log/{NAME}.err\"\n\
         \n\
         is_running() {{\n\
         \t[ -f \"$pid_file\" ] && kill -0 \"$(cat \"$pid_file\")\" 2>/dev/null\n\
         }}\n\
         \n\
         start() {{\n\
         \tif is_running; then\n\
         \t\techo \"Already started\"\n\
         \t\treturn 0\n\
         \tfi\n\
         \techo \"Starting {NAME}\"\n\
         \t{argv} >>\"$stdout_log\" 2>>\"$stderr_log\" &\n\
         \techo $! >\"$pid_file\"\n\
         \tif ! is_running; then\n\
         \t\techo \"Unable to start, see $stdout_log and $stderr_log\"\n\
         \t\treturn 1\n\
         \tfi\n\
         }}\n\
         \n\
         stop() {{\n\
         \tif ! is_running; then\n\
         \t\techo \"Not running\"\n\
         \t\trm -f \"$pid_file\"\n\
         \t\treturn 0\n\
         \tfi\n\
         \techo \"Stopping {NAME}\"\n\
         \tkill \"$(cat \"$pid_file\")\"\n\
         \ti=0\n\
         \twhile is_running && [ \"$i\" -lt 10 ]; do\n\
         \t\tsleep 1\n\
         \t\ti=$((i + 1))\n\
         \tdone\n\
         \tif is_running; then\n\
         \t\techo \"Not stopped; may still be shutting down or shutdown may have failed\"\n\
         \t\treturn 1\n\
         \tfi\n\
         \trm -f \"$pid_file\"\n\
         }}\n\
         \n\
         restart() {{\n\
         \tstop && start\n\
         }}\n\
         \n\
         reload() {{\n\
         \tis_running && kill -HUP \"$(cat \"$pid_file\")\"\n\
         }}\n\
         \n\
         status() {{\n\
         \tif is_running; then\n\
         \t\techo \"Running\"\n\
         \telse\n\
         \t\techo \"Stopped\"\n\
         \t\treturn 1\n\
         \tfi\n\
         }}\n\
         \n\
         case \"$1\" in\n\
         start | stop | restart | reload | status) \"$1\" ;;\n\
         *)\n\
         \techo \"Usage: $0 {{start|stop|restart|reload|status}}\"\n\
         \texit 2\n\
         \t;;\n\
         esac\n",
        argv = argv.join(" "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_support::{golden, spec};

    #[test]
    fn sysv_script() {
        golden(
            "sysv",
            &script(&spec("/etc/ddns-rs/ddns.yaml", Some(9876), false)),
        );
    }

    #[test]
    fn sysv_script_is_valid_sh_and_answers_status() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s");
        std::fs::write(&p, script(&spec("/etc/x.yaml", None, false))).unwrap();
        let check = std::process::Command::new("sh")
            .arg("-n")
            .arg(&p)
            .status()
            .unwrap();
        assert!(check.success(), "sh -n rejected the script");
        let out = std::process::Command::new("sh")
            .arg(&p)
            .arg("bogus")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"));
    }
}
