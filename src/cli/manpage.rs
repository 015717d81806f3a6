//! The man page `ddns-rs(1)` in roff (the `man` macro package), generated from the flag table
//! ([`super::flag_docs`]) so that it lists every flag with its help. `ddns-rs -manpage` prints
//! it; docs/install.md says where to put it.

use super::FlagDoc;

/// Escapes text for roff: backslashes, dashes (so that `man` does not turn them into
/// hyphens and copy-paste keeps working), and a leading `.` or `'` that would start a request.
fn roff(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            _ => out.push(c),
        }
    }
    if out.starts_with('.') || out.starts_with('\'') {
        out.insert_str(0, "\\&");
    }
    out
}

/// The man page for `flags` and the environment variables `env` (`(flag, variable)` pairs);
/// `version` goes into the footer.
pub fn render(flags: &[FlagDoc], env: &[(&str, &str)], version: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        ".TH DDNS\\-RS 1 \"\" \"ddns\\-rs {}\" \"User Commands\"\n",
        roff(version)
    ));
    out.push_str(
        ".SH NAME\n\
         ddns\\-rs \\- dynamic DNS client with a web UI, compatible with ddns\\-go\n\
         .SH SYNOPSIS\n\
         .B ddns\\-rs\n\
         .RI [ flags ]\n\
         .SH DESCRIPTION\n\
         .B ddns\\-rs\n\
         detects the public IPv4 and IPv6 addresses of this host (from echo URLs, a network \
         interface or a command) and keeps the A and AAAA records of the configured domains at \
         its DNS providers up to date. It reads the configuration file of ddns\\-go and takes \
         the same flags, so service units and scripts written for ddns\\-go keep working.\n\
         .PP\n\
         Flags are written with one dash (two are accepted too); a value follows as\n\
         .B \\-flag value\n\
         or\n\
         .BR \\-flag=value ;\n\
         a boolean flag is\n\
         .B \\-flag\n\
         or\n\
         .BR \\-flag=false .\n\
         .SH OPTIONS\n",
    );
    for f in flags {
        out.push_str(".TP\n");
        match f.arg {
            Some(t) => out.push_str(&format!(".BI \\-{} \" {}\"\n", roff(f.name), roff(t))),
            None => out.push_str(&format!(".B \\-{}\n", roff(f.name))),
        }
        let mut text = roff(f.usage);
        if !f.default.is_empty() {
            text.push_str(&format!(" (default: {})", roff(&f.default)));
        }
        out.push_str(&text);
        out.push('\n');
    }
    out.push_str(
        ".SH ENVIRONMENT\n\
         For containers: a flag wins over its variable, both win over the config file; an \
         empty variable counts as not set.\n",
    );
    for (flag, var) in env {
        out.push_str(&format!(
            ".TP\n.B {}\nsame as\n.BR \\-{} .\n",
            roff(var),
            roff(flag)
        ));
    }
    out.push_str(
        ".TP\n\
         .B JOURNAL_STREAM\n\
         set by systemd when the output goes to the journal: log lines then carry no time stamp \
         (the journal adds one) and start with a syslog priority such as <3> for errors.\n\
         .SH FILES\n\
         .TP\n\
         .I $HOME/.ddns_go_config.yaml\n\
         the config file unless\n\
         .B \\-c\n\
         names another; written by the web UI with mode 0600.\n\
         .TP\n\
         .I .ddns_rs_history.jsonl\n\
         beside the config file: every record change, for the history view and\n\
         .BR \\-rollback .\n\
         .TP\n\
         .I <config>.lock\n\
         beside the config file: one instance per config file.\n\
         .SH EXIT STATUS\n\
         0 on success; 1 when something failed (with\n\
         .BR \\-once ,\n\
         a domain that could not be updated; with\n\
         .BR \\-healthcheck ,\n\
         an instance that is not healthy); 2 for a bad command line or config.\n\
         .SH SEE ALSO\n\
         The documentation in the ddns\\-rs source tree: docs/configuration.md, \
         docs/install.md, docs/monitoring.md.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{env_docs, flag_docs};

    #[test]
    fn lists_every_flag_with_its_help() {
        let flags = flag_docs();
        let page = render(&flags, env_docs(), "1.2.3");
        for f in &flags {
            let head = match f.arg {
                Some(t) => format!(".TP\n.BI \\-{} \" {t}\"\n", f.name.replace('-', "\\-")),
                None => format!(".TP\n.B \\-{}\n", f.name),
            };
            let at = page.find(&head).unwrap_or_else(|| panic!("-{}", f.name));
            let body = page[at + head.len()..].lines().next().unwrap();
            assert!(body.starts_with(&roff(f.usage)), "-{}: {body}", f.name);
        }
        assert!(page.contains("(default: :9876)"));
        assert!(page.contains(".B DDNS_SECRET_FILE\nsame as\n.BR \\-secretFile .\n"));
        assert!(page.starts_with(".TH DDNS\\-RS 1 \"\" \"ddns\\-rs 1.2.3\""));
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(roff("a-b\\c"), "a\\-b\\ec");
        assert_eq!(roff(".x"), "\\&.x");
        assert_eq!(roff("'x"), "\\&'x");
    }
}
