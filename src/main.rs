//! The `ddns-rs` binary: parse ddns-go-compatible flags and dispatch (daemon, `-once`,
//! `-dryRun`, `-resetPassword`, `-rollback`, `-s`, `-v`, `-completion`, `-manpage`,
//! `-healthcheck`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ddns_rs::cli::{self, Flags, ServiceAction};
use ddns_rs::config::headless;
use ddns_rs::config::store::{self, LoadError};
use ddns_rs::http::{self, HttpOptions, OsRoots, ProxyEnv};
use ddns_rs::logging::{self, LogOptions, LogRing};
use ddns_rs::service::lock::{self, LockError};
use ddns_rs::service::{ServiceSpec, install, netwait, signals};
use ddns_rs::sync::schedule::{Daemon, control_channel};
use ddns_rs::sync::status::StatusBoard;
use ddns_rs::sync::{Engine, EngineOptions};

fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn main() -> ExitCode {
    // Started by the Windows Service Control Manager: run as the service (a Stop request ends
    // the daemon like SIGTERM). Anywhere else this returns false at once.
    #[cfg(windows)]
    if ddns_rs::service::windows::scm::run(windows_service_body) {
        return ExitCode::SUCCESS;
    }
    run_main(None)
}

/// The service body under the Windows SCM: the normal start-up, stopped through `stop`.
#[cfg(windows)]
fn windows_service_body(stop: std::sync::mpsc::Receiver<()>) -> u8 {
    if run_main(Some(stop)) == ExitCode::SUCCESS {
        0
    } else {
        1
    }
}

/// Parses the command line and runs; `stop` (a service manager's stop request) ends a daemon
/// like SIGTERM.
fn run_main(stop: Option<std::sync::mpsc::Receiver<()>>) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let flags = match cli::parse(&args, home_dir().as_deref(), &cwd) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    if flags.version {
        println!("{}", ddns_rs::VERSION);
        return ExitCode::SUCCESS;
    }
    // Generated from the flag table; no config is read.
    if let Some(shell) = flags.completion {
        print!("{}", cli::completion::script(shell, &cli::flag_docs()));
        return ExitCode::SUCCESS;
    }
    if flags.manpage {
        print!(
            "{}",
            cli::manpage::render(&cli::flag_docs(), cli::env_docs(), ddns_rs::VERSION)
        );
        return ExitCode::SUCCESS;
    }
    if flags.healthcheck {
        return healthcheck(&flags);
    }
    if let Some(action) = flags.service {
        return service_action(action, &flags);
    }
    for (set, what) in [
        (flags.self_update, "-u (self-update)"),
        (flags.daemon, "-d (detach)"),
    ] {
        if set {
            eprintln!(
                "{what} is not available in this version of ddns-rs yet. Run ddns-rs under your \
                 service manager directly (see README)."
            );
            return ExitCode::from(2);
        }
    }
    // Headless set-up (docs/headless.md): flags and DDNS_* variables checked before anything
    // else; when given, they create or amend one config entry before the run starts.
    let headless = match headless::merge(&flags.headless, &|k| std::env::var(k).ok()) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let ring = LogRing::new();
    let file = match &flags.log_file {
        Some(path) => {
            match logging::rotate::RotatingFile::open(path, flags.log_size, flags.log_keep) {
                Ok(f) => Some(f),
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(1);
                }
            }
        }
        None => None,
    };
    let journal = file.is_none() && logging::stderr_is_journal();
    logging::init_with(
        ring.clone(),
        LogOptions {
            debug: false,
            format: headless.log_format,
            file,
            journal,
        },
    );
    if headless.is_active()
        && let Err(e) = headless::apply(&flags.config, &headless)
    {
        tracing::error!("{e}");
        return ExitCode::from(e.exit_code());
    }
    let dns = match flags.dns.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => match http::parse_dns_flag(s) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("invalid -dns {s:?}: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let opts = EngineOptions {
        cache_times: flags.cache_times,
        dry_run: flags.dry_run,
        http: HttpOptions {
            skip_verify: flags.skip_verify,
            dns,
            proxy: ProxyEnv::from_env(),
            // Bundled roots plus the OS store where one exists (corporate CAs).
            os_roots: OsRoots::load(),
            provider_timeout: None,
        },
        endpoints: Default::default(),
        history: Some(ddns_rs::history::HistoryLog::beside(&flags.config)),
        metrics: Default::default(),
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(2)
        .thread_keep_alive(Duration::from_secs(10))
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(pw) = &flags.reset_password {
        return reset_password(&flags, pw);
    }
    if let Some(spec) = &flags.rollback {
        return rt.block_on(rollback(&flags, spec, opts));
    }
    // One instance per config file (dry runs write nothing, so they need no lock). The lock
    // is held until the process exits.
    let _lock = if flags.dry_run {
        None
    } else {
        match lock::acquire(&flags.config) {
            Ok(l) => Some(l),
            Err(e @ LockError::Held { .. }) => {
                tracing::error!("{e}");
                return ExitCode::from(1);
            }
            // A read-only config directory (a mounted ConfigMap, say) must not stop the daemon.
            Err(e) => {
                tracing::warn!("{e}; running without the one-instance check");
                None
            }
        }
    };
    if flags.once || flags.dry_run {
        return rt.block_on(run_once(&flags, opts));
    }
    rt.block_on(run_daemon(flags, opts, ring, stop))
}

