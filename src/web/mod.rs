//! The web UI: ddns-go's routes and JSON contracts (`/login`, `/loginFunc`, `/save`, …), our
//! own JSON API under `api/` for the new page, the page's embedded files, and the server that
//! runs them (limits, optional HTTPS). The contract is written down in `docs/web-api.md`; the
//! protections in `docs/security.md`.
//!
//! Data moves one way (DESIGN.md): this module reads the [`StatusBoard`] and the [`LogRing`],
//! writes the config through `config::store`, and sends [`Control`] messages to the daemon. It
//! never calls a provider.

mod api;
pub mod assets;
pub mod auth;
pub mod guard;
pub mod health;
pub mod notify_api;
mod ops;
mod push;
mod routes;
pub mod save;
pub mod server;
mod settings;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;

use crate::config::Config;
use crate::config::store::{self, LoadError};
use crate::http::HttpOptions;
use crate::logging::LogRing;
use crate::sync::schedule::{Control, ControlSender};
use crate::sync::status::StatusBoard;
use auth::{Clock, Sessions, Throttle};

/// First-run account creation is possible this long after start (ddns-go: 30 minutes).
pub const SETUP_WINDOW: Duration = Duration::from_secs(30 * 60);
/// Without a usable config file, WAN clients are refused after this long (ddns-go: 3 hours).
pub const NO_CONFIG_WAN_GRACE: Duration = Duration::from_secs(3 * 3600);
/// Largest request body accepted.
pub const MAX_REQUEST_BODY: usize = 256 * 1024;

/// The TCP peer of a request, set by the server on every request (tests set it by hand).
/// A request without it is treated as coming from the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

/// What the web UI needs from the rest of the program.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// The config file (`-c`).
    pub config_path: PathBuf,
    /// Record status written by the sync engine.
    pub status: StatusBoard,
    /// Recent log lines.
    pub logs: LogRing,
    /// The daemon's control channel.
    pub control: ControlSender,
    /// Client options for the webhook test.
    pub http: HttpOptions,
    /// Served over the built-in HTTPS (cookies get `Secure`).
    pub https: bool,
    /// The clock (tests move it by hand).
    pub clock: Clock,
    /// When the process started, on `clock`.
    pub started: Instant,
    /// When the process started, in Unix seconds (for the setup deadline shown to users).
    pub started_unix: i64,
    /// The daemon's engine options: metrics shared with it, and what a rollback needs.
    pub engine: crate::sync::EngineOptions,
    /// Where `/healthz` asks.
    pub health: health::HealthOptions,
}

impl WebOptions {
    /// Options with the system clock, started now.
    pub fn new(
        config_path: PathBuf,
        status: StatusBoard,
        logs: LogRing,
        control: ControlSender,
    ) -> Self {
        let clock = Clock::system();
        WebOptions {
            config_path,
            status,
            logs,
            control,
            http: HttpOptions::default(),
            https: false,
            started: clock.now(),
            clock,
            started_unix: crate::timefmt::unix_now(),
            engine: Default::default(),
            health: Default::default(),
        }
    }
}

/// The config file as the web UI sees it.
// Built once per request and shared behind an `Arc`: boxing the config would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ConfigState {
    /// No file yet.
    Missing,
    /// The file cannot be read or parsed; the message says why.
    Broken(String),
    /// The loaded config.
    Loaded(Config),
}

impl ConfigState {
    /// The config, or an empty one when the file is missing; None when broken.
    pub fn config_or_default(&self) -> Option<Config> {
        match self {
            ConfigState::Missing => Some(Config::default()),
            ConfigState::Broken(_) => None,
            ConfigState::Loaded(c) => Some(c.clone()),
        }
    }
    /// No account exists yet (the login form creates one).
    pub fn needs_setup(&self) -> bool {
        match self {
            ConfigState::Missing => true,
            ConfigState::Broken(_) => false,
            ConfigState::Loaded(c) => c.user.username.is_empty() && c.user.password.is_empty(),
        }
    }
    /// Whether non-LAN clients are refused by configuration (or because no account exists).
    pub fn wan_forbidden(&self) -> bool {
        match self {
            ConfigState::Missing => true,
            ConfigState::Broken(_) => false,
            ConfigState::Loaded(c) => store::wan_access_forbidden(c),
        }
    }
}

/// Shared state of every handler.
#[derive(Debug)]
pub struct WebState {
    opts: WebOptions,
    sessions: Mutex<Sessions>,
    throttle: Mutex<Throttle>,
    /// Serialises load-modify-write of the config file.
    save_lock: tokio::sync::Mutex<()>,
    /// The last `/healthz` report.
    health: health::HealthCache,
    /// Router push (`/nic/update`): per-client rate limit.
    push_limiter: Mutex<push::PushLimiter>,
}

impl WebState {
    fn now(&self) -> Instant {
        self.opts.clock.now()
    }

    fn uptime(&self) -> Duration {
        self.now().saturating_duration_since(self.opts.started)
    }

    fn load_config(&self) -> ConfigState {
        match store::load_for_edit(&self.opts.config_path) {
            Ok(l) => ConfigState::Loaded(l.config),
            Err(LoadError::NotFound(_)) => ConfigState::Missing,
            Err(e) => ConfigState::Broken(e.to_string()),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn throttle(&self) -> std::sync::MutexGuard<'_, Throttle> {
        self.throttle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn send(&self, msg: Control) {
        if !self.opts.control.send(msg) {
            tracing::warn!("The sync loop is busy; the change is picked up at its next check");
        }
    }
}

/// The web UI's router (guards and security headers included). Every request must carry a
/// [`ClientAddr`] extension; [`server::serve`] adds it.
pub fn router(opts: WebOptions) -> Router {
    let state = Arc::new(WebState {
        opts,
        sessions: Mutex::new(Sessions::default()),
        throttle: Mutex::new(Throttle::default()),
        save_lock: tokio::sync::Mutex::new(()),
        health: Default::default(),
        push_limiter: Mutex::new(push::PushLimiter::default()),
    });
    routes::build(state)
}

/// Why the web UI could not start (already logged).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] server::TlsSetupError),
    /// The address cannot be listened on.
    #[error("Port listening failed, please check if the port is occupied! ({listen}: {source})")]
    Listen {
        /// The `-l` value.
        listen: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Binds `listen` (`-l`), loads the certificate when `tls` is given, and serves the UI in the
/// background; returns the bound address at once (the UI is up before the first sync). Must
/// be called inside the tokio runtime.
pub fn start(
    listen: &str,
    tls: Option<(&std::path::Path, &std::path::Path)>,
    mut opts: WebOptions,
) -> Result<SocketAddr, StartError> {
    let acceptor = match tls {
        Some((cert, key)) => {
            Some(server::load_tls(cert, key).inspect_err(|e| tracing::error!("{e}"))?)
        }
        None => None,
    };
    opts.https = acceptor.is_some();
    let listener = server::bind(listen).map_err(|source| {
        let e = StartError::Listen {
            listen: listen.to_string(),
            source,
        };
        tracing::error!("{e}");
        e
    })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        listen: listen.to_string(),
        source,
    })?;
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    tracing::info!("Listening on {listen} ({scheme}://{addr}); open the web UI in a browser");
    tokio::spawn(server::serve(listener, router(opts), acceptor));
    Ok(addr)
}
