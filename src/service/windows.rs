//! The Windows service: installed with `sc.exe` (through the installer's runner, so the
//! commands are tested on Linux), started "Automatic (Delayed Start)" so that it runs after
//! the network is up, as ddns-go does. When the Service Control Manager starts the binary,
//! [`scm::run`] (Windows only, `windows-service` crate) reports the service state and turns a
//! Stop request into the same graceful shutdown as SIGTERM.

use super::{DESCRIPTION, NAME, ServiceSpec};

/// The name shown in the Services console.
pub const DISPLAY_NAME: &str = NAME;

/// Quotes one argument the way `CommandLineToArgvW` and the Rust runtime split it back:
/// backslashes are literal unless they precede a quote.
pub fn win_quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '"']) {
        return arg.to_string();
    }
    let mut q = String::from("\"");
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                q.push_str(&"\\".repeat(2 * backslashes + 1));
                q.push('"');
                backslashes = 0;
            }
            c => {
                q.push_str(&"\\".repeat(backslashes));
                q.push(c);
                backslashes = 0;
            }
        }
    }
    q.push_str(&"\\".repeat(2 * backslashes));
    q.push('"');
    q
}

/// The service's command line (`binPath=`): the quoted binary, then the quoted arguments.
pub fn bin_path(spec: &ServiceSpec) -> String {
    spec.argv()
        .iter()
        .map(|a| win_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `sc.exe` arguments that create the service.
pub fn create_args(spec: &ServiceSpec) -> Vec<String> {
    [
        "create",
        NAME,
        "binPath=",
        &bin_path(spec),
        "start=",
        "delayed-auto",
        "DisplayName=",
        DISPLAY_NAME,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// `sc.exe` arguments that set the description.
pub fn description_args() -> Vec<String> {
    vec!["description".into(), NAME.into(), DESCRIPTION.into()]
}

/// `sc.exe` arguments that restart the service after a crash (10 s, three times a day).
pub fn failure_args() -> Vec<String> {
    [
        "failure",
        NAME,
        "reset=",
        "86400",
        "actions=",
        "restart/10000/restart/10000/restart/10000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Running under the Service Control Manager (Windows only).
#[cfg(windows)]
pub mod scm {
    use std::ffi::OsString;
    use std::sync::OnceLock;
    use std::sync::mpsc;
    use std::time::Duration;

    use windows_service::service::{
        ServiceControl, ServiceControlAccept, ServiceExitCode, ServiceState, ServiceStatus,
        ServiceType,
    };
    use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
    use windows_service::{define_windows_service, service_dispatcher};

    /// The daemon body: runs until the receiver yields (Stop from the SCM), returns the exit code.
    pub type Body = fn(mpsc::Receiver<()>) -> u8;

    // The SCM calls `service_main` through a C callback that carries no user data, so the
    // body is handed over through this set-once cell (written once, before dispatch).
    static BODY: OnceLock<Body> = OnceLock::new();

    define_windows_service!(ffi_service_main, service_main);

    /// Runs `body` as the service when the SCM started this process. Returns false at once
    /// when the process was not started by the SCM (run in the foreground instead).
    pub fn run(body: Body) -> bool {
        let _ = BODY.set(body);
        service_dispatcher::start(super::NAME, ffi_service_main).is_ok()
    }

    fn service_main(_args: Vec<OsString>) {
        let Some(body) = BODY.get().copied() else {
            return;
        };
        let (stop_tx, stop_rx) = mpsc::channel();
        let handler = move |c| match c {
            ServiceControl::Stop | ServiceControl::Shutdown => {
                let _ = stop_tx.send(());
                ServiceControlHandlerResult::NoError
            }
            ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
            _ => ServiceControlHandlerResult::NotImplemented,
        };
        let Ok(h) = service_control_handler::register(super::NAME, handler) else {
            return;
        };
        let status = |state, accept, code| ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state: state,
            controls_accepted: accept,
            exit_code: ServiceExitCode::Win32(code),
            checkpoint: 0,
            wait_hint: Duration::from_secs(10),
            process_id: None,
        };
        let accept = ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN;
        let _ = h.set_service_status(status(ServiceState::Running, accept, 0));
        let code = body(stop_rx);
        let _ = h.set_service_status(status(
            ServiceState::Stopped,
            ServiceControlAccept::empty(),
            u32::from(code),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_support::spec;

    #[test]
    fn quoting_round_trips_the_windows_rules() {
        assert_eq!(win_quote(r"C:\ddns\ddns-rs.exe"), r"C:\ddns\ddns-rs.exe");
        assert_eq!(
            win_quote(r"C:\Program Files\ddns"),
            r#""C:\Program Files\ddns""#
        );
        assert_eq!(win_quote(r"C:\my dir\"), r#""C:\my dir\\""#);
        assert_eq!(win_quote(r#"a"b"#), r#""a\"b""#);
        assert_eq!(win_quote(r#"a\"b"#), r#""a\\\"b""#);
        assert_eq!(win_quote(""), r#""""#);
    }

    #[test]
    fn sc_create_arguments() {
        let mut s = spec(r"C:\Users\Ann\.ddns_go_config.yaml", Some(9876), false);
        s.exe = r"C:\Program Files\ddns-rs\ddns-rs.exe".into();
        assert_eq!(
            create_args(&s),
            [
                "create",
                "ddns-rs",
                "binPath=",
                r#""C:\Program Files\ddns-rs\ddns-rs.exe" -l :9876 -f 300 -cacheTimes 5 -c C:\Users\Ann\.ddns_go_config.yaml"#,
                "start=",
                "delayed-auto",
                "DisplayName=",
                "ddns-rs",
            ]
        );
        assert_eq!(description_args()[..2], ["description", "ddns-rs"]);
        assert_eq!(failure_args()[1], "ddns-rs");
    }
}
