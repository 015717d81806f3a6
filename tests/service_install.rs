//! `-s install|uninstall|restart` against a temporary root directory: the files written, their
//! modes, the service-manager commands run (recorded, not run), ddns-go's messages — and the
//! generated systemd unit checked by the real `systemd-analyze verify`.

use std::io;
use std::path::{Path, PathBuf};

use ddns_rs::cli::{self, ServiceAction};
use ddns_rs::service::install::{self, InitSystem, Installer, Output, Runner, perform};
use ddns_rs::service::{ServiceSpec, systemd};

/// Records every command; answers status queries from `running`.
#[derive(Default)]
struct Recorder {
    cmds: Vec<String>,
    running: bool,
    fail: Option<&'static str>,
}

impl Runner for Recorder {
    fn run(&mut self, program: &str, args: &[String]) -> io::Result<Output> {
        let line = format!("{program} {}", args.join(" "));
        self.cmds.push(line.clone());
        let status_query = args
            .iter()
            .any(|a| a == "is-active" || a == "status" || a == "running");
        let code = if self.fail.is_some_and(|f| line.contains(f)) {
            1
        } else if status_query && !self.running {
            3
        } else {
            0
        };
        Ok(Output {
            code,
            text: String::new(),
        })
    }
}

fn spec(config: &Path) -> ServiceSpec {
    let args: Vec<String> = ["-c", config.to_str().unwrap(), "-noweb"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let flags = cli::parse(&args, None, Path::new("/")).unwrap();
    ServiceSpec::new("/usr/bin/ddns-rs".into(), &flags, None)
}

fn root_with(markers: &[&str]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for m in markers {
        std::fs::create_dir_all(root.path().join(m)).unwrap();
    }
    root
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_system_detection_by_markers() {
    let cases: [(&[&str], Option<InitSystem>); 5] = [
        (
            &["run/systemd/system", "etc/init.d"],
            Some(InitSystem::Systemd),
        ),
        (&["sbin/openrc-run", "etc/init.d"], Some(InitSystem::OpenRc)),
        (&["sbin/procd", "etc/init.d"], Some(InitSystem::Procd)),
        (&["etc/init.d"], Some(InitSystem::SysV)),
        (&[], None),
    ];
    for (markers, want) in cases {
        let root = root_with(markers);
        assert_eq!(install::detect(root.path()), want, "{markers:?}");
    }
}

#[test]
fn systemd_install_restart_uninstall() {
    let root = root_with(&["run/systemd/system"]);
    let config = PathBuf::from("/etc/ddns-rs/ddns.yaml");
    let s = spec(&config);
    let mut rec = Recorder::default();
    let unit = root.path().join("etc/systemd/system/ddns-rs.service");
    {
        let mut inst = Installer {
            root: root.path().into(),
            init: InitSystem::Systemd,
            runner: &mut rec,
        };
        let (ok, msg) = perform(ServiceAction::Install, &mut inst, &s);
        assert!(ok);
        assert_eq!(
            msg,
            "Installed ddns-rs service successfully! Please open the browser and configure it"
        );
    }
    assert_eq!(std::fs::read_to_string(&unit).unwrap(), systemd::unit(&s));
    #[cfg(unix)]
    assert_eq!(mode(&unit), 0o644);
    assert!(
        root.path().join("etc/ddns-rs").is_dir(),
        "config dir created for ReadWritePaths"
    );
    assert_eq!(
        rec.cmds,
        [
            "systemctl daemon-reload",
            "systemctl enable ddns-rs",
            "systemctl start ddns-rs"
        ]
    );
    rec.cmds.clear();
    rec.running = true;
    {
        let mut inst = Installer {
            root: root.path().into(),
            init: InitSystem::Systemd,
            runner: &mut rec,
        };
        let (ok, msg) = perform(ServiceAction::Install, &mut inst, &s);
        assert!(ok);
        assert_eq!(
            msg,
            "ddns-rs service has been installed, no need to install again"
        );
        let (ok, msg) = perform(ServiceAction::Restart, &mut inst, &s);
        assert!(ok, "{msg}");
        let (ok, msg) = perform(ServiceAction::Uninstall, &mut inst, &s);
        assert!(ok, "{msg}");
        assert_eq!(msg, "ddns-rs service uninstalled successfully");
    }
    assert_eq!(
        rec.cmds,
        [
            "systemctl is-active --quiet ddns-rs",
            "systemctl is-active --quiet ddns-rs",
            "systemctl restart ddns-rs",
            "systemctl is-active --quiet ddns-rs",
            "systemctl stop ddns-rs",
            "systemctl disable ddns-rs",
            "systemctl daemon-reload"
        ]
    );
    assert!(!unit.exists());
    rec.cmds.clear();
    let mut inst = Installer {
        root: root.path().into(),
        init: InitSystem::Systemd,
        runner: &mut rec,
    };
    let (ok, msg) = perform(ServiceAction::Restart, &mut inst, &s);
    assert!(!ok);
    assert_eq!(
        msg,
        "ddns-rs service is not installed, please install the service first"
    );
    assert!(
        rec.cmds.is_empty(),
        "nothing to ask systemctl when no unit exists"
    );
}

#[test]
fn a_failing_command_is_reported() {
    let root = root_with(&["run/systemd/system"]);
    let s = spec(Path::new("/etc/ddns-rs/ddns.yaml"));
    let mut rec = Recorder {
        fail: Some("enable"),
        ..Default::default()
    };
    let mut inst = Installer {
        root: root.path().into(),
        init: InitSystem::Systemd,
        runner: &mut rec,
    };
    let (ok, msg) = perform(ServiceAction::Install, &mut inst, &s);
    assert!(!ok);
    assert!(
        msg.starts_with("Failed to install ddns-rs service: `systemctl enable ddns-rs` failed"),
        "{msg}"
    );
}

#[test]
fn openrc_procd_sysv_launchd_windows_commands() {
    let s = spec(Path::new("/etc/ddns-rs/ddns.yaml"));
    let cases: [(InitSystem, &[&str], Option<&str>); 5] = [
        (
            InitSystem::OpenRc,
            &["rc-update add ddns-rs default", "rc-service ddns-rs start"],
            Some("etc/init.d/ddns-rs"),
        ),
        (
            InitSystem::Procd,
            &["/etc/init.d/ddns-rs enable", "/etc/init.d/ddns-rs start"],
            Some("etc/init.d/ddns-rs"),
        ),
        (
            InitSystem::SysV,
            &["/etc/init.d/ddns-rs start"],
            Some("etc/init.d/ddns-rs"),
        ),
        (
            InitSystem::Launchd,
            &["launchctl load -w /Library/LaunchDaemons/ddns-rs.plist"],
            Some("Library/LaunchDaemons/ddns-rs.plist"),
        ),
        (InitSystem::Windows, &[], None),
    ];
    for (init, want, file) in cases {
        let root = tempfile::tempdir().unwrap();
        let mut rec = Recorder::default();
        {
            let mut inst = Installer {
                root: root.path().into(),
                init,
                runner: &mut rec,
            };
            inst.install(&s).unwrap();
        }
        if let Some(f) = file {
            let p = root.path().join(f);
            assert!(p.is_file(), "{init:?}: {f} written");
            #[cfg(unix)]
            if init != InitSystem::Launchd {
                assert_eq!(mode(&p), 0o755, "{init:?}: script executable");
            }
            assert_eq!(rec.cmds, want, "{init:?}");
        }
        if init == InitSystem::SysV {
            let link = root.path().join("etc/rc3.d/S50ddns-rs");
            assert_eq!(
                std::fs::read_link(&link).unwrap(),
                Path::new("/etc/init.d/ddns-rs")
            );
            assert!(
                root.path()
                    .join("etc/rc0.d/K02ddns-rs")
                    .symlink_metadata()
                    .is_ok()
            );
        }
        if init == InitSystem::Windows {
            assert!(
                rec.cmds[0].starts_with("sc.exe create ddns-rs binPath= /usr/bin/ddns-rs -l :9876"),
                "{:?}",
                rec.cmds
            );
            assert!(rec.cmds[0].ends_with("start= delayed-auto DisplayName= ddns-rs"));
            assert_eq!(rec.cmds.last().unwrap(), "sc.exe start ddns-rs");
        }
        rec.cmds.clear();
        let mut inst = Installer {
            root: root.path().into(),
            init,
            runner: &mut rec,
        };
        inst.uninstall().unwrap();
        if let Some(f) = file {
            assert!(!root.path().join(f).exists(), "{init:?}: {f} removed");
        }
        if init == InitSystem::SysV {
            assert!(
                root.path()
                    .join("etc/rc3.d/S50ddns-rs")
                    .symlink_metadata()
                    .is_err()
            );
        }
    }
}

/// The generated unit passes `systemd-analyze verify`. The ExecStart binary must exist, so the
/// unit points at this test's own ddns-rs binary. Set DDNS_RS_SKIP_SYSTEMD=1 only where
/// systemd-analyze cannot run at all.
#[test]
fn systemd_unit_passes_systemd_analyze_verify() {
    if std::env::var_os("DDNS_RS_SKIP_SYSTEMD").is_some() {
        eprintln!("DDNS_RS_SKIP_SYSTEMD set: not verifying the unit");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (config, port, binds) in [
        (dir.path().join("conf").join("ddns.yaml"), Some(9876), false),
        (PathBuf::from("/root/.ddns_go_config.yaml"), Some(80), true),
    ] {
        let args: Vec<String> = [
            "-c",
            config.to_str().unwrap(),
            "-l",
            &format!(":{}", port.unwrap()),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let flags = cli::parse(&args, None, Path::new("/")).unwrap();
        let mut s = ServiceSpec::new(PathBuf::from(env!("CARGO_BIN_EXE_ddns-rs")), &flags, None);
        s.binds_interface = binds;
        s.run_as = Some((65534, 65534));
        std::fs::create_dir_all(config.parent().unwrap()).unwrap();
        let unit = dir.path().join("ddns-rs.service");
        std::fs::write(&unit, systemd::unit(&s)).unwrap();
        let out = std::process::Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&unit)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "systemd-analyze cannot run ({e}); install the `systemd` package, or set \
                     DDNS_RS_SKIP_SYSTEMD=1 to skip this check"
                )
            });
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Only complaints about our unit count (the host's own units may be odd in a container).
        let ours: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("ddns-rs.service"))
            .collect();
        assert!(
            out.status.success() && ours.is_empty(),
            "systemd-analyze verify: {text}"
        );
    }
}
