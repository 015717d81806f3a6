//! `-s install|uninstall|restart`: detect the init system, write its unit or script under a
//! root prefix, and drive the service manager through a [`Runner`]. Messages keep ddns-go's
//! wording (§1.1) with our service name.

use std::io;
use std::path::{Path, PathBuf};

use super::{NAME, ServiceSpec, launchd, openrc, procd, systemd, sysv, windows};
use crate::cli::ServiceAction;

/// The service managers ddns-rs can install itself into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitSystem {
    /// systemd (`/run/systemd/system` exists while systemd is PID 1).
    Systemd,
    /// OpenRC (`/sbin/openrc-run`).
    OpenRc,
    /// OpenWrt procd (`/sbin/procd`).
    Procd,
    /// Plain SysV init scripts (`/etc/init.d`).
    SysV,
    /// macOS launchd.
    Launchd,
    /// Windows Service Control Manager (through `sc.exe`).
    Windows,
}

/// The init system of the machine whose root is `root`, by the usual markers, in kardianos'
/// order (systemd, OpenRC, procd, SysV); None when nothing is recognised.
pub fn detect(root: &Path) -> Option<InitSystem> {
    if cfg!(target_os = "macos") {
        return Some(InitSystem::Launchd);
    }
    if cfg!(windows) {
        return Some(InitSystem::Windows);
    }
    let has = |p: &str| root.join(p.trim_start_matches('/')).exists();
    if has("/run/systemd/system") {
        Some(InitSystem::Systemd)
    } else if has("/sbin/openrc-run") || has("/run/openrc") {
        Some(InitSystem::OpenRc)
    } else if has("/sbin/procd") {
        Some(InitSystem::Procd)
    } else if has("/etc/init.d") {
        Some(InitSystem::SysV)
    } else {
        None
    }
}

/// What a command run by the [`Runner`] returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output and error, for messages.
    pub text: String,
}

/// Runs the service manager's commands (a recorder in tests).
pub trait Runner {
    /// Runs `program` with `args` and waits for it.
    fn run(&mut self, program: &str, args: &[String]) -> io::Result<Output>;
}

/// The real runner: `std::process::Command`.
#[derive(Debug, Default)]
pub struct SystemRunner;

impl Runner for SystemRunner {
    fn run(&mut self, program: &str, args: &[String]) -> io::Result<Output> {
        let out = std::process::Command::new(program).args(args).output()?;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        Ok(Output {
            code: out.status.code().unwrap_or(-1),
            text,
        })
    }
}

/// Why a service operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No supported init system found.
    #[error(
        "no supported service manager found (systemd, OpenRC, procd, SysV); run ddns-rs under \
         your own supervisor (see docs/install.md)"
    )]
    NoInitSystem,
    /// Writing or removing a file failed.
    #[error("{path}: {err} (are you root? try sudo)")]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        err: io::Error,
    },
    /// A service manager command could not run or failed.
    #[error("`{cmd}` failed: {detail}")]
    Command {
        /// The command line.
        cmd: String,
        /// Exit code and output, or the error.
        detail: String,
    },
}

/// Installed state of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not installed.
    NotInstalled,
    /// Installed, not running.
    Stopped,
    /// Installed and running.
    Running,
}

/// Installs and controls the service on one machine.
pub struct Installer<'a> {
    /// Root prefix for every file written (`/` for real).
    pub root: PathBuf,
    /// The init system in use.
    pub init: InitSystem,
    /// Runs the service manager's commands.
    pub runner: &'a mut dyn Runner,
}

