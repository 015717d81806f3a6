//! The macOS launchd property list: a system daemon in `/Library/LaunchDaemons`, started at
//! boot and kept alive.

use super::{NAME, ServiceSpec};

/// Where the plist is installed (below the root prefix).
pub fn plist_path() -> String {
    format!("/Library/LaunchDaemons/{NAME}.plist")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The plist text.
pub fn plist(spec: &ServiceSpec) -> String {
    let args: String = spec
        .argv()
        .iter()
        .map(|a| format!("\t\t<string>{}</string>\n", xml_escape(a)))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \t<key>Label</key>\n\
         \t<string>{NAME}</string>\n\
         \t<key>ProgramArguments</key>\n\
         \t<array>\n\
         {args}\
         \t</array>\n\
         \t<key>RunAtLoad</key>\n\
         \t<true/>\n\
         \t<key>KeepAlive</key>\n\
         \t<true/>\n\
         \t<key>SessionCreate</key>\n\
         \t<false/>\n\
         \t<key>Disabled</key>\n\
         \t<false/>\n\
         \t<key>StandardOutPath</key>\n\
         \t<string>/var/log/{NAME}.out.log</string>\n\
         \t<key>StandardErrorPath</key>\n\
         \t<string>/var/log/{NAME}.err.log</string>\n\
         </dict>\n\
         </plist>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_support::{golden, spec};

    #[test]
    fn launchd_plist() {
        let mut s = spec("/Users/ann/ddns & co/c.yaml", Some(9876), false);
        s.exe = "/usr/local/bin/ddns-rs".into();
        golden("launchd.plist", &plist(&s));
    }
}
