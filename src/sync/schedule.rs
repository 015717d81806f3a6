//! The daemon's timer: run every entry, sleep `-f` seconds, repeat — and pick up edits to the
//! config file while running (ddns-go needs a restart, #262). The file is polled with a cheap
//! `stat` every [`POLL`]; a change of content reloads it and runs at once. A file that fails to
//! parse is reported and the previous config stays in force.
//!
//! The web UI steers the loop through a [`Control`] channel ([`control_channel`]): "update now"
//! and "here is the config just saved". Messages are handled between runs, so runs never
//! overlap; several queued messages are folded into one run.
//! Router pushes (`/nic/update`) come over the same pair, on a queue of their own since each
//! carries a reply channel: the daemon runs the entries concerned between runs and answers.
//!
//! On Linux the loop also listens to network changes (`detect::watch`): the entries a change
//! affects run at once, the others are left alone, and the `-f` timer keeps its schedule as a
//! safety net.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use tokio::time::Instant;
use tracing::{error, info, warn};

use super::push::{PushAnswer, PushJob, PushRequest};
use super::status::StatusBoard;
use super::{Engine, EngineOptions};
use crate::config::Config;
use crate::config::store::{self, Fingerprint, LoadError};
use crate::detect::{Changes, affected_entries};

/// Messages the web UI sends the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Run every entry now, comparing every record with its provider ("Update now").
    RunNow,
    /// This config was just saved to the file: use it and run now ("Save = force update").
    NewConfig(Box<Config>),
}

/// Queued control messages beyond this are dropped (a run is already due; a dropped config is
/// still picked up from the file by the poll).
const CONTROL_QUEUE: usize = 16;

/// The web UI's end of the control channel.
#[derive(Debug, Clone)]
pub struct ControlSender {
    tx: mpsc::Sender<Control>,
    running: Arc<AtomicBool>,
    /// Router pushes (`/nic/update`), on their own queue: they carry a reply channel.
    push: mpsc::Sender<PushJob>,
}

/// The daemon's end of the control channel.
#[derive(Debug)]
pub struct ControlReceiver {
    rx: mpsc::Receiver<Control>,
    running: Arc<AtomicBool>,
    push: mpsc::Receiver<PushJob>,
}

/// A connected pair of control ends.
pub fn control_channel() -> (ControlSender, ControlReceiver) {
    let (tx, rx) = mpsc::channel(CONTROL_QUEUE);
    let (push_tx, push_rx) = mpsc::channel(CONTROL_QUEUE);
    let running = Arc::new(AtomicBool::new(false));
    (
        ControlSender {
            tx,
            running: running.clone(),
            push: push_tx,
        },
        ControlReceiver {
            rx,
            running,
            push: push_rx,
        },
    )
}

impl ControlSender {
    /// Queues `msg` without waiting; false when the queue is full or the daemon is gone.
    pub fn send(&self, msg: Control) -> bool {
        self.tx.try_send(msg).is_ok()
    }
    /// Whether a sync run is in progress.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }
    /// Hands a router push to the daemon and waits for its answers (one per hostname); None
    /// when the queue is full or the daemon is gone or dropped the push.
    pub async fn push(&self, request: PushRequest) -> Option<Vec<PushAnswer>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.push.try_send(PushJob { request, reply }).ok()?;
        answer.await.ok()
    }
}

impl ControlReceiver {
    /// Waits for the next message (pending forever once every sender is gone).
    pub async fn recv(&mut self) -> Control {
        match self.rx.recv().await {
            Some(m) => m,
            None => std::future::pending().await,
        }
    }
    /// A message already queued, if any.
    pub fn try_recv(&mut self) -> Option<Control> {
        self.rx.try_recv().ok()
    }
    /// Waits for the next router push (pending forever once every sender is gone).
    pub async fn recv_push(&mut self) -> PushJob {
        match self.push.recv().await {
            Some(j) => j,
            None => std::future::pending().await,
        }
    }
}