impl Installer<'_> {
    fn file(&self) -> String {
        match self.init {
            InitSystem::Systemd => systemd::unit_path(),
            InitSystem::OpenRc => openrc::script_path(),
            InitSystem::Procd => procd::script_path(),
            InitSystem::SysV => sysv::script_path(),
            InitSystem::Launchd => launchd::plist_path(),
            InitSystem::Windows => String::new(),
        }
    }

    fn under_root(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    fn run(&mut self, program: &str, args: &[&str]) -> Result<Output, ServiceError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        self.run_owned(program, &args)
    }

    fn run_owned(&mut self, program: &str, args: &[String]) -> Result<Output, ServiceError> {
        let cmd = format!("{program} {}", args.join(" "));
        match self.runner.run(program, args) {
            Ok(o) => Ok(o),
            Err(e) => Err(ServiceError::Command {
                cmd,
                detail: e.to_string(),
            }),
        }
    }

    /// Runs a command that must succeed.
    fn must(&mut self, program: &str, args: &[&str]) -> Result<(), ServiceError> {
        let o = self.run(program, args)?;
        if o.code == 0 {
            Ok(())
        } else {
            Err(ServiceError::Command {
                cmd: format!("{program} {}", args.join(" ")),
                detail: format!("exit code {}: {}", o.code, o.text.trim()),
            })
        }
    }

    /// Whether the service is installed and running.
    pub fn status(&mut self) -> Result<Status, ServiceError> {
        if self.init == InitSystem::Windows {
            let o = self.run("sc.exe", &["query", NAME])?;
            return Ok(if o.code != 0 {
                Status::NotInstalled
            } else if o.text.contains("RUNNING") {
                Status::Running
            } else {
                Status::Stopped
            });
        }
        if !self.under_root(&self.file()).exists() {
            return Ok(Status::NotInstalled);
        }
        let script = self.file();
        let o = match self.init {
            InitSystem::Systemd => self.run("systemctl", &["is-active", "--quiet", NAME])?,
            InitSystem::OpenRc => self.run("rc-service", &[NAME, "status"])?,
            InitSystem::Procd => self.run(&script, &["running"])?,
            InitSystem::SysV => self.run(&script, &["status"])?,
            InitSystem::Launchd => self.run("launchctl", &["list", NAME])?,
            InitSystem::Windows => Output::default(),
        };
        Ok(if o.code == 0 {
            Status::Running
        } else {
            Status::Stopped
        })
    }

    fn write(&self, rel: &str, text: &str, mode: u32) -> Result<(), ServiceError> {
        let path = self.under_root(rel);
        let err = |err| ServiceError::File {
            path: path.clone(),
            err,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        std::fs::write(&path, text).map_err(err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).map_err(err)?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        Ok(())
    }

    fn remove(&self, rel: &str) -> Result<(), ServiceError> {
        let path = self.under_root(rel);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(ServiceError::File { path, err }),
        }
    }

    /// Writes the unit or script, enables it and starts it.
    pub fn install(&mut self, spec: &ServiceSpec) -> Result<(), ServiceError> {
        let file = self.file();
        // The sandboxed systemd unit needs the config (and -log) directories to exist
        // (ReadWritePaths); inside the sandbox the daemon could not create them itself.
        if self.init == InitSystem::Systemd {
            for d in spec.writable_dirs() {
                let dir = self.under_root(&d.display().to_string());
                std::fs::create_dir_all(&dir)
                    .map_err(|err| ServiceError::File { path: dir, err })?;
            }
        }
        match self.init {
            InitSystem::Systemd => {
                self.write(&file, &systemd::unit(spec), 0o644)?;
                self.must("systemctl", &["daemon-reload"])?;
                self.must("systemctl", &["enable", NAME])?;
            }
            InitSystem::OpenRc => {
                self.write(&file, &openrc::script(spec), 0o755)?;
                self.must("rc-update", &["add", NAME, "default"])?;
            }
            InitSystem::Procd => {
                self.write(&file, &procd::script(spec), 0o755)?;
                self.must(&file, &["enable"])?;
            }
            InitSystem::SysV => {
                self.write(&file, &sysv::script(spec), 0o755)?;
                for (dir, link) in sysv::rc_links() {
                    let d = self.under_root(&dir);
                    let l = d.join(&link);
                    let e = |err| ServiceError::File {
                        path: l.clone(),
                        err,
                    };
                    std::fs::create_dir_all(&d).map_err(e)?;
                    let _ = std::fs::remove_file(&l);
                    #[cfg(unix)]
                    std::os::unix::fs::symlink(&file, &l).map_err(e)?;
                    #[cfg(not(unix))]
                    let _ = e;
                }
            }
            InitSystem::Launchd => self.write(&file, &launchd::plist(spec), 0o644)?,
            InitSystem::Windows => {
                let o = self.run_owned("sc.exe", &windows::create_args(spec))?;
                if o.code != 0 {
                    return Err(ServiceError::Command {
                        cmd: "sc.exe create".into(),
                        detail: format!("exit code {}: {}", o.code, o.text.trim()),
                    });
                }
                // Description and restart-on-failure are cosmetic; a failure is not fatal.
                self.run_owned("sc.exe", &windows::description_args())?;
                self.run_owned("sc.exe", &windows::failure_args())?;
            }
        }
        self.start()
    }

    /// Starts the installed service.
    pub fn start(&mut self) -> Result<(), ServiceError> {
        let file = self.file();
        match self.init {
            InitSystem::Systemd => self.must("systemctl", &["start", NAME]),
            InitSystem::OpenRc => self.must("rc-service", &[NAME, "start"]),
            InitSystem::Procd | InitSystem::SysV => self.must(&file, &["start"]),
            InitSystem::Launchd => self.must("launchctl", &["load", "-w", &file]),
            InitSystem::Windows => self.must("sc.exe", &["start", NAME]),
        }
    }

    /// Stops the service; a service that is not running is not an error.
    pub fn stop(&mut self) -> Result<(), ServiceError> {
        let file = self.file();
        match self.init {
            InitSystem::Systemd => self.run("systemctl", &["stop", NAME]),
            InitSystem::OpenRc => self.run("rc-service", &[NAME, "stop"]),
            InitSystem::Procd | InitSystem::SysV => self.run(&file, &["stop"]),
            InitSystem::Launchd => self.run("launchctl", &["unload", "-w", &file]),
            InitSystem::Windows => self.run("sc.exe", &["stop", NAME]),
        }
        .map(drop)
    }

    /// Restarts a running service.
    pub fn restart(&mut self) -> Result<(), ServiceError> {
        match self.init {
            InitSystem::Systemd => self.must("systemctl", &["restart", NAME]),
            InitSystem::OpenRc => self.must("rc-service", &[NAME, "restart"]),
            _ => {
                self.stop()?;
                self.start()
            }
        }
    }

    /// Stops, disables and removes the service.
    pub fn uninstall(&mut self) -> Result<(), ServiceError> {
        self.stop()?;
        let file = self.file();
        match self.init {
            InitSystem::Systemd => {
                self.run("systemctl", &["disable", NAME])?;
                self.remove(&file)?;
                self.must("systemctl", &["daemon-reload"])?;
            }
            InitSystem::OpenRc => {
                self.run("rc-update", &["del", NAME, "default"])?;
                self.remove(&file)?;
            }
            InitSystem::Procd => {
                self.run(&file, &["disable"])?;
                self.remove(&file)?;
            }
            InitSystem::SysV => {
                for (dir, link) in sysv::rc_links() {
                    self.remove(&format!("{dir}/{link}"))?;
                }
                self.remove(&file)?;
            }
            InitSystem::Launchd => self.remove(&file)?,
            InitSystem::Windows => self.must("sc.exe", &["delete", NAME])?,
        }
        Ok(())
    }
}