/// `-healthcheck`: 0 when the running instance's `/healthz` answers 200, else 1; the record
/// lines or the reasons are printed (Docker keeps them in `docker inspect`).
fn healthcheck(flags: &Flags) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let outcome = rt.block_on(cli::healthcheck::check(
        &flags.listen,
        flags.tls_cert.is_some(),
    ));
    for line in &outcome.lines {
        if outcome.healthy {
            println!("{line}");
        } else {
            eprintln!("{line}");
        }
    }
    if outcome.healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `-s install|uninstall|restart` (ddns-go §1.1).
fn service_action(action: ServiceAction, flags: &Flags) -> ExitCode {
    logging::init_with_format(LogRing::new(), false, Default::default());
    let exe = match std::env::current_exe().and_then(|p| p.canonicalize()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot find the path of this program: {e}");
            return ExitCode::from(1);
        }
    };
    let config = store::load_for_edit(&flags.config).ok().map(|l| l.config);
    let mut spec = ServiceSpec::new(exe, flags, config.as_ref());
    spec.run_as = config_owner(&flags.config);
    let root = PathBuf::from("/");
    let Some(init) = install::detect(&root) else {
        tracing::error!("{}", install::ServiceError::NoInitSystem);
        return ExitCode::from(1);
    };
    let mut runner = install::SystemRunner;
    let mut inst = install::Installer {
        root,
        init,
        runner: &mut runner,
    };
    let (ok, msg) = install::perform(action, &mut inst, &spec);
    if ok {
        tracing::info!("{msg}");
        ExitCode::SUCCESS
    } else {
        tracing::error!("{msg}");
        ExitCode::from(1)
    }
}

/// The owner of the config directory when it is not root: the service runs as that user, so
/// that it can write the file without extra capabilities.
fn config_owner(config: &std::path::Path) -> Option<(u32, u32)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(config.parent()?).ok()?;
        (m.uid() != 0).then(|| (m.uid(), m.gid()))
    }
    #[cfg(not(unix))]
    {
        let _ = config;
        None
    }
}

