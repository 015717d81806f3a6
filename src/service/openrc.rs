//! The OpenRC init script (Alpine, Gentoo): supervised by start-stop-daemon in the background,
//! started after the network, `rc-service ddns-rs reload` sends SIGHUP.

use super::{DESCRIPTION, NAME, ServiceSpec, sh_quote};

/// Where the script is installed (below the root prefix).
pub fn script_path() -> String {
    format!("/etc/init.d/{NAME}")
}

/// The script text.
pub fn script(spec: &ServiceSpec) -> String {
    let args: Vec<String> = spec.args.iter().map(|a| sh_quote(a)).collect();
    format!(
        "#!/sbin/openrc-run\n\
         \n\
         name={NAME}\n\
         description={desc}\n\
         command={exe}\n\
         command_args={args}\n\
         command_background=true\n\
         pidfile=\"/run/${{RC_SVCNAME}}.pid\"\n\
         output_log=\"/var/log/${{RC_SVCNAME}}.log\"\n\
         error_log=\"/var/log/${{RC_SVCNAME}}.err\"\n\
         # SIGTERM lets an update in progress finish (at most 5 s), then KILL.\n\
         retry=\"TERM/10/KILL/5\"\n\
         extra_started_commands=\"reload\"\n\
         \n\
         depend() {{\n\
         \tneed net\n\
         \tafter firewall\n\
         }}\n\
         \n\
         reload() {{\n\
         \tebegin \"Reloading ${{RC_SVCNAME}}\"\n\
         \tstart-stop-daemon --signal HUP --pidfile \"${{pidfile}}\"\n\
         \teend $?\n\
         }}\n",
        desc = sh_quote(DESCRIPTION),
        exe = sh_quote(&spec.exe.display().to_string()),
        args = sh_quote(&args.join(" ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_support::{golden, spec};

    #[test]
    fn openrc_script() {
        golden(
            "openrc",
            &script(&spec("/etc/ddns-rs/ddns.yaml", Some(9876), false)),
        );
    }
}