/// Carries out `action` as ddns-go does and returns (success, message to log).
pub fn perform(action: ServiceAction, inst: &mut Installer, spec: &ServiceSpec) -> (bool, String) {
    let status = match inst.status() {
        Ok(s) => s,
        Err(e) => return (false, format!("Cannot query the {NAME} service: {e}")),
    };
    match action {
        ServiceAction::Install if status != Status::NotInstalled => (
            true,
            format!("{NAME} service has been installed, no need to install again"),
        ),
        ServiceAction::Install => match inst.install(spec) {
            Ok(()) => (
                true,
                format!(
                    "Installed {NAME} service successfully! Please open the browser and configure it"
                ),
            ),
            Err(e) => (false, format!("Failed to install {NAME} service: {e}")),
        },
        ServiceAction::Uninstall if status == Status::NotInstalled => {
            (true, format!("{NAME} service is not installed"))
        }
        ServiceAction::Uninstall => match inst.uninstall() {
            Ok(()) => (true, format!("{NAME} service uninstalled successfully")),
            Err(e) => (false, format!("{NAME} service uninstall failed: {e}")),
        },
        ServiceAction::Restart => {
            let r = match status {
                Status::NotInstalled => {
                    return (
                        false,
                        format!(
                            "{NAME} service is not installed, please install the service first"
                        ),
                    );
                }
                Status::Running => inst.restart(),
                Status::Stopped => inst.start(),
            };
            match r {
                Ok(()) => (true, format!("{NAME} service restarted successfully")),
                Err(e) => (false, format!("{NAME} service restart failed: {e}")),
            }
        }
    }
}
