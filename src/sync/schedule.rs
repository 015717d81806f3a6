//! The daemon's timer: run every entry, sleep `-f` seconds, repeat — and pick up edits to the
//! config file while running (ddns-go needs a restart, #262). The file is polled with a cheap
//! `stat` every [`POLL`]; a change of content reloads it and runs at once. A file that fails to
//! parse is reported and the previous config stays in force.

use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;
use tracing::{error, info, warn};

use super::status::StatusBoard;
use super::{Engine, EngineOptions};
use crate::config::store::{self, Fingerprint, LoadError};

/// How often the config file is checked for changes.
pub const POLL: Duration = Duration::from_secs(5);

/// The long-running loop.
pub struct Daemon {
    /// Config file path.
    pub path: PathBuf,
    /// Engine options.
    pub opts: EngineOptions,
    /// `-f`.
    pub interval: Duration,
    /// Shared status.
    pub status: StatusBoard,
}

impl Daemon {
    /// Runs forever (the caller stops it by dropping the future, e.g. on a signal).
    pub async fn run(self) {
        let mut engine: Option<Engine> = None;
        let mut seen: Option<Fingerprint> = None;
        match store::load(&self.path) {
            Ok(l) => {
                info!("Loaded config file {}", self.path.display());
                engine = Some(Engine::new(
                    l.config,
                    self.opts.clone(),
                    self.status.clone(),
                ));
                seen = Some(l.fingerprint);
            }
            Err(LoadError::NotFound(p)) => info!(
                "No config file at {} yet. Create it (see docs/configuration.md) or pass -c <path>; \
                 ddns-rs checks for it every {}s and starts updating once it exists.",
                p.display(),
                POLL.as_secs()
            ),
            Err(e) => {
                error!("{e}. Fix the file; ddns-rs reloads it as soon as it changes.");
                seen = store::fingerprint(&self.path);
            }
        }
        loop {
            if let Some(e) = engine.as_mut() {
                e.run_once().await;
            }
            let deadline = Instant::now() + self.interval;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                tokio::time::sleep(left.min(POLL)).await;
                if self.reload_if_changed(&mut engine, &mut seen) {
                    break;
                }
            }
        }
    }

    /// Reloads the file if its content changed; true when a new config is in force.
    fn reload_if_changed(
        &self,
        engine: &mut Option<Engine>,
        seen: &mut Option<Fingerprint>,
    ) -> bool {
        let now = store::fingerprint(&self.path);
        if now == *seen {
            return false;
        }
        match store::load(&self.path) {
            Ok(l) => {
                info!("Config file {} changed; reloaded it", self.path.display());
                *seen = Some(l.fingerprint);
                match engine {
                    Some(e) => e.set_config(l.config),
                    None => {
                        *engine = Some(Engine::new(
                            l.config,
                            self.opts.clone(),
                            self.status.clone(),
                        ))
                    }
                }
                true
            }
            Err(LoadError::NotFound(p)) => {
                if engine.is_some() {
                    warn!(
                        "Config file {} was removed; keeping the config in memory",
                        p.display()
                    );
                }
                *seen = None;
                false
            }
            Err(e) => {
                error!("{e}. Keeping the previous config until the file is fixed.");
                *seen = now;
                false
            }
        }
    }
}