fn reset_password(flags: &Flags, password: &str) -> ExitCode {
    let loaded = match store::load_for_edit(&flags.config) {
        Ok(l) => l,
        Err(LoadError::NotFound(p)) => {
            eprintln!(
                "Config file {} does not exist, you can specify the configuration file through -c",
                p.display()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // ddns-go's rule: 30 bits of entropy, 25 when the web UI is LAN-only. Checked before
    // anything is written, so a refused password leaves the file as it was.
    let lan_only = store::wan_access_forbidden(&loaded.config);
    if let Err(e) = ddns_rs::config::password::check_strength(password, lan_only) {
        eprintln!("{e}");
        return ExitCode::from(2);
    }
    let hash = match store::hash_password(password) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("cannot hash the password: {e}");
            return ExitCode::from(1);
        }
    };
    let mut config = loaded.config;
    config.user.password = hash;
    if let Err(e) = store::save(&flags.config, &config) {
        eprintln!("{e}");
        return ExitCode::from(1);
    }
    tracing::info!("The password has been reset; restart ddns-rs");
    ExitCode::SUCCESS
}

/// `-rollback`: put one record back through its provider, then exit 0 (done), 1 (failed) or 2
/// (usage or config error).
async fn rollback(flags: &Flags, spec: &str, opts: EngineOptions) -> ExitCode {
    let req = match ddns_rs::sync::RollbackRequest::parse_flag(spec) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let config = match store::load(&flags.config) {
        Ok(l) => l.config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut engine = Engine::new(config, opts, StatusBoard::default());
    match engine.rollback(&req).await {
        Ok(o) if o.written => {
            println!(
                "{} {} now holds {}",
                req.domain,
                req.rtype.as_str(),
                o.value
            );
            ExitCode::SUCCESS
        }
        Ok(o) => {
            println!(
                "{} {} already holds {}",
                req.domain,
                req.rtype.as_str(),
                o.value
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// `-once` / `-dryRun`: one full sync, then exit 0 (nothing failed), 1 (something failed) or 2
/// (no usable config). Never waits for the network.
async fn run_once(flags: &Flags, opts: EngineOptions) -> ExitCode {
    let config = match store::load(&flags.config) {
        Ok(l) => l.config,
        Err(LoadError::NotFound(p)) => {
            eprintln!(
                "No config file at {}. Create it (see docs/configuration.md) or pass -c <path>.",
                p.display()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if config.dnsconf.is_empty() {
        eprintln!(
            "{} has no DNS config entries (dnsconf is empty)",
            flags.config.display()
        );
        return ExitCode::from(2);
    }
    let dry = opts.dry_run;
    let mut engine = Engine::new(config, opts, StatusBoard::default());
    let s = engine.run_once().await;
    if dry {
        tracing::info!(
            "Dry run: {} write(s) planned, {} failed; nothing was written",
            s.planned,
            s.failed
        );
    } else {
        tracing::info!(
            "Run finished: {} updated, {} unchanged, {} failed",
            s.updated,
            s.unchanged,
            s.failed
        );
    }
    if s.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

async fn run_daemon(
    flags: Flags,
    opts: EngineOptions,
    ring: LogRing,
    stop: Option<std::sync::mpsc::Receiver<()>>,
) -> ExitCode {
    // Signals first, so that a SIGTERM during start-up already stops gracefully.
    let sigs = match signals::Signals::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot install signal handlers: {e}");
            return ExitCode::from(1);
        }
    };
    let (req_tx, mut requests) = tokio::sync::mpsc::channel(8);
    if let Some(stop) = stop {
        let tx = req_tx.clone();
        std::thread::spawn(move || {
            if stop.recv().is_ok() {
                let _ = tx.blocking_send(signals::Request::Stop);
            }
        });
    }
    tokio::spawn(signals::forward(sigs, req_tx));
    let status = StatusBoard::default();
    // The control channel always exists: signals use it even with -noweb.
    let (tx, rx) = control_channel();
    if !flags.noweb {
        let mut web =
            ddns_rs::web::WebOptions::new(flags.config.clone(), status.clone(), ring, tx.clone());
        web.http = opts.http.clone();
        web.engine = opts.clone();
        let tls = flags.tls_cert.as_deref().zip(flags.tls_key.as_deref());
        if ddns_rs::web::start(&flags.listen, tls, web).is_err() {
            return ExitCode::from(1);
        }
    }
    let daemon = Daemon {
        path: flags.config.clone(),
        opts,
        interval: Duration::from_secs(flags.interval),
        status,
        control: Some(rx),
    };
    // The web UI is already up; the first update waits (bounded) for a local sign of network.
    let run = async move {
        let proc_root = std::path::Path::new("/proc");
        netwait::wait_for_network(
            || netwait::network_ready(proc_root),
            netwait::MAX_WAIT,
            netwait::EVERY,
        )
        .await;
        daemon.run().await
    };
    signals::supervise(run, &mut requests, &flags.config, &tx, signals::GRACE).await;
    ExitCode::SUCCESS
}
