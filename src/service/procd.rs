//! The OpenWrt procd init script (`USE_PROCD=1`): procd keeps ddns-rs running (respawn), sends
//! its output to logd, and `/etc/init.d/ddns-rs reload` sends SIGHUP.

use super::{NAME, ServiceSpec, sh_quote};

/// Where the script is installed (below the root prefix).
pub fn script_path() -> String {
    format!("/etc/init.d/{NAME}")
}

/// The script text.
pub fn script(spec: &ServiceSpec) -> String {
    let argv: Vec<String> = spec.argv().iter().map(|a| sh_quote(a)).collect();
    format!(
        "#!/bin/sh /etc/rc.common\n\
         \n\
         USE_PROCD=1\n\
         START=99\n\
         STOP=10\n\
         \n\
         start_service() {{\n\
         \tprocd_open_instance {NAME}\n\
         \tprocd_set_param command {argv}\n\
         \t# Restart after a crash: give up after 5 crashes within an hour, wait 5 s between.\n\
         \tprocd_set_param respawn 3600 5 5\n\
         \tprocd_set_param stdout 1\n\
         \tprocd_set_param stderr 1\n\
         \t# SIGTERM lets an update in progress finish (at most 5 s).\n\
         \tprocd_set_param term_timeout 10\n\
         \tprocd_close_instance\n\
         }}\n\
         \n\
         reload_service() {{\n\
         \tprocd_send_signal {NAME} '*' HUP\n\
         }}\n",
        argv = argv.join(" "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_support::{golden, spec};

    #[test]
    fn procd_script() {
        golden(
            "procd",
            &script(&spec("/etc/ddns-rs/ddns.yaml", Some(9876), false)),
        );
    }
}
