//! The `ddns-rs` binary: parse ddns-go-compatible flags and dispatch (daemon, `-once`,
//! `-dryRun`, `-resetPassword`, `-v`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ddns_rs::cli::{self, Flags};
use ddns_rs::config::headless;
use ddns_rs::config::store::{self, LoadError};
use ddns_rs::http::{self, HttpOptions, OsRoots, ProxyEnv};
use ddns_rs::logging::{self, LogRing};
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
    for (set, what) in [
        (flags.self_update, "-u (self-update)"),
        (flags.daemon, "-d (detach)"),
        (
            flags.service.is_some(),
            "-s (service install/uninstall/restart)",
        ),
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
    logging::init_with_format(ring.clone(), false, headless.log_format);
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
    if flags.once || flags.dry_run {
        return rt.block_on(run_once(&flags, opts));
    }
    rt.block_on(run_daemon(flags, opts, ring))
}

fn reset_password(flags: &Flags, password: &str) -> ExitCode {
    let loaded = match store::load(&flags.config) {
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

async fn run_daemon(flags: Flags, opts: EngineOptions, ring: LogRing) -> ExitCode {
    let status = StatusBoard::default();
    let mut control = None;
    if !flags.noweb {
        let (tx, rx) = control_channel();
        let mut web = ddns_rs::web::WebOptions::new(flags.config.clone(), status.clone(), ring, tx);
        web.http = opts.http.clone();
        let tls = flags.tls_cert.as_deref().zip(flags.tls_key.as_deref());
        if ddns_rs::web::start(&flags.listen, tls, web).is_err() {
            return ExitCode::from(1);
        }
        control = Some(rx);
    }
    let daemon = Daemon {
        path: flags.config.clone(),
        opts,
        interval: Duration::from_secs(flags.interval),
        status,
        control,
    };
    tokio::select! {
        _ = daemon.run() => {}
        _ = shutdown_signal() => tracing::info!("Stopping"),
    }
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
