//! Signals for a running daemon: SIGHUP reloads the config file and re-syncs every entry,
//! SIGUSR1 forces an update, SIGTERM/SIGINT stop it after letting a run in progress finish (at
//! most [`GRACE`]). Reload and update go to the daemon through its control channel, so they
//! are handled between runs exactly like the web UI's buttons.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;
use tracing::{error, info, warn};

use crate::config::store;
use crate::sync::schedule::{Control, ControlSender};

/// How long a stop request waits for a run in progress to finish its writes.
pub const GRACE: Duration = Duration::from_secs(5);

/// What a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// SIGHUP: reload the config and re-sync everything.
    Reload,
    /// SIGUSR1: update now.
    RunNow,
    /// SIGTERM or SIGINT: stop.
    Stop,
}

/// The process's signal streams.
pub struct Signals {
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
    #[cfg(unix)]
    usr1: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers (inside a Tokio runtime).
    pub fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                hup: signal(SignalKind::hangup())?,
                usr1: signal(SignalKind::user_defined1())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next request.
    pub async fn next(&mut self) -> Request {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.hup.recv() => Request::Reload,
                _ = self.usr1.recv() => Request::RunNow,
                _ = self.term.recv() => Request::Stop,
                _ = tokio::signal::ctrl_c() => Request::Stop,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Request::Stop
        }
    }
}

/// Loads `config` and hands it to the daemon (which then compares every record with its
/// provider, so a newly added domain is published even if the address did not change).
pub fn reload(config: &Path, tx: &ControlSender) {
    match store::load(config) {
        Ok(l) => {
            info!(
                "SIGHUP: reloaded {}; updating every entry",
                config.display()
            );
            if !tx.send(Control::NewConfig(Box::new(l.config))) {
                warn!("SIGHUP: the daemon is busy; the file is picked up by the next check");
            }
        }
        Err(e) => error!("SIGHUP: {e}. Keeping the previous config."),
    }
}

/// Sends every signal's request to `out` until the receiver is gone (spawn it as a task).
pub async fn forward(mut signals: Signals, out: mpsc::Sender<Request>) {
    loop {
        if out.send(signals.next().await).await.is_err() {
            return;
        }
    }
}

/// Drives `daemon` while answering `requests` until the daemon ends or a stop request comes;
/// on stop, a run in progress gets up to `grace` to finish.
pub async fn supervise<D>(
    daemon: D,
    requests: &mut mpsc::Receiver<Request>,
    config: &Path,
    tx: &ControlSender,
    grace: Duration,
) where
    D: Future<Output = ()>,
{
    tokio::pin!(daemon);
    loop {
        tokio::select! {
            _ = &mut daemon => return,
            r = requests.recv() => match r.unwrap_or(Request::Stop) {
                Request::Reload => reload(config, tx),
                Request::RunNow => {
                    info!("SIGUSR1: updating now");
                    tx.send(Control::RunNow);
                }
                Request::Stop => break,
            },
        }
    }
    if tx.is_running() {
        info!(
            "Stopping: letting the update in progress finish (at most {}s)",
            grace.as_secs()
        );
    } else {
        info!("Stopping");
        return;
    }
    let finish = async {
        loop {
            tokio::select! {
                _ = &mut daemon => return,
                _ = tokio::time::sleep(Duration::from_millis(50)) => {
                    if !tx.is_running() {
                        return;
                    }
                }
            }
        }
    };
    if tokio::time::timeout(grace, finish).await.is_err() {
        warn!(
            "The update in progress did not finish within {}s; stopping anyway",
            grace.as_secs()
        );
    }
}