/// Why the daemon loop woke up.
enum Wake {
    /// A message from the web UI.
    Control(Control),
    /// A burst of network changes.
    Network(Changes),
    /// The network watcher stopped (it logged why); keep polling.
    NetworkGone,
    /// A router pushed an address.
    Push(PushJob),
    /// The config file may have changed (inotify).
    ConfigFile,
    /// The config file watch ended; poll from now on.
    ConfigWatchGone,
    /// Time to check the config file (or the `-f` deadline).
    Tick,
}

/// How often the config file is checked for changes where it cannot be watched (see
/// `config::watch`); where it is watched, the daemon sleeps until the `-f` deadline.
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
    /// Messages from the web UI (None with `-noweb`).
    pub control: Option<ControlReceiver>,
}

impl Daemon {
    /// Runs forever (the caller stops it by dropping the future, e.g. on a signal).
    pub async fn run(mut self) {
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
                 ddns-rs starts updating once it exists.",
                p.display()
            ),
            Err(e) => {
                error!("{e}. Fix the file; ddns-rs reloads it as soon as it changes.");
                seen = store::fingerprint(&self.path);
            }
        }
        let mut control = self.control.take();
        // Network changes (Linux): affected entries run at once; the `-f` timer stays as the
        // safety net and keeps its schedule.
        let mut changes = crate::detect::watch::spawn();
        // The config file: watched where the system allows it, polled every POLL otherwise.
        let mut file_watch = crate::config::watch::spawn(&self.path);
        loop {
            if let Some(e) = engine.as_mut() {
                Self::set_running(&control, true);
                e.run_once().await;
                Self::set_running(&control, false);
            }
            let deadline = Instant::now() + self.interval;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                let tick = if file_watch.is_some() {
                    left
                } else {
                    left.min(POLL)
                };
                match Self::wait(&mut control, &mut changes, &mut file_watch, tick).await {
                    Wake::Control(first) => {
                        // Fold everything already queued into this one run.
                        let mut msgs = vec![first];
                        if let Some(c) = control.as_mut() {
                            while let Some(m) = c.try_recv() {
                                msgs.push(m);
                            }
                        }
                        self.apply_control(msgs, &mut engine, &mut seen);
                        break;
                    }
                    Wake::Network(mut burst) => {
                        if let Some(rx) = changes.as_mut() {
                            while let Ok(more) = rx.try_recv() {
                                burst.merge(more);
                            }
                        }
                        if let Some(e) = engine.as_mut() {
                            let which = affected_entries(e.config(), &burst);
                            if !which.is_empty() {
                                info!("Network change: running entries {which:?}");
                                Self::set_running(&control, true);
                                e.run_entries(&which).await;
                                Self::set_running(&control, false);
                            }
                        }
                    }
                    Wake::NetworkGone => changes = None,
                    Wake::Push(job) => {
                        // A file edited since the last poll is picked up first, so a push
                        // for a just-added hostname is not refused.
                        let reloaded = self.reload_if_changed(&mut engine, &mut seen);
                        let answers = match engine.as_mut() {
                            Some(e) => {
                                Self::set_running(&control, true);
                                let a = e.push(&job.request).await;
                                Self::set_running(&control, false);
                                a
                            }
                            None => vec![PushAnswer::ServerError; job.request.hostnames.len()],
                        };
                        // The web handler may have given up waiting; nothing to do then.
                        let _ = job.reply.send(answers);
                        if reloaded {
                            break;
                        }
                    }
                    Wake::ConfigFile => {
                        if self.reload_if_changed(&mut engine, &mut seen) {
                            break;
                        }
                    }
                    Wake::ConfigWatchGone => {
                        info!(
                            "Stopped watching {} for changes (its directory went away?); \
                             checking it every {}s",
                            self.path.display(),
                            POLL.as_secs()
                        );
                        file_watch = None;
                    }
                    Wake::Tick => {
                        // Polling because the watch could not be set up (the directory did
                        // not exist yet, say) or ended: try again, then look at the file, so a
                        // change made in between is not missed. While watching, the only tick
                        // is the `-f` deadline: the file is compared there too, since a watch
                        // does not see every change (network file systems, a swapped symlink).
                        if file_watch.is_none() {
                            file_watch = crate::config::watch::spawn(&self.path);
                        }
                        if self.reload_if_changed(&mut engine, &mut seen) {
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Waits for a control message, a network change or `tick`, whichever comes first.
    async fn wait(
        control: &mut Option<ControlReceiver>,
        changes: &mut Option<mpsc::Receiver<Changes>>,
        file_watch: &mut Option<mpsc::Receiver<crate::config::watch::Event>>,
        tick: Duration,
    ) -> Wake {
        // Split the receiver so both of its queues can be awaited at once.
        let (ctl, pushes) = match control.as_mut() {
            Some(c) => (Some(&mut c.rx), Some(&mut c.push)),
            None => (None, None),
        };
        let control_msg = async {
            match ctl {
                Some(rx) => match rx.recv().await {
                    Some(m) => m,
                    None => std::future::pending().await,
                },
                None => std::future::pending().await,
            }
        };
        let push = async {
            match pushes {
                Some(rx) => match rx.recv().await {
                    Some(j) => j,
                    None => std::future::pending().await,
                },
                None => std::future::pending().await,
            }
        };
        let network = async {
            match changes.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        let file = async {
            match file_watch.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            m = control_msg => Wake::Control(m),
            j = push => Wake::Push(j),
            c = network => c.map_or(Wake::NetworkGone, Wake::Network),
            f = file => match f {
                Some(crate::config::watch::Event::Changed) => Wake::ConfigFile,
                Some(crate::config::watch::Event::Gone) | None => Wake::ConfigWatchGone,
            },
            _ = tokio::time::sleep(tick) => Wake::Tick,
        }
    }

    fn set_running(control: &Option<ControlReceiver>, on: bool) {
        if let Some(c) = control {
            c.running.store(on, Ordering::Relaxed);
        }
    }

    /// Handles control messages: the newest config wins; every message forces a comparison
    /// with the providers on the next run.
    fn apply_control(
        &self,
        msgs: Vec<Control>,
        engine: &mut Option<Engine>,
        seen: &mut Option<Fingerprint>,
    ) {
        let newest = msgs.into_iter().rev().find_map(|m| match m {
            Control::NewConfig(c) => Some(*c),
            Control::RunNow => None,
        });
        if let Some(config) = newest {
            info!("Config saved from the web UI; running now");
            // The file already holds this config: remember its fingerprint so the poll does
            // not reload it a second time.
            *seen = store::fingerprint(&self.path);
            match engine {
                Some(e) => e.set_config(config),
                None => *engine = Some(Engine::new(config, self.opts.clone(), self.status.clone())),
            }
        } else {
            info!("Update requested from the web UI; running now");
        }
        if let Some(e) = engine.as_mut() {
            e.force_compare();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_channel_queues_and_refuses_when_full() {
        let (tx, mut rx) = control_channel();
        assert!(!tx.is_running());
        assert!(tx.send(Control::RunNow));
        assert!(tx.send(Control::NewConfig(Box::default())));
        assert_eq!(rx.try_recv(), Some(Control::RunNow));
        assert_eq!(rx.try_recv(), Some(Control::NewConfig(Box::default())));
        assert_eq!(rx.try_recv(), None);
        for _ in 0..CONTROL_QUEUE {
            assert!(tx.send(Control::RunNow));
        }
        assert!(
            !tx.send(Control::RunNow),
            "a full queue refuses instead of blocking"
        );
        rx.running.store(true, Ordering::Relaxed);
        assert!(tx.is_running());
    }
}
